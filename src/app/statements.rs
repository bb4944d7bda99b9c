//! Importing bank statements (调单 replies) and checking them.
//!
//! `import` reads every file first (a file that cannot be read stops the import before anything is
//! written), gives each line its deterministic id, skips lines imported before, pairs the two statements'
//! records of one transfer (in this import and against what is stored), and writes the new transfers with
//! the ledger of statement lines and the provenance of every transfer in one commit: all or nothing, and a
//! rerun after a crash ends with the same store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use chrono_tz::Tz;
use rayon::prelude::*;
use serde::Serialize;

use super::{AppError, AppResult, Desk};
use crate::ingest::rejects::Rejects;
use crate::ingest::RejectedRow;
use crate::model::{AttrKind, LedgerEntry, Seq, Transfer};
use crate::money::Fen;
use crate::output::{Report, Section};
use crate::statements::check::{continuity, Break, LedgerLine};
use crate::statements::line::Flow;
use crate::statements::plan::{plan, KnownAccount, Plan, Seen, Target};
pub use crate::statements::plan::{AmbiguousMatch, FileSummary, Unresolved};
pub use crate::statements::propose::Proposal;
use crate::statements::reconcile::{Record, Side, StoredTransfer};
use crate::statements::source::collect_files;
pub use crate::statements::Layouts;
use crate::statements::{read_statement, StatementError, StatementFile};
use crate::store::{IngestSession, StatementLineWrite, StatementWrites, StoreView, Verdict};
use crate::timefmt::format_rfc3339;

#[derive(Clone, Debug)]
pub struct ImportOptions {
    pub layouts: Layouts,
    pub tz: Tz,
    /// Clock tolerance between the two records of one transfer.
    pub skew_ms: i64,
    /// Where the rejects file goes (default: `<store>/rejects/`).
    pub rejects_dir: Option<PathBuf>,
    /// The statement's own account for files that do not name it (`--account`).
    pub account: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            layouts: Layouts::builtin(),
            tz: crate::timefmt::DEFAULT_TZ,
            skew_ms: crate::policy::STATEMENT_SKEW_DEFAULT_MS,
            rejects_dir: None,
            account: None,
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct StatementImportSummary {
    pub files: Vec<FileSummary>,
    pub lines_read: u64,
    pub lines_rejected: u64,
    /// Lines imported before (the same file again, or overlapping periods): nothing added.
    pub lines_already_imported: u64,
    pub transfers_added: u64,
    /// Transfers seen in both statements of this import: one transfer each.
    pub mirrored_pairs: u64,
    /// Lines that are the other statement's record of a transfer already stored: merged into it.
    pub merged_into_stored: u64,
    pub ambiguous: Vec<AmbiguousMatch>,
    /// Masked numbers tied to the one known account they fit: (as written, account).
    pub resolved: Vec<(String, String)>,
    /// Masked numbers that fit no known account or several, and counterparties known only by name: kept as
    /// identities of their own, to be resolved by a later statement or by hand.
    pub to_resolve: Vec<Unresolved>,
    /// Card payments of a platform bill paired with the card's bank's record (followed card → platform).
    pub platform_hops: u64,
    /// Lines that name no counterparty (interest, fees, a bank's own adjustments): kept in the statement
    /// ledger for the balance check, not transfers, not rejected. The first of them, to look at.
    pub ledger_only: u64,
    pub ledger_only_lines: Vec<LedgerOnlyLine>,
    /// Accounts whose statements the import held.
    pub statement_accounts: u64,
    /// Breaks in balance continuity across those accounts' statements (see `statements check`).
    pub balance_breaks: u64,
    pub seconds: f64,
    pub lines_per_second: f64,
    #[schema(value_type = Option<String>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejects_file: Option<PathBuf>,
    #[serde(skip)]
    pub first_rejects: Vec<RejectedRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings_raised: Option<u64>,
}

/// A statement line kept in the ledger only: where it is and what it says.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerOnlyLine {
    pub line: String,
    pub record: String,
}

/// How many ledger-only lines a summary lists by place (all are counted).
const LEDGER_ONLY_LISTED: usize = 20;

impl StatementImportSummary {
    pub fn rejected(&self) -> u64 {
        self.lines_rejected
    }
}

impl Report for StatementImportSummary {
    fn sections(&self) -> Vec<Section> {
        let mut f = Section::new(
            "Statement files",
            &["file", "layout", "read as", "lines", "rejected", "no money", "title", "合计", "blank", "order"],
        );
        for x in &self.files {
            f.row(vec![
                x.file.clone(),
                x.layout.clone(),
                x.encoding.clone(),
                x.lines.to_string(),
                x.rejected.to_string(),
                x.skipped_no_money.to_string(),
                x.skipped_title.to_string(),
                x.skipped_summary.to_string(),
                x.skipped_blank.to_string(),
                if x.newest_first { "newest first".into() } else { "oldest first".into() },
            ]);
        }
        let mut s = Section::fields(
            "Statement import",
            vec![
                ("lines read", self.lines_read.to_string()),
                ("rejected", self.lines_rejected.to_string()),
                ("ledger only (no counterparty: interest, fees)", self.ledger_only.to_string()),
                ("already imported", self.lines_already_imported.to_string()),
                ("transfers added", self.transfers_added.to_string()),
                ("seen in both statements (merged)", self.mirrored_pairs.to_string()),
                ("merged into stored transfers", self.merged_into_stored.to_string()),
                ("ambiguous matches", self.ambiguous.len().to_string()),
                ("masked numbers resolved", self.resolved.len().to_string()),
                ("to resolve", self.to_resolve.len().to_string()),
                ("platform payments joined to the card's record", self.platform_hops.to_string()),
                ("statement accounts", self.statement_accounts.to_string()),
                ("balance breaks", self.balance_breaks.to_string()),
                ("seconds", format!("{:.2}", self.seconds)),
                ("lines/s", format!("{:.0}", self.lines_per_second)),
                (
                    "rejects file",
                    self.rejects_file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "(none)".into()),
                ),
            ],
        );
        s.headers = vec![String::new(), String::new()];
        let mut a = Section::new(
            "Ambiguous matches (nearest taken; check them)",
            &["line", "matched with", "also within the tolerance"],
        );
        for x in &self.ambiguous {
            a.row(vec![x.line.clone(), x.matched_with.clone(), x.other_candidates.join("; ")]);
        }
        let mut r = Section::new(
            "To resolve (kept as identities of their own: a later statement or the holder's bank can tell)",
            &["identity", "kind", "lines", "could be"],
        );
        for x in &self.to_resolve {
            r.row(vec![x.identity.clone(), x.kind.clone(), x.lines.to_string(), x.candidates.join("; ")]);
        }
        for (masked, to) in &self.resolved {
            r.row(vec![masked.clone(), "resolved".into(), String::new(), to.clone()]);
        }
        let mut l =
            Section::new("Ledger only (no counterparty: kept for the balance check, not traced)", &["line", "record"]);
        for x in &self.ledger_only_lines {
            l.row(vec![x.line.clone(), x.record.clone()]);
        }
        if self.ledger_only > self.ledger_only_lines.len() as u64 {
            l.row(vec![
                format!("… and {} more", self.ledger_only - self.ledger_only_lines.len() as u64),
                String::new(),
            ]);
        }
        vec![f, a, r, l, s]
    }
}

fn read_error(e: StatementError) -> AppError {
    AppError::unprocessable("file", e.to_string())
}

/// `statements layout`, `POST /v1/statements/layout`: a layout proposed for a statement file.
pub fn propose_layout(path: &std::path::Path, layouts: &Layouts) -> AppResult<Proposal> {
    crate::statements::propose_layout(path, layouts).map_err(read_error)
}

/// `statements import`, `POST /v1/ingest/statements`.
pub fn import(desk: &Desk, paths: &[PathBuf], opts: &ImportOptions) -> AppResult<StatementImportSummary> {
    let started = Instant::now();
    let max = crate::policy::STATEMENT_SKEW_MAX_MS;
    if !(0..=max).contains(&opts.skew_ms) {
        return Err(AppError::bad_input("skew", format!("must be 0..={} seconds", max / crate::timefmt::SECOND_MS)));
    }
    let files_found = collect_files(paths).map_err(read_error)?;
    if files_found.is_empty() {
        return Err(AppError::unprocessable("file", "no statement files (.csv, .tsv, .txt, .xlsx, .xls) found"));
    }
    // Every file is read before anything is written.
    let read = crate::statements::ReadOptions { tz: opts.tz, account: opts.account.clone() };
    let files: Vec<StatementFile> = files_found
        .par_iter()
        .map(|p| read_statement(p, &opts.layouts, &read))
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "statements import: files read");
    let rejects_dir = opts.rejects_dir.clone().unwrap_or_else(|| desk.path().join("rejects"));
    let (mut summary, after) = desk.write(|tx| {
        // From here on this import is the only writer (the session holds the store's ingest lock), so what
        // the view says is stored stays true until the commit.
        let session = tx.begin_ingest()?;
        let banks = |name: &str| opts.layouts.bank_code(name).map(str::to_string);
        let plan = plan(files, &StoreSeen(&tx.view()?), opts.skew_ms, &banks)?;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "statements import: planned");
        commit_plan(session, plan, Rejects::new(rejects_dir, "statements"))
    })?;
    let view = desk.view()?;
    for &a in &summary.touched {
        let lines = view.ledger(a, i64::MIN, i64::MAX)?;
        summary.summary.balance_breaks += continuity(&ledger_lines(&view, &lines)?).breaks.len() as u64;
    }
    let mut summary = summary.summary;
    summary.warnings_raised = after.warnings_raised;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.lines_per_second = summary.lines_read as f64 / summary.seconds.max(1e-9);
    Ok(summary)
}

/// What the store holds, as a plan asks it.
struct StoreSeen<'v, 's>(&'v StoreView<'s>);

impl Seen for StoreSeen<'_, '_> {
    type Error = AppError;

    fn imported(&self, ids: &[&str]) -> AppResult<Vec<bool>> {
        Ok(self.0.statement_lines(ids)?.into_iter().map(|t| t.is_some()).collect())
    }

    fn candidates(&self, records: &[Record], skew_ms: i64) -> AppResult<Vec<StoredTransfer>> {
        stored_candidates(self.0, records, skew_ms)
    }

    fn accounts_like(&self, prefix: &str, suffix: &str, limit: usize) -> AppResult<Vec<KnownAccount>> {
        let mut out = Vec::new();
        for (external, id) in self.0.accounts_like(prefix, suffix, limit)? {
            let a = self.0.account_attrs(id)?;
            out.push(KnownAccount { external, holder_name: a.holder_name, bank: a.bank });
        }
        Ok(out)
    }
}

/// A committed plan: the summary so far and the statement accounts it wrote lines of.
struct Committed {
    summary: StatementImportSummary,
    touched: BTreeSet<u32>,
}

/// Writes a plan in one ingest session: account attributes, the new transfers (a stored transfer with the
/// same id and other content refuses its line), and the statement lines with the transfer each stands for
/// and the provenance of every transfer, in the session's commit.
fn commit_plan(mut session: IngestSession<'_>, plan: Plan, mut rejects: Rejects) -> AppResult<Committed> {
    let mut summary = StatementImportSummary {
        lines_read: plan.lines_read,
        lines_already_imported: plan.already_imported,
        ambiguous: plan.ambiguous.clone(),
        files: plan.files.clone(),
        resolved: plan.resolved.clone(),
        to_resolve: plan.to_resolve.clone(),
        platform_hops: plan.platform_hops,
        ..Default::default()
    };
    for r in &plan.bad_lines {
        summary.lines_rejected += 1;
        rejects.add(r)?;
    }
    session.add_account_attrs(&plan.attrs)?;
    // The sequence number of each new transfer (None: refused as a conflict).
    let mut seq_of_new: Vec<Option<Seq>> = Vec::with_capacity(plan.transfers.len());
    for chunk in plan.transfers.chunks(200_000) {
        let rows: Vec<Transfer> = chunk.iter().map(|t| t.transfer.clone()).collect();
        for (t, v) in chunk.iter().zip(session.add_transfers(&rows)?) {
            seq_of_new.push(match v {
                Verdict::Added(s) => {
                    summary.transfers_added += 1;
                    Some(s)
                }
                Verdict::AlreadyPresent(s) => Some(s),
                Verdict::Conflict { existing } => {
                    summary.lines_rejected += 1;
                    rejects.add(&plan.conflict(t, existing))?;
                    None
                }
            });
        }
    }
    summary.ledger_only = plan.no_counterparty.len() as u64;
    summary.ledger_only_lines = plan
        .no_counterparty
        .iter()
        .take(LEDGER_ONLY_LISTED)
        .map(|r| LedgerOnlyLine { line: r.place.clone(), record: r.record.clone() })
        .collect();
    let seq_of_line = |k: usize| match plan.lines[k].target {
        Target::New(t) => seq_of_new[t],
        _ => None,
    };

    // The statement lines, their targets and the provenance of every transfer, written with the commit.
    // Only files that bring new lines are recorded: importing the same files again writes nothing.
    let mut writes = StatementWrites::default();
    let mut file_slot: BTreeMap<usize, usize> = BTreeMap::new();
    for l in &plan.lines {
        if let std::collections::btree_map::Entry::Vacant(slot) = file_slot.entry(l.file) {
            slot.insert(writes.files.len());
            let f = &plan.files[l.file];
            writes.files.push((f.file.clone(), f.encoding.clone()));
        }
    }
    let mut touched: BTreeSet<u32> = BTreeSet::new();
    for (k, p) in plan.lines.iter().enumerate() {
        let seq = match p.target {
            Target::New(_) => seq_of_line(k),
            Target::MirrorOf(first) => {
                let s = seq_of_line(first);
                summary.mirrored_pairs += u64::from(s.is_some());
                s
            }
            Target::Stored(s) => {
                summary.merged_into_stored += 1;
                Some(s)
            }
            Target::NoTransfer => None,
        };
        let l = &p.line;
        let account = session
            .known_account(&l.account)
            .ok_or_else(|| AppError::internal(StatementError::Layout(format!("account {} not created", l.account))))?;
        touched.insert(account);
        writes.lines.push(StatementLineWrite {
            id: p.id.clone(),
            file: file_slot[&p.file],
            entry: LedgerEntry {
                account,
                ts_ms: l.ts_ms,
                line_no: 0,
                signed_fen: if l.flow == Flow::In { l.amount_fen } else { -l.amount_fen },
                balance_fen: l.balance_fen,
                seq,
                side: Side::of(l.flow).code(),
                file_no: 0,
                sheet: p.place.sheet.clone(),
                row: p.place.row,
                serial: l.serial.clone(),
            },
        });
        for (kind, value) in [(AttrKind::Ip, &l.ip), (AttrKind::Mac, &l.mac)] {
            if !value.is_empty() {
                writes.shared.push((kind, value.clone(), account));
            }
        }
    }
    summary.statement_accounts = touched.len() as u64;
    summary.rejects_file = rejects.finish()?;
    summary.first_rejects = rejects.take_first();
    session.commit_statements(writes)?;
    Ok(Committed { summary, touched })
}

/// Stored transfers that a record of this import may be the other statement's record of.
fn stored_candidates(view: &StoreView<'_>, records: &[Record], skew_ms: i64) -> AppResult<Vec<StoredTransfer>> {
    let mut ids: HashMap<String, Option<u32>> = HashMap::new();
    let mut id = |ext: &str| -> AppResult<Option<u32>> {
        if let Some(v) = ids.get(ext) {
            return Ok(*v);
        }
        let v = view.account_id(ext)?;
        ids.insert(ext.to_string(), v);
        Ok(v)
    };
    let mut out: BTreeMap<Seq, StoredTransfer> = BTreeMap::new();
    for r in records {
        // Accounts the store does not know have no stored transfers to match.
        let (Some(src), Some(dst)) = (id(&r.src)?, id(&r.dst)?) else { continue };
        let from = r.ts_ms.saturating_sub(skew_ms);
        let to = r.ts_ms.saturating_add(skew_ms);
        for e in view.edges(src, crate::graph::Direction::Out, from, to)? {
            if e.counterparty != dst || e.amount_fen != r.amount_fen || out.contains_key(&e.seq) {
                continue;
            }
            let (seen_src, seen_dst) = view.seen_sides(e.seq)?;
            out.insert(
                e.seq,
                StoredTransfer {
                    seq: e.seq,
                    src: r.src.clone(),
                    dst: r.dst.clone(),
                    amount_fen: e.amount_fen,
                    ts_ms: e.ts_ms,
                    seen_src,
                    seen_dst,
                },
            );
        }
    }
    Ok(out.into_values().collect())
}

/// An account's ledger as the continuity check reads it, each line named by its file, sheet and row.
fn ledger_lines(view: &StoreView<'_>, entries: &[LedgerEntry]) -> AppResult<Vec<LedgerLine>> {
    let mut names: HashMap<u32, String> = HashMap::new();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(e.file_no) {
            slot.insert(
                view.statement_file(e.file_no)?.map(|f| f.name).unwrap_or_else(|| format!("file #{}", e.file_no)),
            );
        }
        let name = &names[&e.file_no];
        let source = if name.ends_with(".xlsx") || name.ends_with(".xls") {
            format!("{name}, sheet {}, row {}", e.sheet, e.row)
        } else {
            format!("{name}, row {}", e.row)
        };
        out.push(LedgerLine { ts_ms: e.ts_ms, signed_fen: e.signed_fen, balance_fen: e.balance_fen, source });
    }
    Ok(out)
}

/// One statement account, checked.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccountCheck {
    pub account: String,
    pub holder_name: String,
    /// The period the statement lines cover.
    pub first: Option<String>,
    pub last: Option<String>,
    pub records: u64,
    pub opening_balance: Option<Fen>,
    pub closing_balance: Option<Fen>,
    /// The files its lines came from.
    pub files: Vec<String>,
    pub breaks: Vec<Break>,
}

/// `statements check`, `GET /v1/statements/check`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StatementCheck {
    pub accounts: Vec<AccountCheck>,
}

impl Report for StatementCheck {
    fn sections(&self) -> Vec<Section> {
        let mut a = Section::new(
            "Statements (per account: period, lines, balances, breaks in continuity)",
            &["account", "holder", "from", "to", "lines", "opening", "closing", "breaks", "files"],
        );
        for x in &self.accounts {
            let t = |s: &Option<String>| {
                s.as_deref().map(|v| v.get(..19).unwrap_or(v).replace('T', " ")).unwrap_or_default()
            };
            a.row(vec![
                x.account.clone(),
                x.holder_name.clone(),
                t(&x.first),
                t(&x.last),
                x.records.to_string(),
                x.opening_balance.map(|f| f.to_string()).unwrap_or_default(),
                x.closing_balance.map(|f| f.to_string()).unwrap_or_default(),
                x.breaks.len().to_string(),
                x.files.join("; "),
            ]);
        }
        let mut b = Section::new(
            "Breaks in balance continuity (lines or pages missing: ask the bank again)",
            &["account", "after line", "its balance", "next line", "expected", "found", "gap"],
        );
        for x in &self.accounts {
            for k in &x.breaks {
                b.row(vec![
                    x.account.clone(),
                    k.before.clone(),
                    k.before_balance.to_string(),
                    k.after.clone(),
                    k.expected_balance.to_string(),
                    k.found_balance.to_string(),
                    k.gap.to_string(),
                ]);
            }
        }
        vec![a, b]
    }

    fn csv_section(&self) -> Section {
        self.sections().into_iter().next().unwrap_or_default()
    }
}

/// Checks the statements of one account, or of every account that has them.
pub fn check(desk: &Desk, account: Option<&str>) -> AppResult<StatementCheck> {
    let (view, tz) = (&desk.view()?, desk.tz());
    let ids = match account {
        Some(a) => vec![view.account_id(a)?.ok_or_else(|| AppError::NotFound(format!("unknown account '{a}'")))?],
        None => view.ledger_accounts()?,
    };
    let mut out = Vec::new();
    for id in ids {
        let entries = view.ledger(id, i64::MIN, i64::MAX)?;
        if entries.is_empty() && account.is_some() {
            return Err(AppError::NotFound(format!("no statement of '{}' was imported", account.unwrap_or_default())));
        }
        let c = continuity(&ledger_lines(view, &entries)?);
        let mut files: Vec<String> = Vec::new();
        for f in entries.iter().map(|e| e.file_no).collect::<BTreeSet<_>>() {
            files.push(view.statement_file(f)?.map(|r| r.name).unwrap_or_default());
        }
        out.push(AccountCheck {
            account: view.account_external(id)?.unwrap_or_default(),
            holder_name: view.account_attrs(id)?.holder_name,
            first: c.first_ts_ms.map(|t| format_rfc3339(t, tz)),
            last: c.last_ts_ms.map(|t| format_rfc3339(t, tz)),
            records: c.records,
            opening_balance: c.opening_fen.map(Fen),
            closing_balance: c.closing_fen.map(Fen),
            files,
            breaks: c.breaks,
        });
    }
    Ok(StatementCheck { accounts: out })
}
