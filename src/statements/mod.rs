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
pub mod propose;
pub mod reconcile;
pub mod source;

use std::path::{Path, PathBuf};

use chrono_tz::Tz;

pub use layout::Layouts;
use line::{parse_line, LineContext, Parsed, StatementLine};

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
    #[error("{path}: no statement layout recognised. Headers found: {found}. Still missing: {missing}. A layout proposed for it follows (`moneytrail statements layout FILE` prints it alone): correct the lines marked UNSURE, save it, and import with --layout SAVED_FILE.\n{proposal}")]
    UnknownLayout { path: PathBuf, found: String, missing: String, proposal: String },
    #[error("{path}: the statement's own account is not in a column and no title line names it (查询账号：…){hint}; give it with --account ACCOUNT")]
    NoAccount { path: PathBuf, hint: String },
    #[error("{path}: --account {given} is not the account its title names ({named}); leave --account out, or check the file is the right one")]
    AccountConflict { path: PathBuf, given: String, named: String },
    #[error("{0}")]
    Layout(String),
}

/// Whether an account given by hand can be the one a title names: the same number, or a masked number
/// (`6222****1234`) whose visible digits it shares.
fn account_fits(given: &str, named: &str) -> bool {
    let keep = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '*').collect::<String>();
    let (given, named) = (keep(given), keep(named));
    match (named.find('*'), named.rfind('*')) {
        (Some(a), Some(b)) => {
            let (prefix, suffix) = (&named[..a], &named[b + 1..]);
            given.len() >= prefix.len() + suffix.len() && given.starts_with(prefix) && given.ends_with(suffix)
        }
        _ => given == named,
    }
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
    /// Rows that moved no money (a closed trade, a failed withdrawal): skipped, counted.
    pub skipped_no_money: u64,
    /// The file listed its lines newest first; they are kept oldest first.
    pub reversed: bool,
    /// The layout the header was recognised as (`icbc-online-debit`, `generic`…).
    pub layout: String,
}

/// A platform bill's row with more cells than its header: a counterparty's name holding a comma the bill did
/// not quote (`WALMART HONG KONG CO.,LIMITED`) split it. The overflow is joined back into the name.
fn mend_overflow(row: &[String], width: usize, lay: &layout::Layout, cols: &line::FieldColumns) -> Option<Vec<String>> {
    let used = row.iter().rposition(|c| !line::clean_cell(c).is_empty()).map_or(0, |i| i + 1);
    if lay.kind != layout::LayoutKind::Platform || used <= width || width == 0 {
        return None;
    }
    let c = cols.get(line::StatementField::CounterpartyName)?;
    let extra = used - width;
    let mut mended: Vec<String> = row[..c].to_vec();
    mended.push(row[c..=c + extra].join(","));
    mended.extend(row[c + extra + 1..].iter().cloned());
    Some(mended)
}

/// How files are read beyond their own content.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    pub tz: Tz,
    /// The statement's own account when the file does not name it (`--account`): a victim's bank-app export,
    /// a WeChat bill naming only a nickname. A file naming its account in a column keeps its own.
    pub account: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { tz: crate::timefmt::DEFAULT_TZ, account: None }
    }
}

/// Reads a statement file: finds each sheet's header and layout below any title lines, reads every line after
/// it. Sheets without a recognisable header are skipped when another sheet has one (a cover sheet); a sheet
/// that repeats another is read once; a file where no sheet has a header is an error listing the headers
/// found and the fields missing.
pub fn read_statement(path: &Path, layouts: &Layouts, opts: &ReadOptions) -> Result<StatementFile, StatementError> {
    let raw = source::read_file(path)?;
    let tz = opts.tz;
    let mut out = StatementFile {
        path: path.into(),
        encoding: raw.encoding,
        fields: Vec::new(),
        lines: Vec::new(),
        bad: Vec::new(),
        skipped_title: 0,
        skipped_summary: 0,
        skipped_blank: 0,
        skipped_no_money: 0,
        reversed: false,
        layout: String::new(),
    };
    let mut any_header = false;
    let mut guess: Option<(Vec<String>, Vec<&'static str>)> = None;
    let mut seen_sheets: Vec<&Vec<Vec<String>>> = Vec::new();
    for sheet in &raw.sheets {
        // One workbook holding the same sheet twice: read once.
        if seen_sheets.contains(&&sheet.rows) {
            continue;
        }
        seen_sheets.push(&sheet.rows);
        let Some(m) = layout::find_header(&sheet.rows, layouts) else {
            if guess.is_none() && !sheet.rows.is_empty() {
                guess = Some(layout::best_guess(&sheet.rows, layouts));
            }
            continue;
        };
        any_header = true;
        let lay = layouts.layout(&m);
        let cols = &m.cols;
        out.fields = cols.index.keys().map(|f| f.name()).collect();
        out.layout = lay.id.clone();
        let facts = layout::title_facts(&sheet.rows[..m.row]);
        out.skipped_title += m.row as u64;
        if let (Some(given), Some(named)) = (&opts.account, &facts.account) {
            if !account_fits(given, named) {
                return Err(StatementError::AccountConflict {
                    path: path.into(),
                    given: given.clone(),
                    named: named.clone(),
                });
            }
        }
        let default_account = opts.account.clone().or(facts.account.clone()).unwrap_or_default();
        if default_account.is_empty() && !cols.has(line::StatementField::Account) {
            let hint = match &facts.nickname {
                Some(n) => format!(" (it names only the nickname {n:?}, which is no account)"),
                None => String::new(),
            };
            return Err(StatementError::NoAccount { path: path.into(), hint });
        }
        let ctx = LineContext {
            words: Some(&lay.words),
            rules: Some(&lay.rules),
            account_default: &default_account,
            account_name_default: facts.account_name.as_deref().unwrap_or(""),
            year_hint: facts.year_month,
        };
        let header: Vec<String> = sheet.rows[m.row].iter().map(|h| layout::normalise_header(h)).collect();
        let width = header.iter().rposition(|h| !h.is_empty()).map_or(0, |i| i + 1);
        let start = out.lines.len();
        for (i, row) in sheet.rows.iter().enumerate().skip(m.row + 1) {
            let place = LinePlace { sheet: sheet.name.clone(), row: (i + 1) as u32 };
            if layout::is_blank_row(row) {
                out.skipped_blank += 1;
                continue;
            }
            // The header again (every page of a printed statement), a section title, a footer.
            let again = row.iter().map(|h| layout::normalise_header(h)).collect::<Vec<_>>() == header;
            if again || layout::is_section_row(row) {
                out.skipped_title += 1;
                continue;
            }
            if layout::is_summary_row(row) {
                out.skipped_summary += 1;
                continue;
            }
            let mended = mend_overflow(row, width, lay, cols);
            let row = mended.as_ref().unwrap_or(row);
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            match parse_line(&cells, cols, &ctx, tz) {
                Ok(Parsed::Line(l)) => {
                    if !l.funded_by.is_empty() && l.flow == line::Flow::Out {
                        // Paid from a card through the platform: the card's money came in first.
                        let leg = StatementLine {
                            flow: line::Flow::In,
                            counterparty: l.funded_by.clone(),
                            counterparty_name: String::new(),
                            counterparty_bank: String::new(),
                            balance_fen: None,
                            serial: if l.serial.is_empty() { String::new() } else { format!("{}#card", l.serial) },
                            memo: format!("card leg: {}", l.memo),
                            channel: crate::model::Channel::ThirdParty,
                            ..l.clone()
                        };
                        out.lines.push((place.clone(), leg));
                    }
                    out.lines.push((place, l));
                }
                Ok(Parsed::NoMoney(_)) => out.skipped_no_money += 1,
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
        let proposal = best_proposal(&raw, layouts, path)
            .map_or_else(|| "(no table in it to propose a layout for)".to_string(), |p| p.toml);
        return Err(StatementError::UnknownLayout {
            path: path.into(),
            found: if found.is_empty() { "(none)".into() } else { found.join(", ") },
            missing: missing.join("; "),
            proposal,
        });
    }
    Ok(out)
}

/// `statements layout FILE`: a layout proposed for a file, from the sheet it reads best (a known layout's
/// sheet when one is recognised).
pub fn propose_layout(path: &Path, layouts: &Layouts) -> Result<propose::Proposal, StatementError> {
    let raw = source::read_file(path)?;
    best_proposal(&raw, layouts, path).ok_or_else(|| StatementError::UnknownLayout {
        path: path.into(),
        found: "(none)".into(),
        missing: "every field".into(),
        proposal: "(no table in it to propose a layout for: no row of three or more cells with data below it)".into(),
    })
}

fn best_proposal(raw: &source::RawFile, layouts: &Layouts, path: &Path) -> Option<propose::Proposal> {
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    raw.sheets
        .iter()
        .filter(|s| !s.rows.is_empty())
        // A text file is one sheet, named after the file: no sheet to name.
        .filter_map(|s| {
            propose::propose(
                &s.rows,
                if raw.encoding.starts_with("xls") || raw.sheets.len() > 1 { &s.name } else { "" },
                layouts,
                &name,
            )
        })
        .max_by_key(|p| (p.recognised_as.is_some(), p.missing.is_empty(), p.sample_rows_read))
}

#[cfg(test)]
mod tests {
    use super::account_fits;

    #[test]
    fn an_account_given_by_hand_must_fit_the_one_the_title_names() {
        assert!(account_fits("6222021234567891234", "6222021234567891234"));
        assert!(account_fits("6222021234567891234", "6222 0212 3456 7891 234"));
        assert!(account_fits("6222021234567891234", "6222****1234"));
        assert!(account_fits("6222021234567891234", "************1234"));
        assert!(!account_fits("6222021234567895678", "6222****1234"));
        assert!(!account_fits("6217001234567891234", "6222****1234"));
        assert!(!account_fits("6222021234567891235", "6222021234567891234"));
        // The visible digits cannot overlap in a shorter number.
        assert!(!account_fits("62221234", "62221****1234"));
    }
}
