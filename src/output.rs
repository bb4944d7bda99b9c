//! Rendering query results as a terminal table, CSV or JSON. JSON is the stable, documented form (the
//! API serves the same); tables are for people; CSV carries a report's main table.

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
            w.write_record(&s.headers).map_err(std::io::Error::other)?;
            for r in &s.rows {
                w.write_record(r).map_err(std::io::Error::other)?;
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
