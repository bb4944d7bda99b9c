//! Tracing stolen funds hop by hop, in time order, under a stated allocation rule.
//!
//! The contract is `docs/trace-semantics.md`; [`engine`] implements it lazily over a
//! [`TransferGraph`], and `reference.rs` (tests only) implements it by brute force.

pub mod engine;
pub mod paths;
#[cfg(test)]
mod reference;
pub mod report;
#[cfg(test)]
mod tests;
pub mod upstream;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::graph::{Direction, GraphError, TransferGraph};
use crate::model::{AccountId, AccountKind, ChannelKind, Seq};

pub use engine::{trace_downstream, Outcome, Trace};

/// The most hops any trace may follow (the API enforces it too).
pub const MAX_HOPS: u32 = 20;
pub const DEFAULT_HOPS: u32 = 6;

/// How an outgoing transfer is charged against a commingled balance.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Oldest money leaves first (Clayton's Case). The default.
    #[default]
    Fifo,
    /// Newest money leaves first (fits mule cards passing on what just arrived).
    Lifo,
    /// Every outgoing transfer carries the traced share of the balance (haircut).
    Proportional,
    /// Every later outflow counts in full: an upper bound of reach, not conserved.
    Poison,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Fifo => "fifo",
            Rule::Lifo => "lifo",
            Rule::Proportional => "proportional",
            Rule::Poison => "poison",
        }
    }
}

/// Where traced money stops being followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TerminalKind {
    /// Already stopped or frozen.
    Frozen,
    /// Cash-out: ATM or counter withdrawal. The end of the bank trail.
    Cash,
    /// Crypto OTC seller (U商): follow on-chain if an address is known.
    Otc,
    /// Payment platform: request the platform's records to continue.
    Platform,
    /// Merchant purchase: usually an innocent recipient; do not freeze.
    Merchant,
}

impl TerminalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TerminalKind::Frozen => "frozen",
            TerminalKind::Cash => "cash",
            TerminalKind::Otc => "otc",
            TerminalKind::Platform => "platform",
            TerminalKind::Merchant => "merchant",
        }
    }

    /// The terminal kind of a transfer into an account of `dst_kind` over `channel`, if it is one (stops
    /// aside: see [`TerminalKind::Frozen`]). Priority as in docs/trace-semantics.md.
    /// The account kinds among these are `policy::is_terminal_kind`.
    pub fn of_transfer(dst_kind: &AccountKind, channel: ChannelKind) -> Option<TerminalKind> {
        if *dst_kind == AccountKind::Payment {
            // A payment platform's account whose records are in the store: the money is followed through it,
            // whatever channel the card's bank wrote (快捷支付).
            None
        } else if channel == ChannelKind::AtmWithdrawal || *dst_kind == AccountKind::Atm {
            Some(TerminalKind::Cash)
        } else if *dst_kind == AccountKind::Otc {
            Some(TerminalKind::Otc)
        } else if *dst_kind == AccountKind::ThirdParty || channel == ChannelKind::ThirdParty {
            Some(TerminalKind::Platform)
        } else if *dst_kind == AccountKind::Merchant || channel == ChannelKind::Pos {
            Some(TerminalKind::Merchant)
        } else {
            None
        }
    }

    /// What it takes to go on from here.
    pub fn next_step(self) -> &'static str {
        match self {
            TerminalKind::Frozen => "already stopped: renew or convert to a judicial freeze",
            TerminalKind::Cash => "cashed out: request ATM/counter footage and card records",
            TerminalKind::Otc => "paid to an OTC seller: request the seller's records, follow on-chain",
            TerminalKind::Platform => "handed to a payment platform: request the platform's records (调单)",
            TerminalKind::Merchant => "merchant purchase: identify the goods; do not freeze the merchant",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceParams {
    pub rule: Rule,
    pub hops: u32,
    /// Traced portions below this (fen, per transfer) are not followed.
    pub min_amount_fen: i64,
    /// Transfers after this time do not exist for the trace.
    pub as_of_ms: i64,
    /// Accounts already stopped or frozen: terminals.
    pub frozen: BTreeSet<AccountId>,
    /// When set, only money into these accounts is followed; what leaves them for others is counted with
    /// the money beyond the hop limit. The upstream trace sets its discovered accounts here: money that
    /// leaves them never comes back into them but through a payer it has seeded or followed.
    pub scope: Option<std::sync::Arc<BTreeSet<AccountId>>>,
}

impl Default for TraceParams {
    fn default() -> Self {
        TraceParams {
            rule: Rule::Fifo,
            hops: DEFAULT_HOPS,
            min_amount_fen: 0,
            as_of_ms: i64::MAX,
            frozen: BTreeSet::new(),
            scope: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("unknown seed transfer '{0}'")]
    UnknownSeed(String),
    #[error("unknown account '{0}'")]
    UnknownAccount(String),
    #[error("seed transfer '{0}' is after --as-of: it did not exist yet")]
    SeedAfterAsOf(String),
    #[error("no seed transfers: {0}")]
    NoSeeds(String),
    #[error("{0}")]
    BadParams(String),
    /// More seeds or victims than one request may name ([`MAX_SEEDS`], [`MAX_VICTIMS`]).
    #[error("{field}: {given} given, at most {max} per trace")]
    TooManyGiven { field: &'static str, given: usize, max: usize },
    /// The victims' payments in the window are more than [`MAX_SEEDS`].
    #[error("the victims' payments in the window are {found} transfers, more than the {max} one trace may start from: narrow the window or name the seeds")]
    TooManySeeds { found: usize, max: usize },
    /// A sum of amounts passed what i64 fen can hold: hostile or corrupt data, not a trace.
    #[error("amounts in these ledgers sum beyond 92,233,720,368,547,758.07 yuan: the data is not a bank's")]
    AmountOverflow,
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Most seed transfers one trace may start from. A case has a handful, a linked series (串并) hundreds;
/// the engine keeps a share per victim for every transfer it traces, so an unbounded list lets one
/// request take the server's memory (a 1 MB body of 62,000 seeds took 1.2 GB).
pub const MAX_SEEDS: usize = 5_000;
/// Most victim accounts one trace may name.
pub const MAX_VICTIMS: usize = 1_000;

/// A trace option given as text (CLI flags, API fields) that does not parse or is out of range.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {message}")]
pub struct OptionError {
    /// The option's name (`hops`, `as_of`, `min_amount`, `from`, …).
    pub field: &'static str,
    pub message: String,
}

pub(crate) fn option_error(field: &'static str, message: impl Into<String>) -> OptionError {
    OptionError { field, message: message.into() }
}

pub(crate) fn option_time(
    field: &'static str,
    value: Option<&str>,
    default: i64,
    tz: chrono_tz::Tz,
) -> Result<i64, OptionError> {
    value.map_or(Ok(default), |v| {
        crate::timefmt::parse_ts(v, tz).map_err(|e| option_error(field, format!("{v:?}: {e}")))
    })
}

impl TraceParams {
    /// Trace parameters from their text form, checked the same way for the CLI and the API. `as_of`
    /// defaults to now; `hops` to [`DEFAULT_HOPS`].
    pub fn from_text(
        rule: Rule,
        hops: Option<u32>,
        min_amount: Option<&str>,
        as_of: Option<&str>,
        tz: chrono_tz::Tz,
    ) -> Result<TraceParams, OptionError> {
        let hops = hops.unwrap_or(DEFAULT_HOPS);
        if hops == 0 || hops > MAX_HOPS {
            return Err(option_error("hops", format!("must be 1..={MAX_HOPS}, got {hops}")));
        }
        let min_amount_fen = match min_amount.map(str::trim) {
            None | Some("0") => 0,
            Some(v) => crate::money::parse_yuan(v).map_err(|e| option_error("min_amount", format!("{v:?}: {e}")))?,
        };
        let as_of_ms = option_time("as_of", as_of, chrono::Utc::now().timestamp_millis(), tz)?;
        Ok(TraceParams { rule, hops, min_amount_fen, as_of_ms, frozen: BTreeSet::new(), scope: None })
    }
}

impl SeedSpec {
    /// Seeds from their text form: transfer ids, and/or victims with a window (required with victims).
    pub fn from_text(
        txn_ids: &[String],
        victims: &[String],
        from: Option<&str>,
        to: Option<&str>,
        tz: chrono_tz::Tz,
    ) -> Result<SeedSpec, OptionError> {
        if !victims.is_empty() && (from.is_none() || to.is_none()) {
            return Err(option_error("from", "victims need a window: from and to"));
        }
        Ok(SeedSpec {
            txn_ids: txn_ids.to_vec(),
            victims: victims.to_vec(),
            from_ms: option_time("from", from, i64::MIN, tz)?,
            to_ms: option_time("to", to, i64::MAX, tz)?,
        })
    }
}

/// What to start a trace from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedSpec {
    /// External transfer ids: the victims' payments.
    pub txn_ids: Vec<String>,
    /// Victim accounts whose outgoing transfers in `[from_ms, to_ms]` become seeds (except those to
    /// terminals and to the victim's own accounts, i.e. the same holder id).
    pub victims: Vec<String>,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// Whether `other` is one of the victim's own accounts: the same holder id; or, when either holder id is
/// unknown (bank statements give names, not ids), the same holder name, as investigators read a transfer
/// to a namesake's card (同名账户) as moving one's own money, not paying a fraudster.
pub fn is_own_account(victim: &crate::model::AccountAttrs, other: &crate::model::AccountAttrs) -> bool {
    if !victim.holder_id.is_empty() && !other.holder_id.is_empty() {
        return victim.holder_id == other.holder_id;
    }
    !victim.holder_name.is_empty() && victim.holder_name == other.holder_name
}

/// Resolves a seed specification to transfer sequence numbers, in time order.
pub fn resolve_seeds<G: TransferGraph>(g: &G, spec: &SeedSpec, as_of_ms: i64) -> Result<Vec<Seq>, TraceError> {
    if spec.txn_ids.len() > MAX_SEEDS {
        return Err(TraceError::TooManyGiven { field: "seed_txn_ids", given: spec.txn_ids.len(), max: MAX_SEEDS });
    }
    if spec.victims.len() > MAX_VICTIMS {
        return Err(TraceError::TooManyGiven { field: "victims", given: spec.victims.len(), max: MAX_VICTIMS });
    }
    let mut seeds: Vec<(i64, Seq)> = Vec::new();
    for id in &spec.txn_ids {
        let (seq, t) = g.transfer_by_txn_id(id)?.ok_or_else(|| TraceError::UnknownSeed(id.clone()))?;
        if t.ts_ms > as_of_ms {
            return Err(TraceError::SeedAfterAsOf(id.clone()));
        }
        seeds.push((t.ts_ms, seq));
    }
    for v in &spec.victims {
        let id = g.account_id(v)?.ok_or_else(|| TraceError::UnknownAccount(v.clone()))?;
        let victim = g.account_attrs(id)?;
        for e in g.edges(id, Direction::Out, spec.from_ms, spec.to_ms.min(as_of_ms))? {
            let dst = g.account_attrs(e.counterparty)?;
            let terminal = TerminalKind::of_transfer(&dst.kind, e.channel).is_some();
            let own_account = is_own_account(&victim, &dst);
            if !(terminal || own_account) {
                seeds.push((e.ts_ms, e.seq));
            }
        }
    }
    seeds.sort_unstable();
    seeds.dedup();
    if seeds.len() > MAX_SEEDS {
        return Err(TraceError::TooManySeeds { found: seeds.len(), max: MAX_SEEDS });
    }
    if seeds.is_empty() {
        return Err(TraceError::NoSeeds(
            "give --seed-txn, or --victim with a --from/--to window holding the victim's payments".into(),
        ));
    }
    Ok(seeds.into_iter().map(|(_, s)| s).collect())
}
