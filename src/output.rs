//! Rendering query results as a terminal table, CSV or JSON. JSON is the stable, documented form (the
//! API serves the same); tables are for people; CSV carries a report's main table.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
    Csv,
}

/// A titled table.
#[derive(Clone, Debug, Default)]
pub struct Section {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Section {
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Section {
        Section { title: title.into(), headers: headers.iter().map(|h| h.to_string()).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// A two-column "field: value" section.
    pub fn fields(title: impl Into<String>, pairs: Vec<(&str, String)>) -> Section {
        let mut s = Section::new(title, &["field", "value"]);
        for (k, v) in pairs {
            s.row(vec![k.to_string(), v]);
        }
        s
    }
}

/// Something that can be shown in every output format.
pub trait Report: Serialize {
    /// Sections for the table view, in order.
    fn sections(&self) -> Vec<Section>;
    /// The section that CSV output carries (defaults to the last one).
    fn csv_section(&self) -> Section {
        self.sections().pop().unwrap_or_default()
    }
    /// Lines printed after the tables (hints such as the next page).
    fn footer(&self) -> Option<String> {
        None
    }
}

pub fn render(out: &mut impl Write, format: OutputFormat, report: &impl Report) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::other)?;
            writeln!(out)
        }
        OutputFormat::Csv => {
            let s = report.csv_section();
            let mut w = csv::Writer::from_writer(out);
            w.write_record(s.headers.iter().map(|h| spreadsheet_safe(h).into_owned()))
                .map_err(std::io::Error::other)?;
            for r in &s.rows {
                w.write_record(r.iter().map(|c| spreadsheet_safe(c).into_owned())).map_err(std::io::Error::other)?;
            }
            w.flush()
        }
        OutputFormat::Table => {
            for (i, s) in report.sections().iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                write_table(out, s)?;
            }
            if let Some(f) = report.footer() {
                writeln!(out, "{f}")?;
            }
            Ok(())
        }
    }
}

/// A CSV cell a spreadsheet will not run as a formula. Account ids, names and memos come from bank data
/// anyone can shape (a holder name `=HYPERLINK(…)`), and investigators open these files in spreadsheets:
/// text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe, as the web
/// view's export does. Plain decimal numbers such as `-12.50` stay as they are: they are not formulas, and
/// the programs that read these files parse them.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_decimal(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `-?digits(.digits)?`
fn is_plain_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty() && !frac.is_empty() && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
}

fn write_table(out: &mut impl Write, s: &Section) -> std::io::Result<()> {
    if !s.title.is_empty() {
        writeln!(out, "{}", s.title)?;
    }
    let cols = s.headers.len();
    let mut widths: Vec<usize> = s.headers.iter().map(|h| h.width()).collect();
    for r in &s.rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(c.width());
        }
    }
    let line = |out: &mut dyn Write, cells: &[String]| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, c) in cells.iter().enumerate().take(cols) {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(c);
            if i + 1 < cols {
                text.push_str(&" ".repeat(widths[i].saturating_sub(c.width())));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    // Field/value sections have no header row.
    if s.headers.iter().any(|h| !h.is_empty()) {
        line(out, &s.headers)?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(out, &rule)?;
    }
    for r in &s.rows {
        line(out, r)?;
    }
    if s.rows.is_empty() {
        writeln!(out, "(none)")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct OneTable(Vec<Vec<String>>);

    impl Serialize for OneTable {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_unit()
        }
    }

    impl Report for OneTable {
        fn sections(&self) -> Vec<Section> {
            let mut s = Section::new("t", &["account", "amount"]);
            for r in &self.0 {
                s.row(r.clone());
            }
            vec![s]
        }
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_defused() {
        let cell = |s: &str| vec![s.to_string(), "1.00".to_string()];
        let report = OneTable(vec![
            cell("=HYPERLINK(\"http://x\",\"a\")"),
            cell("+8613800000000"),
            cell("-1+1"),
            cell("@SUM(A1)"),
            cell("\tcmd"),
            cell("-12.50"),
            cell("6222021234"),
            cell("李四"),
        ]);
        let mut out = Vec::new();
        render(&mut out, OutputFormat::Csv, &report).unwrap();
        let text = String::from_utf8(out).unwrap();
        let firsts: Vec<String> =
            csv::Reader::from_reader(text.as_bytes()).records().map(|r| r.unwrap()[0].to_string()).collect();
        assert_eq!(
            firsts,
            [
                "'=HYPERLINK(\"http://x\",\"a\")",
                "'+8613800000000",
                "'-1+1",
                "'@SUM(A1)",
                "'\tcmd",
                "-12.50",
                "6222021234",
                "李四"
            ]
        );
    }
}
