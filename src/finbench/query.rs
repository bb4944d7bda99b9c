//! The six reads. Each follows the section of QUERIES.md with its name; the comments say where a choice
//! matters. Truncation lists are a property of (node, parameter set), so each read keeps them in a memo.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use serde::Serialize;
use utoipa::ToSchema;

use super::{cents, round3, thousandths, Edge, EdgeKind, Id, Params, Snapshot, Threshold, Truncation, Window};

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tcr1Row {
    pub other_id: Id,
    pub account_distance: u32,
    pub medium_id: Id,
    pub medium_type: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tcr3Row {
    pub shortest_path_length: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tcr4Row {
    pub other_id: Id,
    pub num_edge2: u64,
    pub sum_edge2_amount: f64,
    pub max_edge2_amount: f64,
    pub num_edge3: u64,
    pub sum_edge3_amount: f64,
    pub max_edge3_amount: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Tcr5Row {
    pub path: Vec<Id>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tcr7Row {
    pub num_src: u64,
    pub num_dst: u64,
    pub in_out_ratio: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tcr8Row {
    pub dst_id: Id,
    pub ratio: f64,
    pub min_distance_from_loan: u32,
}

/// A read's result rows, serialised as the bare array the spec's output is.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Answer {
    Tcr1(Vec<Tcr1Row>),
    Tcr3(Vec<Tcr3Row>),
    Tcr4(Vec<Tcr4Row>),
    Tcr5(Vec<Tcr5Row>),
    Tcr7(Vec<Tcr7Row>),
    Tcr8(Vec<Tcr8Row>),
}

impl Answer {
    pub fn len(&self) -> usize {
        match self {
            Answer::Tcr1(r) => r.len(),
            Answer::Tcr3(r) => r.len(),
            Answer::Tcr4(r) => r.len(),
            Answer::Tcr5(r) => r.len(),
            Answer::Tcr7(r) => r.len(),
            Answer::Tcr8(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs one parameter set.
pub fn run(s: &Snapshot, p: &Params) -> Answer {
    match *p {
        Params::Tcr1 { id, window, truncation } => Answer::Tcr1(tcr1(s, id, window, truncation)),
        Params::Tcr3 { id1, id2, window } => Answer::Tcr3(vec![tcr3(s, id1, id2, window)]),
        Params::Tcr4 { id1, id2, window } => Answer::Tcr4(tcr4(s, id1, id2, window)),
        Params::Tcr5 { id, window, truncation } => Answer::Tcr5(tcr5(s, id, window, truncation)),
        Params::Tcr7 { id, threshold, window, truncation } => {
            Answer::Tcr7(vec![tcr7(s, id, threshold, window, truncation)])
        }
        Params::Tcr8 { id, threshold, window, truncation } => Answer::Tcr8(tcr8(s, id, threshold, window, truncation)),
    }
}

/// Truncated out-transfers in the window, per account, computed once per read.
struct KeptTransfers<'a> {
    s: &'a Snapshot,
    window: Window,
    truncation: Truncation,
    memo: HashMap<Id, Vec<Edge>>,
}

impl<'a> KeptTransfers<'a> {
    fn new(s: &'a Snapshot, window: Window, truncation: Truncation) -> Self {
        KeptTransfers { s, window, truncation, memo: HashMap::new() }
    }

    fn of(&mut self, u: Id) -> &[Edge] {
        let (s, w, t) = (self.s, self.window, self.truncation);
        self.memo.entry(u).or_insert_with(|| {
            t.apply(s.out_of(u).iter().filter(|e| e.kind == EdgeKind::Transfer && w.contains(e.ts)).copied().collect())
        })
    }
}

/// TCR1: walks of 1–3 strictly time-ascending transfers from `id`; for each account a walk ends at (per
/// distance, reading (a)), the blocked media that signed in to it within the window.
fn tcr1(s: &Snapshot, id: Id, w: Window, tr: Truncation) -> Vec<Tcr1Row> {
    if !s.is_account(id) {
        return Vec::new();
    }
    let mut kept = KeptTransfers::new(s, w, tr);
    // For strictly ascending walks, arriving earlier at an account dominates arriving later: keeping the
    // earliest arrival per account and length decides exactly which (account, length) pairs some walk reaches.
    let mut frontier: HashMap<Id, i64> = HashMap::from([(id, i64::MIN)]);
    let mut rows = BTreeSet::new();
    for k in 1..=3u32 {
        let mut next: HashMap<Id, i64> = HashMap::new();
        for (&u, &t) in &frontier {
            for e in kept.of(u) {
                if e.ts > t {
                    let at = next.entry(e.other).or_insert(e.ts);
                    *at = (*at).min(e.ts);
                }
            }
        }
        for &v in next.keys().filter(|&&v| v != id) {
            for &(m, ts) in s.sign_ins.get(&v).map_or(&[][..], Vec::as_slice) {
                if w.contains(ts) && s.media.get(&m).is_some_and(|m| m.blocked) {
                    rows.insert((k, v, m));
                }
            }
        }
        frontier = next;
    }
    rows.into_iter()
        .map(|(k, v, m)| Tcr1Row {
            other_id: v,
            account_distance: k,
            medium_id: m,
            medium_type: s.media[&m].kind.clone(),
        })
        .collect()
}

/// TCR3: hop count of the shortest directed transfer path in the window (breadth-first; no time order, no
/// cap). Unknown ids answer -1 before equal ids answer 0.
fn tcr3(s: &Snapshot, id1: Id, id2: Id, w: Window) -> Tcr3Row {
    let length = if !s.is_account(id1) || !s.is_account(id2) {
        -1
    } else if id1 == id2 {
        0
    } else {
        let mut seen = HashSet::from([id1]);
        let mut queue = VecDeque::from([(id1, 0i64)]);
        let mut found = -1;
        'bfs: while let Some((u, d)) = queue.pop_front() {
            for e in s.out_of(u).iter().filter(|e| e.kind == EdgeKind::Transfer && w.contains(e.ts)) {
                if e.other == id2 {
                    found = d + 1;
                    break 'bfs;
                }
                if seen.insert(e.other) {
                    queue.push_back((e.other, d + 1));
                }
            }
        }
        found
    };
    Tcr3Row { shortest_path_length: length }
}

/// Count, sum and max of a multiset of amounts (cents).
#[derive(Clone, Copy, Default)]
struct Tally {
    n: u64,
    sum: i128,
    max: i64,
}

impl Tally {
    fn add(&mut self, amount: i64) {
        self.max = if self.n == 0 { amount } else { self.max.max(amount) };
        self.n += 1;
        self.sum += amount as i128;
    }
}

/// TCR4: for a transfer src → dst in the window, every `other` closing the triangle dst → other → src;
/// edge2 is other → src, edge3 is dst → other (the result fields' and the figure's reading).
fn tcr4(s: &Snapshot, src: Id, dst: Id, w: Window) -> Vec<Tcr4Row> {
    let in_window = |e: &&Edge| e.kind == EdgeKind::Transfer && w.contains(e.ts);
    if !s.out_of(src).iter().filter(in_window).any(|e| e.other == dst) {
        return Vec::new();
    }
    let mut edge3: HashMap<Id, Tally> = HashMap::new();
    for e in s.out_of(dst).iter().filter(in_window).filter(|e| e.other != src && e.other != dst) {
        edge3.entry(e.other).or_default().add(e.amount);
    }
    let mut edge2: HashMap<Id, Tally> = HashMap::new();
    for e in s.in_of(src).iter().filter(in_window).filter(|e| edge3.contains_key(&e.other)) {
        edge2.entry(e.other).or_default().add(e.amount);
    }
    let mut rows: Vec<(Id, Tally, Tally)> = edge2.into_iter().map(|(o, t2)| (o, t2, edge3[&o])).collect();
    rows.sort_by(|a, b| b.1.sum.cmp(&a.1.sum).then(b.2.sum.cmp(&a.2.sum)).then(a.0.cmp(&b.0)));
    rows.into_iter()
        .map(|(o, t2, t3)| Tcr4Row {
            other_id: o,
            num_edge2: t2.n,
            sum_edge2_amount: cents(t2.sum),
            max_edge2_amount: cents(t2.max as i128),
            num_edge3: t3.n,
            sum_edge3_amount: cents(t3.sum),
            max_edge3_amount: cents(t3.max as i128),
        })
        .collect()
}

/// TCR5: the distinct account sequences of 1–3 strictly time-ascending transfers, no account twice, from
/// each account the person owns.
fn tcr5(s: &Snapshot, person: Id, w: Window, tr: Truncation) -> Vec<Tcr5Row> {
    let starts: BTreeSet<Id> = s.owned.get(&person).map(|a| a.iter().copied().collect()).unwrap_or_default();
    let mut kept = KeptTransfers::new(s, w, tr);
    let mut found: Vec<Vec<Id>> = Vec::new();
    // For one account sequence, taking the earliest qualifying edge at each hop leaves the most room for
    // the next: the sequence exists iff this greedy choice completes it. So expand per distinct neighbour.
    fn extend(kept: &mut KeptTransfers, path: &mut Vec<Id>, t: i64, found: &mut Vec<Vec<Id>>) {
        if path.len() == 4 {
            return;
        }
        let u = *path.last().expect("a path has its start");
        let mut earliest: BTreeMap<Id, i64> = BTreeMap::new();
        for e in kept.of(u) {
            if e.ts > t && !path.contains(&e.other) {
                let at = earliest.entry(e.other).or_insert(e.ts);
                *at = (*at).min(e.ts);
            }
        }
        for (v, ts) in earliest {
            path.push(v);
            found.push(path.clone());
            extend(kept, path, ts, found);
            path.pop();
        }
    }
    for a in starts {
        extend(&mut kept, &mut vec![a], i64::MIN, &mut found);
    }
    found.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    found.into_iter().map(|path| Tcr5Row { path }).collect()
}

/// TCR7: transfers into and out of `id` above the threshold in the window, each side truncated on its own.
fn tcr7(s: &Snapshot, id: Id, threshold: Threshold, w: Window, tr: Truncation) -> Tcr7Row {
    if !s.is_account(id) {
        return Tcr7Row { num_src: 0, num_dst: 0, in_out_ratio: -1.0 };
    }
    // The threshold is in yuan, amounts in cents: amount > threshold × 100.
    let side = |edges: &[Edge]| {
        tr.apply(
            edges
                .iter()
                .filter(|e| e.kind == EdgeKind::Transfer && w.contains(e.ts) && threshold.below(e.amount, 100))
                .copied()
                .collect(),
        )
    };
    let (inn, out) = (side(s.in_of(id)), side(s.out_of(id)));
    let distinct = |edges: &[Edge]| edges.iter().map(|e| e.other).collect::<HashSet<_>>().len() as u64;
    let sum = |edges: &[Edge]| edges.iter().map(|e| e.amount as i128).sum::<i128>();
    // Amounts are never negative (the loader refuses them); an OUT of only zero amounts has no ratio either.
    let ratio = if sum(&out) == 0 {
        -1.0
    } else if inn.is_empty() {
        0.0
    } else {
        thousandths(round3(sum(&inn), sum(&out)))
    };
    Tcr7Row { num_src: distinct(&inn), num_dst: distinct(&out), in_out_ratio: ratio }
}

/// TCR8: from the loan's deposit accounts, 1–3 levels of transfer/withdraw walks over edges carrying more
/// than `threshold` × all money into their source in the window (reading (a)), no time order (reading (b)).
fn tcr8(s: &Snapshot, loan: Id, threshold: Threshold, w: Window, tr: Truncation) -> Vec<Tcr8Row> {
    let Some(&loan_amount) = s.loans.get(&loan) else {
        return Vec::new();
    };
    let upstream = |u: Id| -> i128 {
        let edges = s.in_of(u).iter().filter(|e| w.contains(e.ts)).map(|e| e.amount as i128).sum::<i128>();
        let deposits = s
            .deposits_in
            .get(&u)
            .map_or(0, |d| d.iter().filter(|d| w.contains(d.ts)).map(|d| d.amount as i128).sum::<i128>());
        edges + deposits
    };
    let mut steps: HashMap<Id, Vec<Edge>> = HashMap::new();
    let mut step = |u: Id| -> Vec<Edge> {
        steps
            .entry(u)
            .or_insert_with(|| {
                let base = upstream(u);
                tr.apply(
                    s.out_of(u)
                        .iter()
                        .filter(|e| w.contains(e.ts) && threshold.below(e.amount, base))
                        .copied()
                        .collect(),
                )
            })
            .clone()
    };
    let f0: BTreeSet<Id> = s
        .deposits
        .get(&loan)
        .map(|d| d.iter().filter(|d| w.contains(d.ts)).map(|d| d.account).collect())
        .unwrap_or_default();
    let mut levels = vec![f0];
    for _ in 1..=3 {
        let next: BTreeSet<Id> =
            levels.last().expect("F0 is there").iter().flat_map(|&u| step(u)).map(|e| e.other).collect();
        levels.push(next);
    }
    let mut distance: BTreeMap<Id, u32> = BTreeMap::new();
    for (k, level) in levels.iter().enumerate().skip(1) {
        for &v in level {
            distance.entry(v).or_insert(k as u32 + 1);
        }
    }
    // Each step edge leaving F0 ∪ F1 ∪ F2 once (a set of sources, each source's list once).
    let sources: BTreeSet<Id> = levels[..3].iter().flatten().copied().collect();
    let mut into: HashMap<Id, i128> = HashMap::new();
    for u in sources {
        for e in step(u) {
            *into.entry(e.other).or_default() += e.amount as i128;
        }
    }
    let mut rows: Vec<(u32, i64, Id)> = distance
        .into_iter()
        .map(|(v, d)| {
            let ratio =
                if loan_amount > 0 { round3(into.get(&v).copied().unwrap_or(0), loan_amount as i128) } else { -1000 };
            (d, ratio, v)
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    rows.into_iter().map(|(d, r, v)| Tcr8Row { dst_id: v, ratio: thousandths(r), min_distance_from_loan: d }).collect()
}
