//! Every byte layout moneytrail puts on disk, in one place.
//!
//! Key bytes define scan order, so keys are fixed-width big-endian: account ids (u32), sequence numbers
//! (u64) and timestamps (i64 epoch ms with the sign bit flipped, so negative times sort before positive
//! ones). One column family per access path:
//!
//! | column family | key | value |
//! |---|---|---|
//! | `meta` | ASCII name | see [`MetaKey`] |
//! | `acct_by_ext` | external account id (UTF-8) | account id (u32) |
//! | `acct_by_id` | account id (u32) | external account id (UTF-8) |
//! | `acct_attr` | account id (u32) | [`encode_attrs`] |
//! | `attr_index` | attr kind (u8) · value · 0x00 · account id (u32) | empty |
//! | `transfers` | seq (u64) | [`encode_transfer`] |
//! | `txn_index` | external txn id (UTF-8) | seq (u64) · content hash (u64) |
//! | `out_edges` | src (u32) · ts (i64↑) · seq (u64) | [`EdgeValue`]: dst, amount, channel |
//! | `in_edges` | dst (u32) · ts (i64↑) · seq (u64) | [`EdgeValue`]: src, amount, channel |
//! | `stops` | account (u32) · stop id (u64) | [`encode_stop`] |
//! | `cases` | case id (UTF-8) | [`encode_case`]: version byte · JSON |
//! | `warnings` | transfer seq (u64) | [`encode_warning`]: version byte · JSON |
//! | `stmt_files` | file number (u32) | [`encode_statement_file`]: name, encoding |
//! | `stmt_lines` | statement line id (UTF-8) | seq (u64, `u64::MAX`: no transfer) · side (u8) |
//! | `stmt_ledger` | account (u32) · ts (i64↑) · line number (u64) | [`encode_ledger_entry`] |
//! | `provenance` | seq (u64) · side (u8) | the `stmt_ledger` key of the line it came from |
//! | `requests` | SHA-256 of (client, idempotency key) | [`encode_request`]: request digest · what it made |
//!
//! One prefix seek on `out_edges`/`in_edges` yields an account's transfers in time order (ties broken by
//! seq, which is input order), and a time window is one seek with an upper bound.

use crate::model::{
    AccountAttrs, AccountId, AccountKind, AttrKind, CaseRecord, Channel, ChannelKind, Grade, LedgerEntry, Seq,
    StatementFileRecord, StopRecord, Transfer, TransferRecord, WarningRecord,
};

/// Bumped whenever any layout in this module changes; checked on open. Older versions that a later one
/// can read are migrated on a read-write open (`store::migrate`).
pub const SCHEMA_VERSION: u32 = 6;

pub mod cf {
    pub const META: &str = "meta";
    pub const ACCT_BY_EXT: &str = "acct_by_ext";
    pub const ACCT_BY_ID: &str = "acct_by_id";
    pub const ACCT_ATTR: &str = "acct_attr";
    pub const ATTR_INDEX: &str = "attr_index";
    pub const TRANSFERS: &str = "transfers";
    pub const TXN_INDEX: &str = "txn_index";
    pub const OUT_EDGES: &str = "out_edges";
    pub const IN_EDGES: &str = "in_edges";
    pub const STOPS: &str = "stops";
    pub const CASES: &str = "cases";
    pub const WARNINGS: &str = "warnings";
    pub const STMT_FILES: &str = "stmt_files";
    pub const STMT_LINES: &str = "stmt_lines";
    pub const STMT_LEDGER: &str = "stmt_ledger";
    pub const PROVENANCE: &str = "provenance";
    pub const REQUESTS: &str = "requests";
    pub const ALL: [&str; 17] = [
        META,
        ACCT_BY_EXT,
        ACCT_BY_ID,
        ACCT_ATTR,
        ATTR_INDEX,
        TRANSFERS,
        TXN_INDEX,
        OUT_EDGES,
        IN_EDGES,
        STOPS,
        CASES,
        WARNINGS,
        STMT_FILES,
        STMT_LINES,
        STMT_LEDGER,
        PROVENANCE,
        REQUESTS,
    ];
}

/// Keys of the `meta` column family.
pub struct MetaKey;
impl MetaKey {
    /// u32 BE: [`SCHEMA_VERSION`] of the store.
    pub const SCHEMA_VERSION: &'static [u8] = b"schema_version";
    /// [`Watermark`]: what readers may see.
    pub const WATERMARK: &'static [u8] = b"watermark";
    /// u64 BE: the next stop id.
    pub const NEXT_STOP_ID: &'static [u8] = b"next_stop_id";
    /// u32 BE: the next statement file number.
    pub const NEXT_STMT_FILE: &'static [u8] = b"next_stmt_file";
    /// u64 BE: the next statement line number (import order, which keeps the bank's order of equal times).
    pub const NEXT_STMT_LINE: &'static [u8] = b"next_stmt_line";
}

/// Flips the sign bit so that big-endian bytes of an i64 sort like the numbers.
pub fn encode_ts(ts: i64) -> [u8; 8] {
    ((ts as u64) ^ (1 << 63)).to_be_bytes()
}

pub fn decode_ts(b: [u8; 8]) -> i64 {
    (u64::from_be_bytes(b) ^ (1 << 63)) as i64
}

pub fn account_key(id: AccountId) -> [u8; 4] {
    id.to_be_bytes()
}

pub fn decode_account_key(b: &[u8]) -> Option<AccountId> {
    Some(AccountId::from_be_bytes(b.try_into().ok()?))
}

pub fn seq_key(seq: Seq) -> [u8; 8] {
    seq.to_be_bytes()
}

pub fn decode_seq_key(b: &[u8]) -> Option<Seq> {
    Some(Seq::from_be_bytes(b.try_into().ok()?))
}

/// Key of `out_edges` (account = src) and `in_edges` (account = dst).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeKey {
    pub account: AccountId,
    pub ts_ms: i64,
    pub seq: Seq,
}

impl EdgeKey {
    pub const LEN: usize = 20;

    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut k = [0u8; Self::LEN];
        k[0..4].copy_from_slice(&self.account.to_be_bytes());
        k[4..12].copy_from_slice(&encode_ts(self.ts_ms));
        k[12..20].copy_from_slice(&self.seq.to_be_bytes());
        k
    }

    pub fn decode(b: &[u8]) -> Option<EdgeKey> {
        if b.len() != Self::LEN {
            return None;
        }
        Some(EdgeKey {
            account: AccountId::from_be_bytes(b[0..4].try_into().ok()?),
            ts_ms: decode_ts(b[4..12].try_into().ok()?),
            seq: Seq::from_be_bytes(b[12..20].try_into().ok()?),
        })
    }

    /// Scan bounds `[lower, upper)` for an account's edges with `from_ms <= ts <= to_ms`.
    /// The upper bound is exclusive, so `to_ms == i64::MAX` spills into the next account's prefix:
    /// use the next account id instead.
    pub fn window_bounds(account: AccountId, from_ms: i64, to_ms: i64) -> (Vec<u8>, Vec<u8>) {
        let lower = EdgeKey { account, ts_ms: from_ms, seq: 0 }.encode().to_vec();
        let upper = match to_ms.checked_add(1) {
            Some(end) => EdgeKey { account, ts_ms: end, seq: 0 }.encode().to_vec(),
            None => match account.checked_add(1) {
                Some(next) => next.to_be_bytes().to_vec(),
                None => vec![0xff; Self::LEN + 1],
            },
        };
        (lower, upper)
    }
}

/// Value of an edge: what a trace needs without touching the full transfer record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeValue {
    /// dst for an out-edge, src for an in-edge.
    pub counterparty: AccountId,
    pub amount_fen: i64,
    /// [`channel_code`] of the transfer.
    pub channel_code: u8,
}

impl EdgeValue {
    pub const LEN: usize = 13;

    pub fn encode(&self) -> [u8; Self::LEN] {
        let mut v = [0u8; Self::LEN];
        v[0..4].copy_from_slice(&self.counterparty.to_be_bytes());
        v[4..12].copy_from_slice(&self.amount_fen.to_be_bytes());
        v[12] = self.channel_code;
        v
    }

    pub fn decode(b: &[u8]) -> Option<EdgeValue> {
        if b.len() != Self::LEN {
            return None;
        }
        Some(EdgeValue {
            counterparty: AccountId::from_be_bytes(b[0..4].try_into().ok()?),
            amount_fen: i64::from_be_bytes(b[4..12].try_into().ok()?),
            channel_code: b[12],
        })
    }
}

/// Value of `txn_index`: where the transfer is, and a hash of its content to tell a harmless
/// re-delivery (same content) from a conflict (same id, different content).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnIndexValue {
    pub seq: Seq,
    pub content_hash: u64,
}

impl TxnIndexValue {
    pub fn encode(&self) -> [u8; 16] {
        let mut v = [0u8; 16];
        v[0..8].copy_from_slice(&self.seq.to_be_bytes());
        v[8..16].copy_from_slice(&self.content_hash.to_be_bytes());
        v
    }

    pub fn decode(b: &[u8]) -> Option<TxnIndexValue> {
        if b.len() != 16 {
            return None;
        }
        Some(TxnIndexValue {
            seq: Seq::from_be_bytes(b[0..8].try_into().ok()?),
            content_hash: u64::from_be_bytes(b[8..16].try_into().ok()?),
        })
    }
}

/// Hash of everything a transfer row says (external ids included). xxh3-64 over a length-prefixed
/// encoding, so ("ab","c") and ("a","bc") differ. Stored on disk: changing it needs a schema bump.
pub fn content_hash(t: &Transfer) -> u64 {
    let mut buf = Vec::with_capacity(128);
    put_str(&mut buf, &t.txn_id);
    buf.extend_from_slice(&t.ts_ms.to_be_bytes());
    put_str(&mut buf, &t.src);
    put_str(&mut buf, &t.dst);
    buf.extend_from_slice(&t.amount_fen.to_be_bytes());
    put_str(&mut buf, t.channel.as_str());
    for s in [&t.currency, &t.src_name, &t.dst_name, &t.src_bank, &t.dst_bank, &t.memo] {
        put_str(&mut buf, s);
    }
    xxhash_rust::xxh3::xxh3_64(&buf)
}

/// Key of `attr_index`. Values never contain NUL (the accounts loader rejects them), so the prefix
/// `kind · value · 0x00` matches exactly the accounts sharing that value.
pub fn attr_index_key(kind: AttrKind, value: &str, account: AccountId) -> Vec<u8> {
    let mut k = attr_index_prefix(kind, value);
    k.extend_from_slice(&account.to_be_bytes());
    k
}

pub fn attr_index_prefix(kind: AttrKind, value: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(value.len() + 6);
    k.push(kind as u8);
    k.extend_from_slice(value.as_bytes());
    k.push(0);
    k
}

/// Bounds of an `attr_index` scan over the values `from..=to` of one kind (`to` None: every value from
/// `from`): lower inclusive, upper exclusive.
pub fn attr_index_range(kind: AttrKind, from: &str, to: Option<&str>) -> (Vec<u8>, Vec<u8>) {
    let mut lower = vec![kind as u8];
    lower.extend_from_slice(from.as_bytes());
    let upper = match to {
        // `to · 0x00 · id` for every id sorts below `to · 0x01`.
        Some(to) => {
            let mut u = attr_index_prefix(kind, to);
            if let Some(last) = u.last_mut() {
                *last = 1;
            }
            u
        }
        None => vec![kind as u8 + 1],
    };
    (lower, upper)
}

/// Bounds of an `acct_by_ext` scan over the external ids starting with `prefix`: lower inclusive, upper
/// exclusive (None: to the end). The smallest byte string above every id with the prefix is the prefix with
/// its last byte below 0xFF raised by one (trailing 0xFF bytes dropped).
pub fn external_prefix_range(prefix: &str) -> (Vec<u8>, Option<Vec<u8>>) {
    let lower = prefix.as_bytes().to_vec();
    let mut upper = lower.clone();
    while let Some(last) = upper.pop() {
        if last < 0xFF {
            upper.push(last + 1);
            return (lower, Some(upper));
        }
    }
    (lower, None)
}

/// Splits an `attr_index` key into its parts.
pub fn decode_attr_index_key(k: &[u8]) -> Option<(AttrKind, String, AccountId)> {
    if k.len() < 6 || k[k.len() - 5] != 0 {
        return None;
    }
    let kind = attr_kind_of_code(k[0])?;
    let value = std::str::from_utf8(&k[1..k.len() - 5]).ok()?.to_string();
    let account = AccountId::from_be_bytes(k[k.len() - 4..].try_into().ok()?);
    Some((kind, value, account))
}

/// The store's visibility line: readers see transfers with `seq < next_seq` and accounts with
/// `id < next_account`. An ingest writes above it and moves it in one synced write at commit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watermark {
    pub next_seq: Seq,
    pub next_account: AccountId,
}

impl Watermark {
    pub fn encode(&self) -> [u8; 12] {
        let mut v = [0u8; 12];
        v[0..8].copy_from_slice(&self.next_seq.to_be_bytes());
        v[8..12].copy_from_slice(&self.next_account.to_be_bytes());
        v
    }

    pub fn decode(b: &[u8]) -> Option<Watermark> {
        if b.len() != 12 {
            return None;
        }
        Some(Watermark {
            next_seq: Seq::from_be_bytes(b[0..8].try_into().ok()?),
            next_account: AccountId::from_be_bytes(b[8..12].try_into().ok()?),
        })
    }
}

/// On-disk code of a channel (one byte on every edge and transfer record); `Other` keeps its text beside.
pub fn channel_code(c: &Channel) -> u8 {
    match c {
        Channel::Unspecified => 0,
        Channel::Transfer => 1,
        Channel::AtmWithdrawal => 2,
        Channel::Pos => 3,
        Channel::ThirdParty => 4,
        Channel::Salary => 5,
        Channel::CashDeposit => 6,
        Channel::Other(_) => OTHER_CODE,
    }
}

/// The channel kind of a code (what an edge carries).
pub fn channel_kind_of_code(code: u8) -> ChannelKind {
    match code {
        1 => ChannelKind::Transfer,
        2 => ChannelKind::AtmWithdrawal,
        3 => ChannelKind::Pos,
        4 => ChannelKind::ThirdParty,
        5 => ChannelKind::Salary,
        6 => ChannelKind::CashDeposit,
        OTHER_CODE => ChannelKind::Other,
        _ => ChannelKind::Unspecified,
    }
}

/// The channel of a code, with `text` for [`Channel::Other`].
pub fn channel_of_code(code: u8, text: &str) -> Channel {
    match channel_kind_of_code(code) {
        ChannelKind::Other => Channel::Other(text.to_string()),
        kind => kind.channel(),
    }
}

/// Code of "a value outside the known list", whose text is stored beside it.
const OTHER_CODE: u8 = 255;

/// On-disk code of an account kind.
pub fn account_kind_code(k: &AccountKind) -> u8 {
    match k {
        AccountKind::Unknown => 0,
        AccountKind::Personal => 1,
        AccountKind::Corporate => 2,
        AccountKind::Merchant => 3,
        AccountKind::ThirdParty => 4,
        AccountKind::Atm => 5,
        AccountKind::Otc => 6,
        // Added in format 6 without a version change: an older build reads the code as unknown (not a
        // terminal), which is what a payment account is.
        AccountKind::Payment => 7,
        AccountKind::Other(_) => OTHER_CODE,
    }
}

pub fn account_kind_of_code(code: u8, text: &str) -> AccountKind {
    match code {
        1 => AccountKind::Personal,
        2 => AccountKind::Corporate,
        3 => AccountKind::Merchant,
        4 => AccountKind::ThirdParty,
        5 => AccountKind::Atm,
        6 => AccountKind::Otc,
        7 => AccountKind::Payment,
        OTHER_CODE => AccountKind::Other(text.to_string()),
        _ => AccountKind::Unknown,
    }
}

fn attr_kind_of_code(code: u8) -> Option<AttrKind> {
    match code {
        1 => Some(AttrKind::Holder),
        2 => Some(AttrKind::Phone),
        3 => Some(AttrKind::Device),
        4 => Some(AttrKind::Branch),
        5 => Some(AttrKind::Ip),
        6 => Some(AttrKind::Mac),
        _ => None,
    }
}

/// Value of `stmt_files`.
pub fn encode_statement_file(f: &StatementFileRecord) -> Vec<u8> {
    let mut b = vec![1];
    put_str(&mut b, &f.name);
    put_str(&mut b, &f.encoding);
    b
}

pub fn decode_statement_file(file_no: u32, b: &[u8]) -> Option<StatementFileRecord> {
    let mut r = Reader(b);
    if r.u8()? != 1 {
        return None;
    }
    let f = StatementFileRecord { file_no, name: r.string()?, encoding: r.string()? };
    r.0.is_empty().then_some(f)
}

/// Key of `stmt_ledger`: the same layout as an edge key (account · ts↑ · number), so an account's
/// statement lines are one bounded prefix scan in time order, equal times in the bank's order.
pub fn ledger_key(account: AccountId, ts_ms: i64, line_no: u64) -> [u8; EdgeKey::LEN] {
    EdgeKey { account, ts_ms, seq: line_no }.encode()
}

/// Value of `stmt_ledger`.
pub fn encode_ledger_entry(e: &LedgerEntry) -> Vec<u8> {
    let mut b = Vec::with_capacity(48 + e.sheet.len() + e.serial.len());
    b.push(1);
    b.extend_from_slice(&e.signed_fen.to_be_bytes());
    match e.balance_fen {
        Some(v) => {
            b.push(1);
            b.extend_from_slice(&v.to_be_bytes());
        }
        None => b.push(0),
    }
    b.extend_from_slice(&e.seq.unwrap_or(u64::MAX).to_be_bytes());
    b.push(e.side);
    b.extend_from_slice(&e.file_no.to_be_bytes());
    b.extend_from_slice(&e.row.to_be_bytes());
    put_str(&mut b, &e.sheet);
    put_str(&mut b, &e.serial);
    b
}

pub fn decode_ledger_entry(key: &[u8], b: &[u8]) -> Option<LedgerEntry> {
    let k = EdgeKey::decode(key)?;
    let mut r = Reader(b);
    if r.u8()? != 1 {
        return None;
    }
    let i64_ = |r: &mut Reader<'_>| Some(i64::from_be_bytes(r.take(8)?.try_into().ok()?));
    let signed_fen = i64_(&mut r)?;
    let balance_fen = match r.u8()? {
        0 => None,
        1 => Some(i64_(&mut r)?),
        _ => return None,
    };
    let seq = u64::from_be_bytes(r.take(8)?.try_into().ok()?);
    let side = r.u8()?;
    let file_no = u32::from_be_bytes(r.take(4)?.try_into().ok()?);
    let row = u32::from_be_bytes(r.take(4)?.try_into().ok()?);
    let e = LedgerEntry {
        account: k.account,
        ts_ms: k.ts_ms,
        line_no: k.seq,
        signed_fen,
        balance_fen,
        seq: (seq != u64::MAX).then_some(seq),
        side,
        file_no,
        row,
        sheet: r.string()?,
        serial: r.string()?,
    };
    r.0.is_empty().then_some(e)
}

/// Value of `stmt_lines`: where a statement line went (a transfer and the side it was seen from).
pub fn encode_line_target(seq: Option<Seq>, side: u8) -> [u8; 9] {
    let mut v = [0u8; 9];
    v[0..8].copy_from_slice(&seq.unwrap_or(u64::MAX).to_be_bytes());
    v[8] = side;
    v
}

pub fn decode_line_target(b: &[u8]) -> Option<(Option<Seq>, u8)> {
    if b.len() != 9 {
        return None;
    }
    let seq = u64::from_be_bytes(b[0..8].try_into().ok()?);
    Some(((seq != u64::MAX).then_some(seq), b[8]))
}

/// Key of `provenance`: the transfer and the side (0: the payer's statement, 1: the payee's).
pub fn provenance_key(seq: Seq, side: u8) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0..8].copy_from_slice(&seq.to_be_bytes());
    k[8] = side;
    k
}

const TRANSFER_VALUE_VERSION: u8 = 1;

/// Value of `transfers`.
pub fn encode_transfer(t: &TransferRecord) -> Vec<u8> {
    let mut b = Vec::with_capacity(64 + t.txn_id.len() + t.memo.len());
    b.push(TRANSFER_VALUE_VERSION);
    b.extend_from_slice(&t.ts_ms.to_be_bytes());
    b.extend_from_slice(&t.src.to_be_bytes());
    b.extend_from_slice(&t.dst.to_be_bytes());
    b.extend_from_slice(&t.amount_fen.to_be_bytes());
    b.push(channel_code(&t.channel));
    let channel_text = match &t.channel {
        Channel::Other(s) => s.as_str(),
        _ => "",
    };
    for s in [&t.txn_id, channel_text, &t.currency, &t.src_name, &t.dst_name, &t.src_bank, &t.dst_bank, &t.memo] {
        put_str(&mut b, s);
    }
    b
}

pub fn decode_transfer(b: &[u8]) -> Option<TransferRecord> {
    let mut r = Reader(b);
    if r.u8()? != TRANSFER_VALUE_VERSION {
        return None;
    }
    let ts_ms = i64::from_be_bytes(r.take(8)?.try_into().ok()?);
    let src = AccountId::from_be_bytes(r.take(4)?.try_into().ok()?);
    let dst = AccountId::from_be_bytes(r.take(4)?.try_into().ok()?);
    let amount_fen = i64::from_be_bytes(r.take(8)?.try_into().ok()?);
    let code = r.u8()?;
    let txn_id = r.string()?;
    let channel_text = r.string()?;
    let v = TransferRecord {
        ts_ms,
        src,
        dst,
        amount_fen,
        channel: channel_of_code(code, &channel_text),
        txn_id,
        currency: r.string()?,
        src_name: r.string()?,
        dst_name: r.string()?,
        src_bank: r.string()?,
        dst_bank: r.string()?,
        memo: r.string()?,
    };
    r.0.is_empty().then_some(v)
}

/// Key of `stops`: account · stop id, so an account's stops are one prefix scan.
pub fn stop_key(account: AccountId, id: u64) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[0..4].copy_from_slice(&account.to_be_bytes());
    k[4..12].copy_from_slice(&id.to_be_bytes());
    k
}

/// Value of `stops`.
pub fn encode_stop(s: &StopRecord) -> Vec<u8> {
    let mut b = Vec::with_capacity(64);
    b.push(1);
    b.extend_from_slice(&s.id.to_be_bytes());
    b.extend_from_slice(&s.account.to_be_bytes());
    b.extend_from_slice(&s.amount_fen.to_be_bytes());
    b.extend_from_slice(&s.placed_at_ms.to_be_bytes());
    b.extend_from_slice(&s.expires_at_ms.to_be_bytes());
    b.push(s.renewals);
    match s.released_at_ms {
        Some(t) => {
            b.push(1);
            b.extend_from_slice(&t.to_be_bytes());
        }
        None => b.push(0),
    }
    for x in [&s.case_id, &s.placed_by, &s.basis_txn, &s.note] {
        put_str(&mut b, x);
    }
    b
}

pub fn decode_stop(b: &[u8]) -> Option<StopRecord> {
    let mut r = Reader(b);
    if r.u8()? != 1 {
        return None;
    }
    let i64_ = |r: &mut Reader<'_>| Some(i64::from_be_bytes(r.take(8)?.try_into().ok()?));
    let id = u64::from_be_bytes(r.take(8)?.try_into().ok()?);
    let account = AccountId::from_be_bytes(r.take(4)?.try_into().ok()?);
    let amount_fen = i64_(&mut r)?;
    let placed_at_ms = i64_(&mut r)?;
    let expires_at_ms = i64_(&mut r)?;
    let renewals = r.u8()?;
    let released_at_ms = match r.u8()? {
        0 => None,
        1 => Some(i64_(&mut r)?),
        _ => return None,
    };
    let rec = StopRecord {
        id,
        account,
        amount_fen,
        placed_at_ms,
        expires_at_ms,
        renewals,
        released_at_ms,
        case_id: r.string()?,
        placed_by: r.string()?,
        basis_txn: r.string()?,
        note: r.string()?,
    };
    r.0.is_empty().then_some(rec)
}

/// Version 1 of a `cases` value: a version byte, then this as JSON. Its own type, so that changing the
/// domain record cannot change the bytes on disk unnoticed.
#[derive(serde::Serialize, serde::Deserialize)]
struct CaseV1 {
    case_id: String,
    #[serde(default)]
    seed_txn_ids: Vec<String>,
    #[serde(default)]
    victims: Vec<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    report_time_ms: Option<i64>,
    created_at_ms: i64,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    note: String,
}

const CASE_VERSION: u8 = 1;

pub fn encode_case(c: &CaseRecord) -> Vec<u8> {
    let v = CaseV1 {
        case_id: c.case_id.clone(),
        seed_txn_ids: c.seed_txn_ids.clone(),
        victims: c.victims.clone(),
        from_ms: c.from_ms,
        to_ms: c.to_ms,
        report_time_ms: c.report_time_ms,
        created_at_ms: c.created_at_ms,
        created_by: c.created_by.clone(),
        note: c.note.clone(),
    };
    let mut b = vec![CASE_VERSION];
    b.extend(serde_json::to_vec(&v).unwrap_or_default());
    b
}

pub fn decode_case(b: &[u8]) -> Option<CaseRecord> {
    let v: CaseV1 = match b.split_first() {
        Some((&CASE_VERSION, json)) => serde_json::from_slice(json).ok()?,
        _ => return None,
    };
    Some(CaseRecord {
        case_id: v.case_id,
        seed_txn_ids: v.seed_txn_ids,
        victims: v.victims,
        from_ms: v.from_ms,
        to_ms: v.to_ms,
        report_time_ms: v.report_time_ms,
        created_at_ms: v.created_at_ms,
        created_by: v.created_by,
        note: v.note,
    })
}

/// What a write that carried an idempotency key made, recorded in the same batch as the write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A stop placed, renewed or released: its id.
    Stop(u64),
    /// A case registered: its id.
    Case(String),
}

/// A `requests` value: the 32-byte digest of the request as first made, a tag (1 stop, 2 case), then the
/// stop id (u64) or the case id (UTF-8).
pub fn encode_request(fingerprint: &[u8; 32], outcome: &RequestOutcome) -> Vec<u8> {
    let mut b = fingerprint.to_vec();
    match outcome {
        RequestOutcome::Stop(id) => {
            b.push(1);
            b.extend(id.to_be_bytes());
        }
        RequestOutcome::Case(id) => {
            b.push(2);
            b.extend(id.as_bytes());
        }
    }
    b
}

pub fn decode_request(b: &[u8]) -> Option<([u8; 32], RequestOutcome)> {
    let (fingerprint, rest) = b.split_first_chunk::<32>()?;
    let outcome = match rest.split_first()? {
        (1, id) => RequestOutcome::Stop(u64::from_be_bytes(id.try_into().ok()?)),
        (2, id) => RequestOutcome::Case(String::from_utf8(id.to_vec()).ok()?),
        _ => return None,
    };
    Some((*fingerprint, outcome))
}

/// Version 1 of a `warnings` value: a version byte, then this as JSON (the grade as its lowercase name).
#[derive(serde::Serialize, serde::Deserialize)]
struct WarningV1 {
    seq: Seq,
    account: AccountId,
    sender: AccountId,
    amount_fen: i64,
    ts_ms: i64,
    grade: String,
    reasons: Vec<String>,
    created_at_ms: i64,
    deadline_ms: i64,
    acked_at_ms: Option<i64>,
    #[serde(default)]
    acked_by: String,
}

const WARNING_VERSION: u8 = 1;

pub fn encode_warning(w: &WarningRecord) -> Vec<u8> {
    let v = WarningV1 {
        seq: w.seq,
        account: w.account,
        sender: w.sender,
        amount_fen: w.amount_fen,
        ts_ms: w.ts_ms,
        grade: w.grade.as_str().to_string(),
        reasons: w.reasons.clone(),
        created_at_ms: w.created_at_ms,
        deadline_ms: w.deadline_ms,
        acked_at_ms: w.acked_at_ms,
        acked_by: w.acked_by.clone(),
    };
    let mut b = vec![WARNING_VERSION];
    b.extend(serde_json::to_vec(&v).unwrap_or_default());
    b
}

pub fn decode_warning(b: &[u8]) -> Option<WarningRecord> {
    let v: WarningV1 = match b.split_first() {
        Some((&WARNING_VERSION, json)) => serde_json::from_slice(json).ok()?,
        _ => return None,
    };
    Some(WarningRecord {
        seq: v.seq,
        account: v.account,
        sender: v.sender,
        amount_fen: v.amount_fen,
        ts_ms: v.ts_ms,
        grade: Grade::parse(&v.grade)?,
        reasons: v.reasons,
        created_at_ms: v.created_at_ms,
        deadline_ms: v.deadline_ms,
        acked_at_ms: v.acked_at_ms,
        acked_by: v.acked_by,
    })
}

const ATTRS_VERSION: u8 = 1;

/// Value of `acct_attr`.
pub fn encode_attrs(a: &AccountAttrs) -> Vec<u8> {
    let mut b = Vec::with_capacity(96);
    b.push(ATTRS_VERSION);
    b.push(account_kind_code(&a.kind));
    match a.opened_at_days {
        Some(d) => {
            b.push(1);
            b.extend_from_slice(&d.to_be_bytes());
        }
        None => b.push(0),
    }
    let kind_text = match &a.kind {
        AccountKind::Other(s) => s.as_str(),
        _ => "",
    };
    for s in [kind_text, &a.holder_id, &a.holder_name, &a.phone, &a.device_id, &a.bank, &a.branch] {
        put_str(&mut b, s);
    }
    b
}

pub fn decode_attrs(b: &[u8]) -> Option<AccountAttrs> {
    let mut r = Reader(b);
    if r.u8()? != ATTRS_VERSION {
        return None;
    }
    let kind_code = r.u8()?;
    let opened_at_days = match r.u8()? {
        0 => None,
        1 => Some(i32::from_be_bytes(r.take(4)?.try_into().ok()?)),
        _ => return None,
    };
    let kind_text = r.string()?;
    let a = AccountAttrs {
        holder_id: r.string()?,
        holder_name: r.string()?,
        phone: r.string()?,
        device_id: r.string()?,
        bank: r.string()?,
        branch: r.string()?,
        opened_at_days,
        kind: account_kind_of_code(kind_code, &kind_text),
    };
    r.0.is_empty().then_some(a)
}

/// LEB128 length, then the bytes.
fn put_str(b: &mut Vec<u8>, s: &str) {
    let mut n = s.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            b.push(byte);
            break;
        }
        b.push(byte | 0x80);
    }
    b.extend_from_slice(s.as_bytes());
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn string(&mut self) -> Option<String> {
        let mut n: usize = 0;
        let mut shift = 0;
        loop {
            let byte = self.u8()?;
            n |= usize::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 35 {
                return None;
            }
        }
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn channel() -> impl Strategy<Value = Channel> {
        prop_oneof![
            Just(Channel::Unspecified),
            Just(Channel::Transfer),
            Just(Channel::AtmWithdrawal),
            Just(Channel::Pos),
            Just(Channel::ThirdParty),
            Just(Channel::Salary),
            "[a-z冒充]{1,8}".prop_map(|s| Channel::parse(&s)),
        ]
    }

    proptest! {
        #[test]
        fn ts_order_is_byte_order(a: i64, b: i64) {
            prop_assert_eq!(decode_ts(encode_ts(a)), a);
            prop_assert_eq!(a.cmp(&b), encode_ts(a).cmp(&encode_ts(b)));
        }

        #[test]
        fn edge_key_order_is_byte_order(a: (u32, i64, u64), b: (u32, i64, u64)) {
            let ka = EdgeKey { account: a.0, ts_ms: a.1, seq: a.2 };
            let kb = EdgeKey { account: b.0, ts_ms: b.1, seq: b.2 };
            prop_assert_eq!(EdgeKey::decode(&ka.encode()), Some(ka));
            prop_assert_eq!(ka.cmp(&kb), ka.encode().cmp(&kb.encode()));
        }

        #[test]
        fn window_bounds_hold_exactly_the_window(acct in 0u32..5, from: i64, len in 0i64..1000, probe: (u32, i64, u64)) {
            let to = from.saturating_add(len);
            let (lo, hi) = EdgeKey::window_bounds(acct, from, to);
            let k = EdgeKey { account: probe.0 % 5, ts_ms: probe.1, seq: probe.2 };
            let inside = k.account == acct && k.ts_ms >= from && k.ts_ms <= to;
            let enc = k.encode();
            prop_assert_eq!(inside, enc.as_slice() >= lo.as_slice() && enc.as_slice() < hi.as_slice());
        }

        #[test]
        fn values_round_trip(
            cp: u32, amount in 1i64..i64::MAX, code: u8, seq: u64, hash: u64,
            ts: i64, src: u32, dst: u32, ch in channel(),
            strs in proptest::collection::vec("\\PC{0,20}", 7),
        ) {
            let e = EdgeValue { counterparty: cp, amount_fen: amount, channel_code: code };
            prop_assert_eq!(EdgeValue::decode(&e.encode()), Some(e));
            let t = TxnIndexValue { seq, content_hash: hash };
            prop_assert_eq!(TxnIndexValue::decode(&t.encode()), Some(t));
            let w = Watermark { next_seq: seq, next_account: cp };
            prop_assert_eq!(Watermark::decode(&w.encode()), Some(w));
            let v = TransferRecord {
                ts_ms: ts, src, dst, amount_fen: amount, channel: ch,
                txn_id: strs[0].clone(), currency: strs[1].clone(), src_name: strs[2].clone(),
                dst_name: strs[3].clone(), src_bank: strs[4].clone(), dst_bank: strs[5].clone(), memo: strs[6].clone(),
            };
            prop_assert_eq!(decode_transfer(&encode_transfer(&v)), Some(v));
            let a = AccountAttrs {
                holder_id: strs[0].clone(), holder_name: strs[1].clone(), phone: strs[2].clone(),
                device_id: strs[3].clone(), bank: strs[4].clone(), branch: strs[5].clone(),
                opened_at_days: if code % 2 == 0 { Some(ts as i32) } else { None },
                kind: AccountKind::parse(&strs[6]),
            };
            prop_assert_eq!(decode_attrs(&encode_attrs(&a)), Some(a));
            let stop = StopRecord {
                id: seq, account: cp, amount_fen: amount, placed_at_ms: ts, expires_at_ms: ts.saturating_add(1),
                renewals: code % 3, released_at_ms: if code % 2 == 0 { Some(ts) } else { None },
                case_id: strs[0].clone(), placed_by: strs[1].clone(), basis_txn: strs[2].clone(), note: strs[3].clone(),
            };
            prop_assert_eq!(decode_stop(&encode_stop(&stop)), Some(stop));
            let case = CaseRecord {
                case_id: strs[0].clone(), seed_txn_ids: strs[1..3].to_vec(), victims: vec![strs[3].clone()],
                from_ms: Some(ts), to_ms: None, report_time_ms: Some(ts), created_at_ms: ts,
                created_by: strs[4].clone(), note: strs[5].clone(),
            };
            prop_assert_eq!(decode_case(&encode_case(&case)), Some(case));
            let warning = WarningRecord {
                seq, account: cp, sender: src, amount_fen: amount, ts_ms: ts,
                grade: Grade::ALL[usize::from(code % 4)], reasons: strs[..2].to_vec(), created_at_ms: ts,
                deadline_ms: ts.saturating_add(1), acked_at_ms: (code % 2 == 0).then_some(ts), acked_by: strs[2].clone(),
            };
            prop_assert_eq!(decode_warning(&encode_warning(&warning)), Some(warning));
            let entry = LedgerEntry {
                account: cp, ts_ms: ts, line_no: seq, signed_fen: amount.wrapping_neg(), balance_fen: (code % 2 == 0).then_some(amount),
                seq: (code % 3 == 0).then_some(seq.min(u64::MAX - 1)), side: code % 2, file_no: src, row: dst,
                sheet: strs[0].clone(), serial: strs[1].clone(),
            };
            let key = ledger_key(entry.account, entry.ts_ms, entry.line_no);
            prop_assert_eq!(decode_ledger_entry(&key, &encode_ledger_entry(&entry)), Some(entry));
            let file = StatementFileRecord { file_no: src, name: strs[2].clone(), encoding: strs[3].clone() };
            prop_assert_eq!(decode_statement_file(src, &encode_statement_file(&file)), Some(file));
            let target = (if code % 2 == 0 { Some(seq.min(u64::MAX - 1)) } else { None }, code % 2);
            prop_assert_eq!(decode_line_target(&encode_line_target(target.0, target.1)), Some(target));
            let fingerprint = [code; 32];
            for outcome in [RequestOutcome::Stop(seq), RequestOutcome::Case(strs[0].clone())] {
                prop_assert_eq!(decode_request(&encode_request(&fingerprint, &outcome)), Some((fingerprint, outcome)));
            }
            let kind = AccountKind::parse(&strs[6]);
            let code_of_kind = account_kind_code(&kind);
            let text = match &kind { AccountKind::Other(t) => t.clone(), _ => String::new() };
            prop_assert_eq!(account_kind_of_code(code_of_kind, &text), kind);
        }

        #[test]
        fn attr_index_ranges_hold_exactly_the_values_between(v in "[0-9]{1,4}", lo in "[0-9]{1,4}", hi in "[0-9]{1,4}", a: u32) {
            let k = attr_index_key(AttrKind::Phone, &v, a);
            let (lower, upper) = attr_index_range(AttrKind::Phone, &lo, Some(&hi));
            let inside = k.as_slice() >= lower.as_slice() && k.as_slice() < upper.as_slice();
            prop_assert_eq!(inside, v.as_str() >= lo.as_str() && v.as_str() <= hi.as_str());
            let (lower, upper) = attr_index_range(AttrKind::Phone, &lo, None);
            let inside = k.as_slice() >= lower.as_slice() && k.as_slice() < upper.as_slice();
            prop_assert_eq!(inside, v.as_str() >= lo.as_str());
            let other = attr_index_key(AttrKind::Device, &v, a);
            prop_assert!(other.as_slice() >= upper.as_slice());
        }

        #[test]
        fn attr_index_keys_round_trip_and_prefix_exactly(v1 in "[^\\x00]{0,12}", v2 in "[^\\x00]{0,12}", a: u32) {
            let k = attr_index_key(AttrKind::Device, &v1, a);
            prop_assert_eq!(decode_attr_index_key(&k), Some((AttrKind::Device, v1.clone(), a)));
            prop_assert_eq!(k.starts_with(&attr_index_prefix(AttrKind::Device, &v2)), v1 == v2);
        }

        #[test]
        fn decoders_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_transfer(&b);
            let _ = decode_stop(&b);
            let _ = decode_case(&b);
            let _ = decode_warning(&b);
            let _ = decode_attrs(&b);
            let _ = EdgeKey::decode(&b);
            let _ = decode_attr_index_key(&b);
            let _ = decode_request(&b);
        }
    }

    #[test]
    fn content_hash_separates_fields() {
        let a = Transfer { txn_id: "T1".into(), src: "ab".into(), dst: "c".into(), ..Default::default() };
        let b = Transfer { txn_id: "T1".into(), src: "a".into(), dst: "bc".into(), ..Default::default() };
        assert_ne!(content_hash(&a), content_hash(&b));
    }

    /// xxh3-64 of the length-prefixed encoding, computed independently (Python `xxhash`) when pinned.
    const CONTENT_HASH_PINNED: u64 = 9_384_409_329_169_473_567;

    /// The hash is stored in `txn_index`: if its bytes change, stores written before would see every
    /// re-delivered row as a conflict. Pinned to the value version 4 of the format writes.
    #[test]
    fn content_hash_is_the_stored_one() {
        let t = Transfer {
            txn_id: "T00000001".into(),
            ts_ms: 1_767_225_600_000,
            src: "6222020000000001".into(),
            dst: "6222020000000002".into(),
            amount_fen: 129_900,
            channel: Channel::Transfer,
            currency: "CNY".into(),
            src_name: "张三".into(),
            dst_name: "李四".into(),
            src_bank: "ICBC".into(),
            dst_bank: "CCB".into(),
            memo: "货款".into(),
        };
        assert_eq!(content_hash(&t), CONTENT_HASH_PINNED);
    }

    /// Channel codes are on disk in every edge: each known channel keeps its code.
    #[test]
    fn channel_codes_are_the_stored_ones() {
        let pinned = [
            (Channel::Unspecified, 0),
            (Channel::Transfer, 1),
            (Channel::AtmWithdrawal, 2),
            (Channel::Pos, 3),
            (Channel::ThirdParty, 4),
            (Channel::Salary, 5),
            (Channel::CashDeposit, 6),
            (Channel::Other("x".into()), 255),
        ];
        for (c, code) in pinned {
            assert_eq!(channel_code(&c), code, "{c:?}");
            assert_eq!(channel_of_code(code, c.as_str()), c);
            assert_eq!(channel_kind_of_code(code), c.kind());
        }
    }

    #[test]
    fn an_external_prefix_range_holds_every_id_with_the_prefix_and_no_other() {
        for (prefix, inside, outside) in [
            ("6217", vec!["6217", "62170", "6217999999", "6217\u{ffff}"], vec!["6216999", "6218", "621"]),
            ("", vec!["", "0", "\u{ffff}"], vec![]),
        ] {
            let (lower, upper) = external_prefix_range(prefix);
            let within = |s: &str| {
                let b = s.as_bytes();
                b >= lower.as_slice() && upper.as_ref().is_none_or(|u| b < u.as_slice())
            };
            for s in inside {
                assert!(within(s), "{prefix:?} holds {s:?}");
            }
            for s in outside {
                assert!(!within(s), "{prefix:?} does not hold {s:?}");
            }
        }
        assert_eq!(external_prefix_range("a\u{ff}").1, Some(b"a\xc3\xc0".to_vec()));
    }
}
