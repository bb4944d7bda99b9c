//! Where a card's money came from: the upstream trace.
//!
//! A seized or confirmed mule card X received money in a window. Which victims' money was it, how much
//! from each, through which chain? The answer must be the figure each victim's own (downstream) trace gives,
//! or a charge resting on it could not be reproduced. So the upstream trace is built from the downstream
//! engine, not beside it:
//!
//! 1. **Discovery, backwards in time.** From X's inflows in the window, go back through the senders that
//!    are *conduits* (accounts that pass money on; see [`Conduits`]) up to `hops` levels, each only up to the
//!    last time it paid into what was found (money leaves an account only after it arrived). Every payment
//!    into the found accounts from a non-conduit is an **origin payment**: from a registered victim, an
//!    ordinary payer (a likely unreported victim), a salary payer, a platform, a merchant, a cash deposit;
//!    conduits at the hop limit are origins too (`beyond_hops`: the chain goes on, unfollowed).
//! 2. **Attribution, forwards in time.** One downstream trace with every origin payment as a seed (each
//!    origin its own label), under the chosen rule, over everything up to as-of. What arrives at X in the
//!    window, per label, is the answer; the rest of X's inflow is the conduits' own clean money (history
//!    before the origins' payments, opening balances, what their pools could not explain).
//!
//! Because lots travel in the order taken and labels only ride along (docs/trace-semantics.md), under
//! `fifo` and `lifo` the amount attributed to a victim equals what that victim's own downstream trace
//! delivers to X (`proportional` rounds per lot, so within a fen per split; `poison` is a reach bound and
//! exact per victim), provided every account between them was followed both ways.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rustc_hash::FxHashMap;

use super::{trace_downstream, Rule, Trace, TraceError, TraceParams};
use crate::graph::{Direction, TransferGraph};
use crate::model::{AccountId, AccountKind, ChannelKind, Seq};
use crate::money::Fen;
use crate::output::{Report, Section};
use crate::policy;
use crate::timefmt::format_ts;

/// Which senders the discovery goes back through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Conduits {
    /// Accounts whose behaviour is a conduit's: of everything they received up to the time that matters,
    /// at least `policy::UPSTREAM_CONDUIT_PASS_SHARE` left again within a day (mule cards); ordinary payers
    /// spend from savings and salary, and are where victims' money comes from.
    #[default]
    ByBehaviour,
    /// Every account that is not an origin by kind, channel or registry (for tests and for a full
    /// accounting when the graph is small).
    All,
}

/// An upstream trace's question.
#[derive(Clone, Debug)]
pub struct UpstreamParams {
    pub account: AccountId,
    /// X's inflows in `[from_ms, to_ms]` are traced back.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Transfers after this do not exist (≥ `to_ms`; defaults to it).
    pub as_of_ms: i64,
    pub hops: u32,
    pub rule: Rule,
    pub conduits: Conduits,
    /// Origin payments earlier than `from_ms − lookback_ms` are not looked for (money that sat longer
    /// than this before reaching X in the window is left to the conduits' own money).
    pub lookback_ms: i64,
}

impl UpstreamParams {
    pub fn new(account: AccountId, from_ms: i64, to_ms: i64) -> UpstreamParams {
        UpstreamParams {
            account,
            from_ms,
            to_ms,
            as_of_ms: to_ms,
            hops: super::DEFAULT_HOPS,
            rule: Rule::Fifo,
            conduits: Conduits::ByBehaviour,
            lookback_ms: policy::UPSTREAM_LOOKBACK_MS,
        }
    }
}

/// What an origin is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OriginKind {
    /// The victim of a registered case.
    RegisteredVictim,
    /// A personal account that paid into the chain from its own money: a likely unreported victim.
    OrdinaryPayer,
    /// Salary paid into the chain.
    Salary,
    /// A payment platform or a merchant paying out.
    Platform,
    /// Cash deposited into the chain.
    CashDeposit,
    /// A conduit at the hop limit: the chain goes on beyond it, unfollowed.
    BeyondHops,
}

impl OriginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OriginKind::RegisteredVictim => "registered_victim",
            OriginKind::OrdinaryPayer => "ordinary_payer",
            OriginKind::Salary => "salary",
            OriginKind::Platform => "platform",
            OriginKind::CashDeposit => "cash_deposit",
            OriginKind::BeyondHops => "beyond_hops",
        }
    }
}

/// One origin's money at X.
#[derive(Clone, Debug)]
pub struct OriginShare {
    pub origin: AccountId,
    pub kind: OriginKind,
    /// Fen of this origin's money that arrived at X in the window.
    pub amount_fen: i64,
    /// The origin's payments found (the seeds of the attribution).
    pub payments: Vec<Seq>,
    /// The chain that carried most of it: transfers from the origin's payment to X's inflow, in order.
    pub chain: Vec<Seq>,
}

/// The answer of [`trace_upstream`].
#[derive(Clone, Debug)]
pub struct Upstream {
    pub params: UpstreamParams,
    /// X's inflows in the window: (seq, amount).
    pub inflows: Vec<(Seq, i64)>,
    /// Largest first.
    pub origins: Vec<OriginShare>,
    /// Conduits the discovery went back through, with their level above X (1: paid X directly).
    pub conduits: BTreeMap<AccountId, u32>,
    /// The attribution: one downstream trace from every origin payment.
    pub trace: Option<Trace>,
}

impl Upstream {
    pub fn inflow_fen(&self) -> i64 {
        self.inflows.iter().map(|i| i.1).sum()
    }
    pub fn attributed_fen(&self) -> i64 {
        self.origins.iter().map(|o| o.amount_fen).sum()
    }
    /// Conservation: every origin's money is accounted for in the attribution (not under poison), and X
    /// received no more from origins than it received at all.
    pub fn conserved(&self) -> bool {
        let downstream = self.trace.as_ref().is_none_or(|t| self.params.rule == Rule::Poison || t.conserved());
        downstream && (self.params.rule == Rule::Poison || self.attributed_fen() <= self.inflow_fen())
    }
}

/// Whether an account behaves as a conduit up to `until_ms`: of what it received from others than its
/// holder, the share that left again within a day (oldest money first), and that share reaching the
/// policy's threshold.
fn passes_money_on<G: TransferGraph>(g: &G, id: AccountId, until_ms: i64) -> Result<bool, TraceError> {
    // Money from the holder's own accounts is the holder's own (a victim moving savings to the card they
    // pay from passes it on within the hour, and is still the origin).
    let me = g.account_attrs(id)?;
    // The holder's accounts from the holder index (one lookup); by name only where ids are unknown.
    let holders_accounts: Option<BTreeSet<AccountId>> = if me.holder_id.is_empty() {
        None
    } else {
        Some(g.accounts_sharing(crate::model::AttrKind::Holder, &me.holder_id)?.into_iter().collect())
    };
    let mut own: FxHashMap<AccountId, bool> = FxHashMap::default();
    let mut ins = Vec::new();
    for e in g.edges(id, Direction::In, i64::MIN, until_ms)? {
        let is_own = match (&holders_accounts, own.get(&e.counterparty)) {
            (Some(mine), _) => mine.contains(&e.counterparty),
            (None, Some(o)) => *o,
            (None, None) => {
                let o = super::is_own_account(&me, &g.account_attrs(e.counterparty)?);
                own.insert(e.counterparty, o);
                o
            }
        };
        if !is_own {
            ins.push(e);
        }
    }
    let outs = g.edges(id, Direction::Out, i64::MIN, until_ms.saturating_add(policy::UPSTREAM_PASS_WINDOW_MS))?;
    let received: i64 = ins.iter().map(|e| e.amount_fen).sum();
    if received <= 0 {
        return Ok(false);
    }
    // FIFO match of outflows to inflows: money counts as passed on when it left within the window.
    let mut queue: std::collections::VecDeque<(i64, i64)> = ins.iter().map(|e| (e.ts_ms, e.amount_fen)).collect();
    let mut passed = 0i64;
    for o in &outs {
        let mut need = o.amount_fen;
        while need > 0 {
            let Some(front) = queue.front_mut() else { break };
            if front.0 > o.ts_ms {
                break; // not arrived yet: the outflow is the account's own money
            }
            let part = front.1.min(need);
            if o.ts_ms - front.0 <= policy::UPSTREAM_PASS_WINDOW_MS {
                passed += part;
            }
            front.1 -= part;
            need -= part;
            if front.1 == 0 {
                queue.pop_front();
            }
        }
    }
    Ok(passed as f64 >= policy::UPSTREAM_CONDUIT_PASS_SHARE * received as f64)
}

/// Traces a card's inflows back to their origins. `registered`: the victims of registered cases (the caller
/// names their cases); they are always origins.
pub fn trace_upstream<G: TransferGraph + Sync>(
    g: &G,
    params: &UpstreamParams,
    registered: &BTreeSet<AccountId>,
) -> Result<Upstream, TraceError> {
    trace_upstream_with(g, params, registered, policy::UPSTREAM_PARALLEL_SENDERS)
}

/// [`trace_upstream`], testing the card's own senders in parallel up front from `parallel_from` senders on
/// (a test compares 0 with never).
pub(crate) fn trace_upstream_with<G: TransferGraph + Sync>(
    g: &G,
    params: &UpstreamParams,
    registered: &BTreeSet<AccountId>,
    parallel_from: usize,
) -> Result<Upstream, TraceError> {
    if params.hops == 0 || params.hops > super::MAX_HOPS {
        return Err(TraceError::BadParams(format!("hops must be 1 to {}", super::MAX_HOPS)));
    }
    if params.from_ms > params.to_ms || params.as_of_ms < params.to_ms {
        return Err(TraceError::BadParams("the window must have from ≤ to ≤ as-of".into()));
    }
    let x = params.account;
    let earliest = params.from_ms.saturating_sub(params.lookback_ms);
    let x_in = g.edges(x, Direction::In, params.from_ms, params.to_ms)?;
    let inflows: Vec<(Seq, i64)> = x_in.iter().map(|e| (e.seq, e.amount_fen)).collect();
    // Discovery. `horizon`: the latest time money leaving an account matters; `level`: its nearest level.
    let mut kinds: FxHashMap<AccountId, AccountKind> = FxHashMap::default();
    let mut conduit_memo: FxHashMap<AccountId, bool> = FxHashMap::default();
    // A busy card's own senders are most of the conduit tests (hundreds), and each reads a ledger: test
    // them on all cores up front, with the filters the discovery loop applies before it tests a sender.
    if params.conduits == Conduits::ByBehaviour && params.hops > 1 {
        let mut senders: Vec<AccountId> = x_in
            .iter()
            .filter(|e| !matches!(e.channel, ChannelKind::Salary | ChannelKind::CashDeposit))
            .map(|e| e.counterparty)
            .filter(|s| *s != x && !registered.contains(s))
            .collect();
        senders.sort_unstable();
        senders.dedup();
        if senders.len() >= parallel_from {
            use rayon::prelude::*;
            let tested = senders
                .par_iter()
                .map(|&s| {
                    let kind = g.account_attrs(s)?.kind;
                    let conduit =
                        if policy::is_terminal_kind(&kind) { None } else { Some(passes_money_on(g, s, params.to_ms)?) };
                    Ok((s, kind, conduit))
                })
                .collect::<Result<Vec<_>, TraceError>>()?;
            for (s, kind, conduit) in tested {
                kinds.insert(s, kind);
                if let Some(c) = conduit {
                    conduit_memo.insert(s, c);
                }
            }
        }
    }
    let mut kind = |id: AccountId| -> Result<AccountKind, TraceError> {
        if let Some(k) = kinds.get(&id) {
            return Ok(k.clone());
        }
        let k = g.account_attrs(id)?.kind;
        kinds.insert(id, k.clone());
        Ok(k)
    };
    let mut level: BTreeMap<AccountId, u32> = BTreeMap::from([(x, 0)]);
    let mut horizon: HashMap<AccountId, i64> = HashMap::from([(x, params.to_ms)]);
    let mut expanded_to: HashMap<AccountId, i64> = HashMap::new();
    // Origin payments: seq → (origin, kind).
    let mut seeds: BTreeMap<Seq, (AccountId, OriginKind)> = BTreeMap::new();
    let mut work: Vec<AccountId> = vec![x];
    while let Some(p) = work.pop() {
        let until = horizon[&p];
        let from = if p == x { params.from_ms } else { earliest };
        let done = expanded_to.get(&p).copied();
        if done.is_some_and(|d| d >= until) {
            continue;
        }
        expanded_to.insert(p, until);
        let lvl = level[&p];
        for e in g.edges(p, Direction::In, from, until)? {
            if done.is_some_and(|d| e.ts_ms <= d) {
                continue; // seen when p was expanded to an earlier horizon
            }
            let s = e.counterparty;
            if s == x {
                continue;
            }
            // An origin is decided by the sender (all its payments are then its own money), a conduit is
            // followed further back.
            let refined = |k: OriginKind| match e.channel {
                ChannelKind::Salary => OriginKind::Salary,
                ChannelKind::CashDeposit => OriginKind::CashDeposit,
                _ => k,
            };
            let origin_kind = if registered.contains(&s) {
                Some(OriginKind::RegisteredVictim)
            } else if policy::is_terminal_kind(&kind(s)?) {
                Some(refined(OriginKind::Platform))
            } else if level.contains_key(&s) {
                None // already a conduit
            } else if params.conduits == Conduits::ByBehaviour
                && matches!(e.channel, ChannelKind::Salary | ChannelKind::CashDeposit)
            {
                // Salary and cash deposits are origins by what they are (and an employer's ledger is
                // long: not read for a conduit test).
                Some(refined(OriginKind::OrdinaryPayer))
            } else if lvl + 1 >= params.hops {
                Some(OriginKind::BeyondHops)
            } else {
                let is_conduit = match params.conduits {
                    Conduits::All => true,
                    Conduits::ByBehaviour => match conduit_memo.get(&s) {
                        Some(c) => *c,
                        None => {
                            let c = passes_money_on(g, s, params.to_ms)?;
                            conduit_memo.insert(s, c);
                            c
                        }
                    },
                };
                (!is_conduit).then(|| refined(OriginKind::OrdinaryPayer))
            };
            match origin_kind {
                Some(k) => {
                    seeds.insert(e.seq, (s, k));
                }
                None => {
                    let l = level.entry(s).or_insert(lvl + 1);
                    *l = (*l).min(lvl + 1);
                    let h = horizon.entry(s).or_insert(i64::MIN);
                    if e.ts_ms > *h {
                        *h = e.ts_ms;
                        work.push(s);
                    }
                }
            }
        }
    }
    level.remove(&x);
    // A sender first met beyond the hop limit and later, through a shorter path, as a conduit is a conduit:
    // its pool, not a label, says what its payments carried.
    seeds.retain(|_, (o, _)| !level.contains_key(o));
    if seeds.is_empty() {
        return Ok(Upstream { params: params.clone(), inflows, origins: Vec::new(), conduits: level, trace: None });
    }
    // An origin is named by its strongest kind (a registered victim who was also paid salary is a victim).
    let mut origin_kind: BTreeMap<AccountId, OriginKind> = BTreeMap::new();
    for &(o, k) in seeds.values() {
        let e = origin_kind.entry(o).or_insert(k);
        *e = (*e).min(k);
    }
    let seed_list: Vec<Seq> = seeds.keys().copied().collect();
    // Only the card and its conduits matter for what reaches the card: money leaving them reaches it again
    // only through a sender that discovery found (a conduit, followed, or an origin, seeded).
    let scope: BTreeSet<AccountId> = level.keys().copied().chain([x]).collect();
    let tp = TraceParams {
        rule: params.rule,
        hops: params.hops,
        as_of_ms: params.as_of_ms,
        scope: Some(std::sync::Arc::new(scope)),
        ..Default::default()
    };
    let trace = trace_downstream(g, &seed_list, &tp)?;
    // What arrived at X in the window, per origin, and the transfers that carried it.
    let in_window: BTreeSet<Seq> = inflows.iter().map(|i| i.0).collect();
    let by_seq: FxHashMap<Seq, &super::engine::TracedTransfer> = trace.transfers.iter().map(|t| (t.seq, t)).collect();
    let mut origins = Vec::new();
    for (v, &origin) in trace.victims.iter().enumerate() {
        let arrivals: Vec<&super::engine::TracedTransfer> = trace
            .transfers
            .iter()
            .filter(|t| t.dst == x && in_window.contains(&t.seq) && t.outcome == super::Outcome::Followed)
            .filter(|t| t.traced.get(v) > 0)
            .collect();
        let amount_fen: i64 = arrivals.iter().map(|t| t.traced.get(v)).sum();
        if amount_fen == 0 {
            continue;
        }
        // The chain: from the arrival carrying most of it, back through the source carrying most of
        // this origin's money, to the origin's payment.
        let mut chain = Vec::new();
        let mut at = arrivals.iter().max_by_key(|t| (t.traced.get(v), std::cmp::Reverse(t.seq))).copied();
        while let Some(t) = at {
            chain.push(t.seq);
            if chain.len() > params.hops as usize + 1 {
                break;
            }
            at = t
                .sources
                .iter()
                .filter(|(s, _)| *s != t.seq) // poison names the transfer itself
                .filter_map(|(s, _)| by_seq.get(s).copied())
                .filter(|s| s.traced.get(v) > 0)
                .max_by_key(|s| (s.traced.get(v), std::cmp::Reverse(s.seq)));
        }
        chain.reverse();
        origins.push(OriginShare {
            origin,
            kind: origin_kind[&origin],
            amount_fen,
            payments: seeds.iter().filter(|(_, (o, _))| *o == origin).map(|(s, _)| *s).collect(),
            chain,
        });
    }
    origins.sort_by(|a, b| b.amount_fen.cmp(&a.amount_fen).then(a.origin.cmp(&b.origin)));
    Ok(Upstream { params: params.clone(), inflows, origins, conduits: level, trace: Some(trace) })
}

/// One step of an origin's chain, as the report shows it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChainStep {
    pub txn_id: String,
    pub ts: String,
    pub from: String,
    pub to: String,
    /// The transfer's whole amount.
    pub amount: Fen,
    /// The part of it that was this origin's money.
    pub traced: Fen,
}

/// One origin in the report.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OriginEntry {
    pub account: String,
    pub kind: OriginKind,
    /// This origin's money that arrived at the card in the window.
    pub amount: Fen,
    /// Registered cases whose victim this is.
    pub cases: Vec<String>,
    /// Transfers in the chain that carried most of it (the origin's payment first, the card's inflow last).
    pub hops: usize,
    pub chain: Vec<ChainStep>,
}

/// Totals of an upstream trace.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UpstreamTotals {
    /// Everything the card received in the window.
    pub inflow: Fen,
    /// From registered victims: fraud money by a case's own trace.
    pub from_registered_victims: Fen,
    pub registered_victims: usize,
    pub cases: Vec<String>,
    /// From ordinary payers (personal accounts paying from their own money): likely unreported victims.
    pub from_ordinary_payers: Fen,
    pub ordinary_payers: usize,
    /// From salary, platforms, merchants and cash deposits.
    pub from_other_origins: Fen,
    /// From conduits at the hop limit: the chain goes on, unfollowed.
    pub beyond_hops: Fen,
    /// The conduits' own money: history before the origins' payments, opening balances, what their pools
    /// could not explain.
    pub unattributed: Fen,
    /// Every origin's money is accounted for, and the card received no more than the origins sent.
    pub conserved: bool,
}

/// `trace --upstream`, `POST /v1/trace` with `upstream`: where a card's money came from.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UpstreamReport {
    pub account: String,
    pub from: String,
    pub to: String,
    pub as_of: String,
    pub rule: Rule,
    pub hops: u32,
    /// `behaviour` (senders that pass money on are followed back) or `all`.
    pub follow: String,
    pub totals: UpstreamTotals,
    /// Largest first.
    pub origins: Vec<OriginEntry>,
    /// Accounts the trace went back through, with their level above the card (1: paid it directly).
    pub conduits: Vec<ConduitEntry>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ConduitEntry {
    pub account: String,
    pub level: u32,
}

impl UpstreamReport {
    /// Names what [`trace_upstream`] found. `cases_of`: the registered cases of each registered victim.
    pub fn build<G: TransferGraph>(
        g: &G,
        up: &Upstream,
        cases_of: &BTreeMap<AccountId, Vec<String>>,
        tz: chrono_tz::Tz,
    ) -> Result<UpstreamReport, TraceError> {
        let p = &up.params;
        let victim_index: FxHashMap<AccountId, usize> =
            up.trace.iter().flat_map(|t| t.victims.iter().enumerate().map(|(i, v)| (*v, i))).collect();
        let by_seq: FxHashMap<Seq, &super::engine::TracedTransfer> =
            up.trace.iter().flat_map(|t| t.transfers.iter().map(|x| (x.seq, x))).collect();
        let mut origins = Vec::new();
        for o in &up.origins {
            let mut chain = Vec::new();
            for &seq in &o.chain {
                let t = g.transfer(seq)?.ok_or_else(|| TraceError::UnknownSeed(format!("#{seq}")))?;
                let traced = by_seq.get(&seq).zip(victim_index.get(&o.origin)).map_or(0, |(x, &v)| x.traced.get(v));
                chain.push(ChainStep {
                    txn_id: t.txn_id.clone(),
                    ts: format_ts(t.ts_ms, tz),
                    from: g.account_external(t.src)?,
                    to: g.account_external(t.dst)?,
                    amount: Fen(t.amount_fen),
                    traced: Fen(traced),
                });
            }
            origins.push(OriginEntry {
                account: g.account_external(o.origin)?,
                kind: o.kind,
                amount: Fen(o.amount_fen),
                cases: cases_of.get(&o.origin).cloned().unwrap_or_default(),
                hops: chain.len(),
                chain,
            });
        }
        let sum = |f: &dyn Fn(OriginKind) -> bool| -> i64 {
            up.origins.iter().filter(|o| f(o.kind)).map(|o| o.amount_fen).sum()
        };
        let count = |k: OriginKind| up.origins.iter().filter(|o| o.kind == k).count();
        let mut cases: Vec<String> = origins.iter().flat_map(|o| o.cases.iter().cloned()).collect();
        cases.sort();
        cases.dedup();
        let mut conduits: Vec<ConduitEntry> = up
            .conduits
            .iter()
            .map(|(&id, &level)| Ok(ConduitEntry { account: g.account_external(id)?, level }))
            .collect::<Result<_, TraceError>>()?;
        conduits.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.account.cmp(&b.account)));
        let inflow = up.inflow_fen();
        Ok(UpstreamReport {
            account: g.account_external(p.account)?,
            // No --from: everything before `to` (the lookback then starts at the first transfer).
            from: if p.from_ms <= i64::MIN / 8 { "(start)".into() } else { format_ts(p.from_ms, tz) },
            to: format_ts(p.to_ms, tz),
            as_of: format_ts(p.as_of_ms, tz),
            rule: p.rule,
            hops: p.hops,
            follow: match p.conduits {
                Conduits::ByBehaviour => "behaviour".into(),
                Conduits::All => "all".into(),
            },
            totals: UpstreamTotals {
                inflow: Fen(inflow),
                from_registered_victims: Fen(sum(&|k| k == OriginKind::RegisteredVictim)),
                registered_victims: count(OriginKind::RegisteredVictim),
                cases,
                from_ordinary_payers: Fen(sum(&|k| k == OriginKind::OrdinaryPayer)),
                ordinary_payers: count(OriginKind::OrdinaryPayer),
                from_other_origins: Fen(sum(&|k| {
                    matches!(k, OriginKind::Salary | OriginKind::Platform | OriginKind::CashDeposit)
                })),
                beyond_hops: Fen(sum(&|k| k == OriginKind::BeyondHops)),
                unattributed: Fen((inflow - up.attributed_fen()).max(0)),
                conserved: up.conserved(),
            },
            origins,
            conduits,
        })
    }
}

impl Report for UpstreamReport {
    fn sections(&self) -> Vec<Section> {
        let t = &self.totals;
        let summary = Section::fields(
            format!(
                "Where {}'s money came from ({} to {}; {} rule, {} hops, following {})",
                self.account,
                self.from,
                self.to,
                self.rule.as_str(),
                self.hops,
                self.follow
            ),
            vec![
                ("received in the window", t.inflow.to_string()),
                (
                    "from registered victims",
                    format!("{} from {} victim(s) of case(s) {}", t.from_registered_victims, t.registered_victims, {
                        if t.cases.is_empty() {
                            "-".to_string()
                        } else {
                            t.cases.join(", ")
                        }
                    }),
                ),
                (
                    "from ordinary payers (likely unreported victims)",
                    format!("{} from {} payer(s)", t.from_ordinary_payers, t.ordinary_payers),
                ),
                ("from salary, platforms, merchants, cash", t.from_other_origins.to_string()),
                ("beyond the hop limit", t.beyond_hops.to_string()),
                ("the chain's own money (not attributed)", t.unattributed.to_string()),
                ("conserved", t.conserved.to_string()),
            ],
        );
        let mut o = Section::new("Origins, largest first", &["origin", "kind", "amount", "cases", "hops", "chain"]);
        for e in &self.origins {
            let chain: Vec<String> =
                e.chain.iter().map(|s| format!("{} {}→{} {}", s.txn_id, s.from, s.to, s.traced)).collect();
            o.row(vec![
                e.account.clone(),
                e.kind.as_str().to_string(),
                e.amount.to_string(),
                e.cases.join(", "),
                e.hops.to_string(),
                chain.join(" | "),
            ]);
        }
        vec![summary, o]
    }
}
