//! Bank statements of a world's accounts, written the way banks write them (调单 replies): each account's
//! lines in its bank's own layout, with balances, title lines, 合计 lines, several encodings and Excel, each
//! bank's clock a few seconds off, and optionally broken lines and missing lines. Works on any world in the
//! input format (`transfers.csv`, `accounts.csv`, `truth/opening_balances.csv`), not only generated ones.
//!
//! The statements go to `OUT/statements/`; beside them, `OUT/manifest.csv` says for every line written which transfer of the world it is, so
//! tests can check an import against the truth: `file, sheet, row, account, txn_id, flow, broken`, and one
//! line per deliberately dropped line (`broken = dropped`, no row).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::GenError;

/// What to write.
#[derive(Clone, Debug)]
pub struct StatementConfig {
    /// Accounts whose statements are written.
    pub accounts: Vec<String>,
    pub seed: u64,
    /// Share of lines written broken (an amount no one can read, or an account number Excel mangled).
    pub broken_rate: f64,
    /// Share of lines left out (a missing page): the balance check must find the break.
    pub drop_rate: f64,
    /// Only lines from this time on (epoch ms; the world's local time), to write a statement "as of now".
    pub until_ms: Option<i64>,
}

/// What was written.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct StatementsWritten {
    pub files: usize,
    pub lines: usize,
    pub broken: usize,
    pub dropped: usize,
    /// Files per layout.
    pub layouts: BTreeMap<String, usize>,
}

#[derive(Clone, Debug)]
struct WorldTransfer {
    txn_id: String,
    ts_ms: i64,
    src: String,
    dst: String,
    fen: i64,
    channel: String,
    src_name: String,
    dst_name: String,
    src_bank: String,
    dst_bank: String,
}

#[derive(Clone, Debug, Default)]
struct WorldAccount {
    name: String,
    bank: String,
    kind: String,
}

/// The layouts written: each a different habit of a real bank's export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// GB18030 CSV, title lines, one date-time column, 借/贷, thousands separators, serials, 合计 line.
    Icbc,
    /// UTF-8 with BOM, split date (20260109) and time (100507) columns, debit and credit columns, the
    /// account only in a title line, counterparty guarded by an apostrophe.
    Ccb,
    /// Tab-separated UTF-8, the card in every row, `2026/1/9 10:05:07`, 收/付, `¥3,000.00`.
    Cmb,
    /// Excel workbook: title rows, a date cell (Excel serial) and a time text column, D/C, serial numbers.
    Abc,
    /// UTF-8 CSV, newest first, 14-digit times, signed amounts (negative out).
    Boc,
}

impl Style {
    fn name(self) -> &'static str {
        match self {
            Style::Icbc => "icbc-gb18030-csv",
            Style::Ccb => "ccb-bom-csv-split-time",
            Style::Cmb => "cmb-tsv-signed-words",
            Style::Abc => "abc-xlsx",
            Style::Boc => "boc-csv-newest-first",
        }
    }

    fn of_bank(bank: &str) -> Style {
        match bank {
            "ICBC" => Style::Icbc,
            "CCB" => Style::Ccb,
            "CMB" => Style::Cmb,
            "ABC" => Style::Abc,
            "BOC" => Style::Boc,
            other => {
                let h = other.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
                [Style::Icbc, Style::Ccb, Style::Cmb, Style::Abc, Style::Boc][(h % 5) as usize]
            }
        }
    }

    /// How far this bank's clock is off, in seconds (within ±5, so two banks differ by at most 10 s).
    fn clock_offset_s(bank: &str) -> i64 {
        let h = bank.bytes().fold(17u32, |h, b| h.wrapping_mul(131).wrapping_add(u32::from(b)));
        i64::from(h % 11) - 5
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> GenError + '_ {
    move |source| GenError::Io { path: path.into(), source }
}

/// A world as the statement writer reads it: transfers, accounts, opening balances.
type World = (Vec<WorldTransfer>, BTreeMap<String, WorldAccount>, BTreeMap<String, i64>);

fn read_world(world: &Path) -> Result<World, GenError> {
    let tz = crate::timefmt::DEFAULT_TZ;
    let path = world.join("transfers.csv");
    let csv_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| GenError::Csv { path: p, source }
    };
    let mut rdr = csv::Reader::from_path(&path).map_err(csv_err(&path))?;
    let mut transfers = Vec::new();
    for rec in rdr.records() {
        let r = rec.map_err(csv_err(&path))?;
        let get = |i: usize| r.get(i).unwrap_or("").to_string();
        let ts = r.get(1).unwrap_or("");
        let ts_ms = crate::timefmt::parse_ts(ts, tz)
            .map_err(|e| GenError::InvalidConfig(format!("{}: {ts}: {e}", path.display())))?;
        let fen = crate::money::parse_yuan(&get(4))
            .map_err(|e| GenError::InvalidConfig(format!("{}: {e}", path.display())))?;
        transfers.push(WorldTransfer {
            txn_id: get(0),
            ts_ms,
            src: get(2),
            dst: get(3),
            fen,
            channel: get(5),
            src_name: get(7),
            dst_name: get(8),
            src_bank: get(9),
            dst_bank: get(10),
        });
    }
    let path = world.join("accounts.csv");
    let mut accounts = BTreeMap::new();
    if path.exists() {
        let mut rdr = csv::Reader::from_path(&path).map_err(csv_err(&path))?;
        for rec in rdr.records() {
            let r = rec.map_err(csv_err(&path))?;
            accounts.insert(
                r.get(0).unwrap_or("").to_string(),
                WorldAccount {
                    name: r.get(2).unwrap_or("").to_string(),
                    bank: r.get(5).unwrap_or("").to_string(),
                    kind: r.get(8).unwrap_or("").to_string(),
                },
            );
        }
    }
    let path = world.join("truth/opening_balances.csv");
    let mut opening = BTreeMap::new();
    if path.exists() {
        let mut rdr = csv::Reader::from_path(&path).map_err(csv_err(&path))?;
        for rec in rdr.records() {
            let r = rec.map_err(csv_err(&path))?;
            let fen = crate::money::parse_yuan(r.get(1).unwrap_or("")).unwrap_or(0);
            opening.insert(r.get(0).unwrap_or("").to_string(), fen);
        }
    }
    Ok((transfers, accounts, opening))
}

/// One line of an account's statement, before it is written in a layout.
struct Line<'a> {
    t: &'a WorldTransfer,
    out: bool,
    balance_fen: i64,
    /// The bank's time of the line (the world's time plus the bank's clock offset).
    ts_ms: i64,
    broken: Option<&'static str>,
}

fn yuan(fen: i64) -> String {
    crate::money::Fen(fen).to_string()
}

fn thousands(fen: i64) -> String {
    let s = yuan(fen.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if fen < 0 { "-" } else { "" })
}

fn local(ms: i64, fmt: &str) -> String {
    use chrono::TimeZone;
    crate::timefmt::DEFAULT_TZ.timestamp_millis_opt(ms).single().map(|t| t.format(fmt).to_string()).unwrap_or_default()
}

/// What a statement says about a line's counterparty and channel: (counterparty account, name, bank, memo,
/// cash flag). Cash withdrawals name no counterparty account.
fn counterparty<'a>(
    l: &Line<'a>,
    accounts: &BTreeMap<String, WorldAccount>,
) -> (String, String, String, &'static str, &'static str) {
    let t = l.t;
    let (other, other_name, other_bank) =
        if l.out { (&t.dst, &t.dst_name, &t.dst_bank) } else { (&t.src, &t.src_name, &t.src_bank) };
    let kind = accounts.get(other).map_or("", |a| a.kind.as_str());
    match t.channel.as_str() {
        "atm_withdrawal" => (String::new(), String::new(), String::new(), "ATM取款", "现金"),
        _ if kind == "atm" => {
            (String::new(), String::new(), String::new(), if l.out { "ATM取款" } else { "现金存入" }, "现金")
        }
        "pos" => (other.clone(), other_name.clone(), other_bank.clone(), "消费", "转账"),
        "salary" => (other.clone(), other_name.clone(), other_bank.clone(), "代发工资", "转账"),
        "third_party" => (other.clone(), other_name.clone(), other_bank.clone(), "快捷支付", "转账"),
        _ => (other.clone(), other_name.clone(), other_bank.clone(), "网银转账", "转账"),
    }
}

/// Writes the statements of `config.accounts` from the world in `world` into `out`.
pub fn write_statements(world: &Path, out: &Path, config: &StatementConfig) -> Result<StatementsWritten, GenError> {
    let (transfers, accounts, opening) = read_world(world)?;
    let statements_dir = out.join("statements");
    std::fs::create_dir_all(&statements_dir).map_err(io(&statements_dir))?;
    let wanted: BTreeSet<&str> = config.accounts.iter().map(String::as_str).collect();
    let mut lines_of: BTreeMap<&str, Vec<(&WorldTransfer, bool)>> = BTreeMap::new();
    for t in &transfers {
        if config.until_ms.is_some_and(|u| t.ts_ms > u) {
            continue;
        }
        if wanted.contains(t.src.as_str()) {
            lines_of.entry(t.src.as_str()).or_default().push((t, true));
        }
        if wanted.contains(t.dst.as_str()) && t.dst != t.src {
            lines_of.entry(t.dst.as_str()).or_default().push((t, false));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let manifest_path = out.join("manifest.csv");
    let mut manifest = csv::Writer::from_path(&manifest_path)
        .map_err(|source| GenError::Csv { path: manifest_path.clone(), source })?;
    let mcsv = |p: &Path| {
        let p = p.to_path_buf();
        move |source| GenError::Csv { path: p, source }
    };
    manifest
        .write_record(["file", "sheet", "row", "account", "txn_id", "flow", "broken"])
        .map_err(mcsv(&manifest_path))?;
    let mut written = StatementsWritten::default();
    for account in &config.accounts {
        let info = accounts.get(account).cloned().unwrap_or_default();
        let style = Style::of_bank(&info.bank);
        let offset_ms = Style::clock_offset_s(&info.bank) * 1000;
        let mut balance = opening.get(account).copied().unwrap_or(0);
        let mut lines: Vec<Line<'_>> = Vec::new();
        // The manifest lists an account's lines in time order, dropped ones in their place.
        let mut order: Vec<Result<usize, (&WorldTransfer, bool)>> = Vec::new();
        for &(t, out_) in lines_of.get(account.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
            balance += if out_ { -t.fen } else { t.fen };
            let roll: f64 = rng.random();
            if roll < config.drop_rate {
                order.push(Err((t, out_)));
                written.dropped += 1;
                continue;
            }
            order.push(Ok(lines.len()));
            let broken = if roll < config.drop_rate + config.broken_rate {
                Some(if rng.random_bool(0.5) { "amount" } else { "account" })
            } else {
                None
            };
            lines.push(Line { t, out: out_, balance_fen: balance, ts_ms: t.ts_ms + offset_ms, broken });
        }
        let stem = format!("{}-{}", sanitise(account), style.name());
        let (file, rows) = match style {
            Style::Abc => {
                let path = statements_dir.join(format!("{stem}.xlsx"));
                let rows = write_xlsx(&path, account, &info, &lines, &accounts)?;
                (path, rows)
            }
            _ => {
                let path = statements_dir.join(format!("{stem}.{}", if style == Style::Cmb { "tsv" } else { "csv" }));
                let rows = write_text(&path, style, account, &info, &mut lines, &accounts)?;
                (path, rows)
            }
        };
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let sheet = if style == Style::Abc {
            "明细".to_string()
        } else {
            file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
        };
        for entry in &order {
            match *entry {
                Ok(i) => {
                    let l = &lines[i];
                    manifest
                        .write_record([
                            name.as_str(),
                            sheet.as_str(),
                            &rows[i].to_string(),
                            account,
                            &l.t.txn_id,
                            if l.out { "out" } else { "in" },
                            l.broken.unwrap_or(""),
                        ])
                        .map_err(mcsv(&manifest_path))?;
                    if l.broken.is_some() {
                        written.broken += 1;
                    }
                }
                Err((t, out_)) => manifest
                    .write_record(["", "", "", account, &t.txn_id, if out_ { "out" } else { "in" }, "dropped"])
                    .map_err(mcsv(&manifest_path))?,
            }
        }
        written.lines += lines.len();
        written.files += 1;
        *written.layouts.entry(style.name().to_string()).or_default() += 1;
    }
    manifest.flush().map_err(io(&manifest_path))?;
    Ok(written)
}

fn sanitise(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// The account number as a broken line writes it: what Excel shows for a number it mangled.
fn mangled(account: &str) -> String {
    let digits: String = account.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 2 {
        return "6.22E+18".into();
    }
    format!("{}.{}E+{}", &digits[..1], &digits[1..digits.len().min(6)], digits.len() - 1)
}

/// Writes a text statement; returns each line's row number (1-based, as the reader counts rows), in the
/// order of `lines` (which may be reversed for a newest-first bank).
fn write_text(
    path: &Path,
    style: Style,
    account: &str,
    info: &WorldAccount,
    lines: &mut [Line<'_>],
    accounts: &BTreeMap<String, WorldAccount>,
) -> Result<Vec<u32>, GenError> {
    let delimiter = if style == Style::Cmb { b'\t' } else { b',' };
    let mut w = csv::WriterBuilder::new().delimiter(delimiter).flexible(true).from_writer(Vec::new());
    let mut row = 0u32;
    let mut rec = |w: &mut csv::Writer<Vec<u8>>, cells: Vec<String>| -> Result<u32, GenError> {
        w.write_record(&cells).map_err(|source| GenError::Csv { path: path.into(), source })?;
        row += 1;
        Ok(row)
    };
    let period = |lines: &[Line<'_>]| {
        let first = lines.iter().map(|l| l.ts_ms).min().unwrap_or(0);
        let last = lines.iter().map(|l| l.ts_ms).max().unwrap_or(0);
        format!("查询期间：{} 至 {}", local(first, "%Y-%m-%d"), local(last, "%Y-%m-%d"))
    };
    let mut rows = Vec::with_capacity(lines.len());
    match style {
        Style::Icbc => {
            rec(&mut w, vec![format!("{} 账户交易明细", bank_name(&info.bank))])?;
            rec(&mut w, vec![format!("查询账号：{account} 户名：{}", info.name)])?;
            rec(&mut w, vec![period(lines)])?;
            rec(
                &mut w,
                [
                    "交易时间",
                    "交易金额(元)",
                    "借贷标志",
                    "交易余额",
                    "对手账号",
                    "对手户名",
                    "对手开户银行",
                    "摘要",
                    "现金标志",
                    "交易流水号",
                ]
                .map(String::from)
                .to_vec(),
            )?;
            let (mut out_total, mut in_total) = (0i64, 0i64);
            for (i, l) in lines.iter().enumerate() {
                let (cp, cp_name, cp_bank, memo, cash) = counterparty(l, accounts);
                if l.out {
                    out_total += l.t.fen
                } else {
                    in_total += l.t.fen
                }
                let amount = if l.broken == Some("amount") { "1,2x9.00".into() } else { thousands(l.t.fen) };
                let cp = if l.broken == Some("account") {
                    mangled(&cp)
                } else if cp.is_empty() {
                    cp
                } else {
                    format!("\t{cp}")
                };
                rows.push(rec(
                    &mut w,
                    vec![
                        local(l.ts_ms, "%Y-%m-%d %H:%M:%S"),
                        amount,
                        if l.out { "借" } else { "贷" }.into(),
                        thousands(l.balance_fen),
                        cp,
                        cp_name,
                        cp_bank,
                        memo.into(),
                        cash.into(),
                        format!("{}{:08}", bank_code(&info.bank), i + 1),
                    ],
                )?);
            }
            rec(
                &mut w,
                vec!["合计".into(), format!("借方 {}", thousands(out_total)), format!("贷方 {}", thousands(in_total))],
            )?;
        }
        Style::Ccb => {
            rec(&mut w, vec![format!("{}个人活期账户明细", bank_name(&info.bank))])?;
            rec(&mut w, vec![format!("账号：{account}"), format!("户名：{}", info.name)])?;
            rec(
                &mut w,
                [
                    "交易日期",
                    "交易时间",
                    "摘要",
                    "借方发生额",
                    "贷方发生额",
                    "余额",
                    "对方账号",
                    "对方户名",
                    "对方开户行",
                    "流水号",
                ]
                .map(String::from)
                .to_vec(),
            )?;
            for (i, l) in lines.iter().enumerate() {
                let (cp, cp_name, cp_bank, memo, _) = counterparty(l, accounts);
                let amount = if l.broken == Some("amount") { "12.3.4".into() } else { yuan(l.t.fen) };
                let cp = if l.broken == Some("account") {
                    mangled(&cp)
                } else if cp.is_empty() {
                    cp
                } else {
                    format!("'{cp}")
                };
                rows.push(rec(
                    &mut w,
                    vec![
                        local(l.ts_ms, "%Y%m%d"),
                        local(l.ts_ms, "%H%M%S"),
                        memo.into(),
                        if l.out { amount.clone() } else { String::new() },
                        if l.out { String::new() } else { amount },
                        yuan(l.balance_fen),
                        cp,
                        cp_name,
                        cp_bank,
                        format!("CCB{:010}", i + 1),
                    ],
                )?);
            }
            rec(&mut w, vec![String::new()])?;
            rec(&mut w, vec!["总计".into(), format!("{} 笔", lines.len())])?;
        }
        Style::Cmb => {
            rec(
                &mut w,
                ["卡号", "交易日期时间", "交易金额", "收付标志", "账户余额", "交易对手账卡号", "对方名称", "用途"]
                    .map(String::from)
                    .to_vec(),
            )?;
            for l in lines.iter() {
                let (cp, cp_name, _, memo, _) = counterparty(l, accounts);
                let amount =
                    if l.broken == Some("amount") { "¥3,0,00.00".into() } else { format!("¥{}", thousands(l.t.fen)) };
                let cp = if l.broken == Some("account") { mangled(&cp) } else { cp };
                rows.push(rec(
                    &mut w,
                    vec![
                        account.to_string(),
                        local(l.ts_ms, "%Y/%-m/%-d %-H:%M:%S"),
                        amount,
                        if l.out { "付" } else { "收" }.into(),
                        yuan(l.balance_fen),
                        cp,
                        cp_name,
                        memo.into(),
                    ],
                )?);
            }
        }
        Style::Boc => {
            rec(
                &mut w,
                ["本方账号", "交易时间", "交易金额", "账户余额", "对方账号", "对方户名", "交易摘要", "交易序号"]
                    .map(String::from)
                    .to_vec(),
            )?;
            // Newest first: the rows go out in reverse, each keeps its own row number.
            let n = lines.len();
            let mut order: Vec<u32> = vec![0; n];
            for (k, l) in lines.iter().enumerate().rev() {
                let (cp, cp_name, _, memo, _) = counterparty(l, accounts);
                let signed = if l.out { -l.t.fen } else { l.t.fen };
                let amount = if l.broken == Some("amount") { "--5".into() } else { yuan(signed.abs()) };
                let amount = if l.broken.is_none() && l.out { format!("-{amount}") } else { amount };
                let cp = if l.broken == Some("account") { mangled(&cp) } else { cp };
                order[k] = rec(
                    &mut w,
                    vec![
                        account.to_string(),
                        local(l.ts_ms, "%Y%m%d%H%M%S"),
                        amount,
                        yuan(l.balance_fen),
                        cp,
                        cp_name,
                        memo.into(),
                        format!("{}", 900_000 + k),
                    ],
                )?;
            }
            rows = order;
        }
        Style::Abc => unreachable!("written as a workbook"),
    }
    let bytes = w.into_inner().map_err(|e| GenError::Io { path: path.into(), source: e.into_error() })?;
    let bytes = match style {
        Style::Icbc => encoding_rs::GB18030.encode(&String::from_utf8_lossy(&bytes)).0.into_owned(),
        Style::Ccb => [&[0xEF, 0xBB, 0xBF][..], &bytes].concat(),
        _ => bytes,
    };
    std::fs::write(path, bytes).map_err(io(path))?;
    Ok(rows)
}

fn bank_name(code: &str) -> &'static str {
    match code {
        "ICBC" => "中国工商银行",
        "CCB" => "中国建设银行",
        "ABC" => "中国农业银行",
        "BOC" => "中国银行",
        "CMB" => "招商银行",
        "BOCOM" => "交通银行",
        "PSBC" => "中国邮政储蓄银行",
        _ => "商业银行",
    }
}

fn bank_code(code: &str) -> String {
    if code.is_empty() {
        "B".into()
    } else {
        code.chars().take(4).collect()
    }
}

/// The Excel layout: title rows, the date as a date cell, D/C, voucher numbers.
fn write_xlsx(
    path: &Path,
    account: &str,
    info: &WorldAccount,
    lines: &[Line<'_>],
    accounts: &BTreeMap<String, WorldAccount>,
) -> Result<Vec<u32>, GenError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let xerr = |e: rust_xlsxwriter::XlsxError| GenError::Io {
        path: path.into(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut wb = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = wb.add_worksheet();
    sheet.set_name("明细").map_err(xerr)?;
    sheet.write_string(0, 0, format!("{} 活期账户交易明细", bank_name(&info.bank))).map_err(xerr)?;
    sheet.write_string(1, 0, "查询账号：").map_err(xerr)?;
    sheet.write_string(1, 1, account).map_err(xerr)?;
    sheet.write_string(1, 2, format!("户名：{}", info.name)).map_err(xerr)?;
    let header = ["交易日期", "交易时间", "借贷方向", "交易金额", "余额", "对方账号", "对方户名", "摘要", "凭证号"];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(3, c as u16, *h).map_err(xerr)?;
    }
    let mut rows = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let r = 4 + i as u32;
        let (cp, cp_name, _, memo, _) = counterparty(l, accounts);
        let day = local(l.ts_ms, "%Y-%m-%d");
        let d = ExcelDateTime::parse_from_str(&day).map_err(xerr)?;
        sheet.write_datetime_with_format(r, 0, &d, &date_format).map_err(xerr)?;
        sheet.write_string(r, 1, local(l.ts_ms, "%H:%M:%S")).map_err(xerr)?;
        sheet.write_string(r, 2, if l.out { "D" } else { "C" }).map_err(xerr)?;
        if l.broken == Some("amount") {
            sheet.write_string(r, 3, "壹仟元整").map_err(xerr)?;
        } else {
            sheet.write_number(r, 3, l.t.fen as f64 / 100.0).map_err(xerr)?;
        }
        sheet.write_number(r, 4, l.balance_fen as f64 / 100.0).map_err(xerr)?;
        if l.broken == Some("account") {
            // What Excel does to a card number typed as a number: a float that lost its last digits.
            let v: f64 = cp.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(6.2e18);
            sheet.write_number(r, 5, v.max(1e16)).map_err(xerr)?;
        } else {
            sheet.write_string(r, 5, &cp).map_err(xerr)?;
        }
        sheet.write_string(r, 6, &cp_name).map_err(xerr)?;
        sheet.write_string(r, 7, memo).map_err(xerr)?;
        sheet.write_string(r, 8, format!("V{:07}", i + 1)).map_err(xerr)?;
        rows.push(r + 1);
    }
    let total = 4 + lines.len() as u32;
    sheet.write_string(total, 0, "合计").map_err(xerr)?;
    wb.save(path).map_err(xerr)?;
    Ok(rows)
}

/// The accounts a case's money reached within `levels` hops in the world's truth (`case_flows.csv`), the
/// victim's first: the statements an investigator requests level by level.
pub fn case_accounts(world: &Path, case_id: &str, levels: u32) -> Result<Vec<Vec<String>>, GenError> {
    let path = world.join("truth/cases.csv");
    let mut rdr = csv::Reader::from_path(&path).map_err(|source| GenError::Csv { path: path.clone(), source })?;
    let mut victim = None;
    for rec in rdr.records() {
        let r = rec.map_err(|source| GenError::Csv { path: path.clone(), source })?;
        if r.get(0) == Some(case_id) {
            victim = r.get(1).map(str::to_string);
        }
    }
    let victim = victim.ok_or_else(|| GenError::InvalidConfig(format!("no case {case_id} in {}", path.display())))?;
    let path = world.join("truth/case_flows.csv");
    let mut rdr = csv::Reader::from_path(&path).map_err(|source| GenError::Csv { path: path.clone(), source })?;
    let mut txns: BTreeSet<String> = BTreeSet::new();
    for rec in rdr.records() {
        let r = rec.map_err(|source| GenError::Csv { path: path.clone(), source })?;
        if r.get(1) == Some(case_id) {
            txns.insert(r.get(0).unwrap_or("").to_string());
        }
    }
    let (transfers, _, _) = read_world(world)?;
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in transfers.iter().filter(|t| txns.contains(&t.txn_id)) {
        edges.entry(t.src.clone()).or_default().insert(t.dst.clone());
    }
    let mut levels_out = vec![vec![victim.clone()]];
    let mut seen: BTreeSet<String> = BTreeSet::from([victim]);
    for _ in 0..levels {
        let mut next = Vec::new();
        for a in levels_out.last().map(Vec::as_slice).unwrap_or(&[]) {
            for b in edges.get(a).into_iter().flatten() {
                if seen.insert(b.clone()) {
                    next.push(b.clone());
                }
            }
        }
        if next.is_empty() {
            break;
        }
        levels_out.push(next);
    }
    Ok(levels_out)
}

/// Paths of the statement files written by [`write_statements`] into `out`.
pub fn statement_files(out: &Path) -> Result<Vec<PathBuf>, GenError> {
    let dir = out.join("statements");
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(&dir).map_err(io(&dir))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    out.sort();
    Ok(out)
}
