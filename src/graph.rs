//! The small read interface analysis code (trace, freeze, rings) works on.
//!
//! Analysis never sees RocksDB: it takes any [`TransferGraph`]. The store's snapshot view implements it;
//! tests use [`MemGraph`], an in-memory graph built from a list of transfers.

use std::collections::{BTreeMap, BTreeSet};

pub use crate::model::TransferRecord;
use crate::model::{AccountAttrs, AccountId, AccountKind, Channel, ChannelKind, Seq};

/// One edge of an account, as seen from that account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub ts_ms: i64,
    pub seq: Seq,
    pub counterparty: AccountId,
    pub amount_fen: i64,
    pub channel: ChannelKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Out,
    In,
}

/// An error from the graph's backing store, opaque to analysis code. Implementations wrap their own
/// errors with [`GraphError::backend`]; the trait knows nothing of them.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct GraphError(Box<dyn std::error::Error + Send + Sync>);

impl GraphError {
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> GraphError {
        GraphError(Box::new(e))
    }
}

pub type GraphResult<T> = Result<T, GraphError>;

/// Read access to a transfer graph, as of one consistent moment.
pub trait TransferGraph {
    fn account_id(&self, external: &str) -> GraphResult<Option<AccountId>>;
    /// The external id (card or account number) of an account.
    fn account_external(&self, id: AccountId) -> GraphResult<String>;
    fn account_attrs(&self, id: AccountId) -> GraphResult<AccountAttrs>;
    /// Calls `f` on each of the account's edges with `from_ms <= ts <= to_ms` in (ts, seq) order, until
    /// `f` returns false.
    fn for_each_edge(
        &self,
        account: AccountId,
        dir: Direction,
        from_ms: i64,
        to_ms: i64,
        f: &mut dyn FnMut(Edge) -> bool,
    ) -> GraphResult<()>;
    fn transfer(&self, seq: Seq) -> GraphResult<Option<TransferRecord>>;
    fn transfer_by_txn_id(&self, txn_id: &str) -> GraphResult<Option<(Seq, TransferRecord)>>;
    /// Accounts are numbered densely: every id below this exists.
    fn account_count(&self) -> AccountId;
    /// Accounts whose attribute `kind` has exactly `value` (shared devices, phones, holders, branches).
    fn accounts_sharing(&self, kind: crate::model::AttrKind, value: &str) -> GraphResult<Vec<AccountId>>;
    /// (value, account) of attribute `kind` for values in `from..=to` in byte order (`to` None: all from
    /// `from`): the login IPs and MACs statements showed, or phone numbers next to one (equal-length digit
    /// strings sort as numbers).
    fn attribute_range(
        &self,
        kind: crate::model::AttrKind,
        from: &str,
        to: Option<&str>,
    ) -> GraphResult<Vec<(String, AccountId)>>;

    /// The balance an account's bank statement shows before its first line: clean money it held before any
    /// recorded transfer. `None` when no statement with balances was imported for it.
    fn opening_balance(&self, _account: AccountId) -> GraphResult<Option<i64>> {
        Ok(None)
    }

    /// The account's real balance at `ts_ms`, from its statement's balances. `None` without a statement.
    fn balance_at(&self, _account: AccountId, _ts_ms: i64) -> GraphResult<Option<i64>> {
        Ok(None)
    }

    /// The statement lines a transfer was read from (empty for transfers loaded from tables).
    fn sources(&self, _seq: Seq) -> GraphResult<Vec<crate::model::SourceLine>> {
        Ok(Vec::new())
    }

    /// An account's edges in a window, collected.
    fn edges(&self, account: AccountId, dir: Direction, from_ms: i64, to_ms: i64) -> GraphResult<Vec<Edge>> {
        let mut out = Vec::new();
        self.for_each_edge(account, dir, from_ms, to_ms, &mut |e| {
            out.push(e);
            true
        })?;
        Ok(out)
    }

    /// Whether the account has any edge in this direction at all.
    fn has_edges(&self, account: AccountId, dir: Direction) -> GraphResult<bool> {
        let mut any = false;
        self.for_each_edge(account, dir, i64::MIN, i64::MAX, &mut |_| {
            any = true;
            false
        })?;
        Ok(any)
    }
}

/// An in-memory [`TransferGraph`] for tests and small tools. Account external ids are `A<id>` unless
/// given.
#[derive(Clone, Debug, Default)]
pub struct MemGraph {
    transfers: BTreeMap<Seq, TransferRecord>,
    out: BTreeMap<AccountId, Vec<Edge>>,
    inn: BTreeMap<AccountId, Vec<Edge>>,
    attrs: BTreeMap<AccountId, AccountAttrs>,
    names: BTreeMap<AccountId, String>,
    openings: BTreeMap<AccountId, i64>,
    balances: BTreeMap<AccountId, Vec<(i64, i64)>>,
    /// Attributes statements showed (login IPs, MACs), beside those of `attrs`.
    seen: BTreeSet<(crate::model::AttrKind, String, AccountId)>,
}

impl MemGraph {
    pub fn new() -> MemGraph {
        MemGraph::default()
    }

    /// Adds a transfer (`txn_id` is `T<seq>`).
    pub fn add(&mut self, seq: Seq, ts_ms: i64, src: AccountId, dst: AccountId, amount_fen: i64, channel: Channel) {
        let kind = channel.kind();
        self.transfers.insert(
            seq,
            TransferRecord {
                ts_ms,
                src,
                dst,
                amount_fen,
                channel,
                txn_id: format!("T{seq}"),
                currency: "CNY".into(),
                src_name: String::new(),
                dst_name: String::new(),
                src_bank: String::new(),
                dst_bank: String::new(),
                memo: String::new(),
            },
        );
        let key = |e: &Edge| (e.ts_ms, e.seq);
        let o = self.out.entry(src).or_default();
        o.push(Edge { ts_ms, seq, counterparty: dst, amount_fen, channel: kind });
        o.sort_by_key(key);
        let i = self.inn.entry(dst).or_default();
        i.push(Edge { ts_ms, seq, counterparty: src, amount_fen, channel: kind });
        i.sort_by_key(key);
    }

    pub fn set_kind(&mut self, id: AccountId, kind: AccountKind) {
        self.attrs.entry(id).or_default().kind = kind;
    }

    pub fn set_attrs(&mut self, id: AccountId, attrs: AccountAttrs) {
        self.attrs.insert(id, attrs);
    }

    pub fn set_name(&mut self, id: AccountId, external: &str) {
        self.names.insert(id, external.to_string());
    }

    /// The balance a statement shows before the account's first line.
    pub fn set_opening_balance(&mut self, id: AccountId, fen: i64) {
        self.openings.insert(id, fen);
    }

    /// An attribute a statement line showed for the account (a login IP or MAC).
    pub fn add_seen(&mut self, id: AccountId, kind: crate::model::AttrKind, value: &str) {
        self.seen.insert((kind, value.to_string(), id));
    }

    /// A balance a statement shows after a line at `ts_ms`.
    pub fn add_balance(&mut self, id: AccountId, ts_ms: i64, fen: i64) {
        let v = self.balances.entry(id).or_default();
        v.push((ts_ms, fen));
        v.sort_unstable();
    }
}

impl TransferGraph for MemGraph {
    fn account_id(&self, external: &str) -> GraphResult<Option<AccountId>> {
        if let Some((id, _)) = self.names.iter().find(|(_, n)| n.as_str() == external) {
            return Ok(Some(*id));
        }
        Ok(external.strip_prefix('A').and_then(|s| s.parse().ok()))
    }
    fn account_external(&self, id: AccountId) -> GraphResult<String> {
        Ok(self.names.get(&id).cloned().unwrap_or_else(|| format!("A{id}")))
    }
    fn account_attrs(&self, id: AccountId) -> GraphResult<AccountAttrs> {
        Ok(self.attrs.get(&id).cloned().unwrap_or_default())
    }
    fn for_each_edge(
        &self,
        account: AccountId,
        dir: Direction,
        from_ms: i64,
        to_ms: i64,
        f: &mut dyn FnMut(Edge) -> bool,
    ) -> GraphResult<()> {
        let list = match dir {
            Direction::Out => self.out.get(&account),
            Direction::In => self.inn.get(&account),
        };
        for e in list.into_iter().flatten() {
            if e.ts_ms >= from_ms && e.ts_ms <= to_ms && !f(*e) {
                break;
            }
        }
        Ok(())
    }
    fn transfer(&self, seq: Seq) -> GraphResult<Option<TransferRecord>> {
        Ok(self.transfers.get(&seq).cloned())
    }
    fn transfer_by_txn_id(&self, txn_id: &str) -> GraphResult<Option<(Seq, TransferRecord)>> {
        Ok(self.transfers.iter().find(|(_, t)| t.txn_id == txn_id).map(|(s, t)| (*s, t.clone())))
    }
    fn account_count(&self) -> AccountId {
        let max = |m: &BTreeMap<AccountId, Vec<Edge>>| m.keys().next_back().map_or(0, |k| k + 1);
        max(&self.out).max(max(&self.inn)).max(self.attrs.keys().next_back().map_or(0, |k| k + 1))
    }
    fn opening_balance(&self, account: AccountId) -> GraphResult<Option<i64>> {
        Ok(self.openings.get(&account).copied())
    }
    fn balance_at(&self, account: AccountId, ts_ms: i64) -> GraphResult<Option<i64>> {
        Ok(self.balances.get(&account).and_then(|v| v.iter().rev().find(|(t, _)| *t <= ts_ms)).map(|(_, b)| *b))
    }
    fn accounts_sharing(&self, kind: crate::model::AttrKind, value: &str) -> GraphResult<Vec<AccountId>> {
        Ok(self
            .attrs
            .iter()
            .filter(|(_, a)| a.shared_attributes().any(|(k, v)| k == kind && v == value))
            .map(|(id, _)| *id)
            .chain(self.seen.iter().filter(|(k, v, _)| *k == kind && v == value).map(|(_, _, id)| *id))
            .collect())
    }
    fn attribute_range(
        &self,
        kind: crate::model::AttrKind,
        from: &str,
        to: Option<&str>,
    ) -> GraphResult<Vec<(String, AccountId)>> {
        let within = |v: &str| v >= from && to.is_none_or(|t| v <= t);
        let mut out: Vec<(String, AccountId)> = self
            .attrs
            .iter()
            .flat_map(|(id, a)| a.shared_attributes().map(move |(k, v)| (k, v.to_string(), *id)))
            .chain(self.seen.iter().cloned())
            .filter(|(k, v, _)| *k == kind && within(v))
            .map(|(_, v, id)| (v, id))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }
}
