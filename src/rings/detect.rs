//! From features to rings: which cards look like mule cards, and which of them one dealer runs.
//!
//! Two kinds of evidence, both required to be specific (legitimate look-alikes show one signal at most):
//! - **attributes**: a device or phone number used by cards of three or more different holders (a family
//!   shares with one other person at most), on a card that is new, passes money through, or cashes out;
//! - **money**: a card that passes money through within the hour (快进快出) and keeps nothing, from several
//!   senders, not a salary forwarder; such a card is a suspect only when money links it to a card with
//!   attribute evidence (a rented card moving a ring's money).
//!
//! Rings are the connected groups of suspects, linked by transfers between them and by shared devices,
//! phones and holders. Hubs (terminal kinds, or 100+ counterparties) are never suspects, so they never glue two
//! rings together.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use petgraph::graph::UnGraph;
use petgraph::unionfind::UnionFind;
use serde::Serialize;

use super::features::{AccountFeatures, AttrTable};
use crate::graph::{Direction, GraphResult, TransferGraph};
use crate::model::{AccountId, AccountKind, AttrKind};
use crate::policy;

/// Thresholds of the detector; their values and the reasons for them are in [`crate::policy`].
#[derive(Clone, Debug, PartialEq)]
pub struct DetectParams {
    /// Holders sharing one device or phone before it counts as a card dealer's.
    pub shared_holders: u32,
    /// A card first used within this many days of opening is new.
    pub new_card_days: i64,
    /// Share of incoming money that left within the hour.
    pub pass_through: f64,
    /// Counterparties at which an account is a hub.
    pub hub_counterparties: usize,
    /// Least money through (fen) for the money signal.
    pub min_flow_fen: i64,
}

impl Default for DetectParams {
    fn default() -> Self {
        DetectParams {
            shared_holders: policy::RING_SHARED_HOLDERS,
            new_card_days: policy::RING_NEW_CARD_DAYS,
            pass_through: policy::RING_PASS_THROUGH,
            hub_counterparties: policy::HUB_COUNTERPARTIES,
            min_flow_fen: policy::RING_MIN_FLOW_FEN,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Receives victims' money (first level).
    Collector,
    /// Passes money between the ring's cards.
    Relay,
    /// Cashes out: ATM, OTC sellers, platforms, purchases.
    Cashout,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Collector => "collector",
            Role::Relay => "relay",
            Role::Cashout => "cashout",
        }
    }
}

/// Why an account is known to be a mule card before its own signals are read: what investigators already
/// have. Such an account is a suspect whatever its signals (hubs aside), and rings grow from it.
#[derive(Clone, Debug, PartialEq)]
pub struct Known {
    pub id: AccountId,
    /// In words, for the evidence: "received 46,100.00 yuan of CASE-00003, CASE-00017".
    pub reasons: Vec<String>,
    /// Given by a person (a 断卡 team's confirmed list, `--around`): trusted even for an account that looks
    /// like a hub. Derived (from traces, stops): hubs stay out.
    pub given: bool,
    /// What its own signals must show before it counts as known: what the registries say of an account is
    /// sometimes indirect, and a scorer's flag is a guess.
    pub corroborate: Corroborate,
}

/// The signals of its own a known account must show ([`Known::corroborate`]), from the weakest demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Corroborate {
    /// Nothing: a person named it, a victim paid it, a stop-payment was placed on it.
    Nothing,
    /// That it passes others' money on ([`Signals::passes_others_money`]): a registered case's money reached
    /// it beyond the first hop, and a person paid out of a rented card's balance looks the same there.
    PassesOn,
    /// A money signal ([`Signals::moves_money`]): the scorer flagged it.
    MoneySignal,
}

impl Known {
    /// An account named by a person, with no more to say.
    pub fn given(id: AccountId) -> Known {
        Known { id, reasons: vec!["known mule (given)".into()], given: true, corroborate: Corroborate::Nothing }
    }
}

#[derive(Clone, Debug)]
pub struct Suspect {
    pub id: AccountId,
    /// Named by the registries or a person (and corroborated where that is required).
    pub known: bool,
    pub reasons: Vec<String>,
    pub attribute_evidence: bool,
    pub money_evidence: bool,
    /// Money evidence that hardly any ordinary account shows (fast pass-through, one-off senders' money
    /// passed on): a ring of money-evidence cards needs one.
    pub strong_money: bool,
    /// Any sign of moving money for others: money evidence, cashing out, or passing half of it on in a day.
    pub moves_money: bool,
}

#[derive(Clone, Debug)]
pub struct RingMember {
    pub id: AccountId,
    pub role: Role,
    pub reasons: Vec<String>,
    pub in_fen: i64,
    pub out_fen: i64,
}

#[derive(Clone, Debug)]
pub struct Ring {
    pub members: Vec<RingMember>,
    /// Shared attribute values (kind, value) and the members that share them.
    pub shared: Vec<(AttrKind, String, Vec<AccountId>)>,
    /// Money that entered the ring from outside (fen).
    pub money_in_fen: i64,
    /// Outside senders into the ring (likely victims), with amounts, largest first.
    pub senders: Vec<(AccountId, i64)>,
    /// Laundering patterns found among the ring's transfers (layering chains, cycles, gather-scatter…).
    pub patterns: Vec<String>,
    pub score: f64,
}

/// A transfer between two suspects.
#[derive(Clone, Copy, Debug)]
struct Inner {
    src: usize,
    dst: usize,
    ts: i64,
}

/// The longest time-respecting chain of transfers through the ring (layering depth).
fn longest_chain(inner: &[Inner]) -> usize {
    let mut sorted: Vec<&Inner> = inner.iter().collect();
    sorted.sort_by_key(|t| t.ts);
    // best[account] = (longest chain ending at it, time it ended); later transfers extend earlier ones.
    let mut best: HashMap<usize, Vec<(i64, usize)>> = HashMap::new();
    let mut longest = 0;
    for t in sorted {
        let before =
            best.get(&t.src).map_or(0, |v| v.iter().filter(|(ts, _)| *ts < t.ts).map(|(_, n)| *n).max().unwrap_or(0));
        let len = before + 1;
        best.entry(t.dst).or_default().push((t.ts, len));
        longest = longest.max(len);
    }
    longest
}

/// Whether some transfer starts a time-respecting path that returns to its source within a day
/// (at most four hops). The search is bounded (a dense ring cannot make it explode): past the budget it
/// answers with what it found so far.
fn has_short_cycle(inner: &[Inner]) -> bool {
    let mut by_src: HashMap<usize, Vec<&Inner>> = HashMap::new();
    for t in inner {
        by_src.entry(t.src).or_default().push(t);
    }
    let mut budget = 200_000usize;
    fn back(
        by_src: &HashMap<usize, Vec<&Inner>>,
        at: usize,
        home: usize,
        after: i64,
        deadline: i64,
        depth: usize,
        budget: &mut usize,
    ) -> bool {
        if depth == 0 || *budget == 0 {
            return false;
        }
        for t in by_src.get(&at).into_iter().flatten() {
            *budget = budget.saturating_sub(1);
            if t.ts > after
                && t.ts <= deadline
                && (t.dst == home || back(by_src, t.dst, home, t.ts, deadline, depth - 1, budget))
            {
                return true;
            }
        }
        false
    }
    inner.iter().any(|t| {
        t.src != t.dst
            && back(
                &by_src,
                t.dst,
                t.src,
                t.ts,
                t.ts + policy::PATTERN_WINDOW_MS,
                policy::PATTERN_CYCLE_HOPS,
                &mut budget,
            )
    })
}

/// Laundering patterns among a ring's cards, in words for the case file.
fn ring_patterns(
    members: &BTreeSet<usize>,
    inner: &[Inner],
    outside_senders: &[usize],
    feats: &[&AccountFeatures],
    holders: &[(String, usize)],
) -> Vec<String> {
    let mine: Vec<Inner> =
        inner.iter().copied().filter(|t| members.contains(&t.src) && members.contains(&t.dst)).collect();
    let mut out = Vec::new();
    let chain = longest_chain(&mine);
    if chain >= 2 {
        out.push(format!("layering: a time-respecting chain of {chain} transfers through the ring's cards"));
    }
    if has_short_cycle(&mine) {
        out.push("cycle: money returns to a card within a day through other cards of the ring".into());
    }
    for (k, f) in feats.iter().enumerate() {
        if outside_senders[k] >= policy::PATTERN_FAN
            && f.receivers as usize >= policy::PATTERN_FAN
            && f.pass_through_1h >= policy::RING_PASS_THROUGH_WEAK
        {
            out.push(format!(
                "gather-scatter: one card collects from {} senders and pays {} receivers",
                outside_senders[k], f.receivers
            ));
            break;
        }
    }
    // Scatter-gather: one card pays two or more ring cards that all pay one same card within a day.
    'sg: for a in members {
        let fan: Vec<&Inner> = mine.iter().filter(|t| t.src == *a).collect();
        for b in members {
            let mids: BTreeSet<usize> = fan
                .iter()
                .filter(|x| {
                    mine.iter().any(|y| {
                        y.src == x.dst && y.dst == *b && y.ts > x.ts && y.ts <= x.ts + policy::PATTERN_WINDOW_MS
                    })
                })
                .map(|x| x.dst)
                .collect();
            if mids.len() >= 2 && !mids.contains(b) && a != b {
                out.push(format!(
                    "scatter-gather: money split over {} cards and gathered again within a day",
                    mids.len()
                ));
                break 'sg;
            }
        }
    }
    for (holder, n) in holders.iter().filter(|(_, n)| *n >= policy::PATTERN_HOLDER_CARDS) {
        out.push(format!("one holder ({holder}) has {n} cards in the ring"));
    }
    out
}

fn is_hub(f: &AccountFeatures, kind: &AccountKind, p: &DetectParams) -> bool {
    policy::is_hub(kind, f.counterparties as usize, p.hub_counterparties)
}

/// One card's rule signals, each with its reason in words.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    pub reasons: Vec<String>,
    /// A device, phone, login IP or MAC used by three or more holders.
    pub shared: bool,
    pub new_card: bool,
    /// 快进快出: most money gone within the hour, nothing kept.
    pub fast: bool,
    /// Most money gone within the day (LIFO), nothing kept.
    pub held: bool,
    /// One-off senders' money passed on within the day.
    pub one_off: bool,
    pub cashout: bool,
    /// Half its money passed on within the day.
    pub passes_on: bool,
    /// Several senders' money passed on fast, or one-off senders' money: hardly any ordinary account's.
    pub strong_money: bool,
    /// It passes on what it receives, whatever the pace or the amount, and is no salaried person's account
    /// (or passes one-off senders' money on within the day): the least a card moving others' money shows.
    pub passes_others_money: bool,
}

impl Signals {
    /// Money evidence: the card passes others' money on.
    pub fn money_evidence(&self) -> bool {
        self.fast || self.held || self.one_off
    }

    /// Any sign of moving money for others.
    pub fn moves_money(&self) -> bool {
        self.money_evidence() || self.cashout || self.passes_on
    }

    /// Attribute evidence: shared with other holders, and a card put to a dealer's use: moving money. A
    /// new card alone is no use (a family sharing a phone opens a card for its student).
    pub fn attribute_evidence(&self) -> bool {
        self.shared && self.moves_money()
    }
}

/// The rule signals of one card.
pub fn signals(f: &AccountFeatures, p: &DetectParams) -> Signals {
    let mut s = Signals::default();
    for (what, holders) in
        [("device", f.holders_on_device), ("phone", f.holders_on_phone), ("login IP or MAC", f.holders_on_login)]
    {
        if holders >= p.shared_holders {
            s.shared = true;
            s.reasons.push(format!("{what} shared by {holders} holders"));
        }
    }
    s.new_card = f.age_at_first_activity_days.is_some_and(|d| d <= p.new_card_days);
    if s.new_card {
        s.reasons.push(format!("first used {} days after opening", f.age_at_first_activity_days.unwrap_or(0)));
    }
    // Money signals. A salary forwarder passes money on too, but it comes from an employer; and a card
    // paying out far more than it received spends its own savings (a victim paying again after a small
    // "rebate"), it does not pass others' money on.
    let not_salary = f.salary_in_share < policy::RING_SALARY_SHARE_MAX
        && (f.out_fen as f64) <= policy::RING_OUT_IN_MAX * f.in_fen as f64;
    let enough = f.in_fen >= p.min_flow_fen;
    let empty = f.balance_left_share < policy::RING_BALANCE_LEFT_MAX;
    s.fast = not_salary
        && enough
        && empty
        && f.pass_through_1h >= p.pass_through
        && f.median_dwell_min.is_some_and(|d| d <= policy::RING_MEDIAN_DWELL_MAX_MIN);
    if s.fast {
        s.reasons.push(format!("{:.0}% of incoming money left within the hour", 100.0 * f.pass_through_1h));
    }
    // Cards that hold money for hours: most of it gone within the day, nothing kept.
    s.held = !s.fast && not_salary && enough && empty && f.lifo_pass_24h >= p.pass_through;
    if s.held {
        s.reasons.push(format!("{:.0}% of incoming money left within the day", 100.0 * f.lifo_pass_24h));
    }
    // A rented card keeps its owner's life; what gives it away is money from one-off senders passed on.
    s.one_off = f.one_off_in_fen >= p.min_flow_fen
        && f.one_off_senders >= policy::RING_ONE_OFF_SENDERS
        && f.one_off_pass_24h >= p.pass_through;
    if s.one_off {
        s.reasons.push(format!(
            "{:.0}% of the money of {} one-off senders left within the day",
            100.0 * f.one_off_pass_24h,
            f.one_off_senders
        ));
    }
    // Spending a small balance at shops and ATMs is anyone's; cashing out a mule's volume is not.
    s.cashout = f.terminal_out_share >= policy::RING_CASHOUT_SHARE
        && f.out_count >= policy::RING_CASHOUT_MIN_OUT
        && empty
        && enough;
    if s.cashout {
        s.reasons.push(format!(
            "{:.0}% of outgoing money to ATMs, OTC sellers, platforms or shops",
            100.0 * f.terminal_out_share
        ));
    }
    // Ties to other cards that are not evidence alone (families buy numbers together, employers open
    // payroll cards together): a phone run joins suspects into one ring; a branch cohort is said only.
    if f.holders_in_phone_run >= p.shared_holders {
        s.reasons.push(format!("phone number in a run of consecutive numbers of {} holders", f.holders_in_phone_run));
    }
    if s.new_card && f.holders_in_branch_cohort >= p.shared_holders {
        s.reasons
            .push(format!("opened at its branch within a week of cards of {} holders", f.holders_in_branch_cohort));
    }
    s.passes_on = not_salary && f.pass_through_24h >= policy::RING_PASS_THROUGH_WEAK;
    // One sender's money passed on fast is a relay's in a chain, or a person paying on a relative's money:
    // evidence in a ring, not alone. From several senders it is a collector's.
    s.strong_money = (s.fast && f.senders >= policy::RING_MIN_SENDERS) || s.one_off;
    let one_off_passed = f.one_off_senders >= policy::RING_ONE_OFF_SENDERS && f.one_off_pass_24h >= p.pass_through;
    s.passes_others_money =
        (not_salary && f.balance_left_share < policy::RING_PASS_THROUGH_WEAK && f.out_fen > 0) || one_off_passed;
    s
}

/// The suspects among all cards. `known` accounts (mules known from registered cases, stops, or given by a
/// person) are suspects whatever their signals, with the weight of attribute evidence, so the ring around
/// them can be found.
pub fn suspects(feats: &[AccountFeatures], table: &AttrTable, p: &DetectParams, known: &[Known]) -> Vec<Suspect> {
    let known: HashMap<AccountId, &Known> = known.iter().map(|k| (k.id, k)).collect();
    let mut out = Vec::new();
    for f in feats {
        let kind = table.kind(f.id);
        let s = signals(f, p);
        // Hubs and payroll accounts are never suspects unless a person names them.
        let excluded = is_hub(f, kind, p) || policy::is_payroll(f.salary_out_share);
        let k = known.get(&f.id).filter(|k| k.given || !excluded).filter(|k| {
            k.given
                || match k.corroborate {
                    Corroborate::Nothing => true,
                    Corroborate::PassesOn => s.passes_others_money,
                    Corroborate::MoneySignal => s.moves_money(),
                }
        });
        let is_known = k.is_some();
        if !is_known && (excluded || f.in_count + f.out_count == 0) {
            continue;
        }
        let mut reasons: Vec<String> = k.map(|k| k.reasons.clone()).unwrap_or_default();
        reasons.extend(s.reasons.iter().cloned());
        let attribute_evidence = is_known || s.attribute_evidence();
        if attribute_evidence || s.money_evidence() {
            out.push(Suspect {
                id: f.id,
                known: is_known,
                reasons,
                attribute_evidence,
                money_evidence: s.money_evidence(),
                strong_money: s.strong_money,
                moves_money: s.moves_money(),
            });
        }
    }
    out
}

/// Groups suspects into rings. Money-only suspects stay only if money links them to a card with
/// attribute evidence (or to a known mule).
pub fn rings<G: TransferGraph + Sync>(
    g: &G,
    feats: &[AccountFeatures],
    table: &AttrTable,
    p: &DetectParams,
    known: &[Known],
) -> GraphResult<Vec<Ring>> {
    let sus = suspects(feats, table, p, known);
    let index: HashMap<AccountId, usize> = sus.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
    let mut graph: UnGraph<usize, ()> = UnGraph::with_capacity(sus.len(), sus.len() * 2);
    let nodes: Vec<_> = (0..sus.len()).map(|i| graph.add_node(i)).collect();
    // Money between suspects.
    let mut money_links: Vec<Vec<usize>> = vec![Vec::new(); sus.len()];
    let mut outside_in: Vec<Vec<(AccountId, i64)>> = vec![Vec::new(); sus.len()];
    let mut inner: Vec<Inner> = Vec::new();
    for (i, s) in sus.iter().enumerate() {
        for dir in [Direction::Out, Direction::In] {
            for e in g.edges(s.id, dir, i64::MIN, i64::MAX)? {
                match index.get(&e.counterparty) {
                    Some(&j) if j != i => {
                        graph.update_edge(nodes[i], nodes[j], ());
                        money_links[i].push(j);
                        if dir == Direction::Out {
                            inner.push(Inner { src: i, dst: j, ts: e.ts_ms });
                        }
                    }
                    Some(_) => {}
                    None if dir == Direction::In => outside_in[i].push((e.counterparty, e.amount_fen)),
                    None => {}
                }
            }
        }
    }
    // Shared attributes among suspects: holders, phones, devices, login IPs and MACs.
    let mut by_attr: BTreeMap<(AttrKind, String), Vec<usize>> = BTreeMap::new();
    for (i, s) in sus.iter().enumerate() {
        for (kind, value) in table.get(s.id).shared_attributes() {
            if kind != AttrKind::Branch {
                by_attr.entry((kind, value.to_string())).or_default().push(i);
            }
        }
        for (kind, value) in table.logins(s.id) {
            by_attr.entry((*kind, value.clone())).or_default().push(i);
        }
    }
    for members in by_attr.values().filter(|m| m.len() > 1) {
        for w in members.windows(2) {
            graph.update_edge(nodes[w[0]], nodes[w[1]], ());
        }
    }
    // Ties: numbers of one run (号段). Branch cohorts are not ties: a busy branch opens many people's
    // cards in a week, and at scale they glued different dealers' rings into one; they stay evidence in
    // words and a feature of the scorer.
    let mut by_run: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, s) in sus.iter().enumerate() {
        if let Some(run) = table.phone_run(&table.get(s.id).phone) {
            by_run.entry(run).or_default().push(i);
        }
    }
    for members in by_run.values() {
        for w in members.windows(2) {
            graph.update_edge(nodes[w[0]], nodes[w[1]], ());
        }
    }
    let mut uf = UnionFind::<usize>::new(sus.len());
    for e in graph.edge_indices() {
        if let Some((a, b)) = graph.edge_endpoints(e) {
            uf.union(graph[a], graph[b]);
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..sus.len() {
        groups.entry(uf.find(i)).or_default().push(i);
    }
    let feat = |id: AccountId| &feats[id as usize];
    let mut out = Vec::new();
    for members in groups.into_values() {
        let in_ring: BTreeSet<usize> = members.iter().copied().collect();
        // What makes a group of linked suspects a ring: a card the registries name; or two or more cards
        // one of which has attribute evidence and one of which moves money; or, on money alone, enough cards with money evidence and a
        // strong money signal among them (one card alone is a wholesaler as often as a mule).
        let is_known = members.iter().any(|&i| sus[i].known);
        // Attributes tie cards together; money shows what they are used for. A family on one phone with a
        // new card is tied, but moves nobody's money.
        let attribute =
            members.iter().any(|&i| sus[i].attribute_evidence) && members.iter().any(|&i| sus[i].moves_money);
        let strong = members.iter().any(|&i| sus[i].strong_money);
        let money_cards = members.iter().filter(|&&i| sus[i].money_evidence).count();
        let is_ring = is_known
            || (members.len() >= 2 && attribute)
            || (money_cards >= policy::RING_MONEY_ONLY_MIN_CARDS && strong);
        if !is_ring {
            continue;
        }
        let mut senders: BTreeMap<AccountId, i64> = BTreeMap::new();
        let mut ring_members = Vec::new();
        for &i in &members {
            let f = feat(sus[i].id);
            let outside: i64 = outside_in[i].iter().map(|(_, a)| a).sum();
            for &(s, a) in &outside_in[i] {
                *senders.entry(s).or_default() += a;
            }
            let role = if f.terminal_out_share >= policy::RING_ROLE_CASHOUT_SHARE {
                Role::Cashout
            } else if f.in_fen > 0 && outside as f64 >= policy::RING_ROLE_COLLECTOR_SHARE * f.in_fen as f64 {
                Role::Collector
            } else {
                Role::Relay
            };
            ring_members.push(RingMember {
                id: sus[i].id,
                role,
                reasons: sus[i].reasons.clone(),
                in_fen: f.in_fen,
                out_fen: f.out_fen,
            });
        }
        let shared = by_attr
            .iter()
            .filter_map(|((k, v), m)| {
                let inside: Vec<AccountId> = m.iter().filter(|i| in_ring.contains(i)).map(|&i| sus[i].id).collect();
                (inside.len() > 1).then(|| (*k, v.clone(), inside))
            })
            .collect::<Vec<_>>();
        let money_in_fen: i64 = senders.values().sum();
        let mut senders: Vec<(AccountId, i64)> = senders.into_iter().collect();
        senders.sort_by_key(|&(s, a)| (std::cmp::Reverse(a), s));
        let n = members.len() as f64;
        let attr_share = members.iter().filter(|&&i| sus[i].attribute_evidence).count() as f64 / n;
        let money_share = members
            .iter()
            .filter(|&&i| {
                let f = feat(sus[i].id);
                f.pass_through_1h >= policy::RING_PASS_THROUGH_WEAK
                    || f.terminal_out_share >= policy::RING_CASHOUT_SHARE
            })
            .count() as f64
            / n;
        let size = (n.min(policy::RING_SCORE_FULL_SIZE) / policy::RING_SCORE_FULL_SIZE).sqrt();
        let flow =
            ((money_in_fen.max(1) as f64 / 100.0).log10() / policy::RING_SCORE_FULL_FLOW_LOG10_YUAN).clamp(0.0, 1.0);
        let score = 100.0
            * (policy::RING_SCORE_WEIGHT_ATTRIBUTES * attr_share
                + policy::RING_SCORE_WEIGHT_MONEY * money_share
                + policy::RING_SCORE_WEIGHT_SIZE * size
                + policy::RING_SCORE_WEIGHT_FLOW * flow);
        ring_members.sort_by_key(|m| (m.role, std::cmp::Reverse(m.in_fen), m.id));
        let outside_counts: Vec<usize> =
            members.iter().map(|&i| outside_in[i].iter().map(|(s, _)| *s).collect::<BTreeSet<_>>().len()).collect();
        let member_feats: Vec<&AccountFeatures> = members.iter().map(|&i| feat(sus[i].id)).collect();
        let holders: Vec<(String, usize)> = shared
            .iter()
            .filter(|(k, _, _)| *k == AttrKind::Holder)
            .map(|(_, v, ids)| (v.clone(), ids.len()))
            .collect();
        let patterns = ring_patterns(&in_ring, &inner, &outside_counts, &member_feats, &holders);
        out.push(Ring { members: ring_members, shared, money_in_fen, senders, patterns, score });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.money_in_fen.cmp(&a.money_in_fen)));
    Ok(out)
}
