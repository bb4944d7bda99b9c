//! Linking cases (串并): which reported cases one gang ran, from the accounts and attributes their money
//! shares, weighed by what each shared thing says.
//!
//! A shared level-1 collector card says almost everything about who ran two cases; a shop or an OTC
//! seller's card that every gang pays says nothing about who the gang is. So:
//! 1. every case is traced as of its report time;
//! 2. **sinks** are recognised by behaviour (no accounts file labels them): accounts that many senders pay
//!    and that hold or cash out what arrives, and hubs. Money past a sink is the sink's own business, so
//!    each case's *footprint* is what its money reached without passing through one;
//! 3. each shared account is evidence of a strength set by its level in both cases, how specific it is
//!    (shared by 2 cases or by 60), the money both cases put there and how close in time; cards of the two
//!    footprints sharing a device, phone, holder or login are evidence too. Evidence combines as independent
//!    clues (1 − Π(1 − s)), so a link's strength is in 0..1;
//! 4. **groups** are communities of the case graph (Leiden, over links of at least a stated strength), each
//!    with its cohesion and the accounts that define it; a case that fits no group stays alone.
//!
//! Every weight is in [`crate::policy`] with the reason for its value.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;
use serde::Serialize;

use crate::cases::{trace_case, CaseError, CaseSpec};
use crate::graph::TransferGraph;
use crate::model::{AccountId, AttrKind};
use crate::money::Fen;
use crate::output::{Report, Section};
use crate::policy;
use crate::trace::{Trace, TraceParams};

/// Where one case's money went without passing through a sink.
#[derive(Clone, Debug, Default)]
pub struct Footprint {
    /// Per account: the nearest level, the case's money it received, and when it first arrived.
    pub reach: BTreeMap<AccountId, Reach>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reach {
    pub hop: u32,
    pub received_fen: i64,
    pub first_ms: i64,
}

/// An account recognised as a sink: many payers, and it keeps or cashes out what arrives (an OTC seller's
/// card, a shop's, a platform's), or a hub.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SharedSink {
    pub account: String,
    /// Cases whose money reached it.
    pub cases: usize,
    /// The cases' money it received.
    pub money_from_cases: Fen,
    /// Distinct accounts that paid it, over everything recorded.
    pub senders: u32,
    /// Why it is a sink, in words.
    pub why: String,
}

/// The traced money of one case at one account, as the evidence of a link shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LinkEvidence {
    /// `account` (both cases' money reached it) or `device`, `phone`, `holder`, `ip`, `mac` (cards of the
    /// two cases share it).
    pub kind: String,
    /// The shared account, or the card of case a sharing the attribute.
    pub account: String,
    /// The card of case b sharing the attribute (attribute evidence only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_account: Option<String>,
    /// The shared attribute's value (attribute evidence only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub level_a: u32,
    pub level_b: u32,
    pub money_a: Fen,
    pub money_b: Fen,
    /// Cases whose money reached the account (how specific it is).
    pub cases_sharing: usize,
    /// This clue's strength (0..1).
    pub weight: f64,
    /// The clue in an analyst's words.
    pub words: String,
}

/// Two cases and how strongly what they share says one gang ran both.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseLink {
    pub case_a: String,
    pub case_b: String,
    /// 0..1: 1 − Π(1 − clue weight).
    pub strength: f64,
    /// Strongest clue first.
    pub evidence: Vec<LinkEvidence>,
}

/// An account that defines a group: shared by its cases, weighed by the clues it gave.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DefiningAccount {
    pub account: String,
    /// The group's cases whose money reached it.
    pub cases: usize,
    /// Its nearest level in any of them.
    pub level: u32,
    pub money: Fen,
}

/// Cases one gang is likely to have run.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CaseGroup {
    /// `G01`… by size, then by cohesion.
    pub group_id: String,
    pub cases: Vec<String>,
    /// Mean link strength over the group's pairs (unlinked pairs count 0).
    pub cohesion: f64,
    /// Accounts shared within the group, most telling first (at most ten).
    pub defining_accounts: Vec<DefiningAccount>,
}

/// `moneytrail link`, `GET /v1/links`, `GET /v1/cases/{id}/links`: 串并.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LinkReport {
    pub cases: usize,
    /// Groups of two or more cases, largest first.
    pub groups: Vec<CaseGroup>,
    /// Cases that fit no group.
    pub alone: Vec<String>,
    /// Links of at least `policy::LINK_MIN_STRENGTH`, strongest first.
    pub links: Vec<CaseLink>,
    /// Sinks several cases' money reached: worth a stop-payment, never a reason to join two cases.
    pub sinks: Vec<SharedSink>,
}

/// What linking and sink recognition need of a trace — per account its level and the money (summed over
/// victims), and the flows — a fraction of its size: thousands of cases' traces are held at once.
#[derive(Clone, Debug, Default)]
pub struct TraceSketch {
    victims: BTreeSet<AccountId>,
    /// In time order: (src, dst, traced fen, ts) of the transfers carrying traced money to a non-terminal
    /// account.
    flows: Vec<(AccountId, AccountId, i64, i64)>,
    /// Per non-terminal account reached.
    pub accounts: BTreeMap<AccountId, SketchAccount>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct SketchAccount {
    pub hop: u32,
    pub traced_in: i64,
    pub traced_out: i64,
    /// Distinct counterparties of its whole ledger up to the trace's as-of.
    pub counterparties: usize,
}

impl TraceSketch {
    pub fn of(trace: &Trace) -> TraceSketch {
        let flows = trace
            .transfers
            .iter()
            .map(|t| (t.src, t.dst, t.traced.total(), t.ts_ms))
            .filter(|&(_, dst, fen, _)| fen > 0 && trace.accounts.contains_key(&dst))
            .collect();
        let accounts = trace
            .accounts
            .values()
            .map(|a| {
                let s = SketchAccount {
                    hop: a.hop,
                    traced_in: a.traced_in.total(),
                    traced_out: a.traced_out.total(),
                    counterparties: a.counterparties,
                };
                (a.id, s)
            })
            .collect();
        TraceSketch { victims: trace.victims.iter().copied().collect(), flows, accounts }
    }
}

/// The part of a trace that did not pass through a sink: accounts reached from the seeds along traced
/// transfers whose senders are not sinks (sinks themselves are reached, and end there).
pub fn footprint(trace: &TraceSketch, sinks: &BTreeSet<AccountId>) -> Footprint {
    let mut reach: BTreeMap<AccountId, Reach> = BTreeMap::new();
    // Traced transfers are in time order and money leaves an account only after it arrived, so one pass
    // sees every sender's reach before its outgoing transfers.
    for &(src, dst, traced, ts_ms) in &trace.flows {
        if sinks.contains(&src) {
            continue;
        }
        let hop = if trace.victims.contains(&src) {
            1
        } else {
            match reach.get(&src) {
                Some(r) => r.hop + 1,
                None => continue,
            }
        };
        let r = reach.entry(dst).or_insert(Reach { hop, received_fen: 0, first_ms: ts_ms });
        r.hop = r.hop.min(hop);
        r.received_fen += traced;
        r.first_ms = r.first_ms.min(ts_ms);
    }
    Footprint { reach }
}

/// What sink recognition reads of an account's whole ledger.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SinkProfile {
    pub senders: u32,
    pub counterparties: u32,
    pub in_fen: i64,
    pub out_fen: i64,
    /// Paid to ATMs, OTC sellers, platforms or shops (by the receiver's kind and the channel).
    pub terminal_out_fen: i64,
    pub hub: bool,
}

impl SinkProfile {
    /// One pass over the account's ledger (no attribute neighbourhood: sinks are judged by money alone,
    /// and a merchant's branch cohort can be thousands of accounts).
    pub fn read<G: TransferGraph>(g: &G, id: AccountId) -> Result<SinkProfile, crate::graph::GraphError> {
        use crate::graph::Direction;
        let mut senders = std::collections::HashSet::new();
        let mut receivers: HashMap<AccountId, Vec<(i64, crate::model::ChannelKind)>> = HashMap::new();
        let mut p = SinkProfile::default();
        g.for_each_edge(id, Direction::In, i64::MIN, i64::MAX, &mut |e| {
            senders.insert(e.counterparty);
            p.in_fen += e.amount_fen;
            true
        })?;
        g.for_each_edge(id, Direction::Out, i64::MIN, i64::MAX, &mut |e| {
            receivers.entry(e.counterparty).or_default().push((e.amount_fen, e.channel));
            p.out_fen += e.amount_fen;
            true
        })?;
        for (to, paid) in &receivers {
            let kind = g.account_attrs(*to)?.kind;
            p.terminal_out_fen += paid
                .iter()
                .filter(|(_, ch)| crate::trace::TerminalKind::of_transfer(&kind, *ch).is_some())
                .map(|(fen, _)| fen)
                .sum::<i64>();
        }
        p.senders = senders.len() as u32;
        p.counterparties = senders.union(&receivers.keys().copied().collect()).count() as u32;
        p.hub = policy::is_hub(&g.account_attrs(id)?.kind, p.counterparties as usize, policy::HUB_COUNTERPARTIES);
        Ok(p)
    }
}

/// Whether an account is a sink, and why: a hub; or many senders and it keeps or cashes out what arrives;
/// or many senders and the cases' money is a drop in its takings (a merchant's or a platform's collection
/// account settling to its owner: what leaves it is its customers' money, not the cases').
pub fn sink_reason(p: &SinkProfile, cases_fen: i64) -> Option<String> {
    if p.hub {
        return Some(format!("a hub: exchanged money with {} accounts", p.counterparties));
    }
    if p.senders < policy::SINK_MIN_SENDERS || p.in_fen <= 0 {
        return None;
    }
    let kept = (p.in_fen - p.out_fen).max(0) as f64 / p.in_fen as f64;
    let cashed = if p.out_fen > 0 { p.terminal_out_fen as f64 / p.out_fen as f64 } else { 0.0 };
    if kept >= policy::SINK_HELD_SHARE {
        Some(format!(
            "paid by {} accounts and keeps {:.0}% of what arrives (an OTC seller's or a shop's card?)",
            p.senders,
            100.0 * kept
        ))
    } else if cashed >= policy::SINK_CASHOUT_SHARE {
        Some(format!("paid by {} accounts and cashes out {:.0}% of what leaves", p.senders, 100.0 * cashed))
    } else if (cases_fen as f64) < policy::SINK_CASE_SHARE * p.in_fen as f64 {
        Some(format!(
            "paid by {} accounts; the cases' money is {:.1}% of its takings (a merchant's collection account?)",
            p.senders,
            100.0 * cases_fen as f64 / p.in_fen as f64
        ))
    } else {
        None
    }
}

/// The sinks among accounts that traces reached. `traces` holds each case's traces (one per reading, or
/// one); every account with as many counterparties as a sink has is judged by its whole ledger. Returns id →
/// (reason, senders).
pub fn find_sinks<G: TransferGraph + Sync>(
    g: &G,
    traces: &[Vec<TraceSketch>],
) -> Result<BTreeMap<AccountId, (String, u32)>, CaseError> {
    // Per account: cases, their money, and whether it has as many counterparties as a sink.
    let mut reached: HashMap<AccountId, (usize, i64, bool)> = HashMap::new();
    for case in traces {
        let mut best: HashMap<AccountId, (i64, usize)> = HashMap::new();
        for t in case {
            for (&id, a) in &t.accounts {
                let e = best.entry(id).or_default();
                e.0 = e.0.max(a.traced_in);
                e.1 = e.1.max(a.counterparties);
            }
        }
        for (id, (fen, counterparties)) in best {
            let e = reached.entry(id).or_default();
            e.0 += 1;
            e.1 += fen;
            e.2 |= counterparties >= policy::SINK_MIN_SENDERS as usize;
        }
    }
    // Every rule of `sink_reason` needs at least SINK_MIN_SENDERS counterparties (a hub many more), and the
    // trace counted each account's counterparties when it loaded the ledger: only those accounts are judged
    // (at scale, most accounts reached are mule cards and people with a handful).
    let candidates: Vec<(AccountId, i64)> =
        reached.into_iter().filter(|(_, (_, _, many))| *many).map(|(id, (_, fen, _))| (id, fen)).collect();
    let judged: Vec<Option<(AccountId, (String, u32))>> = candidates
        .into_par_iter()
        .map(|(id, fen)| {
            let p = SinkProfile::read(g, id)?;
            Ok(sink_reason(&p, fen).map(|why| (id, (why, p.senders))))
        })
        .collect::<Result<_, CaseError>>()?;
    Ok(judged.into_iter().flatten().collect())
}

/// A level's weight: a shared level-1 collector says most, a level-4 account little.
fn level_weight(hop: u32) -> f64 {
    policy::LINK_LEVEL_WEIGHTS.get(hop.saturating_sub(1) as usize).copied().unwrap_or(policy::LINK_LEVEL_WEIGHT_DEEPER)
}

/// How specific an account is: 1 when two cases share it, falling to 0 as every case does (an IDF).
fn specificity(cases_sharing: usize, all_cases: usize) -> f64 {
    if all_cases <= 2 {
        return 1.0;
    }
    let n = all_cases as f64;
    ((n / cases_sharing.max(2) as f64).ln() / (n / 2.0).ln()).clamp(0.0, 1.0)
}

/// The smaller of the two cases' money there, on a log scale: 100 yuan says little, 10,000 yuan all.
fn money_weight(fen_a: i64, fen_b: i64) -> f64 {
    let yuan = fen_a.min(fen_b) as f64 / 100.0;
    let full = policy::LINK_MONEY_FULL_YUAN.log10();
    let floor = policy::LINK_MONEY_FLOOR_YUAN.log10();
    let x = ((yuan.max(1.0).log10() - floor) / (full - floor)).clamp(0.0, 1.0);
    policy::LINK_MONEY_MIN_WEIGHT + (1.0 - policy::LINK_MONEY_MIN_WEIGHT) * x
}

/// Close in time says more: a week apart halves the surplus over the floor.
fn time_weight(ms_a: i64, ms_b: i64) -> f64 {
    let days = (ms_a - ms_b).abs() as f64 / crate::timefmt::DAY_MS as f64;
    policy::LINK_TIME_FLOOR + (1.0 - policy::LINK_TIME_FLOOR) * 0.5f64.powf(days / policy::LINK_TIME_HALF_LIFE_DAYS)
}

fn combine(weights: impl Iterator<Item = f64>) -> f64 {
    1.0 - weights.fold(1.0, |acc, w| acc * (1.0 - w.clamp(0.0, 1.0)))
}

/// Everything `link` computes before it is named: per case its footprint, the sinks, per pair the clues.
pub struct Linked {
    pub footprints: Vec<Footprint>,
    pub sinks: BTreeMap<AccountId, (String, u32)>,
    /// (case a, case b) with a < b → clues (account or attribute, weight).
    pub pairs: BTreeMap<(usize, usize), Vec<Clue>>,
    /// Case index → its community (`None`: alone).
    pub community: Vec<Option<usize>>,
}

/// One clue of a link, before names are looked up.
#[derive(Clone, Debug)]
pub struct Clue {
    pub account: AccountId,
    /// For attribute clues: the other case's card and the attribute.
    pub other: Option<(AccountId, AttrKind, String)>,
    pub reach_a: Reach,
    pub reach_b: Reach,
    pub cases_sharing: usize,
    pub weight: f64,
}

impl Linked {
    pub fn strength(&self, a: usize, b: usize) -> f64 {
        let key = if a < b { (a, b) } else { (b, a) };
        self.pairs.get(&key).map_or(0.0, |c| combine(c.iter().map(|c| c.weight)))
    }
}

/// Traces every case (in parallel), recognises sinks, weighs every shared account and attribute, and finds
/// the communities.
pub fn link<G: TransferGraph + Sync>(g: &G, cases: &[CaseSpec], base: &TraceParams) -> Result<Linked, CaseError> {
    let per_case: Vec<Vec<TraceSketch>> = cases
        .par_iter()
        .map(|c| trace_case(g, c, base).map(|t| vec![TraceSketch::of(&t)]))
        .collect::<Result<_, _>>()?;
    let sinks = find_sinks(g, &per_case)?;
    let sink_ids: BTreeSet<AccountId> = sinks.keys().copied().collect();
    let footprints: Vec<Footprint> = per_case.iter().map(|t| footprint(&t[0], &sink_ids)).collect();
    let n = cases.len();
    // Shared accounts.
    let mut by_account: BTreeMap<AccountId, Vec<(usize, Reach)>> = BTreeMap::new();
    for (i, f) in footprints.iter().enumerate() {
        for (&id, &r) in &f.reach {
            if !sink_ids.contains(&id) {
                by_account.entry(id).or_default().push((i, r));
            }
        }
    }
    let mut pairs: BTreeMap<(usize, usize), Vec<Clue>> = BTreeMap::new();
    for (&id, hits) in by_account.iter().filter(|(_, h)| h.len() > 1) {
        let spec = specificity(hits.len(), n);
        for (k, &(a, ra)) in hits.iter().enumerate() {
            for &(b, rb) in &hits[k + 1..] {
                let weight = level_weight(ra.hop)
                    * level_weight(rb.hop)
                    * spec
                    * money_weight(ra.received_fen, rb.received_fen)
                    * time_weight(ra.first_ms, rb.first_ms);
                pairs.entry((a, b)).or_default().push(Clue {
                    account: id,
                    other: None,
                    reach_a: ra,
                    reach_b: rb,
                    cases_sharing: hits.len(),
                    weight,
                });
            }
        }
    }
    // Shared attributes among the cards near the victims (levels 1 and 2), one clue per attribute value.
    /// Per attribute value: (case, card, its reach) of every footprint card that has it.
    type CardsWith = BTreeMap<(AttrKind, String), Vec<(usize, AccountId, Reach)>>;
    let mut by_value = CardsWith::new();
    for (i, f) in footprints.iter().enumerate() {
        for (&id, &r) in f.reach.iter().filter(|(id, r)| r.hop <= policy::LINK_ATTR_MAX_LEVEL && !sink_ids.contains(id))
        {
            let attrs = g.account_attrs(id)?;
            for (kind, value) in attrs.shared_attributes().filter(|(k, _)| *k != AttrKind::Branch) {
                by_value.entry((kind, value.to_string())).or_default().push((i, id, r));
            }
        }
    }
    for ((kind, value), hits) in &by_value {
        let cases_with: BTreeSet<usize> = hits.iter().map(|h| h.0).collect();
        if cases_with.len() < 2 {
            continue;
        }
        let spec = specificity(cases_with.len(), n);
        let mut seen: BTreeSet<(usize, usize)> = BTreeSet::new();
        for (k, &(a, ida, ra)) in hits.iter().enumerate() {
            for &(b, idb, rb) in &hits[k + 1..] {
                // The same card in both cases is already an account clue.
                if a == b || ida == idb {
                    continue;
                }
                let (a, b, ida, idb, ra, rb) = if a < b { (a, b, ida, idb, ra, rb) } else { (b, a, idb, ida, rb, ra) };
                if !seen.insert((a, b)) {
                    continue;
                }
                // Weighed as if the two cards were one shared account, discounted for being two cards.
                let weight = policy::LINK_ATTR_WEIGHT
                    * level_weight(ra.hop)
                    * level_weight(rb.hop)
                    * spec
                    * money_weight(ra.received_fen, rb.received_fen)
                    * time_weight(ra.first_ms, rb.first_ms);
                pairs.entry((a, b)).or_default().push(Clue {
                    account: ida,
                    other: Some((idb, *kind, value.clone())),
                    reach_a: ra,
                    reach_b: rb,
                    cases_sharing: cases_with.len(),
                    weight,
                });
            }
        }
    }
    for clues in pairs.values_mut() {
        clues.sort_by(|x, y| y.weight.total_cmp(&x.weight).then(x.account.cmp(&y.account)));
    }
    let community = communities(n, &pairs);
    Ok(Linked { footprints, sinks, pairs, community })
}

/// Leiden over the links of at least `policy::LINK_GROUP_MIN_STRENGTH`, weighted by strength; cases in a
/// community of one are alone.
fn communities(n: usize, pairs: &BTreeMap<(usize, usize), Vec<Clue>>) -> Vec<Option<usize>> {
    let edges: Vec<(usize, usize, f64)> = pairs
        .iter()
        .map(|(&(a, b), c)| (a, b, combine(c.iter().map(|c| c.weight))))
        .filter(|e| e.2 >= policy::LINK_GROUP_MIN_STRENGTH)
        .collect();
    if n == 0 || edges.is_empty() {
        return vec![None; n];
    }
    let mut builder = leiden_rs::GraphDataBuilder::new(n);
    for &(a, b, w) in &edges {
        // The builder refuses only out-of-range nodes and non-finite weights, which cannot occur here.
        let _ = builder.add_edge(a, b, w);
    }
    let assignment: Vec<usize> = match builder.build() {
        Ok(graph) => {
            let config = leiden_rs::LeidenConfig {
                resolution: policy::LINK_LEIDEN_RESOLUTION,
                seed: Some(policy::LINK_LEIDEN_SEED),
                ..Default::default()
            };
            match leiden_rs::Leiden::new(config).run(&graph) {
                Ok(r) => (0..n).map(|i| r.partition.community_of(i)).collect(),
                // Leiden failing on a well-formed graph would be a bug of the crate: fall back to the
                // connected components of the strong links rather than answering nothing.
                Err(_) => components(n, &edges),
            }
        }
        Err(_) => components(n, &edges),
    };
    let mut size: HashMap<usize, usize> = HashMap::new();
    for &c in &assignment {
        *size.entry(c).or_default() += 1;
    }
    assignment.iter().map(|c| (size[c] > 1).then_some(*c)).collect()
}

fn components(n: usize, edges: &[(usize, usize, f64)]) -> Vec<usize> {
    let mut uf = petgraph::unionfind::UnionFind::<usize>::new(n);
    for &(a, b, _) in edges {
        uf.union(a, b);
    }
    (0..n).map(|i| uf.find(i)).collect()
}

fn clue_words(kind: &str, clue: &Clue, account: &str, other: Option<&str>, value: Option<&str>) -> String {
    let money = |r: &Reach| Fen(r.received_fen).to_string();
    let days = (clue.reach_a.first_ms - clue.reach_b.first_ms).abs() as f64 / crate::timefmt::DAY_MS as f64;
    match (other, value) {
        (Some(other), Some(value)) => format!(
            "cards {account} (level {}) and {other} (level {}) share {kind} {value}",
            clue.reach_a.hop, clue.reach_b.hop
        ),
        _ => format!(
            "both cases' money reached {account}: level {} and {}, {} and {} yuan, {:.1} days apart; {} of the cases reach it",
            clue.reach_a.hop,
            clue.reach_b.hop,
            money(&clue.reach_a),
            money(&clue.reach_b),
            days,
            clue.cases_sharing
        ),
    }
}

impl LinkReport {
    /// Names what `link` found. `only` keeps the links and group of one case (the case page).
    pub fn build<G: TransferGraph>(
        g: &G,
        cases: &[CaseSpec],
        linked: &Linked,
        only: Option<usize>,
    ) -> Result<LinkReport, CaseError> {
        let name = |id: AccountId| g.account_external(id).map_err(CaseError::from);
        let involves = |a: usize, b: usize| only.is_none_or(|o| a == o || b == o);
        let mut links = Vec::new();
        for (&(a, b), clues) in &linked.pairs {
            let strength = combine(clues.iter().map(|c| c.weight));
            if strength < policy::LINK_MIN_STRENGTH || !involves(a, b) {
                continue;
            }
            let mut evidence = Vec::new();
            for c in clues.iter().take(policy::LINK_EVIDENCE_SHOWN) {
                let account = name(c.account)?;
                let (kind, other, value) = match &c.other {
                    Some((o, k, v)) => (k.as_str().to_string(), Some(name(*o)?), Some(v.clone())),
                    None => ("account".to_string(), None, None),
                };
                let words = clue_words(&kind, c, &account, other.as_deref(), value.as_deref());
                evidence.push(LinkEvidence {
                    kind,
                    account,
                    other_account: other,
                    value,
                    level_a: c.reach_a.hop,
                    level_b: c.reach_b.hop,
                    money_a: Fen(c.reach_a.received_fen),
                    money_b: Fen(c.reach_b.received_fen),
                    cases_sharing: c.cases_sharing,
                    weight: (c.weight * 1000.0).round() / 1000.0,
                    words,
                });
            }
            links.push(CaseLink {
                case_a: cases[a].case_id.clone(),
                case_b: cases[b].case_id.clone(),
                strength: (strength * 1000.0).round() / 1000.0,
                evidence,
            });
        }
        links.sort_by(|x, y| {
            y.strength.total_cmp(&x.strength).then_with(|| (&x.case_a, &x.case_b).cmp(&(&y.case_a, &y.case_b)))
        });
        // Groups.
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut alone = Vec::new();
        for (i, c) in linked.community.iter().enumerate() {
            match c {
                Some(c) => members.entry(*c).or_default().push(i),
                None if only.is_none_or(|o| o == i) => alone.push(cases[i].case_id.clone()),
                None => {}
            }
        }
        let mut groups = Vec::new();
        for ids in members.into_values() {
            if only.is_some_and(|o| !ids.contains(&o)) {
                continue;
            }
            let mut total = 0.0;
            let mut npairs = 0usize;
            for (k, &a) in ids.iter().enumerate() {
                for &b in &ids[k + 1..] {
                    total += linked.strength(a, b);
                    npairs += 1;
                }
            }
            let cohesion = if npairs == 0 { 0.0 } else { total / npairs as f64 };
            // Defining accounts: shared by two or more of the group's cases, most telling first.
            let mut shared: BTreeMap<AccountId, (usize, u32, i64)> = BTreeMap::new();
            for &i in &ids {
                for (&id, r) in &linked.footprints[i].reach {
                    if linked.sinks.contains_key(&id) {
                        continue;
                    }
                    let e = shared.entry(id).or_insert((0, u32::MAX, 0));
                    e.0 += 1;
                    e.1 = e.1.min(r.hop);
                    e.2 += r.received_fen;
                }
            }
            // What each account told: the summed weight of the clues it gave within the group.
            let mut told: HashMap<AccountId, f64> = HashMap::new();
            for (k, &a) in ids.iter().enumerate() {
                for &b in &ids[k + 1..] {
                    for c in linked.pairs.get(&(a.min(b), a.max(b))).into_iter().flatten().filter(|c| c.other.is_none())
                    {
                        *told.entry(c.account).or_default() += c.weight;
                    }
                }
            }
            let mut defining: Vec<(AccountId, (usize, u32, i64))> =
                shared.into_iter().filter(|(_, (n, _, _))| *n >= 2).collect();
            let told_of = |id: &AccountId| told.get(id).copied().unwrap_or(0.0);
            defining
                .sort_by(|x, y| told_of(&y.0).total_cmp(&told_of(&x.0)).then(y.1 .0.cmp(&x.1 .0)).then(x.0.cmp(&y.0)));
            let defining_accounts = defining
                .into_iter()
                .take(10)
                .map(|(id, (n, level, fen))| {
                    Ok(DefiningAccount { account: name(id)?, cases: n, level, money: Fen(fen) })
                })
                .collect::<Result<_, CaseError>>()?;
            let mut names: Vec<String> = ids.iter().map(|&i| cases[i].case_id.clone()).collect();
            names.sort();
            groups.push(CaseGroup {
                group_id: String::new(),
                cases: names,
                cohesion: (cohesion * 1000.0).round() / 1000.0,
                defining_accounts,
            });
        }
        groups.sort_by(|x, y| {
            y.cases.len().cmp(&x.cases.len()).then(y.cohesion.total_cmp(&x.cohesion)).then(x.cases.cmp(&y.cases))
        });
        for (i, grp) in groups.iter_mut().enumerate() {
            grp.group_id = format!("G{:02}", i + 1);
        }
        // Shared sinks: the ones two or more cases reached.
        let mut sink_cases: BTreeMap<AccountId, (usize, i64)> = BTreeMap::new();
        for (i, f) in linked.footprints.iter().enumerate() {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            for (&id, r) in &f.reach {
                if linked.sinks.contains_key(&id) {
                    let e = sink_cases.entry(id).or_default();
                    e.0 += 1;
                    e.1 += r.received_fen;
                }
            }
        }
        let min_cases = if only.is_some() { 1 } else { 2 };
        let mut sinks = Vec::new();
        for (id, (n, fen)) in sink_cases.into_iter().filter(|(_, (n, _))| *n >= min_cases) {
            let (why, senders) = &linked.sinks[&id];
            sinks.push(SharedSink {
                account: name(id)?,
                cases: n,
                money_from_cases: Fen(fen),
                senders: *senders,
                why: why.clone(),
            });
        }
        sinks.sort_by(|x, y| y.cases.cmp(&x.cases).then(y.money_from_cases.cmp(&x.money_from_cases)));
        Ok(LinkReport { cases: cases.len(), groups, alone, links, sinks })
    }
}

impl Report for LinkReport {
    fn sections(&self) -> Vec<Section> {
        // The analyst's note first: what was studied, one paragraph per group, then what was set aside.
        let mut note = Section::new(format!("串并 note: {} cases", self.cases), &["group", "finding"]);
        let in_groups: usize = self.groups.iter().map(|g| g.cases.len()).sum();
        note.row(vec![
            "summary".into(),
            format!(
                "{} cases studied: {} in {} group(s), each likely one gang's; {} fit no group; {} account(s) that several \
                 cases' money reached are shared sinks, set aside (not used to link).",
                self.cases,
                in_groups,
                self.groups.len(),
                self.alone.len(),
                self.sinks.len()
            ),
        ]);
        for g in &self.groups {
            let defining: Vec<String> = g
                .defining_accounts
                .iter()
                .take(3)
                .map(|d| match d.level {
                    1 => format!("card {} ({} of the cases; victims paid it directly)", d.account, d.cases),
                    l => format!("card {} ({} of the cases; level {l} at nearest)", d.account, d.cases),
                })
                .collect();
            note.row(vec![
                g.group_id.clone(),
                format!(
                    "{} cases likely run by one gang: {} (cohesion {:.2}). Common ground: {}. Worth investigating \
                     together, and stopping the shared cards.",
                    g.cases.len(),
                    g.cases.join(", "),
                    g.cohesion,
                    if defining.is_empty() {
                        "their cards' devices, phones or holders".to_string()
                    } else {
                        defining.join("; ")
                    }
                ),
            ]);
        }
        if !self.alone.is_empty() {
            note.row(vec![
                "alone".into(),
                format!("{} cases fit no group: {}", self.alone.len(), self.alone.join(", ")),
            ]);
        }
        for s in &self.sinks {
            note.row(vec![
                "sink".into(),
                format!(
                    "{} is a shared sink of {} cases ({} yuan): {}. Worth a stop-payment; no reason to join the cases.",
                    s.account, s.cases, s.money_from_cases, s.why
                ),
            ]);
        }
        let mut l = Section::new("Links, strongest first", &["case a", "case b", "strength", "strongest clues"]);
        for link in &self.links {
            l.row(vec![
                link.case_a.clone(),
                link.case_b.clone(),
                format!("{:.2}", link.strength),
                link.evidence.iter().take(2).map(|e| e.words.clone()).collect::<Vec<_>>().join(" | "),
            ]);
        }
        vec![note, l]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::MemGraph;
    use crate::model::Channel;

    const MIN: i64 = 60_000;
    const DAY: i64 = 86_400_000;
    // Victims 100–102; gang one's collector K1 and relay R1; gang two's collector K3 and relay R3; an OTC
    // seller's card S that both gangs pay and forty buyers pay; X, where S's own money goes.
    const K1: AccountId = 1;
    const R1: AccountId = 2;
    const K3: AccountId = 3;
    const R3: AccountId = 4;
    const S: AccountId = 5;
    const X: AccountId = 6;

    /// Cases 1 and 2 (victims 100, 101) pay K1; case 3 (victim 102) pays K3. Both gangs' relays pay S.
    fn two_gangs_one_seller() -> (MemGraph, Vec<CaseSpec>) {
        let mut g = MemGraph::new();
        let t0 = 10 * DAY;
        g.add(1, t0, 100, K1, 5_000_000, Channel::Transfer);
        g.add(2, t0 + 30 * MIN, 101, K1, 3_000_000, Channel::Transfer);
        g.add(3, t0 + 40 * MIN, K1, R1, 8_000_000, Channel::Transfer);
        g.add(4, t0 + 50 * MIN, R1, S, 8_000_000, Channel::Transfer);
        g.add(5, t0 + DAY, 102, K3, 4_000_000, Channel::Transfer);
        g.add(6, t0 + DAY + 10 * MIN, K3, R3, 4_000_000, Channel::Transfer);
        g.add(7, t0 + DAY + 20 * MIN, R3, S, 4_000_000, Channel::Transfer);
        // Forty buyers pay the seller, who keeps it all but one payment to X.
        for b in 0..40u32 {
            g.add(100 + u64::from(b), i64::from(b) * DAY / 8, 200 + b, S, 1_000_000, Channel::Transfer);
        }
        g.add(200, t0 + 2 * DAY, S, X, 1_000_000, Channel::Transfer);
        let case = |id: &str, seed: &str| CaseSpec {
            case_id: id.into(),
            seed_txn_ids: vec![seed.into()],
            as_of_ms: Some(t0 + 3 * DAY),
        };
        (g, vec![case("C1", "T1"), case("C2", "T2"), case("C3", "T5")])
    }

    #[test]
    fn a_shared_collector_links_and_a_shared_seller_does_not() {
        let (g, cases) = two_gangs_one_seller();
        let linked = link(&g, &cases, &TraceParams::default()).unwrap();
        assert_eq!(linked.sinks.keys().copied().collect::<Vec<_>>(), vec![S], "S keeps what 41 payers send");
        // C1 and C2 share K1 at level 1 and R1 at level 2; money 50,000 and 30,000 yuan (full weight), 30
        // minutes apart (time ≈ 1), two of three cases (specificity 1): K1 = 1 × 1 × 1, so the link is 1.
        assert!((linked.strength(0, 1) - 1.0).abs() < 1e-3, "{}", linked.strength(0, 1));
        // C3 shares only S with them, and S is a sink: no link at all.
        assert_eq!(linked.strength(0, 2), 0.0);
        assert_eq!(linked.strength(1, 2), 0.0);
        assert_eq!(linked.community[0], linked.community[1]);
        assert!(linked.community[0].is_some() && linked.community[2].is_none(), "{:?}", linked.community);
        // Footprints reach the sink and stop there: X (the seller's own payment) is nobody's.
        for f in &linked.footprints {
            assert!(f.reach.contains_key(&S) && !f.reach.contains_key(&X));
        }
        assert_eq!(linked.footprints[0].reach[&K1].hop, 1);
        assert_eq!(linked.footprints[0].reach[&R1].hop, 2);
        let report = LinkReport::build(&g, &cases, &linked, None).unwrap();
        assert_eq!(report.groups.len(), 1);
        assert_eq!(report.groups[0].cases, vec!["C1", "C2"]);
        assert_eq!(report.groups[0].defining_accounts[0].account, "A1", "the level-1 collector defines the group");
        assert_eq!(report.alone, vec!["C3"]);
        assert_eq!(report.sinks.len(), 1);
        assert_eq!((report.sinks[0].account.as_str(), report.sinks[0].cases), ("A5", 3));
        assert_eq!(report.links.len(), 1);
        assert_eq!(report.links[0].evidence[0].account, "A1");
        // The case page of C3: alone, no links, and the sink its money reached.
        let page = LinkReport::build(&g, &cases, &linked, Some(2)).unwrap();
        assert!(page.links.is_empty() && page.groups.is_empty() && page.alone == vec!["C3"]);
        assert_eq!(page.sinks.len(), 1);
    }

    #[test]
    fn weights_by_hand() {
        // Specificity: 2 of 100 cases → 1; all 100 → 0; 10 of 100 → ln(10)/ln(50).
        assert_eq!(specificity(2, 100), 1.0);
        assert_eq!(specificity(100, 100), 0.0);
        assert!((specificity(10, 100) - 10f64.ln() / 50f64.ln()).abs() < 1e-12);
        // Money: the smaller side counts; floor weight at or under 100 yuan, full at 10,000.
        assert_eq!(money_weight(10_000, 5_000_000), policy::LINK_MONEY_MIN_WEIGHT);
        assert_eq!(money_weight(1_000_000, 5_000_000), 1.0);
        let mid = policy::LINK_MONEY_MIN_WEIGHT + (1.0 - policy::LINK_MONEY_MIN_WEIGHT) * 0.5;
        assert!((money_weight(100_000, 100_000) - mid).abs() < 1e-12, "1,000 yuan is half-way on the log scale");
        // Time: one half-life apart halves the surplus over the floor.
        let half = (policy::LINK_TIME_HALF_LIFE_DAYS * DAY as f64) as i64;
        assert!(
            (time_weight(0, half) - (policy::LINK_TIME_FLOOR + (1.0 - policy::LINK_TIME_FLOOR) / 2.0)).abs() < 1e-12
        );
        // Levels: the stated table, then the floor.
        assert_eq!(level_weight(1), policy::LINK_LEVEL_WEIGHTS[0]);
        assert_eq!(level_weight(9), policy::LINK_LEVEL_WEIGHT_DEEPER);
        // Independent clues: 1 − (1 − 0.5)(1 − 0.5) = 0.75.
        assert!((combine([0.5, 0.5].into_iter()) - 0.75).abs() < 1e-12);
        assert_eq!(combine(std::iter::empty()), 0.0);
    }
}
