//! The world: entities, the discrete-event simulation, and the writers.
//!
//! All actions (ordinary life, payroll, fraud) sit in one priority queue ordered by
//! `(timestamp, priority, sequence)`. Each action emits transfers at its own timestamp only, so
//! rows come out already sorted by time. Ordinary actions are planned one day at a time, so the
//! queue holds roughly one day of events and memory does not grow with `days`.

// Money literals are written as yuan_fen (`1_299_00` is 1,299.00 yuan).
#![allow(clippy::inconsistent_digit_grouping)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::names::{
    Bank, BANKS, COMPANY_WORDS, GIVEN, HV_SHOP_TYPES, LOCAL_CITIES, PLATFORMS, REMOTE_CITIES, SHOP_TYPES, SURNAMES,
};
use super::time::{date_string, days_from_civil, format_ts, ts_string, DAY, HOUR, MINUTE};
use super::util::{chance, fen_to_yuan, per_mille, pick, push_u64, push_yuan, random_number, weighted};
use super::{GenError, WorldConfig, WorldSummary};

const NONE: u32 = u32::MAX;
/// Money leaves a mule card at least this many seconds after it arrived.
const MIN_HOP_SECS: i64 = 30;
/// Cases per million person-days.
const CASES_PER_MILLION_PERSON_DAYS: u64 = 500;
const PERSONS_PER_EMPLOYER: usize = 35;
const PERSONS_PER_MERCHANT: usize = 45;
const PERSONS_PER_WHOLESALER: usize = 500;
const PERSONS_PER_OTC: usize = 4000;
const PERSONS_PER_ATM_PER_BANK: usize = 3000;
const PERSONS_PER_RING: usize = 1500;
/// Per-card daily ATM cash limit, in fen.
const ATM_DAILY_CAP: i64 = 20_000_00;
/// A mule card does not bother forwarding less than this (fen): it stays as residue.
const MIN_FORWARD: i64 = 100_00;

/// Weights of the hour of day for ordinary activity.
const LIFE_HOURS: [u32; 24] = [4, 2, 1, 1, 1, 2, 8, 30, 55, 60, 62, 65, 75, 62, 55, 55, 58, 62, 70, 75, 72, 60, 40, 20];

// ---------------------------------------------------------------------------------------------
// Kinds and enums
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Personal,
    Corporate,
    Merchant,
    ThirdParty,
    Atm,
    Otc,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Personal => "personal",
            Kind::Corporate => "corporate",
            Kind::Merchant => "merchant",
            Kind::ThirdParty => "third_party",
            Kind::Atm => "atm",
            Kind::Otc => "otc",
        }
    }

    /// Terminal kinds end a trace in the ground truth; the value names the terminal kind.
    fn terminal(self) -> Option<&'static str> {
        match self {
            Kind::Atm => Some("cash"),
            Kind::Otc => Some("otc"),
            Kind::ThirdParty => Some("platform"),
            Kind::Merchant => Some("merchant"),
            Kind::Personal | Kind::Corporate => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Transfer,
    Atm,
    Pos,
    ThirdParty,
    Salary,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Transfer => "transfer",
            Channel::Atm => "atm_withdrawal",
            Channel::Pos => "pos",
            Channel::ThirdParty => "third_party",
            Channel::Salary => "salary",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Collector,
    Relay,
    Cashout,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Collector => "collector",
            Role::Relay => "relay",
            Role::Cashout => "cashout",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scam {
    Shuadan,
    Gongjianfa,
    Shazhupan,
    Daikuan,
}

impl Scam {
    fn as_str(self) -> &'static str {
        match self {
            Scam::Shuadan => "刷单",
            Scam::Gongjianfa => "冒充公检法",
            Scam::Shazhupan => "杀猪盘",
            Scam::Daikuan => "虚假贷款",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PRole {
    Plain,
    Dependent,
    Forwarder,
    Wholesaler,
    Shopkeeper,
    Renter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Life {
    Pos,
    P2p,
    Atm,
    TopUp,
    Withdraw,
    OwnMove,
    Crypto,
}

/// Everything that can happen at a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Act {
    Life(u32, Life),
    Payroll(u32),
    Forward(u32),
    Settle(u32),
    PayWholesaler(u32),
    PaySuppliers(u32),
    VictimPay(u32, u8),
    Mule(u32),
    Report(u32),
}

// ---------------------------------------------------------------------------------------------
// Entities
// ---------------------------------------------------------------------------------------------

struct Holder {
    id: String,
    name: String,
}

struct Account {
    id: String,
    holder: u32,
    phone: String,
    device: String,
    bank: u8,
    branch: String,
    opened_day: i64,
    kind: Kind,
    /// Clean (own) money. Stolen money in mule cards is held in the mule's lots instead.
    bal: i64,
    opening: i64,
    /// Index into `mules`, or NONE.
    mule: u32,
}

struct Person {
    holder: u32,
    cards: [u32; 3],
    ncards: u8,
    employer: u32,
    salary: i64,
    last_salary: i64,
    /// Spending scale in permille of a typical 8,000-yuan earner.
    scale: i64,
    /// Money sitting in the person's payment-platform wallet.
    wallet: i64,
    family: [u32; 3],
    nfam: u8,
    friends: [u32; 4],
    favs: [u32; 3],
    role: PRole,
    /// Forwarder: the family member paid; wholesaler: wholesaler index; shopkeeper: merchant.
    link: u32,
    busy_until: i64,
}

impl Person {
    fn cards(&self) -> &[u32] {
        &self.cards[..usize::from(self.ncards)]
    }
    fn family(&self) -> &[u32] {
        &self.family[..usize::from(self.nfam)]
    }
}

struct Employer {
    acct: u32,
    employees: Vec<u32>,
    payday: u32,
    pay_secs: i64,
}

struct Merchant {
    acct: u32,
    owner: u32,
    personal_shop: bool,
    wholesaler: u32,
}

struct Wholesaler {
    card: u32,
    suppliers: Vec<u32>,
}

struct Slot {
    role: Role,
    tier: u8,
    mule: u32,
    until_day: i64,
    permanent: bool,
}

struct RingHolder {
    holder: u32,
    cards: u8,
    banks: u32,
}

struct Ring {
    id: String,
    /// Multiplier on its cards' waiting times (habits: dwell).
    dwell: f64,
    /// The next number of the ring's run (号段) for a card on its holder's own number, when it bought one.
    run_next: Option<u64>,
    devices: Vec<String>,
    phones: Vec<String>,
    locs: Vec<(bool, u8, u8)>,
    holders: Vec<RingHolder>,
    slots: Vec<Slot>,
    tiers: u8,
    otc: Vec<u32>,
}

#[derive(Clone, Copy)]
struct Lot {
    case: u32,
    amount: i64,
    at: i64,
}

#[derive(Clone, Copy)]
struct Pay {
    dst: u32,
    amount: i64,
    ch: Channel,
    memo: &'static str,
    gap: i64,
}

struct Mule {
    acct: u32,
    ring: u32,
    role: Role,
    tier: u8,
    rented: bool,
    fifo: bool,
    lots: Vec<Lot>,
    plan: std::collections::VecDeque<Pay>,
    pending: bool,
    night: bool,
    plan_cut: i64,
    atm_day: i64,
    atm_today: i64,
    first_use: i64,
}

impl Mule {
    fn eligible(&self, ts: i64) -> i64 {
        let limit = ts - MIN_HOP_SECS;
        self.lots.iter().filter(|l| l.at <= limit).map(|l| l.amount).sum()
    }

    /// Take `amount` from lots that arrived at least MIN_HOP_SECS before `ts`, in the card's
    /// order. Returns (case, amount) sorted by case.
    fn consume(&mut self, amount: i64, ts: i64) -> Vec<(u32, i64)> {
        let limit = ts - MIN_HOP_SECS;
        let mut need = amount;
        let mut flows: Vec<(u32, i64)> = Vec::new();
        let n = self.lots.len();
        for step in 0..n {
            if need == 0 {
                break;
            }
            let i = if self.fifo { step } else { n - 1 - step };
            let lot = &mut self.lots[i];
            if lot.at > limit || lot.amount == 0 {
                continue;
            }
            let take = lot.amount.min(need);
            lot.amount -= take;
            need -= take;
            match flows.iter_mut().find(|f| f.0 == lot.case) {
                Some(f) => f.1 += take,
                None => flows.push((lot.case, take)),
            }
        }
        self.lots.retain(|l| l.amount > 0);
        flows.sort_unstable();
        flows
    }
}

struct Case {
    public: String,
    victim: u32,
    victim_card: u32,
    scam: Scam,
    ring: u32,
    targets: Vec<i64>,
    topped: u8,
    stopped: bool,
    report_ts: i64,
    stolen: i64,
    seeds: Vec<u64>,
    last_collector: u32,
    reported: bool,
    pos: BTreeMap<u32, i64>,
    term: BTreeMap<u32, i64>,
}

#[derive(Clone, Copy)]
struct Tx {
    ts: i64,
    src: u32,
    dst: u32,
    amount: i64,
    ch: Channel,
    memo: &'static str,
}

// ---------------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------------

struct Csv {
    w: csv::Writer<File>,
    path: PathBuf,
}

impl Csv {
    fn create(path: PathBuf, header: &[&str]) -> Result<Self, GenError> {
        let mut w = csv::WriterBuilder::new()
            .buffer_capacity(1 << 17)
            .from_path(&path)
            .map_err(|source| GenError::Csv { path: path.clone(), source })?;
        w.write_record(header).map_err(|source| GenError::Csv { path: path.clone(), source })?;
        Ok(Self { w, path })
    }

    fn err(&self, source: csv::Error) -> GenError {
        GenError::Csv { path: self.path.clone(), source }
    }

    fn field(&mut self, f: &[u8]) -> Result<(), GenError> {
        self.w.write_field(f).map_err(|e| self.err(e))
    }

    fn end(&mut self) -> Result<(), GenError> {
        self.w.write_record(std::iter::empty::<&[u8]>()).map_err(|e| self.err(e))
    }

    fn row<I, T>(&mut self, fields: I) -> Result<(), GenError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.w.write_record(fields).map_err(|e| self.err(e))
    }

    fn finish(mut self) -> Result<(), GenError> {
        self.w.flush().map_err(|source| GenError::Io { path: self.path.clone(), source })
    }
}

fn txn_id(n: u64) -> String {
    let mut b = Vec::with_capacity(10);
    b.push(b'T');
    push_u64(&mut b, n, 8);
    String::from_utf8(b).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Amount styles
// ---------------------------------------------------------------------------------------------

/// Make an amount look like laundering: just under a limit, round, or odd.
fn stylize(rng: &mut ChaCha8Rng, fen: i64) -> i64 {
    const LIMITS: [i64; 10] = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 50_000, 100_000, 200_000, 500_000];
    let y = fen / 100;
    if y < 50 {
        return fen;
    }
    match weighted(rng, &[35, 25, 40]) {
        0 => {
            let best = LIMITS.iter().copied().filter(|&l| l * 4 <= y * 5 && l * 2 > y).max();
            match best {
                Some(l) => (l - *pick(rng, &[1, 1, 10, 100])) * 100,
                None => y * 100,
            }
        }
        1 => {
            let unit = if y >= 20_000 {
                10_000
            } else if y >= 2_000 {
                1_000
            } else {
                100
            };
            (y / unit).max(1) * unit * 100
        }
        _ => {
            if chance(rng, 300) {
                fen
            } else {
                y * 100
            }
        }
    }
}

/// Split `total` (> 0) into at most `k` positive parts that add up to it exactly.
fn split(rng: &mut ChaCha8Rng, total: i64, k: usize) -> Vec<i64> {
    let mut parts = Vec::with_capacity(k);
    let mut rem = total;
    for i in 0..k.saturating_sub(1) {
        let left = (k - i) as i64;
        let share = per_mille(rem / left, rng.random_range(600..=1400));
        let t = stylize(rng, share);
        if t <= 0 || t >= rem {
            break;
        }
        parts.push(t);
        rem -= t;
    }
    parts.push(rem);
    parts
}

/// A "nice" scam payment in yuan → fen: 1299, 3588, 8888, 14000 …
fn nice_yuan(rng: &mut ChaCha8Rng, y: i64) -> i64 {
    let y = y.max(100);
    let v = match rng.random_range(0..4u32) {
        0 => y / 100 * 100 + 88,
        1 => y / 100 * 100 + 99,
        2 if y >= 1000 => y / 1000 * 1000,
        _ => y,
    };
    v * 100
}

// ---------------------------------------------------------------------------------------------
// The simulation
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Stats {
    transfers: u64,
    fraud_transfers: u64,
    flow_rows: u64,
    mule_sent: u64,
    mule_sent_night: u64,
}

struct Sim {
    rng: ChaCha8Rng,
    /// Draws for the world's habits only, so that default habits leave `rng`'s stream, and the world, as
    /// the original generator made it.
    hrng: ChaCha8Rng,
    habits: super::Habits,
    /// Look-alikes added by `habits.more_lookalikes`: (account, kind).
    extra_lookalikes: Vec<(u32, &'static str)>,
    start_day: i64,
    end_ts: i64,
    holders: Vec<Holder>,
    accounts: Vec<Account>,
    persons: Vec<Person>,
    employers: Vec<Employer>,
    merchants: Vec<Merchant>,
    hv_merchants: Vec<u32>,
    wholesalers: Vec<Wholesaler>,
    platforms: Vec<u32>,
    atms: Vec<Vec<u32>>,
    otc: Vec<u32>,
    rings: Vec<Ring>,
    mules: Vec<Mule>,
    cases: Vec<Case>,
    next_case_no: u32,
    heap: BinaryHeap<Reverse<(i64, u8, u64, Act)>>,
    seq: u64,
    used_ids: HashSet<String>,
    used_nums: HashSet<u64>,
    transfers: Csv,
    flows: Csv,
    scratch: Vec<u8>,
    stats: Stats,
}

pub(crate) fn run(config: &WorldConfig, out_dir: &Path) -> Result<WorldSummary, GenError> {
    let transfers = Csv::create(
        out_dir.join("transfers.csv"),
        &[
            "txn_id", "ts", "src", "dst", "amount", "channel", "currency", "src_name", "dst_name", "src_bank",
            "dst_bank", "memo",
        ],
    )?;
    let flows = Csv::create(out_dir.join("truth").join("case_flows.csv"), &["txn_id", "case_id", "amount"])?;
    let (y, m, d) = config.start_date;
    let start_day = days_from_civil(y, m, d);
    let days = i64::from(config.days);
    let mut sim = Sim {
        rng: ChaCha8Rng::seed_from_u64(config.seed),
        hrng: ChaCha8Rng::seed_from_u64(config.seed ^ 0x9E37_79B9_7F4A_7C15),
        habits: config.habits.clone(),
        extra_lookalikes: Vec::new(),
        start_day,
        end_ts: (start_day + days) * DAY,
        holders: Vec::new(),
        accounts: Vec::new(),
        persons: Vec::new(),
        employers: Vec::new(),
        merchants: Vec::new(),
        hv_merchants: Vec::new(),
        wholesalers: Vec::new(),
        platforms: Vec::new(),
        atms: Vec::new(),
        otc: Vec::new(),
        rings: Vec::new(),
        mules: Vec::new(),
        cases: Vec::new(),
        next_case_no: 0,
        heap: BinaryHeap::new(),
        seq: 0,
        used_ids: HashSet::new(),
        used_nums: HashSet::new(),
        transfers,
        flows,
        scratch: Vec::with_capacity(64),
        stats: Stats::default(),
    };
    sim.build(config.persons);
    for day in 0..days {
        sim.begin_day(day);
        sim.run_until((start_day + day + 1) * DAY)?;
    }
    sim.finish(config, out_dir)
}

impl Sim {
    // -----------------------------------------------------------------------------------------
    // Building the world
    // -----------------------------------------------------------------------------------------

    fn unique_num(&mut self, lo: u64, hi: u64) -> u64 {
        loop {
            let v = self.rng.random_range(lo..hi);
            if self.used_nums.insert(v) {
                return v;
            }
        }
    }

    fn person_name(&mut self) -> String {
        let n = SURNAMES.len();
        // Earlier surnames are more common.
        let i = self.rng.random_range(0..n).min(self.rng.random_range(0..n));
        let mut s = String::from(SURNAMES[i]);
        s.push_str(pick::<&str>(&mut self.rng, GIVEN));
        if chance(&mut self.rng, 700) {
            s.push_str(pick::<&str>(&mut self.rng, GIVEN));
        }
        s
    }

    fn new_holder(&mut self, prefix: &str, name: String) -> u32 {
        let v = self.unique_num(1_000_000_000, 10_000_000_000);
        let id = format!("{prefix}{v}");
        self.holders.push(Holder { id, name });
        (self.holders.len() - 1) as u32
    }

    fn new_phone(&mut self) -> String {
        const PREFIXES: [u64; 24] = [
            130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 158, 159, 176, 177, 180, 182, 186,
            187, 188, 199,
        ];
        let p = *pick(&mut self.rng, &PREFIXES);
        let v = self.unique_num(p * 100_000_000, (p + 1) * 100_000_000);
        v.to_string()
    }

    fn new_device(&mut self) -> String {
        let v = self.unique_num(860_000_000_000_000, 870_000_000_000_000);
        v.to_string()
    }

    fn pick_bank(&mut self, exclude: u32) -> u8 {
        let weights: Vec<u32> =
            BANKS.iter().enumerate().map(|(i, b)| if exclude & (1 << i) != 0 { 0 } else { b.weight }).collect();
        if weights.iter().all(|&w| w == 0) {
            return self.rng.random_range(0..BANKS.len()) as u8;
        }
        weighted(&mut self.rng, &weights) as u8
    }

    fn unique_id(&mut self, prefix: &str, len: usize, luhn: bool) -> String {
        loop {
            let id = random_number(&mut self.rng, prefix, len, luhn);
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn branch(&mut self, bank: u8, city: (bool, u8)) -> String {
        let (remote, ci) = city;
        let (name, districts) = if remote { REMOTE_CITIES[usize::from(ci)] } else { LOCAL_CITIES[usize::from(ci)] };
        let district = pick(&mut self.rng, districts);
        format!("{}{}{}支行", BANKS[usize::from(bank)].name, name, district)
    }

    fn local_city(&mut self) -> (bool, u8) {
        (false, weighted(&mut self.rng, &[50, 25, 15, 10]) as u8)
    }

    fn remote_city(&mut self) -> (bool, u8) {
        (true, self.rng.random_range(0..REMOTE_CITIES.len()) as u8)
    }

    #[allow(clippy::too_many_arguments)]
    fn push_account(
        &mut self,
        id: String,
        holder: u32,
        phone: String,
        device: String,
        bank: u8,
        branch: String,
        opened_day: i64,
        kind: Kind,
    ) -> u32 {
        self.accounts.push(Account {
            id,
            holder,
            phone,
            device,
            bank,
            branch,
            opened_day,
            kind,
            bal: 0,
            opening: 0,
            mule: NONE,
        });
        (self.accounts.len() - 1) as u32
    }

    fn new_card(&mut self, holder: u32, phone: &str, device: &str, bank: u8, city: (bool, u8), opened_day: i64) -> u32 {
        let b: Bank = BANKS[usize::from(bank)];
        let id = self.unique_id(b.bin, b.card_len, true);
        let branch = self.branch(bank, city);
        self.push_account(id, holder, phone.to_string(), device.to_string(), bank, branch, opened_day, Kind::Personal)
    }

    fn new_corporate(&mut self, holder: u32, kind: Kind, city: (bool, u8)) -> u32 {
        let bank = self.pick_bank(0);
        let b: Bank = BANKS[usize::from(bank)];
        let id = self.unique_id(b.corp_prefix, b.corp_len, false);
        let branch = self.branch(bank, city);
        let phone = self.new_phone();
        let device = self.new_device();
        let opened = self.start_day - self.rng.random_range(200..=6000);
        self.push_account(id, holder, phone, device, bank, branch, opened, kind)
    }

    fn random_person(&mut self) -> u32 {
        self.rng.random_range(0..self.persons.len()) as u32
    }

    /// A random person with the given role, or NONE after a bounded search.
    fn person_with_role(&mut self, role: PRole) -> u32 {
        for _ in 0..1000 {
            let p = self.random_person();
            if self.persons[p as usize].role == role {
                return p;
            }
        }
        NONE
    }

    fn build(&mut self, n: usize) {
        self.build_persons(n);
        if self.habits.more_lookalikes {
            self.build_lookalikes();
        }
        self.build_businesses(n);
        if self.habits.more_lookalikes {
            self.build_payroll_cohorts();
        }
        self.build_terminals(n);
        self.build_rings(n);
        for a in &mut self.accounts {
            a.opening = a.bal;
        }
    }

    fn build_persons(&mut self, n: usize) {
        let mut hh_left = 0usize;
        let mut hh_start = 0usize;
        for i in 0..n {
            if hh_left == 0 {
                hh_left = weighted(&mut self.rng, &[30, 30, 25, 15]) + 1;
                hh_start = i;
            }
            hh_left -= 1;
            let city = if chance(&mut self.rng, 900) { self.local_city() } else { self.remote_city() };
            let name = self.person_name();
            let holder = self.new_holder("H", name);
            let phone = self.new_phone();
            // A few people (the elderly, children) bank on a family member's phone: same device,
            // sometimes the same number too. Legitimate sharing across holders.
            let (phone, device) = if i > hh_start && chance(&mut self.rng, 40) {
                let other = &self.accounts[self.persons[hh_start].cards[0] as usize];
                let phone = if chance(&mut self.rng, 500) { other.phone.clone() } else { phone };
                (phone, other.device.clone())
            } else {
                let device = self.new_device();
                (phone, device)
            };
            let ncards = weighted(&mut self.rng, &[55, 35, 10]) + 1;
            let mut cards = [NONE; 3];
            let mut mask = 0u32;
            for (k, slot) in cards.iter_mut().enumerate().take(ncards) {
                let bank = self.pick_bank(mask);
                mask |= 1 << bank;
                let opened = if chance(&mut self.rng, 50) {
                    self.start_day - self.rng.random_range(1..=90)
                } else {
                    self.start_day - self.rng.random_range(180..=5000)
                };
                // Migrants have their first card at home and later ones where they work.
                let c = if k == 0 { city } else { self.local_city() };
                *slot = self.new_card(holder, &phone, &device, bank, c, opened);
            }
            let role = if chance(&mut self.rng, 120) { PRole::Dependent } else { PRole::Plain };
            let salary = match weighted(&mut self.rng, &[40, 35, 18, 7]) {
                0 => self.rng.random_range(3_000_00..6_000_00),
                1 => self.rng.random_range(6_000_00..12_000_00),
                2 => self.rng.random_range(12_000_00..25_000_00),
                _ => self.rng.random_range(25_000_00..60_000_00),
            };
            let scale = if role == PRole::Dependent { 400 } else { (salary / 800).clamp(400, 3000) };
            self.persons.push(Person {
                holder,
                cards,
                ncards: ncards as u8,
                employer: NONE,
                salary,
                last_salary: 0,
                scale,
                wallet: 0,
                family: [NONE; 3],
                nfam: 0,
                friends: [0; 4],
                favs: [0; 3],
                role,
                link: NONE,
                busy_until: i64::MIN,
            });
            // Household links, filled when the household is complete.
            if hh_left == 0 {
                for a in hh_start..=i {
                    let mut k = 0;
                    for b in hh_start..=i {
                        if a != b && k < 3 {
                            self.persons[a].family[k] = b as u32;
                            k += 1;
                        }
                    }
                    self.persons[a].nfam = k as u8;
                }
            }
        }
        for p in 0..n {
            for k in 0..4 {
                let mut f = self.random_person();
                if f as usize == p {
                    f = ((p + 1) % n) as u32;
                }
                self.persons[p].friends[k] = f;
            }
        }
    }

    /// Habits: families of three banking on one phone and one device (shared by three holders, as a card
    /// dealer's are), and students whose new card is their busy everyday card.
    fn build_lookalikes(&mut self) {
        for p in 0..self.persons.len() {
            let fam = self.persons[p].family;
            let nfam = usize::from(self.persons[p].nfam);
            let first_of_household = nfam >= 2 && fam[..nfam].iter().all(|&f| f as usize > p);
            if first_of_household && self.hrng.random::<f64>() < 0.06 {
                let c0 = self.persons[p].cards[0] as usize;
                let (phone, device) = (self.accounts[c0].phone.clone(), self.accounts[c0].device.clone());
                for member in std::iter::once(p as u32).chain(fam[..2].iter().copied()) {
                    for &c in self.persons[member as usize].cards() {
                        self.accounts[c as usize].phone.clone_from(&phone);
                        self.accounts[c as usize].device.clone_from(&device);
                    }
                    for &c in self.persons[member as usize].cards() {
                        self.extra_lookalikes.push((c, "family"));
                    }
                }
            } else if first_of_household && self.hrng.random::<f64>() < 0.06 {
                // A family plan (亲情号): the household's numbers are consecutive, as a dealer's run is.
                let base = loop {
                    let b = self.hrng.random_range(138_0000_0000u64..138_9999_9990);
                    if (b..b + 3).all(|v| !self.used_nums.contains(&v)) {
                        break b;
                    }
                };
                for (k, member) in std::iter::once(p as u32).chain(fam[..2].iter().copied()).enumerate() {
                    let number = base + k as u64;
                    self.used_nums.insert(number);
                    for &c in self.persons[member as usize].cards() {
                        self.accounts[c as usize].phone = number.to_string();
                    }
                    for &c in self.persons[member as usize].cards() {
                        self.extra_lookalikes.push((c, "family-plan"));
                    }
                }
            } else if self.persons[p].role == PRole::Plain && self.hrng.random::<f64>() < 0.02 {
                let c0 = self.persons[p].cards[0] as usize;
                self.accounts[c0].opened_day = self.start_day - self.hrng.random_range(3..25);
                self.extra_lookalikes.push((c0 as u32, "student"));
            }
        }
    }

    /// Habits: employers that open salary cards for their staff at one branch in one week (代发工资卡): new
    /// cards of many holders opened together, as a dealer's recruits' cards are, then paid salary.
    fn build_payroll_cohorts(&mut self) {
        for e in 0..self.employers.len() {
            // The staff banking where the employer's payroll bank is (the first employee's), as such cards are.
            let all = &self.employers[e].employees;
            let Some(&first) = all.first() else { continue };
            let bank = self.accounts[self.persons[first as usize].cards[0] as usize].bank;
            let staff: Vec<u32> = all
                .iter()
                .copied()
                .filter(|&p| self.accounts[self.persons[p as usize].cards[0] as usize].bank == bank)
                .collect();
            if staff.len() < 3 || self.hrng.random::<f64>() >= 0.3 {
                continue;
            }
            let branch = self.accounts[self.persons[staff[0] as usize].cards[0] as usize].branch.clone();
            let day = self.start_day - self.hrng.random_range(3..20);
            for &p in &staff {
                let c = self.persons[p as usize].cards[0] as usize;
                self.accounts[c].branch.clone_from(&branch);
                self.accounts[c].opened_day = day + self.hrng.random_range(0..3);
                self.extra_lookalikes.push((c as u32, "payroll-card"));
            }
        }
    }

    fn company_name(&mut self, city: (bool, u8), suffix: &str) -> String {
        let cname = LOCAL_CITIES[usize::from(city.1)].0;
        let a = *pick(&mut self.rng, GIVEN);
        let b = *pick(&mut self.rng, GIVEN);
        format!("{cname}市{a}{b}{suffix}")
    }

    fn build_businesses(&mut self, n: usize) {
        // Merchants (shopkeepers are self-employed persons).
        let nm = (n / PERSONS_PER_MERCHANT).max(5);
        let nw = (n / PERSONS_PER_WHOLESALER).max(1);
        for m in 0..nm {
            let owner = self.person_with_role(PRole::Plain);
            if owner == NONE {
                break;
            }
            let op = owner as usize;
            self.persons[op].role = PRole::Shopkeeper;
            self.persons[op].scale = 1500;
            self.persons[op].link = m as u32;
            let personal_shop = m > 0 && chance(&mut self.rng, 300);
            let hv = m == 0 || (!personal_shop && chance(&mut self.rng, 120));
            let acct = if personal_shop {
                let holder = self.persons[op].holder;
                let c0 = self.persons[op].cards[0] as usize;
                let (phone, device) = (self.accounts[c0].phone.clone(), self.accounts[c0].device.clone());
                let bank = self.pick_bank(0);
                let city = self.local_city();
                let opened = self.start_day - self.rng.random_range(60..=2000);
                self.new_card(holder, &phone, &device, bank, city, opened)
            } else {
                let city = self.local_city();
                let surname = self.holders[self.persons[op].holder as usize].name.chars().next().unwrap_or('王');
                let kind = if hv { *pick(&mut self.rng, HV_SHOP_TYPES) } else { *pick(&mut self.rng, SHOP_TYPES) };
                let district = pick(&mut self.rng, LOCAL_CITIES[usize::from(city.1)].1);
                let name = format!("{district}{surname}记{kind}");
                let holder = self.new_holder("E", name);
                self.new_corporate(holder, Kind::Merchant, city)
            };
            let wholesaler = self.rng.random_range(0..nw) as u32;
            if hv {
                self.hv_merchants.push(m as u32);
            }
            self.merchants.push(Merchant { acct, owner, personal_shop, wholesaler });
            let c0 = self.persons[op].cards[0] as usize;
            let open = self.rng.random_range(10_000_00..80_000_00);
            self.accounts[c0].bal += open;
        }
        // Employers.
        let ne = (n / PERSONS_PER_EMPLOYER).max(3);
        for _ in 0..ne {
            let city = self.local_city();
            let word = *pick(&mut self.rng, COMPANY_WORDS);
            let name = self.company_name(city, &format!("{word}有限公司"));
            let holder = self.new_holder("E", name);
            let acct = self.new_corporate(holder, Kind::Corporate, city);
            let payday = *pick(&mut self.rng, &[5u32, 8, 10, 10, 15, 15, 20, 25, 28]);
            let pay_secs = self.rng.random_range(9 * HOUR..12 * HOUR);
            self.employers.push(Employer { acct, employees: Vec::new(), payday, pay_secs });
        }
        // Wholesalers: self-employed persons using a personal card.
        for _ in 0..nw {
            let p = self.person_with_role(PRole::Plain);
            if p == NONE {
                break;
            }
            let pi = p as usize;
            self.persons[pi].role = PRole::Wholesaler;
            self.persons[pi].link = self.wholesalers.len() as u32;
            self.persons[pi].scale = 1500;
            let card = self.persons[pi].cards[0];
            self.accounts[card as usize].bal += self.rng.random_range(20_000_00..200_000_00);
            let k = self.rng.random_range(2..=4);
            let suppliers = (0..k).map(|_| self.rng.random_range(0..ne) as u32).collect();
            self.wholesalers.push(Wholesaler { card, suppliers });
        }
        let nw = self.wholesalers.len() as u32;
        for m in &mut self.merchants {
            m.wholesaler = m.wholesaler.min(nw.saturating_sub(1));
        }
        // Roles, employment, opening balances, favourite shops.
        for p in 0..n {
            let role = self.persons[p].role;
            if role == PRole::Plain && self.persons[p].nfam > 0 && chance(&mut self.rng, 40) {
                self.persons[p].role = PRole::Forwarder;
                let fam = self.persons[p].family;
                self.persons[p].link = fam[0];
            }
            if matches!(self.persons[p].role, PRole::Plain | PRole::Forwarder) {
                // Skewed: a few large employers, many small ones.
                let u = self.rng.random_range(0..ne);
                let v = self.rng.random_range(0..ne);
                let e = u.min(v);
                self.persons[p].employer = e as u32;
                self.employers[e].employees.push(p as u32);
            }
            let salary = self.persons[p].salary;
            let mut open = match self.persons[p].role {
                PRole::Dependent => self.rng.random_range(500_00..5_000_00),
                _ => per_mille(salary, self.rng.random_range(300..=1500)) + self.rng.random_range(500_00..3_000_00),
            };
            let cards = self.persons[p].cards;
            let nc = usize::from(self.persons[p].ncards);
            let savings = match weighted(&mut self.rng, &[85, 12, 3]) {
                0 => 0,
                1 => self.rng.random_range(30_000_00..300_000_00),
                _ => self.rng.random_range(300_000_00..2_000_000_00),
            };
            if nc == 1 {
                open += savings;
                self.accounts[cards[0] as usize].bal += open;
            } else {
                self.accounts[cards[0] as usize].bal += open;
                self.accounts[cards[nc - 1] as usize].bal += savings + self.rng.random_range(0..2_000_00);
            }
            for k in 0..3 {
                self.persons[p].favs[k] = self.rng.random_range(0..self.merchants.len()) as u32;
            }
        }
        for e in 0..self.employers.len() {
            let payroll: i64 = self.employers[e].employees.iter().map(|&p| self.persons[p as usize].salary).sum();
            let acct = self.employers[e].acct as usize;
            self.accounts[acct].bal += 3 * payroll + self.rng.random_range(50_000_00..500_000_00);
        }
    }

    fn build_terminals(&mut self, n: usize) {
        // Payment platform reserve accounts (备付金).
        for (i, &(code, id, name)) in PLATFORMS.iter().enumerate() {
            self.holders.push(Holder { id: format!("ORG-{code}"), name: name.to_string() });
            let holder = (self.holders.len() - 1) as u32;
            let branch = format!("{name}备付金账户");
            let opened = self.start_day - 3000;
            let a = self.push_account(
                id.to_string(),
                holder,
                String::new(),
                String::new(),
                100 + i as u8,
                branch,
                opened,
                Kind::ThirdParty,
            );
            self.platforms.push(a);
        }
        // ATMs of every bank.
        let per_bank = (n / PERSONS_PER_ATM_PER_BANK).max(1);
        for (b, bank) in BANKS.iter().enumerate() {
            self.holders.push(Holder { id: format!("BANK-{}", bank.code), name: format!("{}自助设备", bank.name) });
            let holder = (self.holders.len() - 1) as u32;
            let mut list = Vec::with_capacity(per_bank);
            for k in 1..=per_bank {
                let city = self.local_city();
                let branch = self.branch(b as u8, city);
                let opened = self.start_day - self.rng.random_range(300..=3000);
                let id = format!("ATM-{}-{k:04}", bank.code);
                list.push(self.push_account(
                    id,
                    holder,
                    String::new(),
                    String::new(),
                    b as u8,
                    branch,
                    opened,
                    Kind::Atm,
                ));
            }
            self.atms.push(list);
        }
        // OTC sellers (U商): personal cards of crypto sellers, labelled kind otc.
        let notc = (n / PERSONS_PER_OTC).max(2);
        for _ in 0..notc {
            let name = self.person_name();
            let holder = self.new_holder("H", name);
            let phone = self.new_phone();
            let device = self.new_device();
            let bank = self.pick_bank(0);
            let city = self.local_city();
            let opened = self.start_day - self.rng.random_range(20..=900);
            let a = self.new_card(holder, &phone, &device, bank, city, opened);
            self.accounts[a as usize].kind = Kind::Otc;
            self.otc.push(a);
        }
    }

    fn build_rings(&mut self, n: usize) {
        let nr = (n / PERSONS_PER_RING + 2).min(n / 300).max(1);
        let nr = if self.habits.wide_rings { nr.div_ceil(3) } else { nr };
        for r in 0..nr {
            let ndev = self.rng.random_range(2..=4);
            let devices = (0..ndev).map(|_| self.new_device()).collect();
            // A batch of consecutive numbers, often from virtual operators.
            let virt = [170u64, 171, 165, 167, 162];
            let normal = [138u64, 139, 150, 186, 188, 135, 137, 152, 177, 199];
            let p =
                if chance(&mut self.rng, 600) { *pick(&mut self.rng, &virt) } else { *pick(&mut self.rng, &normal) };
            let nph = self.rng.random_range(3..=6u64);
            let base = loop {
                let b = self.rng.random_range(p * 100_000_000..(p + 1) * 100_000_000 - 10);
                if (b..b + nph).all(|v| !self.used_nums.contains(&v)) {
                    break b;
                }
            };
            let mut phones: Vec<String> = (base..base + nph)
                .map(|v| {
                    self.used_nums.insert(v);
                    v.to_string()
                })
                .collect();
            // Habits: some dealers buy numbers one by one, not in a run.
            let mut run_next = Some(base + nph);
            if self.hrng.random::<f64>() >= self.habits.phone_runs {
                phones = (0..nph).map(|_| self.new_phone()).collect();
                run_next = None;
            }
            let dwell = {
                let (lo, hi) = self.habits.dwell;
                if lo == hi {
                    lo
                } else {
                    (lo.ln() + self.hrng.random::<f64>() * (hi.ln() - lo.ln())).exp()
                }
            };
            let nloc = self.rng.random_range(1..=3);
            let locs = (0..nloc)
                .map(|_| {
                    let (remote, c) = if chance(&mut self.rng, 650) { self.remote_city() } else { self.local_city() };
                    let nd = if remote {
                        REMOTE_CITIES[usize::from(c)].1.len()
                    } else {
                        LOCAL_CITIES[usize::from(c)].1.len()
                    };
                    (remote, c, self.rng.random_range(0..nd) as u8)
                })
                .collect();
            let wide = self.habits.wide_rings;
            let tiers =
                if wide { self.hrng.random_range(3..=5) } else { weighted(&mut self.rng, &[10, 35, 35, 20]) as u8 };
            let mut slots = Vec::new();
            let mut add = |role, tier, count| {
                for _ in 0..count {
                    slots.push(Slot { role, tier, mule: NONE, until_day: 0, permanent: false });
                }
            };
            let (collectors, relays, cashouts) = if wide {
                (self.hrng.random_range(3..=5), (6, 12), self.hrng.random_range(4..=8))
            } else {
                (self.rng.random_range(2..=3), (2, 4), 0)
            };
            add(Role::Collector, 0, collectors);
            for t in 1..=tiers {
                let n = if wide { self.hrng.random_range(relays.0..=relays.1) } else { self.rng.random_range(2..=4) };
                add(Role::Relay, t, n);
            }
            let cashouts = if wide { cashouts } else { self.rng.random_range(1..=2) };
            add(Role::Cashout, 0, cashouts);
            let notc = self.rng.random_range(1..=2).min(self.otc.len());
            let mut otc = self.otc.clone();
            otc.shuffle(&mut self.rng);
            otc.truncate(notc);
            self.rings.push(Ring {
                id: format!("RING-{:03}", r + 1),
                dwell,
                run_next,
                devices,
                phones,
                locs,
                holders: Vec::new(),
                slots,
                tiers,
                otc,
            });
            // Rented cards: ordinary people's cards, kept for the whole world.
            let nrent = match self.habits.rented_share {
                None => weighted(&mut self.rng, &[25, 50, 25]),
                Some((lo, hi)) => {
                    let share = (lo + self.hrng.random::<f64>() * (hi - lo)).clamp(0.0, 0.9);
                    let own = self.rings[r].slots.len() as f64;
                    ((share / (1.0 - share)) * own).round() as usize
                }
            };
            for _ in 0..nrent {
                let p = self.person_with_role(PRole::Plain);
                if p == NONE {
                    break;
                }
                let pi = p as usize;
                self.persons[pi].role = PRole::Renter;
                let card = self.persons[pi].cards[usize::from(self.persons[pi].ncards) - 1];
                if chance(&mut self.rng, 500) {
                    let dev = pick(&mut self.rng, &self.rings[r].devices).clone();
                    self.accounts[card as usize].device = dev;
                }
                let (role, tier) =
                    if tiers > 0 && chance(&mut self.rng, 300) { (Role::Relay, 1) } else { (Role::Collector, 0) };
                let m = self.new_mule(card, r as u32, role, tier, true);
                self.rings[r].slots.push(Slot { role, tier, mule: m, until_day: i64::MAX, permanent: true });
            }
        }
    }

    fn new_mule(&mut self, acct: u32, ring: u32, role: Role, tier: u8, rented: bool) -> u32 {
        let fifo = chance(&mut self.rng, 500);
        self.mules.push(Mule {
            acct,
            ring,
            role,
            tier,
            rented,
            fifo,
            lots: Vec::new(),
            plan: std::collections::VecDeque::new(),
            pending: false,
            night: false,
            plan_cut: i64::MIN,
            atm_day: i64::MIN,
            atm_today: 0,
            first_use: i64::MAX,
        });
        let m = (self.mules.len() - 1) as u32;
        self.accounts[acct as usize].mule = m;
        m
    }

    /// A card opened for the ring by a recruited holder.
    fn new_ring_card(&mut self, r: usize, role: Role, tier: u8) -> u32 {
        let reusable: Vec<usize> =
            self.rings[r].holders.iter().enumerate().filter(|(_, h)| h.cards < 3).map(|(i, _)| i).collect();
        let hi = if !reusable.is_empty() && chance(&mut self.rng, 400) {
            *pick(&mut self.rng, &reusable)
        } else {
            let name = self.person_name();
            let holder = self.new_holder("H", name);
            self.rings[r].holders.push(RingHolder { holder, cards: 0, banks: 0 });
            self.rings[r].holders.len() - 1
        };
        let banks = self.rings[r].holders[hi].banks;
        let bank = self.pick_bank(banks);
        self.rings[r].holders[hi].banks |= 1 << bank;
        self.rings[r].holders[hi].cards += 1;
        let holder = self.rings[r].holders[hi].holder;
        let (remote, c, d) = *pick(&mut self.rng, &self.rings[r].locs);
        let (city, districts) = if remote { REMOTE_CITIES[usize::from(c)] } else { LOCAL_CITIES[usize::from(c)] };
        let branch = format!("{}{}{}支行", BANKS[usize::from(bank)].name, city, districts[usize::from(d)]);
        let mut phone = pick(&mut self.rng, &self.rings[r].phones).clone();
        let mut device = pick(&mut self.rng, &self.rings[r].devices).clone();
        // Habits: some ring cards carry their holder's own phone or device, tied to the ring by money alone.
        if self.hrng.random::<f64>() >= self.habits.shared_phone {
            // Its own number: the next of the ring's run when it bought one (号段), else any.
            phone = match self.rings[r].run_next {
                Some(n) if !self.used_nums.contains(&n) => {
                    self.used_nums.insert(n);
                    self.rings[r].run_next = Some(n + 1 + u64::from(self.hrng.random::<bool>()));
                    n.to_string()
                }
                _ => self.new_phone(),
            };
        }
        if self.hrng.random::<f64>() >= self.habits.shared_device {
            device = self.new_device();
        }
        let b = BANKS[usize::from(bank)];
        let id = self.unique_id(b.bin, b.card_len, true);
        // opened_day is set from the first use when the world is written.
        let acct = self.push_account(id, holder, phone, device, bank, branch, self.start_day, Kind::Personal);
        self.new_mule(acct, r as u32, role, tier, false)
    }

    // -----------------------------------------------------------------------------------------
    // Event loop
    // -----------------------------------------------------------------------------------------

    fn push(&mut self, ts: i64, prio: u8, act: Act) {
        self.seq += 1;
        self.heap.push(Reverse((ts, prio, self.seq, act)));
    }

    fn life_secs(&mut self) -> i64 {
        let h = weighted(&mut self.rng, &LIFE_HOURS) as i64;
        h * HOUR + self.rng.random_range(0..HOUR)
    }

    fn begin_day(&mut self, d: i64) {
        let day_start = (self.start_day + d) * DAY;
        // Rings replace burnt cards.
        for r in 0..self.rings.len() {
            for s in 0..self.rings[r].slots.len() {
                let slot = &self.rings[r].slots[s];
                if slot.permanent || slot.until_day > d {
                    continue;
                }
                let (role, tier) = (slot.role, slot.tier);
                let life = match role {
                    Role::Collector => self.rng.random_range(7..=20),
                    Role::Relay => self.rng.random_range(15..=40),
                    Role::Cashout => self.rng.random_range(15..=45),
                };
                let life = if d == 0 { self.rng.random_range(1..=life) } else { life };
                let m = self.new_ring_card(r, role, tier);
                let slot = &mut self.rings[r].slots[s];
                slot.mule = m;
                slot.until_day = d + life;
            }
        }
        // Ordinary life.
        for p in 0..self.persons.len() {
            let person = &self.persons[p];
            let multi = person.ncards > 1;
            let rates: [(Life, u32); 8] = match person.role {
                PRole::Dependent => [
                    (Life::Pos, 330),
                    (Life::Pos, 60),
                    (Life::P2p, 40),
                    (Life::Atm, 30),
                    (Life::TopUp, 60),
                    (Life::Withdraw, 40),
                    (Life::OwnMove, if multi { 20 } else { 0 }),
                    (Life::Crypto, 0),
                ],
                _ => [
                    (Life::Pos, 450),
                    (Life::Pos, 120),
                    (Life::P2p, 130),
                    (Life::Atm, 40),
                    (Life::TopUp, 110),
                    (Life::Withdraw, 70),
                    (Life::OwnMove, if multi { 40 } else { 0 }),
                    (Life::Crypto, 1),
                ],
            };
            for (life, rate) in rates {
                if rate > 0 && chance(&mut self.rng, rate) {
                    let t = day_start + self.life_secs();
                    self.push(t, 0, Act::Life(p as u32, life));
                }
            }
        }
        // Payroll on the employer's payday.
        let (_, _, dom) = super::time::civil_from_days(self.start_day + d);
        for e in 0..self.employers.len() {
            if self.employers[e].payday == dom {
                let t = day_start + self.employers[e].pay_secs;
                self.push(t, 0, Act::Payroll(e as u32));
            }
        }
        // Merchants settle, shopkeepers restock.
        for m in 0..self.merchants.len() {
            let t = if self.merchants[m].personal_shop {
                day_start + self.rng.random_range(20 * HOUR..23 * HOUR)
            } else {
                day_start + self.rng.random_range(HOUR..6 * HOUR)
            };
            self.push(t, 0, Act::Settle(m as u32));
            if chance(&mut self.rng, 300) {
                let t = day_start + self.rng.random_range(9 * HOUR..18 * HOUR);
                self.push(t, 0, Act::PayWholesaler(m as u32));
            }
        }
        for w in 0..self.wholesalers.len() {
            for _ in 0..weighted(&mut self.rng, &[40, 40, 20]) {
                let t = day_start + self.rng.random_range(9 * HOUR..17 * HOUR);
                self.push(t, 0, Act::PaySuppliers(w as u32));
            }
        }
        // New fraud cases (none in the quiet days: the store's history before the fraud).
        if d < i64::from(self.habits.quiet_days) {
            return;
        }
        let milli = self.persons.len() as u64 * CASES_PER_MILLION_PERSON_DAYS / 1000;
        let mut count = milli / 1000;
        if self.rng.random_range(0..1000) < milli % 1000 {
            count += 1;
        }
        for _ in 0..count {
            self.new_case(day_start);
        }
    }

    fn run_until(&mut self, until: i64) -> Result<(), GenError> {
        while let Some(Reverse((ts, _, _, act))) = self.heap.peek().copied() {
            if ts >= until {
                break;
            }
            self.heap.pop();
            match act {
                Act::Life(p, life) => self.life(p, life, ts)?,
                Act::Payroll(e) => self.payroll(e, ts)?,
                Act::Forward(p) => self.forward_salary(p, ts)?,
                Act::Settle(m) => self.settle(m, ts)?,
                Act::PayWholesaler(m) => self.pay_wholesaler(m, ts)?,
                Act::PaySuppliers(w) => self.pay_suppliers(w, ts)?,
                Act::VictimPay(c, k) => self.victim_pay(c, k, ts)?,
                Act::Mule(m) => self.mule_step(m, ts)?,
                Act::Report(c) => self.report(c),
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Emitting transfers
    // -----------------------------------------------------------------------------------------

    /// Write one transfer row (and its case-flow rows). Balances are the caller's business.
    fn emit(&mut self, tx: Tx, flows: &[(u32, i64)]) -> Result<u64, GenError> {
        debug_assert!(tx.amount > 0);
        self.stats.transfers += 1;
        let id = self.stats.transfers;
        let src = &self.accounts[tx.src as usize];
        let dst = &self.accounts[tx.dst as usize];
        let w = &mut self.transfers;
        let b = &mut self.scratch;
        b.clear();
        b.push(b'T');
        push_u64(b, id, 8);
        w.field(b)?;
        w.field(&format_ts(tx.ts))?;
        w.field(src.id.as_bytes())?;
        w.field(dst.id.as_bytes())?;
        b.clear();
        push_yuan(b, tx.amount);
        w.field(b)?;
        w.field(tx.ch.as_str().as_bytes())?;
        w.field(b"CNY")?;
        w.field(self.holders[src.holder as usize].name.as_bytes())?;
        w.field(self.holders[dst.holder as usize].name.as_bytes())?;
        w.field(bank_code(src.bank).as_bytes())?;
        w.field(bank_code(dst.bank).as_bytes())?;
        w.field(tx.memo.as_bytes())?;
        w.end()?;
        if !flows.is_empty() {
            self.stats.fraud_transfers += 1;
            for &(c, a) in flows {
                b.clear();
                b.push(b'T');
                push_u64(b, id, 8);
                self.flows.field(b)?;
                self.flows.field(self.cases[c as usize].public.as_bytes())?;
                b.clear();
                push_yuan(b, a);
                self.flows.field(b)?;
                self.flows.end()?;
                self.stats.flow_rows += 1;
            }
        }
        Ok(id)
    }

    /// A transfer of clean money; the source must hold it.
    fn clean(&mut self, tx: Tx) -> Result<u64, GenError> {
        debug_assert!(self.accounts[tx.src as usize].bal >= tx.amount);
        self.accounts[tx.src as usize].bal -= tx.amount;
        self.accounts[tx.dst as usize].bal += tx.amount;
        self.emit(tx, &[])
    }

    /// Stolen money of case `c` arrives at `dst`.
    fn credit_stolen(&mut self, dst: u32, c: u32, amount: i64, ts: i64) {
        let acct = &self.accounts[dst as usize];
        let terminal = acct.kind.terminal().is_some();
        let mule = acct.mule;
        let case = &mut self.cases[c as usize];
        if !case.reported {
            let map = if terminal { &mut case.term } else { &mut case.pos };
            *map.entry(dst).or_insert(0) += amount;
        }
        if mule == NONE {
            // Terminals (and nothing else) receive stolen money outside rings.
            self.accounts[dst as usize].bal += amount;
            return;
        }
        let role = {
            let m = &mut self.mules[mule as usize];
            m.lots.push(Lot { case: c, amount, at: ts });
            if m.first_use == i64::MAX {
                m.first_use = ts;
            }
            if m.pending {
                return;
            }
            m.pending = true;
            m.role
        };
        let delay = self.mule_delay(mule, role, ts);
        self.push(ts + delay, 0, Act::Mule(mule));
    }

    fn debit_stolen(&mut self, src: u32, c: u32, amount: i64) {
        let case = &mut self.cases[c as usize];
        if case.reported {
            return;
        }
        if let Some(v) = case.pos.get_mut(&src) {
            *v -= amount;
            debug_assert!(*v >= 0);
            if *v == 0 {
                case.pos.remove(&src);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Ordinary life
    // -----------------------------------------------------------------------------------------

    /// The first card of person `p` that holds `amount` (primary first).
    fn card_with(&self, p: u32, amount: i64) -> Option<u32> {
        self.persons[p as usize].cards().iter().copied().find(|&c| self.accounts[c as usize].bal >= amount)
    }

    fn pos_amount(&mut self, scale: i64) -> i64 {
        let base = match weighted(&mut self.rng, &[55, 35, 10]) {
            0 => self.rng.random_range(3_00..60_00),
            1 => self.rng.random_range(60_00..400_00),
            _ => self.rng.random_range(400_00..1_500_00),
        };
        let v = per_mille(base, scale).max(1_00);
        if chance(&mut self.rng, 400) {
            v / 100 * 100
        } else {
            v
        }
    }

    fn life(&mut self, p: u32, life: Life, ts: i64) -> Result<(), GenError> {
        let pi = p as usize;
        let scale = self.persons[pi].scale;
        match life {
            Life::Pos => {
                let m = if chance(&mut self.rng, 700) {
                    self.persons[pi].favs[self.rng.random_range(0..3)]
                } else {
                    self.rng.random_range(0..self.merchants.len()) as u32
                };
                let merchant = &self.merchants[m as usize];
                let (dst, personal) = (merchant.acct, merchant.personal_shop);
                if merchant.owner == p {
                    return Ok(());
                }
                let amount = self.pos_amount(scale);
                if let Some(src) = self.card_with(p, amount) {
                    let (ch, memo) = if personal {
                        (Channel::Transfer, *pick(&mut self.rng, &["", "", "货款"]))
                    } else {
                        (Channel::Pos, "消费")
                    };
                    self.clean(Tx { ts, src, dst, amount, ch, memo })?;
                }
            }
            Life::P2p => {
                let person = &self.persons[pi];
                let fam: Vec<u32> = person.family().to_vec();
                let to_family = !fam.is_empty() && chance(&mut self.rng, 550);
                let (to, amount, memo) = if to_family {
                    let deps: Vec<u32> =
                        fam.iter().copied().filter(|&f| self.persons[f as usize].role == PRole::Dependent).collect();
                    let to = if !deps.is_empty() && chance(&mut self.rng, 700) {
                        *pick(&mut self.rng, &deps)
                    } else {
                        *pick(&mut self.rng, &fam)
                    };
                    let mut a = per_mille(self.rng.random_range(200_00..=3_000_00), scale);
                    if chance(&mut self.rng, 600) {
                        a = (a / 100_00).max(1) * 100_00;
                    }
                    (to, a, *pick(&mut self.rng, &["生活费", "生活费", "转账", ""]))
                } else {
                    let to = self.persons[pi].friends[self.rng.random_range(0..4)];
                    let a = if chance(&mut self.rng, 500) {
                        *pick(&mut self.rng, &[52_00, 66_00, 88_00, 100_00, 168_00, 200_00, 520_00, 888_00])
                    } else {
                        per_mille(self.rng.random_range(20_00..=800_00), scale)
                    };
                    (to, a, *pick(&mut self.rng, &["转账", "还款", "", "红包", "饭钱"]))
                };
                let dst = self.persons[to as usize].cards[0];
                if let Some(src) = self.card_with(p, amount) {
                    if src != dst {
                        self.clean(Tx { ts, src, dst, amount, ch: Channel::Transfer, memo })?;
                    }
                }
            }
            Life::Atm => {
                let amount = (per_mille(self.rng.random_range(100_00..=3_000_00), scale) / 100_00).max(1) * 100_00;
                if let Some(src) = self.card_with(p, amount) {
                    let bank = if chance(&mut self.rng, 800) {
                        usize::from(self.accounts[src as usize].bank)
                    } else {
                        self.rng.random_range(0..BANKS.len())
                    };
                    let dst = *pick(&mut self.rng, &self.atms[bank]);
                    self.clean(Tx { ts, src, dst, amount, ch: Channel::Atm, memo: "ATM取款" })?;
                }
            }
            Life::TopUp => {
                let amount = per_mille(self.rng.random_range(50_00..=2_000_00), scale) / 100 * 100;
                if let Some(src) = self.card_with(p, amount) {
                    let dst = self.platforms[weighted(&mut self.rng, &[60, 40])];
                    self.clean(Tx { ts, src, dst, amount, ch: Channel::ThirdParty, memo: "充值" })?;
                    self.persons[pi].wallet += amount;
                }
            }
            Life::Withdraw => {
                let wallet = self.persons[pi].wallet;
                if wallet >= 100_00 {
                    let amount = per_mille(wallet, self.rng.random_range(300..=1000));
                    let src = self.platforms[weighted(&mut self.rng, &[60, 40])];
                    let dst = self.persons[pi].cards[0];
                    if self.accounts[src as usize].bal >= amount {
                        self.clean(Tx { ts, src, dst, amount, ch: Channel::ThirdParty, memo: "提现" })?;
                        self.persons[pi].wallet -= amount;
                    }
                }
            }
            Life::OwnMove => {
                let cards: Vec<u32> = self.persons[pi].cards().to_vec();
                if cards.len() >= 2 {
                    let src = *cards.iter().max_by_key(|&&c| self.accounts[c as usize].bal).unwrap_or(&cards[0]);
                    let others: Vec<u32> = cards.iter().copied().filter(|&c| c != src).collect();
                    let dst = *pick(&mut self.rng, &others);
                    let amount =
                        per_mille(self.accounts[src as usize].bal, self.rng.random_range(100..=500)) / 100_00 * 100_00;
                    if amount >= 100_00 {
                        let memo = *pick(&mut self.rng, &["转账", "还款", ""]);
                        self.clean(Tx { ts, src, dst, amount, ch: Channel::Transfer, memo })?;
                    }
                }
            }
            Life::Crypto => {
                let amount = self.rng.random_range(1_000..=20_000) * 100;
                if let Some(src) = self.card_with(p, amount) {
                    let dst = *pick(&mut self.rng, &self.otc);
                    self.clean(Tx { ts, src, dst, amount, ch: Channel::Transfer, memo: "" })?;
                }
            }
        }
        Ok(())
    }

    fn payroll(&mut self, e: u32, ts: i64) -> Result<(), GenError> {
        let src = self.employers[e as usize].acct;
        let employees = std::mem::take(&mut self.employers[e as usize].employees);
        let memo = *pick(&mut self.rng, &["工资", "代发工资"]);
        for &p in &employees {
            let pi = p as usize;
            let amount = per_mille(self.persons[pi].salary, self.rng.random_range(970..=1030));
            if self.accounts[src as usize].bal < amount {
                continue;
            }
            let dst = self.persons[pi].cards[0];
            self.clean(Tx { ts, src, dst, amount, ch: Channel::Salary, memo })?;
            self.persons[pi].last_salary = amount;
            if self.persons[pi].role == PRole::Forwarder {
                let t = ts + self.rng.random_range(5 * MINUTE..55 * MINUTE);
                self.push(t, 0, Act::Forward(p));
            }
        }
        self.employers[e as usize].employees = employees;
        Ok(())
    }

    fn forward_salary(&mut self, p: u32, ts: i64) -> Result<(), GenError> {
        let pi = p as usize;
        let src = self.persons[pi].cards[0];
        let to = self.persons[pi].link;
        if to == NONE {
            return Ok(());
        }
        let dst = self.persons[to as usize].cards[0];
        let want = per_mille(self.persons[pi].last_salary, self.rng.random_range(600..=900)) / 100_00 * 100_00;
        let amount = want.min(self.accounts[src as usize].bal);
        if amount > 0 && src != dst {
            let memo = *pick(&mut self.rng, &["生活费", "转账", ""]);
            self.clean(Tx { ts, src, dst, amount, ch: Channel::Transfer, memo })?;
        }
        Ok(())
    }

    fn settle(&mut self, m: u32, ts: i64) -> Result<(), GenError> {
        let merchant = &self.merchants[m as usize];
        let (src, owner, personal) = (merchant.acct, merchant.owner, merchant.personal_shop);
        let dst = self.persons[owner as usize].cards[0];
        let bal = self.accounts[src as usize].bal;
        if personal {
            let amount = per_mille(bal, self.rng.random_range(300..=700)) / 100 * 100;
            if bal >= 500_00 && amount > 0 && src != dst {
                self.clean(Tx { ts, src, dst, amount, ch: Channel::Transfer, memo: "转账" })?;
            }
        } else if bal > 0 {
            self.clean(Tx { ts, src, dst, amount: bal, ch: Channel::Transfer, memo: "商户结算" })?;
        }
        Ok(())
    }

    fn pay_wholesaler(&mut self, m: u32, ts: i64) -> Result<(), GenError> {
        if self.wholesalers.is_empty() {
            return Ok(());
        }
        let merchant = &self.merchants[m as usize];
        let src = if merchant.personal_shop { merchant.acct } else { self.persons[merchant.owner as usize].cards[0] };
        let dst = self.wholesalers[merchant.wholesaler as usize].card;
        let bal = self.accounts[src as usize].bal;
        if bal >= 3_000_00 && src != dst {
            let amount = per_mille(bal, self.rng.random_range(400..=700)) / 100 * 100;
            self.clean(Tx { ts, src, dst, amount, ch: Channel::Transfer, memo: "货款" })?;
            // Habits: a wholesaler that pays its suppliers within the hour of being paid (fast pass-through
            // from many senders, as a collector card's).
            if self.habits.more_lookalikes {
                let w = self.merchants[m as usize].wholesaler;
                let later = self.hrng.random_range(600..3000);
                self.push(ts + later, 0, Act::PaySuppliers(w));
            }
        }
        Ok(())
    }

    fn pay_suppliers(&mut self, w: u32, ts: i64) -> Result<(), GenError> {
        let src = self.wholesalers[w as usize].card;
        let bal = self.accounts[src as usize].bal;
        if bal < 10_000_00 {
            return Ok(());
        }
        let amount = per_mille(bal, self.rng.random_range(300..=700)) / 100 * 100;
        let sup = *pick(&mut self.rng, &self.wholesalers[w as usize].suppliers);
        let dst = self.employers[sup as usize].acct;
        self.clean(Tx { ts, src, dst, amount, ch: Channel::Transfer, memo: "货款" })?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Fraud: cases and victims
    // -----------------------------------------------------------------------------------------

    fn total_bal(&self, p: u32) -> i64 {
        self.persons[p as usize].cards().iter().map(|&c| self.accounts[c as usize].bal).sum()
    }

    fn find_victim(&mut self, need: i64, now: i64) -> u32 {
        for _ in 0..300 {
            let p = self.random_person();
            let person = &self.persons[p as usize];
            if matches!(person.role, PRole::Renter | PRole::Wholesaler) || person.busy_until > now {
                continue;
            }
            if self.total_bal(p) >= need {
                return p;
            }
        }
        NONE
    }

    fn hour_secs(&mut self, weights: &[u32; 24]) -> i64 {
        weighted(&mut self.rng, weights) as i64 * HOUR + self.rng.random_range(0..HOUR)
    }

    fn new_case(&mut self, day_start: i64) {
        const SHUADAN_H: [u32; 24] =
            [15, 10, 5, 2, 1, 1, 2, 5, 15, 30, 35, 35, 35, 35, 35, 35, 35, 40, 55, 70, 80, 80, 70, 40];
        const GJF_H: [u32; 24] = [0, 0, 0, 0, 0, 0, 0, 5, 40, 80, 90, 80, 50, 60, 80, 80, 70, 40, 10, 5, 0, 0, 0, 0];
        const SZP_H: [u32; 24] =
            [50, 40, 25, 10, 5, 2, 2, 5, 10, 15, 15, 15, 15, 15, 15, 15, 20, 25, 35, 50, 70, 80, 85, 70];
        const LOAN_H: [u32; 24] =
            [5, 2, 1, 1, 1, 2, 5, 20, 50, 60, 60, 60, 55, 60, 60, 60, 60, 50, 50, 50, 45, 40, 30, 15];
        let scam = match weighted(&mut self.rng, &[40, 15, 25, 20]) {
            0 => Scam::Shuadan,
            1 => Scam::Gongjianfa,
            2 => Scam::Shazhupan,
            _ => Scam::Daikuan,
        };
        let need = match scam {
            Scam::Shuadan => 20_000_00,
            Scam::Gongjianfa => 160_000_00,
            Scam::Shazhupan => 60_000_00,
            Scam::Daikuan => 5_000_00,
        };
        let victim = self.find_victim(need, day_start);
        if victim == NONE {
            return;
        }
        let total = self.total_bal(victim);
        let mut times = Vec::new();
        let mut targets = Vec::new();
        let report;
        match scam {
            Scam::Shuadan => {
                let mut t = day_start + self.hour_secs(&SHUADAN_H);
                let mut a: i64 = *pick(&mut self.rng, &[800, 999, 1299, 1500, 1688, 2000]);
                for _ in 0..self.rng.random_range(3..=6) {
                    times.push(t);
                    targets.push(nice_yuan(&mut self.rng, a.min(49_000)));
                    t += self.rng.random_range(5 * MINUTE..30 * MINUTE);
                    a = a * self.rng.random_range(160..=280) / 100;
                }
                report = times[times.len() - 1] + self.rng.random_range(10 * MINUTE..=6 * HOUR);
            }
            Scam::Gongjianfa => {
                let t = day_start + self.hour_secs(&GJF_H);
                let mut sum = per_mille(total, self.rng.random_range(600..=950));
                sum = if chance(&mut self.rng, 500) { sum / 1_000_000 * 1_000_000 } else { sum / 100 * 100 };
                if sum > 500_000_00 || chance(&mut self.rng, 400) {
                    let first = per_mille(sum, self.rng.random_range(500..=700)) / 10_000_00 * 10_000_00;
                    targets.push(first);
                    targets.push(sum - first);
                    times.push(t);
                    times.push(t + self.rng.random_range(10 * MINUTE..40 * MINUTE));
                } else {
                    targets.push(sum);
                    times.push(t);
                }
                report = times[times.len() - 1] + self.rng.random_range(20 * MINUTE..=8 * HOUR);
            }
            Scam::Shazhupan => {
                let n = self.rng.random_range(3..=6i64);
                let span = self.rng.random_range(n - 1..=14);
                let mut offs: Vec<i64> = (1..=span).collect();
                offs.shuffle(&mut self.rng);
                offs.truncate((n - 1) as usize);
                offs.push(0);
                offs.sort_unstable();
                let mut a: i64 = self.rng.random_range(5..=20) * 1000;
                for off in offs {
                    times.push(day_start + off * DAY + self.hour_secs(&SZP_H));
                    let v = if chance(&mut self.rng, 500) { a / 1000 * 1000 } else { a };
                    targets.push(v * 100);
                    a = a * self.rng.random_range(150..=250) / 100;
                }
                report = times[times.len() - 1] + self.rng.random_range(DAY..=5 * DAY);
            }
            Scam::Daikuan => {
                let mut t = day_start + self.hour_secs(&LOAN_H);
                let mut a: i64 = *pick(&mut self.rng, &[499, 800, 1000, 2000]);
                for _ in 0..self.rng.random_range(2..=4) {
                    times.push(t);
                    targets.push(nice_yuan(&mut self.rng, a));
                    t += self.rng.random_range(10 * MINUTE..60 * MINUTE);
                    a = a * self.rng.random_range(150..=250) / 100;
                }
                report = times[times.len() - 1] + self.rng.random_range(30 * MINUTE..=24 * HOUR);
            }
        }
        if report >= self.end_ts || targets.iter().any(|&t| t <= 0) {
            return;
        }
        let vcard = *self.persons[victim as usize]
            .cards()
            .iter()
            .max_by_key(|&&c| self.accounts[c as usize].bal)
            .unwrap_or(&self.persons[victim as usize].cards[0]);
        let ring = self.rng.random_range(0..self.rings.len()) as u32;
        self.persons[victim as usize].busy_until = report;
        let c = self.cases.len() as u32;
        self.cases.push(Case {
            public: String::new(),
            victim,
            victim_card: vcard,
            scam,
            ring,
            targets,
            topped: 0,
            stopped: false,
            report_ts: report,
            stolen: 0,
            seeds: Vec::new(),
            last_collector: NONE,
            reported: false,
            pos: BTreeMap::new(),
            term: BTreeMap::new(),
        });
        for (k, &t) in times.iter().enumerate() {
            self.push(t, 0, Act::VictimPay(c, k as u8));
        }
        self.push(report, 1, Act::Report(c));
    }

    fn ring_cards(&self, r: u32, role: Role, tier: u8) -> Vec<u32> {
        self.rings[r as usize]
            .slots
            .iter()
            .filter(|s| s.role == role && s.tier == tier && s.mule != NONE)
            .map(|s| s.mule)
            .collect()
    }

    fn victim_pay(&mut self, c: u32, k: u8, ts: i64) -> Result<(), GenError> {
        let ci = c as usize;
        if self.cases[ci].stopped {
            return Ok(());
        }
        let card = self.cases[ci].victim_card;
        let target = self.cases[ci].targets[usize::from(k)];
        let bal = self.accounts[card as usize].bal;
        // Move money from the victim's other cards first, as victims are told to.
        if bal < target && self.cases[ci].topped & (1 << k) == 0 {
            self.cases[ci].topped |= 1 << k;
            let victim = self.cases[ci].victim;
            let other = self.persons[victim as usize]
                .cards()
                .iter()
                .copied()
                .filter(|&x| x != card)
                .max_by_key(|&x| self.accounts[x as usize].bal);
            if let Some(other) = other {
                let want = (target - bal + self.rng.random_range(0..1_000_00)) / 100 * 100;
                let amount = want.min(self.accounts[other as usize].bal);
                if amount >= 100_00 {
                    self.clean(Tx { ts, src: other, dst: card, amount, ch: Channel::Transfer, memo: "转账" })?;
                    let t = ts + self.rng.random_range(60..=240);
                    self.push(t, 0, Act::VictimPay(c, k));
                    return Ok(());
                }
            }
        }
        let bal = self.accounts[card as usize].bal;
        let mut amount = target;
        if bal < target {
            amount = bal * 9 / 10 / 100 * 100;
            if amount < 300_00 {
                self.cases[ci].stopped = true;
                return Ok(());
            }
        }
        let ring = self.cases[ci].ring;
        let mut collectors = self.ring_cards(ring, Role::Collector, 0);
        let last = self.cases[ci].last_collector;
        let collector = if last != NONE && collectors.contains(&last) && chance(&mut self.rng, 500) {
            last
        } else {
            collectors.sort_unstable();
            *pick(&mut self.rng, &collectors)
        };
        if self.cases[ci].public.is_empty() {
            self.next_case_no += 1;
            self.cases[ci].public = format!("CASE-{:05}", self.next_case_no);
        }
        let memo = match self.cases[ci].scam {
            Scam::Shuadan => *pick(&mut self.rng, &["", "", "转账", "货款"]),
            Scam::Gongjianfa => *pick(&mut self.rng, &["", "转账"]),
            Scam::Shazhupan => *pick(&mut self.rng, &["", "转账", "投资"]),
            Scam::Daikuan => *pick(&mut self.rng, &["", "转账", "保证金"]),
        };
        let dst = self.mules[collector as usize].acct;
        self.accounts[card as usize].bal -= amount;
        let txn = self.emit(Tx { ts, src: card, dst, amount, ch: Channel::Transfer, memo }, &[(c, amount)])?;
        let case = &mut self.cases[ci];
        case.stolen += amount;
        case.seeds.push(txn);
        case.last_collector = collector;
        self.credit_stolen(dst, c, amount, ts);
        Ok(())
    }

    fn report(&mut self, c: u32) {
        self.cases[c as usize].reported = true;
    }

    // -----------------------------------------------------------------------------------------
    // Fraud: mule cards
    // -----------------------------------------------------------------------------------------

    /// A time tonight between 21:00 and 04:00 (for a `ts` before 21:00).
    fn tonight(&mut self, ts: i64) -> i64 {
        let day_start = ts - ts.rem_euclid(DAY);
        (day_start + 21 * HOUR + self.rng.random_range(0..7 * HOUR)).max(ts + MIN_HOP_SECS + 1)
    }

    fn long_delay(&mut self, ts: i64) -> i64 {
        let t = ts + self.rng.random_range(2 * HOUR..8 * HOUR);
        let hour = t.rem_euclid(DAY) / HOUR;
        if (7..20).contains(&hour) && chance(&mut self.rng, 600) {
            let tonight = self.tonight(ts);
            return tonight - ts;
        }
        t - ts
    }

    /// How long a mule card waits after money arrives before acting (always > 30 s).
    fn mule_delay(&mut self, m: u32, role: Role, ts: i64) -> i64 {
        let r = self.rng.random_range(0..1000);
        let d = match role {
            Role::Collector if r < 700 => self.rng.random_range(60..600),
            Role::Collector if r < 900 => self.rng.random_range(600..3600),
            Role::Relay if r < 600 => self.rng.random_range(45..900),
            Role::Relay if r < 850 => self.rng.random_range(900..5400),
            Role::Cashout if r < 500 => self.rng.random_range(120..1800),
            Role::Cashout if r < 800 => self.rng.random_range(1800..3 * HOUR),
            _ => self.long_delay(ts),
        };
        let dwell = self.rings[self.mules[m as usize].ring as usize].dwell;
        let d = if dwell == 1.0 { d } else { (d as f64 * dwell) as i64 };
        d.max(MIN_HOP_SECS + 1)
    }

    fn mule_memo(&mut self) -> &'static str {
        pick::<&str>(&mut self.rng, &["", "", "", "", "", "转账", "转账", "货款", "还款"])
    }

    fn mule_step(&mut self, m: u32, ts: i64) -> Result<(), GenError> {
        let mi = m as usize;
        if self.mules[mi].plan.is_empty() {
            let e = self.mules[mi].eligible(ts);
            self.mules[mi].plan_cut = ts;
            if e < MIN_FORWARD {
                self.mule_follow_up(m, ts);
                return Ok(());
            }
            match self.mules[mi].role {
                // Habits: part of the money now, the rest hours to days later.
                Role::Collector | Role::Relay if self.hrng.random::<f64>() < self.habits.partial_pass => {
                    let now = (e as f64 * (0.3 + 0.5 * self.hrng.random::<f64>())) as i64;
                    self.plan_layering(m, now.max(MIN_FORWARD));
                    let later = self.hrng.random_range(2 * HOUR..72 * HOUR);
                    self.push(ts + later, 0, Act::Mule(m));
                }
                Role::Collector | Role::Relay => self.plan_layering(m, e),
                Role::Cashout => {
                    if self.plan_cashout(m, ts, e) {
                        return Ok(());
                    }
                }
            }
        }
        match self.mules[mi].plan.pop_front() {
            Some(pay) => {
                self.pay_stolen(m, ts, pay)?;
                if self.mules[mi].plan.is_empty() {
                    self.mule_follow_up(m, ts);
                } else {
                    self.push(ts + pay.gap, 0, Act::Mule(m));
                }
            }
            None => self.mule_follow_up(m, ts),
        }
        Ok(())
    }

    /// After a plan: act again if money arrived since it was made, else go idle.
    fn mule_follow_up(&mut self, m: u32, ts: i64) {
        let mule = &self.mules[m as usize];
        let cut = mule.plan_cut - MIN_HOP_SECS;
        let newest = mule.lots.iter().filter(|l| l.at > cut).map(|l| l.at).max();
        let role = mule.role;
        match newest {
            Some(at) => {
                let base = (at + MIN_HOP_SECS).max(ts);
                let delay = self.mule_delay(m, role, base);
                self.push(base + delay, 0, Act::Mule(m));
            }
            None => self.mules[m as usize].pending = false,
        }
    }

    fn pay_stolen(&mut self, m: u32, ts: i64, pay: Pay) -> Result<(), GenError> {
        let flows = self.mules[m as usize].consume(pay.amount, ts);
        let amount: i64 = flows.iter().map(|f| f.1).sum();
        debug_assert_eq!(amount, pay.amount);
        if amount == 0 {
            return Ok(());
        }
        let src = self.mules[m as usize].acct;
        self.emit(Tx { ts, src, dst: pay.dst, amount, ch: pay.ch, memo: pay.memo }, &flows)?;
        self.stats.mule_sent += 1;
        let hour = ts.rem_euclid(DAY) / HOUR;
        if !(6..20).contains(&hour) {
            self.stats.mule_sent_night += 1;
        }
        for &(c, a) in &flows {
            self.debit_stolen(src, c, a);
            self.credit_stolen(pay.dst, c, a, ts);
        }
        Ok(())
    }

    /// Collector/relay: split to 1–4 next-level cards.
    fn plan_layering(&mut self, m: u32, e: i64) {
        let (r, role, tier) = {
            let x = &self.mules[m as usize];
            (x.ring, x.role, x.tier)
        };
        let tiers = self.rings[r as usize].tiers;
        let (want_role, want_tier) = match role {
            Role::Collector if tiers > 0 && !chance(&mut self.rng, 100) => (Role::Relay, 1),
            Role::Relay if tier < tiers && !chance(&mut self.rng, 120) => (Role::Relay, tier + 1),
            _ => (Role::Cashout, 0),
        };
        // Habits: the shared cash-out crew. Drawn from the habits generator only when the habit is on, so
        // the original stream (and the sample world) is untouched.
        let crew = r - r % 3;
        let shared = want_role == Role::Cashout
            && crew != r
            && self.habits.shared_cashout > 0.0
            && self.hrng.random::<f64>() < self.habits.shared_cashout;
        let mut targets = self.ring_cards(if shared { crew } else { r }, want_role, want_tier);
        targets.retain(|&t| t != m);
        if targets.is_empty() {
            targets = self.ring_cards(r, Role::Cashout, 0);
            targets.retain(|&t| t != m);
        }
        if targets.is_empty() {
            return;
        }
        targets.shuffle(&mut self.rng);
        let k = if self.habits.wide_rings {
            self.hrng.random_range(3..=6usize).min(targets.len())
        } else {
            (weighted(&mut self.rng, &[15, 40, 30, 15]) + 1).min(targets.len())
        };
        let keep = if chance(&mut self.rng, 250) { (e / 100).min(self.rng.random_range(1_00..200_00)) } else { 0 };
        let parts = split(&mut self.rng, e - keep, k);
        for (i, &part) in parts.iter().enumerate() {
            let dst = self.mules[targets[i] as usize].acct;
            let mut chunks = Vec::new();
            if (50_000_00..=300_000_00).contains(&part) && chance(&mut self.rng, 400) {
                let size = *pick(&mut self.rng, &[49_900_00, 49_990_00, 49_999_00, 49_000_00]);
                let mut rest = part;
                while rest > size && chunks.len() < 6 {
                    chunks.push(size);
                    rest -= size;
                }
                chunks.push(rest);
            } else {
                chunks.push(part);
            }
            for amount in chunks {
                let memo = self.mule_memo();
                let gap = self.rng.random_range(20..=240);
                self.mules[m as usize].plan.push_back(Pay { dst, amount, ch: Channel::Transfer, memo, gap });
            }
        }
    }

    /// Cashout: ATM sessions (night preferred), OTC sellers, platforms, goods. Returns true when
    /// the card decided to wait for the night instead.
    fn plan_cashout(&mut self, m: u32, ts: i64, e: i64) -> bool {
        #[derive(PartialEq)]
        enum How {
            Atm,
            Goods,
            Platform,
            Otc,
        }
        let mi = m as usize;
        let hour = ts.rem_euclid(DAY) / HOUR;
        let how = if self.mules[mi].night {
            How::Atm
        } else {
            let w: [u32; 4] = if e <= 30_000_00 {
                [55, 15, 15, 15]
            } else if e <= 150_000_00 {
                [25, 15, 20, 40]
            } else {
                [10, 0, 30, 60]
            };
            match weighted(&mut self.rng, &w) {
                0 => How::Atm,
                1 => How::Goods,
                2 => How::Platform,
                _ => How::Otc,
            }
        };
        if how == How::Atm && !self.mules[mi].night && (7..20).contains(&hour) && chance(&mut self.rng, 700) {
            self.mules[mi].night = true;
            let t = self.tonight(ts);
            self.push(t, 0, Act::Mule(m));
            return true;
        }
        self.mules[mi].night = false;
        let mut rest = e;
        match how {
            How::Atm => {
                let day = ts.div_euclid(DAY);
                if self.mules[mi].atm_day != day {
                    self.mules[mi].atm_day = day;
                    self.mules[mi].atm_today = 0;
                }
                let cap = ATM_DAILY_CAP - self.mules[mi].atm_today;
                let w = *pick(&mut self.rng, &[2_000_00, 2_500_00, 3_000_00, 4_900_00, 5_000_00]);
                let own_bank = usize::from(self.accounts[self.mules[mi].acct as usize].bank);
                let bank = if chance(&mut self.rng, 600) { own_bank } else { self.rng.random_range(0..BANKS.len()) };
                let atm = *pick(&mut self.rng, &self.atms[bank]);
                let n = (rest / w).min(cap / w).min(8);
                let mut amounts = vec![w; n as usize];
                if n == 0 {
                    let single = rest.min(cap) / 100_00 * 100_00;
                    if single >= 500_00 {
                        amounts.push(single);
                    }
                }
                for a in amounts {
                    let gap = self.rng.random_range(25..=90);
                    self.mules[mi]
                        .plan
                        .push_back(Pay { dst: atm, amount: a, ch: Channel::Atm, memo: "ATM取款", gap });
                    self.mules[mi].atm_today += a;
                    rest -= a;
                }
            }
            How::Goods => {
                let mi_idx = *pick(&mut self.rng, &self.hv_merchants);
                let shop = self.merchants[mi_idx as usize].acct;
                for _ in 0..self.rng.random_range(1..=3) {
                    let price = if chance(&mut self.rng, 600) {
                        *pick(
                            &mut self.rng,
                            &[4_999_00, 5_999_00, 6_999_00, 7_999_00, 8_999_00, 9_999_00, 12_999_00, 15_999_00],
                        )
                    } else {
                        self.rng.random_range(10..=100) * self.rng.random_range(560_00..=640_00)
                    };
                    if price > rest {
                        break;
                    }
                    let gap = self.rng.random_range(60..=600);
                    // Habits: paid by scanning the shop's QR code, a plain transfer in the bank's records.
                    let ch = if self.habits.unlabelled_sinks { Channel::Transfer } else { Channel::Pos };
                    self.mules[mi].plan.push_back(Pay { dst: shop, amount: price, ch, memo: "消费", gap });
                    rest -= price;
                }
            }
            How::Platform | How::Otc => {}
        }
        if rest >= 1_000_00 {
            let keep = if chance(&mut self.rng, 300) { self.rng.random_range(0..=(rest / 50).min(500_00)) } else { 0 };
            let total = rest - keep;
            let to_platform = how == How::Platform || (how != How::Otc && chance(&mut self.rng, 300));
            let k = self.rng.random_range(1..=3);
            let parts = split(&mut self.rng, total, k);
            let r = self.mules[mi].ring as usize;
            for amount in parts {
                let (dst, ch, memo, gap) = if to_platform {
                    let d = self.platforms[weighted(&mut self.rng, &[60, 40])];
                    (d, Channel::ThirdParty, "充值", self.rng.random_range(20..=180))
                } else {
                    let d = *pick(&mut self.rng, &self.rings[r].otc);
                    let memo = *pick(&mut self.rng, &["", "", "货款", "转账"]);
                    (d, Channel::Transfer, memo, self.rng.random_range(30..=300))
                };
                self.mules[mi].plan.push_back(Pay { dst, amount, ch, memo, gap });
            }
        }
        false
    }

    // -----------------------------------------------------------------------------------------
    // Writing the world
    // -----------------------------------------------------------------------------------------

    fn finish(mut self, config: &WorldConfig, out_dir: &Path) -> Result<WorldSummary, GenError> {
        let truth = out_dir.join("truth");
        // Cards opened for rings: opened 2–21 days before first use; never-used ones vanish.
        let mut used_mule = vec![false; self.accounts.len()];
        for mi in 0..self.mules.len() {
            let (acct, first, rented) = {
                let m = &self.mules[mi];
                (m.acct as usize, m.first_use, m.rented)
            };
            if first == i64::MAX {
                continue;
            }
            used_mule[acct] = true;
            if !rented {
                let days_before = self.rng.random_range(2..=21);
                self.accounts[acct].opened_day = first.div_euclid(DAY) - days_before;
            }
        }
        let emit_acct: Vec<bool> = (0..self.accounts.len())
            .map(|a| {
                let m = self.accounts[a].mule;
                m == NONE || self.mules[m as usize].rented || used_mule[a]
            })
            .collect();
        let mut order: Vec<u32> = (0..self.accounts.len() as u32).filter(|&a| emit_acct[a as usize]).collect();
        order.sort_by(|&a, &b| self.accounts[a as usize].id.cmp(&self.accounts[b as usize].id));

        // accounts.csv
        let mut w = Csv::create(
            out_dir.join("accounts.csv"),
            &["account_id", "holder_id", "holder_name", "phone", "device_id", "bank", "branch", "opened_at", "kind"],
        )?;
        let attributes = self.habits.attributes;
        let personal_shops: std::collections::HashSet<u32> =
            self.merchants.iter().filter(|m| m.personal_shop).map(|m| m.acct).collect();
        for &a in &order {
            let acc = &self.accounts[a as usize];
            // Habits: bank data without kinds for sinks (the truth keeps them, in lookalikes.csv).
            let kind = match acc.kind {
                Kind::Otc if self.habits.unlabelled_sinks => "personal",
                Kind::Merchant if self.habits.unlabelled_sinks && personal_shops.contains(&a) => "personal",
                Kind::Merchant | Kind::ThirdParty if self.habits.unlabelled_sinks => "corporate",
                k => k.as_str(),
            };
            let h = &self.holders[acc.holder as usize];
            let opened = date_string(acc.opened_day);
            // Habits: most bank data carries neither the device nor the phone.
            let (phone, device) = if attributes { (acc.phone.as_str(), acc.device.as_str()) } else { ("", "") };
            w.row([
                acc.id.as_str(),
                h.id.as_str(),
                h.name.as_str(),
                phone,
                device,
                bank_code(acc.bank),
                acc.branch.as_str(),
                opened.as_str(),
                kind,
            ])?;
        }
        w.finish()?;

        // opening_balances.csv
        let mut w = Csv::create(truth.join("opening_balances.csv"), &["account", "amount"])?;
        for &a in &order {
            let acc = &self.accounts[a as usize];
            if acc.opening != 0 {
                w.row([acc.id.as_str(), fen_to_yuan(acc.opening).as_str()])?;
            }
        }
        w.finish()?;

        // mules.csv
        let mut mule_rows: Vec<(String, String, &'static str, bool)> = self
            .mules
            .iter()
            .filter(|m| m.first_use != i64::MAX)
            .map(|m| {
                (
                    self.rings[m.ring as usize].id.clone(),
                    self.accounts[m.acct as usize].id.clone(),
                    m.role.as_str(),
                    m.rented,
                )
            })
            .collect();
        mule_rows.sort();
        let mut w = Csv::create(truth.join("mules.csv"), &["account", "ring_id", "role", "rented"])?;
        for (ring, acct, role, rented) in &mule_rows {
            w.row([acct.as_str(), ring.as_str(), role, if *rented { "true" } else { "false" }])?;
        }
        w.finish()?;
        let mut rings_used: Vec<&String> = mule_rows.iter().map(|r| &r.0).collect();
        rings_used.dedup();

        // lookalikes.csv
        let mut look: Vec<(u32, &'static str)> = Vec::new();
        for m in &self.merchants {
            look.push((m.acct, "merchant"));
        }
        for e in &self.employers {
            if e.employees.len() >= 2 {
                look.push((e.acct, "payroll"));
            }
        }
        for &p in &self.platforms {
            look.push((p, "platform"));
        }
        for p in &self.persons {
            if p.role == PRole::Forwarder {
                look.push((p.cards[0], "forwarder"));
            }
        }
        for w in &self.wholesalers {
            look.push((w.card, "wholesaler"));
        }
        // Unlabelled OTC sellers' cards look like anyone's in accounts.csv; the truth names them.
        if self.habits.unlabelled_sinks {
            look.extend(self.otc.iter().map(|&a| (a, "otc")));
        }
        look.extend(self.extra_lookalikes.iter().copied());
        look.retain(|&(a, _)| self.accounts[a as usize].mule == NONE);
        look.sort_by(|a, b| self.accounts[a.0 as usize].id.cmp(&self.accounts[b.0 as usize].id));
        look.dedup_by_key(|x| x.0);
        let mut w = Csv::create(truth.join("lookalikes.csv"), &["account", "kind"])?;
        for &(a, kind) in &look {
            w.row([self.accounts[a as usize].id.as_str(), kind])?;
        }
        w.finish()?;

        // cases, holdings, terminals
        let mut cases: Vec<&Case> = self.cases.iter().filter(|c| !c.public.is_empty()).collect();
        cases.sort_by(|a, b| a.public.cmp(&b.public));
        let mut wc = Csv::create(
            truth.join("cases.csv"),
            &["case_id", "victim_account", "scam_type", "report_time", "stolen_amount", "seed_txn_ids"],
        )?;
        let mut wh = Csv::create(truth.join("holdings.csv"), &["case_id", "account", "amount"])?;
        let mut wt = Csv::create(truth.join("terminals.csv"), &["case_id", "account", "kind", "amount"])?;
        let (mut stolen, mut held, mut terminal) = (0i64, 0i64, 0i64);
        for c in &cases {
            debug_assert!(c.reported);
            let seeds: Vec<String> = c.seeds.iter().map(|&t| txn_id(t)).collect();
            wc.row([
                c.public.as_str(),
                self.accounts[c.victim_card as usize].id.as_str(),
                c.scam.as_str(),
                ts_string(c.report_ts).as_str(),
                fen_to_yuan(c.stolen).as_str(),
                seeds.join(";").as_str(),
            ])?;
            stolen += c.stolen;
            let mut hold: Vec<(&str, i64)> = c
                .pos
                .iter()
                .filter(|(_, &v)| v != 0)
                .map(|(&a, &v)| (self.accounts[a as usize].id.as_str(), v))
                .collect();
            hold.sort_unstable();
            for (a, v) in hold {
                held += v;
                wh.row([c.public.as_str(), a, fen_to_yuan(v).as_str()])?;
            }
            let mut term: Vec<(&str, &str, i64)> = c
                .term
                .iter()
                .filter(|(_, &v)| v != 0)
                .map(|(&a, &v)| {
                    let acc = &self.accounts[a as usize];
                    (acc.id.as_str(), acc.kind.terminal().unwrap_or("cash"), v)
                })
                .collect();
            term.sort_unstable();
            for (a, kind, v) in term {
                terminal += v;
                wt.row([c.public.as_str(), a, kind, fen_to_yuan(v).as_str()])?;
            }
        }
        wc.finish()?;
        wh.finish()?;
        wt.finish()?;
        self.transfers.finish()?;
        self.flows.finish()?;

        let person_days = config.persons as u64 * u64::from(config.days);
        let s = &self.stats;
        Ok(WorldSummary {
            transfers: s.transfers,
            accounts: order.len() as u64,
            cases: cases.len() as u64,
            rings: rings_used.len() as u64,
            mule_cards: mule_rows.len() as u64,
            rented_mule_cards: mule_rows.iter().filter(|r| r.3).count() as u64,
            stolen_fen: stolen,
            held_fen: held,
            terminal_fen: terminal,
            fraud_transfers: s.fraud_transfers,
            case_flow_rows: s.flow_rows,
            lookalikes: look.len() as u64,
            persons: config.persons as u64,
            days: u64::from(config.days),
            transfers_per_1000_person_days: s.transfers * 1000 / person_days.max(1),
            mule_night_permille: s.mule_sent_night * 1000 / s.mule_sent.max(1),
            world_start: ts_string(self.start_day * DAY),
            world_end: ts_string(self.end_ts),
        })
    }
}

fn bank_code(b: u8) -> &'static str {
    if b >= 100 {
        PLATFORMS[usize::from(b - 100)].0
    } else {
        BANKS[usize::from(b)].code
    }
}
