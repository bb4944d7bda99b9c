//! The LDBC FinBench transfer reads (TCR1, TCR3, TCR4, TCR5, TCR7, TCR8) over a FinBench snapshot: the
//! external check of moneytrail's time-respecting path semantics against a standard financial graph.
//!
//! The snapshot is small (thousands of accounts) and carries edge kinds moneytrail's store does not model
//! (withdraw, sign-in, own, deposit, loans, media), so it lives in memory here, loaded from the FinBench
//! CSVs by [`load`]. The readings of the specification, including its ambiguous points, are those of
//! `datasets/finbench-sf0.01/QUERIES.md`; each query in [`query`] cites the rule it follows.
//!
//! Amounts are exact: cents in `i64`, sums in `i128`, ratios rounded half-up to 3 decimals from the exact
//! quotient ([`round3`]). Times are epoch milliseconds (UTC).

pub mod load;
pub mod params;
pub mod query;

use std::collections::{HashMap, HashSet};

pub use load::{load_snapshot, FinbenchError};
pub use params::{parse_params_file, Params, Query, Threshold};
pub use query::{run, Answer};

/// A FinBench id (accounts, persons, media, loans): signed 64-bit.
pub type Id = i64;

/// Transfer before withdraw: the last tie-break of truncation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    Transfer,
    Withdraw,
}

/// One transfer or withdraw edge seen from one of its endpoints: `other` is the far endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    pub other: Id,
    pub ts: i64,
    /// Cents.
    pub amount: i64,
    pub kind: EdgeKind,
}

/// A medium (phone, pad, …) that signs in to accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Medium {
    pub kind: String,
    pub blocked: bool,
}

/// A loan's deposit into an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deposit {
    pub account: Id,
    pub ts: i64,
    /// Cents.
    pub amount: i64,
}

/// The part of a FinBench snapshot the six reads touch, indexed by the access paths they use.
#[derive(Debug, Default)]
pub struct Snapshot {
    accounts: HashSet<Id>,
    out_edges: HashMap<Id, Vec<Edge>>,
    in_edges: HashMap<Id, Vec<Edge>>,
    sign_ins: HashMap<Id, Vec<(Id, i64)>>,
    media: HashMap<Id, Medium>,
    owned: HashMap<Id, Vec<Id>>,
    deposits: HashMap<Id, Vec<Deposit>>,
    deposits_in: HashMap<Id, Vec<Deposit>>,
    loans: HashMap<Id, i64>,
}

/// How many of each thing a snapshot holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotCounts {
    pub accounts: usize,
    pub transfers: usize,
    pub withdraws: usize,
    pub sign_ins: usize,
    pub media: usize,
    pub owns: usize,
    pub loans: usize,
    pub deposits: usize,
}

impl Snapshot {
    pub fn add_account(&mut self, id: Id) {
        self.accounts.insert(id);
    }

    /// A transfer or withdraw `from → to`; its endpoints become known accounts.
    pub fn add_edge(&mut self, kind: EdgeKind, from: Id, to: Id, amount: i64, ts: i64) {
        self.accounts.insert(from);
        self.accounts.insert(to);
        self.out_edges.entry(from).or_default().push(Edge { other: to, ts, amount, kind });
        self.in_edges.entry(to).or_default().push(Edge { other: from, ts, amount, kind });
    }

    pub fn add_medium(&mut self, id: Id, kind: &str, blocked: bool) {
        self.media.insert(id, Medium { kind: kind.to_string(), blocked });
    }

    pub fn add_sign_in(&mut self, medium: Id, account: Id, ts: i64) {
        self.sign_ins.entry(account).or_default().push((medium, ts));
    }

    pub fn add_own(&mut self, person: Id, account: Id) {
        self.owned.entry(person).or_default().push(account);
    }

    pub fn add_loan(&mut self, id: Id, amount: i64) {
        self.loans.insert(id, amount);
    }

    pub fn add_deposit(&mut self, loan: Id, account: Id, amount: i64, ts: i64) {
        let d = Deposit { account, ts, amount };
        self.deposits.entry(loan).or_default().push(d);
        self.deposits_in.entry(account).or_default().push(d);
    }

    pub fn is_account(&self, id: Id) -> bool {
        self.accounts.contains(&id)
    }

    pub fn counts(&self) -> SnapshotCounts {
        let of = |k: EdgeKind| self.out_edges.values().flatten().filter(|e| e.kind == k).count();
        SnapshotCounts {
            accounts: self.accounts.len(),
            transfers: of(EdgeKind::Transfer),
            withdraws: of(EdgeKind::Withdraw),
            sign_ins: self.sign_ins.values().map(Vec::len).sum(),
            media: self.media.len(),
            owns: self.owned.values().map(Vec::len).sum(),
            loans: self.loans.len(),
            deposits: self.deposits.values().map(Vec::len).sum(),
        }
    }

    fn out_of(&self, id: Id) -> &[Edge] {
        self.out_edges.get(&id).map_or(&[], Vec::as_slice)
    }

    fn in_of(&self, id: Id) -> &[Edge] {
        self.in_edges.get(&id).map_or(&[], Vec::as_slice)
    }
}

/// `start < t < end`: FinBench windows exclude both ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    pub fn contains(&self, t: i64) -> bool {
        self.start < t && t < self.end
    }
}

/// The order in which a node's candidate edges are kept when truncating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TruncationOrder {
    TimestampDescending,
    TimestampAscending,
    AmountDescending,
    AmountAscending,
}

impl TruncationOrder {
    pub const NAMES: [&'static str; 4] =
        ["TIMESTAMP_DESCENDING", "TIMESTAMP_ASCENDING", "AMOUNT_DESCENDING", "AMOUNT_ASCENDING"];

    pub fn parse(s: &str) -> Option<TruncationOrder> {
        match s {
            "TIMESTAMP_DESCENDING" => Some(TruncationOrder::TimestampDescending),
            "TIMESTAMP_ASCENDING" => Some(TruncationOrder::TimestampAscending),
            "AMOUNT_DESCENDING" => Some(TruncationOrder::AmountDescending),
            "AMOUNT_ASCENDING" => Some(TruncationOrder::AmountAscending),
            _ => None,
        }
    }
}

/// Keep at most `limit` edges per node, in `order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncation {
    pub limit: usize,
    pub order: TruncationOrder,
}

impl Truncation {
    /// Sorts the candidates by the order, ties by the far endpoint's id ascending, then timestamp, amount
    /// and transfer before withdraw (QUERIES.md, "Truncation"), and keeps the first `limit`.
    pub fn apply(&self, mut candidates: Vec<Edge>) -> Vec<Edge> {
        let primary = |e: &Edge| match self.order {
            TruncationOrder::TimestampDescending => -(e.ts as i128),
            TruncationOrder::TimestampAscending => e.ts as i128,
            TruncationOrder::AmountDescending => -(e.amount as i128),
            TruncationOrder::AmountAscending => e.amount as i128,
        };
        candidates.sort_by_key(|e| (primary(e), e.other, e.ts, e.amount, e.kind));
        candidates.truncate(self.limit);
        candidates
    }
}

/// `num / den` rounded half-up to 3 decimals, in thousandths. `den > 0`.
pub fn round3(num: i128, den: i128) -> i64 {
    debug_assert!(den > 0);
    // floor((2000·num + den) / 2den) is half-up rounding of 1000·num/den for either sign of num.
    (2000 * num + den).div_euclid(2 * den) as i64
}

/// Thousandths as the JSON number the answers carry (the nearest double prints as the decimal).
pub fn thousandths(v: i64) -> f64 {
    v as f64 / 1000.0
}

/// Cents as a JSON number (exact decimal with at most 2 places).
pub fn cents(v: i128) -> f64 {
    v as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round3_is_half_up_from_the_exact_value() {
        assert_eq!(round3(1, 3), 333);
        assert_eq!(round3(2, 3), 667);
        assert_eq!(round3(1, 2000), 1); // 0.0005 → 0.001
        assert_eq!(round3(1, 2001), 0); // 0.00049975 → 0.000
        assert_eq!(round3(-1, 2000), 0); // -0.0005 → -0.000 (half up)
        assert_eq!(round3(7, 1), 7000);
        assert_eq!(thousandths(round3(1, 3)).to_string(), "0.333");
        assert_eq!(cents(385189185).to_string(), "3851891.85");
    }

    #[test]
    fn truncation_ties_go_to_the_far_endpoint_then_time_amount_kind() {
        let e = |other, ts, amount, kind| Edge { other, ts, amount, kind };
        let edges = vec![
            e(5, 10, 100, EdgeKind::Withdraw),
            e(5, 10, 100, EdgeKind::Transfer),
            e(3, 10, 200, EdgeKind::Transfer),
            e(9, 20, 50, EdgeKind::Transfer),
        ];
        let t = |order, limit| Truncation { limit, order }.apply(edges.clone());
        assert_eq!(t(TruncationOrder::TimestampDescending, 2), vec![edges[3], edges[2]]);
        assert_eq!(t(TruncationOrder::TimestampAscending, 3), vec![edges[2], edges[1], edges[0]]);
        assert_eq!(t(TruncationOrder::AmountDescending, 1), vec![edges[2]]);
        assert_eq!(t(TruncationOrder::AmountAscending, 4), vec![edges[3], edges[1], edges[0], edges[2]]);
    }
}
