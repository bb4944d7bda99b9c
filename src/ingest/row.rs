//! Turning one input row into a [`Transfer`] or account record, or a reason it was rejected.
//!
//! Depends only on `money`, `timefmt` and `model` so the fuzz target can compile it on its own.

use chrono_tz::Tz;

use crate::model::{AccountAttrs, AccountKind, Channel, Transfer, DEFAULT_CURRENCY};
use crate::money::parse_positive_yuan;
use crate::timefmt::{parse_date_days, parse_ts};

/// The columns of a transfers file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransferField {
    TxnId,
    Ts,
    Src,
    Dst,
    Amount,
    Channel,
    Currency,
    SrcName,
    DstName,
    SrcBank,
    DstBank,
    Memo,
}

impl TransferField {
    pub const ALL: [TransferField; 12] = [
        TransferField::TxnId,
        TransferField::Ts,
        TransferField::Src,
        TransferField::Dst,
        TransferField::Amount,
        TransferField::Channel,
        TransferField::Currency,
        TransferField::SrcName,
        TransferField::DstName,
        TransferField::SrcBank,
        TransferField::DstBank,
        TransferField::Memo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TransferField::TxnId => "txn_id",
            TransferField::Ts => "ts",
            TransferField::Src => "src",
            TransferField::Dst => "dst",
            TransferField::Amount => "amount",
            TransferField::Channel => "channel",
            TransferField::Currency => "currency",
            TransferField::SrcName => "src_name",
            TransferField::DstName => "dst_name",
            TransferField::SrcBank => "src_bank",
            TransferField::DstBank => "dst_bank",
            TransferField::Memo => "memo",
        }
    }

    pub fn required(self) -> bool {
        matches!(
            self,
            TransferField::TxnId | TransferField::Ts | TransferField::Src | TransferField::Dst | TransferField::Amount
        )
    }
}

/// The columns of an accounts file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountField {
    AccountId,
    HolderId,
    HolderName,
    Phone,
    DeviceId,
    Bank,
    Branch,
    OpenedAt,
    Kind,
}

impl AccountField {
    pub const ALL: [AccountField; 9] = [
        AccountField::AccountId,
        AccountField::HolderId,
        AccountField::HolderName,
        AccountField::Phone,
        AccountField::DeviceId,
        AccountField::Bank,
        AccountField::Branch,
        AccountField::OpenedAt,
        AccountField::Kind,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AccountField::AccountId => "account_id",
            AccountField::HolderId => "holder_id",
            AccountField::HolderName => "holder_name",
            AccountField::Phone => "phone",
            AccountField::DeviceId => "device_id",
            AccountField::Bank => "bank",
            AccountField::Branch => "branch",
            AccountField::OpenedAt => "opened_at",
            AccountField::Kind => "kind",
        }
    }

    pub fn required(self) -> bool {
        matches!(self, AccountField::AccountId)
    }
}

/// Where each field sits in a row: `cols[field as usize] = Some(column index)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Columns<const N: usize> {
    pub index: [Option<usize>; N],
    /// How many columns a row must have.
    pub width: usize,
    /// A `_reject_reason` column: converters (e.g. NDJSON uploads) put there why a line could not be turned
    /// into a row, so the line is rejected with that reason instead of being lost.
    pub reject_reason: Option<usize>,
    /// A `_source_line` column: converters put there the line of their own input a row came from, so
    /// rejects name the line the sender can find (an NDJSON upload's line, not the converted CSV's).
    pub source_line: Option<usize>,
}

/// Name of the column converters use to pass a line's rejection on.
pub const REJECT_REASON_COLUMN: &str = "_reject_reason";
/// Name of the column converters use to pass a row's line in their own input on.
pub const SOURCE_LINE_COLUMN: &str = "_source_line";

impl<const N: usize> Default for Columns<N> {
    fn default() -> Self {
        Columns { index: [None; N], width: 0, reject_reason: None, source_line: None }
    }
}

impl<const N: usize> Columns<N> {
    /// The line to report for a row: the converter's source line when there is one, else the CSV's.
    pub fn line_of(&self, row: &(impl RowCells + ?Sized), csv_line: u64) -> u64 {
        self.source_line
            .and_then(|c| row.cell(c))
            .and_then(|b| std::str::from_utf8(b).ok()?.parse().ok())
            .unwrap_or(csv_line)
    }
}

pub type TransferColumns = Columns<12>;
pub type AccountColumns = Columns<9>;

/// A row's cells, by column index. `None`: no such column, or a null cell.
pub trait RowCells {
    fn cell(&self, column: usize) -> Option<&[u8]>;
    fn width(&self) -> usize;
}

impl RowCells for csv::ByteRecord {
    fn cell(&self, column: usize) -> Option<&[u8]> {
        self.get(column)
    }
    fn width(&self) -> usize {
        self.len()
    }
}

impl RowCells for [&[u8]] {
    fn cell(&self, column: usize) -> Option<&[u8]> {
        self.get(column).copied()
    }
    fn width(&self) -> usize {
        self.len()
    }
}

/// Why a row was rejected: which field, what value, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The field (our name, e.g. `amount`), or empty when the row as a whole is wrong.
    pub field: &'static str,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "field {} = {:?}: {}", self.field, self.value, self.reason)
        }
    }
}

const MAX_VALUE_IN_ERROR: usize = 80;

fn shown(value: &[u8]) -> String {
    let s = String::from_utf8_lossy(value);
    if s.chars().count() > MAX_VALUE_IN_ERROR {
        s.chars().take(MAX_VALUE_IN_ERROR).collect::<String>() + "…"
    } else {
        s.into_owned()
    }
}

fn err(field: &'static str, value: &[u8], reason: impl Into<String>) -> RowError {
    RowError { field, value: shown(value), reason: reason.into() }
}

/// Longest text field accepted; longer values are rejected, not truncated.
pub const MAX_FIELD_BYTES: usize = 4096;

fn text<'a, const N: usize>(
    row: &'a (impl RowCells + ?Sized),
    cols: &Columns<N>,
    slot: usize,
    name: &'static str,
) -> Result<&'a str, RowError> {
    let Some(col) = cols.index[slot] else { return Ok("") };
    let raw = row.cell(col).unwrap_or(b"");
    let s = std::str::from_utf8(raw).map_err(|_| {
        err(name, raw, "invalid UTF-8 (if the file is GB18030/GBK, convert it first: iconv -f GB18030 -t UTF-8)")
    })?;
    if raw.len() > MAX_FIELD_BYTES {
        return Err(err(name, raw, format!("longer than {MAX_FIELD_BYTES} bytes")));
    }
    if raw.contains(&0) {
        return Err(err(name, raw, "contains a NUL character"));
    }
    Ok(s.trim())
}

fn check_width<const N: usize>(row: &(impl RowCells + ?Sized), cols: &Columns<N>) -> Result<(), RowError> {
    if let Some(reason) = cols.reject_reason.and_then(|c| row.cell(c)).filter(|r| !r.is_empty()) {
        return Err(RowError { field: "", value: String::new(), reason: String::from_utf8_lossy(reason).into_owned() });
    }
    if row.width() != cols.width {
        return Err(RowError {
            field: "",
            value: String::new(),
            reason: format!("expected {} columns, found {}", cols.width, row.width()),
        });
    }
    Ok(())
}

/// Parses a transfers row. `tz` applies to times without an offset.
pub fn parse_transfer(row: &(impl RowCells + ?Sized), cols: &TransferColumns, tz: Tz) -> Result<Transfer, RowError> {
    check_width(row, cols)?;
    let f = |field: TransferField| text(row, cols, field as usize, field.name());
    let required = |field: TransferField| -> Result<&str, RowError> {
        let v = f(field)?;
        if v.is_empty() {
            return Err(err(field.name(), b"", "empty (required)"));
        }
        Ok(v)
    };
    let txn_id = required(TransferField::TxnId)?;
    let ts_raw = required(TransferField::Ts)?;
    let ts_ms = parse_ts(ts_raw, tz).map_err(|e| err("ts", ts_raw.as_bytes(), e.to_string()))?;
    let src = required(TransferField::Src)?;
    let dst = required(TransferField::Dst)?;
    let amount_raw = required(TransferField::Amount)?;
    let amount_fen =
        parse_positive_yuan(amount_raw).map_err(|e| err("amount", amount_raw.as_bytes(), e.to_string()))?;
    let currency = f(TransferField::Currency)?;
    Ok(Transfer {
        txn_id: txn_id.to_string(),
        ts_ms,
        src: src.to_string(),
        dst: dst.to_string(),
        amount_fen,
        channel: Channel::parse(f(TransferField::Channel)?),
        currency: if currency.is_empty() { DEFAULT_CURRENCY.to_string() } else { currency.to_ascii_uppercase() },
        src_name: f(TransferField::SrcName)?.to_string(),
        dst_name: f(TransferField::DstName)?.to_string(),
        src_bank: f(TransferField::SrcBank)?.to_string(),
        dst_bank: f(TransferField::DstBank)?.to_string(),
        memo: f(TransferField::Memo)?.to_string(),
    })
}

/// Parses an accounts row into (external account id, attributes).
pub fn parse_account(
    row: &(impl RowCells + ?Sized),
    cols: &AccountColumns,
) -> Result<(String, AccountAttrs), RowError> {
    check_width(row, cols)?;
    let f = |field: AccountField| text(row, cols, field as usize, field.name());
    let id = f(AccountField::AccountId)?;
    if id.is_empty() {
        return Err(err("account_id", b"", "empty (required)"));
    }
    let opened = f(AccountField::OpenedAt)?;
    let opened_at_days = if opened.is_empty() {
        None
    } else {
        Some(parse_date_days(opened).map_err(|e| err("opened_at", opened.as_bytes(), e.to_string()))?)
    };
    Ok((
        id.to_string(),
        AccountAttrs {
            holder_id: f(AccountField::HolderId)?.to_string(),
            holder_name: f(AccountField::HolderName)?.to_string(),
            phone: f(AccountField::Phone)?.to_string(),
            device_id: f(AccountField::DeviceId)?.to_string(),
            bank: f(AccountField::Bank)?.to_string(),
            branch: f(AccountField::Branch)?.to_string(),
            opened_at_days,
            kind: AccountKind::parse(f(AccountField::Kind)?),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::DEFAULT_TZ;

    fn cols() -> TransferColumns {
        let mut c = TransferColumns { width: 6, ..Default::default() };
        for (i, f) in [
            TransferField::TxnId,
            TransferField::Ts,
            TransferField::Src,
            TransferField::Dst,
            TransferField::Amount,
            TransferField::Channel,
        ]
        .into_iter()
        .enumerate()
        {
            c.index[f as usize] = Some(i);
        }
        c
    }

    fn row(cells: &[&str]) -> Vec<Vec<u8>> {
        cells.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn parse(cells: &[&str]) -> Result<Transfer, RowError> {
        let owned = row(cells);
        let refs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        parse_transfer(refs.as_slice(), &cols(), DEFAULT_TZ)
    }

    #[test]
    fn a_good_row() {
        let t = parse(&["T1", "2026-01-05 10:00:00", "A", " B ", "¥1,299.00", "atm_withdrawal"]).unwrap();
        assert_eq!(t.txn_id, "T1");
        assert_eq!(t.ts_ms, 1_767_578_400_000);
        assert_eq!(t.dst, "B");
        assert_eq!(t.amount_fen, 129_900);
        assert_eq!(t.channel, Channel::AtmWithdrawal);
        assert_eq!(t.currency, "CNY");
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(&[&str], &str); 7] = [
            (&["T1", "not a time", "A", "B", "1", ""], "ts"),
            (&["T1", "2026-01-05 10:00:00", "", "B", "1", ""], "src"),
            (&["T1", "2026-01-05 10:00:00", "A", "B", "0", ""], "amount"),
            (&["T1", "2026-01-05 10:00:00", "A", "B", "-3", ""], "amount"),
            (&["T1", "2026-01-05 10:00:00", "A", "B", "1.005", ""], "amount"),
            (&["", "2026-01-05 10:00:00", "A", "B", "1", ""], "txn_id"),
            (&["T1", "2026-01-05 10:00:00", "A", "B", "1"], ""),
        ];
        for (cells, field) in cases {
            let e = parse(cells).unwrap_err();
            assert_eq!(e.field, field, "{cells:?} → {e}");
        }
    }

    #[test]
    fn invalid_utf8_is_rejected_with_a_hint() {
        let owned: Vec<Vec<u8>> = vec![
            b"T1".to_vec(),
            b"2026-01-05 10:00:00".to_vec(),
            vec![0xd5, 0xc5, 0xff],
            b"B".to_vec(),
            b"1".to_vec(),
            b"".to_vec(),
        ];
        let refs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        let e = parse_transfer(refs.as_slice(), &cols(), DEFAULT_TZ).unwrap_err();
        assert_eq!(e.field, "src");
        assert!(e.reason.contains("GB18030"));
    }
}
