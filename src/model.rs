//! The records moneytrail holds: transfers between accounts, and what is known about an account.

use serde::{Deserialize, Serialize};

/// Dense internal account id, assigned on first sight. Never shown to users: they see the external id.
pub type AccountId = u32;
/// Internal transfer sequence number: unique, assigned in input order, breaks ties between equal times.
pub type Seq = u64;

/// How money moved. Known channels get a code (so edges stay small); other values are kept as given.
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
    pub const OTHER_CODE: u8 = 255;

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

    pub fn code(&self) -> u8 {
        match self {
            Channel::Unspecified => 0,
            Channel::Transfer => 1,
            Channel::AtmWithdrawal => 2,
            Channel::Pos => 3,
            Channel::ThirdParty => 4,
            Channel::Salary => 5,
            Channel::Other(_) => Self::OTHER_CODE,
        }
    }

    /// The channel for a code, with `text` for [`Channel::Other`].
    pub fn from_code(code: u8, text: &str) -> Channel {
        match code {
            1 => Channel::Transfer,
            2 => Channel::AtmWithdrawal,
            3 => Channel::Pos,
            4 => Channel::ThirdParty,
            5 => Channel::Salary,
            Self::OTHER_CODE => Channel::Other(text.to_string()),
            _ => Channel::Unspecified,
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
    pub const OTHER_CODE: u8 = 255;

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

    pub fn code(&self) -> u8 {
        match self {
            AccountKind::Unknown => 0,
            AccountKind::Personal => 1,
            AccountKind::Corporate => 2,
            AccountKind::Merchant => 3,
            AccountKind::ThirdParty => 4,
            AccountKind::Atm => 5,
            AccountKind::Otc => 6,
            AccountKind::Other(_) => Self::OTHER_CODE,
        }
    }

    pub fn from_code(code: u8, text: &str) -> AccountKind {
        match code {
            1 => AccountKind::Personal,
            2 => AccountKind::Corporate,
            3 => AccountKind::Merchant,
            4 => AccountKind::ThirdParty,
            5 => AccountKind::Atm,
            6 => AccountKind::Otc,
            Self::OTHER_CODE => AccountKind::Other(text.to_string()),
            _ => AccountKind::Unknown,
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
    pub fn from_code(code: u8) -> Option<AttrKind> {
        match code {
            1 => Some(AttrKind::Holder),
            2 => Some(AttrKind::Phone),
            3 => Some(AttrKind::Device),
            4 => Some(AttrKind::Branch),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AttrKind::Holder => "holder",
            AttrKind::Phone => "phone",
            AttrKind::Device => "device",
            AttrKind::Branch => "branch",
        }
    }
}
