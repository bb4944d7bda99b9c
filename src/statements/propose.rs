//! A layout proposed for a file no known layout reads: the header row, a field for each column guessed
//! from its name and the values below it, every guess that rests on less than a known header name marked
//! unsure, and a check of how many sample rows the proposal reads. Written as `layouts.toml` text for the
//! user to correct and pass back with `--layout FILE` — never applied silently.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::layout::{
    find_header, is_blank_row, is_summary_row, missing_fields, normalise_header, probe_share, title_facts, LayoutKind,
    Layouts, HEADER_SEARCH_ROWS,
};
use super::line::{clean_account, clean_cell, line_time, parse_signed_amount, StatementField as F};

/// Sample rows below the header whose values the guesses read.
const SAMPLE_ROWS: usize = 30;
use crate::policy::STATEMENT_PROPOSAL_VALUE_SHARE as VALUE_SHARE;

/// How sure a column's field is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// A header name a known layout uses, and values that agree.
    Sure,
    /// Guessed from part of the name or from the values alone: check it.
    Unsure,
}

/// One column of the proposal.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProposedColumn {
    /// The header as the file writes it.
    pub header: String,
    /// The field guessed (`datetime`, `amount`, `counterparty`…), or none.
    pub field: Option<String>,
    pub certainty: Certainty,
    /// Why: the name, or what the values look like.
    pub why: String,
    /// The first values below the header.
    pub samples: Vec<String>,
}

/// A layout proposed for a file.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Proposal {
    /// The layout a known table recognises the file as, if any (then the proposal is a starting point for
    /// adjusting it, not a need).
    pub recognised_as: Option<String>,
    /// The sheet the header is on (workbooks) and its row (1-based, as a spreadsheet program shows it).
    pub sheet: String,
    pub header_row: usize,
    pub kind: String,
    pub columns: Vec<ProposedColumn>,
    /// Fields a line needs that no column could be guessed as.
    pub missing: Vec<String>,
    /// Sample rows below the header that the proposal reads as lines, of those tried.
    pub sample_rows_read: usize,
    pub sample_rows: usize,
    /// The proposal as a layout file (`--layout FILE`), with the unsure lines marked.
    pub toml: String,
}

/// Proposes a layout for one sheet's rows (None: no row of three or more cells has data below it, so there
/// is no table to propose for). `name` names the file in the proposal's id and comments.
pub fn propose(rows: &[Vec<String>], sheet: &str, layouts: &Layouts, name: &str) -> Option<Proposal> {
    let recognised_as = find_header(rows, layouts).map(|m| layouts.layout(&m).id.clone());
    let header_row = header_row(rows, layouts)?;
    let header: Vec<String> = rows.get(header_row).cloned().unwrap_or_default();
    let body: Vec<&Vec<String>> =
        rows.iter().skip(header_row + 1).filter(|r| !is_blank_row(r) && !is_summary_row(r)).take(SAMPLE_ROWS).collect();
    let mut columns = Vec::new();
    let mut taken: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (c, h) in header.iter().enumerate() {
        let text = clean_cell(h).to_string();
        if text.is_empty() {
            continue;
        }
        let values: Vec<String> = body
            .iter()
            .filter_map(|r| r.get(c))
            .map(|v| clean_cell(v).to_string())
            .filter(|v| !v.is_empty() && v != "-" && v != "--")
            .collect();
        let (field, certainty, why) = guess_column(&text, &values, layouts);
        if let Some(f) = field {
            *taken.entry(f.name()).or_default() += 1;
        }
        columns.push(ProposedColumn {
            header: text,
            field: field.map(|f| f.name().to_string()),
            certainty,
            why,
            samples: values.iter().take(3).cloned().collect(),
        });
    }
    // A platform's bill has a status and a pay method; a card bill no counterparty but its card's digits.
    let has = |f: F| columns.iter().any(|c| c.field.as_deref() == Some(f.name()));
    let kind = if has(F::Status) && has(F::PayMethod) {
        LayoutKind::Platform
    } else if has(F::CardLast4) && !has(F::Counterparty) && !has(F::CounterpartyName) {
        LayoutKind::CreditCard
    } else {
        LayoutKind::Bank
    };
    let id = proposal_id(name);
    let toml = render(&id, name, kind, header_row, &columns);
    // How the proposal reads the file, as the import would.
    let (missing, read, tried) = match check(&toml, rows, header_row, &header) {
        Some(x) => x,
        None => (vec!["(the proposal did not parse: report this)".to_string()], 0, 0),
    };
    let mut toml = toml;
    let _ = writeln!(
        toml,
        "\n# With this layout {read} of the first {tried} rows below the header read as statement lines.{}",
        if missing.is_empty() {
            String::new()
        } else {
            for_comment(&format!(" Still missing: {}.", missing.join("; ")))
        }
    );
    Some(Proposal {
        recognised_as,
        sheet: sheet.to_string(),
        header_row: header_row + 1,
        kind: kind_name(kind).to_string(),
        columns,
        missing,
        sample_rows_read: read,
        sample_rows: tried,
        toml,
    })
}

fn kind_name(kind: LayoutKind) -> &'static str {
    match kind {
        LayoutKind::Bank => "bank",
        LayoutKind::CreditCard => "credit_card",
        LayoutKind::Platform => "platform",
    }
}

/// A layout id from a file name: its letters and digits, lower-case.
fn proposal_id(name: &str) -> String {
    let stem = std::path::Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or(name);
    let slug: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        "proposed".into()
    } else {
        format!("proposed-{slug}")
    }
}

/// The row most like a header: many text cells, known names counted twice, with data below it.
fn header_row(rows: &[Vec<String>], layouts: &Layouts) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, row) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let cells: Vec<&str> = row.iter().map(|c| clean_cell(c)).filter(|c| !c.is_empty()).collect();
        if cells.len() < 3 {
            continue;
        }
        let text = cells.iter().filter(|c| is_header_text(c)).count();
        let known = cells.iter().filter(|c| layouts.field_of(c).is_some()).count();
        let data_below = rows
            .iter()
            .skip(i + 1)
            .find(|r| !is_blank_row(r))
            .is_some_and(|r| r.iter().any(|v| looks_like_amount(clean_cell(v)) || looks_like_time(clean_cell(v))));
        if !data_below {
            continue;
        }
        let score = text + 2 * known;
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

/// A cell that names rather than holds: no digits to speak of, not a value.
fn is_header_text(c: &str) -> bool {
    let digits = c.chars().filter(char::is_ascii_digit).count();
    c.chars().count() <= 24 && digits * 2 < c.chars().count() && !c.contains(['：', ':']) || c.ends_with(')')
}

fn looks_like_amount(v: &str) -> bool {
    let digits = v.chars().filter(char::is_ascii_digit).count();
    !v.is_empty() && digits > 0 && digits < 13 && parse_signed_amount(v).is_ok()
}

fn looks_like_time(v: &str) -> bool {
    let tz = crate::timefmt::DEFAULT_TZ;
    line_time(Some(v), None, None, tz).is_ok() || line_time(None, Some(v), None, tz).is_ok()
}

fn has_clock(v: &str) -> bool {
    v.contains(':') || (v.len() == 14 && v.bytes().all(|b| b.is_ascii_digit()))
}

fn looks_like_time_of_day(v: &str) -> bool {
    let parts: Vec<&str> = v.split(':').collect();
    let two = |p: &str| p.len() <= 2 && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (parts.len() >= 2 && parts.len() <= 3 && parts.iter().all(|p| two(p)))
        || (v.len() == 6 && v.bytes().all(|b| b.is_ascii_digit()) && &v[..2] < "24")
}

/// An account number as statements write one: 8 or more digits, maybe masked with `*`.
fn looks_like_account(v: &str) -> bool {
    let Ok(a) = clean_account(v) else { return false };
    let digits = a.chars().filter(char::is_ascii_digit).count();
    let masked = a.chars().filter(|c| *c == '*').count();
    digits >= 4 && digits + masked >= 8 && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '-')
}

fn share(values: &[String], test: impl Fn(&str) -> bool) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().filter(|v| test(v)).count() as f64 / values.len() as f64
}

/// A column's field from its name and values: a known name is sure when the values agree; a part of a name
/// or values alone make an unsure guess; a column that is none of these stays unplaced.
fn guess_column(header: &str, values: &[String], layouts: &Layouts) -> (Option<F>, Certainty, String) {
    let amounts = share(values, looks_like_amount);
    let times = share(values, looks_like_time);
    let clocks = share(values, has_clock);
    let tods = share(values, looks_like_time_of_day);
    let accounts = share(values, looks_like_account);
    let words = layouts.words();
    let directions = share(values, |v| !matches!(v, "0" | "1" | "+" | "-") && words.direction(v).is_some());
    let agrees = |f: F| match f {
        F::Amount | F::Debit | F::Credit | F::Balance => values.is_empty() || amounts >= 0.5,
        F::DateTime | F::Date => values.is_empty() || times >= 0.5,
        F::Direction => values.is_empty() || directions >= 0.5,
        _ => true,
    };
    let described = |what: &str| {
        if values.is_empty() {
            format!("{what}; no values below to check")
        } else {
            what.to_string()
        }
    };
    if let Some(f) = layouts.field_of(header) {
        return if agrees(f) {
            (Some(f), Certainty::Sure, described("a header name known layouts use"))
        } else {
            (Some(f), Certainty::Unsure, "a known header name, but the values below do not read as one".into())
        };
    }
    let name = normalise_header(header);
    let has = |parts: &[&str]| parts.iter().any(|p| name.contains(p));
    let by_name: Option<(F, &str)> = if has(&["余额", "结余"]) {
        Some((F::Balance, "余额/结余 in the name"))
    } else if has(&["对方", "对手", "收款方", "付款方", "交易对象", "去向", "来源"]) {
        if has(&["行", "机构"]) && !has(&["账号", "卡号"]) {
            Some((F::CounterpartyBank, "对方/对手 with 行/机构 in the name"))
        } else if has(&["名", "人"]) && !has(&["账号", "卡号", "帐号"]) {
            Some((F::CounterpartyName, "对方/对手 with 名 in the name"))
        } else if has(&["账", "帐", "卡", "号"]) {
            Some((F::Counterparty, "对方/对手 with 账号/卡号 in the name"))
        } else {
            Some((F::CounterpartyInfo, "对方/对手 in the name"))
        }
    } else if has(&["借贷", "收支", "方向", "标志", "收/付", "收付"]) && directions >= 0.5 {
        Some((F::Direction, "a direction in the name, and direction words below"))
    } else if has(&["金额", "发生额", "额"]) {
        if has(&["收入", "存入", "贷", "转入", "入账"]) && !has(&["支出"]) {
            Some((F::Credit, "an amount named for money in"))
        } else if has(&["支出", "取出", "借", "转出", "付出"]) {
            Some((F::Debit, "an amount named for money out"))
        } else {
            Some((F::Amount, "金额/发生额 in the name"))
        }
    } else if has(&["时间"]) && clocks >= 0.5 && times >= 0.5 {
        Some((F::DateTime, "时间 in the name, and dates with a clock below"))
    } else if has(&["时间"]) && tods >= 0.5 {
        Some((F::TimeOfDay, "时间 in the name, and times of day below"))
    } else if has(&["日期", "日"]) && clocks >= 0.5 {
        Some((F::DateTime, "日期 in the name, and dates with a clock below"))
    } else if has(&["日期", "日"]) {
        Some((F::Date, "日期 in the name"))
    } else if has(&["摘要", "用途", "说明", "附言", "备注", "描述", "类型", "商品"]) {
        Some((F::Memo, "摘要/用途/附言 in the name"))
    } else if has(&["流水", "单号", "序号", "凭证", "编号", "订单"]) {
        Some((F::Serial, "流水/单号/序号 in the name"))
    } else if has(&["状态"]) {
        Some((F::Status, "状态 in the name"))
    } else if has(&["支付方式", "付款方式", "收款方式"]) {
        Some((F::PayMethod, "支付方式 in the name"))
    } else if has(&["币"]) {
        Some((F::Currency, "币 in the name"))
    } else if has(&["网点", "地点", "渠道", "机构", "场所"]) {
        Some((F::Branch, "网点/渠道 in the name"))
    } else if has(&["户名", "姓名", "客户名称"]) {
        Some((F::AccountName, "户名 in the name"))
    } else if has(&["账号", "卡号", "帐号"]) {
        Some((F::Account, "账号/卡号 in the name (the statement's own account)"))
    } else {
        None
    };
    if let Some((f, why)) = by_name {
        if agrees(f) {
            return (Some(f), Certainty::Unsure, described(why));
        }
    }
    // The values alone.
    let by_values = if times >= VALUE_SHARE && clocks >= VALUE_SHARE {
        Some((F::DateTime, "the values are dates with a clock"))
    } else if times >= VALUE_SHARE {
        Some((F::Date, "the values are dates"))
    } else if tods >= VALUE_SHARE {
        Some((F::TimeOfDay, "the values are times of day"))
    } else if directions >= VALUE_SHARE {
        Some((F::Direction, "the values are direction words"))
    } else if accounts >= VALUE_SHARE {
        Some((F::Counterparty, "the values are account numbers"))
    } else if amounts >= VALUE_SHARE && values.iter().any(|v| v.contains('.')) {
        Some((F::Amount, "the values are amounts"))
    } else {
        None
    };
    match by_values {
        Some((f, why)) => (Some(f), Certainty::Unsure, why.into()),
        None => (None, Certainty::Unsure, "neither its name nor its values say which field it is".into()),
    }
}

/// Text for a TOML comment: control characters (which a comment may not hold) written as escapes.
fn for_comment(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect()
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The proposal as a layout file.
fn render(id: &str, name: &str, kind: LayoutKind, header_row: usize, columns: &[ProposedColumn]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# A layout proposed by `moneytrail statements layout` for {} (header on row {}).",
        for_comment(name),
        header_row + 1
    );
    let _ = writeln!(t, "# Check every line marked UNSURE against the file, correct or delete it, then import with");
    let _ = writeln!(t, "#   moneytrail statements import --layout THIS_FILE …");
    let _ = writeln!(t, "# Field names: {}.", F::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(" "));
    let _ = writeln!(t, "\n[[layout]]");
    let _ = writeln!(t, "id = {}", quoted(id));
    let _ = writeln!(t, "name = {}", quoted(&format!("proposed for {name}")));
    let _ = writeln!(t, "kind = {}  # UNSURE: bank, credit_card or platform", quoted(kind_name(kind)));
    let signature: Vec<String> = columns.iter().map(|c| quoted(&c.header)).collect();
    let _ = writeln!(t, "signature = [{}]", signature.join(", "));
    let _ = writeln!(t, "[layout.fields]");
    // One line per field, its columns in file order (a later one is read where a row leaves the first empty).
    let mut by_field: BTreeMap<&str, Vec<&ProposedColumn>> = BTreeMap::new();
    for c in columns {
        if let Some(f) = &c.field {
            by_field.entry(f.as_str()).or_default().push(c);
        }
    }
    for f in F::ALL {
        let Some(cols) = by_field.get(f.name()) else { continue };
        let names: Vec<String> = cols.iter().map(|c| quoted(&c.header)).collect();
        let unsure = cols.iter().any(|c| c.certainty == Certainty::Unsure) || cols.len() > 1;
        let why: Vec<String> = cols.iter().map(|c| format!("{}: {}", c.header, c.why)).collect();
        let _ = writeln!(
            t,
            "{} = [{}]  # {}{}{}",
            f.name(),
            names.join(", "),
            if unsure { "UNSURE: " } else { "" },
            for_comment(&why.join("; ")),
            if cols.len() > 1 { "; several columns: the first is read, the next where it is empty" } else { "" },
        );
    }
    for c in columns.iter().filter(|c| c.field.is_none()) {
        let _ = writeln!(
            t,
            "# not placed: {} (values: {}) — add it under a field above if it is one",
            for_comment(&c.header),
            if c.samples.is_empty() { "none".into() } else { for_comment(&c.samples.join(", ")) }
        );
    }
    let _ =
        writeln!(t, "# [layout.rules] spending_positive = true for a credit card whose positive amounts are spending;");
    let _ = writeln!(t, "# see src/statements/layouts.toml for the rules platform bills use (no_money, neutral).");
    t
}

/// Reads the proposal back as `--layout` would and tries it on the sample rows: what is still missing and
/// how many rows read.
fn check(
    toml: &str,
    rows: &[Vec<String>],
    header_row: usize,
    header: &[String],
) -> Option<(Vec<String>, usize, usize)> {
    let mut layouts = Layouts::builtin();
    layouts.add_text(toml, "proposal").ok()?;
    let layout = layouts.named().last()?.clone();
    let cols = layouts.columns(&layout, header);
    let missing = missing_fields(&cols, layout.kind).into_iter().map(str::to_string).collect();
    let facts = title_facts(&rows[..header_row.min(rows.len())]);
    let below = rows.get(header_row + 1..).unwrap_or(&[]);
    let (read, tried) = probe_share(below, &cols, &layout, &facts, SAMPLE_ROWS);
    Some((missing, read, tried))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
    }

    #[test]
    fn an_unknown_bank_layout_is_proposed_with_known_names_sure_and_guesses_unsure() {
        // A made-up bank: 处理时间 and 发生金额 are no known names; 对方账号 is.
        let r = rows(
            "某某银行个人账户明细,,,,,\n\
             账号：6230000000000001,,,,,\n\
             处理时间,收支,发生金额,账面结余,对方账号,对方姓名,柜员\n\
             2026-03-01 10:00:00,支,500.00,1500.00,6222000000000002,张三,T01\n\
             2026-03-01 11:30:00,收,1200.00,2700.00,6222000000000003,李四,T02\n",
        );
        let p = propose(&r, "", &Layouts::builtin(), "mybank.csv").unwrap();
        assert_eq!(p.header_row, 3);
        assert_eq!(p.recognised_as, None);
        let field = |h: &str| p.columns.iter().find(|c| c.header == h).map(|c| (c.field.clone(), c.certainty));
        assert_eq!(field("处理时间"), Some((Some("datetime".into()), Certainty::Unsure)));
        assert_eq!(field("收支"), Some((Some("direction".into()), Certainty::Unsure)));
        assert_eq!(field("发生金额"), Some((Some("amount".into()), Certainty::Unsure)));
        assert_eq!(field("对方账号"), Some((Some("counterparty".into()), Certainty::Sure)));
        assert_eq!(field("对方姓名"), Some((Some("counterparty_name".into()), Certainty::Unsure)));
        assert_eq!(field("柜员"), Some((None, Certainty::Unsure)));
        assert_eq!(field("账面结余"), Some((Some("balance".into()), Certainty::Unsure)));
        assert!(p.missing.is_empty(), "{:?}", p.missing);
        assert_eq!((p.sample_rows_read, p.sample_rows), (2, 2), "{}", p.toml);
        assert!(p.toml.contains("datetime = [\"处理时间\"]  # UNSURE"), "{}", p.toml);
        assert!(p.toml.contains("# not placed: 柜员 (values: T01, T02)"), "{}", p.toml);
    }

    #[test]
    fn the_proposal_imports_the_file_it_was_made_for() {
        let text = "日子,钱数,去向账户,去向户名,备注说明\n\
                    2026-03-01 10:00:00,-500.00,6222000000000002,张三,转账\n\
                    2026-03-02 09:15:00,+80.00,6222000000000003,李四,退回\n";
        let r = rows(text);
        let p = propose(&r, "", &Layouts::builtin(), "odd.csv").unwrap();
        let mut layouts = Layouts::builtin();
        layouts.add_text(&p.toml, "proposal").unwrap();
        let m = find_header(&r, &layouts).expect("the proposal finds the header");
        assert_eq!(layouts.layout(&m).id, "proposed-odd");
        assert_eq!((p.sample_rows_read, p.sample_rows), (2, 2), "{}", p.toml);
    }

    #[test]
    fn control_characters_in_headers_and_values_leave_the_proposal_a_valid_layout_file() {
        let r = vec![
            vec!["\u{1e}".to_string(), "a\nb".into(), "交易时间".into()],
            vec!["\u{7}".into(), "1.00\r".into(), "2026-01-01 10:00:00".into()],
        ];
        let p = propose(&r, "", &Layouts::builtin(), "x\ny.csv").unwrap();
        Layouts::builtin().add_text(&p.toml, "proposal").unwrap();
    }

    #[test]
    fn a_file_with_no_header_gets_a_proposal_that_says_what_is_missing() {
        let r = rows("a,b,c\n1,2,3\n");
        let p = propose(&r, "", &Layouts::builtin(), "x.csv").unwrap();
        assert!(!p.missing.is_empty());
        assert!(p.toml.contains("Still missing"), "{}", p.toml);
    }

    #[test]
    fn rows_that_are_no_table_get_no_proposal() {
        for text in ["{}", "a,b\n1,2\n", "标题,说明,备注\n", "", "a,b,c\nx,y,z\n"] {
            assert!(propose(&rows(text), "", &Layouts::builtin(), "x.csv").is_none(), "{text:?}");
        }
    }
}
