//! The FinBench transfer reads, checked three ways:
//! - hand-worked answers on a small graph written as FinBench CSV files (the loader included);
//! - an independent brute-force reference (walks and paths enumerated edge by edge — TCR8's walks expanded
//!   once per (account, steps) — truncation by explicit ranking, shortest paths by relaxation) on random graphs with ties, multi-edges, self-loops and
//!   negative ids, every truncation order;
//! - every shipped parameter set of the six reads, through the binary, against the same reference over
//!   the snapshot read by this file's own parser.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use moneytrail::finbench::{self, EdgeKind, Params, Query, Snapshot, Threshold, Truncation, TruncationOrder, Window};
use proptest::prelude::*;
use serde_json::{json, Value};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_moneytrail"))
}

fn dataset() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/finbench-sf0.01")
}

// ---------------------------------------------------------------------------------------------------------
// The world as plain lists, and the brute-force reference over them.

#[derive(Clone, Debug, Default)]
struct World {
    accounts: BTreeSet<i64>,
    /// (from, to, cents, ts, kind): kind 0 transfer, 1 withdraw.
    edges: Vec<(i64, i64, i64, i64, u8)>,
    /// medium → (type, blocked)
    media: BTreeMap<i64, (String, bool)>,
    /// (medium, account, ts)
    sign_ins: Vec<(i64, i64, i64)>,
    /// (person, account)
    owns: Vec<(i64, i64)>,
    loans: BTreeMap<i64, i64>,
    /// (loan, account, cents, ts)
    deposits: Vec<(i64, i64, i64, i64)>,
}

impl World {
    fn snapshot(&self) -> Snapshot {
        let mut s = Snapshot::default();
        for &a in &self.accounts {
            s.add_account(a);
        }
        for &(f, t, a, ts, k) in &self.edges {
            s.add_edge(if k == 0 { EdgeKind::Transfer } else { EdgeKind::Withdraw }, f, t, a, ts);
        }
        for (&m, (kind, blocked)) in &self.media {
            s.add_medium(m, kind, *blocked);
        }
        for &(m, a, ts) in &self.sign_ins {
            s.add_sign_in(m, a, ts);
        }
        for &(p, a) in &self.owns {
            s.add_own(p, a);
        }
        for (&l, &amount) in &self.loans {
            s.add_loan(l, amount);
        }
        for &(l, a, amount, ts) in &self.deposits {
            s.add_deposit(l, a, amount, ts);
        }
        s
    }

    fn known(&self, id: i64) -> bool {
        self.accounts.contains(&id) || self.edges.iter().any(|e| e.0 == id || e.1 == id)
    }
}

fn inside(w: Window, t: i64) -> bool {
    w.start < t && t < w.end
}

/// Indices of the edges kept at a node: candidates ranked by the order, then the far endpoint, time,
/// amount and kind; an edge is kept when fewer than `limit` candidates rank before it (equal edges are
/// ranked by their position, so exactly `limit` survive).
fn kept(w: &World, cands: &[usize], far: impl Fn(usize) -> i64, tr: Truncation) -> Vec<usize> {
    let before = |a: usize, b: usize| -> bool {
        let (ea, eb) = (w.edges[a], w.edges[b]);
        let primary = match tr.order {
            TruncationOrder::TimestampDescending => eb.3.cmp(&ea.3),
            TruncationOrder::TimestampAscending => ea.3.cmp(&eb.3),
            TruncationOrder::AmountDescending => eb.2.cmp(&ea.2),
            TruncationOrder::AmountAscending => ea.2.cmp(&eb.2),
        };
        let ord = primary.then(far(a).cmp(&far(b))).then(ea.3.cmp(&eb.3)).then(ea.2.cmp(&eb.2)).then(ea.4.cmp(&eb.4));
        ord.is_lt() || (ord.is_eq() && a < b)
    };
    cands.iter().copied().filter(|&e| cands.iter().filter(|&&o| o != e && before(o, e)).count() < tr.limit).collect()
}

fn out_transfers(w: &World, u: i64, win: Window, tr: Truncation) -> Vec<usize> {
    let c: Vec<usize> =
        (0..w.edges.len()).filter(|&i| w.edges[i].0 == u && w.edges[i].4 == 0 && inside(win, w.edges[i].3)).collect();
    kept(w, &c, |i| w.edges[i].1, tr)
}

/// Half-up to thousandths: quotient and remainder, rounded up when the remainder is at least half.
fn half_up(num: i128, den: i128) -> f64 {
    let (q, r) = ((num * 1000) / den, (num * 1000) % den);
    let t = if 2 * r >= den { q + 1 } else { q };
    t as f64 / 1000.0
}

fn above(t: Threshold, amount: i64, base: i128) -> bool {
    // amount > (num / 10^scale) · base, cross-multiplied
    (amount as i128) * 10i128.pow(t.scale) > t.num * base
}

fn reference(w: &World, p: &Params) -> Value {
    match *p {
        Params::Tcr1 { id, window, truncation } => {
            let mut reached = BTreeSet::new();
            if w.known(id) {
                // Every walk of 1–3 edges, edge by edge.
                let mut stack: Vec<(i64, i64, u32)> = vec![(id, i64::MIN, 0)];
                while let Some((u, t, k)) = stack.pop() {
                    if k == 3 {
                        continue;
                    }
                    for e in out_transfers(w, u, window, truncation) {
                        let (_, v, _, ts, _) = w.edges[e];
                        if ts > t {
                            reached.insert((k + 1, v));
                            stack.push((v, ts, k + 1));
                        }
                    }
                }
            }
            let mut rows = BTreeSet::new();
            for (k, v) in reached.into_iter().filter(|&(_, v)| v != id) {
                for &(m, a, ts) in &w.sign_ins {
                    if a == v && inside(window, ts) && w.media.get(&m).is_some_and(|x| x.1) {
                        rows.insert((k, v, m));
                    }
                }
            }
            Value::Array(
                rows.into_iter()
                    .map(|(k, v, m)| {
                        json!({"otherId": v, "accountDistance": k, "mediumId": m, "mediumType": w.media[&m].0})
                    })
                    .collect(),
            )
        }
        Params::Tcr3 { id1, id2, window } => {
            let len = if !w.known(id1) || !w.known(id2) {
                -1
            } else {
                // Relaxation to a fixed point (Bellman-Ford with unit weights).
                let mut dist: HashMap<i64, i64> = HashMap::from([(id1, 0)]);
                loop {
                    let mut changed = false;
                    for &(f, t, _, ts, k) in &w.edges {
                        if k == 0 && inside(window, ts) {
                            if let Some(&d) = dist.get(&f) {
                                if dist.get(&t).is_none_or(|&x| x > d + 1) {
                                    dist.insert(t, d + 1);
                                    changed = true;
                                }
                            }
                        }
                    }
                    if !changed {
                        break;
                    }
                }
                dist.get(&id2).copied().unwrap_or(-1)
            };
            json!([{ "shortestPathLength": len }])
        }
        Params::Tcr4 { id1: src, id2: dst, window } => {
            let t = |f: i64, to: i64| -> Vec<i64> {
                w.edges
                    .iter()
                    .filter(|e| e.0 == f && e.1 == to && e.4 == 0 && inside(window, e.3))
                    .map(|e| e.2)
                    .collect()
            };
            if t(src, dst).is_empty() {
                return json!([]);
            }
            let mut rows = Vec::new();
            let everyone: BTreeSet<i64> =
                w.accounts.iter().copied().chain(w.edges.iter().flat_map(|e| [e.0, e.1])).collect();
            for o in everyone {
                if o == src || o == dst {
                    continue;
                }
                let (e2, e3) = (t(o, src), t(dst, o));
                if e2.is_empty() || e3.is_empty() {
                    continue;
                }
                let sum = |v: &[i64]| v.iter().map(|&x| x as i128).sum::<i128>();
                rows.push((sum(&e2), sum(&e3), o, e2, e3));
            }
            rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
            let y = |c: i128| c as f64 / 100.0;
            Value::Array(
                rows.into_iter()
                    .map(|(s2, s3, o, e2, e3)| {
                        json!({"otherId": o, "numEdge2": e2.len(), "sumEdge2Amount": y(s2),
                            "maxEdge2Amount": y(*e2.iter().max().unwrap() as i128), "numEdge3": e3.len(),
                            "sumEdge3Amount": y(s3), "maxEdge3Amount": y(*e3.iter().max().unwrap() as i128)})
                    })
                    .collect(),
            )
        }
        Params::Tcr5 { id, window, truncation } => {
            let mut paths: BTreeSet<Vec<i64>> = BTreeSet::new();
            for &(_, a0) in w.owns.iter().filter(|o| o.0 == id) {
                let mut stack: Vec<(Vec<i64>, i64)> = vec![(vec![a0], i64::MIN)];
                while let Some((path, t)) = stack.pop() {
                    if path.len() == 4 {
                        continue;
                    }
                    for e in out_transfers(w, *path.last().unwrap(), window, truncation) {
                        let (_, v, _, ts, _) = w.edges[e];
                        if ts > t && !path.contains(&v) {
                            let mut next = path.clone();
                            next.push(v);
                            paths.insert(next.clone());
                            stack.push((next, ts));
                        }
                    }
                }
            }
            let mut paths: Vec<Vec<i64>> = paths.into_iter().collect();
            paths.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            Value::Array(paths.into_iter().map(|p| json!({ "path": p })).collect())
        }
        Params::Tcr7 { id, threshold, window, truncation } => {
            if !w.known(id) {
                return json!([{"numSrc": 0, "numDst": 0, "inOutRatio": -1.0}]);
            }
            let ok =
                |i: usize| w.edges[i].4 == 0 && inside(window, w.edges[i].3) && above(threshold, w.edges[i].2, 100);
            let ins: Vec<usize> = (0..w.edges.len()).filter(|&i| w.edges[i].1 == id && ok(i)).collect();
            let outs: Vec<usize> = (0..w.edges.len()).filter(|&i| w.edges[i].0 == id && ok(i)).collect();
            let ins = kept(w, &ins, |i| w.edges[i].0, truncation);
            let outs = kept(w, &outs, |i| w.edges[i].1, truncation);
            let n_src = ins.iter().map(|&i| w.edges[i].0).collect::<HashSet<_>>().len();
            let n_dst = outs.iter().map(|&i| w.edges[i].1).collect::<HashSet<_>>().len();
            let s_in: i128 = ins.iter().map(|&i| w.edges[i].2 as i128).sum();
            let s_out: i128 = outs.iter().map(|&i| w.edges[i].2 as i128).sum();
            let ratio = if s_out == 0 { -1.0 } else { half_up(s_in, s_out) };
            json!([{"numSrc": n_src, "numDst": n_dst, "inOutRatio": ratio}])
        }
        Params::Tcr8 { id, threshold, window, truncation } => {
            let Some(&loan_amount) = w.loans.get(&id) else {
                return json!([]);
            };
            let upstream = |u: i64| -> i128 {
                let e: i128 =
                    w.edges.iter().filter(|e| e.1 == u && inside(window, e.3)).map(|e| e.2 as i128).sum::<i128>();
                let d: i128 =
                    w.deposits.iter().filter(|d| d.1 == u && inside(window, d.3)).map(|d| d.2 as i128).sum::<i128>();
                e + d
            };
            let mut steps: HashMap<i64, Vec<usize>> = HashMap::new();
            let mut step = |u: i64| -> Vec<usize> {
                steps
                    .entry(u)
                    .or_insert_with(|| {
                        let base = upstream(u);
                        let c: Vec<usize> = (0..w.edges.len())
                            .filter(|&i| {
                                w.edges[i].0 == u
                                    && inside(window, w.edges[i].3)
                                    && above(threshold, w.edges[i].2, base)
                            })
                            .collect();
                        kept(w, &c, |i| w.edges[i].1, truncation)
                    })
                    .clone()
            };
            // Walks: a deposit edge, then 1–3 step edges. A walk's continuations depend only on where it is
            // and how many steps it took, so each (account, steps) is expanded once. Every step edge some
            // walk takes counts once towards its target; an account's distance is its fewest steps + 1.
            let mut fewest: BTreeMap<i64, u32> = BTreeMap::new();
            let mut taken: BTreeSet<usize> = BTreeSet::new();
            let mut expanded: HashSet<(i64, u32)> = HashSet::new();
            let mut stack: Vec<(i64, u32)> =
                w.deposits.iter().filter(|d| d.0 == id && inside(window, d.3)).map(|d| (d.1, 0)).collect();
            while let Some((u, k)) = stack.pop() {
                if k == 3 || !expanded.insert((u, k)) {
                    continue;
                }
                for e in step(u) {
                    let v = w.edges[e].1;
                    taken.insert(e);
                    let f = fewest.entry(v).or_insert(k + 1);
                    *f = (*f).min(k + 1);
                    stack.push((v, k + 1));
                }
            }
            let mut rows = Vec::new();
            for (&v, &k) in &fewest {
                let into: i128 = taken.iter().filter(|&&i| w.edges[i].1 == v).map(|&i| w.edges[i].2 as i128).sum();
                // A zero loan has no ratio: -1, as TCR7 answers a ratio with nothing out.
                let ratio = if loan_amount == 0 { -1.0 } else { half_up(into, loan_amount as i128) };
                rows.push((k + 1, ratio, v));
            }
            rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
            Value::Array(
                rows.into_iter().map(|(d, r, v)| json!({"dstId": v, "ratio": r, "minDistanceFromLoan": d})).collect(),
            )
        }
    }
}

fn answer(s: &Snapshot, p: &Params) -> Value {
    serde_json::to_value(finbench::run(s, p)).unwrap()
}

// ---------------------------------------------------------------------------------------------------------
// Hand-worked answers: the graph below written as FinBench files, loaded by the loader.

const Y: i64 = 100; // cents per yuan

/// Accounts 1–6; transfers (yuan, ms): 1→2 100@10, 2→3 50@20, 3→4 30@15, 3→4 20@25, 2→5 70@5, 1→5 40@30,
/// 5→1 10@35, 5→1 15@36, 4→2 5@40; withdraw 2→6 60@50. Media: 100 PHONE blocked → 4 @50; 101 PAD not
/// blocked → 3 @50; 102 PAD blocked → 5 @200; 103 PHONE blocked → 1 @12; 104 IPAD blocked → 2 @60.
/// Person 9 owns 1 and 4. Loan 500 (1000 yuan) deposits 200 into 1 @5.
fn hand_world_files(dir: &Path) {
    let ms = |t: i64| format!("1970-01-01 00:00:00.{}", format!("{t:03}").trim_end_matches('0'));
    let mut transfers = String::from("fromId|toId|amount|createTime|orderNum|comment|payType|goodsType\n");
    for (f, t, a, ts) in [
        (1, 2, 100, 10),
        (2, 3, 50, 20),
        (3, 4, 30, 15),
        (3, 4, 20, 25),
        (2, 5, 70, 5),
        (1, 5, 40, 30),
        (5, 1, 10, 35),
        (5, 1, 15, 36),
        (4, 2, 5, 40),
    ] {
        transfers += &format!("{f}|{t}|{a}.00|{}|1|a \"quoted\" comment|WeChat Pay|x\n", ms(ts));
    }
    let files = [
        ("Account.csv", "accountId|createTime|isBlocked\n1|x|false\n2|x|false\n3|x|false\n4|x|false\n5|x|false\n6|x|false\n".to_string()),
        ("AccountTransferAccount.csv", transfers),
        ("AccountWithdrawAccount.csv", format!("fromId|toId|amount|createTime\n2|6|60.0|{}\n", ms(50))),
        (
            "Medium.csv",
            "mediumId|mediumType|isBlocked|createTime\n100|PHONE|true|x\n101|PAD|false|x\n102|PAD|true|x\n103|PHONE|true|x\n104|IPAD|true|x\n"
                .to_string(),
        ),
        (
            "MediumSignInAccount.csv",
            format!(
                "mediumId|accountId|createTime|location\n100|4|{}|a\n101|3|{}|a\n102|5|1970-01-01 00:00:00.2|a\n103|1|{}|a\n104|2|{}|a\n",
                ms(50),
                ms(50),
                ms(12),
                ms(60)
            ),
        ),
        ("PersonOwnAccount.csv", "personId|accountId|createTime\n9|1|x\n9|4|x\n".to_string()),
        ("Loan.csv", "loanId|loanAmount|balance\n500|1000.0|1000.0\n".to_string()),
        ("LoanDepositAccount.csv", format!("loanId|accountId|amount|createTime\n500|1|200|{}\n", ms(5))),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn hand() -> (tempfile::TempDir, Snapshot) {
    let dir = tempfile::tempdir().unwrap();
    hand_world_files(dir.path());
    let s = finbench::load_snapshot(dir.path()).unwrap();
    (dir, s)
}

fn ask(s: &Snapshot, q: Query, params: Value) -> Value {
    answer(s, &Params::from_json(q, &params).unwrap())
}

fn tr(limit: usize, order: &str) -> Value {
    json!({"truncationLimit": limit, "truncationOrder": order})
}

fn with(mut a: Value, b: Value) -> Value {
    a.as_object_mut().unwrap().extend(b.as_object().unwrap().clone());
    a
}

#[test]
fn hand_tcr1_walks_are_time_ascending_and_truncated_per_node() {
    let (_d, s) = hand();
    let p = |id: i64, limit, order| with(json!({"id": id, "startTime": 0, "endTime": 100}), tr(limit, order));
    // Walks from 1: k1 {2, 5}; k2 {3 (2→3@20), 1 (5→1@35)}; k3 {4 (3→4@25; 3→4@15 is too early)}.
    // Blocked media in the window: 104 on 2, 100 on 4 (102 on 5 is at 200, outside; 1 is the start).
    assert_eq!(
        ask(&s, Query::Tcr1, p(1, 10, "TIMESTAMP_DESCENDING")),
        json!([{"otherId": 2, "accountDistance": 1, "mediumId": 104, "mediumType": "IPAD"},
               {"otherId": 4, "accountDistance": 3, "mediumId": 100, "mediumType": "PHONE"}])
    );
    // Newest one edge per node: 1 keeps only 1→5@30, then 5→1@36, and 1→5@30 is too early again.
    assert_eq!(ask(&s, Query::Tcr1, p(1, 1, "TIMESTAMP_DESCENDING")), json!([]));
    // Oldest one edge per node: 1 keeps 1→2@10, 2 keeps 2→5@5 (too early): only 2 is reached.
    assert_eq!(
        ask(&s, Query::Tcr1, p(1, 1, "TIMESTAMP_ASCENDING")),
        json!([{"otherId": 2, "accountDistance": 1, "mediumId": 104, "mediumType": "IPAD"}])
    );
    assert_eq!(ask(&s, Query::Tcr1, p(77, 10, "TIMESTAMP_DESCENDING")), json!([]));
}

#[test]
fn hand_tcr3_counts_hops_in_the_window_both_ends_excluded() {
    let (_d, s) = hand();
    let p = |a: i64, b: i64, start: i64, end: i64| json!({"id1": a, "id2": b, "startTime": start, "endTime": end});
    let len = |v: Value| v[0]["shortestPathLength"].as_i64().unwrap();
    assert_eq!(len(ask(&s, Query::Tcr3, p(1, 4, 0, 100))), 3); // 1→2→3→4
    assert_eq!(len(ask(&s, Query::Tcr3, p(4, 1, 0, 100))), 3); // 4→2→5→1
    assert_eq!(len(ask(&s, Query::Tcr3, p(1, 4, 0, 25))), 3); // 3→4@15 serves: no time order between hops
    assert_eq!(len(ask(&s, Query::Tcr3, p(1, 4, 10, 100))), -1); // 1→2@10 sits on the excluded start
    assert_eq!(len(ask(&s, Query::Tcr3, p(1, 1, 0, 100))), 0);
    assert_eq!(len(ask(&s, Query::Tcr3, p(6, 1, 0, 100))), -1); // 6 only receives a withdraw
    assert_eq!(len(ask(&s, Query::Tcr3, p(1, 99, 0, 100))), -1);
}

#[test]
fn hand_tcr4_sums_each_leg_of_the_triangle() {
    let (_d, s) = hand();
    let p = |a: i64, b: i64| json!({"id1": a, "id2": b, "startTime": 0, "endTime": 100});
    // 1→2, then 2→5 (70) and 5→1 twice (10, 15): edge2 is other→src, edge3 dst→other.
    assert_eq!(
        ask(&s, Query::Tcr4, p(1, 2)),
        json!([{"otherId": 5, "numEdge2": 2, "sumEdge2Amount": 25.0, "maxEdge2Amount": 15.0,
                "numEdge3": 1, "sumEdge3Amount": 70.0, "maxEdge3Amount": 70.0}])
    );
    // 2→3, then 3→4 twice (30, 20) and 4→2 (5).
    assert_eq!(
        ask(&s, Query::Tcr4, p(2, 3)),
        json!([{"otherId": 4, "numEdge2": 1, "sumEdge2Amount": 5.0, "maxEdge2Amount": 5.0,
                "numEdge3": 2, "sumEdge3Amount": 50.0, "maxEdge3Amount": 30.0}])
    );
    assert_eq!(ask(&s, Query::Tcr4, p(2, 1)), json!([])); // no transfer 2→1
}

#[test]
fn hand_tcr5_lists_simple_ascending_paths_longest_first() {
    let (_d, s) = hand();
    let p = |limit, order| with(json!({"id": 9, "startTime": 0, "endTime": 100}), tr(limit, order));
    // From 1: [1,2], [1,5], [1,2,3], [1,2,3,4] (5→1 would repeat 1); from 4: [4,2] (2's edges are earlier).
    assert_eq!(
        ask(&s, Query::Tcr5, p(10, "TIMESTAMP_DESCENDING")),
        json!([{"path": [1, 2, 3, 4]}, {"path": [1, 2, 3]}, {"path": [1, 2]}, {"path": [1, 5]}, {"path": [4, 2]}])
    );
    // Largest amount first, one per node: 1 keeps 1→2 (100), 2 keeps 2→5 (70, too early), 4 keeps 4→2.
    assert_eq!(ask(&s, Query::Tcr5, p(1, "AMOUNT_DESCENDING")), json!([{"path": [1, 2]}, {"path": [4, 2]}]));
    assert_eq!(ask(&s, Query::Tcr5, with(p(10, "TIMESTAMP_DESCENDING"), json!({"id": 8}))), json!([]));
}

#[test]
fn hand_tcr7_ratio_of_money_in_to_money_out() {
    let (_d, s) = hand();
    let p = |id: i64, threshold: &str, limit, order| {
        with(json!({"id": id, "threshold": threshold, "startTime": 0, "endTime": 100}), tr(limit, order))
    };
    let q = |v| ask(&s, Query::Tcr7, v);
    assert_eq!(q(p(3, "0.0", 10, "TIMESTAMP_DESCENDING")), json!([{"numSrc": 1, "numDst": 1, "inOutRatio": 1.0}]));
    // 50 in, only the 30 out passes 25 yuan: 50/30 = 1.6667 → 1.667.
    assert_eq!(q(p(3, "25", 10, "TIMESTAMP_DESCENDING")), json!([{"numSrc": 1, "numDst": 1, "inOutRatio": 1.667}]));
    // Smallest amount first, one per side: 50 in, 20 out.
    assert_eq!(q(p(3, "0.0", 1, "AMOUNT_ASCENDING")), json!([{"numSrc": 1, "numDst": 1, "inOutRatio": 2.5}]));
    // 2: in 100 + 5, out 50 + 70 (the withdraw 2→6 is not a transfer): 105/120 = 0.875.
    assert_eq!(q(p(2, "0.0", 10, "TIMESTAMP_DESCENDING")), json!([{"numSrc": 2, "numDst": 2, "inOutRatio": 0.875}]));
    // 4: in 3→4 twice from one source, out 4→2.
    assert_eq!(q(p(4, "0.0", 10, "TIMESTAMP_DESCENDING")), json!([{"numSrc": 1, "numDst": 1, "inOutRatio": 10.0}]));
    assert_eq!(q(p(6, "0.0", 10, "TIMESTAMP_DESCENDING")), json!([{"numSrc": 0, "numDst": 0, "inOutRatio": -1.0}]));
    assert_eq!(q(p(99, "0.0", 10, "TIMESTAMP_DESCENDING")), json!([{"numSrc": 0, "numDst": 0, "inOutRatio": -1.0}]));
}

#[test]
fn hand_tcr8_follows_the_loan_through_edges_above_the_threshold() {
    let (_d, s) = hand();
    let p = |threshold: &str, start: i64| {
        with(
            json!({"id": 500, "threshold": threshold, "startTime": start, "endTime": 100}),
            tr(10, "TIMESTAMP_DESCENDING"),
        )
    };
    let row = |id: i64, ratio: f64, d: u32| json!({"dstId": id, "ratio": ratio, "minDistanceFromLoan": d});
    // F0 {1}; F1 {2, 5}; F2 {3, 5, 6, 1}; F3 {4, 1, 2, 5}. Money into each over step edges leaving F0–F2:
    // 2: 100, 5: 40+70, 3: 50, 6: 60 (withdraw), 1: 10+15, 4: 30+20 — of a 1,000-yuan loan.
    assert_eq!(
        ask(&s, Query::Tcr8, p("0.0", 0)),
        json!([row(4, 0.05, 4), row(6, 0.06, 3), row(3, 0.05, 3), row(1, 0.025, 3), row(5, 0.11, 2), row(2, 0.1, 2)])
    );
    // amount > 0.3 × upstream: upstream(1) = 10+15+200 (deposit) → only 1→2 (100 > 67.5); upstream(2) = 105
    // → all three out (> 31.5); upstream(5) = 110 → 5→1 (10, 15) fail; upstream(3) = 50 → both 3→4.
    assert_eq!(
        ask(&s, Query::Tcr8, p("0.3", 0)),
        json!([row(4, 0.05, 4), row(5, 0.07, 3), row(6, 0.06, 3), row(3, 0.05, 3), row(2, 0.1, 2)])
    );
    assert_eq!(ask(&s, Query::Tcr8, p("0.0", 5)), json!([])); // the deposit sits on the excluded start
    assert_eq!(ask(&s, Query::Tcr8, with(p("0.0", 0), json!({"id": 501}))), json!([]));
}

#[test]
fn the_hand_world_agrees_with_the_reference_too() {
    let (dir, s) = hand();
    let w = parse_world(dir.path());
    for q in Query::ALL {
        for id in [1, 2, 3, 4, 5, 6, 9, 500] {
            for order in TruncationOrder::NAMES {
                let v = json!({"id": id, "id1": id, "id2": (id % 6) + 1, "threshold": "0.1", "startTime": 0,
                    "endTime": 100, "truncationLimit": 2, "truncationOrder": order});
                let p = Params::from_json(q, &v).unwrap();
                assert_eq!(answer(&s, &p), reference(&w, &p), "{p:?}");
            }
        }
    }
}

#[test]
fn a_bad_snapshot_row_names_the_file_line_field_and_value() {
    let dir = tempfile::tempdir().unwrap();
    hand_world_files(dir.path());
    let t = dir.path().join("AccountTransferAccount.csv");
    let mut text = std::fs::read_to_string(&t).unwrap();
    text = text.replacen("|50.00|", "|50.001|", 1);
    std::fs::write(&t, text).unwrap();
    let e = finbench::load_snapshot(dir.path()).unwrap_err().to_string();
    assert!(e.contains("AccountTransferAccount.csv:3: amount = \"50.001\""), "{e}");
    hand_world_files(dir.path());
    std::fs::write(dir.path().join("Medium.csv"), "mediumId|mediumType|blocked\n1|PAD|true\n").unwrap();
    let e = finbench::load_snapshot(dir.path()).unwrap_err().to_string();
    assert!(e.contains("Medium.csv") && e.contains("isBlocked"), "{e}");
}

// ---------------------------------------------------------------------------------------------------------
// Random graphs against the reference.

fn arb_world() -> impl Strategy<Value = World> {
    // A few ids, negative ones among them (ids are signed; ties sort by id).
    let ids = prop::sample::select(vec![-7i64, -2, 1, 3, 4, 8, 11]);
    let edge = (ids.clone(), ids.clone(), 1i64..6, 0i64..24, prop::bool::weighted(0.3));
    (
        prop::collection::vec(edge, 0..30),
        prop::collection::vec((0i64..4, ids.clone(), 0i64..24), 0..10),
        prop::collection::vec(any::<bool>(), 4),
        prop::collection::vec((0i64..3, ids.clone()), 0..6),
        prop::collection::vec((0i64..3, ids.clone(), 1i64..9, 0i64..24), 0..6),
        prop::collection::vec(0i64..40, 3),
    )
        .prop_map(|(edges, sign_ins, blocked, owns, deposits, loans)| World {
            accounts: [-7, -2, 1, 3, 4, 8, 11].into_iter().collect(),
            // Amounts in whole yuan with a few cents, so thresholds and ratios see odd values.
            edges: edges.into_iter().map(|(f, t, a, ts, wd)| (f, t, a * Y + (ts % 3), ts, wd as u8)).collect(),
            media: (0..4).map(|m| (m, (format!("T{m}"), blocked[m as usize]))).collect(),
            sign_ins,
            owns,
            loans: loans.into_iter().enumerate().map(|(i, a)| (i as i64, a * Y)).collect(),
            deposits: deposits.into_iter().map(|(l, a, amt, ts)| (l, a, amt * Y, ts)).collect(),
        })
}

fn arb_params(q: Query) -> impl Strategy<Value = Params> {
    let ids = prop::sample::select(vec![-7i64, -2, 1, 3, 4, 8, 11, 99, 0, 2]);
    let order = prop::sample::select(TruncationOrder::NAMES.to_vec());
    let threshold = prop::sample::select(vec!["0.0", "0.5", "1", "2.25", "0.01", "4"]);
    (ids.clone(), ids, -1i64..12, 10i64..26, 0usize..5, order, threshold).prop_map(
        move |(a, b, start, end, limit, order, threshold)| {
            let v = json!({"id": a, "id1": a, "id2": b, "startTime": start, "endTime": end, "threshold": threshold,
                "truncationLimit": limit, "truncationOrder": order});
            let mut p = Params::from_json(q, &v).unwrap();
            // Persons and loans are small ids.
            if let Params::Tcr5 { id, .. } | Params::Tcr8 { id, .. } = &mut p {
                *id = id.rem_euclid(4);
            }
            p
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_read_matches_the_brute_force_reference(
        w in arb_world(),
        ps in prop::collection::vec(prop_oneof![arb_params(Query::Tcr1), arb_params(Query::Tcr3),
            arb_params(Query::Tcr4), arb_params(Query::Tcr5), arb_params(Query::Tcr7), arb_params(Query::Tcr8)], 6),
    ) {
        let s = w.snapshot();
        for p in &ps {
            prop_assert_eq!(answer(&s, p), reference(&w, p), "{:?}", p);
        }
        // Triangles are rare between random ids: also ask TCR4 about every transfer's own endpoints.
        for p in tcr4_on_edges(&w) {
            prop_assert_eq!(answer(&s, &p), reference(&w, &p), "{:?}", p);
        }
    }
}

fn tcr4_on_edges(w: &World) -> Vec<Params> {
    w.edges
        .iter()
        .filter(|e| e.4 == 0)
        .map(|e| Params::Tcr4 { id1: e.0, id2: e.1, window: Window { start: e.3 % 5 - 1, end: 20 + e.3 % 5 } })
        .collect()
}

/// The comparisons above carry answers, not only empty lists: over a fixed run of random worlds, every
/// read returns rows, and truncation changes some answer.
#[test]
fn the_random_comparisons_are_not_vacuous() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut rows: HashMap<&str, usize> = HashMap::new();
    let mut truncation_bites = 0;
    for _ in 0..300 {
        let w = arb_world().new_tree(&mut runner).unwrap().current();
        let s = w.snapshot();
        for q in Query::ALL {
            let p = arb_params(q).new_tree(&mut runner).unwrap().current();
            let a = answer(&s, &p);
            let nonempty = match q {
                Query::Tcr3 => a[0]["shortestPathLength"].as_i64() > Some(0),
                Query::Tcr7 => a[0]["inOutRatio"].as_f64() > Some(0.0),
                _ => !a.as_array().unwrap().is_empty(),
            };
            *rows.entry(q.name()).or_default() += nonempty as usize;
            let wide = match p {
                Params::Tcr1 { id, window, truncation } => {
                    Params::Tcr1 { id, window, truncation: Truncation { limit: 99, ..truncation } }
                }
                Params::Tcr5 { id, window, truncation } => {
                    Params::Tcr5 { id, window, truncation: Truncation { limit: 99, ..truncation } }
                }
                other => other,
            };
            truncation_bites += (answer(&s, &wide) != a) as usize;
        }
        let triangles = tcr4_on_edges(&w).iter().filter(|p| !answer(&s, p).as_array().unwrap().is_empty()).count();
        *rows.entry("tcr4").or_default() += triangles.min(1);
    }
    for q in Query::ALL {
        assert!(rows.get(q.name()).copied().unwrap_or(0) >= 10, "{} answered rows only {:?} times", q.name(), rows);
    }
    assert!(truncation_bites >= 20, "truncation changed {truncation_bites} answers");
}

// ---------------------------------------------------------------------------------------------------------
// The shipped snapshot and parameters.

/// This file's own reading of a snapshot folder: split on '|', columns by header name.
fn parse_world(dir: &Path) -> World {
    fn rows(dir: &Path, file: &str, cols: &[&str]) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('|').collect();
        let at: Vec<usize> = cols.iter().map(|c| header.iter().position(|h| h == c).unwrap()).collect();
        lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split('|').collect();
                at.iter().map(|&i| f[i].to_string()).collect()
            })
            .collect()
    }
    let cents = |s: &str| -> i64 {
        let (w, f) = s.split_once('.').unwrap_or((s, "0"));
        let f = if f.len() == 1 { format!("{f}0") } else { f.to_string() };
        w.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
    };
    let time = |s: &str| -> i64 {
        // "YYYY-MM-DD HH:MM:SS[.f]" UTC, by hand: days from the civil date, then the clock.
        let (date, clock) = s.split_once(' ').unwrap();
        let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
        let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
        let c: Vec<i64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
        let (y, m) = if d[1] <= 2 { (d[0] - 1, d[1] + 9) } else { (d[0], d[1] - 3) };
        let days =
            365 * y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) + (153 * m + 2) / 5 + d[2] - 1 - 719_468;
        let ms: i64 = format!("{frac:0<3}")[..3].parse().unwrap();
        ((days * 24 + c[0]) * 60 + c[1]) * 60_000 + c[2] * 1000 + ms
    };
    let id = |s: &str| s.parse::<i64>().unwrap();
    let mut w = World::default();
    for r in rows(dir, "Account.csv", &["accountId"]) {
        w.accounts.insert(id(&r[0]));
    }
    for (file, kind) in [("AccountTransferAccount.csv", 0u8), ("AccountWithdrawAccount.csv", 1)] {
        for r in rows(dir, file, &["fromId", "toId", "amount", "createTime"]) {
            w.edges.push((id(&r[0]), id(&r[1]), cents(&r[2]), time(&r[3]), kind));
        }
    }
    for r in rows(dir, "Medium.csv", &["mediumId", "mediumType", "isBlocked"]) {
        w.media.insert(id(&r[0]), (r[1].clone(), r[2] == "true"));
    }
    for r in rows(dir, "MediumSignInAccount.csv", &["mediumId", "accountId", "createTime"]) {
        w.sign_ins.push((id(&r[0]), id(&r[1]), time(&r[2])));
    }
    for r in rows(dir, "PersonOwnAccount.csv", &["personId", "accountId"]) {
        w.owns.push((id(&r[0]), id(&r[1])));
    }
    for r in rows(dir, "Loan.csv", &["loanId", "loanAmount"]) {
        w.loans.insert(id(&r[0]), cents(&r[1]));
    }
    for r in rows(dir, "LoanDepositAccount.csv", &["loanId", "accountId", "amount", "createTime"]) {
        w.deposits.push((id(&r[0]), id(&r[1]), cents(&r[2]), time(&r[3])));
    }
    w
}

/// Every shipped parameter set of every read runs through the binary, one line each, and agrees with the
/// brute-force reference over this file's own parse of the snapshot. The reference is quadratic in places,
/// so it indexes nothing and is given the edges near the start only through its own scans: kept to the
/// first parameter sets of each file (all of them for the cheap reads).
#[test]
fn every_shipped_parameter_set_runs_and_matches_the_reference() {
    let data = dataset().join("snapshot");
    let world = parse_world(&data);
    let mut total_rows = 0;
    for q in Query::ALL {
        let params = dataset().join("read_params").join(q.param_file());
        let out =
            bin().args(["finbench", q.name(), "--data"]).arg(&data).arg("--params").arg(&params).output().unwrap();
        assert!(out.status.success(), "{}: {}", q.name(), String::from_utf8_lossy(&out.stderr));
        let lines: Vec<Value> =
            String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let parsed = finbench::parse_params_file(q, &params).unwrap();
        assert_eq!(lines.len(), parsed.params.len(), "{}: one line per parameter set", q.name());
        // The FinBench files' non-data rows are the "..." and header-like lines, nothing else.
        let text = std::fs::read_to_string(&params).unwrap();
        let data_rows = text.lines().filter(|l| l.split('|').next().unwrap().parse::<i64>().is_ok()).count();
        assert_eq!(parsed.params.len(), data_rows, "{}", q.name());
        let check = match q {
            Query::Tcr1 | Query::Tcr5 | Query::Tcr7 => 400,
            _ => 120,
        };
        for ((_, p), got) in parsed.params.iter().zip(&lines).take(check) {
            assert_eq!(got, &reference(&world, p), "{p:?}");
        }
        total_rows += lines.iter().map(|l| l.as_array().unwrap().len()).sum::<usize>();
    }
    assert!(total_rows > 10_000, "the shipped parameters produce rows: {total_rows}");
}

/// The shipped limit (500) never truncates on sf0.01 (the largest out-degree is 384): the first parameter
/// sets of the truncated reads again with limits 3 and 10 in every order, against the reference.
#[test]
fn shipped_parameters_with_small_limits_match_the_reference() {
    let data = dataset().join("snapshot");
    let world = parse_world(&data);
    let snapshot = finbench::load_snapshot(&data).unwrap();
    let mut changed = 0;
    for q in [Query::Tcr1, Query::Tcr5, Query::Tcr7, Query::Tcr8] {
        let parsed = finbench::parse_params_file(q, &dataset().join("read_params").join(q.param_file())).unwrap();
        for (_, p) in parsed.params.iter().take(30) {
            let shipped = answer(&snapshot, p);
            for limit in [3, 10] {
                for order in TruncationOrder::NAMES {
                    let t = Truncation { limit, order: TruncationOrder::parse(order).unwrap() };
                    let small = match *p {
                        Params::Tcr1 { id, window, .. } => Params::Tcr1 { id, window, truncation: t },
                        Params::Tcr5 { id, window, .. } => Params::Tcr5 { id, window, truncation: t },
                        Params::Tcr7 { id, threshold, window, .. } => {
                            Params::Tcr7 { id, threshold, window, truncation: t }
                        }
                        Params::Tcr8 { id, threshold, window, .. } => {
                            Params::Tcr8 { id, threshold, window, truncation: t }
                        }
                        other => other,
                    };
                    let got = answer(&snapshot, &small);
                    assert_eq!(got, reference(&world, &small), "{small:?}");
                    changed += (got != shipped) as usize;
                }
            }
        }
    }
    assert!(changed > 50, "small limits changed only {changed} answers");
}

#[test]
fn json_lines_and_finbench_rows_answer_alike_and_bad_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset().join("snapshot");
    let shipped = dataset().join("read_params/complex_7_param.csv");
    let rows: Vec<String> =
        std::fs::read_to_string(&shipped).unwrap().lines().skip(2).take(50).map(String::from).collect();
    let jsonl: String = rows
        .iter()
        .map(|r| {
            let f: Vec<&str> = r.split('|').collect();
            format!(
                "{{\"id\": {}, \"threshold\": \"{}\", \"startTime\": {}, \"endTime\": {}, \"truncationLimit\": {}, \"truncationOrder\": \"{}\"}}\n",
                f[0], f[1], f[2], f[3], f[4], f[5]
            )
        })
        .collect();
    let (a, b) = (dir.path().join("p.jsonl"), dir.path().join("p.csv"));
    std::fs::write(&a, &jsonl).unwrap();
    std::fs::write(&b, rows.join("\n")).unwrap();
    let run = |p: &Path| bin().args(["finbench", "tcr7", "--data"]).arg(&data).arg("--params").arg(p).output().unwrap();
    let (ra, rb) = (run(&a), run(&b));
    assert!(ra.status.success() && rb.status.success());
    assert_eq!(ra.stdout, rb.stdout);
    assert_eq!(String::from_utf8_lossy(&ra.stdout).lines().count(), 50);

    std::fs::write(&a, format!("{jsonl}{{\"id\": 1, \"threshold\": \"one\", \"startTime\": 0, \"endTime\": 9, \"truncationLimit\": 5, \"truncationOrder\": \"TIMESTAMP_ASCENDING\"}}\n")).unwrap();
    let bad = run(&a);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("p.jsonl:51") && err.contains("threshold") && err.contains("\"one\""), "{err}");
    let unknown = bin().args(["finbench", "tcr2", "--data"]).arg(&data).arg("--params").arg(&b).output().unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("tcr1, tcr3, tcr4, tcr5, tcr7, tcr8"));
}
