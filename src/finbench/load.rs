//! Loading a FinBench snapshot folder: `|`-delimited CSVs with a header row, columns found by name.
//!
//! Every bad value is an error naming the file, line, column and value; nothing is skipped silently (the
//! snapshot is a benchmark's input: a row dropped would change answers without a word).

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::{EdgeKind, Id, Snapshot};

/// What can go wrong reading FinBench files.
#[derive(Debug, thiserror::Error)]
pub enum FinbenchError {
    #[error("{}: {source}", file.display())]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{}: no column '{column}' in the header", file.display())]
    MissingColumn { file: PathBuf, column: String },
    #[error("{}:{line}: {field} = {value:?}: {message}", file.display())]
    BadValue { file: PathBuf, line: u64, field: String, value: String, message: String },
}

impl FinbenchError {
    fn bad(file: &Path, line: u64, field: &str, value: &str, message: impl Into<String>) -> FinbenchError {
        FinbenchError::BadValue {
            file: file.to_path_buf(),
            line,
            field: field.to_string(),
            value: value.to_string(),
            message: message.into(),
        }
    }
}

/// Loads the vertex and edge files the six reads use from `dir` (the snapshot folder).
pub fn load_snapshot(dir: &Path) -> Result<Snapshot, FinbenchError> {
    let mut s = Snapshot::default();
    each_row(dir, "Account.csv", &["accountId"], |r| {
        s.add_account(r.id(0)?);
        Ok(())
    })?;
    for (file, kind) in
        [("AccountTransferAccount.csv", EdgeKind::Transfer), ("AccountWithdrawAccount.csv", EdgeKind::Withdraw)]
    {
        each_row(dir, file, &["fromId", "toId", "amount", "createTime"], |r| {
            s.add_edge(kind, r.id(0)?, r.id(1)?, r.cents(2)?, r.time(3)?);
            Ok(())
        })?;
    }
    each_row(dir, "Medium.csv", &["mediumId", "mediumType", "isBlocked"], |r| {
        s.add_medium(r.id(0)?, r.text(1), r.boolean(2)?);
        Ok(())
    })?;
    each_row(dir, "MediumSignInAccount.csv", &["mediumId", "accountId", "createTime"], |r| {
        s.add_sign_in(r.id(0)?, r.id(1)?, r.time(2)?);
        Ok(())
    })?;
    each_row(dir, "PersonOwnAccount.csv", &["personId", "accountId"], |r| {
        s.add_own(r.id(0)?, r.id(1)?);
        Ok(())
    })?;
    each_row(dir, "Loan.csv", &["loanId", "loanAmount"], |r| {
        s.add_loan(r.id(0)?, r.cents(1)?);
        Ok(())
    })?;
    each_row(dir, "LoanDepositAccount.csv", &["loanId", "accountId", "amount", "createTime"], |r| {
        s.add_deposit(r.id(0)?, r.id(1)?, r.cents(2)?, r.time(3)?);
        Ok(())
    })?;
    Ok(s)
}

/// One data row, with the columns the caller asked for in the order it asked.
struct Row<'a> {
    file: &'a Path,
    line: u64,
    names: &'a [&'a str],
    values: Vec<&'a str>,
}

impl Row<'_> {
    fn text(&self, i: usize) -> &str {
        self.values[i]
    }

    fn bad(&self, i: usize, message: &str) -> FinbenchError {
        FinbenchError::bad(self.file, self.line, self.names[i], self.values[i], message)
    }

    fn id(&self, i: usize) -> Result<Id, FinbenchError> {
        self.values[i].parse().map_err(|_| self.bad(i, "not a 64-bit integer id"))
    }

    /// Amounts and loan sizes are positive or zero in FinBench; a negative one is refused, not summed.
    fn cents(&self, i: usize) -> Result<i64, FinbenchError> {
        parse_cents(self.values[i])
            .filter(|c| *c >= 0)
            .ok_or_else(|| self.bad(i, "not an amount of 0 or more with at most 2 decimals"))
    }

    fn time(&self, i: usize) -> Result<i64, FinbenchError> {
        parse_time(self.values[i]).ok_or_else(|| self.bad(i, "not a time YYYY-MM-DD HH:MM:SS[.fff] (UTC)"))
    }

    fn boolean(&self, i: usize) -> Result<bool, FinbenchError> {
        match self.values[i] {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self.bad(i, "not true or false")),
        }
    }
}

/// Calls `f` on every data row of `dir/file`, with the `columns` picked out by header name.
fn each_row(
    dir: &Path,
    file: &str,
    columns: &[&str],
    mut f: impl FnMut(&Row) -> Result<(), FinbenchError>,
) -> Result<(), FinbenchError> {
    let path = dir.join(file);
    let io = |source| FinbenchError::Io { file: path.clone(), source };
    let text = std::fs::read_to_string(&path).map_err(io)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('|').collect();
    let at: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h.trim() == *c)
                .ok_or_else(|| FinbenchError::MissingColumn { file: path.clone(), column: c.to_string() })
        })
        .collect::<Result<_, _>>()?;
    for (n, line) in lines.enumerate() {
        let line_no = n as u64 + 2;
        if line.trim().is_empty() {
            continue;
        }
        // Free text (transfer comments) has no '|' in FinBench data; quotes are literal, so no CSV quoting.
        let fields: Vec<&str> = line.split('|').collect();
        if fields.len() != header.len() {
            return Err(FinbenchError::bad(
                &path,
                line_no,
                "row",
                line,
                format!("{} fields, the header has {}", fields.len(), header.len()),
            ));
        }
        let row = Row { file: &path, line: line_no, names: columns, values: at.iter().map(|&i| fields[i]).collect() };
        f(&row)?;
    }
    Ok(())
}

/// `123`, `123.4`, `123.45` (also `-`): exact cents. More than 2 decimals is refused, not rounded.
pub fn parse_cents(s: &str) -> Option<i64> {
    let (neg, body) = s.strip_prefix('-').map_or((false, s), |b| (true, b));
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > 2 {
        return None;
    }
    let cents = whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(format!("{frac:0<2}").parse::<i64>().ok()?)?;
    Some(if neg { -cents } else { cents })
}

/// `YYYY-MM-DD HH:MM:SS[.f…]` in UTC to epoch milliseconds; the fraction is a fraction (`.06` is 60 ms).
pub fn parse_time(s: &str) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok()?;
    Some(t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_with_a_trimmed_fraction() {
        assert_eq!(parse_time("1970-01-01 00:00:01.06"), Some(1060));
        assert_eq!(parse_time("1970-01-01 00:00:01.6"), Some(1600));
        assert_eq!(parse_time("1970-01-01 00:00:01"), Some(1000));
        assert_eq!(parse_time("2020-08-29 15:28:58.647"), Some(1598714938647));
        assert_eq!(parse_time("2020-02-30 00:00:00"), None);
    }

    #[test]
    fn amounts_are_exact_cents() {
        assert_eq!(parse_cents("3851891.85"), Some(385189185));
        assert_eq!(parse_cents("60668354.0"), Some(6066835400));
        assert_eq!(parse_cents("0.5"), Some(50));
        assert_eq!(parse_cents("7"), Some(700));
        assert_eq!(parse_cents("1.005"), None);
        assert_eq!(parse_cents("1.2.3"), None);
        assert_eq!(parse_cents(".5"), None);
        assert_eq!(parse_cents("1e5"), None);
    }
}
