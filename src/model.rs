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
}

impl AttrKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrKind::Holder => "holder",
            AttrKind::Phone => "phone",
            AttrKind::Device => "device",
            AttrKind::Branch => "branch",
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
