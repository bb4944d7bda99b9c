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
}

impl StatementField {
    pub const ALL: [StatementField; 20] = [
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

/// How a layout writes directions: the words for money out and money in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectionWords {
    pub out: Vec<String>,
    pub inn: Vec<String>,
}

impl DirectionWords {
    /// What banks write: 借/贷 (借 = out of the account), 出/进, 支出/收入, D/C, 付/收.
    pub fn builtin() -> DirectionWords {
        let w = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        DirectionWords {
            out: w(&["借", "出", "支出", "支", "付", "转出", "D", "DR", "DEBIT", "-", "0"]),
            inn: w(&["贷", "进", "收入", "收", "存", "转入", "C", "CR", "CREDIT", "+", "1"]),
        }
    }

    fn flow(&self, v: &str) -> Option<Flow> {
        let v = v.trim();
        let up = v.to_ascii_uppercase();
        if self.out.iter().any(|w| *w == v || *w == up) {
            Some(Flow::Out)
        } else if self.inn.iter().any(|w| *w == v || *w == up) {
            Some(Flow::In)
        } else {
            None
        }
    }
}

/// Column positions of the fields a file carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldColumns {
    pub index: std::collections::BTreeMap<StatementField, usize>,
}

impl FieldColumns {
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
    let day = date_only(d).ok_or_else(|| err(StatementField::Date, d, "not a date"))?;
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

/// Reads one line. `account_default` is the statement's own account from a title line, used when the file
/// has no account column.
pub fn parse_line(
    cells: &[&str],
    cols: &FieldColumns,
    words: &DirectionWords,
    account_default: &str,
    tz: Tz,
) -> Result<StatementLine, LineError> {
    let cell = |f: StatementField| cols.get(f).and_then(|i| cells.get(i)).map(|s| s.trim()).unwrap_or("");
    let raw_account = if cols.has(StatementField::Account) && !cell(StatementField::Account).is_empty() {
        cell(StatementField::Account)
    } else {
        account_default
    };
    let account = clean_account(raw_account).map_err(|r| err(StatementField::Account, raw_account, r))?;
    if account.is_empty() {
        return Err(err(StatementField::Account, raw_account, "no account"));
    }
    let opt = |f: StatementField| cols.has(f).then(|| cell(f));
    let ts_ms =
        line_time(opt(StatementField::DateTime), opt(StatementField::Date), opt(StatementField::TimeOfDay), tz)?;

    // Amount and direction: a direction column, separate debit and credit columns, or a signed amount.
    let (amount_fen, flow) = if cols.has(StatementField::Debit) || cols.has(StatementField::Credit) {
        let side = |f: StatementField| -> Result<i64, LineError> {
            let v = cell(f);
            if v.is_empty() || v == "-" {
                return Ok(0);
            }
            let (fen, neg) = parse_signed_amount(v).map_err(|r| err(f, v, r))?;
            Ok(if neg { -fen } else { fen })
        };
        let (out, inn) = (side(StatementField::Debit)?, side(StatementField::Credit)?);
        match (out, inn) {
            (o, 0) if o > 0 => (o, Flow::Out),
            (0, i) if i > 0 => (i, Flow::In),
            (0, 0) if cols.has(StatementField::Amount) => signed_or_directed(&cell, cols, words)?,
            (0, 0) => return Err(err(StatementField::Debit, "", "neither money out nor money in")),
            _ => {
                let both = format!("{} / {}", cell(StatementField::Debit), cell(StatementField::Credit));
                return Err(err(StatementField::Debit, &both, "money out and in on one line"));
            }
        }
    } else {
        signed_or_directed(&cell, cols, words)?
    };
    if amount_fen <= 0 {
        return Err(err(StatementField::Amount, cell(StatementField::Amount), "zero amount"));
    }
    let balance_fen = match opt(StatementField::Balance).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => {
            let (fen, neg) = parse_signed_amount(v).map_err(|r| err(StatementField::Balance, v, r))?;
            Some(if neg { -fen } else { fen })
        }
    };
    let raw_cp = cell(StatementField::Counterparty);
    let counterparty = clean_account(raw_cp).map_err(|r| err(StatementField::Counterparty, raw_cp, r))?;
    let memo = cell(StatementField::Memo).to_string();
    let counterparty_name = cell(StatementField::CounterpartyName).to_string();
    let channel = channel_of(&memo, cell(StatementField::CashFlag), &counterparty_name, flow);
    Ok(StatementLine {
        account,
        account_name: cell(StatementField::AccountName).to_string(),
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
    })
}

/// Amount with a direction column, or a signed amount (negative: money out).
fn signed_or_directed<'c>(
    cell: &dyn Fn(StatementField) -> &'c str,
    cols: &FieldColumns,
    words: &DirectionWords,
) -> Result<(i64, Flow), LineError> {
    let v = cell(StatementField::Amount);
    let (fen, negative) = parse_signed_amount(v).map_err(|r| err(StatementField::Amount, v, r))?;
    if cols.has(StatementField::Direction) {
        let d = cell(StatementField::Direction);
        let flow = words.flow(d).ok_or_else(|| {
            err(
                StatementField::Direction,
                d,
                format!(
                    "not a direction this layout knows (out: {}; in: {})",
                    words.out.join("/"),
                    words.inn.join("/")
                ),
            )
        })?;
        return Ok((fen, flow));
    }
    Ok((fen, if negative { Flow::Out } else { Flow::In }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: Tz = crate::timefmt::DEFAULT_TZ;

    fn cols(fields: &[StatementField]) -> FieldColumns {
        FieldColumns { index: fields.iter().enumerate().map(|(i, f)| (*f, i)).collect() }
    }

    fn ts(s: &str) -> i64 {
        parse_ts(s, TZ).unwrap()
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
    }

    #[test]
    fn amounts_as_banks_write_them() {
        assert_eq!(parse_signed_amount("1,299.00").unwrap(), (129_900, false));
        assert_eq!(parse_signed_amount("¥1,299.00").unwrap(), (129_900, false));
        assert_eq!(parse_signed_amount("1299.00元").unwrap(), (129_900, false));
        assert_eq!(parse_signed_amount("-1,299.00").unwrap(), (129_900, true));
        assert_eq!(parse_signed_amount("(88.8)").unwrap(), (8_880, true));
        assert!(parse_signed_amount("12.345").is_err());
        assert!(parse_signed_amount("abc").is_err());
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
        ] {
            assert_eq!(line_time(dt, d, t, TZ).unwrap(), want, "{dt:?} {d:?} {t:?}");
        }
        // Excel serial: 2026-01-09 is day 46031; 08:03:05 is 28,985 s of 86,400.
        let serial = format!("{}", 46031.0 + 28_985.0 / 86_400.0);
        assert_eq!(line_time(Some(&serial), None, None, TZ).unwrap(), ts("2026-01-09 08:03:05"));
        assert_eq!(line_time(None, Some("46031"), Some("08:03:05"), TZ).unwrap(), want);
        assert!(line_time(Some("yesterday"), None, None, TZ).is_err());
        assert_eq!(line_time(None, Some(""), None, TZ).unwrap_err().field, "datetime");
    }

    #[test]
    fn directions_from_a_column_debit_credit_or_sign() {
        use StatementField as F;
        let w = DirectionWords::builtin();
        let c = cols(&[F::DateTime, F::Amount, F::Direction, F::Counterparty, F::Balance]);
        let l = parse_line(&["2026-01-09 08:03:05", "1,299.00", "借", "6217000011112222", "700.00"], &c, &w, "A1", TZ)
            .unwrap();
        assert_eq!((l.account.as_str(), l.amount_fen, l.flow, l.balance_fen), ("A1", 129_900, Flow::Out, Some(70_000)));
        let l = parse_line(&["2026-01-09 08:03:05", "5", "C", "X", ""], &c, &w, "A1", TZ).unwrap();
        assert_eq!((l.flow, l.balance_fen), (Flow::In, None));
        let e = parse_line(&["2026-01-09 08:03:05", "5", "?", "X", ""], &c, &w, "A1", TZ).unwrap_err();
        assert_eq!((e.field, e.value.as_str()), ("direction", "?"));

        let c = cols(&[F::Account, F::DateTime, F::Debit, F::Credit, F::Counterparty]);
        let l = parse_line(&["'6222", "2026-01-09 08:03:05", "", "88.00", "X"], &c, &w, "", TZ).unwrap();
        assert_eq!((l.account.as_str(), l.amount_fen, l.flow), ("6222", 8_800, Flow::In));
        let l = parse_line(&["6222", "2026-01-09 08:03:05", "88.00", "0.00", "X"], &c, &w, "", TZ).unwrap();
        assert_eq!(l.flow, Flow::Out);
        assert_eq!(
            parse_line(&["6222", "2026-01-09 08:03:05", "1", "2", "X"], &c, &w, "", TZ).unwrap_err().field,
            "debit"
        );

        let c = cols(&[F::DateTime, F::Amount, F::Counterparty]);
        assert_eq!(parse_line(&["2026-01-09 08:03:05", "-20.00", "X"], &c, &w, "A", TZ).unwrap().flow, Flow::Out);
        assert_eq!(parse_line(&["2026-01-09 08:03:05", "20.00", "X"], &c, &w, "A", TZ).unwrap().flow, Flow::In);
        assert_eq!(parse_line(&["2026-01-09 08:03:05", "0.00", "X"], &c, &w, "A", TZ).unwrap_err().field, "amount");
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
