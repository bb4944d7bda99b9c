//! Whole-graph results made off this machine (`jobs/spark/`), read back on the serving node: every account's
//! mule features and the rule suspects, computed from an export ([`super::export`]) of this very store.
//!
//! A batch directory holds `batch.json` (what the job read: the export's watermark, time zone and counts),
//! `features/*.parquet` (one row per account id, the columns of [`AccountFeatures`]), `suspects/*.parquet`
//! and `edges/*.parquet`. A batch is used only against the store state it was made from: a store that has
//! moved on, or a batch missing accounts, is refused with what differs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use serde::Deserialize;

use super::BatchError;
use crate::rings::features::AccountFeatures;
use crate::store::StoreView;

/// `batch.json`, written by the job when it has finished.
#[derive(Clone, Debug, Deserialize)]
pub struct BatchManifest {
    pub export_format: u32,
    pub next_seq: u64,
    pub next_account: u32,
    pub tz: String,
    pub transfers: u64,
    pub accounts: u64,
    pub suspects: u64,
}

fn bad(path: &Path, m: impl std::fmt::Display) -> BatchError {
    BatchError::Read { path: path.into(), message: m.to_string() }
}

type Result<T, E = BatchError> = std::result::Result<T, E>;

/// The batch's manifest, checked against the store it is to be used with.
pub fn manifest(view: &StoreView<'_>, dir: &Path, tz: &str) -> Result<BatchManifest> {
    let path = dir.join("batch.json");
    let text = std::fs::read_to_string(&path).map_err(|e| bad(&path, format!("{e} (has the job finished?)")))?;
    let m: BatchManifest = serde_json::from_str(&text).map_err(|e| bad(&path, e))?;
    if m.export_format != super::export::EXPORT_FORMAT {
        return Err(bad(
            &path,
            format!("export format {}, this build reads {}", m.export_format, super::export::EXPORT_FORMAT),
        ));
    }
    let wm = view.watermark();
    if (m.next_seq, m.next_account) != (wm.next_seq, wm.next_account) {
        return Err(bad(
            &path,
            format!(
                "made from an export at transfer seq {} and {} accounts; this store is at seq {} and {} accounts: \
                 export it again and rerun the job",
                m.next_seq, m.next_account, wm.next_seq, wm.next_account
            ),
        ));
    }
    if m.tz != tz {
        return Err(bad(&path, format!("computed in time zone {}, asked for {tz}", m.tz)));
    }
    Ok(m)
}

/// The Parquet files of one table of the batch (Spark writes `part-*.parquet` files into a directory).
fn parts(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| bad(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(bad(dir, "no Parquet files"));
    }
    Ok(files)
}

fn read_table(dir: &Path) -> Result<Vec<RecordBatch>> {
    let mut out = Vec::new();
    for path in parts(dir)? {
        let file = std::fs::File::open(&path).map_err(|e| bad(&path, e))?;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| bad(&path, e))?;
        for batch in reader {
            out.push(batch.map_err(|e| bad(&path, e))?);
        }
    }
    Ok(out)
}

/// A column cast to `to`, whatever type the job wrote it in.
fn column(b: &RecordBatch, name: &str, to: &DataType, dir: &Path) -> Result<arrow::array::ArrayRef> {
    let col = b.column_by_name(name).ok_or_else(|| bad(dir, format!("no column {name}")))?;
    arrow::compute::cast(col, to).map_err(|e| bad(dir, format!("column {name}: {e}")))
}

/// A column as whole numbers (nulls as None).
fn ints(b: &RecordBatch, name: &str, dir: &Path) -> Result<Vec<Option<i64>>> {
    let col = column(b, name, &DataType::Int64, dir)?;
    let a = col.as_primitive::<Int64Type>();
    Ok((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i))).collect())
}

fn floats(b: &RecordBatch, name: &str, dir: &Path) -> Result<Vec<Option<f64>>> {
    let col = column(b, name, &DataType::Float64, dir)?;
    let a = col.as_primitive::<Float64Type>();
    Ok((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i))).collect())
}

fn strings(b: &RecordBatch, name: &str, dir: &Path) -> Result<Vec<String>> {
    let col = column(b, name, &DataType::Utf8, dir)?;
    let a = col.as_string::<i32>();
    Ok((0..a.len()).map(|i| if a.is_valid(i) { a.value(i).to_string() } else { String::new() }).collect())
}

/// Every account's features from the batch, indexed by account id, after checking the batch against the
/// store (same watermark, same time zone, one row per account).
pub fn read_features(view: &StoreView<'_>, dir: &Path, tz: &str) -> Result<Vec<AccountFeatures>> {
    let m = manifest(view, dir, tz)?;
    let fdir = dir.join("features");
    let n = view.account_count() as usize;
    let mut out: Vec<Option<AccountFeatures>> = vec![None; n];
    for b in read_table(&fdir)? {
        let int = |name: &str| ints(&b, name, &fdir);
        let flt = |name: &str| floats(&b, name, &fdir);
        let id = int("id")?;
        let kind = strings(&b, "kind", &fdir)?;
        let cols_i: Vec<Vec<Option<i64>>> = [
            "in_count",
            "out_count",
            "in_fen",
            "out_fen",
            "senders",
            "receivers",
            "counterparties",
            "one_off_in_fen",
            "one_off_senders",
            "age_at_first_activity_days",
            "dormancy_before_burst_days",
            "holders_on_device",
            "holders_on_phone",
            "cards_of_holder",
            "holders_in_phone_run",
            "holders_in_branch_cohort",
            "holders_on_login",
            "first_ts_ms",
            "last_ts_ms",
        ]
        .iter()
        .map(|c| int(c))
        .collect::<Result<_>>()?;
        let cols_f: Vec<Vec<Option<f64>>> = [
            "pass_through_1h",
            "pass_through_24h",
            "lifo_pass_1h",
            "lifo_pass_24h",
            "one_off_pass_24h",
            "burst_share",
            "median_dwell_min",
            "balance_left_share",
            "night_share",
            "round_or_under_limit_share",
            "salary_in_share",
            "salary_out_share",
            "terminal_out_share",
        ]
        .iter()
        .map(|c| flt(c))
        .collect::<Result<_>>()?;
        for r in 0..b.num_rows() {
            let i = |c: usize| cols_i[c][r].unwrap_or(0);
            let u = |c: usize| u32::try_from(i(c)).unwrap_or(u32::MAX);
            let f = |c: usize| cols_f[c][r].unwrap_or(0.0);
            let Some(id) = id[r].and_then(|v| u32::try_from(v).ok()).filter(|&v| (v as usize) < n) else {
                return Err(bad(&fdir, format!("row with account id {:?}, outside this store's 0..{n}", id[r])));
            };
            let feat = AccountFeatures {
                id,
                kind: kind[r].clone(),
                in_count: u(0),
                out_count: u(1),
                in_fen: i(2),
                out_fen: i(3),
                senders: u(4),
                receivers: u(5),
                counterparties: u(6),
                one_off_in_fen: i(7),
                one_off_senders: u(8),
                age_at_first_activity_days: cols_i[9][r],
                dormancy_before_burst_days: i(10),
                holders_on_device: u(11),
                holders_on_phone: u(12),
                cards_of_holder: u(13),
                holders_in_phone_run: u(14),
                holders_in_branch_cohort: u(15),
                holders_on_login: u(16),
                first_ts_ms: i(17),
                last_ts_ms: i(18),
                pass_through_1h: f(0),
                pass_through_24h: f(1),
                lifo_pass_1h: f(2),
                lifo_pass_24h: f(3),
                one_off_pass_24h: f(4),
                burst_share: f(5),
                median_dwell_min: cols_f[6][r],
                balance_left_share: f(7),
                night_share: f(8),
                round_or_under_limit_share: f(9),
                salary_in_share: f(10),
                salary_out_share: f(11),
                terminal_out_share: f(12),
            };
            let slot = &mut out[id as usize];
            if slot.is_some() {
                return Err(bad(&fdir, format!("account id {id} appears twice")));
            }
            *slot = Some(feat);
        }
    }
    let missing: Vec<usize> = out.iter().enumerate().filter(|(_, f)| f.is_none()).map(|(i, _)| i).take(5).collect();
    if !missing.is_empty() || m.accounts != n as u64 {
        return Err(bad(
            &fdir,
            format!("accounts missing from the batch (first ids: {missing:?}); {} listed, store has {n}", m.accounts),
        ));
    }
    Ok(out.into_iter().flatten().collect())
}

/// The rule suspects the batch found (account ids), to check them against the rules of this build.
pub fn read_suspects(dir: &Path) -> Result<BTreeSet<u32>> {
    let sdir = dir.join("suspects");
    let mut out = BTreeSet::new();
    for b in read_table(&sdir)? {
        for id in ints(&b, "id", &sdir)?.into_iter().flatten() {
            out.insert(u32::try_from(id).map_err(|_| bad(&sdir, format!("account id {id}")))?);
        }
    }
    Ok(out)
}
