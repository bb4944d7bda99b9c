//! Stores written by earlier versions keep opening: each committed fixture (tests/fixtures/store-vN) is
//! copied, refused read-only with a clear message, upgraded by `moneytrail migrate`, and then reads as it was
//! written, with everything later versions added working on it.

use std::path::{Path, PathBuf};
use std::process::Command;

use moneytrail::store::{RequestKey, StoreError, TransferStore};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn fixture(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/store-v{version}"))
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_moneytrail")).args(args).output().unwrap()
}

#[test]
fn a_version_4_store_is_upgraded_and_reads_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    copy_dir(&fixture(4), &db);
    let p = db.to_str().unwrap();

    // Read-only, it cannot be upgraded: the error says what to do.
    match TransferStore::open_read_only(&db) {
        Err(e @ StoreError::NeedsMigration { found: 4, .. }) => {
            assert!(e.to_string().contains("moneytrail migrate --db"), "{e}");
        }
        Err(e) => panic!("expected a migration error, got {e}"),
        Ok(_) => panic!("a version-4 store opened read-only as if current"),
    }
    let out = run(&["stats", "--db", p]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("migrate"));

    let out = run(&["migrate", "--db", p]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("version {}", moneytrail::keys::SCHEMA_VERSION)));

    // What version 4 wrote: 300 transfers, 378 accounts, case FX-1, stop #1.
    let stats: serde_json::Value =
        serde_json::from_slice(&run(&["stats", "--db", p, "--format", "json"]).stdout).unwrap();
    assert_eq!((stats["transfers"].as_u64(), stats["accounts"].as_u64()), (Some(300), Some(378)));
    let store = TransferStore::open_read_only(&db).unwrap();
    let view = store.view().unwrap();
    let case = view.case("FX-1").unwrap().expect("the registered case");
    assert_eq!(case.seed_txn_ids, vec!["T00000010", "T00000011"]);
    let stops = view.all_stops().unwrap();
    assert_eq!(stops.len(), 1);
    assert_eq!((stops[0].id, stops[0].amount_fen), (1, 100_00));
    assert_eq!(view.account_external(stops[0].account).unwrap().as_deref(), Some("6222624000905221008"));
    drop(view);
    drop(store);
    // And what later versions added works on it: a trace, and a statement import.
    let out = run(&[
        "trace",
        "--db",
        p,
        "--seed-txn",
        "T00000010,T00000011",
        "--as-of",
        "2026-01-02 00:00:00",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st = dir.path().join("s.csv");
    std::fs::write(&st, "查询账号：6222624000905221008\n交易时间,交易金额,借贷标志,余额,对手账号\n2026-01-03 10:00:00,1.00,贷,1.00,6222000000000001\n").unwrap();
    let out = run(&["statements", "import", "--db", p, st.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Migrating again is a no-op.
    assert!(run(&["migrate", "--db", p]).status.success());
}

/// Version 5 (before idempotency keys): upgraded in place, then read back as written.
#[test]
fn a_version_5_store_is_upgraded_and_reads_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    copy_dir(&fixture(5), &db);
    let p = db.to_str().unwrap();
    assert!(matches!(TransferStore::open_read_only(&db), Err(StoreError::NeedsMigration { found: 5, .. })));
    let out = run(&["migrate", "--db", p]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store = TransferStore::open_read_only(&db).expect("the upgraded store opens read-only");
    assert_eq!(store.schema_version().unwrap(), moneytrail::keys::SCHEMA_VERSION);
    let view = store.view().unwrap();
    assert_eq!((view.watermark().next_seq, view.watermark().next_account), (301, 379));
    let case = view.case("FX-5").unwrap().expect("the registered case");
    assert_eq!(case.seed_txn_ids, vec!["T00000010", "T00000011"]);
    let stops = view.all_stops().unwrap();
    assert_eq!(stops.len(), 1);
    assert_eq!((stops[0].id, stops[0].amount_fen), (1, 100_00));
    assert_eq!(view.account_external(stops[0].account).unwrap().as_deref(), Some("443064419398845781653"));
    // The statement's credit is a transfer from the counterparty it names.
    let payer = view.account_id("6222000000000001").unwrap().expect("the statement's counterparty");
    let mut credits = Vec::new();
    view.for_each_edge(payer, moneytrail::graph::Direction::Out, i64::MIN, i64::MAX, |e| {
        credits.push((e.counterparty, e.amount_fen));
        true
    })
    .unwrap();
    assert_eq!(credits, vec![(stops[0].account, 1_00)]);
    drop(view);
    drop(store);
    // Later work goes on: a trace of the case, and a keyed write (the family version 6 added).
    let out = run(&["trace", "--db", p, "--seed-txn", "T00000010,T00000011", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store = TransferStore::open(&db).unwrap();
    let key = RequestKey::new("someone", "k", "POST /v1/stops/1/release", b"{}");
    let first = store.release_stop(1, 1_767_300_000_000, Some(&key)).unwrap();
    let again = store.release_stop(1, 1_767_400_000_000, Some(&key)).unwrap();
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.value, again.value);
}

/// The current format's own fixture: this version opens it as it is (read-only, no migration), and reads
/// back what was written, including the idempotency record of a renewal made through the API. When the
/// format changes, this test gains the migration step, as version 5's has.
#[test]
fn a_version_6_store_reads_as_written() {
    assert_eq!(moneytrail::keys::SCHEMA_VERSION, 6, "a new format: add tests/fixtures/store-v7 and migrate v6 here");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    copy_dir(&fixture(6), &db);
    let p = db.to_str().unwrap();
    let store = TransferStore::open_read_only(&db).expect("the current format opens read-only");
    let view = store.view().unwrap();
    assert_eq!((view.watermark().next_seq, view.watermark().next_account), (301, 379));
    assert_eq!(view.case("FX-6").unwrap().expect("the registered case").seed_txn_ids, vec!["T00000010", "T00000011"]);
    let stops = view.all_stops().unwrap();
    assert_eq!(stops.len(), 1);
    let renewed = stops[0].clone();
    assert_eq!((renewed.id, renewed.amount_fen, renewed.renewals), (1, 100_00, 1));
    assert_eq!(view.account_external(renewed.account).unwrap().as_deref(), Some("443064419398845781653"));
    assert!(view.account_id("6222000000000001").unwrap().is_some(), "the statement's counterparty");
    drop(view);
    drop(store);
    // The renewal's idempotency record: the same request again is answered from it, not renewed twice; the
    // key with another request is refused.
    let store = TransferStore::open(&db).expect("writable as it is");
    let body = br#"{"at":"2026-01-02T12:00:00+08:00"}"#;
    let key = RequestKey::new("fixture", "fixture-renew-1", "POST /v1/stops/1/renew", body);
    let again = store.renew_stop(1, 1_767_400_000_000, Some(&key)).unwrap();
    assert!(again.replayed);
    assert_eq!(again.value, renewed);
    let other = RequestKey::new("fixture", "fixture-renew-1", "POST /v1/stops/1/release", b"{}");
    assert!(matches!(store.release_stop(1, 1_767_400_000_000, Some(&other)), Err(StoreError::KeyReused)));
    drop(store);
    let out = run(&["trace", "--db", p, "--seed-txn", "T00000010,T00000011", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(run(&["migrate", "--db", p]).status.success(), "migrating the current format is a no-op");
}
