//! Statement layouts as data, and finding which one a file is in.
//!
//! `layouts.toml` holds the generic header names and direction words banks commonly use (`[aliases]`,
//! `[directions]`) and named layouts (`[[layout]]`): one per export format researched in
//! `docs/statement-formats.md` — a bank's online-banking download, a credit card's bill, a payment platform's
//! bill, a 调单 reply — with the headers that identify it, its own field names, and what its cells mean
//! beyond their names (a credit card's positive amounts are spending, a platform's closed trades move nothing,
//! a reply writes fen). `--layout FILE` adds a bank's own in the same form.
//!
//! A header is recognised by scoring every layout against every candidate row of the first rows: the
//! fields a line needs must be named, the named layout's signature must be mostly there, and the rows below
//! must read as lines under it. The best score wins, not the first match.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::line::{
    clean_cell, parse_line, DirectionWords, FieldColumns, LineContext, LineRules, NeutralRule, Parsed, StatementField,
};

const BUILTIN: &str = include_str!("layouts.toml");

/// Rows searched for the header: platform bills carry title blocks of 20-odd lines.
pub const HEADER_SEARCH_ROWS: usize = 60;
/// Rows below a candidate header read to see whether they parse under it.
const PROBE_ROWS: usize = 8;

/// What kind of statement a layout is: it decides which fields a line must have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LayoutKind {
    /// A bank account's statement (and a 调单 reply): a counterparty on every line.
    #[default]
    Bank,
    /// A credit card's bill: no counterparty column; the merchant is in the memo.
    CreditCard,
    /// A payment platform's bill or reply: the holder's platform account; counterparties by name.
    Platform,
}

/// One layout: its name, the headers that identify it, its field names, and its rules.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub id: String,
    pub name: String,
    pub kind: LayoutKind,
    /// Normalised header names that identify it (empty for the generic layout).
    pub signature: Vec<String>,
    /// Normalised header name → field, in the order the layout lists them (earlier names win a field).
    fields: Vec<(String, StatementField)>,
    pub words: DirectionWords,
    pub rules: LineRules,
}

/// Every layout known: the generic one (the alias table) and the named ones.
#[derive(Clone, Debug)]
pub struct Layouts {
    generic: Layout,
    aliases: HashMap<String, StatementField>,
    named: Vec<Layout>,
    /// Bank code → the names statements give it (`[banks]`).
    banks: Vec<(String, Vec<String>)>,
    /// Where the layouts came from, for the summary ("built-in", and each layout file).
    pub sources: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    #[serde(default)]
    aliases: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    directions: Directions,
    #[serde(default)]
    layout: Vec<NamedLayout>,
    #[serde(default)]
    banks: BTreeMap<String, Vec<String>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Directions {
    #[serde(default)]
    out: Vec<String>,
    #[serde(default, rename = "in")]
    inn: Vec<String>,
    #[serde(default)]
    neutral: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedLayout {
    id: String,
    name: String,
    #[serde(default)]
    kind: Option<String>,
    /// Where the layout was researched (for people reading the table).
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
    signature: Vec<String>,
    fields: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    directions: Directions,
    #[serde(default)]
    rules: Rules,
    #[serde(default)]
    neutral: Vec<Neutral>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Rules {
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    spending_positive: bool,
    #[serde(default)]
    memo_out: Vec<String>,
    #[serde(default)]
    memo_in: Vec<String>,
    #[serde(default)]
    merchant_from_memo: bool,
    #[serde(default)]
    no_money: Vec<String>,
    #[serde(default)]
    merchant_when: Vec<String>,
    /// Every line goes this way (a reply listing payer and payee, not the holder's side).
    #[serde(default)]
    flow: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Neutral {
    when: Vec<String>,
    #[serde(default)]
    flow: Option<String>,
    other: String,
}

/// A header as it is matched: without spaces, a BOM, zero-width marks, colons, the units banks put in
/// brackets (`(元)`, `（人民币）`) and the value legends some write there (`(D:借|C:贷)`); of a bilingual header
/// (`Trans Date 交易日期`) the Chinese part.
pub fn normalise_header(h: &str) -> String {
    // `Trans Date 交易日期`: an English phrase beside the Chinese name goes (not `用户ID`, `IP地址`).
    let cleaned = clean_cell(h);
    let tokens: Vec<&str> = cleaned.split(char::is_whitespace).filter(|t| !t.is_empty()).collect();
    let english = |t: &str| t.chars().all(|c| c.is_ascii_alphabetic() || c == '.' || c == '/');
    let letters: usize = tokens.iter().filter(|t| english(t)).map(|t| t.len()).sum();
    let kept: String = if letters >= 4 && tokens.iter().any(|t| t.chars().any(is_cjk)) {
        tokens.iter().filter(|t| !english(t)).copied().collect()
    } else {
        cleaned.to_string()
    };
    let mut s: String = kept
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(*c, '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'))
        .collect();
    s = s.replace('（', "(").replace('）', ")").replace(['：', ':'], "");
    for unit in ["(元)", "(人民币)", "(人民币元)", "(RMB)", "(CNY)"] {
        s = s.replace(unit, "");
    }
    // A legend of values, `(D借|C贷)`, says nothing about the field.
    if let (Some(open), true) = (s.find('('), s.ends_with(')')) {
        if s[open..].contains('|') {
            s.truncate(open);
        }
    }
    s
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

impl Layouts {
    /// The built-in table (parsed once per process: imports, proposals and their checks all start here).
    pub fn builtin() -> Layouts {
        static PARSED: std::sync::OnceLock<Layouts> = std::sync::OnceLock::new();
        PARSED
            .get_or_init(|| {
                let mut l = Layouts {
                    generic: Layout {
                        id: "generic".into(),
                        name: "generic (header names)".into(),
                        ..Layout::default()
                    },
                    aliases: HashMap::new(),
                    named: Vec::new(),
                    banks: Vec::new(),
                    sources: Vec::new(),
                };
                // The built-in table is part of the binary and checked by a test: it parses.
                if let Err(e) = l.add_toml(BUILTIN, "built-in") {
                    unreachable!("the built-in layouts.toml is valid: {e}");
                }
                l
            })
            .clone()
    }

    /// Adds a layout file's names and layouts (a bank's own). Its names win over the built-in ones; its
    /// layouts are scored with the others.
    pub fn add_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        self.add_toml(&text, &path.display().to_string()).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Adds a layout file's text (as `add_file`), `source` naming it in errors.
    pub fn add_text(&mut self, text: &str, source: &str) -> Result<(), String> {
        self.add_toml(text, source)
    }

    fn add_toml(&mut self, text: &str, source: &str) -> Result<(), String> {
        let file: LayoutFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for (field, names) in file.aliases {
            let f = parse_field(&field)?;
            for n in names {
                self.aliases.insert(normalise_header(&n), f);
            }
        }
        self.generic.words.out.extend(file.directions.out);
        self.generic.words.inn.extend(file.directions.inn);
        self.generic.words.neutral.extend(file.directions.neutral);
        for (code, names) in file.banks {
            self.banks.retain(|(c, _)| *c != code);
            self.banks.push((code, names));
        }
        for n in file.layout {
            let layout = named(n)?;
            self.named.retain(|x| x.id != layout.id);
            self.named.push(layout);
        }
        self.sources.push(source.to_string());
        Ok(())
    }

    /// The generic layout's direction words (the built-in table's and every layout file's).
    pub fn words(&self) -> &DirectionWords {
        &self.generic.words
    }

    /// The bank code a name in a statement stands for (`中国银行` → `BOC`; a code stands for itself).
    pub fn bank_code(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        self.banks
            .iter()
            .find(|(code, names)| code.eq_ignore_ascii_case(name) || names.iter().any(|n| name.starts_with(n.as_str())))
            .map(|(code, _)| code.as_str())
    }

    /// The named layouts, in the order they were added.
    pub fn named(&self) -> &[Layout] {
        &self.named
    }

    pub fn field_of(&self, header: &str) -> Option<StatementField> {
        self.aliases.get(&normalise_header(header)).copied()
    }

    /// The fields a header row names under `layout` (its own names first, then the generic ones), by column.
    pub fn columns(&self, layout: &Layout, header: &[String]) -> FieldColumns {
        let names: Vec<String> = header.iter().map(|h| normalise_header(h)).collect();
        let mut cols = FieldColumns::default();
        for (name, f) in &layout.fields {
            let Some(i) = names.iter().position(|n| n == name) else { continue };
            if !cols.has(*f) {
                cols.index.insert(*f, i);
            } else if !cols.index.values().any(|&c| c == i) {
                // A later name of the field: used where a row leaves the first empty.
                cols.fallback.entry(*f).or_default().push(i);
            }
        }
        for (i, n) in names.iter().enumerate() {
            if cols.index.values().any(|&c| c == i) {
                continue;
            }
            if let Some(f) = self.aliases.get(n) {
                cols.index.entry(*f).or_insert(i);
            }
        }
        // `交易时间` beside a date column is the time of day.
        if cols.has(StatementField::Date) && !cols.has(StatementField::TimeOfDay) {
            if let Some(i) = cols.index.remove(&StatementField::DateTime) {
                cols.index.insert(StatementField::TimeOfDay, i);
            }
        }
        // Amounts written in fen (财付通 replies: `交易金额(分)`).
        for (f, &i) in &cols.index {
            if names[i].contains("(分)") {
                cols.fen.insert(*f);
            }
        }
        cols
    }

    /// The layout of a header match.
    pub fn layout(&self, m: &HeaderMatch) -> &Layout {
        m.layout.map_or(&self.generic, |i| &self.named[i])
    }
}

fn parse_field(name: &str) -> Result<StatementField, String> {
    StatementField::parse(name).ok_or_else(|| {
        let known: Vec<&str> = StatementField::ALL.iter().map(|f| f.name()).collect();
        format!("unknown field '{name}' (known: {})", known.join(", "))
    })
}

fn named(n: NamedLayout) -> Result<Layout, String> {
    let kind = match n.kind.as_deref() {
        None | Some("bank") | Some("reply") => LayoutKind::Bank,
        Some("credit_card") => LayoutKind::CreditCard,
        Some("platform") => LayoutKind::Platform,
        Some(other) => {
            return Err(format!("layout {}: unknown kind '{other}' (bank, reply, credit_card, platform)", n.id))
        }
    };
    let mut fields = Vec::new();
    for (field, names) in n.fields {
        let f = parse_field(&field).map_err(|e| format!("layout {}: {e}", n.id))?;
        fields.extend(names.iter().map(|h| (normalise_header(h), f)));
    }
    let mut neutral = Vec::new();
    for r in n.neutral {
        let flow = match r.flow.as_deref() {
            None => None,
            Some("out") => Some(super::line::Flow::Out),
            Some("in") => Some(super::line::Flow::In),
            Some(other) => return Err(format!("layout {}: neutral flow '{other}' (out or in)", n.id)),
        };
        neutral.push(NeutralRule { when: r.when, flow, other: r.other });
    }
    let fixed_flow = match n.rules.flow.as_deref() {
        None => None,
        Some("out") => Some(super::line::Flow::Out),
        Some("in") => Some(super::line::Flow::In),
        Some(other) => return Err(format!("layout {}: rules.flow '{other}' (out or in)", n.id)),
    };
    let mut words = DirectionWords::builtin();
    words.out.extend(n.directions.out);
    words.inn.extend(n.directions.inn);
    words.neutral.extend(n.directions.neutral);
    if n.signature.is_empty() {
        return Err(format!("layout {}: an empty signature would match every file", n.id));
    }
    Ok(Layout {
        id: n.id,
        name: n.name,
        kind,
        signature: n.signature.iter().map(|h| normalise_header(h)).collect(),
        fields,
        words,
        rules: LineRules {
            platform: n.rules.platform,
            spending_positive: n.rules.spending_positive,
            memo_out: n.rules.memo_out,
            memo_in: n.rules.memo_in,
            merchant_from_memo: n.rules.merchant_from_memo || kind == LayoutKind::CreditCard,
            merchant_when: n.rules.merchant_when,
            no_money: n.rules.no_money,
            fixed_flow,
            neutral,
        },
    })
}

/// What a usable header must name under a layout of `kind`, or what is still missing.
pub fn missing_fields(cols: &FieldColumns, kind: LayoutKind) -> Vec<&'static str> {
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
    let named = cols.has(F::Counterparty) || cols.has(F::CounterpartyName) || cols.has(F::CounterpartyInfo);
    if kind != LayoutKind::CreditCard && !named {
        missing.push("counterparty (对手账号)");
    }
    if kind == LayoutKind::CreditCard && !cols.has(F::Memo) && !named {
        missing.push("memo (交易描述) naming the merchant");
    }
    missing
}

/// A header found: its row, the layout it is in (None: generic), its columns and score.
#[derive(Clone, Debug)]
pub struct HeaderMatch {
    pub row: usize,
    pub layout: Option<usize>,
    pub cols: FieldColumns,
    pub score: f64,
}

/// The header row and layout: every candidate row of the first [`HEADER_SEARCH_ROWS`] scored under every
/// layout — the layout's signature mostly present, the fields a line needs named, and the rows below reading
/// as lines — and the best taken.
pub fn find_header(rows: &[Vec<String>], layouts: &Layouts) -> Option<HeaderMatch> {
    let facts = title_facts(rows.get(..HEADER_SEARCH_ROWS.min(rows.len())).unwrap_or(rows));
    let mut best: Option<HeaderMatch> = None;
    for (i, row) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        if row.iter().filter(|c| !clean_cell(c).is_empty()).count() < 3 {
            continue;
        }
        let names: Vec<String> = row.iter().map(|h| normalise_header(h)).collect();
        let candidates = std::iter::once(None).chain((0..layouts.named.len()).map(Some));
        for li in candidates {
            let layout = li.map_or(&layouts.generic, |k| &layouts.named[k]);
            let signature = if layout.signature.is_empty() {
                0.0
            } else {
                let hits = layout.signature.iter().filter(|s| names.contains(s)).count();
                let share = hits as f64 / layout.signature.len() as f64;
                if share < 0.75 {
                    continue;
                }
                share
            };
            let cols = layouts.columns(layout, row);
            if !missing_fields(&cols, layout.kind).is_empty() {
                continue;
            }
            let parses = probe(&rows[i + 1..], &cols, layout, &facts);
            let score = 100.0 * parses + 10.0 * signature + cols.index.len() as f64;
            if best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(HeaderMatch { row: i, layout: li, cols, score });
            }
        }
    }
    best
}

/// The share of the first data rows below a candidate header that read as lines under it.
fn probe(rows: &[Vec<String>], cols: &FieldColumns, layout: &Layout, facts: &TitleFacts) -> f64 {
    match probe_share(rows, cols, layout, facts, PROBE_ROWS) {
        (_, 0) => 0.5,
        (ok, tried) => ok as f64 / tried as f64,
    }
}

/// Of the first `n` data rows below a header, how many read as lines (or rows moving no money) under a
/// layout, and how many were tried.
pub fn probe_share(
    rows: &[Vec<String>],
    cols: &FieldColumns,
    layout: &Layout,
    facts: &TitleFacts,
    n: usize,
) -> (usize, usize) {
    let ctx = LineContext {
        words: Some(&layout.words),
        rules: Some(&layout.rules),
        account_default: "PROBE",
        account_name_default: "",
        year_hint: facts.year_month,
    };
    let mut tried = 0;
    let mut ok = 0;
    for row in rows.iter().filter(|r| !is_blank_row(r) && !is_summary_row(r)).take(n) {
        tried += 1;
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        if matches!(parse_line(&cells, cols, &ctx, chrono_tz::Asia::Shanghai), Ok(Parsed::Line(_) | Parsed::NoMoney(_)))
        {
            ok += 1;
        }
    }
    (ok, tried)
}

/// The header candidates for an error message: the row naming most fields, its cells and what it lacks.
pub fn best_guess(rows: &[Vec<String>], layouts: &Layouts) -> (Vec<String>, Vec<&'static str>) {
    let mut best: Option<(usize, &Vec<String>, FieldColumns)> = None;
    for row in rows.iter().take(HEADER_SEARCH_ROWS) {
        let cols = layouts.columns(&layouts.generic, row);
        let n = cols.index.len();
        if best.as_ref().is_none_or(|(b, _, _)| n > *b) {
            best = Some((n, row, cols));
        }
    }
    match best {
        Some((_, row, cols)) => (
            row.iter().filter(|c| !clean_cell(c).is_empty()).map(|c| clean_cell(c).to_string()).collect(),
            missing_fields(&cols, LayoutKind::Bank),
        ),
        None => (Vec::new(), missing_fields(&FieldColumns::default(), LayoutKind::Bank)),
    }
}

/// Facts the title lines above the header give: the statement's own account and holder, and the month it
/// covers (for dates written without a year).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TitleFacts {
    pub account: Option<String>,
    pub account_name: Option<String>,
    /// A platform nickname (`微信昵称：[…]`): not an account id, but shown.
    pub nickname: Option<String>,
    /// The last (year, month) the title names: the statement's period end or bill month.
    pub year_month: Option<(i32, u32)>,
}

/// The keys titles use for the statement's own account and holder (normalised: no spaces).
const ACCOUNT_KEYS: [&str; 15] = [
    "查询账号",
    "查询卡号",
    "借记卡号",
    "卡号/账号",
    "客户账号",
    "支付宝账户",
    "支付宝账号",
    "AccountNo.",
    "Account/CardNo.",
    "账号",
    "卡号",
    "账户",
    "帐号",
    "京东账号",
    "微信号",
];
const NAME_KEYS: [&str; 7] = ["户名", "账户名称", "客户名称", "客户姓名", "姓名", "账户户名", "Name"];

/// Reads `查询账号：6222…`, `卡号: 1234****9876`, `户      名：张三`, `账号 | 6217…` (key and value in two cells),
/// `账号:[…]`, `微信昵称：[…]` and the period from title lines.
pub fn title_facts(rows: &[Vec<String>]) -> TitleFacts {
    let mut facts = TitleFacts::default();
    let mut note = |key: &str, value: &str| {
        let key: String = key.chars().filter(|c| !c.is_whitespace()).collect();
        let value = value.trim().trim_start_matches('[').split([']', ' ', '\t', ',', '，']).next().unwrap_or("").trim();
        if value.is_empty() {
            return;
        }
        if key.ends_with("昵称") {
            facts.nickname.get_or_insert_with(|| value.to_string());
        } else if key.ends_with("账号名") {
            facts.account_name.get_or_insert_with(|| value.to_string());
        } else if facts.account.is_none()
            && ACCOUNT_KEYS.iter().any(|k| key.ends_with(k))
            && value.chars().any(|c| c.is_ascii_alphanumeric())
        {
            facts.account = Some(value.to_string());
        } else if facts.account_name.is_none() && NAME_KEYS.iter().any(|k| key.ends_with(k)) {
            facts.account_name = Some(value.to_string());
        }
    };
    for row in rows {
        let cells: Vec<String> =
            row.iter().map(|c| collapse_cjk_spaces(clean_cell(c))).filter(|c| !c.is_empty()).collect();
        // Several facts may share a cell: "查询账号：6222… 户名：张三 查询期间：…".
        for part in split_facts(&cells.join(" ")) {
            if let Some((key, value)) = part.split_once(['：', ':']) {
                note(key, value);
            }
        }
        // A key in one cell and its value in the next: `账号 | 6217****1234`.
        for w in cells.windows(2) {
            let key: String = w[0].chars().filter(|c| !c.is_whitespace()).collect();
            let known = ACCOUNT_KEYS.iter().chain(&NAME_KEYS).any(|k| key == *k);
            if known && !w[1].contains(['：', ':']) {
                note(&key, &w[1]);
            }
        }
        for c in &cells {
            if let Some(ym) = last_year_month(c) {
                facts.year_month = Some(ym);
            }
        }
    }
    facts
}

/// `户      名：张三`, `验 证 码：…`: the spaces a title puts between the characters of a key go. A single
/// Chinese character standing alone is such a key's piece (names and values are longer).
fn collapse_cjk_spaces(s: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut glue = false;
    for w in s.split(|c: char| c.is_whitespace() || c == '\u{3000}').filter(|w| !w.is_empty()) {
        match out.last_mut() {
            Some(last) if glue => last.push_str(w),
            _ => out.push(w.to_string()),
        }
        let mut chars = w.chars();
        glue = matches!((chars.next(), chars.next()), (Some(c), None) if is_cjk(c));
    }
    out.join(" ")
}

/// The last year and month a text names: `2024年01月`, `2026-03-31`, `20260331`, `2026/3/31`.
fn last_year_month(s: &str) -> Option<(i32, u32)> {
    let chars: Vec<char> = s.chars().collect();
    let mut found = None;
    let mut i = 0;
    while i + 4 <= chars.len() {
        let year: String = chars[i..i + 4].iter().collect();
        if !year.bytes().all(|b| b.is_ascii_digit()) || (i > 0 && chars[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let y: i32 = year.parse().unwrap_or(0);
        if !(1990..=2100).contains(&y) {
            i += 1;
            continue;
        }
        let rest: String = chars[i + 4..].iter().take(4).collect();
        let month = match rest.chars().next() {
            Some('年' | '-' | '/' | '.') => rest[rest.char_indices().nth(1).map_or(rest.len(), |(k, _)| k)..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>(),
            Some(c) if c.is_ascii_digit() => rest.chars().take(2).collect(),
            _ => String::new(),
        };
        if let Ok(m) = month.parse::<u32>() {
            if (1..=12).contains(&m) {
                found = Some((y, m));
            }
        }
        i += 4;
    }
    found
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

/// A 合计/总计 line, an end marker (`----END----`, `打印完毕`, a disclaimer) or a page marker: counted, not
/// rejected.
pub fn is_summary_row(cells: &[String]) -> bool {
    let first = cells.iter().map(|c| clean_cell(c)).find(|c| !c.is_empty()).unwrap_or("");
    let raw_first = cells.iter().map(|c| c.trim()).find(|c| !c.is_empty()).unwrap_or("");
    [
        "合计",
        "总计",
        "小计",
        "本页合计",
        "累计",
        "共计",
        "本期合计",
        "人民币合计",
        "合计金额",
        "合并统计",
        "打印完毕",
        "以上数据仅供参考",
        "用卡安全温馨提示",
        "该交易明细因",
        "温馨提示",
        "第1页",
        "END",
    ]
    .iter()
    .any(|w| first.starts_with(w))
        || first.to_ascii_lowercase().starts_with("total")
        || raw_first.starts_with("---")
        || raw_first.starts_with("———")
        || (raw_first.starts_with('第') && raw_first.contains('页'))
}

pub fn is_blank_row(cells: &[String]) -> bool {
    cells.iter().all(|c| clean_cell(c).is_empty())
}

/// A row with one text cell below the header (a currency section of a credit card bill, a page title): not a
/// line.
pub fn is_section_row(cells: &[String]) -> bool {
    let filled: Vec<&str> = cells.iter().map(|c| clean_cell(c)).filter(|c| !c.is_empty()).collect();
    filled.len() == 1 && !filled[0].chars().any(|c| c.is_ascii_digit())
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
        assert!(l.named().len() >= 20, "the researched layouts: {}", l.named().len());
    }

    #[test]
    fn headers_are_normalised_as_banks_write_them() {
        assert_eq!(normalise_header("交易方向(D:借|C:贷)"), "交易方向");
        assert_eq!(normalise_header("Trans Date 交易日期"), "交易日期");
        assert_eq!(normalise_header("日 志 号"), "日志号");
        assert_eq!(normalise_header("交易金额(分)"), "交易金额(分)");
        assert_eq!(normalise_header("交易时间            "), "交易时间");
        assert_eq!(normalise_header("\u{200e}用户ID"), "用户ID");
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
        let m = find_header(&rows, &l).unwrap();
        assert_eq!(m.row, 3);
        assert_eq!(m.cols.get(StatementField::Date), Some(0));
        assert_eq!(m.cols.get(StatementField::TimeOfDay), Some(1), "交易时间 beside 交易日期 is the time of day");
        assert!(!m.cols.has(StatementField::DateTime));
        let facts = title_facts(&rows[..3]);
        assert_eq!(facts.account.as_deref(), Some("6222021234567890123"));
        assert_eq!(facts.account_name.as_deref(), Some("张三"));
        assert_eq!(facts.year_month, Some((2026, 1)));
        let facts = title_facts(&[row(&["查询账号：6222 户名：王五 查询期间：2026-01"])]);
        assert_eq!((facts.account.as_deref(), facts.account_name.as_deref()), (Some("6222"), Some("王五")));
    }

    #[test]
    fn title_facts_in_the_forms_banks_and_platforms_write() {
        let facts = title_facts(&[row(&["户      名：张三   账号：6214********8705"])]);
        assert_eq!((facts.account.as_deref(), facts.account_name.as_deref()), (Some("6214********8705"), Some("张三")));
        let facts = title_facts(&[row(&["账号", "6217****1234"]), row(&["币种", "人民币"])]);
        assert_eq!(facts.account.as_deref(), Some("6217****1234"));
        let facts = title_facts(&[
            row(&["账号:[2088000000000001]"]),
            row(&["起始日期:[2023-01-26 00:00:00]    终止日期:[2023-02-01 00:00:00]"]),
        ]);
        assert_eq!((facts.account.as_deref(), facts.year_month), (Some("2088000000000001"), Some((2023, 2))));
        let facts = title_facts(&[row(&["微信昵称：[测试]"])]);
        assert_eq!((facts.account.as_deref(), facts.nickname.as_deref()), (None, Some("测试")));
        let facts = title_facts(&[row(&["招商银行信用卡对账单（个人消费卡账户 2024年01月）（补）"])]);
        assert_eq!(facts.year_month, Some((2024, 1)));
        let facts = title_facts(&[row(&["卡号: 1234****9876", "卡别名: 这是卡别名"])]);
        assert_eq!(facts.account.as_deref(), Some("1234****9876"));
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
    fn a_layout_file_adds_a_banks_names_and_layouts() {
        let mut l = Layouts::builtin();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bank.toml");
        std::fs::write(&p, "[aliases]\namount = [\"Betrag\"]\ndatetime = [\"Buchungszeit\"]\ncounterparty = [\"Gegenkonto\"]\n[directions]\nout = [\"S\"]\nin = [\"H\"]\n").unwrap();
        l.add_file(&p).unwrap();
        let rows = vec![row(&["Buchungszeit", "Betrag", "Gegenkonto"])];
        assert!(find_header(&rows, &l).is_some());
        assert!(l.words().out.contains(&"S".to_string()));
        std::fs::write(&p, "[aliases]\nwhatever = [\"x\"]\n").unwrap();
        assert!(l.add_file(&p).unwrap_err().contains("unknown field 'whatever'"));
        std::fs::write(
            &p,
            "[[layout]]\nid = \"mine\"\nname = \"a bank\"\nsignature = [\"Zeit\", \"Summe\", \"Wer\"]\n[layout.fields]\ndatetime = [\"Zeit\"]\namount = [\"Summe\"]\ncounterparty_name = [\"Wer\"]\n",
        )
        .unwrap();
        l.add_file(&p).unwrap();
        let rows = vec![row(&["Zeit", "Summe", "Wer"]), row(&["2026-01-09 08:00:00", "-5.00", "X"])];
        let m = find_header(&rows, &l).unwrap();
        assert_eq!(l.layout(&m).id, "mine");
    }

    #[test]
    fn summary_end_and_blank_rows() {
        assert!(is_summary_row(&row(&["合计", "", "12,000.00"])));
        assert!(is_summary_row(&row(&["", "总计：3笔"])));
        assert!(is_summary_row(&row(&["-------------------END-------------------"])));
        assert!(is_summary_row(&row(&["以上数据仅供参考，具体内容请以柜台为准"])));
        assert!(!is_summary_row(&row(&["20260109", "合计"])));
        assert!(is_blank_row(&row(&["", " ", "\t", "--"])));
        assert!(is_section_row(&row(&["人民币交易明细", "", ""])));
        assert!(!is_section_row(&row(&["2026-01-01", "", ""])));
    }
}
