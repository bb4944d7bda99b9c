//! Account features for mule-card detection, computed over the whole graph in parallel.
//!
//! Their definition is written in `jobs/spark/FEATURES.md`, which the Spark job implements too; a change here
//! is a change there (`make spark-test` compares the two account by account).
//!
//! Each account's ledger is read once; memory is one account's ledger per worker plus the attribute
//! table (one small record per account).

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{Offset, TimeZone, Timelike};
use chrono_tz::Tz;
use rayon::prelude::*;
use serde::Serialize;

use crate::graph::{Direction, GraphResult, TransferGraph};
use crate::model::{AccountAttrs, AccountId, AccountKind, AttrKind, ChannelKind};

use crate::policy::{
    RING_PASS_DAY_WINDOW_MS, RING_PASS_WINDOW_MS, RING_ROUND_FEN, RING_ROUND_LIMITS_YUAN, RING_UNDER_LIMIT_FEN,
};
use crate::timefmt::{DAY_MS, MINUTE_MS};

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct AccountFeatures {
    #[serde(skip)]
    pub id: AccountId,
    pub kind: String,
    pub in_count: u32,
    pub out_count: u32,
    pub in_fen: i64,
    pub out_fen: i64,
    pub senders: u32,
    pub receivers: u32,
    /// Distinct accounts it paid or was paid by, each counted once (what makes a hub: `policy::is_hub`).
    pub counterparties: u32,
    /// Share of incoming money that left within an hour (FIFO matching of outflows to inflows).
    pub pass_through_1h: f64,
    /// Share of incoming money that left within 24 hours (FIFO): cards that hold money for hours.
    pub pass_through_24h: f64,
    /// Share of incoming money that left within the hour, matching each outflow to the latest money in
    /// (LIFO): what a rented card passes on while its owner's own balance and spending stay.
    pub lifo_pass_1h: f64,
    /// The same within 24 hours (LIFO).
    pub lifo_pass_24h: f64,
    /// Money from one-off senders: senders seen on one day only, not paying salary (victims, other
    /// cards of a ring), as opposed to the employer, family and customers who come back.
    pub one_off_in_fen: i64,
    pub one_off_senders: u32,
    /// Share of the one-off senders' money that left within 24 hours (LIFO).
    pub one_off_pass_24h: f64,
    /// Share of the account's transfers on its busiest three consecutive days (a new card's burst).
    pub burst_share: f64,
    /// Amount-weighted median minutes between arrival and departure of money that left.
    pub median_dwell_min: Option<f64>,
    /// Share of all incoming money still in the account at the end.
    pub balance_left_share: f64,
    /// Days from opening to the first recorded transfer.
    pub age_at_first_activity_days: Option<i64>,
    /// Longest silence (days) before the busiest day.
    pub dormancy_before_burst_days: i64,
    /// Share of transfers (in and out) between 00:00 and 06:00 local time.
    pub night_share: f64,
    /// Share of outgoing transfers at whole hundreds of yuan or just under a common limit.
    pub round_or_under_limit_share: f64,
    /// Share of incoming money that came as salary.
    pub salary_in_share: f64,
    /// Share of outgoing money paid as salary (an employer's payroll account).
    pub salary_out_share: f64,
    /// Share of outgoing money to terminals (ATM, OTC, platform, merchant).
    pub terminal_out_share: f64,
    /// Distinct holders among the cards using this card's device (1: only its own holder).
    pub holders_on_device: u32,
    /// Distinct holders among the cards using this card's phone number.
    pub holders_on_phone: u32,
    /// Cards of this card's holder.
    pub cards_of_holder: u32,
    /// Distinct holders whose phone numbers form one run of consecutive numbers with this card's (号段, a
    /// batch a card dealer bought); 1 when the number has no near neighbour.
    pub holders_in_phone_run: u32,
    /// Distinct holders with a card opened at this card's branch within a week of its opening.
    pub holders_in_branch_cohort: u32,
    /// Distinct holders on the login IPs or MAC addresses this card's statement lines showed.
    pub holders_on_login: u32,
    pub first_ts_ms: i64,
    pub last_ts_ms: i64,
}

fn is_terminal_transfer(dst_kind: &AccountKind, channel: ChannelKind) -> bool {
    crate::trace::TerminalKind::of_transfer(dst_kind, channel).is_some()
}

/// Amounts mule cards favour: whole hundreds, or just under a transfer or withdrawal limit.
fn round_or_under_limit(fen: i64) -> bool {
    fen % RING_ROUND_FEN == 0
        || RING_ROUND_LIMITS_YUAN.iter().any(|l| fen < l * 100 && fen >= l * 100 - RING_UNDER_LIMIT_FEN)
}

static NO_ATTRS: AccountAttrs = AccountAttrs {
    holder_id: String::new(),
    holder_name: String::new(),
    phone: String::new(),
    device_id: String::new(),
    bank: String::new(),
    branch: String::new(),
    opened_at_days: None,
    kind: AccountKind::Unknown,
};

/// The attribute table and the sharing counts derived from it: every account (whole-graph detection),
/// or only what one account's features need.
pub struct AttrTable {
    dense: Vec<AccountAttrs>,
    sparse: HashMap<AccountId, AccountAttrs>,
    holders_by_device: HashMap<String, HashSet<String>>,
    holders_by_phone: HashMap<String, HashSet<String>>,
    cards_by_holder: HashMap<String, u32>,
    /// Phone number → (first number of its run of consecutive numbers, distinct holders in the run).
    phone_runs: HashMap<String, (u64, u32)>,
    /// (branch, opening day) → distinct holders with a card opened there within a week.
    cohort_holders: HashMap<(String, i32), u32>,
    /// Login IPs and MACs statements showed: per account its values, per value its holders.
    logins_of: HashMap<AccountId, Vec<(AttrKind, String)>>,
    holders_by_login: HashMap<(AttrKind, String), HashSet<String>>,
}

/// Login attributes (from statement lines) of every account that has any.
fn login_values<G: TransferGraph>(g: &G) -> GraphResult<Vec<(AttrKind, String, AccountId)>> {
    let mut out = Vec::new();
    for kind in [AttrKind::Ip, AttrKind::Mac] {
        out.extend(g.attribute_range(kind, "", None)?.into_iter().map(|(v, id)| (kind, v, id)));
    }
    Ok(out)
}

/// A phone number as a number, when it is one (11 digits, mainland mobile) and so can be in a run.
fn phone_number(phone: &str) -> Option<u64> {
    (phone.len() == 11 && phone.bytes().all(|b| b.is_ascii_digit())).then(|| phone.parse().ok()).flatten()
}

/// The holder an account counts as: its holder id, or the account itself when the id is missing.
fn holder_key(id: AccountId, a: &AccountAttrs) -> String {
    if a.holder_id.is_empty() {
        format!("card:{id}")
    } else {
        a.holder_id.clone()
    }
}

impl AttrTable {
    /// Every account's attributes.
    pub fn load<G: TransferGraph + Sync>(g: &G) -> GraphResult<AttrTable> {
        let n = g.account_count();
        let dense: Vec<AccountAttrs> =
            (0..n).into_par_iter().map(|id| g.account_attrs(id)).collect::<GraphResult<_>>()?;
        Ok(Self::from_parts(dense, HashMap::new(), login_values(g)?))
    }

    /// What one account's features need: the account, its counterparties, the accounts sharing its
    /// device, phone, holder, login IPs and MACs, the numbers next to its phone, and its branch's cards.
    pub fn around<G: TransferGraph>(g: &G, id: AccountId) -> GraphResult<AttrTable> {
        let mut sparse = HashMap::new();
        let own = g.account_attrs(id)?;
        let mut ids: HashSet<AccountId> = HashSet::new();
        for (kind, value) in own.shared_attributes() {
            ids.extend(g.accounts_sharing(kind, value)?);
        }
        if let Some(n) = phone_number(&own.phone) {
            let span = 8 * crate::policy::RING_PHONE_RUN_GAP;
            let (lo, hi) = (n.saturating_sub(span), n + span);
            ids.extend(
                g.attribute_range(AttrKind::Phone, &lo.to_string(), Some(&hi.to_string()))?.into_iter().map(|(_, a)| a),
            );
        }
        let logins: Vec<_> = login_values(g)?;
        let own_logins: HashSet<(AttrKind, &str)> =
            logins.iter().filter(|(_, _, a)| *a == id).map(|(k, v, _)| (*k, v.as_str())).collect();
        ids.extend(logins.iter().filter(|(k, v, _)| own_logins.contains(&(*k, v.as_str()))).map(|(_, _, a)| *a));
        for dir in [Direction::In, Direction::Out] {
            g.for_each_edge(id, dir, i64::MIN, i64::MAX, &mut |e| {
                ids.insert(e.counterparty);
                true
            })?;
        }
        for other in ids {
            if other != id {
                sparse.insert(other, g.account_attrs(other)?);
            }
        }
        sparse.insert(id, own);
        Ok(Self::from_parts(Vec::new(), sparse, logins))
    }

    fn from_parts(
        dense: Vec<AccountAttrs>,
        sparse: HashMap<AccountId, AccountAttrs>,
        logins: Vec<(AttrKind, String, AccountId)>,
    ) -> AttrTable {
        let mut holders_by_device: HashMap<String, HashSet<String>> = HashMap::new();
        let mut holders_by_phone: HashMap<String, HashSet<String>> = HashMap::new();
        let mut cards_by_holder: HashMap<String, u32> = HashMap::new();
        let mut numbers: Vec<(u64, String)> = Vec::new();
        let mut openings: HashMap<&str, Vec<(i32, String)>> = HashMap::new();
        let all = dense.iter().enumerate().map(|(i, a)| (i as AccountId, a)).chain(sparse.iter().map(|(i, a)| (*i, a)));
        for (id, a) in all.clone() {
            let holder = holder_key(id, a);
            if !a.holder_id.is_empty() {
                *cards_by_holder.entry(holder.clone()).or_default() += 1;
            }
            if !a.device_id.is_empty() {
                holders_by_device.entry(a.device_id.clone()).or_default().insert(holder.clone());
            }
            if !a.phone.is_empty() {
                holders_by_phone.entry(a.phone.clone()).or_default().insert(holder.clone());
            }
            if let Some(n) = phone_number(&a.phone) {
                numbers.push((n, holder.clone()));
            }
            if let (false, Some(day)) = (a.branch.is_empty(), a.opened_at_days) {
                openings.entry(a.branch.as_str()).or_default().push((day, holder));
            }
        }
        // Runs: numbers sorted, neighbours at most the gap apart chain into one run.
        numbers.sort_unstable();
        numbers.dedup();
        // A run is of distinct numbers: one number of several holders is sharing, counted as such.
        let mut phone_runs = HashMap::new();
        let mut start = 0;
        for i in 1..=numbers.len() {
            if i == numbers.len() || numbers[i].0 - numbers[i - 1].0 > crate::policy::RING_PHONE_RUN_GAP {
                let run = &numbers[start..i];
                let distinct = run.iter().map(|(n, _)| n).collect::<HashSet<_>>().len();
                let holders = run.iter().map(|(_, h)| h).collect::<HashSet<_>>().len() as u32;
                if distinct > 1 && holders > 1 {
                    for (n, _) in run {
                        phone_runs.insert(n.to_string(), (run[0].0, holders));
                    }
                }
                start = i;
            }
        }
        // Cohorts: per branch, the distinct holders opening a card within the window around each day.
        let mut cohort_holders = HashMap::new();
        let w = crate::policy::RING_COHORT_DAYS;
        for (branch, mut list) in openings {
            list.sort_unstable();
            let mut days: Vec<i32> = list.iter().map(|(d, _)| *d).collect();
            days.dedup();
            for day in days {
                let lo = list.partition_point(|(d, _)| *d < day - w);
                let hi = list.partition_point(|(d, _)| *d <= day + w);
                let holders = list[lo..hi].iter().map(|(_, h)| h).collect::<HashSet<_>>().len() as u32;
                if holders > 1 {
                    cohort_holders.insert((branch.to_string(), day), holders);
                }
            }
        }
        let mut logins_of: HashMap<AccountId, Vec<(AttrKind, String)>> = HashMap::new();
        let mut holders_by_login: HashMap<(AttrKind, String), HashSet<String>> = HashMap::new();
        let attrs_of = |id: AccountId| dense.get(id as usize).or_else(|| sparse.get(&id));
        for (kind, value, id) in logins {
            let holder = attrs_of(id).map_or_else(|| format!("card:{id}"), |a| holder_key(id, a));
            holders_by_login.entry((kind, value.clone())).or_default().insert(holder);
            logins_of.entry(id).or_default().push((kind, value));
        }
        AttrTable {
            dense,
            sparse,
            holders_by_device,
            holders_by_phone,
            cards_by_holder,
            phone_runs,
            cohort_holders,
            logins_of,
            holders_by_login,
        }
    }

    /// An account's attributes (empty when unknown or not loaded).
    pub fn get(&self, id: AccountId) -> &AccountAttrs {
        self.dense.get(id as usize).or_else(|| self.sparse.get(&id)).unwrap_or(&NO_ATTRS)
    }

    /// Accounts loaded.
    pub fn len(&self) -> usize {
        self.dense.len() + self.sparse.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn kind(&self, id: AccountId) -> &AccountKind {
        &self.get(id).kind
    }

    /// The login IPs and MACs statements showed for an account.
    pub fn logins(&self, id: AccountId) -> &[(AttrKind, String)] {
        self.logins_of.get(&id).map_or(&[], Vec::as_slice)
    }

    fn holders_on_device(&self, a: &AccountAttrs) -> u32 {
        if a.device_id.is_empty() {
            return 1;
        }
        self.holders_by_device.get(&a.device_id).map_or(1, |s| s.len() as u32)
    }

    fn holders_on_phone(&self, a: &AccountAttrs) -> u32 {
        if a.phone.is_empty() {
            return 1;
        }
        self.holders_by_phone.get(&a.phone).map_or(1, |s| s.len() as u32)
    }

    fn cards_of_holder(&self, a: &AccountAttrs) -> u32 {
        self.cards_by_holder.get(&a.holder_id).copied().unwrap_or(1)
    }

    fn holders_in_phone_run(&self, a: &AccountAttrs) -> u32 {
        self.phone_runs.get(&a.phone).map_or(1, |r| r.1)
    }

    /// The run of consecutive numbers (its first number) a phone number belongs to, if any.
    pub fn phone_run(&self, phone: &str) -> Option<u64> {
        self.phone_runs.get(phone).map(|r| r.0)
    }

    fn holders_in_branch_cohort(&self, a: &AccountAttrs) -> u32 {
        match a.opened_at_days {
            Some(day) if !a.branch.is_empty() => {
                self.cohort_holders.get(&(a.branch.clone(), day)).copied().unwrap_or(1)
            }
            _ => 1,
        }
    }

    fn holders_on_login(&self, id: AccountId) -> u32 {
        self.logins(id)
            .iter()
            .filter_map(|(k, v)| self.holders_by_login.get(&(*k, v.clone())))
            .map(|s| s.len() as u32)
            .max()
            .unwrap_or(1)
    }
}

/// Features of one account from its ledger.
pub fn account_features<G: TransferGraph>(
    g: &G,
    table: &AttrTable,
    id: AccountId,
    tz: Tz,
) -> GraphResult<AccountFeatures> {
    let a = table.get(id);
    let ins = g.edges(id, Direction::In, i64::MIN, i64::MAX)?;
    let outs = g.edges(id, Direction::Out, i64::MIN, i64::MAX)?;
    let mut f = AccountFeatures {
        id,
        kind: a.kind.as_str().to_string(),
        in_count: ins.len() as u32,
        out_count: outs.len() as u32,
        in_fen: ins.iter().map(|e| e.amount_fen).sum(),
        out_fen: outs.iter().map(|e| e.amount_fen).sum(),
        holders_on_device: table.holders_on_device(a),
        holders_on_phone: table.holders_on_phone(a),
        cards_of_holder: table.cards_of_holder(a),
        holders_in_phone_run: table.holders_in_phone_run(a),
        holders_in_branch_cohort: table.holders_in_branch_cohort(a),
        holders_on_login: table.holders_on_login(id),
        ..Default::default()
    };
    f.senders = ins.iter().map(|e| e.counterparty).collect::<HashSet<_>>().len() as u32;
    f.receivers = outs.iter().map(|e| e.counterparty).collect::<HashSet<_>>().len() as u32;
    f.counterparties = ins.iter().chain(outs.iter()).map(|e| e.counterparty).collect::<HashSet<_>>().len() as u32;
    let first = ins.iter().chain(&outs).map(|e| e.ts_ms).min();
    let last = ins.iter().chain(&outs).map(|e| e.ts_ms).max();
    f.first_ts_ms = first.unwrap_or(0);
    f.last_ts_ms = last.unwrap_or(0);
    if let (Some(first), Some(opened)) = (first, a.opened_at_days) {
        f.age_at_first_activity_days = Some(first.div_euclid(DAY_MS) - i64::from(opened));
    }
    // FIFO matching of outflows to inflows, in time order (ties: inflows first).
    let mut events: Vec<(i64, bool, i64)> = ins.iter().map(|e| (e.ts_ms, false, e.amount_fen)).collect();
    events.extend(outs.iter().map(|e| (e.ts_ms, true, e.amount_fen)));
    events.sort_by_key(|&(ts, out, _)| (ts, out));
    let mut queue: VecDeque<(i64, i64)> = VecDeque::new();
    let mut passed_fast = 0i64;
    let mut passed_day = 0i64;
    let mut dwells: Vec<(i64, i64)> = Vec::new();
    for &(ts, out, amount) in &events {
        if !out {
            queue.push_back((ts, amount));
            continue;
        }
        let mut need = amount;
        while need > 0 {
            let Some(front) = queue.front_mut() else { break };
            let part = front.1.min(need);
            let dwell = ts - front.0;
            if dwell <= RING_PASS_WINDOW_MS {
                passed_fast += part;
            }
            if dwell <= RING_PASS_DAY_WINDOW_MS {
                passed_day += part;
            }
            dwells.push((dwell, part));
            front.1 -= part;
            need -= part;
            if front.1 == 0 {
                queue.pop_front();
            }
        }
    }
    // One-off senders: seen on one day only and not paying salary.
    let mut sender_days: HashMap<AccountId, HashSet<i64>> = HashMap::new();
    for e in &ins {
        sender_days.entry(e.counterparty).or_default().insert(e.ts_ms.div_euclid(DAY_MS));
    }
    let one_off = |e: &crate::graph::Edge| e.channel != ChannelKind::Salary && sender_days[&e.counterparty].len() == 1;
    f.one_off_in_fen = ins.iter().filter(|e| one_off(e)).map(|e| e.amount_fen).sum();
    f.one_off_senders = ins.iter().filter(|e| one_off(e)).map(|e| e.counterparty).collect::<HashSet<_>>().len() as u32;
    // LIFO: each outflow takes the latest money in first (a rented card's own balance stays put).
    let mut ins_one_off = ins.iter().map(one_off);
    let mut tagged: Vec<(i64, bool, i64, bool)> = Vec::with_capacity(events.len());
    let (mut in_i, mut out_i) = (0usize, 0usize);
    for &(ts, out, amount) in &events {
        if out {
            out_i += 1;
            tagged.push((ts, true, amount, false));
        } else {
            in_i += 1;
            tagged.push((ts, false, amount, ins_one_off.next().unwrap_or(false)));
        }
    }
    debug_assert_eq!((in_i, out_i), (ins.len(), outs.len()));
    let mut stack: Vec<(i64, i64, bool)> = Vec::new();
    let (mut lifo_fast, mut lifo_day, mut one_off_day) = (0i64, 0i64, 0i64);
    for (ts, out, amount, off) in tagged {
        if !out {
            stack.push((ts, amount, off));
            continue;
        }
        let mut need = amount;
        while need > 0 {
            let Some(top) = stack.last_mut() else { break };
            let part = top.1.min(need);
            let dwell = ts - top.0;
            if dwell <= RING_PASS_WINDOW_MS {
                lifo_fast += part;
            }
            if dwell <= RING_PASS_DAY_WINDOW_MS {
                lifo_day += part;
                if top.2 {
                    one_off_day += part;
                }
            }
            top.1 -= part;
            need -= part;
            if top.1 == 0 {
                stack.pop();
            }
        }
    }
    if f.one_off_in_fen > 0 {
        f.one_off_pass_24h = one_off_day as f64 / f.one_off_in_fen as f64;
    }
    if f.in_fen > 0 {
        f.pass_through_1h = passed_fast as f64 / f.in_fen as f64;
        f.pass_through_24h = passed_day as f64 / f.in_fen as f64;
        f.lifo_pass_1h = lifo_fast as f64 / f.in_fen as f64;
        f.lifo_pass_24h = lifo_day as f64 / f.in_fen as f64;
        f.balance_left_share = queue.iter().map(|(_, a)| *a).sum::<i64>() as f64 / f.in_fen as f64;
        let salary: i64 = ins.iter().filter(|e| e.channel == ChannelKind::Salary).map(|e| e.amount_fen).sum();
        f.salary_in_share = salary as f64 / f.in_fen as f64;
    }
    if !dwells.is_empty() {
        dwells.sort_unstable();
        let half = dwells.iter().map(|d| d.1).sum::<i64>() / 2;
        let mut acc = 0;
        for (d, w) in &dwells {
            acc += w;
            if acc >= half {
                f.median_dwell_min = Some(*d as f64 / MINUTE_MS as f64);
                break;
            }
        }
    }
    if f.out_fen > 0 {
        let salary: i64 = outs.iter().filter(|e| e.channel == ChannelKind::Salary).map(|e| e.amount_fen).sum();
        f.salary_out_share = salary as f64 / f.out_fen as f64;
        let term: i64 = outs
            .iter()
            .filter(|e| is_terminal_transfer(table.kind(e.counterparty), e.channel))
            .map(|e| e.amount_fen)
            .sum();
        f.terminal_out_share = term as f64 / f.out_fen as f64;
    }
    let all = ins.len() + outs.len();
    if all > 0 {
        let offset_ms = |ts: i64| {
            tz.offset_from_utc_datetime(&chrono::DateTime::from_timestamp_millis(ts).unwrap_or_default().naive_utc())
                .fix()
                .local_minus_utc() as i64
                * 1000
        };
        let night = ins.iter().chain(&outs).filter(|e| {
            let local = chrono::DateTime::from_timestamp_millis(e.ts_ms + offset_ms(e.ts_ms)).unwrap_or_default();
            local.hour() < 6
        });
        f.night_share = night.count() as f64 / all as f64;
    }
    if !outs.is_empty() {
        f.round_or_under_limit_share =
            outs.iter().filter(|e| round_or_under_limit(e.amount_fen)).count() as f64 / outs.len() as f64;
    }
    // Dormancy before the busiest day: the longest gap that ends on the day with the most transfers.
    let mut days: Vec<i64> = ins.iter().chain(&outs).map(|e| e.ts_ms.div_euclid(DAY_MS)).collect();
    days.sort_unstable();
    if !days.is_empty() {
        // Busiest three consecutive days (sliding window over the sorted days).
        let (mut lo, mut best) = (0usize, 0usize);
        for hi in 0..days.len() {
            while days[hi] - days[lo] >= 3 {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        f.burst_share = best as f64 / days.len() as f64;
    }
    if let Some(busiest) = busiest_day(&days) {
        let before = days.iter().filter(|d| **d < busiest).max();
        f.dormancy_before_burst_days = before.map_or(0, |b| busiest - b);
        if let (None, Some(opened)) = (before, a.opened_at_days) {
            f.dormancy_before_burst_days = busiest - i64::from(opened);
        }
    }
    Ok(f)
}

fn busiest_day(sorted_days: &[i64]) -> Option<i64> {
    let mut best: Option<(usize, i64)> = None;
    let mut i = 0;
    while i < sorted_days.len() {
        let mut j = i;
        while j < sorted_days.len() && sorted_days[j] == sorted_days[i] {
            j += 1;
        }
        if best.is_none_or(|(n, _)| j - i > n) {
            best = Some((j - i, sorted_days[i]));
        }
        i = j;
    }
    best.map(|(_, d)| d)
}

/// Features of every account, in parallel.
pub fn all_features<G: TransferGraph + Sync>(g: &G, table: &AttrTable, tz: Tz) -> GraphResult<Vec<AccountFeatures>> {
    (0..g.account_count()).into_par_iter().map(|id| account_features(g, table, id, tz)).collect()
}
