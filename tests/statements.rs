//! Bank statements end to end through the `moneytrail` binary, against the world's truth: every transfer
//! recovered exactly once from statements in five bank layouts (GB18030, BOM, TSV, newest first, Excel),
//! mirrored records merged, broken lines refused and named, missing lines found by the balance check,
//! re-imports adding nothing, a crash mid-import leaving the store an uninterrupted run leaves, and the
//! investigation loop: trace → statements to request → import → the trace reaches the next level.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use moneytrail::store::TransferStore;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_moneytrail"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run moneytrail")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

fn world() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample")
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn gen_statements(out: &Path, args: &[&str]) {
    let o = run(&[&["gen-statements", "--world", p(&world()), "--out", p(out)][..], args].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn import(db: &Path, dirs: &[&Path]) -> serde_json::Value {
    let mut args = vec!["statements", "import", "--db", p(db), "--format", "json"];
    args.extend(dirs.iter().map(|d| p(d)));
    let o = run(&args);
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&o.stderr));
    json(&o)
}

fn digest(db: &Path) -> u64 {
    TransferStore::open(db).expect("open").digest().expect("digest")
}

/// (txn_id, src, dst, fen, ts_ms) of the world's transfers.
fn world_transfers() -> Vec<(String, String, String, i64, i64)> {
    let mut rdr = csv::Reader::from_path(world().join("transfers.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let ts = moneytrail::timefmt::parse_ts(&r[1], moneytrail::timefmt::DEFAULT_TZ).unwrap();
            (r[0].to_string(), r[2].to_string(), r[3].to_string(), moneytrail::money::parse_yuan(&r[4]).unwrap(), ts)
        })
        .collect()
}

fn atm_accounts() -> BTreeSet<String> {
    let mut rdr = csv::Reader::from_path(world().join("accounts.csv")).unwrap();
    rdr.records().map(Result::unwrap).filter(|r| &r[8] == "atm").map(|r| r[0].to_string()).collect()
}

/// Manifest lines: (account, txn_id, flow, broken).
fn manifest(out: &Path) -> Vec<(String, String, String, String)> {
    let mut rdr = csv::Reader::from_path(out.join("manifest.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (r[3].to_string(), r[4].to_string(), r[5].to_string(), r[6].to_string())
        })
        .collect()
}

/// (src, dst, fen, ts_ms) of every stored transfer.
fn stored(db: &Path) -> Vec<Moved> {
    let store = TransferStore::open_read_only(db).unwrap();
    let view = store.view().unwrap();
    let mut out = Vec::new();
    let mut recs = Vec::new();
    view.for_each_transfer(|_, t| recs.push(t)).unwrap();
    for t in recs {
        let name = |id| view.account_external(id).unwrap().unwrap();
        out.push((name(t.src), name(t.dst), t.amount_fen, t.ts_ms));
    }
    out
}

/// The accounts of every case's money, levels 0 to 4, and a spread of ordinary accounts.
fn statement_accounts() -> Vec<String> {
    let mut rdr = csv::Reader::from_path(world().join("truth/cases.csv")).unwrap();
    let cases: Vec<String> = rdr.records().map(|r| r.unwrap()[0].to_string()).collect();
    let mut accounts = BTreeSet::new();
    for c in &cases {
        for level in moneytrail::gen::statements::case_accounts(&world(), c, 4).unwrap() {
            accounts.extend(level);
        }
    }
    let mut rdr = csv::Reader::from_path(world().join("accounts.csv")).unwrap();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        if i % 25 == 0 && &r[8] == "personal" {
            accounts.insert(r[0].to_string());
        }
    }
    let atms = atm_accounts();
    accounts.into_iter().filter(|a| !atms.contains(a)).collect()
}

/// (src, dst, fen, ts_ms) of a transfer.
type Moved = (String, String, i64, i64);

/// Matches expected to stored transfers one to one on (src, dst, amount), nearest times first, within 10 s.
fn unmatched(mut expected: Vec<Moved>, mut actual: Vec<Moved>) -> (Vec<Moved>, Vec<Moved>) {
    expected.sort();
    actual.sort();
    let mut by_key: BTreeMap<(String, String, i64), Vec<i64>> = BTreeMap::new();
    for (s, d, f, t) in actual {
        by_key.entry((s, d, f)).or_default().push(t);
    }
    let mut missing = Vec::new();
    for (s, d, f, t) in expected {
        let slot = by_key.get_mut(&(s.clone(), d.clone(), f));
        let best = slot.as_ref().and_then(|v| {
            v.iter()
                .enumerate()
                .filter(|(_, x)| (**x - t).abs() <= 10_000)
                .min_by_key(|(_, x)| (**x - t).abs())
                .map(|(i, _)| i)
        });
        match (slot, best) {
            (Some(v), Some(i)) => {
                v.remove(i);
            }
            _ => missing.push((s, d, f, t)),
        }
    }
    let extra = by_key
        .into_iter()
        .flat_map(|((s, d, f), v)| v.into_iter().map(move |t| (s.clone(), d.clone(), f, t)))
        .collect();
    (missing, extra)
}

#[test]
fn every_transfer_is_recovered_once_from_statements_in_five_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("st");
    let accounts = statement_accounts();
    gen_statements(&out, &["--account", &accounts.join(","), "--broken", "0.01", "--drop", "0.005", "--seed", "3"]);
    let db = dir.path().join("db");
    let summary = import(&db, &[&out.join("statements")]);

    // Truth: each transfer with at least one statement line written whole.
    let lines = manifest(&out);
    let mut readable: BTreeSet<&str> = BTreeSet::new();
    let mut broken = 0;
    for (_, txn, _, b) in &lines {
        if b.is_empty() {
            readable.insert(txn);
        } else if b != "dropped" {
            broken += 1;
        }
    }
    assert!(broken > 0, "the world's statements include broken lines");
    let atms = atm_accounts();
    let cash = |a: &str| if atms.contains(a) { "CASH".to_string() } else { a.to_string() };
    let expected: Vec<_> = world_transfers()
        .into_iter()
        .filter(|(txn, ..)| readable.contains(txn.as_str()))
        .map(|(_, s, d, f, t)| (cash(&s), cash(&d), f, t))
        .collect();
    let actual = stored(&db);
    let (missing, invented) = unmatched(expected.clone(), actual.clone());
    assert!(
        missing.is_empty(),
        "{} transfers not recovered, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(
        invented.is_empty(),
        "{} transfers invented, e.g. {:?}",
        invented.len(),
        &invented[..invented.len().min(5)]
    );
    assert_eq!(actual.len(), expected.len());

    // Both sides' records of transfers between two statement accounts were merged.
    let mirrored = summary["mirrored_pairs"].as_u64().unwrap();
    let both_sides: usize = {
        let mut sides: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, txn, _, b) in &lines {
            if b.is_empty() {
                *sides.entry(txn).or_default() += 1;
            }
        }
        sides.values().filter(|n| **n == 2).count()
    };
    assert_eq!(mirrored as usize, both_sides, "{summary}");
    assert!(mirrored > 100, "the test world has mirrored pairs: {mirrored}");
    // Every broken line is in the rejects file, named by file, row, field and reason.
    assert_eq!(summary["lines_rejected"].as_u64().unwrap(), broken as u64, "{summary}");
    let rejects = std::fs::read_to_string(summary["rejects_file"].as_str().unwrap()).unwrap();
    assert!(rejects.contains("its last digits are lost") || rejects.contains("amount"), "{rejects}");
    let layouts: BTreeSet<String> =
        summary["files"].as_array().unwrap().iter().map(|f| f["encoding"].as_str().unwrap().to_string()).collect();
    assert_eq!(layouts, BTreeSet::from(["GB18030", "UTF-8", "UTF-8 (BOM)", "xlsx"].map(String::from)));

    // Importing the same files again adds nothing and changes no byte.
    let before = digest(&db);
    let again = import(&db, &[&out.join("statements")]);
    assert_eq!(again["transfers_added"], 0);
    assert_eq!(
        again["lines_already_imported"].as_u64().unwrap() + again["lines_rejected"].as_u64().unwrap(),
        again["lines_read"].as_u64().unwrap()
    );
    // (the rejected lines are rejected again; nothing else changes)
    assert_eq!(digest(&db), before);
}

/// Balances: a missing line between two lines with balances is a break, named by the lines on both sides.
#[test]
fn missing_lines_are_breaks_in_balance_continuity() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("st");
    let accounts = statement_accounts();
    gen_statements(&out, &["--account", &accounts.join(","), "--drop", "0.02", "--seed", "5"]);
    let db = dir.path().join("db");
    import(&db, &[&out.join("statements")]);
    let check = json(&run(&["statements", "check", "--db", p(&db), "--format", "json"]));
    let broken_accounts: BTreeSet<String> = check["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["breaks"].as_array().unwrap().is_empty())
        .map(|a| a["account"].as_str().unwrap().to_string())
        .collect();
    // Truth: accounts with a dropped line that had a written line before and after it.
    let lines = manifest(&out);
    let mut seq_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (acct, _, _, b) in &lines {
        seq_of.entry(acct).or_default().push(b);
    }
    // The manifest lists an account's lines in time order, dropped ones in place.
    let expected: BTreeSet<String> = seq_of
        .iter()
        .filter(|(_, v)| {
            let first = v.iter().position(|b| b.is_empty());
            let last = v.iter().rposition(|b| b.is_empty());
            matches!((first, last), (Some(f), Some(l)) if v[f..l].contains(&"dropped"))
        })
        .map(|(a, _)| a.to_string())
        .collect();
    assert!(!expected.is_empty(), "the drop rate made some gaps");
    assert_eq!(broken_accounts, expected);
    let one =
        check["accounts"].as_array().unwrap().iter().find(|a| !a["breaks"].as_array().unwrap().is_empty()).unwrap();
    let b = &one["breaks"][0];
    assert!(b["before"].as_str().unwrap().contains("row") && b["after"].as_str().unwrap().contains("row"), "{b}");
    assert_ne!(b["gap"], "0.00");
}

/// Level 1's statements today, level 2's tomorrow: the result is the same transfers as one import of both,
/// and the second import merges into what the first stored.
#[test]
fn a_later_statement_merges_into_what_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    gen_statements(&a, &["--case", "CASE-00009", "--from-level", "0", "--to-level", "1"]);
    gen_statements(&b, &["--case", "CASE-00009", "--from-level", "2", "--to-level", "2"]);
    let step = dir.path().join("step");
    import(&step, &[&a.join("statements")]);
    let second = import(&step, &[&b.join("statements")]);
    assert!(second["merged_into_stored"].as_u64().unwrap() > 0, "{second}");
    let once = dir.path().join("once");
    import(&once, &[&a.join("statements"), &b.join("statements")]);
    let mut x = stored(&step);
    let mut y = stored(&once);
    x.sort();
    y.sort();
    assert_eq!(x, y);
}

/// Two genuine equal transfers a minute apart stay two; two 4 s apart are matched nearest first and
/// reported as ambiguous.
#[test]
fn equal_transfers_close_together() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(
        &a,
        "查询账号：6222000000000001\n交易时间,交易金额,借贷标志,余额,对手账号\n\
        2026-01-09 10:00:00,100.00,借,900.00,6222000000000002\n\
        2026-01-09 10:01:00,100.00,借,800.00,6222000000000002\n\
        2026-01-09 11:00:00,50.00,借,750.00,6222000000000002\n\
        2026-01-09 11:00:04,50.00,借,700.00,6222000000000002\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "查询账号：6222000000000002\n交易时间,交易金额,借贷标志,余额,对手账号\n\
        2026-01-09 10:00:03,100.00,贷,100.00,6222000000000001\n\
        2026-01-09 10:01:03,100.00,贷,200.00,6222000000000001\n\
        2026-01-09 11:00:02,50.00,贷,250.00,6222000000000001\n\
        2026-01-09 11:00:06,50.00,贷,300.00,6222000000000001\n",
    )
    .unwrap();
    let db = dir.path().join("db");
    let s = import(&db, &[&a, &b]);
    assert_eq!(s["transfers_added"], 4, "{s}");
    assert_eq!(s["mirrored_pairs"], 4);
    let amb = s["ambiguous"].as_array().unwrap();
    assert_eq!(amb.len(), 1, "{s}");
    assert!(amb[0]["line"].as_str().unwrap().contains("a.csv, row 5"), "{s}");
    let mut times: Vec<(i64, i64)> = stored(&db).into_iter().map(|(_, _, f, t)| (f, t)).collect();
    times.sort();
    let base = moneytrail::timefmt::parse_ts("2026-01-09 10:00:00", moneytrail::timefmt::DEFAULT_TZ).unwrap();
    // The payer's times are kept.
    assert_eq!(times, vec![(5000, base + 3_600_000), (5000, base + 3_604_000), (10000, base), (10000, base + 60_000)]);
}

#[test]
fn an_unreadable_statement_stops_the_import_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "查询账号：6222000000000001\n交易时间,交易金额,借贷标志,余额,对手账号\n2026-01-09 10:00:00,100.00,借,900.00,6222000000000002\n").unwrap();
    let odd = dir.path().join("odd.csv");
    std::fs::write(&odd, "Datum,Betrag,Gegenkonto\n2026-01-09,100,X\n").unwrap();
    let db = dir.path().join("db");
    let o = run(&["statements", "import", "--db", p(&db), p(&good), p(&odd)]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("odd.csv")
            && err.contains("Headers found: Datum, Betrag, Gegenkonto")
            && err.contains("Still missing"),
        "{err}"
    );
    let stats = json(&run(&["stats", "--db", p(&db), "--format", "json"]));
    assert_eq!(stats["transfers"], 0);
    // A bank's own names through --layout make it readable.
    let layout = dir.path().join("bank.toml");
    std::fs::write(&layout, "[aliases]\ndate = [\"Datum\"]\namount = [\"Betrag\"]\ncounterparty = [\"Gegenkonto\"]\naccount = [\"Konto\"]\n").unwrap();
    std::fs::write(&odd, "Konto,Datum,Betrag,Gegenkonto\n6222000000000003,2026-01-09,-100,X\n").unwrap();
    let o =
        run(&["statements", "import", "--db", p(&db), "--layout", p(&layout), p(&good), p(&odd), "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&o)["transfers_added"], 2);
}

#[test]
fn a_legacy_xls_statement_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/statements/psbc-legacy.xls");
    let s = import(&db, &[&fixture]);
    assert_eq!(s["files"][0]["encoding"], "xls");
    assert_eq!(s["transfers_added"], 3, "{s}");
    let check = json(&run(&["statements", "check", "--db", p(&db), "--format", "json"]));
    let a = &check["accounts"][0];
    assert_eq!(
        (a["account"].as_str(), a["opening_balance"].as_str(), a["closing_balance"].as_str()),
        (Some("6210980000000000017"), Some("200.00"), Some("100.00"))
    );
}

#[test]
fn sigkill_mid_import_then_rerun_gives_the_uninterrupted_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("st");
    // Every account of the world: enough lines for the kills to land inside the import.
    let mut rdr = csv::Reader::from_path(world().join("accounts.csv")).unwrap();
    let atms = atm_accounts();
    let all: Vec<String> = rdr.records().map(|r| r.unwrap()[0].to_string()).filter(|a| !atms.contains(a)).collect();
    gen_statements(&out, &["--account", &all.join(","), "--seed", "9"]);
    let base = dir.path().join("base");
    gen_statements(&base, &["--case", "CASE-00001", "--to-level", "1"]);
    let reference = dir.path().join("reference");
    import(&reference, &[&base.join("statements")]);
    let t0 = Instant::now();
    import(&reference, &[&out.join("statements")]);
    let full = t0.elapsed();
    let want = digest(&reference);
    let mut interrupted = 0;
    for (i, frac) in [0.1, 0.3, 0.5, 0.7, 0.9].iter().enumerate() {
        let db = dir.path().join(format!("killed-{i}"));
        import(&db, &[&base.join("statements")]);
        let mut child = bin()
            .args(["statements", "import", "--db", p(&db), p(&out.join("statements"))])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(*frac));
        let finished_alone = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        child.wait().unwrap();
        interrupted += usize::from(!finished_alone && digest(&db) != want);
        let rerun = import(&db, &[&out.join("statements")]);
        assert!(rerun["lines_read"].as_u64().unwrap() > 0);
        assert_eq!(
            digest(&db),
            want,
            "kill at {frac} of the run, then rerun: store differs from the uninterrupted one"
        );
    }
    assert!(interrupted >= 2, "only {interrupted} kills landed mid-import; the test did not test");
}

/// The investigation loop: statements of the victim and level 1 → the trace names the level-2 accounts
/// as statements to request → their statements → the trace reaches level 3, with freeze proposals.
#[test]
fn the_investigation_loop_reaches_one_level_further_with_each_reply() {
    let dir = tempfile::tempdir().unwrap();
    let levels = moneytrail::gen::statements::case_accounts(&world(), "CASE-00009", 4).unwrap();
    assert!(levels.len() >= 4, "CASE-00009's money went at least three levels deep: {levels:?}");
    let mut rdr = csv::Reader::from_path(world().join("truth/cases.csv")).unwrap();
    let case = rdr.records().map(Result::unwrap).find(|r| &r[0] == "CASE-00009").unwrap();
    let victim = case[1].to_string();
    let atms = atm_accounts();
    let db = dir.path().join("db");
    let trace = |db: &Path| {
        json(&run(&[
            "trace",
            "--db",
            p(db),
            "--victim",
            &victim,
            "--from",
            "2026-01-01 00:00:00",
            "--to",
            "2026-03-01 00:00:00",
            "--rule",
            "poison",
            "--format",
            "json",
        ]))
    };
    let reached = |t: &serde_json::Value| -> BTreeSet<String> {
        t["accounts"].as_array().unwrap().iter().map(|a| a["account"].as_str().unwrap().to_string()).collect()
    };
    let to_request = |t: &serde_json::Value| -> BTreeSet<String> {
        t["statements_to_request"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["account"].as_str().unwrap().to_string())
            .collect()
    };
    let non_terminal =
        |v: &[String]| -> BTreeSet<String> { v.iter().filter(|a| !atms.contains(*a)).cloned().collect() };

    let l01 = dir.path().join("l01");
    gen_statements(&l01, &["--case", "CASE-00009", "--from-level", "0", "--to-level", "1"]);
    import(&db, &[&l01.join("statements")]);
    let t1 = trace(&db);
    let level2 = non_terminal(&levels[2]);
    assert!(level2.is_subset(&reached(&t1)), "level 2 reached: {level2:?}");
    // Level-2 accounts that are not terminals have no statement yet: each is named to request.
    for a in &level2 {
        assert!(to_request(&t1).contains(a), "{a} should be requested next: {:?}", to_request(&t1));
    }
    let level3 = non_terminal(&levels[3]);
    assert!(level3.is_disjoint(&reached(&t1)), "no statement shows level 3 yet");

    let l2 = dir.path().join("l2");
    gen_statements(&l2, &["--case", "CASE-00009", "--from-level", "2", "--to-level", "2"]);
    let s = import(&db, &[&l2.join("statements")]);
    assert!(s["merged_into_stored"].as_u64().unwrap() > 0, "level 2's statements hold level 1's payments: {s}");
    let t2 = trace(&db);
    assert!(level3.is_subset(&reached(&t2)), "with level 2's statements the trace reaches level 3");
    for a in &level3 {
        assert!(
            to_request(&t2).contains(a)
                || t2["accounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["account"] == a.as_str() && x["terminal"].is_string())
        );
    }
    let freeze = json(&run(&[
        "freeze",
        "--db",
        p(&db),
        "--victim",
        &victim,
        "--from",
        "2026-01-01 00:00:00",
        "--to",
        "2026-03-01 00:00:00",
        "--as-of",
        &case[3],
        "--format",
        "json",
    ]));
    assert!(!freeze["proposals"].as_array().unwrap().is_empty(), "{freeze}");
    // A proposal cites the statement lines its basis transfer was read from.
    let cited =
        freeze["proposals"].as_array().unwrap().iter().any(|p| !p["basis"]["sources"].as_array().unwrap().is_empty());
    assert!(cited, "{freeze}");
}

/// Login IPs from statement lines are attributes of the cards: three holders' cards seen from one IP are
/// tied, the features count the holders, and the ring's evidence and shared attributes say so.
#[test]
fn a_login_ip_shared_across_holders_ties_their_cards() {
    let dir = tempfile::tempdir().unwrap();
    let stmts = dir.path().join("stmts");
    std::fs::create_dir_all(&stmts).unwrap();
    let header = "交易卡号,户名,交易时间,借贷标志,交易金额,交易余额,对手账号,对手户名,交易流水号,IP地址\n";
    // card, holder, then (time, direction, amount, balance after, counterparty, serial) lines.
    type Line<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);
    let cards: [(&str, &str, &[Line]); 3] = [
        (
            "6222000000000001",
            "甲",
            &[
                ("2026-01-05 10:00:00", "贷", "30000.00", "30000.00", "6217000000000101", "A1"),
                ("2026-01-05 10:02:00", "贷", "25000.00", "55000.00", "6217000000000102", "A2"),
                ("2026-01-05 10:10:00", "借", "54900.00", "100.00", "6222000000000002", "A3"),
            ],
        ),
        (
            "6222000000000002",
            "乙",
            &[
                ("2026-01-05 10:10:00", "贷", "54900.00", "54900.00", "6222000000000001", "B1"),
                ("2026-01-05 10:20:00", "借", "54800.00", "100.00", "6222000000000003", "B2"),
            ],
        ),
        (
            "6222000000000003",
            "丙",
            &[
                ("2026-01-05 10:20:00", "贷", "54800.00", "54800.00", "6222000000000002", "C1"),
                ("2026-01-05 10:30:00", "借", "54700.00", "100.00", "6228000000000999", "C2"),
            ],
        ),
    ];
    for (card, holder, lines) in cards {
        let mut text = header.to_string();
        for (ts, dir, amount, balance, cp, serial) in lines {
            text.push_str(&format!("{card},{holder},{ts},{dir},{amount},{balance},{cp},,{serial},10.9.9.9\n"));
        }
        std::fs::write(stmts.join(format!("{card}.csv")), text).unwrap();
    }
    let db = dir.path().join("db");
    import(&db, &[&stmts]);
    let features = run(&["features", "--db", p(&db)]);
    assert!(features.status.success(), "{}", String::from_utf8_lossy(&features.stderr));
    let mut rdr = csv::Reader::from_reader(features.stdout.as_slice());
    let col = rdr.headers().unwrap().iter().position(|h| h == "holders_on_login").expect("a holders_on_login column");
    let on_login: BTreeMap<String, String> =
        rdr.records().map(|r| r.unwrap()).map(|r| (r[0].to_string(), r[col].to_string())).collect();
    for card in ["6222000000000001", "6222000000000002", "6222000000000003"] {
        assert_eq!(on_login[card], "3", "{card}");
    }
    assert_eq!(on_login["6217000000000101"], "1", "a victim's card has no statement of its own here");
    let rings = json(&run(&["rings", "--db", p(&db), "--format", "json"]));
    let ring = &rings["rings"][0];
    let members: BTreeSet<&str> =
        ring["members"].as_array().unwrap().iter().map(|m| m["account"].as_str().unwrap()).collect();
    assert_eq!(members, BTreeSet::from(["6222000000000001", "6222000000000002", "6222000000000003"]));
    assert!(ring["members"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "login IP or MAC shared by 3 holders"));
    assert_eq!(ring["shared_attributes"][0]["attribute"], "ip");
    assert_eq!(ring["shared_attributes"][0]["value"], "10.9.9.9");
}
