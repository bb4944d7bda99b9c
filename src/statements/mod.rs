//! Bank statements (银行流水) as banks send them in reply to a request (调单): one account at a time, in the
//! bank's own layout, CSV or Excel, UTF-8 or GB18030. Reading them ([`read_statement`]), telling the two
//! records of one transfer between two requested accounts apart from two genuine transfers
//! ([`reconcile`]), and checking that no page is missing (`balance continuity`, [`check`]).
//!
//! Storage (the ledger of statement lines, provenance of every stored transfer) lives in `store/`; the
//! import use case that ties reading, reconciling and storing together is `app::statements`.

pub mod check;
pub mod layout;
pub mod line;
pub mod plan;
pub mod reconcile;
pub mod source;

use std::path::{Path, PathBuf};

use chrono_tz::Tz;

pub use layout::Layouts;
use line::{parse_line, StatementLine};

#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {detail}")]
    Encoding { path: PathBuf, detail: String },
    #[error("{path}:{line}: unreadable CSV: {detail}")]
    Csv { path: PathBuf, line: u64, detail: String },
    #[error("{path}: not a readable Excel workbook: {detail}")]
    Workbook { path: PathBuf, detail: String },
    #[error("{path}: no statement layout recognised. Headers found: {found}. Still missing: {missing}. Add the bank's names with --layout FILE (docs/cli.md, statements import)")]
    UnknownLayout { path: PathBuf, found: String, missing: String },
    #[error("{path}: the statement's own account is not in a column and no title line names it (查询账号：…); cannot tell whose statement this is")]
    NoAccount { path: PathBuf },
    #[error("{0}")]
    Layout(String),
}

/// Where a line came from: the file, the sheet (for workbooks), the row (1-based, as a spreadsheet
/// program shows it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LinePlace {
    pub sheet: String,
    pub row: u32,
}

/// A line that could not be read.
#[derive(Clone, Debug)]
pub struct BadLine {
    pub place: LinePlace,
    pub field: String,
    pub value: String,
    pub reason: String,
    pub text: String,
}

/// One statement file, read: its lines in the bank's order (oldest first), the lines that were refused,
/// and what was skipped.
#[derive(Clone, Debug)]
pub struct StatementFile {
    pub path: PathBuf,
    pub encoding: &'static str,
    /// The header's fields, by name, for the summary.
    pub fields: Vec<&'static str>,
    pub lines: Vec<(LinePlace, StatementLine)>,
    pub bad: Vec<BadLine>,
    /// Title lines above the header, 合计/总计 lines and blank lines: skipped, counted.
    pub skipped_title: u64,
    pub skipped_summary: u64,
    pub skipped_blank: u64,
    /// The file listed its lines newest first; they are kept oldest first.
    pub reversed: bool,
}

/// Reads a statement file: finds each sheet's header below any title lines, reads every line after it.
/// Sheets without a recognisable header are skipped when another sheet has one (a cover sheet); a file
/// where none has is an error listing the headers found and the fields missing.
pub fn read_statement(path: &Path, layouts: &Layouts, tz: Tz) -> Result<StatementFile, StatementError> {
    let raw = source::read_file(path)?;
    let mut out = StatementFile {
        path: path.into(),
        encoding: raw.encoding,
        fields: Vec::new(),
        lines: Vec::new(),
        bad: Vec::new(),
        skipped_title: 0,
        skipped_summary: 0,
        skipped_blank: 0,
        reversed: false,
    };
    let mut any_header = false;
    let mut guess: Option<(Vec<String>, Vec<&'static str>)> = None;
    for sheet in &raw.sheets {
        let Some((header_row, cols)) = layout::find_header(&sheet.rows, layouts) else {
            if guess.is_none() && !sheet.rows.is_empty() {
                guess = Some(layout::best_guess(&sheet.rows, layouts));
            }
            continue;
        };
        any_header = true;
        out.fields = cols.index.keys().map(|f| f.name()).collect();
        let facts = layout::title_facts(&sheet.rows[..header_row]);
        out.skipped_title += header_row as u64;
        let default_account = facts.account.clone().unwrap_or_default();
        if default_account.is_empty() && !cols.has(line::StatementField::Account) {
            return Err(StatementError::NoAccount { path: path.into() });
        }
        let start = out.lines.len();
        for (i, row) in sheet.rows.iter().enumerate().skip(header_row + 1) {
            let place = LinePlace { sheet: sheet.name.clone(), row: (i + 1) as u32 };
            if layout::is_blank_row(row) {
                out.skipped_blank += 1;
                continue;
            }
            if layout::is_summary_row(row) {
                out.skipped_summary += 1;
                continue;
            }
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            match parse_line(&cells, &cols, &layouts.words, &default_account, tz) {
                Ok(mut l) => {
                    if l.account_name.is_empty() {
                        l.account_name = facts.account_name.clone().unwrap_or_default();
                    }
                    out.lines.push((place, l));
                }
                Err(e) => out.bad.push(BadLine {
                    place,
                    field: e.field.to_string(),
                    value: e.value,
                    reason: e.reason,
                    text: row.join(","),
                }),
            }
        }
        // Newest first (some banks list that way): keep the bank's order, oldest first.
        let sheet_lines = &mut out.lines[start..];
        if sheet_lines.len() >= 2 && sheet_lines[0].1.ts_ms > sheet_lines[sheet_lines.len() - 1].1.ts_ms {
            sheet_lines.reverse();
            out.reversed = true;
        }
    }
    if !any_header {
        let (found, missing) = guess.unwrap_or_default();
        return Err(StatementError::UnknownLayout {
            path: path.into(),
            found: if found.is_empty() { "(none)".into() } else { found.join(", ") },
            missing: missing.join("; "),
        });
    }
    Ok(out)
}
