//! Loading transfers and accounts files into the store.
//!
//! Every input file is opened and its header checked before anything is written, so a missing column
//! or an unreadable file stops the ingest with nothing changed. Then rows stream through in chunks:
//! a reader thread reads the next chunk while the current one is parsed (in parallel) and written.
//! A bad row goes to the rejects file with its file, line, field, value and reason; good rows are
//! stored; nothing becomes visible until the whole ingest commits.

pub mod lists;
pub mod ndjson;
pub mod rejects;
pub mod row;
pub mod source;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use chrono_tz::Tz;
use serde::Serialize;

use crate::model::Transfer;
use crate::store::{IngestSession, StoreError, TransferStore, Verdict};
use rejects::Rejects;
use row::{parse_account, parse_transfer, RowError};
pub use source::{ColumnMapping, Format, RawChunk, Source};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: unknown format: {detail}")]
    UnknownFormat { path: PathBuf, detail: String },
    #[error("{path}: no header row")]
    NoHeader { path: PathBuf },
    #[error("{path}: missing required column(s) {}; the file has: {}", missing.join(", "), found.join(", "))]
    MissingColumns { path: PathBuf, missing: Vec<String>, found: Vec<String> },
    #[error("{path}:{line}: unreadable CSV: {source}")]
    Csv { path: PathBuf, line: u64, source: csv::Error },
    #[error("{path}: unreadable Arrow data: {source}")]
    Arrow { path: PathBuf, source: arrow::error::ArrowError },
    #[error("{path}: unreadable Parquet file: {source}")]
    Parquet { path: PathBuf, source: parquet::errors::ParquetError },
    #[error("cannot write the rejects file {path}: {source}")]
    Rejects { path: PathBuf, source: csv::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone, Debug)]
pub struct IngestOptions {
    pub delimiter: u8,
    /// Zone of times given without an offset.
    pub tz: Tz,
    pub mapping: ColumnMapping,
    /// Rows per chunk: bounds memory (about 1 KB per row in flight).
    pub chunk_rows: usize,
    /// Where the rejects file goes (default: `<store>/rejects/`).
    pub rejects_dir: Option<PathBuf>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            delimiter: b',',
            tz: crate::timefmt::DEFAULT_TZ,
            mapping: ColumnMapping::default(),
            chunk_rows: 262_144,
            rejects_dir: None,
        }
    }
}

/// What an ingest did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct IngestSummary {
    pub transfer_rows_read: u64,
    pub transfers_added: u64,
    pub transfers_already_present: u64,
    pub transfer_rows_rejected: u64,
    /// Part of the rejected rows: same txn_id as a stored transfer, different content.
    pub conflicts: u64,
    pub account_rows_read: u64,
    pub account_rows_rejected: u64,
    pub accounts_created: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
    #[schema(value_type = Option<String>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_file: Option<PathBuf>,
    /// The first rejected rows (at most 100), for answers that cannot point at the rejects file (the API's).
    #[serde(skip)]
    pub first_rejects: Vec<RejectedRow>,
    /// Warnings (资金预警) raised by the new transfers; set by the API's uploads, which check every new
    /// transfer into a watched account as it arrives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings_raised: Option<u64>,
    /// How long that check took (ms): the watch list, the new transfers read, the rules applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings_check_ms: Option<f64>,
}

/// How many rejected rows a summary keeps in memory (`first_rejects`); the file has them all.
pub const REJECTS_KEPT: usize = 100;

/// A rejected row, as an API answer lists it.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RejectedRow {
    /// Line in the input (CSV: counting the header as 1; NDJSON: the line of the object).
    pub line: u64,
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl IngestSummary {
    pub fn rejected(&self) -> u64 {
        self.transfer_rows_rejected + self.account_rows_rejected
    }
}

impl crate::output::Report for IngestSummary {
    fn sections(&self) -> Vec<crate::output::Section> {
        let mut s = crate::output::Section::fields(
            "Ingest",
            vec![
                ("transfer rows read", self.transfer_rows_read.to_string()),
                ("added", self.transfers_added.to_string()),
                ("already present", self.transfers_already_present.to_string()),
                ("rejected", self.transfer_rows_rejected.to_string()),
                ("  of which conflicts", self.conflicts.to_string()),
                ("account rows read", self.account_rows_read.to_string()),
                ("account rows rejected", self.account_rows_rejected.to_string()),
                ("accounts created", self.accounts_created.to_string()),
                ("seconds", format!("{:.2}", self.seconds)),
                ("rows/s", format!("{:.0}", self.rows_per_second)),
                (
                    "rejects file",
                    self.rejects_file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "(none)".into()),
                ),
            ],
        );
        s.headers = vec![String::new(), String::new()];
        vec![s]
    }
}

/// Progress callback payload.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub rows: u64,
}

fn record_text(row: &dyn source::RowCellsDyn, delimiter: u8) -> String {
    let mut out = String::new();
    for i in 0..row.width_dyn() {
        if i > 0 {
            out.push(delimiter as char);
        }
        out.push_str(&String::from_utf8_lossy(row.cell_dyn(i).unwrap_or(b"")));
    }
    out
}

/// A stored-form description of a row (for conflicts, found after parsing).
fn describe(t: &Transfer) -> String {
    format!(
        "{},{},{},{},{},{}",
        t.txn_id,
        crate::timefmt::format_rfc3339(t.ts_ms, chrono_tz::UTC),
        t.src,
        t.dst,
        crate::money::Fen(t.amount_fen),
        t.channel.as_str()
    )
}

/// Input files opened and checked, nothing written yet.
pub struct PreparedIngest {
    accounts: Vec<(Source, row::AccountColumns)>,
    transfers: Vec<(Source, row::TransferColumns)>,
    opts: IngestOptions,
}

impl std::fmt::Debug for PreparedIngest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedIngest")
            .field("accounts", &self.accounts.len())
            .field("transfers", &self.transfers.len())
            .finish()
    }
}

/// Opens every input and checks its header: a missing column, an unreadable file or an unknown format
/// is reported here, before anything is written.
pub fn prepare(
    transfer_files: &[PathBuf],
    account_files: &[PathBuf],
    opts: &IngestOptions,
) -> Result<PreparedIngest, IngestError> {
    let mut accounts = Vec::new();
    for path in account_files {
        let src = Source::open(path, opts.delimiter)?;
        let cols = source::account_columns(path, &src.headers, &opts.mapping)?;
        accounts.push((src, cols));
    }
    let mut transfers = Vec::new();
    for path in transfer_files {
        let src = Source::open(path, opts.delimiter)?;
        let cols = source::transfer_columns(path, &src.headers, &opts.mapping)?;
        transfers.push((src, cols));
    }
    Ok(PreparedIngest { accounts, transfers, opts: opts.clone() })
}

/// Loads the given files into the store in one ingest (visible all at once on commit).
pub fn ingest_files(
    store: &TransferStore,
    transfer_files: &[PathBuf],
    account_files: &[PathBuf],
    opts: &IngestOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<IngestSummary, IngestError> {
    prepare(transfer_files, account_files, opts)?.run(store, progress)
}

impl PreparedIngest {
    pub fn has_transfers(&self) -> bool {
        !self.transfers.is_empty()
    }

    pub fn has_accounts(&self) -> bool {
        !self.accounts.is_empty()
    }

    /// Loads everything in one ingest session: accounts files first, then transfers files.
    pub fn run(
        self,
        store: &TransferStore,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<IngestSummary, IngestError> {
        let started = Instant::now();
        let opts = &self.opts;
        let bytes_total: u64 = self
            .accounts
            .iter()
            .map(|(s, _)| s.total_bytes)
            .chain(self.transfers.iter().map(|(s, _)| s.total_bytes))
            .sum();
        let mut bytes_before = 0u64;

        let mut session = store.begin_ingest()?;
        let mut rejects =
            Rejects::new(opts.rejects_dir.clone().unwrap_or_else(|| store.path().join("rejects")), "ingest");
        let mut summary = IngestSummary::default();

        for (mut src, cols) in self.accounts {
            let path = src.path.clone();
            while let Some(chunk) = src.next_chunk(opts.chunk_rows)? {
                let parsed = chunk.par_map(|line, row| {
                    parse_account(row, &cols)
                        .map_err(|e| (cols.line_of(row, line), e, record_text(row, opts.delimiter)))
                });
                let mut good = Vec::with_capacity(parsed.len());
                for p in parsed {
                    summary.account_rows_read += 1;
                    match p {
                        Ok(r) => good.push(r),
                        Err((line, e, rec)) => {
                            summary.account_rows_rejected += 1;
                            rejects.add_row(&path, line, &e, &rec)?;
                        }
                    }
                }
                session.add_account_attrs(&good)?;
                progress(Progress {
                    bytes_done: bytes_before + src.bytes_read.load(Ordering::Relaxed),
                    bytes_total,
                    rows: summary.account_rows_read + summary.transfer_rows_read,
                });
            }
            bytes_before += src.total_bytes;
        }

        for (src, cols) in self.transfers {
            let total = src.total_bytes;
            load_transfers(src, &cols, opts, &mut session, &mut rejects, &mut summary, &|rows, bytes| {
                progress(Progress { bytes_done: bytes_before + bytes, bytes_total, rows });
            })?;
            bytes_before += total;
        }

        summary.accounts_created = session.new_accounts();
        session.commit()?;
        summary.rejects_file = rejects.finish()?;
        summary.first_rejects = rejects.take_first();
        summary.seconds = started.elapsed().as_secs_f64();
        let rows = summary.transfer_rows_read + summary.account_rows_read;
        summary.rows_per_second = if summary.seconds > 0.0 { rows as f64 / summary.seconds } else { 0.0 };
        Ok(summary)
    }
}

type Parsed = Vec<(u64, Result<Transfer, (RowError, String)>)>;

/// One transfers file: a reader thread reads and parses chunk k+1 while chunk k is written.
fn load_transfers(
    mut src: Source,
    cols: &row::TransferColumns,
    opts: &IngestOptions,
    session: &mut IngestSession<'_>,
    rejects: &mut Rejects,
    summary: &mut IngestSummary,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(), IngestError> {
    let path = src.path.clone();
    let bytes_read = src.bytes_read.clone();
    let tz = opts.tz;
    let delimiter = opts.delimiter;
    let chunk_rows = opts.chunk_rows;
    std::thread::scope(|scope| {
        // Rendezvous: the reader parses one chunk ahead and waits, so at most two chunks are in memory.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Parsed, IngestError>>(0);
        scope.spawn(move || loop {
            let parsed = src.next_chunk(chunk_rows).map(|chunk| {
                chunk.map(|c| {
                    c.par_map(|line, row| {
                        let line = cols.line_of(row, line);
                        (line, parse_transfer(row, cols, tz).map_err(|e| (e, record_text(row, delimiter))))
                    })
                })
            });
            let stop = !matches!(parsed, Ok(Some(_)));
            let msg = match parsed {
                Ok(Some(p)) => Ok(p),
                Ok(None) => break,
                Err(e) => Err(e),
            };
            if tx.send(msg).is_err() || stop {
                break;
            }
        });
        // The line of each accepted row, to report conflicts found at write time.
        let mut lines: Vec<u64> = Vec::new();
        let mut waited = std::time::Duration::ZERO;
        loop {
            let t_wait = Instant::now();
            let Ok(msg) = rx.recv() else { break };
            waited += t_wait.elapsed();
            let parsed = msg?;
            let mut good = Vec::with_capacity(parsed.len());
            lines.clear();
            for (line, p) in parsed {
                summary.transfer_rows_read += 1;
                match p {
                    Ok(t) => {
                        good.push(t);
                        lines.push(line);
                    }
                    Err((e, rec)) => {
                        summary.transfer_rows_rejected += 1;
                        rejects.add_row(&path, line, &e, &rec)?;
                    }
                }
            }
            let verdicts = session.add_transfers(&good)?;
            for ((t, v), &line) in good.iter().zip(verdicts).zip(&lines) {
                match v {
                    Verdict::Added(_) => summary.transfers_added += 1,
                    Verdict::AlreadyPresent(_) => summary.transfers_already_present += 1,
                    Verdict::Conflict { existing } => {
                        summary.transfer_rows_rejected += 1;
                        summary.conflicts += 1;
                        let e = RowError {
                            field: "txn_id",
                            value: t.txn_id.clone(),
                            reason: format!("conflict: a different transfer with this id is already stored (internal #{existing}); the stored one is kept"),
                        };
                        rejects.add_row(&path, line, &e, &describe(t))?;
                    }
                }
            }
            progress(summary.transfer_rows_read + summary.account_rows_read, bytes_read.load(Ordering::Relaxed));
        }
        tracing::debug!(waited_for_reader_ms = waited.as_millis() as u64, "file done");
        Ok(())
    })
}
