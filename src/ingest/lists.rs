//! The small files people hand in beside the transfers: case files (`link --cases`, `case import`) and a
//! 断卡 team's list of confirmed mule cards (`rings --confirmed`). Each bad line is an error naming the file,
//! the line, the field and the value, never silently dropped.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use crate::model::{CaseSpec, ListedCard};
use crate::timefmt::parse_ts;

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{}: missing column '{column}'", path.display())]
    MissingColumn { path: PathBuf, column: &'static str },
    #[error("{}: line {line}: field {field} = {value:?}: {reason}", path.display())]
    BadField { path: PathBuf, line: u64, field: &'static str, value: String, reason: String },
}

/// Reads a cases file: CSV with `case_id`, `seed_txn_ids` (`;`-separated) and optionally `report_time`
/// (or `as_of`). A generated world's `truth/cases.csv` has this shape.
pub fn read_cases(path: &Path, tz: Tz) -> Result<Vec<CaseSpec>, ListError> {
    let csv_err = |source| ListError::Csv { path: path.into(), source };
    let mut rdr = csv::Reader::from_path(path).map_err(csv_err)?;
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let col = |name: &'static str| headers.iter().position(|h| h.trim() == name);
    let id_col = col("case_id").ok_or(ListError::MissingColumn { path: path.into(), column: "case_id" })?;
    let seeds_col =
        col("seed_txn_ids").ok_or(ListError::MissingColumn { path: path.into(), column: "seed_txn_ids" })?;
    let time_col = col("report_time").or_else(|| col("as_of"));
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let line = rec.position().map_or(0, |p| p.line());
        let as_of_ms = match time_col.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty()) {
            Some(t) => Some(parse_ts(t, tz).map_err(|e| ListError::BadField {
                path: path.into(),
                line,
                field: "report_time",
                value: t.into(),
                reason: e.to_string(),
            })?),
            None => None,
        };
        out.push(CaseSpec {
            case_id: rec.get(id_col).unwrap_or("").trim().to_string(),
            seed_txn_ids: rec
                .get(seeds_col)
                .unwrap_or("")
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            as_of_ms,
        });
    }
    Ok(out)
}

/// Reads a confirmed-card list: one account per line (a CSV's first column), `#` comments and blank lines
/// skipped, an optional header (`account`, `card`, `账号`, `卡号`). A line whose first field is empty or
/// holds spaces inside is an error naming the line, never silently dropped.
pub fn read_confirmed(path: &Path) -> Result<Vec<ListedCard>, ListError> {
    let text = std::fs::read_to_string(path).map_err(|source| ListError::Io { path: path.into(), source })?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim().trim_start_matches('\u{feff}');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let first = trimmed.split([',', '\t']).next().unwrap_or("").trim().trim_matches('"');
        if out.is_empty() && ["account", "card", "account_id", "账号", "卡号"].contains(&first.to_lowercase().as_str())
        {
            continue;
        }
        if first.is_empty() || first.contains(char::is_whitespace) {
            return Err(ListError::BadField {
                path: path.into(),
                line: line as u64,
                field: "account",
                value: raw.to_string(),
                reason: "the account (first field) is empty or holds spaces".into(),
            });
        }
        out.push(ListedCard { account: first.to_string(), line });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> Result<Vec<ListedCard>, ListError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("confirmed.csv");
        std::fs::write(&path, text).unwrap();
        read_confirmed(&path)
    }

    #[test]
    fn confirmed_lists_read_plain_or_csv_and_name_bad_lines() {
        let got = list("\u{feff}账号,note\n# from operation 7\n6222001,seized\n\n\"6222002\",x\nALIPAY-1\t\n").unwrap();
        let accounts: Vec<(&str, usize)> = got.iter().map(|c| (c.account.as_str(), c.line)).collect();
        assert_eq!(accounts, vec![("6222001", 3), ("6222002", 5), ("ALIPAY-1", 6)]);
        let err = list("6222001\n6222 002\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("6222 002"), "{err}");
        let err = list("6222001\n,seized\n").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn case_files_name_the_line_and_field_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cases.csv");
        std::fs::write(&path, "case_id,seed_txn_ids,report_time\nC1,T1;T2,2026-01-09 12:00:00\nC2,T3,\n").unwrap();
        let cases = read_cases(&path, crate::timefmt::DEFAULT_TZ).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].seed_txn_ids, vec!["T1", "T2"]);
        assert!(cases[0].as_of_ms.is_some() && cases[1].as_of_ms.is_none());
        std::fs::write(&path, "case_id,seed_txn_ids,report_time\nC1,T1,yesterday\n").unwrap();
        let err = read_cases(&path, crate::timefmt::DEFAULT_TZ).unwrap_err().to_string();
        assert!(err.contains("cases.csv: line 2: field report_time = \"yesterday\""), "{err}");
        std::fs::write(&path, "id,seeds\nC1,T1\n").unwrap();
        let err = read_cases(&path, crate::timefmt::DEFAULT_TZ).unwrap_err().to_string();
        assert!(err.contains("missing column 'case_id'"), "{err}");
    }
}
