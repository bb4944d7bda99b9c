//! The records moneytrail holds: transfers between accounts, and what is known about an account.

use serde::{Deserialize, Serialize};

/// Dense internal account id, assigned on first sight. Never shown to users: they see the external id.
pub type AccountId = u32;
/// Internal transfer sequence number: unique, assigned in input order, breaks ties between equal times.
pub type Seq = u64;

/// How money moved. Known channels are named; other values are kept as given.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Channel {
    /// No channel column, or an empty cell.
    #[default]
    Unspecified,
    Transfer,
    AtmWithdrawal,
    Pos,
    ThirdParty,
    Salary,
    /// Cash paid in at a counter or ATM (存现): money of unknown origin entering the bank trail.
    CashDeposit,
    Other(String),
}

impl Channel {
    pub fn parse(s: &str) -> Channel {
        match s.trim() {
            "" => Channel::Unspecified,
            "transfer" => Channel::Transfer,
            "atm_withdrawal" => Channel::AtmWithdrawal,
            "pos" => Channel::Pos,
            "third_party" => Channel::ThirdParty,
            "salary" => Channel::Salary,
            "cash_deposit" => Channel::CashDeposit,
            other => Channel::Other(other.to_string()),
        }
    }

    /// What analysis decides on, without the free text of [`Channel::Other`].
    pub fn kind(&self) -> ChannelKind {
        match self {
            Channel::Unspecified => ChannelKind::Unspecified,
            Channel::Transfer => ChannelKind::Transfer,
            Channel::AtmWithdrawal => ChannelKind::AtmWithdrawal,
            Channel::Pos => ChannelKind::Pos,
            Channel::ThirdParty => ChannelKind::ThirdParty,
            Channel::Salary => ChannelKind::Salary,
            Channel::CashDeposit => ChannelKind::CashDeposit,
            Channel::Other(_) => ChannelKind::Other,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Channel::Unspecified => "",
            Channel::Transfer => "transfer",
            Channel::AtmWithdrawal => "atm_withdrawal",
            Channel::Pos => "pos",
            Channel::ThirdParty => "third_party",
            Channel::Salary => "salary",
            Channel::CashDeposit => "cash_deposit",
            Channel::Other(s) => s,
        }
    }
}

/// A [`Channel`] without its free text: small and `Copy`, so every edge carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ChannelKind {
    #[default]
    Unspecified,
    Transfer,
    AtmWithdrawal,
    Pos,
    ThirdParty,
    Salary,
    CashDeposit,
    Other,
}

impl ChannelKind {
    /// The channel this kind stands for (`Other` without its text).
    pub fn channel(self) -> Channel {
        match self {
            ChannelKind::Unspecified => Channel::Unspecified,
            ChannelKind::Transfer => Channel::Transfer,
            ChannelKind::AtmWithdrawal => Channel::AtmWithdrawal,
            ChannelKind::Pos => Channel::Pos,
            ChannelKind::ThirdParty => Channel::ThirdParty,
            ChannelKind::Salary => Channel::Salary,
            ChannelKind::CashDeposit => Channel::CashDeposit,
            ChannelKind::Other => Channel::Other(String::new()),
        }
    }
}

/// What kind of account this is, when an accounts file says so.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum AccountKind {
    #[default]
    Unknown,
    Personal,
    Corporate,
    Merchant,
    ThirdParty,
    Atm,
    Otc,
    /// A payment platform's account (微信 零钱, 支付宝 余额, 财付通): not a terminal when the platform's records are
    /// in the store — money is traced through it, card → platform account → another user → card.
    Payment,
    Other(String),
}

impl AccountKind {
    pub fn parse(s: &str) -> AccountKind {
        match s.trim() {
            "" => AccountKind::Unknown,
            "personal" => AccountKind::Personal,
            "corporate" => AccountKind::Corporate,
            "merchant" => AccountKind::Merchant,
            "third_party" => AccountKind::ThirdParty,
            "atm" => AccountKind::Atm,
            "otc" => AccountKind::Otc,
            "payment" => AccountKind::Payment,
            other => AccountKind::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            AccountKind::Unknown => "unknown",
            AccountKind::Personal => "personal",
            AccountKind::Corporate => "corporate",
            AccountKind::Merchant => "merchant",
            AccountKind::ThirdParty => "third_party",
            AccountKind::Atm => "atm",
            AccountKind::Otc => "otc",
            AccountKind::Payment => "payment",
            AccountKind::Other(s) => s,
        }
    }
}

/// A transfer as read from an input row, with external account ids. Amount in fen, time in epoch ms.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Transfer {
    pub txn_id: String,
    pub ts_ms: i64,
    pub src: String,
    pub dst: String,
    pub amount_fen: i64,
    pub channel: Channel,
    pub currency: String,
    pub src_name: String,
    pub dst_name: String,
    pub src_bank: String,
    pub dst_bank: String,
    pub memo: String,
}

pub const DEFAULT_CURRENCY: &str = "CNY";

/// What an accounts file says about an account. Empty strings mean "not known".
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountAttrs {
    pub holder_id: String,
    pub holder_name: String,
    pub phone: String,
    pub device_id: String,
    pub bank: String,
    pub branch: String,
    /// Local date the account was opened, as days since 1970-01-01.
    pub opened_at_days: Option<i32>,
    #[serde(skip)]
    pub kind: AccountKind,
}

impl AccountAttrs {
    /// Fills in what `newer` knows; values it leaves empty keep what was known before.
    pub fn merge_from(&mut self, newer: &AccountAttrs) {
        fn take(dst: &mut String, src: &str) {
            if !src.is_empty() {
                *dst = src.to_string();
            }
        }
        take(&mut self.holder_id, &newer.holder_id);
        take(&mut self.holder_name, &newer.holder_name);
        take(&mut self.phone, &newer.phone);
        take(&mut self.device_id, &newer.device_id);
        take(&mut self.bank, &newer.bank);
        take(&mut self.branch, &newer.branch);
        if newer.opened_at_days.is_some() {
            self.opened_at_days = newer.opened_at_days;
        }
        if newer.kind != AccountKind::Unknown {
            self.kind = newer.kind.clone();
        }
    }

    /// The attributes that tie cards of different holders together (for ring detection), indexed.
    pub fn shared_attributes(&self) -> impl Iterator<Item = (AttrKind, &str)> {
        [
            (AttrKind::Holder, self.holder_id.as_str()),
            (AttrKind::Phone, self.phone.as_str()),
            (AttrKind::Device, self.device_id.as_str()),
            (AttrKind::Branch, self.branch.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
    }
}

/// Attributes indexed for "which accounts share this value".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttrKind {
    Holder = 1,
    Phone = 2,
    Device = 3,
    Branch = 4,
    /// A login IP address a statement line was made from (shared across holders: one operator).
    Ip = 5,
    /// A device's MAC address from a statement line.
    Mac = 6,
}

impl AttrKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrKind::Holder => "holder",
            AttrKind::Phone => "phone",
            AttrKind::Device => "device",
            AttrKind::Branch => "branch",
            AttrKind::Ip => "ip",
            AttrKind::Mac => "mac",
        }
    }
}

/// A stored transfer with internal account ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRecord {
    pub ts_ms: i64,
    pub src: AccountId,
    pub dst: AccountId,
    pub amount_fen: i64,
    pub channel: Channel,
    pub txn_id: String,
    pub currency: String,
    pub src_name: String,
    pub dst_name: String,
    pub src_bank: String,
    pub dst_bank: String,
    pub memo: String,
}

impl TransferRecord {
    pub fn from_transfer(t: &Transfer, src: AccountId, dst: AccountId) -> TransferRecord {
        TransferRecord {
            ts_ms: t.ts_ms,
            src,
            dst,
            amount_fen: t.amount_fen,
            channel: t.channel.clone(),
            txn_id: t.txn_id.clone(),
            currency: t.currency.clone(),
            src_name: t.src_name.clone(),
            dst_name: t.dst_name.clone(),
            src_bank: t.src_bank.clone(),
            dst_bank: t.dst_bank.clone(),
            memo: t.memo.clone(),
        }
    }
}

/// A stop-payment (止付) or freeze placed on an account, as recorded in the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopRecord {
    pub id: u64,
    pub account: AccountId,
    pub amount_fen: i64,
    pub placed_at_ms: i64,
    pub expires_at_ms: i64,
    /// How many times it was renewed (at most `policy::STOP_MAX_RENEWALS`).
    pub renewals: u8,
    pub released_at_ms: Option<i64>,
    pub case_id: String,
    pub placed_by: String,
    /// The transfer the stop rests on (external id), if given.
    pub basis_txn: String,
    pub note: String,
}

impl StopRecord {
    /// In force at `t`: placed, not expired, not released.
    pub fn active_at(&self, t: i64) -> bool {
        self.placed_at_ms <= t && t < self.expires_at_ms && self.released_at_ms.is_none_or(|r| t < r)
    }
}

/// One case as a case file lists it (`link --cases`, `case import`): its seeds and when it was reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseSpec {
    pub case_id: String,
    pub seed_txn_ids: Vec<String>,
    /// The report time (the trace's as_of), if given.
    pub as_of_ms: Option<i64>,
}

/// One confirmed mule card as a 断卡 team's list gives it: its external id and where it was listed (line
/// number, 1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedCard {
    pub account: String,
    pub line: usize,
}

/// A case as a case system registered it: its seeds and when it was reported.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CaseRecord {
    pub case_id: String,
    pub seed_txn_ids: Vec<String>,
    pub victims: Vec<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// When the victim reported: the default as-of of the case's trace.
    pub report_time_ms: Option<i64>,
    pub created_at_ms: i64,
    pub created_by: String,
    pub note: String,
}

/// How urgently a warning's payer must be reached (四色分级), most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    Purple,
    Red,
    Yellow,
    Blue,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::Purple, Grade::Red, Grade::Yellow, Grade::Blue];

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Purple => "purple",
            Grade::Red => "red",
            Grade::Yellow => "yellow",
            Grade::Blue => "blue",
        }
    }

    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// A warning (资金预警): a payment into a watched account that may be a victim still paying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarningRecord {
    /// The transfer that raised it (one warning per transfer).
    pub seq: Seq,
    pub account: AccountId,
    pub sender: AccountId,
    pub amount_fen: i64,
    pub ts_ms: i64,
    pub grade: Grade,
    pub reasons: Vec<String>,
    pub created_at_ms: i64,
    pub deadline_ms: i64,
    pub acked_at_ms: Option<i64>,
    pub acked_by: String,
}

/// A statement file that was imported (its name, not its path; how it was decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementFileRecord {
    pub file_no: u32,
    pub name: String,
    pub encoding: String,
}

/// One line of an account's bank statement as stored: what the bank wrote, where it was written, and the
/// transfer it became. The ledger of an account is its lines in time order, equal times in the bank's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    pub account: AccountId,
    pub ts_ms: i64,
    /// Import order, which keeps the bank's order among lines of the same time.
    pub line_no: u64,
    /// Money in positive, money out negative.
    pub signed_fen: i64,
    /// The balance after this line, as the bank wrote it.
    pub balance_fen: Option<i64>,
    /// The transfer it became (none when the line could not be one, e.g. it names no counterparty).
    pub seq: Option<Seq>,
    /// 0: the line is the payer's record of the transfer (money out); 1: the payee's (money in).
    pub side: u8,
    pub file_no: u32,
    pub sheet: String,
    /// Row in the file or sheet, 1-based as a spreadsheet shows it.
    pub row: u32,
    /// The bank's serial number of the line, if given.
    pub serial: String,
}

/// A statement line a transfer was read from, as cited in a stop-payment request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SourceLine {
    /// `payer` or `payee`: whose statement it is.
    pub statement_of: String,
    pub account: String,
    pub file: String,
    pub sheet: String,
    pub row: u32,
    pub serial: String,
}
