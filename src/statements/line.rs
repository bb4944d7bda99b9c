//! One line of a bank statement (银行流水) turned into a [`StatementLine`], or the reason it cannot be.
//!
//! A statement line is seen from the statement's own account: money went out of it or came in, with a
//! counterparty, an amount, a time and usually the balance after. Banks write each of these their own way
//! (借/贷, 收/付, D/C, separate debit and credit columns or a signed amount; `2026/1/9 8:03`, `20260109080300`,
//! split date and time columns, Excel serial dates; `1,299.00元`, `¥1299`, `-1299.00`); this module reads
//! them all into one shape. Depends only on `model`, `money` and `timefmt`, so the fuzz target compiles it
//! on its own.

use chrono_tz::Tz;

use crate::model::Channel;
use crate::money::parse_yuan;
use crate::timefmt::parse_ts;

/// The fields a statement line may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatementField {
    /// The statement's own account (交易卡号, 本方账号…).
    Account,
    AccountName,
    /// Date and time in one column.
    DateTime,
    /// Date only (with [`StatementField::TimeOfDay`] in another column).
    Date,
    TimeOfDay,
    Amount,
    /// 借/贷, 收/付, 进/出, D/C.
    Direction,
    /// Separate columns for money out and money in.
    Debit,
    Credit,
    Balance,
    Counterparty,
    CounterpartyName,
    CounterpartyBank,
    Memo,
    Serial,
    CashFlag,
    Branch,
    Ip,
    Mac,
    Currency,
    /// A platform's or reply's trade status (交易状态, 当前状态, 交易是否成功): some mean no money moved.
    Status,
    /// Where a platform payment's money came from (支付方式, 收/付款方式): `零钱`, `中国银行(1234)`.
    PayMethod,
    /// The counterparty's name and account in one cell (对手信息, 对方账号与户名, `2088…(李四)`).
    CounterpartyInfo,
    /// The card of a credit-card line (卡号末四位).
    CardLast4,
}

impl StatementField {
    pub const ALL: [StatementField; 24] = [
        StatementField::Account,
        StatementField::AccountName,
        StatementField::DateTime,
        StatementField::Date,
        StatementField::TimeOfDay,
        StatementField::Amount,
        StatementField::Direction,
        StatementField::Debit,
        StatementField::Credit,
        StatementField::Balance,
        StatementField::Counterparty,
        StatementField::CounterpartyName,
        StatementField::CounterpartyBank,
        StatementField::Memo,
        StatementField::Serial,
        StatementField::CashFlag,
        StatementField::Branch,
        StatementField::Ip,
        StatementField::Mac,
        StatementField::Currency,
        StatementField::Status,
        StatementField::PayMethod,
        StatementField::CounterpartyInfo,
        StatementField::CardLast4,
    ];

    /// The name used in layout files, errors and rejects.
    pub fn name(self) -> &'static str {
        match self {
            StatementField::Account => "account",
            StatementField::AccountName => "account_name",
            StatementField::DateTime => "datetime",
            StatementField::Date => "date",
            StatementField::TimeOfDay => "time_of_day",
            StatementField::Amount => "amount",
            StatementField::Direction => "direction",
            StatementField::Debit => "debit",
            StatementField::Credit => "credit",
            StatementField::Balance => "balance",
            StatementField::Counterparty => "counterparty",
            StatementField::CounterpartyName => "counterparty_name",
            StatementField::CounterpartyBank => "counterparty_bank",
            StatementField::Memo => "memo",
            StatementField::Serial => "serial",
            StatementField::CashFlag => "cash_flag",
            StatementField::Branch => "branch",
            StatementField::Ip => "ip",
            StatementField::Mac => "mac",
            StatementField::Currency => "currency",
            StatementField::Status => "status",
            StatementField::PayMethod => "pay_method",
            StatementField::CounterpartyInfo => "counterparty_info",
            StatementField::CardLast4 => "card_last4",
        }
    }

    pub fn parse(name: &str) -> Option<StatementField> {
        StatementField::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Which way the money moved, seen from the statement's own account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flow {
    Out,
    In,
}

impl Flow {
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Out => "out",
            Flow::In => "in",
        }
    }
}

/// How a layout writes directions: the words for money out and money in, and the neutral ones a platform
/// writes for moves the line itself does not direct (不计收支, `/`: top-ups, withdrawals, wallet moves).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectionWords {
    pub out: Vec<String>,
    pub inn: Vec<String>,
    pub neutral: Vec<String>,
}

impl DirectionWords {
    /// What banks write: 借/贷 (借 = out of the account), 出/进, 支出/收入, D/C, 付/收.
    pub fn builtin() -> DirectionWords {
        let w = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        DirectionWords {
            out: w(&["借", "出", "支出", "支", "付", "转出", "D", "DR", "DEBIT", "-", "0"]),
            inn: w(&["贷", "进", "收入", "收", "存", "转入", "C", "CR", "CREDIT", "+", "1"]),
            neutral: Vec::new(),
        }
    }

    /// The direction a cell names: `借 Dr`, `D:借` and `借方` read as 借; case and spaces do not matter.
    pub fn direction(&self, v: &str) -> Option<Direction> {
        let v = v.trim();
        let up = v.to_ascii_uppercase();
        let compact: String = up.chars().filter(|c| !c.is_whitespace()).collect();
        let first = v.split([' ', ':', '：', '\u{3000}']).next().unwrap_or("");
        let is = |words: &[String]| {
            words.iter().any(|w| *w == v || *w == up || *w == compact || (!first.is_empty() && *w == first))
        };
        if is(&self.neutral) {
            Some(Direction::Neutral)
        } else if is(&self.out) {
            Some(Direction::Flow(Flow::Out))
        } else if is(&self.inn) {
            Some(Direction::Flow(Flow::In))
        } else {
            None
        }
    }
}

/// What a direction cell says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Flow(Flow),
    /// Neither in nor out by the cell alone (不计收支, `/`): the layout's neutral rules decide.
    Neutral,
}

/// Which way a neutral line (a top-up, a withdrawal, a move between the holder's own wallets) goes and to
/// what, when its words contain one of `when`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NeutralRule {
    pub when: Vec<String>,
    pub flow: Option<Flow>,
    /// Where the other account is: `pay_method` (the card or wallet the payment method names),
    /// `counterparty` (the line's counterparty), `wallet:NAME` (the holder's own sub-wallet, e.g. 零钱通),
    /// or `none` (the move changes nothing between accounts: skip it).
    pub other: String,
}

/// How one layout writes what the columns do not say: units, signs, statuses, platform conventions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineRules {
    /// The statement's own account is a payment platform's (`微信`, `支付宝`…): its ids get this prefix.
    pub platform: Option<String>,
    /// A credit card's statement: a positive amount is spending (money out), a negative one a repayment.
    pub spending_positive: bool,
    /// The direction in the memo's first words (credit cards): prefixes meaning out, and meaning in.
    pub memo_out: Vec<String>,
    pub memo_in: Vec<String>,
    /// A line with no counterparty column pays the merchant its memo names (credit cards, platform purchases).
    pub merchant_from_memo: bool,
    /// A platform line whose words contain one of these pays a merchant (`商户消费`): a terminal.
    pub merchant_when: Vec<String>,
    /// Every line goes this way (a reply listing payer and payee rather than the holder's side).
    pub fixed_flow: Option<Flow>,
    /// Statuses (substrings) meaning no money moved: a closed trade, a failed withdrawal.
    pub no_money: Vec<String>,
    pub neutral: Vec<NeutralRule>,
}

/// Column positions of the fields a file carries, and which amounts are written in fen (`交易金额(分)`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldColumns {
    pub index: std::collections::BTreeMap<StatementField, usize>,
    /// Further columns of a field, read where a row leaves the first empty (a credit card's 记账日 for a
    /// repayment without 交易日; a reply's 对手方银行卡号 where 对手方ID is empty).
    pub fallback: std::collections::BTreeMap<StatementField, Vec<usize>>,
    pub fen: std::collections::BTreeSet<StatementField>,
}

impl FieldColumns {
    pub fn in_fen(&self, f: StatementField) -> bool {
        self.fen.contains(&f)
    }

    pub fn get(&self, f: StatementField) -> Option<usize> {
        self.index.get(&f).copied()
    }

    pub fn has(&self, f: StatementField) -> bool {
        self.index.contains_key(&f)
    }
}

/// One line of a statement, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    /// The statement's own account.
    pub account: String,
    pub account_name: String,
    pub ts_ms: i64,
    /// More than zero; `flow` says which way.
    pub amount_fen: i64,
    pub flow: Flow,
    /// The balance after this line, as the bank wrote it.
    pub balance_fen: Option<i64>,
    /// The other account; empty for cash, and for lines that name none (rejected unless cash or platform).
    pub counterparty: String,
    pub counterparty_name: String,
    pub counterparty_bank: String,
    pub memo: String,
    /// The bank's serial number of the line (流水号), if it gives one.
    pub serial: String,
    pub branch: String,
    pub ip: String,
    pub mac: String,
    pub currency: String,
    pub channel: Channel,
    /// For a platform's payment funded from a card: that card (`中国银行****1234`); the money went card →
    /// platform account → counterparty.
    pub funded_by: String,
    /// The counterparty is a merchant named by the line (a card purchase, a platform's 商户消费): a terminal.
    pub merchant: bool,
}

/// Why a line could not be read: the field, its value, and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub field: &'static str,
    pub value: String,
    pub reason: String,
}

fn err(field: StatementField, value: &str, reason: impl Into<String>) -> LineError {
    LineError { field: field.name(), value: value.to_string(), reason: reason.into() }
}

/// Cleans an account number as banks and Excel write it: a leading tab or apostrophe that kept Excel from
/// turning it into a number, `="…"`, spaces. A number Excel already converted (`6.22E+18`) has lost digits
/// and cannot be recovered.
pub fn clean_account(raw: &str) -> Result<String, String> {
    let mut s = raw.trim_matches(|c: char| c.is_whitespace() || c == '\'' || c == '`' || c == '\u{feff}');
    if let Some(inner) = s.strip_prefix("=\"").and_then(|x| x.strip_suffix('"')) {
        s = inner;
    }
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let upper = s.to_ascii_uppercase();
    if let Some((mantissa, exp)) = upper.split_once("E+") {
        let numeric = !mantissa.is_empty()
            && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !exp.is_empty()
            && exp.chars().all(|c| c.is_ascii_digit());
        if numeric {
            return Err(format!(
                "Excel turned this account number into the number {s}: its last digits are lost; ask the bank for the \
                 statement with account numbers as text"
            ));
        }
    }
    if s.chars().any(char::is_control) {
        return Err("control characters in an account number".into());
    }
    Ok(s)
}

/// An amount as statements write it: `1,299.00`, `¥1,299.00`, `1299.00元`, `-1,299.00`, `(1,299.00)`.
/// Returns the fen and whether it was negative.
pub fn parse_signed_amount(raw: &str) -> Result<(i64, bool), String> {
    let mut s = raw.trim().trim_end_matches('元').trim();
    // A note after the amount: a country (`-3.90(CN)`), a refund (`100.00(已全额退款)`).
    if let (Some(open), true) = (s.rfind(['(', '（']), s.ends_with([')', '）'])) {
        let note = &s[open..];
        if open > 0 && note.chars().any(|c| c.is_alphabetic()) {
            s = s[..open].trim();
        }
    }
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        negative = true;
        s = inner.trim();
    }
    for sym in ["¥", "￥", "RMB", "CNY"] {
        if let Some(rest) = s.strip_prefix(sym) {
            s = rest.trim_start();
        }
    }
    if let Some(rest) = s.strip_prefix('-').or_else(|| s.strip_prefix('−')) {
        negative = !negative;
        s = rest.trim_start();
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest.trim_start();
    }
    let fen = parse_yuan(s).map_err(|e| e.to_string())?;
    Ok((fen, negative))
}

/// Excel stores dates as days since 1899-12-30 (with the day's fraction as the time of day).
fn excel_serial(v: &str) -> Option<f64> {
    let f: f64 = v.trim().parse().ok()?;
    // 1982-01-01 .. 2119-12-31: a plausible statement date, and not a compact 20260109 date.
    (30_000.0..80_000.0).contains(&f).then_some(f)
}

fn excel_serial_to_local(serial: f64) -> Option<String> {
    let days = serial.trunc() as i64;
    let secs = ((serial - serial.trunc()) * (crate::timefmt::DAY_MS / crate::timefmt::SECOND_MS) as f64).round() as i64;
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let t = base + chrono::Duration::days(days) + chrono::Duration::seconds(secs);
    Some(t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// `2026/1/9 8:03`, `2026年1月9日 08:03:00`, `2026-01-09`: zero-padded `YYYY-MM-DD HH:MM:SS` for `parse_ts`.
fn normalise_time(s: &str) -> String {
    let s = s.trim().replace(['年', '月'], "-").replace('日', " ").replace('/', "-").replace('：', ":");
    let mut parts = s.split_whitespace();
    let date = parts.next().unwrap_or("");
    let time = parts.next();
    let d: Vec<&str> = date.split('-').collect();
    let date =
        if d.len() == 3 && d.iter().all(|x| !x.is_empty() && x.len() <= 4 && x.bytes().all(|b| b.is_ascii_digit())) {
            format!("{:0>4}-{:0>2}-{:0>2}", d[0], d[1], d[2])
        } else {
            date.to_string()
        };
    match time {
        None => date,
        Some(t) => {
            let p: Vec<&str> = t.split(':').collect();
            let ok = p.len() >= 2
                && p.len() <= 3
                && p.iter().all(|x| !x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit()));
            if ok {
                let sec = p.get(2).copied().unwrap_or("0");
                format!("{date} {:0>2}:{:0>2}:{:0>2}", p[0], p[1], sec)
            } else {
                format!("{date} {t}")
            }
        }
    }
}

/// A time of day written `08:03:00`, `8:03`, `080300`.
fn time_of_day(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("{}:{}:{}", &s[0..2], &s[2..4], &s[4..6]));
    }
    let p: Vec<&str> = s.split(':').collect();
    let ok = (2..=3).contains(&p.len())
        && p.iter().all(|x| !x.is_empty() && x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| format!("{:0>2}:{:0>2}:{:0>2}", p[0], p[1], p.get(2).copied().unwrap_or("0")))
}

/// A date written `2026-01-09`, `2026/1/9`, `20260109` or as an Excel serial.
fn date_only(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("{}-{}-{}", &s[0..4], &s[4..6], &s[6..8]));
    }
    if let Some(serial) = excel_serial(s) {
        return excel_serial_to_local(serial.trunc()).map(|t| t[..10].to_string());
    }
    let n = normalise_time(s);
    (n.len() == 10).then_some(n)
}

/// The time of a line from its date-time column, or its date and time-of-day columns.
pub fn line_time(datetime: Option<&str>, date: Option<&str>, tod: Option<&str>, tz: Tz) -> Result<i64, LineError> {
    if let Some(v) = datetime.filter(|v| !v.trim().is_empty()) {
        let text = match excel_serial(v) {
            Some(serial) => excel_serial_to_local(serial)
                .ok_or_else(|| err(StatementField::DateTime, v, "not a date Excel could write"))?,
            None => normalise_time(v),
        };
        return parse_ts(&text, tz).map_err(|e| err(StatementField::DateTime, v, e.to_string()));
    }
    let d = date.filter(|v| !v.trim().is_empty()).ok_or_else(|| err(StatementField::DateTime, "", "no time"))?;
    let no_tod = tod.is_none_or(|t| t.trim().is_empty());
    let day = match date_only(d) {
        Some(day) => day,
        // A date column holding the time too (`2026-03-02 14:06:51`).
        None if no_tod && d.trim().contains([' ', 'T']) => {
            return line_time(Some(d), None, None, tz)
                .map_err(|e| LineError { field: StatementField::Date.name(), ..e })
        }
        None => return Err(err(StatementField::Date, d, "not a date")),
    };
    let text = match tod.filter(|v| !v.trim().is_empty()) {
        Some(t) => {
            format!("{day} {}", time_of_day(t).ok_or_else(|| err(StatementField::TimeOfDay, t, "not a time of day"))?)
        }
        None => day,
    };
    parse_ts(&text, tz).map_err(|e| err(StatementField::Date, d, e.to_string()))
}

/// The channel a line's words give: cash at an ATM or counter, a card purchase, a payment platform, salary.
pub fn channel_of(memo: &str, cash_flag: &str, counterparty_name: &str, flow: Flow) -> Channel {
    let has = |text: &str, words: &[&str]| words.iter().any(|w| text.contains(w));
    let upper_memo = memo.to_uppercase();
    let cash = {
        let f = cash_flag.trim();
        matches!(f, "现金" | "现" | "是" | "Y" | "y" | "1" | "C")
            || has(memo, &["取款", "取现", "ATM取", "存现", "现金存入", "现金支取", "现存", "现支"])
            || has(&upper_memo, &["ATM"])
    };
    if cash {
        return match flow {
            Flow::Out => Channel::AtmWithdrawal,
            Flow::In => Channel::CashDeposit,
        };
    }
    let text = format!("{memo} {counterparty_name}");
    if has(&text, &["代发工资", "工资", "薪金", "奖金代发"]) {
        return Channel::Salary;
    }
    if has(&text, &["财付通", "支付宝", "银联", "网联", "快捷支付", "微信支付", "微信", "拉卡拉", "京东支付", "云闪付"])
        || has(&text.to_uppercase(), &["TENPAY", "ALIPAY", "UNIONPAY", "NUCC"])
    {
        return Channel::ThirdParty;
    }
    if has(memo, &["消费", "POS", "刷卡"]) || has(&upper_memo, &["POS"]) {
        return Channel::Pos;
    }
    Channel::Transfer
}

/// What a file says about every line: the statement's own account and holder when no column gives them, and
/// the year of dates written without one (`03/02` in a statement titled 2024年03月).
#[derive(Clone, Debug, Default)]
pub struct LineContext<'a> {
    pub words: Option<&'a DirectionWords>,
    pub rules: Option<&'a LineRules>,
    pub account_default: &'a str,
    pub account_name_default: &'a str,
    /// (year, month) of the statement: a `MM/DD` date takes this year, or the year before when its month is
    /// later than the statement's (December lines in a January bill).
    pub year_hint: Option<(i32, u32)>,
}

/// A cell as the bank wrote it, without what is not its value: padding (spaces, tabs, full-width spaces),
/// `="…"` guards, zero-width and direction marks, and the markers banks write for "nothing" (`-`, `--`, a run
/// of dashes, `/`, `（空）`, `\N`, `null`).
pub fn clean_cell(raw: &str) -> &str {
    let noise = |c: char| {
        c.is_whitespace()
            || matches!(c, '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}' | '\u{3000}')
    };
    let mut s = raw.trim_matches(noise);
    if let Some(inner) = s.strip_prefix("=\"").and_then(|x| x.strip_suffix('"')) {
        s = inner.trim_matches(noise);
    }
    let is_dashes = !s.is_empty() && s.chars().all(|c| matches!(c, '-' | '—' | '─' | '－'));
    if is_dashes || matches!(s, "/" | "（空）" | "(空)" | "\\N" | "null" | "NULL" | "nan" | "NaN" | "无") {
        return "";
    }
    s
}

/// A cell holding a name and an account (`李四 6222000000005678`, `北京住房公积金管理中心1111111111`,
/// `李四/6222…`, `2088000000000002(李四)`, `6217****5678 李四`): the longest run of digits (with masking stars)
/// of at least six is the account, the rest, without brackets and separators, the name.
pub fn split_name_and_account(cell: &str) -> (String, String) {
    let chars: Vec<char> = cell.chars().collect();
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || chars[i] == '*' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '*') {
                i += 1;
            }
            let digits = chars[start..i].iter().filter(|c| c.is_ascii_digit()).count();
            if digits >= 4 && i - start >= 6 && best.is_none_or(|(s, e)| i - start > e - s) {
                best = Some((start, i));
            }
        } else {
            i += 1;
        }
    }
    let Some((s, e)) = best else { return (clean_name(cell), String::new()) };
    let account: String = chars[s..e].iter().collect();
    let name: String = chars[..s].iter().chain(&chars[e..]).collect();
    (clean_name(&name), account)
}

fn clean_name(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace() || "()（）[]/:：-_,，".contains(c)).to_string()
}

/// An account as written on a line, cleaned ([`clean_account`]) and without a reply's currency suffix
/// (`6217…_156_1`) or brackets (`[wxid_…]`).
fn line_account(raw: &str) -> Result<String, String> {
    let s = clean_account(raw.trim_matches(|c| c == '[' || c == ']'))?;
    // `_156_1`: the 查控 platform's currency (ISO 156, CNY) and sub-account suffix.
    if let Some((base, rest)) = s.split_once('_') {
        if !base.is_empty() && rest.split('_').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
            return Ok(base.to_string());
        }
    }
    Ok(s)
}

/// What a row turned out to be. (One is made per row and consumed at once: the size difference of the
/// variants costs nothing worth a box.)
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    Line(StatementLine),
    /// A row that moved no money (a closed trade, a failed withdrawal, a neutral move the layout cannot
    /// place), with the reason: counted and shown, not refused.
    NoMoney(String),
}

/// Reads one row into a line of the statement's own account (or says why it moved no money).
pub fn parse_line(cells: &[&str], cols: &FieldColumns, ctx: &LineContext<'_>, tz: Tz) -> Result<Parsed, LineError> {
    let builtin;
    let words = match ctx.words {
        Some(w) => w,
        None => {
            builtin = DirectionWords::builtin();
            &builtin
        }
    };
    let no_rules = LineRules::default();
    let rules = ctx.rules.unwrap_or(&no_rules);
    let at = |i: usize| cells.get(i).map_or("", |s| clean_cell(s));
    let cell = |f: StatementField| -> &str {
        let first = cols.get(f).map_or("", at);
        if !first.is_empty() {
            return first;
        }
        cols.fallback.get(&f).into_iter().flatten().map(|&i| at(i)).find(|v| !v.is_empty()).unwrap_or("")
    };
    let raw = |f: StatementField| cols.get(f).and_then(|i| cells.get(i)).map_or("", |s| s.trim());

    // A trade that moved nothing is counted before anything else is asked of it.
    let status = cell(StatementField::Status);
    if let Some(w) = rules.no_money.iter().find(|w| !w.is_empty() && status.contains(w.as_str())) {
        return Ok(Parsed::NoMoney(format!("status {status:?} ({w}): no money moved")));
    }

    // The statement's own account: a column (possibly `2088…(张三)`), else the file's.
    let (mut account_name, raw_account) = {
        let own = cell(StatementField::Account);
        if own.is_empty() {
            (String::new(), ctx.account_default.to_string())
        } else if own.contains(['(', '（']) {
            let (name, acct) = split_name_and_account(own);
            if acct.is_empty() {
                (String::new(), own.to_string())
            } else {
                (name, acct)
            }
        } else {
            (String::new(), own.to_string())
        }
    };
    let mut account = line_account(&raw_account).map_err(|r| err(StatementField::Account, &raw_account, r))?;
    if account.is_empty() {
        return Err(err(StatementField::Account, &raw_account, "no account"));
    }
    if let Some(p) = &rules.platform {
        account = platform_id(p, &account);
    }
    let card = cell(StatementField::CardLast4);
    if !card.is_empty() && !account.contains(card) {
        // A credit-card statement lists several cards: the line's own card, by its last digits.
        account = format!("{account}#{card}");
    }
    let given_name = cell(StatementField::AccountName);
    if !given_name.is_empty() {
        account_name = given_name.to_string();
    }
    if account_name.is_empty() {
        account_name = ctx.account_name_default.to_string();
    }

    let opt = |f: StatementField| cols.has(f).then(|| cell(f));
    let ts_ms = line_time_hinted(
        opt(StatementField::DateTime),
        opt(StatementField::Date),
        opt(StatementField::TimeOfDay),
        ctx.year_hint,
        tz,
    )?;
    let fen = |f: StatementField, v: &str| -> Result<(i64, bool), LineError> {
        let (x, neg) = parse_signed_amount(v).map_err(|r| err(f, v, r))?;
        if cols.in_fen(f) {
            // A reply written in fen (交易金额(分)): whole numbers of fen.
            return if x % 100 == 0 { Ok((x / 100, neg)) } else { Err(err(f, v, "not a whole number of fen")) };
        }
        Ok((x, neg))
    };
    let memo = cell(StatementField::Memo).to_string();

    // Amount and direction: separate out and in columns, a direction column, a signed amount, or the memo's
    // first words (credit cards).
    let mut neutral = false;
    let (amount_fen, flow) = if cols.has(StatementField::Debit) || cols.has(StatementField::Credit) {
        let side = |f: StatementField| -> Result<i64, LineError> {
            let v = cell(f);
            if v.is_empty() {
                return Ok(0);
            }
            let (x, neg) = fen(f, v)?;
            Ok(if neg { -x } else { x })
        };
        let (out, inn) = (side(StatementField::Debit)?, side(StatementField::Credit)?);
        match (out, inn) {
            (o, 0) if o > 0 => (o, Flow::Out),
            (0, i) if i > 0 => (i, Flow::In),
            // A negative in one column is the other way (a reversal written as a negative debit).
            (o, 0) if o < 0 => (-o, Flow::In),
            (0, i) if i < 0 => (-i, Flow::Out),
            (0, 0) if cols.has(StatementField::Amount) && !cell(StatementField::Amount).is_empty() => {
                let (x, neg) = fen(StatementField::Amount, cell(StatementField::Amount))?;
                (x, if neg { Flow::Out } else { Flow::In })
            }
            (0, 0) => return Err(err(StatementField::Debit, "", "neither money out nor money in")),
            _ => {
                let both = format!("{} / {}", raw(StatementField::Debit), raw(StatementField::Credit));
                return Err(err(StatementField::Debit, &both, "money out and in on one line"));
            }
        }
    } else {
        let v = cell(StatementField::Amount);
        let (x, negative) = fen(StatementField::Amount, v)?;
        let flow = if let Some(f) = rules.fixed_flow {
            f
        } else if cols.has(StatementField::Direction) {
            let d = raw(StatementField::Direction);
            let neutral_when_empty = rules.platform.is_some() && clean_cell(d).is_empty() && !negative;
            match if neutral_when_empty { Some(Direction::Neutral) } else { words.direction(d) } {
                Some(Direction::Flow(f)) => f,
                Some(Direction::Neutral) => {
                    neutral = true;
                    Flow::Out
                }
                None if d.is_empty() || clean_cell(d).is_empty() => {
                    // No direction written: the sign says (a reply writing negatives for money out).
                    if negative {
                        Flow::Out
                    } else {
                        return Err(err(StatementField::Direction, d, "no direction"));
                    }
                }
                None => {
                    return Err(err(
                        StatementField::Direction,
                        d,
                        format!(
                            "not a direction this layout knows (out: {}; in: {})",
                            words.out.join("/"),
                            words.inn.join("/")
                        ),
                    ))
                }
            }
        } else if let Some(f) = memo_flow(&memo, rules) {
            f
        } else if rules.spending_positive {
            if negative {
                Flow::In
            } else {
                Flow::Out
            }
        } else if negative {
            Flow::Out
        } else {
            Flow::In
        };
        (x, flow)
    };
    if amount_fen <= 0 {
        return Ok(Parsed::NoMoney("zero amount".into()));
    }
    let balance_fen = match opt(StatementField::Balance).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => {
            let (x, neg) = fen(StatementField::Balance, v)?;
            Some(if neg { -x } else { x })
        }
    };

    // The counterparty: its own columns, or one cell holding name and account.
    let mut counterparty_name = cell(StatementField::CounterpartyName).to_string();
    let mut raw_cp = cell(StatementField::Counterparty).to_string();
    let info = cell(StatementField::CounterpartyInfo);
    if !info.is_empty() {
        let (name, acct) = split_name_and_account(info);
        if counterparty_name.is_empty() {
            counterparty_name = name;
        }
        if raw_cp.is_empty() {
            raw_cp = acct;
        }
    }
    let mut counterparty = line_account(&raw_cp).map_err(|r| err(StatementField::Counterparty, &raw_cp, r))?;
    let pay_method = cell(StatementField::PayMethod).to_string();
    let mut funded_by = String::new();
    let mut flow = flow;
    if neutral {
        // A neutral move: which way, and to what, by the layout's rules on the line's words.
        let text = format!("{memo} {counterparty_name} {status}");
        let Some(rule) = rules.neutral.iter().find(|r| r.when.iter().any(|w| text.contains(w.as_str()))) else {
            return Ok(Parsed::NoMoney(format!("a neutral line ({memo}) the layout does not place")));
        };
        flow = rule.flow.unwrap_or(Flow::Out);
        match rule.other.as_str() {
            "none" => return Ok(Parsed::NoMoney(format!("a move inside the holder's own balance ({memo})"))),
            "pay_method" => {
                let card = payment_source(&pay_method).or_else(|| payment_source(&counterparty_name));
                match card {
                    Some(c) => counterparty = c,
                    None => return Ok(Parsed::NoMoney(format!("a neutral line ({memo}) naming no card"))),
                }
            }
            w if w.starts_with("wallet:") => counterparty = format!("{account}:{}", &w["wallet:".len()..]),
            _ => {}
        }
    } else if let Some(p) = &rules.platform {
        // A platform's own line: other users are the platform's accounts; a payment funded by a card is two
        // moves, card → balance → payee (the read statement adds the first).
        if flow == Flow::Out {
            if let Some(c) = payment_source(&pay_method) {
                funded_by = c;
            }
        }
        if !counterparty.is_empty() && !counterparty.contains(':') && !looks_like_card(&counterparty) {
            counterparty = platform_id(p, &counterparty);
        }
    }
    let row_text = cells.iter().map(|c| clean_cell(c)).collect::<Vec<_>>().join(" ");
    let merchant = counterparty.is_empty()
        && ((rules.merchant_from_memo
            && !cols.has(StatementField::Counterparty)
            && !cols.has(StatementField::CounterpartyName))
            || rules.merchant_when.iter().any(|w| row_text.contains(w.as_str())));
    if merchant && counterparty_name.is_empty() {
        counterparty_name = memo.clone();
    }
    let channel = channel_of(&memo, cell(StatementField::CashFlag), &counterparty_name, flow);
    Ok(Parsed::Line(StatementLine {
        account,
        account_name,
        ts_ms,
        amount_fen,
        flow,
        balance_fen,
        counterparty,
        counterparty_name,
        counterparty_bank: cell(StatementField::CounterpartyBank).to_string(),
        memo,
        serial: cell(StatementField::Serial).to_string(),
        branch: cell(StatementField::Branch).to_string(),
        ip: cell(StatementField::Ip).to_string(),
        mac: cell(StatementField::Mac).to_string(),
        currency: cell(StatementField::Currency).to_string(),
        channel,
        funded_by,
        merchant,
    }))
}

/// A bank card number (a full or masked run of digits): not a platform user's id.
fn looks_like_card(s: &str) -> bool {
    s.len() >= 12 && s.chars().all(|c| c.is_ascii_digit() || c == '*')
}

/// A platform's account id: `微信:wxid_abc`; ids that already carry a platform are kept.
pub fn platform_id(platform: &str, id: &str) -> String {
    if id.contains(':') {
        id.to_string()
    } else {
        format!("{platform}:{id}")
    }
}

/// The card or wallet a platform payment method names: `中国银行(1234)`, `招商银行储蓄卡(5678)` → a masked card
/// `中国银行****1234`; balances (`零钱`, `余额`, `余额宝`, `花呗`) are the platform account itself (None).
pub fn payment_source(method: &str) -> Option<String> {
    let m = clean_cell(method);
    if looks_like_card(m) {
        return Some(m.to_string());
    }
    let (open, close) = (m.rfind(['(', '（'])?, m.rfind([')', '）'])?);
    if close <= open {
        return None;
    }
    let digits = m[open..close].trim_start_matches(['(', '（']).trim();
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bank = m[..open].trim().trim_end_matches("储蓄卡").trim_end_matches("借记卡").trim_end_matches("信用卡");
    Some(format!("{bank}****{digits}"))
}

/// The direction a credit card's memo names in its first words (`消费`, `退货`, `（还款）`).
fn memo_flow(memo: &str, rules: &LineRules) -> Option<Flow> {
    let m = memo.trim_start_matches(['(', '（', ' ']);
    if rules.memo_out.iter().any(|w| m.starts_with(w.as_str())) {
        Some(Flow::Out)
    } else if rules.memo_in.iter().any(|w| m.starts_with(w.as_str())) {
        Some(Flow::In)
    } else {
        None
    }
}

/// [`line_time`], with dates written without a year (`03/02`, `0302`) placed by the statement's month.
pub fn line_time_hinted(
    datetime: Option<&str>,
    date: Option<&str>,
    tod: Option<&str>,
    year_hint: Option<(i32, u32)>,
    tz: Tz,
) -> Result<i64, LineError> {
    let Some((year, month)) = year_hint else { return line_time(datetime, date, tod, tz) };
    let place = |v: &str| -> Option<String> {
        let v = v.trim();
        let (m, d) = match v.split_once(['/', '-', '.']) {
            Some((m, d)) if !d.contains(['/', '-', '.']) => (m, d),
            None if v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) => (&v[..2], &v[2..]),
            _ => return None,
        };
        let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
        let y = if m > month { year - 1 } else { year };
        chrono::NaiveDate::from_ymd_opt(y, m, d).map(|x| x.format("%Y-%m-%d").to_string())
    };
    match (datetime, date) {
        (Some(v), _) if place(v).is_some() => line_time(None, place(v).as_deref(), tod, tz),
        (_, Some(v)) if place(v).is_some() => line_time(None, place(v).as_deref(), tod, tz),
        _ => line_time(datetime, date, tod, tz),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: Tz = crate::timefmt::DEFAULT_TZ;

    fn cols(fields: &[StatementField]) -> FieldColumns {
        FieldColumns { index: fields.iter().enumerate().map(|(i, f)| (*f, i)).collect(), ..FieldColumns::default() }
    }

    fn ts(s: &str) -> i64 {
        parse_ts(s, TZ).unwrap()
    }

    /// A row read with the built-in words, no layout rules, and `account` as the file's own account.
    fn read(cells: &[&str], c: &FieldColumns, account: &str) -> Result<Parsed, LineError> {
        let ctx = LineContext { account_default: account, ..LineContext::default() };
        parse_line(cells, c, &ctx, TZ)
    }

    fn line(cells: &[&str], c: &FieldColumns, account: &str) -> StatementLine {
        match read(cells, c, account) {
            Ok(Parsed::Line(l)) => l,
            other => panic!("not a line: {other:?}"),
        }
    }

    #[test]
    fn account_numbers_are_cleaned_and_excel_numbers_refused() {
        assert_eq!(clean_account("\t6222021234567890123").unwrap(), "6222021234567890123");
        assert_eq!(clean_account("'6222021234567890123").unwrap(), "6222021234567890123");
        assert_eq!(clean_account("=\"6222021234567890123\"").unwrap(), "6222021234567890123");
        assert_eq!(clean_account("6222 0212 3456 7890").unwrap(), "6222021234567890");
        let e = clean_account("6.22202E+18").unwrap_err();
        assert!(e.contains("digits are lost"), "{e}");
        assert!(clean_account("6.22E+18").is_err());
        assert_eq!(line_account("6217000000001234_156_1").unwrap(), "6217000000001234", "a reply's suffix");
        assert_eq!(line_account("[wxid_demo01]").unwrap(), "wxid_demo01");
    }

    #[test]
    fn amounts_as_banks_write_them() {
        assert_eq!(parse_signed_amount("1,299.00").unwrap(), (129_900, false));
        assert_eq!(parse_signed_amount("¥1,299.00").unwrap(), (129_900, false));
        assert_eq!(parse_signed_amount("1299.00元").unwrap(), (129_900, false));
        assert_eq!(parse_signed_amount("-1,299.00").unwrap(), (129_900, true));
        assert_eq!(parse_signed_amount("(88.8)").unwrap(), (8_880, true));
        assert_eq!(parse_signed_amount("+10000.00").unwrap(), (1_000_000, false));
        assert_eq!(parse_signed_amount("CNY 123.18").unwrap(), (12_318, false));
        assert_eq!(parse_signed_amount("-3.90(CN)").unwrap(), (390, true));
        assert_eq!(parse_signed_amount("100.00(已全额退款)").unwrap(), (10_000, false));
        assert!(parse_signed_amount("12.345").is_err());
        assert!(parse_signed_amount("abc").is_err());
    }

    #[test]
    fn cells_lose_padding_guards_and_nothing_markers() {
        assert_eq!(clean_cell("  2026-03-02     \t"), "2026-03-02");
        assert_eq!(clean_cell("=\"6222021234567890123\""), "6222021234567890123");
        assert_eq!(clean_cell("\u{200e}wxid_a\u{200f}"), "wxid_a");
        for nothing in ["-", "--", "-------------------", "/", "（空）", "\\N", "null", " \t "] {
            assert_eq!(clean_cell(nothing), "", "{nothing:?}");
        }
        assert_eq!(clean_cell("-5.00"), "-5.00");
    }

    #[test]
    fn names_and_accounts_in_one_cell() {
        let split = |s: &str| {
            let (n, a) = split_name_and_account(s);
            (n, a)
        };
        assert_eq!(split("李四 6222000000005678"), ("李四".into(), "6222000000005678".into()));
        assert_eq!(split("北京住房公积金管理中心1111111111"), ("北京住房公积金管理中心".into(), "1111111111".into()));
        assert_eq!(split("2088000000000002(李四)"), ("李四".into(), "2088000000000002".into()));
        assert_eq!(split("李四/6217****5678"), ("李四".into(), "6217****5678".into()));
        assert_eq!(split("某面馆"), ("某面馆".into(), String::new()));
        assert_eq!(payment_source("中国银行(1234)").as_deref(), Some("中国银行****1234"));
        assert_eq!(payment_source("招商银行储蓄卡(5678)").as_deref(), Some("招商银行****5678"));
        assert_eq!(payment_source("零钱"), None);
        assert_eq!(payment_source("6217000000001234").as_deref(), Some("6217000000001234"));
    }

    #[test]
    fn times_as_banks_write_them() {
        let want = ts("2026-01-09 08:03:05");
        for (dt, d, t) in [
            (Some("2026-01-09 08:03:05"), None, None),
            (Some("2026/1/9 8:03:05"), None, None),
            (Some("20260109080305"), None, None),
            (Some("2026年1月9日 08:03:05"), None, None),
            (None, Some("20260109"), Some("080305")),
            (None, Some("2026-01-09"), Some("8:03:05")),
            (None, Some("2026/1/9"), Some("08:03:05")),
            (None, Some("2026-01-09 08:03:05"), None),
        ] {
            assert_eq!(line_time(dt, d, t, TZ).unwrap(), want, "{dt:?} {d:?} {t:?}");
        }
        // Excel serial: 2026-01-09 is day 46031; 08:03:05 is 28,985 s of 86,400.
        let serial = format!("{}", 46031.0 + 28_985.0 / 86_400.0);
        assert_eq!(line_time(Some(&serial), None, None, TZ).unwrap(), ts("2026-01-09 08:03:05"));
        assert_eq!(line_time(None, Some("46031"), Some("08:03:05"), TZ).unwrap(), want);
        assert!(line_time(Some("yesterday"), None, None, TZ).is_err());
        assert_eq!(line_time(None, Some(""), None, TZ).unwrap_err().field, "datetime");
        // A credit card bill of January 2026 lists `12/30` (last year) and `01/05`.
        let hint = Some((2026, 1));
        assert_eq!(line_time_hinted(None, Some("12/30"), None, hint, TZ).unwrap(), ts("2025-12-30"));
        assert_eq!(line_time_hinted(None, Some("01/05"), None, hint, TZ).unwrap(), ts("2026-01-05"));
        assert_eq!(line_time_hinted(None, Some("2026-01-05"), None, hint, TZ).unwrap(), ts("2026-01-05"));
    }

    #[test]
    fn directions_from_a_column_debit_credit_or_sign() {
        use StatementField as F;
        let c = cols(&[F::DateTime, F::Amount, F::Direction, F::Counterparty, F::Balance]);
        let l = line(&["2026-01-09 08:03:05", "1,299.00", "借", "6217000011112222", "700.00"], &c, "A1");
        assert_eq!((l.account.as_str(), l.amount_fen, l.flow, l.balance_fen), ("A1", 129_900, Flow::Out, Some(70_000)));
        let l = line(&["2026-01-09 08:03:05", "5", "C", "X", ""], &c, "A1");
        assert_eq!((l.flow, l.balance_fen), (Flow::In, None));
        assert_eq!(line(&["2026-01-09 08:03:05", "5", "借 Dr", "X", ""], &c, "A1").flow, Flow::Out);
        assert_eq!(line(&["2026-01-09 08:03:05", "5", "C:贷", "X", ""], &c, "A1").flow, Flow::In);
        let e = read(&["2026-01-09 08:03:05", "5", "?", "X", ""], &c, "A1").unwrap_err();
        assert_eq!((e.field, e.value.as_str()), ("direction", "?"));

        let c = cols(&[F::Account, F::DateTime, F::Debit, F::Credit, F::Counterparty]);
        let l = line(&["'6222", "2026-01-09 08:03:05", "", "88.00", "X"], &c, "");
        assert_eq!((l.account.as_str(), l.amount_fen, l.flow), ("6222", 8_800, Flow::In));
        let l = line(&["6222", "2026-01-09 08:03:05", "88.00", "0.00", "X"], &c, "");
        assert_eq!(l.flow, Flow::Out);
        let l = line(&["6222", "2026-01-09 08:03:05", "-", "88.00", "X"], &c, "");
        assert_eq!(l.flow, Flow::In, "`-` is nothing in an amount column");
        assert_eq!(read(&["6222", "2026-01-09 08:03:05", "1", "2", "X"], &c, "").unwrap_err().field, "debit");

        let c = cols(&[F::DateTime, F::Amount, F::Counterparty]);
        assert_eq!(line(&["2026-01-09 08:03:05", "-20.00", "X"], &c, "A").flow, Flow::Out);
        assert_eq!(line(&["2026-01-09 08:03:05", "20.00", "X"], &c, "A").flow, Flow::In);
        assert!(matches!(read(&["2026-01-09 08:03:05", "0.00", "X"], &c, "A"), Ok(Parsed::NoMoney(_))));
    }

    #[test]
    fn a_layouts_rules_read_what_the_columns_do_not_say() {
        use StatementField as F;
        // A credit card: positive is spending, the merchant is the memo, the card is the line's.
        let c = cols(&[F::Date, F::Memo, F::Amount, F::CardLast4]);
        let rules = LineRules { spending_positive: true, merchant_from_memo: true, ..LineRules::default() };
        let ctx = LineContext {
            rules: Some(&rules),
            account_default: "CMB",
            year_hint: Some((2026, 1)),
            ..LineContext::default()
        };
        let Ok(Parsed::Line(l)) = parse_line(&["12/30", "某超市", "88.00", "1234"], &c, &ctx, TZ) else { panic!() };
        assert_eq!(
            (l.flow, l.merchant, l.counterparty_name.as_str(), l.account.as_str()),
            (Flow::Out, true, "某超市", "CMB#1234")
        );
        assert_eq!(l.ts_ms, ts("2025-12-30"));
        let Ok(Parsed::Line(l)) = parse_line(&["01/05", "还款", "-500.00", "1234"], &c, &ctx, TZ) else { panic!() };
        assert_eq!(l.flow, Flow::In);

        // A reply in fen.
        let mut c = cols(&[F::DateTime, F::Amount, F::Direction, F::Counterparty]);
        c.fen.insert(F::Amount);
        let l = line(&["2026-03-02 14:06:51", "50000", "出", "wxid_b"], &c, "A");
        assert_eq!(l.amount_fen, 50_000);

        // A platform bill: a closed trade moves nothing; a card-funded payment names its card; a neutral
        // withdrawal goes to the card its payment method names.
        let c = cols(&[F::DateTime, F::Memo, F::CounterpartyName, F::Direction, F::Amount, F::PayMethod, F::Status]);
        let words = DirectionWords {
            out: vec!["支出".into()],
            inn: vec!["收入".into()],
            neutral: vec!["/".into(), "不计收支".into()],
        };
        let rules = LineRules {
            platform: Some("微信".into()),
            no_money: vec!["交易关闭".into()],
            merchant_when: vec!["商户消费".into()],
            neutral: vec![NeutralRule {
                when: vec!["零钱提现".into()],
                flow: Some(Flow::Out),
                other: "pay_method".into(),
            }],
            ..LineRules::default()
        };
        let ctx = LineContext {
            words: Some(&words),
            rules: Some(&rules),
            account_default: "wxid_me",
            ..LineContext::default()
        };
        let row = |memo, name, dir, pay, status| {
            parse_line(&["2026-03-02 12:45:27", memo, name, dir, "¥28.00", pay, status], &c, &ctx, TZ)
        };
        assert!(matches!(row("转账", "李四", "支出", "零钱", "交易关闭"), Ok(Parsed::NoMoney(_))));
        let Ok(Parsed::Line(l)) = row("商户消费", "某面馆", "支出", "中国银行(1234)", "支付成功")
        else {
            panic!()
        };
        assert_eq!((l.account.as_str(), l.funded_by.as_str(), l.merchant), ("微信:wxid_me", "中国银行****1234", true));
        let Ok(Parsed::Line(l)) = row("零钱提现", "招商银行(5678)", "/", "招商银行(5678)", "提现已到账")
        else {
            panic!()
        };
        assert_eq!((l.flow, l.counterparty.as_str()), (Flow::Out, "招商银行****5678"));
        assert!(matches!(row("理财通转入", "", "/", "零钱", "成功"), Ok(Parsed::NoMoney(_))), "no rule places it");
    }

    #[test]
    fn channels_from_memo_cash_flag_and_counterparty() {
        assert_eq!(channel_of("ATM取款", "", "", Flow::Out), Channel::AtmWithdrawal);
        assert_eq!(channel_of("转账", "现金", "", Flow::Out), Channel::AtmWithdrawal);
        assert_eq!(channel_of("现金存入", "", "", Flow::In), Channel::CashDeposit);
        assert_eq!(channel_of("消费", "", "某超市", Flow::Out), Channel::Pos);
        assert_eq!(channel_of("快捷支付", "", "", Flow::Out), Channel::ThirdParty);
        assert_eq!(channel_of("转账", "", "财付通支付科技有限公司", Flow::Out), Channel::ThirdParty);
        assert_eq!(channel_of("代发工资", "", "某公司", Flow::In), Channel::Salary);
        assert_eq!(channel_of("网银转账", "", "张三", Flow::Out), Channel::Transfer);
    }
}
