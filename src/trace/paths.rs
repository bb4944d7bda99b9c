//! Is money from A connected to B? Time-respecting paths between two accounts.
//!
//! A path is a sequence of transfers `A → a1 → … → B`, each in the window, each later than the one
//! before it in time order (`(ts, seq)`, as traces order transfers: money leaves an account only after it
//! arrived), visiting no account twice. Three answers:
//! - the **fewest-hop** path (ties: the earliest arrival at B),
//! - the **earliest-arriving** path (ties: fewer hops),
//! - **all** such paths of at most `max_hops` transfers, up to `limit` of them (the answer says when more
//!   exist), each with its transfers and the amount it could have carried (its smallest transfer).
//!
//! Busy accounts are truncated as FinBench truncates: at each account, its out-transfers in the window
//! sorted newest first (ties: the receiver's id, then seq), the first `truncation` kept — a property of the
//! account and the question, whichever path reaches it. Both are stated in the answer.

use std::collections::{BTreeSet, HashMap};

use super::TraceError;
use crate::graph::{Direction, Edge, TransferGraph};
use crate::model::{AccountId, Seq};
use crate::money::Fen;
use crate::output::{Report, Section};
use crate::timefmt::format_ts;

#[derive(Clone, Debug)]
pub struct PathsParams {
    pub from: AccountId,
    pub to: AccountId,
    /// Transfers with `start_ms <= ts <= end_ms`.
    pub start_ms: i64,
    pub end_ms: i64,
    pub max_hops: u32,
    /// At most this many paths in `all`.
    pub limit: usize,
    /// Out-transfers kept per account (newest first).
    pub truncation: usize,
}

/// One path: its transfers in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub edges: Vec<Edge>,
}

impl Path {
    /// The most the path could have carried: its smallest transfer.
    pub fn bottleneck_fen(&self) -> i64 {
        self.edges.iter().map(|e| e.amount_fen).min().unwrap_or(0)
    }
    fn arrival(&self) -> (i64, Seq) {
        self.edges.last().map_or((i64::MIN, 0), |e| (e.ts_ms, e.seq))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Paths {
    pub fewest_hops: Option<Path>,
    pub earliest_arrival: Option<Path>,
    /// By number of hops, then arrival.
    pub all: Vec<Path>,
    /// More paths exist than `limit`.
    pub more: bool,
    /// Some account had more out-transfers in the window than `truncation`.
    pub truncated: bool,
}

/// The kept out-transfers of an account: in the window, newest first (ties: receiver, seq), at most
/// `truncation` — then sorted back into time order for the search.
fn kept<G: TransferGraph>(g: &G, p: &PathsParams, v: AccountId, truncated: &mut bool) -> Result<Vec<Edge>, TraceError> {
    let mut out = g.edges(v, Direction::Out, p.start_ms, p.end_ms)?;
    if out.len() > p.truncation {
        *truncated = true;
        out.sort_by(|a, b| b.ts_ms.cmp(&a.ts_ms).then(a.counterparty.cmp(&b.counterparty)).then(a.seq.cmp(&b.seq)));
        out.truncate(p.truncation);
    }
    out.sort_by_key(|e| (e.ts_ms, e.seq));
    Ok(out)
}

/// Finds the paths from `p.from` to `p.to`.
pub fn find_paths<G: TransferGraph>(g: &G, p: &PathsParams) -> Result<Paths, TraceError> {
    if p.max_hops == 0 || p.max_hops > crate::policy::PATHS_MAX_HOPS {
        return Err(TraceError::BadParams(format!("max_hops must be 1 to {}", crate::policy::PATHS_MAX_HOPS)));
    }
    let mut out = Paths::default();
    if p.from == p.to {
        return Ok(out);
    }
    let mut cache: HashMap<AccountId, Vec<Edge>> = HashMap::new();
    let mut truncated = false;
    // Where money can still reach `to` from: per account the fewest hops and the latest time money can
    // leave it on a time-respecting way to `to` (backwards from `to`, in-transfers before the successor's
    // latest departure). Together a necessary condition the searches below keep to: they go nowhere money
    // could not still get to `to` from, in time and in the hops left.
    let mut back: HashMap<AccountId, (u32, (i64, Seq))> = HashMap::from([(p.to, (0, (i64::MAX, Seq::MAX)))]);
    let mut frontier = vec![p.to];
    for d in 1..=p.max_hops {
        let mut next = Vec::new();
        for w in frontier {
            let by = back[&w].1;
            for e in g.edges(w, Direction::In, p.start_ms, by.0.min(p.end_ms))? {
                if (e.ts_ms, e.seq) >= by || e.counterparty == p.to {
                    continue;
                }
                let entry = back.entry(e.counterparty).or_insert((d, (i64::MIN, 0)));
                if (e.ts_ms, e.seq) > entry.1 {
                    entry.1 = (e.ts_ms, e.seq);
                    next.push(e.counterparty);
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        frontier = next;
    }
    // The hops still needed from an account, if money arriving there at `at` can still reach `to`.
    let can_reach = |w: AccountId, at: (i64, Seq)| -> Option<u32> {
        back.get(&w).filter(|(_, by)| w == p.to || at < *by).map(|(need, _)| *need)
    };
    if !back.contains_key(&p.from) {
        return Ok(out);
    }
    // Fewest hops and earliest arrival: layer k holds, per account, the earliest arrival by exactly k
    // transfers when that beats every shorter layer (an earlier arrival can go wherever a later one can).
    // Optimal walks found this way visit no account twice: cutting a repeat keeps the arrival and
    // shortens the walk.
    type Layer = HashMap<AccountId, ((i64, Seq), Option<(AccountId, Edge)>)>;
    let mut layers: Vec<Layer> = vec![HashMap::from([(p.from, ((i64::MIN, 0), None))])];
    let mut earliest_seen: HashMap<AccountId, (i64, Seq)> = HashMap::from([(p.from, (i64::MIN, 0))]);
    for k in 1..=p.max_hops {
        let mut next: Layer = HashMap::new();
        let prev: Vec<(AccountId, (i64, Seq))> =
            layers[k as usize - 1].iter().map(|(v, (key, _))| (*v, *key)).collect();
        for (v, key) in prev {
            if v == p.to {
                continue;
            }
            for e in out_edges(g, p, v, &mut cache, &mut truncated)? {
                let at = (e.ts_ms, e.seq);
                let hops_left = can_reach(e.counterparty, at);
                if at <= key || hops_left.is_none_or(|h| k + h > p.max_hops) {
                    continue;
                }
                if earliest_seen.get(&e.counterparty).is_some_and(|seen| *seen <= at) {
                    continue;
                }
                let slot = next.entry(e.counterparty).or_insert((at, Some((v, e))));
                if at < slot.0 {
                    *slot = (at, Some((v, e)));
                }
            }
        }
        for (w, (at, _)) in &next {
            let seen = earliest_seen.entry(*w).or_insert(*at);
            *seen = (*seen).min(*at);
        }
        let done = next.is_empty();
        layers.push(next);
        if done {
            break;
        }
    }
    let walk = |k: usize| -> Path {
        let mut edges = Vec::with_capacity(k);
        let (mut node, mut layer) = (p.to, k);
        while let Some((_, Some((prev, e)))) = layers[layer].get(&node) {
            edges.push(*e);
            node = *prev;
            layer -= 1;
        }
        edges.reverse();
        Path { edges }
    };
    let arrivals: Vec<(usize, (i64, Seq))> = layers
        .iter()
        .enumerate()
        .filter_map(|(k, l)| l.get(&p.to).map(|(at, _)| (k, *at)))
        .filter(|(k, _)| *k > 0)
        .collect();
    out.fewest_hops = arrivals.iter().min_by_key(|(k, at)| (*k, *at)).map(|(k, _)| walk(*k));
    out.earliest_arrival = arrivals.iter().min_by_key(|(k, at)| (*at, *k)).map(|(k, _)| walk(*k));

    // All simple time-ascending paths, shortest first: depth first for each length in turn (so the first
    // `limit` are the shortest), in time order of each step, pruned by the hops still needed to reach
    // `to`; stops after `limit` paths or `policy::PATHS_MAX_STEPS` transfers looked at.
    let mut found: Vec<Path> = Vec::new();
    let mut steps = 0usize;
    'lengths: for len in 1..=p.max_hops {
        let mut stack: Vec<Edge> = Vec::new();
        let mut on_path: BTreeSet<AccountId> = BTreeSet::from([p.from]);
        let mut frames: Vec<(Vec<Edge>, usize)> = vec![(out_edges(g, p, p.from, &mut cache, &mut truncated)?, 0)];
        while let Some((edges, i)) = frames.last_mut() {
            let after = stack.last().map_or((i64::MIN, 0), |e| (e.ts_ms, e.seq));
            let depth = stack.len() as u32;
            let mut advanced = false;
            while *i < edges.len() {
                let e = edges[*i];
                *i += 1;
                steps += 1;
                if steps > crate::policy::PATHS_MAX_STEPS {
                    out.more = true;
                    break 'lengths;
                }
                if (e.ts_ms, e.seq) <= after || on_path.contains(&e.counterparty) {
                    continue;
                }
                let Some(need) = can_reach(e.counterparty, (e.ts_ms, e.seq)) else { continue };
                if depth + 1 + need > len {
                    continue;
                }
                if e.counterparty == p.to {
                    if depth + 1 == len {
                        if found.len() == p.limit {
                            out.more = true;
                            break 'lengths;
                        }
                        let mut edges = stack.clone();
                        edges.push(e);
                        found.push(Path { edges });
                    }
                    continue;
                }
                stack.push(e);
                on_path.insert(e.counterparty);
                let next = out_edges(g, p, e.counterparty, &mut cache, &mut truncated)?;
                frames.push((next, 0));
                advanced = true;
                break;
            }
            if !advanced {
                frames.pop();
                if let Some(e) = stack.pop() {
                    on_path.remove(&e.counterparty);
                }
            }
        }
    }
    found.sort_by_key(|a| (a.edges.len(), a.arrival()));
    out.all = found;
    out.truncated = truncated;
    Ok(out)
}

fn out_edges<G: TransferGraph>(
    g: &G,
    p: &PathsParams,
    v: AccountId,
    cache: &mut HashMap<AccountId, Vec<Edge>>,
    truncated: &mut bool,
) -> Result<Vec<Edge>, TraceError> {
    if let Some(e) = cache.get(&v) {
        return Ok(e.clone());
    }
    let e = kept(g, p, v, truncated)?;
    cache.insert(v, e.clone());
    Ok(e)
}

/// One transfer of a path, as the report shows it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PathStep {
    pub txn_id: String,
    pub ts: String,
    pub from: String,
    pub to: String,
    pub amount: Fen,
}

/// One path in the report.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PathEntry {
    pub hops: usize,
    /// When the money could have arrived at the end account.
    pub arrival: String,
    /// The most it could have carried: its smallest transfer.
    pub carried_at_most: Fen,
    pub transfers: Vec<PathStep>,
}

/// `paths`, `POST /v1/paths`: is money from one account connected to another in a window.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PathsReport {
    pub from: String,
    pub to: String,
    pub start: String,
    pub end: String,
    pub max_hops: u32,
    pub limit: usize,
    /// Out-transfers kept per account, newest first.
    pub truncation: usize,
    pub connected: bool,
    pub fewest_hops: Option<PathEntry>,
    pub earliest_arrival: Option<PathEntry>,
    /// By hops, then arrival.
    pub paths: Vec<PathEntry>,
    /// More paths exist than listed (the limit, or the search's bound of steps).
    pub more: bool,
    /// Some account had more out-transfers in the window than the truncation kept.
    pub truncated: bool,
}

impl PathsReport {
    pub fn build<G: TransferGraph>(
        g: &G,
        p: &PathsParams,
        found: &Paths,
        tz: chrono_tz::Tz,
    ) -> Result<PathsReport, TraceError> {
        let time = |ms: i64| {
            if ms <= i64::MIN / 8 {
                "(start)".to_string()
            } else if ms >= i64::MAX / 8 {
                "(end)".to_string()
            } else {
                format_ts(ms, tz)
            }
        };
        let entry = |path: &Path| -> Result<PathEntry, TraceError> {
            let mut transfers = Vec::with_capacity(path.edges.len());
            let mut from = p.from;
            for e in &path.edges {
                let t = g.transfer(e.seq)?.ok_or_else(|| TraceError::UnknownSeed(format!("#{}", e.seq)))?;
                transfers.push(PathStep {
                    txn_id: t.txn_id.clone(),
                    ts: format_ts(e.ts_ms, tz),
                    from: g.account_external(from)?,
                    to: g.account_external(e.counterparty)?,
                    amount: Fen(e.amount_fen),
                });
                from = e.counterparty;
            }
            Ok(PathEntry {
                hops: path.edges.len(),
                arrival: path.edges.last().map_or_else(String::new, |e| format_ts(e.ts_ms, tz)),
                carried_at_most: Fen(path.bottleneck_fen()),
                transfers,
            })
        };
        Ok(PathsReport {
            from: g.account_external(p.from)?,
            to: g.account_external(p.to)?,
            start: time(p.start_ms),
            end: time(p.end_ms),
            max_hops: p.max_hops,
            limit: p.limit,
            truncation: p.truncation,
            connected: found.fewest_hops.is_some(),
            fewest_hops: found.fewest_hops.as_ref().map(entry).transpose()?,
            earliest_arrival: found.earliest_arrival.as_ref().map(entry).transpose()?,
            paths: found.all.iter().map(entry).collect::<Result<_, _>>()?,
            more: found.more,
            truncated: found.truncated,
        })
    }
}

impl Report for PathsReport {
    fn sections(&self) -> Vec<Section> {
        let describe = |e: &Option<PathEntry>| {
            e.as_ref().map_or_else(
                || "-".to_string(),
                |e| {
                    format!(
                        "{} hop(s), arriving {}, at most {} yuan: {}",
                        e.hops,
                        e.arrival,
                        e.carried_at_most,
                        e.transfers.iter().map(|s| s.txn_id.clone()).collect::<Vec<_>>().join(" → ")
                    )
                },
            )
        };
        let summary = Section::fields(
            format!(
                "Money from {} to {} ({} to {}, at most {} hops)",
                self.from, self.to, self.start, self.end, self.max_hops
            ),
            vec![
                ("connected", self.connected.to_string()),
                ("fewest hops", describe(&self.fewest_hops)),
                ("earliest arrival", describe(&self.earliest_arrival)),
                (
                    "paths",
                    format!(
                        "{}{}{}",
                        self.paths.len(),
                        if self.more { " (more exist: raise --limit or narrow the window)" } else { "" },
                        if self.truncated {
                            format!(
                                "; accounts with more than {} payments kept their newest {}",
                                self.truncation, self.truncation
                            )
                        } else {
                            String::new()
                        }
                    ),
                ),
            ],
        );
        let mut list = Section::new("Paths, fewest hops first", &["hops", "arrival", "at most", "transfers"]);
        for e in &self.paths {
            list.row(vec![
                e.hops.to_string(),
                e.arrival.clone(),
                e.carried_at_most.to_string(),
                e.transfers
                    .iter()
                    .map(|s| format!("{} {}→{} {}", s.txn_id, s.from, s.to, s.amount))
                    .collect::<Vec<_>>()
                    .join(" | "),
            ]);
        }
        vec![summary, list]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::MemGraph;
    use crate::model::Channel;

    /// A pays B at 10, 20, 30 and C at 40; B pays D at 25; C pays D at 50. With truncation 2, A keeps its
    /// newest two payments (C at 40, B at 30): the path A→B(30)→D(25) is not time-ascending anyway, and
    /// A→B(10 or 20)→D(25) is cut by the truncation — only A→C→D remains.
    #[test]
    fn truncation_keeps_each_accounts_newest_payments() {
        let (a, b, c, d) = (1, 2, 3, 4);
        let mut g = MemGraph::new();
        g.add(1, 10, a, b, 100, Channel::Transfer);
        g.add(2, 20, a, b, 200, Channel::Transfer);
        g.add(3, 30, a, b, 300, Channel::Transfer);
        g.add(4, 40, a, c, 400, Channel::Transfer);
        g.add(5, 25, b, d, 150, Channel::Transfer);
        g.add(6, 50, c, d, 50, Channel::Transfer);
        let p =
            |truncation| PathsParams { from: a, to: d, start_ms: 0, end_ms: 100, max_hops: 3, limit: 10, truncation };
        let seqs = |x: &Paths| x.all.iter().map(|p| p.edges.iter().map(|e| e.seq).collect()).collect::<Vec<Vec<u64>>>();
        let all = find_paths(&g, &p(10)).unwrap();
        // Fewest hops ties on 2; the earliest arrival is A→B(10)→D(25).
        assert_eq!(seqs(&all), vec![vec![1, 5], vec![2, 5], vec![4, 6]]);
        assert_eq!(all.earliest_arrival.as_ref().unwrap().edges.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 5]);
        assert_eq!(all.fewest_hops.as_ref().unwrap().bottleneck_fen(), 100);
        assert!(!all.truncated);
        let cut = find_paths(&g, &p(2)).unwrap();
        assert_eq!(seqs(&cut), vec![vec![4, 6]]);
        assert!(cut.truncated);
        assert_eq!(cut.fewest_hops.unwrap().bottleneck_fen(), 50);
        // A limit of one path says there are more.
        let one = find_paths(&g, &PathsParams { limit: 1, ..p(10) }).unwrap();
        assert_eq!((one.all.len(), one.more), (1, true));
    }
}
