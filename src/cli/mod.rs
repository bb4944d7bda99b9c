//! What the command line shares: opening a desk the way each command needs it, errors in the terms of the
//! command line (the flag at fault), and rendering reports to the terminal.

pub mod args;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono_tz::Tz;

use moneytrail::app::{self, AppError, Desk};
use moneytrail::output::{render, spreadsheet_safe, OutputFormat, Report};
use moneytrail::timefmt::parse_ts;

use args::Common;

/// Exit code of an ingest or import that committed but refused some rows (see the rejects file).
pub const EXIT_REJECTED_ROWS: u8 = 3;

/// The flag a request field is set with on the command line.
pub fn flag_of(field: &str) -> String {
    match field {
        "seed_txn_ids" => "--seed-txn".into(),
        "victims" => "--victim".into(),
        "file" => "--file".into(),
        f => format!("--{}", f.replace('_', "-")),
    }
}

/// A use case's error as the command line says it: the flag at fault instead of the API's field name.
pub fn cli_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::BadInput { field, message } | AppError::Unprocessable { field, message } if field != "file" => {
            anyhow::anyhow!("{}: {message}", flag_of(&field))
        }
        AppError::BadInput { message, .. } | AppError::Unprocessable { message, .. } => anyhow::anyhow!(message),
        other => anyhow::Error::new(other),
    }
}

/// A desk on the store for reading: works beside a server that writes to it.
pub fn read_only(common: &Common) -> Result<Desk> {
    Desk::open_read_only(&common.db, common.tz).map_err(cli_error)
}

/// A desk opened for writing (`open` says how), or, when a server holds the store, an error that says so
/// and what to do instead.
pub fn writable(opened: app::AppResult<Desk>, instead: &str) -> Result<Desk> {
    opened.map_err(|e| match e {
        AppError::InUse { .. } => anyhow::anyhow!("{e}: {instead}"),
        other => cli_error(other),
    })
}

/// A time given with `--FLAG`, or now.
pub fn now_or(at: &Option<String>, flag: &str, tz: Tz) -> Result<i64> {
    at.as_deref().map_or(Ok(app::now_ms()), |v| parse_ts(v, tz).with_context(|| format!("--{flag} {v:?}")))
}

/// Writes `f`'s output to stdout; a reader that went away (`| head`) is not an error.
fn to_stdout(f: impl FnOnce(&mut std::io::StdoutLock<'static>) -> std::io::Result<()>) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match f(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        r => r.map(|()| ExitCode::SUCCESS).context("writing output"),
    }
}

/// A report as a table, CSV or JSON.
pub fn print_report(format: OutputFormat, report: &impl Report) -> Result<ExitCode> {
    to_stdout(|out| render(out, format, report))
}

/// A value as pretty JSON.
pub fn print_json(value: &impl serde::Serialize) -> Result<ExitCode> {
    let text = serde_json::to_string_pretty(value)?;
    to_stdout(|out| writeln!(out, "{text}"))
}

/// Text as it is (a diagram, a page, DOT).
pub fn print_text(text: &str) -> Result<ExitCode> {
    to_stdout(|out| out.write_all(text.as_bytes()))
}

/// Every account's features as CSV: the account, then one column per feature (spreadsheet-safe cells).
pub fn print_features(rows: &[(String, moneytrail::rings::features::AccountFeatures)]) -> Result<ExitCode> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for (i, (account, f)) in rows.iter().enumerate() {
        let serde_json::Value::Object(m) = serde_json::to_value(f)? else { continue };
        if i == 0 {
            w.write_record(std::iter::once("account".to_string()).chain(m.keys().cloned()))?;
        }
        let cell = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => spreadsheet_safe(s).into_owned(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        w.write_record(std::iter::once(spreadsheet_safe(account).into_owned()).chain(m.values().map(cell)))?;
    }
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("writing CSV: {e}"))?;
    to_stdout(|out| out.write_all(&bytes))
}

/// Every account's score from the scorer, highest first, as CSV (account, score) into `out`.
pub fn write_scores(scores: &[(String, f64)], out: &Path) -> Result<()> {
    let mut w = csv::Writer::from_path(out).with_context(|| format!("--scores {}", out.display()))?;
    w.write_record(["account", "score"])?;
    for (account, score) in scores {
        w.write_record([spreadsheet_safe(account).into_owned(), format!("{score:.4}")])?;
    }
    w.flush().with_context(|| format!("--scores {}", out.display()))?;
    Ok(())
}

/// The summary of an ingest or import, and exit code 3 (with where the rejects are) when rows were refused.
pub fn print_load(
    format: OutputFormat,
    report: &impl Report,
    (rejected, what): (u64, &str),
    rejects_file: Option<&Path>,
) -> Result<ExitCode> {
    print_report(format, report)?;
    if rejected > 0 {
        eprintln!(
            "{rejected} {what}(s) rejected; reasons in {}",
            rejects_file.map(|p| p.display().to_string()).unwrap_or_default()
        );
        return Ok(ExitCode::from(EXIT_REJECTED_ROWS));
    }
    Ok(ExitCode::SUCCESS)
}
