//! Parameters of the six reads: one JSON object per line (the interface of QUERIES.md), or the
//! `|`-delimited rows FinBench ships in `read_params/complex_N_param.csv` (positional, in the spec's order).

use std::path::Path;

use super::{FinbenchError, Id, Truncation, TruncationOrder, Window};

/// One of the six transfer reads (in the API's path as `tcr1` … `tcr8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Query {
    Tcr1,
    Tcr3,
    Tcr4,
    Tcr5,
    Tcr7,
    Tcr8,
}

impl Query {
    pub const ALL: [Query; 6] = [Query::Tcr1, Query::Tcr3, Query::Tcr4, Query::Tcr5, Query::Tcr7, Query::Tcr8];

    pub fn name(self) -> &'static str {
        match self {
            Query::Tcr1 => "tcr1",
            Query::Tcr3 => "tcr3",
            Query::Tcr4 => "tcr4",
            Query::Tcr5 => "tcr5",
            Query::Tcr7 => "tcr7",
            Query::Tcr8 => "tcr8",
        }
    }

    pub fn parse(s: &str) -> Option<Query> {
        Query::ALL.into_iter().find(|q| q.name().eq_ignore_ascii_case(s))
    }

    /// The parameter keys, in the order of FinBench's `complex_N_param.csv` columns.
    pub fn keys(self) -> &'static [&'static str] {
        const TRUNCATED: [&str; 5] = ["id", "startTime", "endTime", "truncationLimit", "truncationOrder"];
        const PAIR: [&str; 4] = ["id1", "id2", "startTime", "endTime"];
        const THRESHOLD: [&str; 6] = ["id", "threshold", "startTime", "endTime", "truncationLimit", "truncationOrder"];
        match self {
            Query::Tcr1 | Query::Tcr5 => &TRUNCATED,
            Query::Tcr3 | Query::Tcr4 => &PAIR,
            Query::Tcr7 | Query::Tcr8 => &THRESHOLD,
        }
    }

    /// The FinBench parameter file of this read (`read_params/complex_N_param.csv`).
    pub fn param_file(self) -> String {
        format!("complex_{}_param.csv", &self.name()[3..])
    }
}

/// The largest truncation limit taken: far above any account's degree, and a bound a request cannot exceed.
pub const MAX_TRUNCATION_LIMIT: usize = 1_000_000;

/// An exact decimal `num / 10^scale` (thresholds are decimal strings such as "0.0").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    pub num: i128,
    pub scale: u32,
}

impl Threshold {
    /// Plain decimals only, `-?[0-9]{1,12}(\.[0-9]{1,6})?` (the API document's pattern): exact, never a float.
    pub fn parse(s: &str) -> Option<Threshold> {
        let (neg, body) = s.strip_prefix('-').map_or((false, s), |b| (true, b));
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) if (1..=6).contains(&f.len()) => (w, f),
            Some(_) => return None,
            None => (body, ""),
        };
        let digits = format!("{whole}{frac}");
        if !(1..=12).contains(&whole.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let num: i128 = digits.parse().ok()?;
        Some(Threshold { num: if neg { -num } else { num }, scale: frac.len() as u32 })
    }

    /// Whether `amount > threshold × base`, all exact (`amount` and `base` in the same unit).
    pub fn below(&self, amount: i64, base: i128) -> bool {
        (amount as i128) * 10i128.pow(self.scale) > self.num * base
    }
}

/// One parameter set, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Params {
    Tcr1 {
        id: Id,
        window: Window,
        truncation: Truncation,
    },
    Tcr3 {
        id1: Id,
        id2: Id,
        window: Window,
    },
    Tcr4 {
        id1: Id,
        id2: Id,
        window: Window,
    },
    /// `id` is a person.
    Tcr5 {
        id: Id,
        window: Window,
        truncation: Truncation,
    },
    Tcr7 {
        id: Id,
        threshold: Threshold,
        window: Window,
        truncation: Truncation,
    },
    /// `id` is a loan.
    Tcr8 {
        id: Id,
        threshold: Threshold,
        window: Window,
        truncation: Truncation,
    },
}

/// A parameter that is missing or does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} = {value}: {message}")]
pub struct ParamError {
    pub field: String,
    pub value: String,
    pub message: String,
}

impl Params {
    pub fn query(&self) -> Query {
        match self {
            Params::Tcr1 { .. } => Query::Tcr1,
            Params::Tcr3 { .. } => Query::Tcr3,
            Params::Tcr4 { .. } => Query::Tcr4,
            Params::Tcr5 { .. } => Query::Tcr5,
            Params::Tcr7 { .. } => Query::Tcr7,
            Params::Tcr8 { .. } => Query::Tcr8,
        }
    }

    /// From a JSON object with the query's keys: ids, times and the limit are JSON integers (exact to 64
    /// bits: send ids as integers, not as doubles), `truncationOrder` and `threshold` strings.
    pub fn from_json(query: Query, v: &serde_json::Value) -> Result<Params, ParamError> {
        let obj = v.as_object().ok_or_else(|| ParamError {
            field: "params".into(),
            value: short(&v.to_string()),
            message: "expected a JSON object".into(),
        })?;
        let get = |key: &str| {
            obj.get(key).filter(|v| !v.is_null()).map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        };
        // Every key of any read is checked when present, even one this read does not take: a client that
        // sends a malformed threshold to TCR1 has a bug worth hearing about.
        const KEYS: [&str; 8] =
            ["id", "id1", "id2", "startTime", "endTime", "truncationLimit", "truncationOrder", "threshold"];
        for key in KEYS {
            let Some(value) = obj.get(key).filter(|v| !v.is_null()) else { continue };
            let text = matches!(key, "truncationOrder" | "threshold");
            let ok = if text { value.is_string() } else { value.is_i64() || value.is_u64() };
            if !ok {
                return Err(ParamError {
                    field: key.to_string(),
                    value: short(&value.to_string()),
                    message: if text { "expected a string" } else { "expected a JSON integer" }.into(),
                });
            }
            check_key(key, &get(key).unwrap_or_default())?;
        }
        Params::build(query, get)
    }

    /// From a `|`-delimited FinBench parameter row, columns in [`Query::keys`] order.
    pub fn from_csv_row(query: Query, row: &str) -> Result<Params, ParamError> {
        let fields: Vec<&str> = row.split('|').map(str::trim).collect();
        let keys = query.keys();
        if fields.len() != keys.len() {
            return Err(ParamError {
                field: "row".into(),
                value: short(row),
                message: format!(
                    "{} fields, {} expects {} ({})",
                    fields.len(),
                    query.name(),
                    keys.len(),
                    keys.join("|")
                ),
            });
        }
        Params::build(query, |key| keys.iter().position(|k| *k == key).map(|i| fields[i].to_string()))
    }

    fn build(query: Query, get: impl Fn(&str) -> Option<String>) -> Result<Params, ParamError> {
        let need = |key: &str| {
            get(key).ok_or_else(|| ParamError {
                field: key.into(),
                value: String::new(),
                message: format!("missing ({} takes {})", query.name(), query.keys().join(", ")),
            })
        };
        let int = |key: &str| need(key).and_then(|v| parse_int(key, &v));
        let window = || -> Result<Window, ParamError> { Ok(Window { start: int("startTime")?, end: int("endTime")? }) };
        let truncation = || -> Result<Truncation, ParamError> {
            Ok(Truncation {
                limit: parse_limit(&need("truncationLimit")?)?,
                order: parse_order(&need("truncationOrder")?)?,
            })
        };
        let threshold = || need("threshold").and_then(|t| parse_threshold(&t));
        Ok(match query {
            Query::Tcr1 => Params::Tcr1 { id: int("id")?, window: window()?, truncation: truncation()? },
            Query::Tcr3 => Params::Tcr3 { id1: int("id1")?, id2: int("id2")?, window: window()? },
            Query::Tcr4 => Params::Tcr4 { id1: int("id1")?, id2: int("id2")?, window: window()? },
            Query::Tcr5 => Params::Tcr5 { id: int("id")?, window: window()?, truncation: truncation()? },
            Query::Tcr7 => {
                Params::Tcr7 { id: int("id")?, threshold: threshold()?, window: window()?, truncation: truncation()? }
            }
            Query::Tcr8 => {
                Params::Tcr8 { id: int("id")?, threshold: threshold()?, window: window()?, truncation: truncation()? }
            }
        })
    }
}

fn bad(key: &str, value: &str, message: &str) -> ParamError {
    ParamError { field: key.into(), value: short(value), message: message.into() }
}

fn parse_int(key: &str, v: &str) -> Result<i64, ParamError> {
    v.parse().map_err(|_| bad(key, v, "not a 64-bit integer"))
}

fn parse_limit(v: &str) -> Result<usize, ParamError> {
    v.parse::<usize>()
        .ok()
        .filter(|&n| n <= MAX_TRUNCATION_LIMIT)
        .ok_or_else(|| bad("truncationLimit", v, &format!("not a count from 0 to {MAX_TRUNCATION_LIMIT}")))
}

fn parse_order(v: &str) -> Result<TruncationOrder, ParamError> {
    TruncationOrder::parse(v)
        .ok_or_else(|| bad("truncationOrder", v, &format!("not one of {}", TruncationOrder::NAMES.join(", "))))
}

fn parse_threshold(v: &str) -> Result<Threshold, ParamError> {
    Threshold::parse(v)
        .ok_or_else(|| bad("threshold", v, "not a plain decimal such as \"0.0\" (at most 12 digits, 6 decimals)"))
}

/// Checks one key's value as the read that takes it would.
fn check_key(key: &str, v: &str) -> Result<(), ParamError> {
    match key {
        "truncationLimit" => parse_limit(v).map(drop),
        "truncationOrder" => parse_order(v).map(drop),
        "threshold" => parse_threshold(v).map(drop),
        _ => parse_int(key, v).map(drop),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s.to_string()
    }
}

/// A parameter file's parameter sets, each with its line number, and the lines skipped.
#[derive(Debug, Default)]
pub struct ParamFile {
    pub params: Vec<(u64, Params)>,
    /// Lines of a `|`-delimited file that are not data (FinBench's files carry header-like rows and
    /// "..."): their numbers, reported rather than dropped silently.
    pub skipped: Vec<u64>,
}

/// Reads `path`: a line starting with `{` is a JSON object, any other non-blank line a FinBench `|` row.
/// A `|` row whose first field is not a number is skipped (and listed); anything else malformed is an error
/// naming the file, line, field and value.
pub fn parse_params_file(query: Query, path: &Path) -> Result<ParamFile, FinbenchError> {
    let text = std::fs::read_to_string(path).map_err(|source| FinbenchError::Io { file: path.into(), source })?;
    let mut out = ParamFile::default();
    for (n, line) in text.lines().enumerate() {
        let line_no = n as u64 + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = |e: ParamError| FinbenchError::BadValue {
            file: path.into(),
            line: line_no,
            field: e.field,
            value: e.value,
            message: e.message,
        };
        let params = if line.starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                at(ParamError { field: "line".into(), value: short(line), message: format!("not JSON: {e}") })
            })?;
            Params::from_json(query, &v).map_err(at)?
        } else {
            let first = line.split('|').next().unwrap_or("");
            if first.trim().parse::<i64>().is_err() {
                out.skipped.push(line_no);
                continue;
            }
            Params::from_csv_row(query, line).map_err(at)?
        };
        out.params.push((line_no, params));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_exact_decimals() {
        let t = Threshold::parse("0.0").unwrap();
        assert!(t.below(1, 100) && !t.below(0, 100));
        let t = Threshold::parse("12.34").unwrap();
        assert!(!t.below(1234, 100) && t.below(1235, 100)); // amount in cents vs 12.34 yuan
        for bad in ["1e3", "", ".5", "1.", "1.1234567", "1234567890123", "+1", "1 "] {
            assert!(Threshold::parse(bad).is_none(), "{bad}");
        }
        assert!(Threshold::parse("123456789012.123456").is_some());
        assert_eq!(Threshold::parse("-0.5"), Some(Threshold { num: -5, scale: 1 }));
    }

    #[test]
    fn json_and_finbench_rows_give_the_same_parameters() {
        use serde_json::json;
        let json: serde_json::Value = serde_json::json!({"id": 4614219293217785425_i64, "threshold": "0.0",
            "startTime": 1627020616747_i64, "endTime": 1669690342640_i64, "truncationLimit": 500,
            "truncationOrder": "TIMESTAMP_DESCENDING"});
        let row = "4614219293217785425|0.0|1627020616747|1669690342640|500|TIMESTAMP_DESCENDING";
        assert_eq!(Params::from_json(Query::Tcr7, &json).unwrap(), Params::from_csv_row(Query::Tcr7, row).unwrap());
        // JSON types are the spec's: an id as a string or a float, a threshold as a number, are refused.
        for (key, value) in [("id", json!("4614219293217785425")), ("id", json!(1.5)), ("threshold", json!(0.0))] {
            let mut wrong = json.clone();
            wrong[key] = value;
            assert_eq!(Params::from_json(Query::Tcr7, &wrong).unwrap_err().field, key);
        }
        // A key this read does not take is still checked.
        let tcr1 = json!({"id": 1, "startTime": 0, "endTime": 9, "truncationLimit": 5,
            "truncationOrder": "AMOUNT_ASCENDING", "threshold": ""});
        assert_eq!(Params::from_json(Query::Tcr1, &tcr1).unwrap_err().field, "threshold");
        let mut huge = json.clone();
        huge["truncationLimit"] = json!(1_000_001);
        assert_eq!(Params::from_json(Query::Tcr7, &huge).unwrap_err().field, "truncationLimit");
    }

    #[test]
    fn a_bad_parameter_names_its_field_and_value() {
        let e = Params::from_json(
            Query::Tcr1,
            &serde_json::json!({"id": 1, "startTime": 0, "endTime": 9,
            "truncationLimit": 5, "truncationOrder": "NEWEST"}),
        )
        .unwrap_err();
        assert_eq!((e.field.as_str(), e.value.as_str()), ("truncationOrder", "NEWEST"));
        let e =
            Params::from_json(Query::Tcr3, &serde_json::json!({"id1": 1, "startTime": 0, "endTime": 9})).unwrap_err();
        assert_eq!(e.field, "id2");
        let e = Params::from_csv_row(Query::Tcr4, "1|2|x|9").unwrap_err();
        assert_eq!((e.field.as_str(), e.value.as_str()), ("startTime", "x"));
    }
}
