//! The trace engine: follows seeds' money in time order through the accounts it reaches.
//!
//! Semantics: `docs/trace-semantics.md`. The engine is lazy: an account's ledger (its transfers in and
//! out up to `as_of`) is read only when traced money first reaches it; its earlier history is replayed as
//! clean money, so its pool is what it would have been had every account been simulated from the start
//! (which is what the brute-force reference in `reference.rs` does, and the tests compare the two).
//!
//! All ledgers are merged through one priority queue keyed (ts, seq, side): a transfer's outgoing side
//! (which decides what it carries) is processed before its incoming side (which delivers it).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use rustc_hash::FxHashMap;

use super::{Rule, TerminalKind, TraceError, TraceParams};
use crate::graph::{Direction, TransferGraph};
use crate::model::{AccountId, AccountKind, ChannelKind, Seq};

/// Index of a victim in [`Trace::victims`].
pub type VictimIdx = usize;
const CLEAN: u32 = u32::MAX;
/// The origin of an opening balance's lot: no transfer brought it in.
const OPENING_BALANCE: Seq = Seq::MAX;

/// Amounts per victim, holding only the victims whose money is there (sorted by victim, no zeros): a
/// trace's memory grows with the money it follows, not with victims × transfers. A trace of 1,000
/// victims' payments into one pool used to carry a 1,000-long vector on every transfer and account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerVictim(Vec<(u32, i64)>);

impl PerVictim {
    /// The amount of victim `v` (0 when none of its money is there).
    pub fn get(&self, v: VictimIdx) -> i64 {
        let Ok(v) = u32::try_from(v) else { return 0 };
        self.0.binary_search_by_key(&v, |e| e.0).map_or(0, |i| self.0[i].1)
    }

    /// Adds `a` fen of victim `v`'s money, checked.
    fn add(&mut self, v: u32, a: i64) -> Result<(), TraceError> {
        if a == 0 {
            return Ok(());
        }
        match self.0.binary_search_by_key(&v, |e| e.0) {
            Ok(i) => {
                add(&mut self.0[i].1, a)?;
                if self.0[i].1 == 0 {
                    self.0.remove(i);
                }
            }
            Err(i) => self.0.insert(i, (v, a)),
        }
        Ok(())
    }

    /// (victim, amount) for each victim whose money is there, by victim.
    pub fn iter(&self) -> impl Iterator<Item = (VictimIdx, i64)> + '_ {
        self.0.iter().map(|&(v, a)| (v as VictimIdx, a))
    }

    /// All victims' money together.
    pub fn total(&self) -> i64 {
        self.0.iter().map(|e| e.1).sum()
    }

    /// One amount per victim, `n` victims (for comparisons with the dense reference).
    pub fn to_dense(&self, n: usize) -> Vec<i64> {
        let mut out = vec![0; n];
        for (v, a) in self.iter() {
            out[v] = a;
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lot {
    /// Victim index, or [`CLEAN`].
    label: u32,
    amount: i64,
    /// The transfer that brought this money in (for evidence chains).
    origin: Seq,
}

#[derive(Clone, Copy, Debug)]
struct LedgerEvent {
    ts_ms: i64,
    seq: Seq,
    out: bool,
    counterparty: AccountId,
    amount: i64,
    channel: ChannelKind,
}

impl LedgerEvent {
    fn key(&self) -> (i64, Seq, u8) {
        (self.ts_ms, self.seq, u8::from(!self.out))
    }
}

/// What the trace knows about an account that traced money reached (followed, not terminal).
#[derive(Clone, Debug)]
pub struct ReachedAccount {
    pub id: AccountId,
    pub hop: u32,
    pub first_arrival_ms: i64,
    pub traced_in: PerVictim,
    pub traced_out: PerVictim,
    pub held: PerVictim,
    /// Time of the latest traced delivery (for urgency).
    pub last_arrival_ms: i64,
    /// Whether the store has any outgoing transfer of this account (false: statement not yet requested).
    pub has_outgoing_records: bool,
    /// Traced deliveries into this account: (transfer seq, traced amount).
    pub deliveries: Vec<(Seq, i64)>,
    /// Distinct accounts it exchanged money with up to as_of (a hub test for freeze proposals).
    pub counterparties: usize,
}

/// A terminal that traced money reached.
#[derive(Clone, Debug)]
pub struct ReachedTerminal {
    pub id: AccountId,
    pub kind: TerminalKind,
    pub hop: u32,
    pub received: PerVictim,
}

/// A transfer that carried traced money.
#[derive(Clone, Debug)]
pub struct TracedTransfer {
    pub seq: Seq,
    pub ts_ms: i64,
    pub src: AccountId,
    pub dst: AccountId,
    pub amount: i64,
    /// Per victim.
    pub traced: PerVictim,
    /// Where its traced money came from: (incoming transfer seq, amount), largest first.
    pub sources: Vec<(Seq, i64)>,
    pub outcome: Outcome,
}

/// What happened to a traced transfer's money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Followed,
    Terminal(TerminalKind),
    Returned,
    BelowCutoff,
    BeyondHops,
}

/// Per-victim totals; conservation: `seed = held + terminals + returned + below_cutoff + beyond_hops`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VictimTotals {
    pub seed: i64,
    pub held: i64,
    pub terminals: i64,
    pub returned: i64,
    pub below_cutoff: i64,
    pub beyond_hops: i64,
}

impl VictimTotals {
    pub fn conserved(&self) -> bool {
        self.seed == self.held + self.terminals + self.returned + self.below_cutoff + self.beyond_hops
    }
}

/// The result of a trace, with internal ids.
#[derive(Clone, Debug)]
pub struct Trace {
    pub params: TraceParams,
    /// Victim accounts, in label order.
    pub victims: Vec<AccountId>,
    pub seeds: Vec<Seq>,
    pub accounts: BTreeMap<AccountId, ReachedAccount>,
    pub terminals: BTreeMap<AccountId, ReachedTerminal>,
    /// In time order.
    pub transfers: Vec<TracedTransfer>,
    pub totals: Vec<VictimTotals>,
}

impl Trace {
    /// True when every victim's money is accounted for to the fen (always checked; poison does not
    /// conserve by design and reports false).
    pub fn conserved(&self) -> bool {
        self.params.rule != Rule::Poison && self.totals.iter().all(VictimTotals::conserved)
    }
}

struct AccountState {
    ledger: Vec<LedgerEvent>,
    cursor: usize,
    pool: VecDeque<Lot>,
    /// Traced money in `pool` (fen). While it is zero the account's events cannot carry traced money, so
    /// they are not scheduled (the account is dormant) until a delivery wakes it: see [`Engine::wake`].
    traced_in_pool: i64,
    /// Whether the account's next event is in the heap (at most one entry per account).
    scheduled: bool,
    /// Poison: which victims' money has arrived (sorted victim indices).
    reached: Vec<u32>,
    reached_account: ReachedAccount,
}

struct Delivery {
    portions: Vec<(u32, i64, Seq)>,
    hop: u32,
}

struct Engine<'g, G: TransferGraph> {
    g: &'g G,
    p: &'g TraceParams,
    victims: Vec<AccountId>,
    victim_of: FxHashMap<AccountId, u32>,
    kinds: FxHashMap<AccountId, AccountKind>,
    states: FxHashMap<AccountId, AccountState>,
    heap: BinaryHeap<Reverse<(i64, Seq, u8, AccountId)>>,
    deliveries: FxHashMap<Seq, Delivery>,
    terminals: BTreeMap<AccountId, ReachedTerminal>,
    transfers: Vec<TracedTransfer>,
    totals: Vec<VictimTotals>,
}

/// Follows the seeds' money downstream. `seeds` are transfer sequence numbers.
pub fn trace_downstream<G: TransferGraph>(g: &G, seeds: &[Seq], params: &TraceParams) -> Result<Trace, TraceError> {
    if params.hops == 0 {
        return Err(TraceError::BadParams("hops must be at least 1".into()));
    }
    let mut seed_records = Vec::new();
    for &seq in seeds {
        let t = g.transfer(seq)?.ok_or(TraceError::UnknownSeed(format!("#{seq}")))?;
        if t.ts_ms > params.as_of_ms {
            return Err(TraceError::SeedAfterAsOf(t.txn_id.clone()));
        }
        seed_records.push((seq, t));
    }
    seed_records.sort_by_key(|(seq, t)| (t.ts_ms, *seq));
    seed_records.dedup_by_key(|(seq, _)| *seq);
    let mut victims: Vec<AccountId> = seed_records.iter().map(|(_, t)| t.src).collect();
    victims.sort_unstable();
    victims.dedup();
    let victim_of = victims.iter().enumerate().map(|(i, v)| (*v, i as u32)).collect();
    let nv = victims.len();
    let mut e = Engine {
        g,
        p: params,
        victims,
        victim_of,
        kinds: FxHashMap::default(),
        states: FxHashMap::default(),
        heap: BinaryHeap::new(),
        deliveries: FxHashMap::default(),
        terminals: BTreeMap::new(),
        transfers: Vec::new(),
        totals: vec![VictimTotals::default(); nv],
    };
    // Seeds enter the queue as outgoing events of their (untracked) victims.
    for (seq, t) in &seed_records {
        e.heap.push(Reverse((t.ts_ms, *seq, 0, t.src)));
    }
    let seeds_by_seq: FxHashMap<Seq, &crate::graph::TransferRecord> =
        seed_records.iter().map(|(s, t)| (*s, t)).collect();

    while let Some(Reverse((ts, seq, side, account))) = e.heap.pop() {
        if let Some(t) = seeds_by_seq.get(&seq).filter(|t| side == 0 && t.src == account) {
            let victim = e.victim_of[&t.src];
            add(&mut e.totals[victim as usize].seed, t.amount_fen)?;
            let channel = t.channel.kind();
            e.route(seq, ts, t.src, t.dst, t.amount_fen, channel, 0, vec![(victim, t.amount_fen, seq)], true)?;
            continue;
        }
        e.step(account)?;
    }
    e.finish(seed_records.iter().map(|(s, _)| *s).collect())
}

impl<G: TransferGraph> Engine<'_, G> {
    fn kind(&mut self, id: AccountId) -> Result<AccountKind, TraceError> {
        if let Some(k) = self.kinds.get(&id) {
            return Ok(k.clone());
        }
        let k = self.g.account_attrs(id)?.kind;
        self.kinds.insert(id, k.clone());
        Ok(k)
    }

    /// The terminal kind of a transfer, if it is a terminal transfer (docs/trace-semantics.md).
    fn terminal_kind(&mut self, dst: AccountId, channel: ChannelKind) -> Result<Option<TerminalKind>, TraceError> {
        if self.p.frozen.contains(&dst) {
            return Ok(Some(TerminalKind::Frozen));
        }
        let kind = self.kind(dst)?;
        Ok(TerminalKind::of_transfer(&kind, channel))
    }

    /// Decides where a transfer's traced portions go (rules 1–5) and records it.
    #[allow(clippy::too_many_arguments)]
    fn route(
        &mut self,
        seq: Seq,
        ts: i64,
        src: AccountId,
        dst: AccountId,
        amount: i64,
        channel: ChannelKind,
        src_hop: u32,
        portions: Vec<(u32, i64, Seq)>,
        is_seed: bool,
    ) -> Result<(), TraceError> {
        let mut traced = PerVictim::default();
        let mut sources: FxHashMap<Seq, i64> = FxHashMap::default();
        for &(v, a, origin) in portions.iter().filter(|p| p.0 != CLEAN) {
            traced.add(v, a)?;
            if !is_seed {
                add(sources.entry(origin).or_default(), a)?;
            }
        }
        let total = checked_sum(traced.iter().map(|(_, a)| a))?;
        if total == 0 {
            return Ok(());
        }
        let hop = src_hop + 1;
        let outcome = if !is_seed && hop > self.p.hops {
            for (v, a) in traced.iter() {
                add(&mut self.totals[v].beyond_hops, a)?;
            }
            Outcome::BeyondHops
        } else if self.victim_of.contains_key(&dst) {
            for (v, a) in traced.iter() {
                add(&mut self.totals[v].returned, a)?;
            }
            Outcome::Returned
        } else if let Some(kind) = self.terminal_kind(dst, channel)? {
            let entry = self.terminals.entry(dst).or_insert_with(|| ReachedTerminal {
                id: dst,
                kind,
                hop,
                received: PerVictim::default(),
            });
            entry.hop = entry.hop.min(hop);
            for (v, a) in traced.iter() {
                entry.received.add(v as u32, a)?;
                add(&mut self.totals[v].terminals, a)?;
            }
            Outcome::Terminal(kind)
        } else if self.p.scope.as_ref().is_some_and(|scope| !scope.contains(&dst)) {
            // Outside the caller's scope (upstream): not followed, counted with what is beyond the limit.
            for (v, a) in traced.iter() {
                add(&mut self.totals[v].beyond_hops, a)?;
            }
            Outcome::BeyondHops
        } else if !is_seed && total < self.p.min_amount_fen {
            for (v, a) in traced.iter() {
                add(&mut self.totals[v].below_cutoff, a)?;
            }
            Outcome::BelowCutoff
        } else {
            // What the pool cannot explain is the sender's own clean money, after what it took.
            let mut portions = portions;
            let explained = checked_sum(portions.iter().map(|p| p.1))?;
            if amount > explained {
                portions.push((CLEAN, amount - explained, seq));
            }
            self.deliveries.insert(seq, Delivery { portions, hop });
            if self.states.contains_key(&dst) {
                self.wake(dst, (ts, seq, 1));
            } else {
                self.taint(dst, (ts, seq, 1))?;
            }
            Outcome::Followed
        };
        let mut sources: Vec<(Seq, i64)> = sources.into_iter().collect();
        sources.sort_by_key(|&(s, a)| (Reverse(a), s));
        self.transfers.push(TracedTransfer { seq, ts_ms: ts, src, dst, amount, traced, sources, outcome });
        Ok(())
    }

    /// Loads an account's ledger when traced money first reaches it, and replays its history before
    /// `at` as clean money.
    fn taint(&mut self, id: AccountId, at: (i64, Seq, u8)) -> Result<(), TraceError> {
        let as_of = self.p.as_of_ms;
        // Each direction comes in (ts, seq) order: one merge, not a sort, makes the ledger.
        let [outs, ins] = [(Direction::Out, true), (Direction::In, false)].map(|(dir, out)| {
            let mut events = Vec::new();
            let read = self.g.for_each_edge(id, dir, i64::MIN, as_of, &mut |e| {
                events.push(LedgerEvent {
                    ts_ms: e.ts_ms,
                    seq: e.seq,
                    out,
                    counterparty: e.counterparty,
                    amount: e.amount_fen,
                    channel: e.channel,
                });
                true
            });
            read.map(|()| events)
        });
        let (outs, ins) = (outs?, ins?);
        let has_outgoing_records = !outs.is_empty() || self.g.has_edges(id, Direction::Out)?;
        let ledger = merge_by_key(outs, ins);
        let mut cps: Vec<AccountId> = ledger.iter().map(|e| e.counterparty).collect();
        cps.sort_unstable();
        cps.dedup();
        let counterparties = cps.len();
        let mut st = AccountState {
            ledger,
            cursor: 0,
            pool: VecDeque::new(),
            traced_in_pool: 0,
            scheduled: false,
            reached: Vec::new(),
            reached_account: ReachedAccount {
                id,
                hop: u32::MAX,
                first_arrival_ms: i64::MAX,
                last_arrival_ms: i64::MIN,
                traced_in: PerVictim::default(),
                traced_out: PerVictim::default(),
                held: PerVictim::default(),
                has_outgoing_records,
                deliveries: Vec::new(),
                counterparties,
            },
        };
        // What the account's statement shows it held before any recorded transfer is its own clean money,
        // the oldest in the pool (docs/trace-semantics.md, "Opening balances").
        if let Some(opening) = self.g.opening_balance(id)?.filter(|b| *b > 0) {
            st.pool.push_back(Lot { label: CLEAN, amount: opening, origin: OPENING_BALANCE });
        }
        // Replay: everything before `at` is clean (no traced money had reached the account).
        let history = st.ledger.partition_point(|ev| ev.key() < at);
        if self.p.rule == Rule::Proportional {
            // Rounding is per lot, so the lots' split matters: replay them one by one.
            for ev in &st.ledger[..history] {
                if ev.out {
                    take(&mut st.pool, ev.amount, self.p.rule);
                } else {
                    st.pool.push_back(Lot { label: CLEAN, amount: ev.amount, origin: ev.seq });
                }
            }
        } else {
            // An all-clean pool under FIFO, LIFO or poison is only its total: what leaves takes from it,
            // never below zero (as `take` does), and the amounts it later gives up are the same whether
            // that total is one lot or many (clean lots' origins are never reported).
            let mut clean: i64 = st.pool.iter().map(|l| l.amount).sum();
            for ev in &st.ledger[..history] {
                clean = if ev.out {
                    (clean - ev.amount).max(0)
                } else {
                    clean.checked_add(ev.amount).ok_or(TraceError::AmountOverflow)?
                };
            }
            st.pool.clear();
            if clean > 0 {
                st.pool.push_back(Lot { label: CLEAN, amount: clean, origin: OPENING_BALANCE });
            }
        }
        st.cursor = history;
        if let Some(ev) = st.ledger.get(st.cursor) {
            let (ts, seq, side) = ev.key();
            self.heap.push(Reverse((ts, seq, side, id)));
            st.scheduled = true;
        }
        self.states.insert(id, st);
        Ok(())
    }

    /// Brings a dormant account up to the delivery at `at` and schedules it again. Its events before
    /// `at` carried no traced money (its pool held none), so they are replayed here as clean money,
    /// outside the heap: the same pool results as stepping through them, at a fraction of the cost
    /// (most of a rented card's ledger is its everyday life).
    fn wake(&mut self, id: AccountId, at: (i64, Seq, u8)) {
        let Some(st) = self.states.get_mut(&id) else { return };
        if st.scheduled {
            return;
        }
        while let Some(ev) = st.ledger.get(st.cursor).filter(|ev| ev.key() < at) {
            if ev.out {
                take(&mut st.pool, ev.amount, self.p.rule);
            } else {
                st.pool.push_back(Lot { label: CLEAN, amount: ev.amount, origin: ev.seq });
            }
            st.cursor += 1;
        }
        if let Some(ev) = st.ledger.get(st.cursor) {
            let (ts, seq, side) = ev.key();
            self.heap.push(Reverse((ts, seq, side, id)));
            st.scheduled = true;
        }
    }

    /// Processes the next ledger event of a reached account.
    fn step(&mut self, id: AccountId) -> Result<(), TraceError> {
        let Some(st) = self.states.get_mut(&id) else { return Ok(()) };
        let ev = st.ledger[st.cursor];
        st.cursor += 1;
        st.scheduled = false;
        self.process(id, ev)?;
        // Poison follows every later outflow of a reached account; the other rules only while traced
        // money is in its pool.
        let st = self.states.get_mut(&id).expect("stepped account has a state");
        if !st.scheduled && (self.p.rule == Rule::Poison || st.traced_in_pool > 0) {
            if let Some(next) = st.ledger.get(st.cursor) {
                let (ts, seq, side) = next.key();
                self.heap.push(Reverse((ts, seq, side, id)));
                st.scheduled = true;
            }
        }
        Ok(())
    }

    /// One ledger event of a reached account: an arrival joins the pool; a departure takes from it by
    /// the rule and routes what it carries.
    fn process(&mut self, id: AccountId, ev: LedgerEvent) -> Result<(), TraceError> {
        let st = self.states.get_mut(&id).expect("processed account has a state");
        if !ev.out {
            match self.deliveries.remove(&ev.seq) {
                Some(d) => {
                    let ra = &mut st.reached_account;
                    ra.hop = ra.hop.min(d.hop);
                    ra.first_arrival_ms = ra.first_arrival_ms.min(ev.ts_ms);
                    ra.last_arrival_ms = ra.last_arrival_ms.max(ev.ts_ms);
                    // The lots arrive in the order the sender's pool gave them (docs/trace-semantics.md):
                    // labels only ride along, so a trace of fewer victims sees the same amounts in the
                    // same places, only with coarser labels (what makes upstream and downstream agree).
                    let mut traced_total = 0;
                    let mut delivered = 0;
                    for &(v, a, _) in &d.portions {
                        if v != CLEAN {
                            ra.traced_in.add(v, a)?;
                            if let Err(i) = st.reached.binary_search(&v) {
                                st.reached.insert(i, v);
                            }
                            add(&mut traced_total, a)?;
                        }
                        add(&mut delivered, a)?;
                        st.pool.push_back(Lot { label: v, amount: a, origin: ev.seq });
                    }
                    ra.deliveries.push((ev.seq, traced_total));
                    add(&mut st.traced_in_pool, traced_total)?;
                    if ev.amount > delivered {
                        st.pool.push_back(Lot { label: CLEAN, amount: ev.amount - delivered, origin: ev.seq });
                    }
                }
                None => st.pool.push_back(Lot { label: CLEAN, amount: ev.amount, origin: ev.seq }),
            }
            return Ok(());
        }
        let portions: Vec<(u32, i64, Seq)> = if self.p.rule == Rule::Poison {
            st.reached.iter().map(|&v| (v, ev.amount, ev.seq)).collect()
        } else {
            // Every lot taken, clean ones included and in order: the receiver's pool keeps the order.
            take(&mut st.pool, ev.amount, self.p.rule).into_iter().map(|l| (l.label, l.amount, l.origin)).collect()
        };
        if portions.iter().all(|p| p.0 == CLEAN) {
            return Ok(());
        }
        for &(v, a, _) in portions.iter().filter(|p| p.0 != CLEAN) {
            st.reached_account.traced_out.add(v, a)?;
            if self.p.rule != Rule::Poison {
                st.traced_in_pool -= a;
            }
        }
        let hop = st.reached_account.hop;
        self.route(ev.seq, ev.ts_ms, id, ev.counterparty, ev.amount, ev.channel, hop, portions, false)
    }

    fn finish(mut self, seeds: Vec<Seq>) -> Result<Trace, TraceError> {
        let mut accounts = BTreeMap::new();
        for (id, mut st) in self.states.drain() {
            if self.p.rule != Rule::Poison {
                for lot in &st.pool {
                    if lot.label != CLEAN {
                        st.reached_account.held.add(lot.label, lot.amount)?;
                        add(&mut self.totals[lot.label as usize].held, lot.amount)?;
                    }
                }
            }
            accounts.insert(id, st.reached_account);
        }
        Ok(Trace {
            params: self.p.clone(),
            victims: self.victims,
            seeds,
            accounts,
            terminals: self.terminals,
            transfers: self.transfers,
            totals: self.totals,
        })
    }
}

/// `acc += a`, or the trace stops with [`TraceError::AmountOverflow`]: a sum of bank amounts beyond what
/// i64 fen holds is not evidence, and release builds would otherwise wrap it silently.
fn add(acc: &mut i64, a: i64) -> Result<(), TraceError> {
    *acc = acc.checked_add(a).ok_or(TraceError::AmountOverflow)?;
    Ok(())
}

fn checked_sum(amounts: impl Iterator<Item = i64>) -> Result<i64, TraceError> {
    amounts.into_iter().try_fold(0i64, |acc, a| acc.checked_add(a).ok_or(TraceError::AmountOverflow))
}

/// Merges two ledgers, each sorted by [`LedgerEvent::key`], into one.
fn merge_by_key(a: Vec<LedgerEvent>, b: Vec<LedgerEvent>) -> Vec<LedgerEvent> {
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => {
                if x.key() <= y.key() {
                    a.next()
                } else {
                    b.next()
                }
            }
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(ev) => merged.push(ev),
            None => return merged,
        }
    }
}

/// Takes `amount` from a pool by the rule; returns the lots taken (clean included). When the pool holds
/// less, everything is taken and the rest is the account's own unexplained clean money (not returned).
fn take(pool: &mut VecDeque<Lot>, amount: i64, rule: Rule) -> Vec<Lot> {
    let mut taken = Vec::new();
    match rule {
        Rule::Fifo | Rule::Lifo | Rule::Poison => {
            let mut need = amount;
            while need > 0 {
                let lot = match rule {
                    Rule::Lifo => pool.back_mut(),
                    _ => pool.front_mut(),
                };
                let Some(lot) = lot else { break };
                let part = lot.amount.min(need);
                taken.push(Lot { amount: part, ..*lot });
                lot.amount -= part;
                need -= part;
                if lot.amount == 0 {
                    match rule {
                        Rule::Lifo => pool.pop_back(),
                        _ => pool.pop_front(),
                    };
                }
            }
        }
        Rule::Proportional => {
            let total: i64 = pool.iter().map(|l| l.amount).sum();
            if total <= amount {
                taken.extend(pool.drain(..));
            } else if amount > 0 {
                let (a, t) = (i128::from(amount), i128::from(total));
                // Each lot's floor share and remainder, computed once (a sort key recomputed them per
                // comparison: i128 division was most of a proportional trace's time).
                let mut parts: Vec<i64> = Vec::with_capacity(pool.len());
                let mut remainders: Vec<(Reverse<i128>, usize)> = Vec::with_capacity(pool.len());
                for (i, l) in pool.iter().enumerate() {
                    let x = a * i128::from(l.amount);
                    parts.push((x / t) as i64);
                    remainders.push((Reverse(x % t), i));
                }
                let missing = (amount - parts.iter().sum::<i64>()) as usize;
                // The `missing` largest remainders get one fen more; ties to the earlier lot. Keys are
                // unique, so selecting them is the same as sorting and taking the first `missing`.
                if missing > 0 {
                    if missing < remainders.len() {
                        remainders.select_nth_unstable(missing - 1);
                    }
                    for &(_, i) in &remainders[..missing] {
                        parts[i] += 1;
                    }
                }
                for (lot, part) in pool.iter_mut().zip(&parts) {
                    if *part > 0 {
                        taken.push(Lot { amount: *part, ..*lot });
                        lot.amount -= part;
                    }
                }
                pool.retain(|l| l.amount > 0);
            }
        }
    }
    taken
}
