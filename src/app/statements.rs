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
use crate::ingest::{RejectedRow, Rejects};
use crate::model::{AccountAttrs, AccountKind, AttrKind, LedgerEntry, Seq, Transfer, DEFAULT_CURRENCY};
use crate::money::Fen;
use crate::output::{Report, Section};
use crate::statements::check::{continuity, Break, LedgerLine};
use crate::statements::line::{Flow, StatementLine};
use crate::statements::reconcile::{
    line_id, orient, other_account, reconcile, Candidate, Outcome, Record, Side, StoredTransfer, CASH_ACCOUNT,
    PLATFORM_PREFIX,
};
use crate::statements::source::collect_files;
use crate::statements::{read_statement, Layouts, LinePlace, StatementError, StatementFile};
use crate::store::{StatementLineWrite, StatementWrites, StoreView, Verdict};
use crate::timefmt::format_rfc3339;

/// Default tolerance between two banks' clocks for the two records of one transfer.
pub const DEFAULT_SKEW_MS: i64 = 10_000;
/// Largest tolerance accepted: beyond a few minutes, genuine repeated payments would be merged.
pub const MAX_SKEW_MS: i64 = 600_000;

#[derive(Clone, Debug)]
pub struct ImportOptions {
    pub layouts: Layouts,
    pub tz: Tz,
    /// Clock tolerance between the two records of one transfer.
    pub skew_ms: i64,
    /// Where the rejects file goes (default: `<store>/rejects/`).
    pub rejects_dir: Option<PathBuf>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            layouts: Layouts::builtin(),
            tz: crate::timefmt::DEFAULT_TZ,
            skew_ms: DEFAULT_SKEW_MS,
            rejects_dir: None,
        }
    }
}

/// One file of an import, as read.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FileSummary {
    pub file: String,
    /// UTF-8, UTF-8 (BOM), GB18030, xlsx or xls: how the file was read.
    pub encoding: String,
    /// The fields its header named.
    pub fields: Vec<String>,
    pub lines: u64,
    pub rejected: u64,
    /// Title lines above the header, 合计/总计 lines, blank lines: skipped and counted, not rejected.
    pub skipped_title: u64,
    pub skipped_summary: u64,
    pub skipped_blank: u64,
    /// The bank listed the lines newest first.
    pub newest_first: bool,
}

/// A match made although another record was within the clock tolerance: the nearest was taken, and an
/// investigator should look.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AmbiguousMatch {
    pub line: String,
    pub matched_with: String,
    pub other_candidates: Vec<String>,
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

impl StatementImportSummary {
    pub fn rejected(&self) -> u64 {
        self.lines_rejected
    }
}

impl Report for StatementImportSummary {
    fn sections(&self) -> Vec<Section> {
        let mut f = Section::new(
            "Statement files",
            &["file", "read as", "lines", "rejected", "title", "合计", "blank", "order"],
        );
        for x in &self.files {
            f.row(vec![
                x.file.clone(),
                x.encoding.clone(),
                x.lines.to_string(),
                x.rejected.to_string(),
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
                ("already imported", self.lines_already_imported.to_string()),
                ("transfers added", self.transfers_added.to_string()),
                ("seen in both statements (merged)", self.mirrored_pairs.to_string()),
                ("merged into stored transfers", self.merged_into_stored.to_string()),
                ("ambiguous matches", self.ambiguous.len().to_string()),
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
        vec![f, a, s]
    }
}

/// A line of this import with its id.
struct Pending {
    file: usize,
    place: LinePlace,
    line: StatementLine,
    id: String,
}

fn place_text(files: &[StatementFile], file: usize, place: &LinePlace) -> String {
    let name = file_name(&files[file].path);
    if files[file].encoding.starts_with("xls") {
        format!("{name}, sheet {}, row {}", place.sheet, place.row)
    } else {
        format!("{name}, row {}", place.row)
    }
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn read_error(e: StatementError) -> AppError {
    AppError::unprocessable("file", e.to_string())
}

/// `statements import`, `POST /v1/ingest/statements`.
pub fn import(desk: &Desk, paths: &[PathBuf], opts: &ImportOptions) -> AppResult<StatementImportSummary> {
    let started = Instant::now();
    let phase =
        |what: &str| tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "statements import: {what}");
    if !(0..=MAX_SKEW_MS).contains(&opts.skew_ms) {
        return Err(AppError::bad_input("skew", format!("must be 0..={} seconds", MAX_SKEW_MS / 1000)));
    }
    let files_found = collect_files(paths).map_err(read_error)?;
    if files_found.is_empty() {
        return Err(AppError::unprocessable("file", "no statement files (.csv, .tsv, .txt, .xlsx, .xls) found"));
    }
    // Every file is read before anything is written.
    let mut files: Vec<StatementFile> = files_found
        .par_iter()
        .map(|p| read_statement(p, &opts.layouts, opts.tz))
        .collect::<Result<_, _>>()
        .map_err(read_error)?;

    phase("files read");
    let mut summary = StatementImportSummary::default();
    let mut rejects =
        Rejects::new(opts.rejects_dir.clone().unwrap_or_else(|| desk.path().join("rejects")), "statements");
    let mut pending: Vec<Pending> = Vec::new();
    for fi in 0..files.len() {
        // The lines move out of the file (no second copy); its other facts stay for the summary.
        let lines = std::mem::take(&mut files[fi].lines);
        let f = &files[fi];
        summary.files.push(FileSummary {
            file: file_name(&f.path),
            encoding: f.encoding.to_string(),
            fields: f.fields.iter().map(|s| s.to_string()).collect(),
            lines: (lines.len() + f.bad.len()) as u64,
            rejected: f.bad.len() as u64,
            skipped_title: f.skipped_title,
            skipped_summary: f.skipped_summary,
            skipped_blank: f.skipped_blank,
            newest_first: f.reversed,
        });
        summary.lines_read += (lines.len() + f.bad.len()) as u64;
        for b in &f.bad {
            summary.lines_rejected += 1;
            rejects.add_line(
                &file_name(&f.path),
                u64::from(b.place.row),
                &place_text(&files, fi, &b.place),
                &b.field,
                &b.value,
                &b.reason,
                &b.text,
            )?;
        }
        // Identical lines of one file are told apart by their position among them.
        let mut seen: HashMap<String, u32> = HashMap::new();
        for (place, line) in lines {
            let probe = line_id(&line, 0);
            let id = match seen.get_mut(&probe) {
                None => {
                    seen.insert(probe.clone(), 1);
                    probe
                }
                Some(n) => {
                    *n += 1;
                    line_id(&line, *n - 1)
                }
            };
            pending.push(Pending { file: fi, place, line, id });
        }
    }

    // From here on this import is the only writer (the session holds the store's ingest lock), so what
    // the view says is stored stays true until the commit.
    phase("ids");
    let mut touched: BTreeSet<u32> = BTreeSet::new();
    let ((), after) = desk.write(|tx| {
        let mut session = tx.begin_ingest()?;
        let view = tx.view()?;
        let mut fresh: Vec<usize> = Vec::new();
        let mut ids_this_import: std::collections::HashSet<&str> = Default::default();
        for chunk in (0..pending.len()).collect::<Vec<_>>().chunks(100_000) {
            let ids: Vec<&str> = chunk.iter().map(|&i| pending[i].id.as_str()).collect();
            for (&i, known) in chunk.iter().zip(view.statement_lines(&ids)?) {
                // Imported before, or the same line twice in this import (one file given under two names).
                if known.is_some() || !ids_this_import.insert(pending[i].id.as_str()) {
                    summary.lines_already_imported += 1;
                } else {
                    fresh.push(i);
                }
            }
        }

        // Records to reconcile; lines that name no account to move money to or from are refused as transfers
        // (but stay in the ledger: their amounts count for the balance check).
        let mut records: Vec<Record> = Vec::new();
        let mut no_counterparty: BTreeSet<usize> = BTreeSet::new();
        for &i in &fresh {
            let l = &pending[i].line;
            match other_account(l) {
                Some(other) => {
                    let (src, dst) = orient(l, &other);
                    records.push(Record {
                        index: i,
                        src,
                        dst,
                        amount_fen: l.amount_fen,
                        ts_ms: l.ts_ms,
                        side: Side::of(l.flow),
                    });
                }
                None => {
                    no_counterparty.insert(i);
                }
            }
        }
        phase("known lines looked up");
        let stored = stored_candidates(&view, &records, opts.skew_ms)?;
        phase("stored candidates");
        let (outcomes, ambiguous) = reconcile(&records, &stored, opts.skew_ms);
        let describe = |c: &Candidate| match c {
            Candidate::Record(j) => place_text(&files, pending[*j].file, &pending[*j].place),
            Candidate::Stored(s) => format!("stored transfer #{s}"),
        };
        summary.ambiguous = ambiguous
            .iter()
            .map(|a| AmbiguousMatch {
                line: place_text(&files, pending[a.index].file, &pending[a.index].place),
                matched_with: describe(&a.matched),
                other_candidates: a.others.iter().map(describe).collect(),
            })
            .collect();

        // Accounts and what the statements say about them: holders' names, counterparties' names and banks,
        // cash and platform accounts as terminals. Statement accounts' own names are applied last, so they win.
        // One merged record per account (a busy account is named on thousands of lines).
        let mut merged: HashMap<String, AccountAttrs> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut note = |account: &str, a: AccountAttrs| match merged.get_mut(account) {
            Some(m) => m.merge_from(&a),
            None => {
                order.push(account.to_string());
                merged.insert(account.to_string(), a);
            }
        };
        for &i in &fresh {
            let l = &pending[i].line;
            if let Some(other) = other_account(l) {
                let mut a = AccountAttrs {
                    holder_name: l.counterparty_name.clone(),
                    bank: l.counterparty_bank.clone(),
                    ..Default::default()
                };
                if other == CASH_ACCOUNT {
                    a = AccountAttrs { holder_name: "现金".into(), kind: AccountKind::Atm, ..Default::default() };
                } else if other.starts_with(PLATFORM_PREFIX) {
                    a.kind = AccountKind::ThirdParty;
                }
                note(&other, a);
            }
        }
        for &i in &fresh {
            let l = &pending[i].line;
            note(&l.account, AccountAttrs { holder_name: l.account_name.clone(), ..Default::default() });
        }
        let attrs: Vec<(String, AccountAttrs)> = order
            .into_iter()
            .map(|a| {
                let m = merged.remove(&a).unwrap_or_default();
                (a, m)
            })
            .collect();
        phase("reconciled");
        session.add_account_attrs(&attrs)?;
        phase("accounts");

        // New transfers, in line order.
        let mut new_lines: Vec<usize> = Vec::new();
        let mut transfers: Vec<Transfer> = Vec::new();
        for r in &records {
            if let Some(Outcome::New { mirror }) = outcomes.get(&r.index) {
                let l = &pending[r.index].line;
                let m = mirror.map(|j| &pending[j].line);
                transfers.push(transfer_of(&pending[r.index].id, r, l, m));
                new_lines.push(r.index);
            }
        }
        let mut seq_of: BTreeMap<usize, Seq> = BTreeMap::new();
        for (lines, rows) in new_lines.chunks(200_000).zip(transfers.chunks(200_000)) {
            for ((&i, t), v) in lines.iter().zip(rows).zip(session.add_transfers(rows)?) {
                match v {
                    Verdict::Added(s) => {
                        summary.transfers_added += 1;
                        seq_of.insert(i, s);
                    }
                    Verdict::AlreadyPresent(s) => {
                        seq_of.insert(i, s);
                    }
                    Verdict::Conflict { existing } => {
                        summary.lines_rejected += 1;
                        let p = &pending[i];
                        rejects.add_line(
                            &file_name(&files[p.file].path),
                            u64::from(p.place.row),
                            &place_text(&files, p.file, &p.place),
                            "id",
                            &t.txn_id,
                            &format!("a different transfer with this id is stored (#{existing})"),
                            &format!("{} {} {}", t.src, t.dst, Fen(t.amount_fen)),
                        )?;
                    }
                }
            }
        }
        for (&i, o) in &outcomes {
            match *o {
                Outcome::MirrorOf(first) => {
                    if let Some(&s) = seq_of.get(&first) {
                        seq_of.insert(i, s);
                        summary.mirrored_pairs += 1;
                    }
                }
                Outcome::Stored(s) => {
                    seq_of.insert(i, s);
                    summary.merged_into_stored += 1;
                }
                Outcome::New { .. } => {}
            }
        }
        for &i in &no_counterparty {
            summary.lines_rejected += 1;
            let p = &pending[i];
            rejects.add_line(
                &file_name(&files[p.file].path),
                u64::from(p.place.row),
                &place_text(&files, p.file, &p.place),
                "counterparty",
                "",
                "the line names no counterparty account (kept in the statement ledger for the balance check)",
                &format!("{} {} {}", p.line.account, p.line.flow.as_str(), Fen(p.line.amount_fen)),
            )?;
        }

        // The statement lines, their targets and the provenance of every transfer, written with the commit.
        // Only files that bring new lines are recorded: importing the same files again writes nothing.
        let mut writes = StatementWrites::default();
        let mut file_slot: BTreeMap<usize, usize> = BTreeMap::new();
        for &i in &fresh {
            let fi = pending[i].file;
            if let std::collections::btree_map::Entry::Vacant(slot) = file_slot.entry(fi) {
                slot.insert(writes.files.len());
                writes.files.push((file_name(&files[fi].path), files[fi].encoding.to_string()));
            }
        }
        for &i in &fresh {
            let p = &pending[i];
            let l = &p.line;
            let account = session.known_account(&l.account).ok_or_else(|| {
                AppError::internal(StatementError::Layout(format!("account {} not created", l.account)))
            })?;
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
                    seq: seq_of.get(&i).copied(),
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
        drop(view);
        summary.rejects_file = rejects.finish()?;
        summary.first_rejects = std::mem::take(&mut rejects.first);
        phase("transfers written");
        session.commit_statements(writes)?;
        phase("committed");
        Ok(())
    })?;

    let view = desk.view()?;
    summary.statement_accounts = touched.len() as u64;
    for &a in &touched {
        let lines = view.ledger(a, i64::MIN, i64::MAX)?;
        summary.balance_breaks += continuity(&ledger_lines(&view, &lines)?).breaks.len() as u64;
    }
    summary.warnings_raised = after.warnings_raised;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.lines_per_second = summary.lines_read as f64 / summary.seconds.max(1e-9);
    Ok(summary)
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

/// The transfer a line (with the other statement's record of it, if paired) stands for.
fn transfer_of(id: &str, r: &Record, l: &StatementLine, mirror: Option<&StatementLine>) -> Transfer {
    // Names and banks as each statement gives them: a statement names its own holder and the counterparty.
    let (mut src_name, mut dst_name, mut src_bank, mut dst_bank) =
        (String::new(), String::new(), String::new(), String::new());
    for x in std::iter::once(l).chain(mirror) {
        let (own_name, other_name, other_bank) = (&x.account_name, &x.counterparty_name, &x.counterparty_bank);
        let (own, other, other_b) = match x.flow {
            Flow::Out => (&mut src_name, &mut dst_name, &mut dst_bank),
            Flow::In => (&mut dst_name, &mut src_name, &mut src_bank),
        };
        if own.is_empty() {
            own.clone_from(own_name);
        }
        if other.is_empty() {
            other.clone_from(other_name);
        }
        if other_b.is_empty() {
            other_b.clone_from(other_bank);
        }
    }
    let memo = if l.memo.is_empty() { mirror.map(|m| m.memo.clone()).unwrap_or_default() } else { l.memo.clone() };
    Transfer {
        txn_id: id.to_string(),
        ts_ms: r.ts_ms,
        src: r.src.clone(),
        dst: r.dst.clone(),
        amount_fen: r.amount_fen,
        channel: l.channel.clone(),
        currency: if l.currency.is_empty() || l.currency == "人民币" {
            DEFAULT_CURRENCY.into()
        } else {
            l.currency.clone()
        },
        src_name,
        dst_name,
        src_bank,
        dst_bank,
        memo,
    }
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
