//! End-to-end ingest through the `moneytrail` binary: idempotence, crash safety, bad input, formats.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

fn ingest(db: &Path, transfers: &[&Path], accounts: &[&Path], extra: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.arg("ingest").arg("--db").arg(db).args(["--format", "json"]);
    if !transfers.is_empty() {
        cmd.arg("--transfers").args(transfers);
    }
    if !accounts.is_empty() {
        cmd.arg("--accounts").args(accounts);
    }
    cmd.args(extra).output().expect("run ingest")
}

fn digest(db: &Path) -> u64 {
    TransferStore::open(db).expect("open").digest().expect("digest")
}

const HEADER: &str = "txn_id,ts,src,dst,amount,channel,currency,src_name,dst_name,src_bank,dst_bank,memo\n";

/// A deterministic transfers CSV of `n` rows over `accounts` accounts (an LCG, no RNG crate needed).
fn synthetic_csv(path: &Path, prefix: &str, n: usize, accounts: u64) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    w.write_all(HEADER.as_bytes()).unwrap();
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        x >> 33
    };
    for i in 0..n {
        let (s, d, fen) = (next() % accounts, next() % accounts, next() % 5_000_000 + 1);
        let sec = i as u64 * 7 + next() % 5;
        writeln!(
            w,
            "{prefix}{i:08},{},6222{s:012},6222{d:012},{}.{:02},transfer,CNY,张{s},李{d},ICBC,ABC,",
            1_767_196_800 + sec,
            fen / 100,
            fen % 100
        )
        .unwrap();
    }
}

#[test]
fn ingesting_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    synthetic_csv(&csv, "T", 120_000, 5_000);
    let db = dir.path().join("db");
    let first = ingest(&db, &[&csv], &[], &[]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let first = json(&first);
    assert_eq!(first["transfers_added"], 120_000);
    let d1 = digest(&db);
    let second = json(&ingest(&db, &[&csv], &[], &[]));
    assert_eq!(second["transfer_rows_read"], 120_000);
    assert_eq!(second["transfers_added"], 0);
    assert_eq!(second["transfers_already_present"], 120_000);
    assert_eq!(digest(&db), d1, "a second identical ingest changes no byte");
    let stats = json(&run(&["stats", "--db", db.to_str().unwrap(), "--format", "json"]));
    assert_eq!(stats["transfers"], 120_000);
}

#[test]
fn sigkill_mid_ingest_then_rerun_gives_the_uninterrupted_store() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    synthetic_csv(&csv, "T", 400_000, 20_000);
    let accounts = dir.path().join("a.csv");
    std::fs::write(&accounts, "account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind\n6222000000000001,H1,张一,13800000001,DEV-1,ICBC,Shenzhen Futian,2025-12-01,personal\n").unwrap();
    // A base already committed, so the killed ingest appends to an existing store.
    let base_csv = dir.path().join("base.csv");
    synthetic_csv(&base_csv, "BASE", 30_000, 20_000);
    let args: &[&str] = &["--chunk-rows", "60000"];

    let reference = dir.path().join("reference");
    assert!(ingest(&reference, &[&base_csv], &[], args).status.success());
    let t0 = Instant::now();
    assert!(ingest(&reference, &[&csv], &[&accounts], args).status.success());
    let full = t0.elapsed();
    let want = digest(&reference);

    let mut interrupted = 0;
    for (i, frac) in [0.05, 0.2, 0.4, 0.6, 0.8, 0.95].iter().enumerate() {
        let db = dir.path().join(format!("killed-{i}"));
        assert!(ingest(&db, &[&base_csv], &[], args).status.success());
        let mut child = bin()
            .arg("ingest")
            .arg("--db")
            .arg(&db)
            .arg("--transfers")
            .arg(&csv)
            .arg("--accounts")
            .arg(&accounts)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(*frac));
        let finished_alone = child.try_wait().unwrap().is_some();
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        if !finished_alone {
            // Readers see the base or the whole ingest (if the kill came after the commit, before the
            // process exited), never part of it.
            let stats = json(&run(&["stats", "--db", db.to_str().unwrap(), "--format", "json"]));
            let seen = stats["transfers"].as_u64().unwrap();
            assert!(
                seen == 30_000 || seen == 430_000,
                "kill at {frac}: a reader saw {seen} transfers, part of an ingest"
            );
            interrupted += usize::from(seen == 30_000);
        }
        let rerun = ingest(&db, &[&csv], &[&accounts], args);
        assert!(rerun.status.success(), "{}", String::from_utf8_lossy(&rerun.stderr));
        assert_eq!(
            digest(&db),
            want,
            "kill at {frac} of the run, then rerun: store differs from the uninterrupted one"
        );
    }
    assert!(interrupted >= 3, "only {interrupted} kills landed mid-ingest; the test did not test");
}

/// The bulk path's commit merges sorted edge runs into SST files and ingests them before the watermark
/// moves. A crash at each point of it (inside the merge, between merging and ingesting, after ingesting
/// the edges but before the watermark) leaves the store as it was to readers, and a rerun ends in the
/// uninterrupted store.
#[test]
fn a_crash_inside_the_bulk_commit_loses_nothing_and_the_rerun_matches() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    synthetic_csv(&csv, "T", 200_000, 20_000);
    let base_csv = dir.path().join("base.csv");
    synthetic_csv(&base_csv, "BASE", 30_000, 20_000);
    // Attributes of 80,000 accounts (the transfers' 20,000, already in the base, and 60,000 new ones: enough for files).
    let accounts = dir.path().join("a.csv");
    let mut text = String::from("account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind\n");
    for a in 0..80_000u64 {
        text +=
            &format!("6222{a:012},H{},张{a},138{:08},DEV-{},ICBC,Futian,2025-12-01,personal\n", a / 2, a / 3, a / 5);
    }
    std::fs::write(&accounts, text).unwrap();
    let args: &[&str] = &["--chunk-rows", "60000"];
    let reference = dir.path().join("reference");
    assert!(ingest(&reference, &[&base_csv], &[], args).status.success());
    let base_only = digest(&reference);
    assert!(ingest(&reference, &[&csv], &[&accounts], args).status.success());
    let want = digest(&reference);
    let shared = json(&run(&["account", "--db", reference.to_str().unwrap(), "6222000000000004", "--format", "json"]));
    assert!(shared.to_string().contains("DEV-0"), "the attributes arrived: {shared}");
    for point in ["merging", "edges-merged", "edges-ingested", "acct_attr-ingested", "attr_index-ingested"] {
        let db = dir.path().join(format!("crashed-{point}"));
        assert!(ingest(&db, &[&base_csv], &[], args).status.success());
        let crashed = bin()
            .arg("ingest")
            .arg("--db")
            .arg(&db)
            .arg("--transfers")
            .arg(&csv)
            .arg("--accounts")
            .arg(&accounts)
            .args(args)
            .env("MONEYTRAIL_FAULT", point)
            .output()
            .unwrap();
        assert!(!crashed.status.success() && crashed.status.code().is_none(), "{point}: the process must die");
        let stats = json(&run(&["stats", "--db", db.to_str().unwrap(), "--format", "json"]));
        assert_eq!(stats["transfers"], 30_000, "{point}: readers see the base only");
        // The next session removes every trace of the crashed one (index entries of uncommitted accounts
        // included): re-reading the base leaves exactly the base.
        assert!(ingest(&db, &[&base_csv], &[], args).status.success());
        assert_eq!(digest(&db), base_only, "{point}: the rollback left something of the crashed ingest");
        let rerun = ingest(&db, &[&csv], &[&accounts], args);
        assert!(rerun.status.success(), "{}", String::from_utf8_lossy(&rerun.stderr));
        assert_eq!(digest(&db), want, "crash at {point}, then rerun: store differs from the uninterrupted one");
    }
}

#[test]
fn broken_rows_are_rejected_with_reasons_and_good_rows_stored() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("mixed.csv");
    let mut body: Vec<u8> = b"txn_id,ts,src,dst,amount,channel\n".to_vec();
    // (line, row, expected field in the rejects file); good rows have no expectation.
    let rows: Vec<(&[u8], Option<&str>)> = vec![
        (b"G1,2026-01-05 10:00:00,A,B,1299.00,transfer", None),
        (b"B1,yesterday,A,B,10,transfer", Some("ts")),
        (b"B2,2026-01-05 10:01:00,A,B,12,99,transfer", Some("")),
        (b"B3,2026-01-05 10:02:00,A,B,0,transfer", Some("amount")),
        (b"B4,2026-01-05 10:03:00,A,B,-5,transfer", Some("amount")),
        (b"G2,2026-01-05 10:04:00,B,C,\"1,000.50\",transfer", None),
        (b"B5,2026-01-05 10:05:00,,C,10,transfer", Some("src")),
        (b"B6,2026-01-05 10:06:00,A,B,1.005,transfer", Some("amount")),
        (b"B7,2026-01-05 10:07:00,A,B", Some("")),
        (b"B8,2026-01-05 10:08:00,\xd5\xc5\xc8\xfd,B,10,transfer", Some("src")),
        (b"G1,2026-01-05 10:00:00,A,B,1299.00,transfer", None), // a harmless re-delivery
        (b"G1,2026-01-05 10:00:00,A,B,9999.00,transfer", Some("txn_id")), // a conflict
        (b"B9,2026-02-30 10:00:00,A,B,10,transfer", Some("ts")),
        (b",2026-01-05 10:00:00,A,B,10,transfer", Some("txn_id")),
        (b"G3,1767578400,C,D,\xc2\xa5 88.8,pos", None),
    ];
    for (r, _) in &rows {
        body.extend_from_slice(r);
        body.push(b'\n');
    }
    std::fs::write(&csv, &body).unwrap();
    let db = dir.path().join("db");
    let out = ingest(&db, &[&csv], &[], &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "exit code 3 = committed with rejected rows; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = json(&out);
    let bad: Vec<(usize, &str)> = rows.iter().enumerate().filter_map(|(i, (_, f))| f.map(|f| (i + 2, f))).collect();
    assert_eq!(s["transfers_added"], 3);
    assert_eq!(s["transfers_already_present"], 1);
    assert_eq!(s["transfer_rows_rejected"], bad.len());
    assert_eq!(s["conflicts"], 1);
    let rejects = PathBuf::from(s["rejects_file"].as_str().expect("a rejects file"));
    let mut rdr = csv::Reader::from_path(&rejects).unwrap();
    let got: Vec<(usize, String, String)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].parse().unwrap(), r[2].to_string(), r[4].to_string())
        })
        .collect();
    let mut got_lines: Vec<(usize, &str)> = got.iter().map(|(l, f, _)| (*l, f.as_str())).collect();
    got_lines.sort();
    assert_eq!(got_lines, bad, "every bad row, by line and field");
    assert!(got.iter().all(|(_, _, reason)| !reason.is_empty()));
    // The stored conflict row is the first one.
    let acct = json(&run(&["account", "--db", db.to_str().unwrap(), "A", "--format", "json"]));
    let amounts: Vec<&str> =
        acct["transfers"].as_array().unwrap().iter().map(|t| t["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, vec!["1299.00"]);
}

#[test]
fn a_missing_column_stops_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "txn_id,ts,src,amount\nT1,2026-01-05 10:00:00,A,10\n").unwrap();
    let db = dir.path().join("db");
    let out = ingest(&db, &[&csv], &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("t.csv") && err.contains("dst"), "names the file and the column: {err}");
    assert!(!db.exists(), "nothing written, not even an empty store");
    let junk = dir.path().join("x.bin");
    std::fs::write(&junk, [0u8, 1, 2, 3, 0, 0]).unwrap();
    let out = ingest(&db, &[&junk], &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format"));
}

#[test]
fn user_column_names_tab_delimiter_and_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = dir.path().join("bank.tsv");
    std::fs::write(&tsv, "流水号\t交易时间\t付款账号\t收款账号\t交易金额\nS1\t20260105100000\tA\tB\t¥1,299.00\nS2\t2026-01-05T02:00:00Z\tB\tC\t5\n").unwrap();
    let db = dir.path().join("db");
    let out = ingest(
        &db,
        &[&tsv],
        &[],
        &["--delimiter", "\\t", "--map", "txn_id=流水号,ts=交易时间,src=付款账号,dst=收款账号,amount=交易金额"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let acct = json(&run(&["account", "--db", db.to_str().unwrap(), "B", "--format", "json"]));
    let t = acct["transfers"].as_array().unwrap();
    assert_eq!(t.len(), 2);
    // Both rows are 10:00 in Shanghai: the local form and the UTC form name the same instant.
    assert_eq!(t[0]["ts"], "2026-01-05T10:00:00+08:00");
    assert_eq!(t[1]["ts"], "2026-01-05T10:00:00+08:00");
    assert_eq!((t[0]["direction"].as_str(), t[0]["amount"].as_str()), (Some("in"), Some("1299.00")));
}

#[test]
fn parquet_and_arrow_give_the_same_store_as_csv() {
    use arrow::array::{ArrayRef, Decimal128Array, StringArray, TimestampMillisecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use arrow::record_batch::RecordBatch;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let n = 2_000;
    let ids: Vec<String> = (0..n).map(|i| format!("T{i}")).collect();
    let src: Vec<String> = (0..n).map(|i| format!("A{}", i % 37)).collect();
    let dst: Vec<String> = (0..n).map(|i| format!("B{}", i % 53)).collect();
    let ts: Vec<i64> = (0..n).map(|i| 1_767_578_400_000 + i as i64 * 60_000).collect();
    let fen: Vec<i128> = (0..n).map(|i| 100 + i as i128 * 37).collect();
    let csv_path = dir.path().join("t.csv");
    let mut csv = String::from("txn_id,ts,src,dst,amount\n");
    for i in 0..n {
        csv.push_str(&format!("{},{},{},{},{}.{:02}\n", ids[i], ts[i], src[i], dst[i], fen[i] / 100, fen[i] % 100));
    }
    std::fs::write(&csv_path, csv).unwrap();

    let schema = Arc::new(Schema::new(vec![
        Field::new("txn_id", DataType::Utf8, false),
        Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
        Field::new("src", DataType::Utf8, false),
        Field::new("dst", DataType::Utf8, false),
        Field::new("amount", DataType::Decimal128(18, 2), false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ids.clone())),
        Arc::new(TimestampMillisecondArray::from(ts.clone()).with_timezone("UTC")),
        Arc::new(StringArray::from(src.clone())),
        Arc::new(StringArray::from(dst.clone())),
        Arc::new(Decimal128Array::from(fen.clone()).with_precision_and_scale(18, 2).unwrap()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let pq = dir.path().join("t.parquet");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), schema.clone(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let ipc = dir.path().join("t.arrow");
    let mut w = arrow::ipc::writer::FileWriter::try_new(std::fs::File::create(&ipc).unwrap(), &schema).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();

    let mut digests = Vec::new();
    for (name, path) in [("csv", &csv_path), ("parquet", &pq), ("arrow", &ipc)] {
        let db = dir.path().join(format!("db-{name}"));
        let out = ingest(&db, &[path], &[], &[]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(json(&out)["transfers_added"], n, "{name}");
        digests.push(digest(&db));
    }
    assert_eq!(digests[0], digests[1], "Parquet stores the same bytes as CSV");
    assert_eq!(digests[0], digests[2], "Arrow IPC stores the same bytes as CSV");
}

#[test]
fn readers_see_a_consistent_store_while_an_ingest_runs() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.csv");
    synthetic_csv(&base, "BASE", 10_000, 1_000);
    let big = dir.path().join("big.csv");
    synthetic_csv(&big, "T", 400_000, 20_000);
    let db = dir.path().join("db");
    assert!(ingest(&db, &[&base], &[], &[]).status.success());
    let err_path = dir.path().join("ingest.err");
    let mut child = bin()
        .arg("ingest")
        .arg("--db")
        .arg(&db)
        .arg("--transfers")
        .arg(&big)
        .args(["--chunk-rows", "50000"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = child.try_wait().unwrap().is_some();
        let out = run(&["stats", "--db", db.to_str().unwrap(), "--format", "json"]);
        assert!(out.status.success(), "a reader failed during the ingest: {}", String::from_utf8_lossy(&out.stderr));
        let n = json(&out)["transfers"].as_u64().unwrap();
        seen.insert(n);
        if done || Instant::now() > deadline {
            break;
        }
    }
    assert!(
        child.wait().unwrap().success(),
        "the ingest failed: {}",
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    let n = json(&run(&["stats", "--db", db.to_str().unwrap(), "--format", "json"]))["transfers"].as_u64().unwrap();
    seen.insert(n);
    // Distinct ids in big.csv are all new, so the store goes from 10k straight to 410k.
    assert!(seen.iter().all(|n| *n == 10_000 || *n == 410_000), "readers saw a partial ingest: {seen:?}");
    assert!(seen.contains(&10_000), "no reader ran during the ingest; the test did not test");
}
