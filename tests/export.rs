//! `moneytrail export` and `--from-batch`, through the binary: the sample world's export read back with the
//! Parquet reader equals what was ingested (every transfer once, in its local day's partition, amounts and
//! ends as in the CSV), the manifest's counts are the files', and a batch that does not belong to the store is
//! refused with what differs. (The Spark job itself is `make spark-test`.)

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{Int64Type, UInt32Type};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_moneytrail"))
}

fn sample() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample")
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn read(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn sample_store(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("db");
    run(bin()
        .args(["ingest", "--db"])
        .arg(&db)
        .arg("--accounts")
        .arg(sample().join("accounts.csv"))
        .arg("--transfers")
        .arg(sample().join("transfers.csv")));
    db
}

/// The sample world's CSV, read independently: txn_id → (local day, src, dst, fen).
fn csv_transfers() -> HashMap<String, (String, String, String, i64)> {
    let mut out = HashMap::new();
    for r in csv::Reader::from_path(sample().join("transfers.csv")).unwrap().records() {
        let r = r.unwrap();
        let (units, cents) = r[4].split_once('.').unwrap_or((&r[4], "0"));
        let fen = units.parse::<i64>().unwrap() * 100 + format!("{cents:0<2}").parse::<i64>().unwrap();
        // The sample's times are local (Asia/Shanghai) already: the day is the text's date.
        out.insert(r[0].to_string(), (r[1][..10].to_string(), r[2].to_string(), r[3].to_string(), fen));
    }
    out
}

#[test]
fn an_export_holds_every_transfer_once_in_its_days_partition() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_store(dir.path());
    let out = dir.path().join("export");
    run(bin().args(["export", "--db"]).arg(&db).arg("--out").arg(&out));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let expected = csv_transfers();
    assert_eq!(manifest["transfers"].as_u64().unwrap() as usize, expected.len());
    assert_eq!(manifest["tz"], "Asia/Shanghai");
    assert!(manifest["policy"]["RING_MIN_FLOW_FEN"].is_number(), "{manifest}");

    // Accounts: id → external id.
    let mut names: HashMap<u32, String> = HashMap::new();
    for b in read(&out.join("accounts/part-00000.parquet")) {
        let ids = b.column_by_name("id").unwrap().as_primitive::<UInt32Type>();
        let acc = b.column_by_name("account").unwrap().as_string::<i32>();
        for i in 0..b.num_rows() {
            names.insert(ids.value(i), acc.value(i).to_string());
        }
    }
    assert_eq!(names.len() as u64, manifest["accounts"].as_u64().unwrap());

    let mut seen: HashMap<String, (String, String, String, i64)> = HashMap::new();
    let mut per_day: BTreeMap<String, u64> = BTreeMap::new();
    for e in std::fs::read_dir(out.join("transfers")).unwrap() {
        let e = e.unwrap();
        let day = e.file_name().to_string_lossy().strip_prefix("day=").unwrap().to_string();
        for b in read(&e.path().join("part-00000.parquet")) {
            let txn = b.column_by_name("txn_id").unwrap().as_string::<i32>();
            let src = b.column_by_name("src").unwrap().as_primitive::<UInt32Type>();
            let dst = b.column_by_name("dst").unwrap().as_primitive::<UInt32Type>();
            let src_acc = b.column_by_name("src_account").unwrap().as_string::<i32>();
            let fen = b.column_by_name("amount_fen").unwrap().as_primitive::<Int64Type>();
            for i in 0..b.num_rows() {
                assert_eq!(names[&src.value(i)], src_acc.value(i), "internal and external ids agree");
                let row = (day.clone(), names[&src.value(i)].clone(), names[&dst.value(i)].clone(), fen.value(i));
                assert!(seen.insert(txn.value(i).to_string(), row).is_none(), "{} twice", txn.value(i));
                *per_day.entry(day.clone()).or_default() += 1;
            }
        }
    }
    assert_eq!(seen, expected, "the export is the ingested world, each transfer in its local day");
    let listed: BTreeMap<String, u64> = serde_json::from_value(manifest["days"].clone()).unwrap();
    assert_eq!(per_day, listed, "the manifest's counts are the files'");

    // A second export into the same directory is refused, and leaves it as it was.
    let again = bin().args(["export", "--db"]).arg(&db).arg("--out").arg(&out).output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"), "{}", String::from_utf8_lossy(&again.stderr));
}

#[test]
fn a_batch_of_another_store_state_is_refused_with_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let db = sample_store(dir.path());
    let batch = dir.path().join("batch");
    std::fs::create_dir_all(&batch).unwrap();
    let refused = |args: &[&str]| {
        let out = bin().args(args).arg("--db").arg(&db).arg("--from-batch").arg(&batch).output().unwrap();
        assert!(!out.status.success(), "a bad batch was used");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    // No batch.json: the job has not finished.
    assert!(refused(&["rings"]).contains("has the job finished"));
    // Made from the store one transfer earlier.
    let stats = run(bin().args(["stats", "--db"]).arg(&db).args(["--format", "json"]));
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    let transfers = stats["transfers"].as_u64().unwrap();
    let accounts = stats["accounts"].as_u64().unwrap();
    let manifest = |seq: u64, tz: &str| {
        serde_json::json!({"export_format": 1, "next_seq": seq, "next_account": accounts, "tz": tz,
                           "transfers": seq, "accounts": accounts, "suspects": 0})
    };
    std::fs::write(batch.join("batch.json"), manifest(transfers - 1, "Asia/Shanghai").to_string()).unwrap();
    let e = refused(&["features"]);
    assert!(e.contains(&format!("seq {}", transfers - 1)) && e.contains("export it again"), "{e}");
    // The right state but another time zone (night shares and days would differ).
    std::fs::write(batch.join("batch.json"), manifest(transfers, "UTC").to_string()).unwrap();
    assert!(refused(&["features"]).contains("time zone UTC"));
    // The right state, but no features written.
    std::fs::write(batch.join("batch.json"), manifest(transfers, "Asia/Shanghai").to_string()).unwrap();
    assert!(refused(&["rings"]).contains("features"));
}
