//! Independent checks of generated worlds: everything here is recomputed from the written files,
//! never from the generator's internal state.

// Money literals are written as yuan_fen (`1_299_00` is 1,299.00 yuan).
#![allow(clippy::inconsistent_digit_grouping)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::time::{civil_from_days, days_from_civil, format_ts, parse_ts, DAY};
use super::util::{fen_to_yuan, luhn_digit};
use super::{generate, GenError, WorldConfig, WorldSummary};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("moneytrail-gen-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect();
        Table { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }
}

/// Strict money parser: digits, a dot, exactly two decimals.
fn fen(s: &str) -> i64 {
    let (y, f) = s.split_once('.').unwrap_or_else(|| panic!("bad amount {s:?}"));
    assert!(f.len() == 2 && f.bytes().all(|b| b.is_ascii_digit()), "bad amount {s:?}");
    assert!(!y.is_empty() && y.bytes().all(|b| b.is_ascii_digit()), "bad amount {s:?}");
    y.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
}

fn ts(s: &str) -> i64 {
    parse_ts(s).unwrap_or_else(|| panic!("bad timestamp {s:?}"))
}

struct Transfer {
    id: String,
    ts: i64,
    src: String,
    dst: String,
    amount: i64,
    channel: String,
}

struct World {
    dir: PathBuf,
    summary: WorldSummary,
    transfers: Vec<Transfer>,
    accounts: Table,
    kind: HashMap<String, String>,
}

impl World {
    fn truth(&self, name: &str) -> Table {
        Table::read(&self.dir.join("truth").join(name))
    }
}

fn load(dir: &Path, summary: WorldSummary) -> World {
    let t = Table::read(&dir.join("transfers.csv"));
    let c = |n: &str| t.col(n);
    let (ci, ct, cs, cd, ca, cc) = (c("txn_id"), c("ts"), c("src"), c("dst"), c("amount"), c("channel"));
    let transfers = t
        .rows
        .iter()
        .map(|r| Transfer {
            id: r[ci].clone(),
            ts: ts(&r[ct]),
            src: r[cs].clone(),
            dst: r[cd].clone(),
            amount: fen(&r[ca]),
            channel: r[cc].clone(),
        })
        .collect();
    let accounts = Table::read(&dir.join("accounts.csv"));
    let (ai, ak) = (accounts.col("account_id"), accounts.col("kind"));
    let kind = accounts.rows.iter().map(|r| (r[ai].clone(), r[ak].clone())).collect();
    World { dir: dir.to_path_buf(), summary, transfers, accounts, kind }
}

/// The default demo world (2,000 persons × 30 days), generated once per test run.
fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = temp_dir("default");
        // A developer knob to run the same checks on other seeds.
        let seed = std::env::var("MONEYTRAIL_GEN_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
        let cfg = WorldConfig { seed, ..WorldConfig::default() };
        let summary = generate(&cfg, &dir).expect("generate");
        load(&dir, summary)
    })
}

fn is_terminal_kind(kind: &str) -> Option<&'static str> {
    match kind {
        "atm" => Some("cash"),
        "otc" => Some("otc"),
        "third_party" => Some("platform"),
        "merchant" => Some("merchant"),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Unit checks
// ---------------------------------------------------------------------------------------------

#[test]
fn calendar_arithmetic() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2026, 1, 1), 20_454);
    assert_eq!(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);
    assert_eq!(days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28), 1);
    for d in -800_000..800_000 {
        let (y, m, dd) = civil_from_days(d);
        assert_eq!(days_from_civil(y as i32, m, dd), d);
    }
    let t = days_from_civil(2026, 2, 28) * DAY + 23 * 3600 + 59 * 60 + 59;
    assert_eq!(&format_ts(t), b"2026-02-28 23:59:59");
    assert_eq!(&format_ts(t + 1), b"2026-03-01 00:00:00");
    assert_eq!(parse_ts("2026-02-28 23:59:59"), Some(t));
}

#[test]
fn money_and_card_numbers() {
    assert_eq!(fen_to_yuan(129_900), "1299.00");
    assert_eq!(fen_to_yuan(5), "0.05");
    assert_eq!(fen_to_yuan(0), "0.00");
    assert_eq!(fen_to_yuan(-1_234), "-12.34");
    assert_eq!(luhn_digit(b"7992739871"), 3);
    assert_eq!(fen("1299.00"), 129_900);
}

#[test]
fn invalid_configs_are_rejected() {
    let dir = temp_dir("invalid");
    let bad = [
        WorldConfig { persons: 10, ..WorldConfig::default() },
        WorldConfig { days: 0, ..WorldConfig::default() },
        WorldConfig { start_date: (2026, 2, 30), ..WorldConfig::default() },
        WorldConfig { start_date: (2026, 13, 1), ..WorldConfig::default() },
    ];
    for cfg in bad {
        assert!(matches!(generate(&cfg, &dir), Err(GenError::InvalidConfig(_))));
    }
    assert!(!dir.exists(), "nothing is written for an invalid config");
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

fn all_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["", "truth"] {
        let d = dir.join(sub);
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                let name = format!("{sub}/{}", e.file_name().to_string_lossy());
                out.insert(name, std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_config_gives_identical_files() {
    let cfg = WorldConfig { persons: 500, days: 12, seed: 7, start_date: (2025, 12, 20), ..WorldConfig::default() };
    let (a, b, c) = (temp_dir("det-a"), temp_dir("det-b"), temp_dir("det-c"));
    let sa = generate(&cfg, &a).unwrap();
    let sb = generate(&cfg, &b).unwrap();
    assert_eq!(sa, sb);
    let (fa, fb) = (all_files(&a), all_files(&b));
    assert_eq!(fa.len(), 10, "{:?}", fa.keys().collect::<Vec<_>>());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between two runs");
    }
    let other = WorldConfig { seed: 8, ..cfg };
    generate(&other, &c).unwrap();
    assert_ne!(fa["/transfers.csv"], all_files(&c)["/transfers.csv"], "another seed gives another world");
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}

// ---------------------------------------------------------------------------------------------
// The default world
// ---------------------------------------------------------------------------------------------

#[test]
fn transfers_are_well_formed() {
    let w = world();
    let t = Table::read(&w.dir.join("transfers.csv"));
    assert_eq!(
        t.header.join(","),
        "txn_id,ts,src,dst,amount,channel,currency,src_name,dst_name,src_bank,dst_bank,memo"
    );
    let acc = &w.accounts;
    let (ai, an, ab) = (acc.col("account_id"), acc.col("holder_name"), acc.col("bank"));
    let info: HashMap<&str, (&str, &str)> =
        acc.rows.iter().map(|r| (r[ai].as_str(), (r[an].as_str(), r[ab].as_str()))).collect();
    let channels = ["transfer", "atm_withdrawal", "pos", "third_party", "salary"];
    let mut ids = HashSet::new();
    let mut last = i64::MIN;
    for r in &t.rows {
        assert!(ids.insert(r[0].clone()), "duplicate txn id {}", r[0]);
        let tsv = ts(&r[1]);
        assert!(tsv >= last, "rows not sorted by ts at {}", r[0]);
        last = tsv;
        assert!(fen(&r[4]) > 0);
        assert!(channels.contains(&r[5].as_str()), "channel {}", r[5]);
        assert_eq!(r[6], "CNY");
        assert_ne!(r[2], r[3], "self transfer {}", r[0]);
        let (sn, sb) = info.get(r[2].as_str()).unwrap_or_else(|| panic!("src {} not in accounts.csv", r[2]));
        let (dn, db) = info.get(r[3].as_str()).unwrap_or_else(|| panic!("dst {} not in accounts.csv", r[3]));
        assert_eq!((r[7].as_str(), r[9].as_str()), (*sn, *sb));
        assert_eq!((r[8].as_str(), r[10].as_str()), (*dn, *db));
        assert!(r[11].chars().count() <= 6, "memo too long: {}", r[11]);
        if r[5] == "atm_withdrawal" {
            assert_eq!(w.kind[&r[3]], "atm");
            assert_eq!(fen(&r[4]) % 100_00, 0, "ATM cash is in 100-yuan notes");
        }
    }
    for ch in channels {
        assert!(t.rows.iter().any(|r| r[5] == ch), "no {ch} rows");
    }
    assert_eq!(t.rows.len() as u64, w.summary.transfers);
}

#[test]
fn accounts_are_well_formed() {
    let w = world();
    let a = &w.accounts;
    assert_eq!(a.header.join(","), "account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind");
    let kinds = ["personal", "corporate", "merchant", "third_party", "atm", "otc"];
    let mut ids = HashSet::new();
    let mut prev = String::new();
    for r in &a.rows {
        assert!(ids.insert(r[0].clone()), "duplicate account {}", r[0]);
        assert!(r[0] > prev, "accounts.csv sorted by account_id");
        prev = r[0].clone();
        assert!(kinds.contains(&r[8].as_str()));
        let d = &r[7];
        let (y, m, dd) = (&d[0..4], &d[5..7], &d[8..10]);
        assert!(super::time::is_valid_date(y.parse().unwrap(), m.parse().unwrap(), dd.parse().unwrap()));
        match r[8].as_str() {
            "atm" => assert!(r[0].starts_with(&format!("ATM-{}-", r[5])), "{}", r[0]),
            "third_party" => assert!(r[0].contains("-RESERVE-")),
            "personal" | "otc" => {
                assert!((16..=19).contains(&r[0].len()) && r[0].starts_with("62"));
                let (body, check) = r[0].split_at(r[0].len() - 1);
                assert_eq!(luhn_digit(body.as_bytes()), check.as_bytes()[0] - b'0');
            }
            _ => assert!(r[0].bytes().all(|b| b.is_ascii_digit())),
        }
    }
    assert!(ids.contains("TENPAY-RESERVE-01") && ids.contains("ALIPAY-RESERVE-01"));
    assert_eq!(a.rows.len() as u64, w.summary.accounts);
}

#[test]
fn balances_never_go_negative() {
    let w = world();
    let open = w.truth("opening_balances.csv");
    let mut bal: HashMap<&str, i64> = open.rows.iter().map(|r| (r[0].as_str(), fen(&r[1]))).collect();
    let mut personal_checked = 0u64;
    for t in &w.transfers {
        let b = bal.entry(t.src.as_str()).or_insert(0);
        *b -= t.amount;
        assert!(*b >= 0, "{} ({}) overdrawn by {} at {}", t.src, w.kind[&t.src], -*b, t.id);
        if w.kind[&t.src] == "personal" {
            personal_checked += 1;
        }
        *bal.entry(t.dst.as_str()).or_insert(0) += t.amount;
    }
    assert!(personal_checked > 10_000);
    // Unexplained opening money stays modest for ordinary people.
    let people: Vec<i64> = open.rows.iter().filter(|r| w.kind[&r[0]] == "personal").map(|r| fen(&r[1])).collect();
    let mut sorted = people.clone();
    sorted.sort_unstable();
    assert!(sorted[sorted.len() / 2] < 30_000_00, "median opening balance too large");
}

struct Truth {
    flows: Vec<(String, String, i64)>,
    cases: Table,
    mules: Table,
}

fn truth() -> &'static Truth {
    static T: OnceLock<Truth> = OnceLock::new();
    T.get_or_init(|| {
        let w = world();
        let f = w.truth("case_flows.csv");
        assert_eq!(f.header.join(","), "txn_id,case_id,amount");
        let flows = f.rows.iter().map(|r| (r[0].clone(), r[1].clone(), fen(&r[2]))).collect();
        let cases = w.truth("cases.csv");
        assert_eq!(cases.header.join(","), "case_id,victim_account,scam_type,report_time,stolen_amount,seed_txn_ids");
        let mules = w.truth("mules.csv");
        assert_eq!(mules.header.join(","), "account,ring_id,role,rented");
        Truth { flows, cases, mules }
    })
}

#[test]
fn case_flows_never_exceed_transfers() {
    let w = world();
    let tr = truth();
    let by_id: HashMap<&str, &Transfer> = w.transfers.iter().map(|t| (t.id.as_str(), t)).collect();
    let mules: HashSet<&str> = tr.mules.rows.iter().map(|r| r[0].as_str()).collect();
    let cases: HashSet<&str> = tr.cases.rows.iter().map(|r| r[0].as_str()).collect();
    let mut per_txn: BTreeMap<&str, i64> = BTreeMap::new();
    let mut seen = HashSet::new();
    for (t, c, a) in &tr.flows {
        assert!(*a > 0);
        assert!(cases.contains(c.as_str()), "unknown case {c}");
        assert!(seen.insert((t, c)), "duplicate flow row {t} {c}");
        *per_txn.entry(t).or_insert(0) += a;
    }
    for (t, sum) in &per_txn {
        let tx = by_id.get(t).unwrap_or_else(|| panic!("flow on unknown txn {t}"));
        assert!(*sum <= tx.amount, "{t} carries {sum} > {}", tx.amount);
        if mules.contains(tx.src.as_str()) {
            assert_eq!(*sum, tx.amount, "mule transfers carry only stolen money");
        }
    }
    // Flows do merge: some transfers carry several cases' money.
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (t, _, _) in &tr.flows {
        *count.entry(t).or_insert(0) += 1;
    }
    assert!(count.values().any(|&n| n > 1), "no merged flows");
    assert_eq!(tr.flows.len() as u64, w.summary.case_flow_rows);
}

#[test]
fn seeds_are_victim_payments_to_collectors() {
    let w = world();
    let tr = truth();
    let by_id: HashMap<&str, &Transfer> = w.transfers.iter().map(|t| (t.id.as_str(), t)).collect();
    let collectors: HashSet<&str> =
        tr.mules.rows.iter().filter(|r| r[2] == "collector").map(|r| r[0].as_str()).collect();
    let flow: HashMap<(&str, &str), i64> = tr.flows.iter().map(|(t, c, a)| ((t.as_str(), c.as_str()), *a)).collect();
    let mut types = BTreeSet::new();
    for r in &tr.cases.rows {
        types.insert(r[2].clone());
        assert!(["刷单", "冒充公检法", "杀猪盘", "虚假贷款"].contains(&r[2].as_str()));
        let report = ts(&r[3]);
        let mut sum = 0;
        for s in r[5].split(';') {
            let t = by_id[s];
            assert_eq!(t.src, r[1], "seed {s} not paid by the victim");
            assert!(collectors.contains(t.dst.as_str()), "seed {s} not to a collector");
            assert_eq!(flow[&(s, r[0].as_str())], t.amount);
            assert!(t.ts < report);
            sum += t.amount;
        }
        assert_eq!(sum, fen(&r[4]), "stolen amount of {}", r[0]);
        assert_eq!(w.kind[&r[1]], "personal");
    }
    assert!(types.len() >= 3, "scam types {types:?}");
    assert!(tr.cases.rows.len() >= 10);
}

/// Replays each mule card's stolen money per case from transfers + case_flows.
#[test]
fn mule_money_leaves_only_after_it_arrived() {
    let w = world();
    let tr = truth();
    let mules: HashSet<&str> = tr.mules.rows.iter().map(|r| r[0].as_str()).collect();
    let by_id: HashMap<&str, &Transfer> = w.transfers.iter().map(|t| (t.id.as_str(), t)).collect();
    // (card, case) -> list of (ts, +in / -out), in file order.
    let mut ev: HashMap<(&str, &str), Vec<(i64, i64)>> = HashMap::new();
    for (t, c, a) in &tr.flows {
        let tx = by_id[t.as_str()];
        if mules.contains(tx.dst.as_str()) {
            ev.entry((tx.dst.as_str(), c.as_str())).or_default().push((tx.ts, *a));
        }
        if mules.contains(tx.src.as_str()) {
            ev.entry((tx.src.as_str(), c.as_str())).or_default().push((tx.ts, -*a));
        }
    }
    let mut outs = 0;
    for ((card, case), list) in &ev {
        let ins: Vec<(i64, i64)> = list.iter().copied().filter(|e| e.1 > 0).collect();
        let mut out_total = 0;
        for &(t, a) in list.iter().filter(|e| e.1 < 0) {
            out_total += -a;
            outs += 1;
            let avail: i64 = ins.iter().filter(|i| i.0 <= t - 30).map(|i| i.1).sum();
            assert!(
                out_total <= avail,
                "{card} sent {out_total} of {case} by {t} but only {avail} had arrived 30 s before"
            );
        }
    }
    assert!(outs > 100);
    // Every mule card in transfers with stolen money is a ring card of kind personal.
    for r in &tr.mules.rows {
        assert_eq!(w.kind[&r[0]], "personal", "mule {} is not personal", r[0]);
        assert!(["collector", "relay", "cashout"].contains(&r[2].as_str()));
        assert!(r[3] == "true" || r[3] == "false");
    }
}

#[test]
fn per_case_conservation_and_truth_matches_replay() {
    let w = world();
    let tr = truth();
    let by_id: HashMap<&str, &Transfer> = w.transfers.iter().map(|t| (t.id.as_str(), t)).collect();
    let holdings = w.truth("holdings.csv");
    let terminals = w.truth("terminals.csv");
    assert_eq!(holdings.header.join(","), "case_id,account,amount");
    assert_eq!(terminals.header.join(","), "case_id,account,kind,amount");
    let mut hold: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in &holdings.rows {
        let a = fen(&r[2]);
        assert!(a > 0);
        assert!(is_terminal_kind(&w.kind[&r[1]]).is_none());
        assert!(hold.insert((r[0].clone(), r[1].clone()), a).is_none());
    }
    let mut term: BTreeMap<(String, String), (String, i64)> = BTreeMap::new();
    for r in &terminals.rows {
        assert_eq!(is_terminal_kind(&w.kind[&r[1]]), Some(r[2].as_str()));
        let a = fen(&r[3]);
        assert!(a > 0);
        term.insert((r[0].clone(), r[1].clone()), (r[2].clone(), a));
    }
    let mut total_held = 0;
    for r in &tr.cases.rows {
        let (case, victim, report, stolen) = (&r[0], &r[1], ts(&r[3]), fen(&r[4]));
        // Replay this case's money up to the report time.
        let mut pos: BTreeMap<String, i64> = BTreeMap::new();
        let mut ends: BTreeMap<String, i64> = BTreeMap::new();
        for (t, c, a) in tr.flows.iter().filter(|f| &f.1 == case) {
            let tx = by_id[t.as_str()];
            if tx.ts > report {
                continue;
            }
            if &tx.src != victim {
                *pos.entry(tx.src.clone()).or_insert(0) -= a;
            }
            if is_terminal_kind(&w.kind[&tx.dst]).is_some() {
                *ends.entry(tx.dst.clone()).or_insert(0) += a;
            } else {
                *pos.entry(tx.dst.clone()).or_insert(0) += a;
            }
            let _ = c;
        }
        pos.retain(|_, v| *v != 0);
        let file_hold: BTreeMap<String, i64> =
            hold.iter().filter(|((c, _), _)| c == case).map(|((_, a), v)| (a.clone(), *v)).collect();
        let file_term: BTreeMap<String, i64> =
            term.iter().filter(|((c, _), _)| c == case).map(|((_, a), (_, v))| (a.clone(), *v)).collect();
        assert_eq!(pos, file_hold, "holdings of {case}");
        assert_eq!(ends, file_term, "terminals of {case}");
        let h: i64 = file_hold.values().sum();
        let e: i64 = file_term.values().sum();
        assert_eq!(stolen, h + e, "conservation of {case}");
        total_held += h;
    }
    assert_eq!(total_held, w.summary.held_fen);
    assert!(w.summary.held_fen > 0, "some money is still freezable");
    assert!(w.summary.terminal_fen > 0, "some money reached terminals");
}

#[test]
fn lookalikes_and_mules_are_disjoint() {
    let w = world();
    let tr = truth();
    let look = w.truth("lookalikes.csv");
    assert_eq!(look.header.join(","), "account,kind");
    let mules: HashSet<&str> = tr.mules.rows.iter().map(|r| r[0].as_str()).collect();
    let mut kinds = BTreeSet::new();
    for r in &look.rows {
        assert!(!mules.contains(r[0].as_str()), "{} is both", r[0]);
        assert!(w.kind.contains_key(&r[0]));
        kinds.insert(r[1].as_str());
    }
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["forwarder", "merchant", "payroll", "platform", "wholesaler"]);
}

#[test]
fn rings_look_like_rings() {
    let w = world();
    let tr = truth();
    let a = &w.accounts;
    let (ai, hi, di, oi) = (a.col("account_id"), a.col("holder_id"), a.col("device_id"), a.col("opened_at"));
    let row: HashMap<&str, &Vec<String>> = a.rows.iter().map(|r| (r[ai].as_str(), r)).collect();
    let mut first_in: HashMap<&str, i64> = HashMap::new();
    for t in &w.transfers {
        first_in.entry(t.dst.as_str()).or_insert(t.ts);
    }
    let mut rings: BTreeMap<&str, Vec<&Vec<String>>> = BTreeMap::new();
    for r in &tr.mules.rows {
        rings.entry(r[1].as_str()).or_default().push(row[r[0].as_str()]);
        if r[3] == "false" {
            let acc = row[r[0].as_str()];
            let d = &acc[oi];
            let opened = days_from_civil(d[0..4].parse().unwrap(), d[5..7].parse().unwrap(), d[8..10].parse().unwrap());
            let used = first_in[r[0].as_str()].div_euclid(DAY);
            assert!(
                (2..=21).contains(&(used - opened)),
                "ring card {} opened {} days before first use",
                r[0],
                used - opened
            );
        }
    }
    assert!(rings.len() >= 2);
    for (ring, cards) in &rings {
        let mut dev_holders: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for c in cards {
            dev_holders.entry(c[di].as_str()).or_default().insert(c[hi].as_str());
        }
        assert!(dev_holders.values().any(|h| h.len() >= 2), "{ring}: no device shared by different holders");
    }
    let share = tr.mules.rows.len() * 1000 / a.rows.len();
    assert!(share <= 50, "mule cards are {share}‰ of accounts");
    assert!(tr.mules.rows.iter().any(|r| r[3] == "true"), "no rented card");
}

#[test]
fn size_and_activity_shape() {
    let w = world();
    let s = &w.summary;
    let per_pd = s.transfers * 1000 / (2000 * 30);
    assert!((800..=1500).contains(&per_pd), "{per_pd}‰ transfers per person-day");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(w.dir.join("world.json")).unwrap()).unwrap();
    assert_eq!(json["summary"]["transfers"], s.transfers);
    assert_eq!(json["config"]["persons"], 2000);
    // More mule activity at night than ordinary activity at night.
    let tr = truth();
    let mules: HashSet<&str> = tr.mules.rows.iter().map(|r| r[0].as_str()).collect();
    let night = |t: &Transfer| {
        let h = t.ts.rem_euclid(DAY) / 3600;
        !(6..20).contains(&h)
    };
    let (mut mn, mut mt, mut on, mut ot) = (0u64, 0u64, 0u64, 0u64);
    for t in &w.transfers {
        if mules.contains(t.src.as_str()) && t.channel != "pos" {
            mt += 1;
            mn += u64::from(night(t));
        } else {
            ot += 1;
            on += u64::from(night(t));
        }
    }
    assert!(mn * 1000 / mt > 500, "mule night share {}‰", mn * 1000 / mt);
    assert!(mn * 1000 / mt > on * 1000 / ot + 150);
}

#[test]
fn forwarders_forward_salary_within_the_hour() {
    let w = world();
    let look = w.truth("lookalikes.csv");
    let fwd: HashSet<&str> = look.rows.iter().filter(|r| r[1] == "forwarder").map(|r| r[0].as_str()).collect();
    assert!(!fwd.is_empty());
    let mut salary: HashMap<&str, i64> = HashMap::new();
    let mut forwarded = 0;
    for t in &w.transfers {
        if t.channel == "salary" && fwd.contains(t.dst.as_str()) {
            salary.insert(t.dst.as_str(), t.ts);
        } else if let Some(&s) = salary.get(t.src.as_str()) {
            if t.ts - s <= 3600 && t.channel == "transfer" {
                forwarded += 1;
                salary.remove(t.src.as_str());
            }
        }
    }
    assert!(forwarded >= fwd.len() / 2, "{forwarded} of {}", fwd.len());
}

// ---------------------------------------------------------------------------------------------
// Habits
// ---------------------------------------------------------------------------------------------

/// Median seconds from a mule card's first money in to its first money out, over the world's mule cards
/// (read from the files).
fn median_first_dwell_s(dir: &Path) -> i64 {
    let w = load(dir, WorldSummary::default());
    let mules = Table::read(&dir.join("truth/mules.csv"));
    let ids: HashSet<&str> = mules.rows.iter().map(|r| r[0].as_str()).collect();
    let mut first_in: HashMap<&str, i64> = HashMap::new();
    let mut first_out: HashMap<&str, i64> = HashMap::new();
    for t in &w.transfers {
        if ids.contains(t.dst.as_str()) {
            first_in.entry(t.dst.as_str()).or_insert(t.ts);
        }
        if ids.contains(t.src.as_str()) {
            first_out.entry(t.src.as_str()).or_insert(t.ts);
        }
    }
    let mut d: Vec<i64> = first_in.iter().filter_map(|(a, i)| first_out.get(a).map(|o| o - i)).collect();
    d.sort_unstable();
    d[d.len() / 2] / 1000
}

#[test]
fn habits_change_the_world_as_stated() {
    use super::Habits;
    let base = WorldConfig { persons: 1500, days: 20, seed: 3, ..WorldConfig::default() };
    let slow = Habits { dwell: (40.0, 40.0), attributes: false, more_lookalikes: true, ..Habits::default() };
    let (d0, d1) = (temp_dir("habits-default"), temp_dir("habits-slow"));
    generate(&base, &d0).unwrap();
    generate(&WorldConfig { habits: slow, ..base.clone() }, &d1).unwrap();
    // Dwell ×40: mule cards hold money far longer.
    let (fast, held) = (median_first_dwell_s(&d0), median_first_dwell_s(&d1));
    assert!(held > 10 * fast, "median first dwell {fast} s by default, {held} s at ×40");
    // No attribute columns: every phone and device blank, holders and branches kept.
    let a = Table::read(&d1.join("accounts.csv"));
    let (p, dv, b) = (a.col("phone"), a.col("device_id"), a.col("branch"));
    assert!(a.rows.iter().all(|r| r[p].is_empty() && r[dv].is_empty()));
    assert!(a.rows.iter().any(|r| !r[b].is_empty()));
    // Look-alikes of every kind the habit adds, none of them a mule card.
    let looks = Table::read(&d1.join("truth/lookalikes.csv"));
    let kinds: BTreeSet<&str> = looks.rows.iter().map(|r| r[1].as_str()).collect();
    for k in ["family", "family-plan", "student", "payroll-card", "wholesaler"] {
        assert!(kinds.contains(k), "no {k} look-alike: {kinds:?}");
    }
    let mules: BTreeSet<String> = Table::read(&d1.join("truth/mules.csv")).rows.iter().map(|r| r[0].clone()).collect();
    assert!(looks.rows.iter().all(|r| !mules.contains(&r[0])));
    // A habits file: unknown fields are refused, naming the file.
    let f = d1.join("bad.toml");
    std::fs::write(&f, "dwel = [1.0, 2.0]\n").unwrap();
    let err = Habits::from_file(&f).unwrap_err().to_string();
    assert!(err.contains("bad.toml") && err.contains("dwel"), "{err}");
    for d in [d0, d1] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Mean number of accounts that received some of a case's money, over the world's cases (from the files).
fn mean_accounts_per_case(dir: &Path) -> f64 {
    let transfers = Table::read(&dir.join("transfers.csv"));
    let (id, dst) = (transfers.col("txn_id"), transfers.col("dst"));
    let to: HashMap<&str, &str> = transfers.rows.iter().map(|r| (r[id].as_str(), r[dst].as_str())).collect();
    let flows = Table::read(&dir.join("truth/case_flows.csv"));
    let mut reached: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in &flows.rows {
        reached.entry(r[1].as_str()).or_default().insert(to[r[0].as_str()]);
    }
    reached.values().map(|s| s.len() as f64).sum::<f64>() / reached.len().max(1) as f64
}

#[test]
fn wide_rings_make_cases_reach_tens_of_accounts_and_keep_the_books() {
    use super::Habits;
    let base = WorldConfig { persons: 3000, days: 20, seed: 5, ..WorldConfig::default() };
    let wide = Habits { wide_rings: true, ..Habits::default() };
    let (d0, d1) = (temp_dir("rings-default"), temp_dir("rings-wide"));
    generate(&base, &d0).unwrap();
    generate(&WorldConfig { habits: wide, ..base.clone() }, &d1).unwrap();
    let (narrow, broad) = (mean_accounts_per_case(&d0), mean_accounts_per_case(&d1));
    assert!(broad >= 25.0 && broad >= 2.0 * narrow, "accounts per case: {narrow:.1} by default, {broad:.1} wide");
    // The books still balance: per case, what truth says is held plus what reached terminals is what was stolen.
    let cases = Table::read(&d1.join("truth/cases.csv"));
    let mut kept: HashMap<&str, i64> = HashMap::new();
    let (holdings, terminals) =
        (Table::read(&d1.join("truth/holdings.csv")), Table::read(&d1.join("truth/terminals.csv")));
    for r in &holdings.rows {
        *kept.entry(r[0].as_str()).or_default() += fen(&r[2]);
    }
    for r in &terminals.rows {
        *kept.entry(r[0].as_str()).or_default() += fen(&r[3]);
    }
    for r in &cases.rows {
        assert_eq!(kept.get(r[0].as_str()).copied().unwrap_or(0), fen(&r[4]), "conservation of {}", r[0]);
    }
    // Fewer rings, more cards each.
    let per_ring = |d: &Path| {
        let m = Table::read(&d.join("truth/mules.csv"));
        let rings: BTreeSet<&str> = m.rows.iter().map(|r| r[1].as_str()).collect();
        m.rows.len() as f64 / rings.len() as f64
    };
    assert!(per_ring(&d1) >= 2.0 * per_ring(&d0), "cards per ring {:.1} vs {:.1}", per_ring(&d1), per_ring(&d0));
    for d in [d0, d1] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn quiet_days_keep_the_first_days_free_of_fraud_and_full_of_life() {
    use super::Habits;
    let quiet = Habits { quiet_days: 5, ..Habits::default() };
    let dir = temp_dir("quiet-days");
    generate(&WorldConfig { persons: 2000, days: 12, seed: 9, habits: quiet, ..WorldConfig::default() }, &dir).unwrap();
    // Times are "YYYY-MM-DD HH:MM:SS" from 2026-01-01: the date's text orders them.
    let cases = Table::read(&dir.join("truth/cases.csv"));
    assert!(!cases.rows.is_empty());
    let first_report = cases.rows.iter().map(|r| r[3].clone()).min().unwrap();
    assert!(first_report.as_str() >= "2026-01-06", "a case reported at {first_report} inside the quiet days");
    let transfers = Table::read(&dir.join("transfers.csv"));
    let quiet_rows = transfers.rows.iter().filter(|r| r[1].as_str() < "2026-01-06").count();
    assert!(quiet_rows > 5_000, "everyday life goes on in the quiet days: {quiet_rows} transfers");
    let flows = Table::read(&dir.join("truth/case_flows.csv"));
    let when: HashMap<&str, &str> = transfers.rows.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert!(flows.rows.iter().all(|f| when[f[0].as_str()] >= "2026-01-06"), "fraud money moved in the quiet days");
}
