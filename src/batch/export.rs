//! `moneytrail export`: the store as Parquet, for whole-graph work on a cluster (`jobs/spark/`) and for
//! anyone with DuckDB or Spark.
//!
//! Layout of an export directory (format [`EXPORT_FORMAT`]):
//! - `transfers/day=YYYY-MM-DD/part-00000.parquet` — every committed transfer, partitioned by its local day
//!   (the store's time zone), in seq order within a file: `seq, txn_id, ts_ms, src, dst, src_account,
//!   dst_account, amount_fen, channel, channel_kind, currency, src_name, dst_name, src_bank, dst_bank, memo`
//!   (`src`/`dst` the internal ids, `*_account` the bank's account numbers, amounts in fen);
//! - `accounts/part-00000.parquet` — every account id below the watermark: `id, account, holder_id,
//!   holder_name, phone, device_id, bank, branch, opened_at_days, kind`;
//! - `logins/part-00000.parquet` — login IPs and MACs that statements showed: `id, kind, value`;
//! - `manifest.json`, written last: the format, the store's on-disk version, the watermark, the time zone,
//!   row counts (per day too) and the policy values a batch job needs ([`crate::rings::batch_policy`]), so
//!   thresholds have one home. A reader refuses an export whose files disagree with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, RecordBatch, StringBuilder, UInt32Builder, UInt64Builder};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use super::BatchError;
use crate::model::{AttrKind, ChannelKind, TransferRecord};
use crate::store::StoreView;

type Result<T, E = BatchError> = std::result::Result<T, E>;

/// Version of the export layout; readers refuse others.
pub const EXPORT_FORMAT: u32 = 1;

/// Rows buffered per file before they are written as a row group (bounded memory whatever the store's size).
const ROWS_PER_GROUP: usize = 65_536;

/// What an export holds; `manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExportManifest {
    pub format: u32,
    /// The store's on-disk format version when exported.
    pub store_schema_version: u32,
    /// The store's watermark: transfers below `next_seq`, accounts below `next_account`.
    pub next_seq: u64,
    pub next_account: u32,
    /// The time zone the days are in.
    pub tz: String,
    pub transfers: u64,
    pub accounts: u64,
    pub logins: u64,
    /// Transfers per day partition (`YYYY-MM-DD`).
    pub days: BTreeMap<String, u64>,
    /// Policy values a batch job needs, by name ([`crate::rings::batch_policy`]).
    pub policy: BTreeMap<String, serde_json::Value>,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> BatchError {
    BatchError::Export { path: path.into(), message: e.to_string() }
}

fn transfer_schema() -> Arc<Schema> {
    let s = |n: &str| Field::new(n, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        Field::new("seq", DataType::UInt64, false),
        s("txn_id"),
        Field::new("ts_ms", DataType::Int64, false),
        Field::new("src", DataType::UInt32, false),
        Field::new("dst", DataType::UInt32, false),
        s("src_account"),
        s("dst_account"),
        Field::new("amount_fen", DataType::Int64, false),
        s("channel"),
        s("channel_kind"),
        s("currency"),
        s("src_name"),
        s("dst_name"),
        s("src_bank"),
        s("dst_bank"),
        s("memo"),
    ]))
}

fn writer(path: &Path, schema: Arc<Schema>) -> Result<ArrowWriter<std::fs::File>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| io_err(path, e))?;
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .set_max_row_group_row_count(Some(ROWS_PER_GROUP))
        .build();
    ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| io_err(path, e))
}

/// One day's transfers being written.
struct DayFile {
    path: PathBuf,
    writer: ArrowWriter<std::fs::File>,
    rows: Vec<(u64, TransferRecord)>,
    written: u64,
}

impl DayFile {
    fn flush(&mut self, names: &[String]) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let n = self.rows.len();
        let (mut seq, mut ts, mut amount) = (UInt64Builder::new(), Int64Builder::new(), Int64Builder::new());
        let (mut src, mut dst) = (UInt32Builder::new(), UInt32Builder::new());
        let mut text: Vec<StringBuilder> = (0..11).map(|_| StringBuilder::new()).collect();
        let name = |id: u32| names.get(id as usize).map_or("", String::as_str);
        // Taken, not drained: a written day's buffer is given back (drain kept every day's capacity: 1.1 GiB
        // at 10M transfers over 60 days), so memory holds about one day's rows.
        for (s, t) in std::mem::take(&mut self.rows) {
            seq.append_value(s);
            ts.append_value(t.ts_ms);
            src.append_value(t.src);
            dst.append_value(t.dst);
            amount.append_value(t.amount_fen);
            let kind = channel_kind_name(t.channel.kind());
            for (b, v) in text.iter_mut().zip([
                t.txn_id.as_str(),
                name(t.src),
                name(t.dst),
                t.channel.as_str(),
                kind,
                &t.currency,
                &t.src_name,
                &t.dst_name,
                &t.src_bank,
                &t.dst_bank,
                &t.memo,
            ]) {
                b.append_value(v);
            }
        }
        let mut text = text.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef);
        let mut next = || text.next().expect("eleven text columns");
        let (txn, src_acc, dst_acc) = (next(), next(), next());
        let columns: Vec<ArrayRef> = vec![
            Arc::new(seq.finish()),
            txn,
            Arc::new(ts.finish()),
            Arc::new(src.finish()),
            Arc::new(dst.finish()),
            src_acc,
            dst_acc,
            Arc::new(amount.finish()),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
        ];
        let batch = RecordBatch::try_new(transfer_schema(), columns).map_err(|e| io_err(&self.path, e))?;
        self.writer.write(&batch).map_err(|e| io_err(&self.path, e))?;
        self.written += n as u64;
        Ok(())
    }
}

/// What analysis reads of a channel, by name (`channel` keeps the bank's text): `unspecified`, `transfer`,
/// `atm_withdrawal`, `pos`, `third_party`, `salary`, `cash_deposit`, `other`.
pub fn channel_kind_name(k: ChannelKind) -> &'static str {
    match k {
        ChannelKind::Unspecified => "unspecified",
        ChannelKind::Other => "other",
        ChannelKind::Transfer => "transfer",
        ChannelKind::AtmWithdrawal => "atm_withdrawal",
        ChannelKind::Pos => "pos",
        ChannelKind::ThirdParty => "third_party",
        ChannelKind::Salary => "salary",
        ChannelKind::CashDeposit => "cash_deposit",
    }
}

/// Writes the store as `view` sees it as Parquet under `out` (which must not exist or be empty); the
/// manifest last. `schema_version` is the store's on-disk format, recorded in the manifest.
pub fn write(view: &StoreView<'_>, schema_version: u32, out: &Path, tz: chrono_tz::Tz) -> Result<ExportManifest> {
    if out.exists() && std::fs::read_dir(out).map_err(|e| io_err(out, e))?.next().is_some() {
        return Err(io_err(out, "exists and is not empty"));
    }
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let wm = view.watermark();
    // Accounts first: their external ids name both ends of every transfer.
    let n = view.account_count() as u32;
    let mut names = Vec::with_capacity(n as usize);
    let path = out.join("accounts/part-00000.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::UInt32, false),
        Field::new("account", DataType::Utf8, false),
        Field::new("holder_id", DataType::Utf8, false),
        Field::new("holder_name", DataType::Utf8, false),
        Field::new("phone", DataType::Utf8, false),
        Field::new("device_id", DataType::Utf8, false),
        Field::new("bank", DataType::Utf8, false),
        Field::new("branch", DataType::Utf8, false),
        Field::new("opened_at_days", DataType::Int32, true),
        Field::new("kind", DataType::Utf8, false),
    ]));
    let mut w = writer(&path, schema.clone())?;
    let mut start = 0u32;
    while start < n {
        let end = (start + ROWS_PER_GROUP as u32).min(n);
        let mut ids = UInt32Builder::new();
        let mut text: Vec<StringBuilder> = (0..7).map(|_| StringBuilder::new()).collect();
        let (mut opened, mut kind) = (Int32Builder::new(), StringBuilder::new());
        for id in start..end {
            let external = view.account_external(id)?.unwrap_or_default();
            let a = view.account_attrs(id)?;
            ids.append_value(id);
            for (b, v) in text.iter_mut().zip([
                &external,
                &a.holder_id,
                &a.holder_name,
                &a.phone,
                &a.device_id,
                &a.bank,
                &a.branch,
            ]) {
                b.append_value(v);
            }
            opened.append_option(a.opened_at_days);
            kind.append_value(a.kind.as_str());
            names.push(external);
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(ids.finish())];
        columns.extend(text.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef));
        columns.push(Arc::new(opened.finish()));
        columns.push(Arc::new(kind.finish()));
        let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| io_err(&path, e))?;
        w.write(&batch).map_err(|e| io_err(&path, e))?;
        start = end;
    }
    w.close().map_err(|e| io_err(&path, e))?;

    // Logins statements showed.
    let path = out.join("logins/part-00000.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::UInt32, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, false),
    ]));
    let (mut ids, mut kinds, mut values) = (UInt32Builder::new(), StringBuilder::new(), StringBuilder::new());
    let mut logins = 0u64;
    for kind in [AttrKind::Ip, AttrKind::Mac] {
        for (value, id) in view.attribute_range(kind, "", None)? {
            ids.append_value(id);
            kinds.append_value(kind.as_str());
            values.append_value(value);
            logins += 1;
        }
    }
    let mut w = writer(&path, schema.clone())?;
    let columns: Vec<ArrayRef> = vec![Arc::new(ids.finish()), Arc::new(kinds.finish()), Arc::new(values.finish())];
    w.write(&RecordBatch::try_new(schema, columns).map_err(|e| io_err(&path, e))?).map_err(|e| io_err(&path, e))?;
    w.close().map_err(|e| io_err(&path, e))?;

    // Transfers, a file per local day.
    let mut days: BTreeMap<String, DayFile> = BTreeMap::new();
    let mut failed: Option<BatchError> = None;
    let mut last_day = String::new();
    view.for_each_transfer(|seq, t| {
        if failed.is_some() {
            return;
        }
        let day = crate::timefmt::format_local_date(t.ts_ms, tz);
        // Seq order mostly follows time: when the day moves on, the day before is written out (rows and the
        // writer's open row group), so memory holds about one day's rows rather than every day's.
        if day != last_day {
            if let Some(prev) = days.get_mut(&last_day) {
                if let Err(e) = prev.flush(&names).and_then(|()| prev.writer.flush().map_err(|e| io_err(&prev.path, e)))
                {
                    failed = Some(e);
                    return;
                }
            }
            last_day.clone_from(&day);
        }
        let file = match days.entry(day) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let path = out.join(format!("transfers/day={}/part-00000.parquet", e.key()));
                match writer(&path, transfer_schema()) {
                    Ok(writer) => e.insert(DayFile { path, writer, rows: Vec::new(), written: 0 }),
                    Err(err) => {
                        failed = Some(err);
                        return;
                    }
                }
            }
        };
        file.rows.push((seq, t));
        if file.rows.len() >= ROWS_PER_GROUP {
            if let Err(e) = file.flush(&names) {
                failed = Some(e);
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    let mut counts = BTreeMap::new();
    for (day, mut f) in days {
        f.flush(&names)?;
        f.writer.close().map_err(|e| io_err(&f.path, e))?;
        counts.insert(day, f.written);
    }
    let manifest = ExportManifest {
        format: EXPORT_FORMAT,
        store_schema_version: schema_version,
        next_seq: wm.next_seq,
        next_account: wm.next_account,
        tz: tz.name().to_string(),
        transfers: counts.values().sum(),
        accounts: u64::from(n),
        logins,
        days: counts,
        policy: crate::rings::batch_policy(),
    };
    let path = out.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| io_err(&path, e))?;
    std::fs::write(&path, text + "\n").map_err(|e| io_err(&path, e))?;
    Ok(manifest)
}
