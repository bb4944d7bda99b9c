//! Statement layouts as data: which header names mean which field, and which words mean money out or in.
//! A built-in table (`layouts.toml`) covers what banks commonly write; `--layout FILE` adds a bank's own.
//! Finding the header row, the facts in the title lines above it, and the summary lines below the records.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::line::{DirectionWords, FieldColumns, StatementField};

const BUILTIN: &str = include_str!("layouts.toml");

/// Header names and direction words.
#[derive(Clone, Debug)]
pub struct Layouts {
    aliases: HashMap<String, StatementField>,
    pub words: DirectionWords,
    /// Where the aliases came from, for the summary ("built-in", and each layout file).
    pub sources: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    #[serde(default)]
    aliases: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    directions: Directions,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Directions {
    #[serde(default)]
    out: Vec<String>,
    #[serde(default, rename = "in")]
    inn: Vec<String>,
}

/// A header as it is matched: without spaces, units in brackets, or a BOM.
pub fn normalise_header(h: &str) -> String {
    let mut s: String = h.chars().filter(|c| !c.is_whitespace() && *c != '\u{feff}').collect();
    s = s.replace('（', "(").replace('）', ")").replace(['：', ':'], "");
    for unit in ["(元)", "(人民币)", "(人民币元)", "(RMB)", "(CNY)"] {
        s = s.replace(unit, "");
    }
    s
}

impl Layouts {
    /// The built-in table.
    pub fn builtin() -> Layouts {
        let mut l = Layouts { aliases: HashMap::new(), words: DirectionWords::default(), sources: Vec::new() };
        // The built-in table is part of the binary and checked by a test: it parses.
        if let Err(e) = l.add_toml(BUILTIN, "built-in") {
            unreachable!("the built-in layouts.toml is valid: {e}");
        }
        l
    }

    /// Adds a layout file's names (a bank's own). Its names win over the built-in ones.
    pub fn add_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        self.add_toml(&text, &path.display().to_string()).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn add_toml(&mut self, text: &str, source: &str) -> Result<(), String> {
        let file: LayoutFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for (field, names) in file.aliases {
            let f = StatementField::parse(&field).ok_or_else(|| {
                let known: Vec<&str> = StatementField::ALL.iter().map(|f| f.name()).collect();
                format!("unknown field '{field}' (known: {})", known.join(", "))
            })?;
            for n in names {
                self.aliases.insert(normalise_header(&n), f);
            }
        }
        self.words.out.extend(file.directions.out);
        self.words.inn.extend(file.directions.inn);
        self.sources.push(source.to_string());
        Ok(())
    }

    pub fn field_of(&self, header: &str) -> Option<StatementField> {
        self.aliases.get(&normalise_header(header)).copied()
    }

    /// The fields a header row names, by column. `交易时间` beside a date column is the time of day.
    pub fn columns(&self, header: &[String]) -> FieldColumns {
        let mut index = BTreeMap::new();
        for (i, h) in header.iter().enumerate() {
            if let Some(f) = self.field_of(h) {
                index.entry(f).or_insert(i);
            }
        }
        if index.contains_key(&StatementField::Date) && !index.contains_key(&StatementField::TimeOfDay) {
            if let Some(i) = index.remove(&StatementField::DateTime) {
                index.insert(StatementField::TimeOfDay, i);
            }
        }
        FieldColumns { index }
    }
}

/// What a usable header must name, or what is still missing.
pub fn missing_fields(cols: &FieldColumns) -> Vec<&'static str> {
    use StatementField as F;
    let mut missing = Vec::new();
    if !(cols.has(F::DateTime) || cols.has(F::Date)) {
        missing.push("datetime (交易时间) or date (交易日期)");
    }
    let directed = cols.has(F::Amount);
    let split = cols.has(F::Debit) && cols.has(F::Credit);
    if !(directed || split) {
        missing.push("amount (交易金额) with direction (借贷标志), or debit and credit (借方发生额/贷方发生额)");
    }
    if !cols.has(F::Counterparty) && !cols.has(F::CounterpartyName) {
        missing.push("counterparty (对手账号)");
    }
    missing
}

/// Rows searched for the header: title lines rarely run longer.
const HEADER_SEARCH_ROWS: usize = 40;

/// The header row: the first of the leading rows that names every required field (most fields wins).
pub fn find_header(rows: &[Vec<String>], layouts: &Layouts) -> Option<(usize, FieldColumns)> {
    let mut best: Option<(usize, FieldColumns)> = None;
    for (i, row) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let cols = layouts.columns(row);
        if !missing_fields(&cols).is_empty() {
            continue;
        }
        if best.as_ref().is_none_or(|(_, b)| cols.index.len() > b.index.len()) {
            best = Some((i, cols));
        }
    }
    best
}

/// The header candidates for an error message: the row naming most fields, its cells and what it lacks.
pub fn best_guess(rows: &[Vec<String>], layouts: &Layouts) -> (Vec<String>, Vec<&'static str>) {
    let mut best: Option<(usize, &Vec<String>, FieldColumns)> = None;
    for row in rows.iter().take(HEADER_SEARCH_ROWS) {
        let cols = layouts.columns(row);
        let n = cols.index.len();
        if best.as_ref().is_none_or(|(b, _, _)| n > *b) {
            best = Some((n, row, cols));
        }
    }
    match best {
        Some((_, row, cols)) => (row.iter().filter(|c| !c.trim().is_empty()).cloned().collect(), missing_fields(&cols)),
        None => (Vec::new(), missing_fields(&FieldColumns::default())),
    }
}

/// Facts the title lines above the header give: the statement's own account and holder, the bank.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TitleFacts {
    pub account: Option<String>,
    pub account_name: Option<String>,
}

/// Reads `查询账号：6222…`, `账号: 6222…`, `户名：张三` from title lines, whether the value follows the
/// colon in the same cell or sits in the next cell.
pub fn title_facts(rows: &[Vec<String>]) -> TitleFacts {
    let mut facts = TitleFacts::default();
    let account_keys = ["查询账号", "查询卡号", "账号", "卡号", "账户"];
    let name_keys = ["户名", "账户名称", "客户名称"];
    for row in rows {
        let cells: Vec<&str> = row.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect();
        // Several facts may share a cell: "查询账号：6222… 户名：张三 查询期间：…".
        let joined = cells.join(" ");
        for part in split_facts(&joined) {
            let Some((key, value)) = part.split_once(['：', ':']) else { continue };
            let key = key.trim();
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if facts.account.is_none() && account_keys.iter().any(|k| key.ends_with(k)) {
                facts.account = value.split_whitespace().next().map(str::to_string);
            } else if facts.account_name.is_none() && name_keys.iter().any(|k| key.ends_with(k)) {
                facts.account_name = value.split_whitespace().next().map(str::to_string);
            }
        }
    }
    facts
}

/// Splits "查询账号：6222 户名：张三" into "查询账号：6222" and "户名：张三": a new fact starts at a word that
/// ends in a colon or holds one.
fn split_facts(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in s.split_whitespace() {
        let starts_fact = w.contains(['：', ':']);
        match out.last_mut() {
            Some(last) if !starts_fact || last.ends_with(['：', ':']) => {
                last.push(' ');
                last.push_str(w);
            }
            _ => out.push(w.to_string()),
        }
    }
    out
}

/// A 合计/总计 line below the records (or above them): counted, not rejected.
pub fn is_summary_row(cells: &[String]) -> bool {
    let first = cells.iter().map(|c| c.trim()).find(|c| !c.is_empty()).unwrap_or("");
    ["合计", "总计", "小计", "本页合计", "累计", "共计", "本期合计"].iter().any(|w| first.starts_with(w))
        || first.to_ascii_lowercase().starts_with("total")
}

pub fn is_blank_row(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_builtin_table_parses_and_names_fields() {
        let l = Layouts::builtin();
        assert_eq!(l.field_of("交易金额(元)"), Some(StatementField::Amount));
        assert_eq!(l.field_of(" 交易金额（元） "), Some(StatementField::Amount));
        assert_eq!(l.field_of("对方户名"), Some(StatementField::CounterpartyName));
        assert_eq!(l.field_of("天气"), None);
    }

    #[test]
    fn the_header_is_found_below_title_lines_and_split_times_are_recognised() {
        let l = Layouts::builtin();
        let rows = vec![
            row(&["中国工商银行 账户交易明细"]),
            row(&["查询账号：", "6222021234567890123", "户名：张三"]),
            row(&["查询期间：2026-01-01 至 2026-01-31"]),
            row(&["交易日期", "交易时间", "摘要", "借方发生额", "贷方发生额", "余额", "对方账号", "对方户名"]),
            row(&["20260109", "080305", "转账", "1,299.00", "", "700.00", "6217000011112222", "李四"]),
        ];
        let (i, cols) = find_header(&rows, &l).unwrap();
        assert_eq!(i, 3);
        assert_eq!(cols.get(StatementField::Date), Some(0));
        assert_eq!(cols.get(StatementField::TimeOfDay), Some(1), "交易时间 beside 交易日期 is the time of day");
        assert!(!cols.has(StatementField::DateTime));
        let facts = title_facts(&rows[..3]);
        assert_eq!(facts.account.as_deref(), Some("6222021234567890123"));
        assert_eq!(facts.account_name.as_deref(), Some("张三"));
        let facts = title_facts(&[row(&["查询账号：6222 户名：王五 查询期间：2026-01"])]);
        assert_eq!((facts.account.as_deref(), facts.account_name.as_deref()), (Some("6222"), Some("王五")));
    }

    #[test]
    fn an_unknown_layout_says_what_it_found_and_what_is_missing() {
        let l = Layouts::builtin();
        let rows = vec![row(&["日期", "Betrag", "Gegenkonto"])];
        assert!(find_header(&rows, &l).is_none());
        let (found, missing) = best_guess(&rows, &l);
        assert_eq!(found, vec!["日期", "Betrag", "Gegenkonto"]);
        assert_eq!(missing.len(), 3, "{missing:?}");
    }

    #[test]
    fn a_layout_file_adds_a_banks_names() {
        let mut l = Layouts::builtin();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bank.toml");
        std::fs::write(&p, "[aliases]\namount = [\"Betrag\"]\ndatetime = [\"Buchungszeit\"]\ncounterparty = [\"Gegenkonto\"]\n[directions]\nout = [\"S\"]\nin = [\"H\"]\n").unwrap();
        l.add_file(&p).unwrap();
        let rows = vec![row(&["Buchungszeit", "Betrag", "Gegenkonto"])];
        assert!(find_header(&rows, &l).is_some());
        assert!(l.words.out.contains(&"S".to_string()));
        std::fs::write(&p, "[aliases]\nwhatever = [\"x\"]\n").unwrap();
        assert!(l.add_file(&p).unwrap_err().contains("unknown field 'whatever'"));
    }

    #[test]
    fn summary_and_blank_rows() {
        assert!(is_summary_row(&row(&["合计", "", "12,000.00"])));
        assert!(is_summary_row(&row(&["", "总计：3笔"])));
        assert!(!is_summary_row(&row(&["20260109", "合计"])));
        assert!(is_blank_row(&row(&["", " "])));
    }
}
