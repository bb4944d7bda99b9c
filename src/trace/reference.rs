//! Brute-force reference implementation of `docs/trace-semantics.md`, for property tests of the trace engine.
//!
//! Written from the spec only (not from the engine). It simulates every account over all transfers in time order
//! with a plain `Vec` of lots per account; it is meant to be obviously correct, not fast.
//!
//! Readings of the spec where it leaves room (the most literal reading is taken each time):
//!
//! - R1 "Reached": a victim's money reaches an account only through a *followed* delivery (rule 5, or a seed
//!   that is followed). Deliveries counted as beyond the hop limit or below the cut-off deliver clean money.
//!   Victims and terminal accounts never have a pool, so their outgoing transfers carry nothing (T = 0); under
//!   poison they are never "reached" either (a return or a terminal delivery is not followed). A non-seed transfer
//!   from a victim therefore delivers clean money.
//! - R2 Transfers into victims deliver nothing to a pool (victims have none). Every other transfer delivers to its
//!   destination's pool if it has one: the followed portions plus clean for the rest, or its whole amount as clean
//!   (T = 0, beyond the hop limit, below the cut-off, or a terminal transfer into an ordinary account, e.g. channel
//!   `pos`). Rule order is as written: 1 beyond, 2 returned, 3 terminal, 4 below cut-off, 5 followed; so a
//!   beyond-the-limit transfer into a victim or a terminal counts as beyond the hop limit.
//! - R3 A terminal's `hop` is the smallest `hop(A) + 1` over the transfers that reached it (1 for a seed), as for
//!   accounts; its `kind` is the kind of the first transfer that reached it; `received` sums all its receipts.
//! - R4 An account's `hop` is the running minimum described in the spec; rule 1 uses the source's hop as it stands
//!   when the transfer is processed. `first_arrival` is the ts of the first followed traced delivery.
//! - R5 `traced_out` counts every traced amount leaving the account's pool, whatever then happens to it (beyond,
//!   returned, terminal, below cut-off or followed). For fifo/lifo/proportional `held = traced_in - traced_out`.
//! - R6 Poison: pools are not used, so `held` is empty for every account and `held_total` is empty. A poison transfer
//!   carries its full amount for each victim that reached its source strictly earlier in time order; `T` is the
//!   sum over those victims (so rule 4 compares `amount * victims` with `min_amount`). `traced_in`/`traced_out`
//!   are the amounts so carried. A delivery followed under poison adds its victims to the destination's reach set.
//! - R7 A self-transfer (src == dst) first takes from the pool, then delivers to the same pool.
//! - R8 Zero entries are omitted from every per-victim map (accounts, terminals, transfers and the totals); a
//!   transfer appears in `transfers` only if T > 0. Lots of zero amount are never created (an incoming transfer
//!   appends a clean lot only if `a - T > 0`), and lots emptied by an outgoing transfer are dropped (this does not
//!   change any rule: an empty lot gives nothing under fifo/lifo and never wins a fen under proportional).
//! - R9 A seed of amount 0 carries nothing. Transfers with `ts > as_of` do not exist. Seeds are given by seq; the
//!   label of a seed is its source account.
//! - R10 `check_conservation` only sees a result, so the caller decides not to call it for poison.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

// Channel codes.
const CH_UNSPECIFIED: u8 = 0;
const CH_TRANSFER: u8 = 1;
const CH_ATM_WITHDRAWAL: u8 = 2;
const CH_POS: u8 = 3;
const CH_THIRD_PARTY: u8 = 4;
const CH_SALARY: u8 = 5;

// Account kind codes.
const KIND_UNKNOWN: u8 = 0;
const KIND_PERSONAL: u8 = 1;
const KIND_CORPORATE: u8 = 2;
const KIND_MERCHANT: u8 = 3;
const KIND_THIRD_PARTY: u8 = 4;
const KIND_ATM: u8 = 5;
const KIND_OTC: u8 = 6;
const KIND_PAYMENT: u8 = 7;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTransfer {
    pub seq: u64,
    pub ts: i64,
    pub src: u32,
    pub dst: u32,
    pub amount: i64,
    pub channel: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefRule {
    Fifo,
    Lifo,
    Proportional,
    Poison,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefParams {
    pub rule: RefRule,
    pub hops: u32,
    pub min_amount: i64,
    pub as_of: i64,
    /// Seqs of the seed transfers (all exist, ts <= as_of, distinct).
    pub seeds: Vec<u64>,
    /// Account kind codes; a missing account is 0 (unknown).
    pub kinds: BTreeMap<u32, u8>,
    pub frozen: BTreeSet<u32>,
    /// Opening balances (from statements): clean money an account held before any transfer.
    pub opening: BTreeMap<u32, i64>,
}

/// Per reached account; the maps are keyed by victim and omit zero entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefAccount {
    pub hop: u32,
    pub first_arrival: i64,
    pub traced_in: BTreeMap<u32, i64>,
    pub traced_out: BTreeMap<u32, i64>,
    pub held: BTreeMap<u32, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTerminal {
    /// "frozen" | "cash" | "otc" | "platform" | "merchant"
    pub kind: &'static str,
    pub hop: u32,
    pub received: BTreeMap<u32, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefResult {
    pub accounts: BTreeMap<u32, RefAccount>,
    pub terminals: BTreeMap<u32, RefTerminal>,
    pub transfers: BTreeMap<u64, BTreeMap<u32, i64>>,
    pub seed_total: BTreeMap<u32, i64>,
    pub returned: BTreeMap<u32, i64>,
    pub below_cutoff: BTreeMap<u32, i64>,
    pub beyond_hops: BTreeMap<u32, i64>,
    pub held_total: BTreeMap<u32, i64>,
    pub terminal_total: BTreeMap<u32, i64>,
}

/// A lot of a pool: `label` is `None` for clean money, `Some(victim)` for a victim's money.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lot {
    label: Option<u32>,
    amount: i64,
}

/// Adds `v` to `map[k]` (callers only add positive amounts, so no zero entry is ever created).
fn add(map: &mut BTreeMap<u32, i64>, k: u32, v: i64) {
    *map.entry(k).or_insert(0) += v;
}

fn add_all(map: &mut BTreeMap<u32, i64>, other: &BTreeMap<u32, i64>) {
    for (&k, &v) in other {
        add(map, k, v);
    }
}

/// Takes `a` fen from `pool` by `rule` (fifo, lifo or proportional) and returns the lots taken. If the pool holds
/// less than `a`, the whole pool is taken (the rest of `a` is unexplained clean money and is not returned).
fn take(pool: &mut Vec<Lot>, a: i64, rule: RefRule) -> Vec<Lot> {
    let mut taken = Vec::new();
    match rule {
        RefRule::Fifo | RefRule::Lifo => {
            // Visit lots from the front (fifo) or from the back (lifo), taking whole lots and splitting the last.
            let order: Vec<usize> =
                if rule == RefRule::Fifo { (0..pool.len()).collect() } else { (0..pool.len()).rev().collect() };
            let mut need = a;
            for i in order {
                if need == 0 {
                    break;
                }
                let give = need.min(pool[i].amount);
                pool[i].amount -= give;
                need -= give;
                taken.push(Lot { label: pool[i].label, amount: give });
            }
        }
        RefRule::Proportional => {
            let total: i64 = pool.iter().map(|l| l.amount).sum();
            if a >= total {
                taken = std::mem::take(pool);
            } else {
                let (a128, total128) = (i128::from(a), i128::from(total));
                let mut give: Vec<i64> = Vec::new();
                let mut remainder: Vec<i128> = Vec::new();
                for lot in pool.iter() {
                    let product = a128 * i128::from(lot.amount);
                    give.push(i64::try_from(product / total128).expect("floor fits i64"));
                    remainder.push(product % total128);
                }
                let missing = a - give.iter().sum::<i64>();
                // Largest remainders first, ties to the earlier lot.
                let mut order: Vec<usize> = (0..pool.len()).collect();
                order.sort_by_key(|&i| (std::cmp::Reverse(remainder[i]), i));
                for &i in order.iter().take(usize::try_from(missing).expect("missing fen >= 0")) {
                    give[i] += 1;
                }
                for (lot, g) in pool.iter_mut().zip(give) {
                    assert!(g <= lot.amount, "proportional take exceeds a lot");
                    lot.amount -= g;
                    taken.push(Lot { label: lot.label, amount: g });
                }
            }
        }
        RefRule::Poison => unreachable!("poison does not use pools"),
    }
    pool.retain(|l| l.amount > 0);
    taken
}

/// Appends a clean lot of `amount` to `dst`'s pool, if the transfer delivers to a pool and `dst` has one.
fn deliver_clean(pools: &mut BTreeMap<u32, Vec<Lot>>, dst: u32, amount: i64, delivers_to_pool: bool) {
    if let Some(pool) = pools.get_mut(&dst).filter(|_| delivers_to_pool && amount > 0) {
        pool.push(Lot { label: None, amount });
    }
}

/// Kind code of an account (missing = unknown).
fn kind_of(params: &RefParams, acc: u32) -> u8 {
    params.kinds.get(&acc).copied().unwrap_or(KIND_UNKNOWN)
}

/// Terminal accounts: kind atm, otc, third_party or merchant, or frozen.
fn is_terminal_account(params: &RefParams, acc: u32) -> bool {
    params.frozen.contains(&acc)
        || matches!(kind_of(params, acc), KIND_ATM | KIND_OTC | KIND_THIRD_PARTY | KIND_MERCHANT)
}

/// A terminal transfer: into a terminal account, or with channel atm_withdrawal, third_party or pos — except
/// into a payment account (not frozen), which the money is followed through.
fn is_terminal_transfer(params: &RefParams, x: &RefTransfer) -> bool {
    let through_platform = kind_of(params, x.dst) == KIND_PAYMENT && !params.frozen.contains(&x.dst);
    is_terminal_account(params, x.dst)
        || (!through_platform && matches!(x.channel, CH_ATM_WITHDRAWAL | CH_THIRD_PARTY | CH_POS))
}

/// The first matching terminal kind of a terminal transfer.
fn terminal_kind(params: &RefParams, x: &RefTransfer) -> &'static str {
    let kind = kind_of(params, x.dst);
    if params.frozen.contains(&x.dst) {
        "frozen"
    } else if x.channel == CH_ATM_WITHDRAWAL || kind == KIND_ATM {
        "cash"
    } else if kind == KIND_OTC {
        "otc"
    } else if kind == KIND_THIRD_PARTY || x.channel == CH_THIRD_PARTY {
        "platform"
    } else if kind == KIND_MERCHANT || x.channel == CH_POS {
        "merchant"
    } else {
        unreachable!("not a terminal transfer: {x:?}")
    }
}

pub fn reference_trace(transfers: &[RefTransfer], params: &RefParams) -> RefResult {
    let poison = params.rule == RefRule::Poison;

    // Seeds: seq -> victim (the seed's source account).
    let mut seed_victim: BTreeMap<u64, u32> = BTreeMap::new();
    for &seq in &params.seeds {
        let x = transfers.iter().find(|x| x.seq == seq).expect("seed transfer exists");
        assert!(x.ts <= params.as_of, "seed after as_of");
        seed_victim.insert(seq, x.src);
    }
    let victims: BTreeSet<u32> = seed_victim.values().copied().collect();

    // Only transfers with ts <= as_of exist; time order is (ts, seq).
    let mut live: Vec<&RefTransfer> = transfers.iter().filter(|x| x.ts <= params.as_of).collect();
    live.sort_by_key(|x| (x.ts, x.seq));

    // Every account that is not terminal and not a victim keeps a pool (not under poison: pools are not used).
    let mut pools: BTreeMap<u32, Vec<Lot>> = BTreeMap::new();
    if !poison {
        for x in &live {
            for acc in [x.src, x.dst] {
                if !is_terminal_account(params, acc) && !victims.contains(&acc) {
                    // The opening balance is the oldest money in the pool, and clean.
                    let opening = params.opening.get(&acc).copied().filter(|b| *b > 0);
                    pools.insert(acc, opening.map(|amount| vec![Lot { label: None, amount }]).unwrap_or_default());
                }
            }
        }
    }
    // Poison: victims whose money has reached each account (by followed deliveries).
    let mut reach: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();

    let mut r = RefResult {
        accounts: BTreeMap::new(),
        terminals: BTreeMap::new(),
        transfers: BTreeMap::new(),
        seed_total: BTreeMap::new(),
        returned: BTreeMap::new(),
        below_cutoff: BTreeMap::new(),
        beyond_hops: BTreeMap::new(),
        held_total: BTreeMap::new(),
        terminal_total: BTreeMap::new(),
    };

    for x in live {
        let seed = seed_victim.get(&x.seq).copied();
        let terminal_transfer = is_terminal_transfer(params, x);
        // Transfers into victims deliver nothing (victims have no pool); terminal accounts have no pool either.
        let delivers_to_pool = !victims.contains(&x.dst);

        // What X carries, per victim, and the lots it took in order (they arrive in that order).
        let mut carried: BTreeMap<u32, i64> = BTreeMap::new();
        let mut lots: Vec<Lot> = Vec::new();
        if let Some(v) = seed {
            if x.amount > 0 {
                carried.insert(v, x.amount);
                add(&mut r.seed_total, v, x.amount);
                lots.push(Lot { label: Some(v), amount: x.amount });
            }
        } else if poison {
            for &v in reach.get(&x.src).into_iter().flatten() {
                carried.insert(v, x.amount);
            }
        } else if let Some(pool) = pools.get_mut(&x.src) {
            lots = take(pool, x.amount, params.rule);
            for lot in &lots {
                if let Some(v) = lot.label {
                    add(&mut carried, v, lot.amount);
                }
            }
        }
        carried.retain(|_, v| *v > 0);
        let t: i64 = carried.values().sum();

        if t == 0 {
            // X simply delivers clean money.
            deliver_clean(&mut pools, x.dst, x.amount, delivers_to_pool);
            continue;
        }

        r.transfers.insert(x.seq, carried.clone());
        let src_hop = match seed {
            Some(_) => 0,
            None => {
                let a = r.accounts.get_mut(&x.src).expect("only reached accounts carry traced money");
                add_all(&mut a.traced_out, &carried);
                a.hop
            }
        };

        if seed.is_none() && src_hop + 1 > params.hops {
            // 1. Beyond the hop limit: X delivers its whole amount as clean.
            add_all(&mut r.beyond_hops, &carried);
            deliver_clean(&mut pools, x.dst, x.amount, delivers_to_pool);
        } else if victims.contains(&x.dst) {
            // 2. Returned to victims; not followed.
            add_all(&mut r.returned, &carried);
        } else if terminal_transfer {
            // 3. Terminal: the first kind is kept, the hop is the smallest; an ordinary destination (terminal by
            //    channel only) still receives the whole amount as clean money.
            let kind = terminal_kind(params, x);
            let term =
                r.terminals.entry(x.dst).or_insert(RefTerminal { kind, hop: src_hop + 1, received: BTreeMap::new() });
            term.hop = term.hop.min(src_hop + 1);
            add_all(&mut term.received, &carried);
            add_all(&mut r.terminal_total, &carried);
            deliver_clean(&mut pools, x.dst, x.amount, delivers_to_pool);
        } else if seed.is_none() && t < params.min_amount {
            // 4. Below the cut-off: X delivers its whole amount as clean.
            add_all(&mut r.below_cutoff, &carried);
            deliver_clean(&mut pools, x.dst, x.amount, delivers_to_pool);
        } else {
            // 5. Followed.
            let acc = r.accounts.entry(x.dst).or_insert(RefAccount {
                hop: src_hop + 1,
                first_arrival: x.ts,
                traced_in: BTreeMap::new(),
                traced_out: BTreeMap::new(),
                held: BTreeMap::new(),
            });
            acc.hop = acc.hop.min(src_hop + 1);
            add_all(&mut acc.traced_in, &carried);
            if poison {
                reach.entry(x.dst).or_default().extend(carried.keys().copied());
            } else {
                let pool = pools.get_mut(&x.dst).expect("a followed destination has a pool");
                // The lots X took, in the order taken (clean ones included), then one clean lot with
                // what the sender's pool could not explain.
                let taken: i64 = lots.iter().map(|l| l.amount).sum();
                pool.extend(lots.iter().cloned());
                if x.amount - taken > 0 {
                    pool.push(Lot { label: None, amount: x.amount - taken });
                }
            }
        }
    }

    // Held: each reached account's lots per victim at the end (empty under poison: no pools).
    for (acc, a) in r.accounts.iter_mut() {
        for lot in pools.get(acc).into_iter().flatten() {
            if let Some(v) = lot.label {
                add(&mut a.held, v, lot.amount);
            }
        }
        a.held.retain(|_, v| *v > 0);
        add_all(&mut r.held_total, &a.held);
    }
    r
}

/// Per victim: seed_total == held_total + terminal_total + returned + below_cutoff + beyond_hops.
/// (Only meaningful for fifo, lifo and proportional: the caller skips it for poison.)
pub fn check_conservation(r: &RefResult) -> Result<(), String> {
    let maps = [&r.seed_total, &r.held_total, &r.terminal_total, &r.returned, &r.below_cutoff, &r.beyond_hops];
    let victims: BTreeSet<u32> = maps.iter().flat_map(|m| m.keys().copied()).collect();
    let get = |m: &BTreeMap<u32, i64>, v: u32| m.get(&v).copied().unwrap_or(0);
    let mut errors = Vec::new();
    for v in victims {
        let seeds = get(&r.seed_total, v);
        let (held, term, ret, below, beyond) = (
            get(&r.held_total, v),
            get(&r.terminal_total, v),
            get(&r.returned, v),
            get(&r.below_cutoff, v),
            get(&r.beyond_hops, v),
        );
        let sum = held + term + ret + below + beyond;
        if seeds != sum {
            errors.push(format!(
                "victim {v}: seeds {seeds} != {sum} = held {held} + terminals {term} + returned {ret} \
                 + below cut-off {below} + beyond hops {beyond}"
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Largest generated timestamp offset (small, so ties in time are common), and the latest seed offset.
const TS_MAX: i64 = 20;
const SEED_TS_MAX: i64 = 10;
const TS_BASE: i64 = 1_700_000_000;

fn arb_amount() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..=100, 1i64..=10_000, 500i64..=5_000]
}

fn arb_channel() -> impl Strategy<Value = u8> {
    prop_oneof![
        12 => Just(CH_TRANSFER),
        2 => Just(CH_UNSPECIFIED),
        1 => Just(CH_SALARY),
        2 => Just(CH_ATM_WITHDRAWAL),
        2 => Just(CH_POS),
        2 => Just(CH_THIRD_PARTY),
    ]
}

fn arb_kind() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => Just(KIND_UNKNOWN),
        8 => Just(KIND_PERSONAL),
        3 => Just(KIND_CORPORATE),
        1 => Just(KIND_MERCHANT),
        1 => Just(KIND_THIRD_PARTY),
        1 => Just(KIND_ATM),
        1 => Just(KIND_OTC),
        1 => Just(KIND_PAYMENT),
    ]
}

fn arb_rule() -> impl Strategy<Value = RefRule> {
    prop_oneof![Just(RefRule::Fifo), Just(RefRule::Lifo), Just(RefRule::Proportional), Just(RefRule::Poison)]
}

/// Small random cases that stress the semantics: 3-9 accounts; 5-60 transfers: 1-3 seeds from 1-3 victims (mostly
/// into one card), a short layering chain from the card after the seeds, the rest random; timestamps from a small
/// range (ties); seqs a random permutation (seq order differs from list order); dense random edges (cycles,
/// overdrafts, money back to victims, non-seed payments by victims); terminal kinds, frozen accounts, terminal
/// channels; any rule, hops 1-5, min_amount 0 or small, and an `as_of` that sometimes cuts off the last transfers
/// (never a seed). Amounts 1-10,000 fen.
pub fn arb_case() -> impl Strategy<Value = (Vec<RefTransfer>, RefParams)> {
    (3usize..=9, 1usize..=3, 1usize..=3, 0usize..=4, 4usize..=53).prop_flat_map(|(n, nv, ns, nc, nt)| {
        // Accounts by index: 0..nv are the victims, nv is the card; at least one more account.
        // Transfers: ns seeds, a layering chain of nc transfers from the card, nt random transfers (5..=60 in all).
        let nv = nv.min(n - 2);
        let ns = ns.max(nv);
        let m = ns + nc + nt;
        let ids = Just((0..n as u32).map(|i| 11 + 7 * i).collect::<Vec<u32>>()).prop_shuffle();
        let seed_dst = prop_oneof![5 => Just(nv), 1 => 0..n];
        let seeds = proptest::collection::vec((0..nv, seed_dst, 0..=SEED_TS_MAX, arb_amount(), arb_channel()), ns);
        let chain = proptest::collection::vec((nv..n, 500i64..=10_000, SEED_TS_MAX..=TS_MAX), nc);
        let others = proptest::collection::vec(
            (0..n, 0..n, prop::bool::weighted(0.03), arb_amount(), 0..=TS_MAX, arb_channel()),
            nt,
        );
        let seqs = Just((1..=m as u64).map(|s| 100 + 3 * s).collect::<Vec<u64>>()).prop_shuffle();
        let order = Just((0..m).collect::<Vec<usize>>()).prop_shuffle();
        // (kind, frozen, plain): the card and the chain's accounts are plain (personal, not frozen) when `plain`.
        let accounts = proptest::collection::vec(
            (
                arb_kind(),
                prop::bool::weighted(0.1),
                prop::bool::weighted(0.85),
                prop::option::weighted(0.3, 1i64..=30_000),
            ),
            n,
        );
        let params =
            (arb_rule(), 1u32..=5, prop_oneof![Just(0i64), 1i64..=3_000], prop::option::weighted(0.4, 0..=TS_MAX));
        (ids, seeds, chain, others, seqs, order, accounts, params).prop_map(
            move |(ids, seeds, mut chain, others, seqs, order, accounts, (rule, hops, min_amount, cut))| {
                let mut list: Vec<RefTransfer> = Vec::new();
                for (i, (v, dst, ts, amount, channel)) in seeds.into_iter().enumerate() {
                    // Every victim pays at least one seed; further seeds come from any victim.
                    let v = if i < nv { i } else { v };
                    let (src, dst, ts) = (ids[v], ids[dst], TS_BASE + ts);
                    list.push(RefTransfer { seq: 0, ts, src, dst, amount, channel });
                }
                // A layering chain card -> ... in time order, through non-victim accounts.
                chain.sort_by_key(|&(_, _, ts)| ts);
                let mut cur = nv;
                let mut layering = BTreeSet::from([nv]);
                for (next, amount, ts) in chain {
                    let next = if next == cur { nv + (next - nv + 1) % (n - nv) } else { next };
                    let (src, dst, ts) = (ids[cur], ids[next], TS_BASE + ts);
                    list.push(RefTransfer { seq: 0, ts, src, dst, amount, channel: CH_TRANSFER });
                    cur = next;
                    layering.insert(next);
                }
                for (src, dst, self_loop, amount, ts, channel) in others {
                    // Self-transfers are rare.
                    let dst = if dst == src && !self_loop { (src + 1) % n } else { dst };
                    let (src, dst, ts) = (ids[src], ids[dst], TS_BASE + ts);
                    list.push(RefTransfer { seq: 0, ts, src, dst, amount, channel });
                }
                for (x, &seq) in list.iter_mut().zip(&seqs) {
                    x.seq = seq;
                }
                let seed_seqs: Vec<u64> = list[..ns].iter().map(|x| x.seq).collect();
                let last_seed_ts = list[..ns].iter().map(|x| x.ts).max().expect("at least one seed");
                let as_of = match cut {
                    Some(ts) => (TS_BASE + ts).max(last_seed_ts),
                    None => TS_BASE + TS_MAX,
                };
                let transfers: Vec<RefTransfer> = order.iter().map(|&i| list[i].clone()).collect();
                let mut kinds = BTreeMap::new();
                let mut frozen = BTreeSet::new();
                let mut opening = BTreeMap::new();
                for (i, &(kind, is_frozen, plain, balance)) in accounts.iter().enumerate() {
                    if let Some(b) = balance {
                        opening.insert(ids[i], b);
                    }
                    let (kind, is_frozen) =
                        if layering.contains(&i) && plain { (KIND_PERSONAL, false) } else { (kind, is_frozen) };
                    if kind != KIND_UNKNOWN {
                        kinds.insert(ids[i], kind);
                    }
                    if is_frozen {
                        frozen.insert(ids[i]);
                    }
                }
                (transfers, RefParams { rule, hops, min_amount, as_of, seeds: seed_seqs, kinds, frozen, opening })
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    // Account ids used in the hand-worked examples.
    const V: u32 = 1; // victim
    const W: u32 = 2; // second victim
    const A: u32 = 10; // first-level card
    const B: u32 = 20;
    const C: u32 = 30;
    const D: u32 = 40;
    const X: u32 = 90; // outsiders paying clean money
    const Y: u32 = 91;

    fn tc(seq: u64, ts: i64, src: u32, dst: u32, amount: i64, channel: u8) -> RefTransfer {
        RefTransfer { seq, ts, src, dst, amount, channel }
    }

    fn t(seq: u64, ts: i64, src: u32, dst: u32, amount: i64) -> RefTransfer {
        tc(seq, ts, src, dst, amount, CH_TRANSFER)
    }

    fn m(pairs: &[(u32, i64)]) -> BTreeMap<u32, i64> {
        pairs.iter().copied().collect()
    }

    fn p(rule: RefRule, hops: u32, min_amount: i64, seeds: &[u64]) -> RefParams {
        RefParams {
            rule,
            hops,
            min_amount,
            as_of: i64::MAX,
            seeds: seeds.to_vec(),
            kinds: BTreeMap::new(),
            frozen: BTreeSet::new(),
            opening: BTreeMap::new(),
        }
    }

    fn acc(
        hop: u32,
        first_arrival: i64,
        traced_in: &[(u32, i64)],
        out: &[(u32, i64)],
        held: &[(u32, i64)],
    ) -> RefAccount {
        RefAccount { hop, first_arrival, traced_in: m(traced_in), traced_out: m(out), held: m(held) }
    }

    fn term(kind: &'static str, hop: u32, received: &[(u32, i64)]) -> RefTerminal {
        RefTerminal { kind, hop, received: m(received) }
    }

    fn tmap(entries: &[(u64, &[(u32, i64)])]) -> BTreeMap<u64, BTreeMap<u32, i64>> {
        entries.iter().map(|&(seq, pairs)| (seq, m(pairs))).collect()
    }

    fn run(transfers: &[RefTransfer], params: &RefParams) -> RefResult {
        let r = reference_trace(transfers, params);
        if params.rule != RefRule::Poison {
            check_conservation(&r).unwrap();
        }
        r
    }

    /// FIFO: the clean lot that arrived first leaves first.
    /// t1 X->A 500: X has an empty pool, so this is clean; A = [clean 500].
    /// t2 seed V->A 1000: A hop 1, A = [clean 500, V 1000].
    /// t3 A->B 800: takes clean 500, then V 300 (split). T = 300, followed: B hop 2, B = [clean 500, V 300]
    /// (the order taken).
    /// t4 B->C 600: takes clean 500, V 100. T = 100, followed (hop(B)+1 = 3 <= 3): C hop 3, C = [clean 500, V 100].
    /// Held: A V 700, B V 200, C V 100; total 1000 = seed.
    #[test]
    fn fifo_clean_opening_lot_leaves_first() {
        let xs = [t(1, 1, X, A, 500), t(2, 2, V, A, 1000), t(3, 3, A, B, 800), t(4, 4, B, C, 600)];
        let r = run(&xs, &p(RefRule::Fifo, 3, 0, &[2]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 2, &[(V, 1000)], &[(V, 300)], &[(V, 700)])),
                (B, acc(2, 3, &[(V, 300)], &[(V, 100)], &[(V, 200)])),
                (C, acc(3, 4, &[(V, 100)], &[], &[(V, 100)])),
            ])
        );
        assert_eq!(r.transfers, tmap(&[(2, &[(V, 1000)]), (3, &[(V, 300)]), (4, &[(V, 100)])]));
        assert_eq!(r.seed_total, m(&[(V, 1000)]));
        assert_eq!(r.held_total, m(&[(V, 1000)]));
        assert!(r.terminals.is_empty() && r.returned.is_empty() && r.below_cutoff.is_empty());
        assert!(r.beyond_hops.is_empty() && r.terminal_total.is_empty());
    }

    /// An opening balance (A's statement shows 400 before its first line) is the oldest clean lot.
    /// FIFO: A = [clean 400]; t2 A = [clean 400, V 1000]; t3 A->B 800 takes clean 400 then V 400;
    /// A holds V 600; B = [clean 400, V 400]; t4 B->C 600 takes clean 400, V 200: C gets V 200, B holds
    /// V 200. LIFO: t3 takes V 800; A holds V 200 (the opening stays).
    #[test]
    fn an_opening_balance_is_the_oldest_clean_money() {
        let xs = [t(2, 2, V, A, 1000), t(3, 3, A, B, 800), t(4, 4, B, C, 600)];
        let mut params = p(RefRule::Fifo, 3, 0, &[2]);
        params.opening = m(&[(A, 400)]);
        let r = run(&xs, &params);
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 2, &[(V, 1000)], &[(V, 400)], &[(V, 600)])),
                (B, acc(2, 3, &[(V, 400)], &[(V, 200)], &[(V, 200)])),
                (C, acc(3, 4, &[(V, 200)], &[], &[(V, 200)])),
            ])
        );
        params.rule = RefRule::Lifo;
        let r = run(&xs, &params);
        assert_eq!(r.accounts[&A], acc(1, 2, &[(V, 1000)], &[(V, 800)], &[(V, 200)]));
    }

    /// LIFO on the same transfers: the newest (traced) lot leaves first.
    /// t1 A = [clean 500]; t2 A = [clean 500, V 1000].
    /// t3 A->B 800: takes V 800 from the back; A = [clean 500, V 200]; B = [V 800].
    /// t4 B->C 600: takes V 600; B = [V 200]; C = [V 600].
    #[test]
    fn lifo_newest_lot_leaves_first() {
        let xs = [t(1, 1, X, A, 500), t(2, 2, V, A, 1000), t(3, 3, A, B, 800), t(4, 4, B, C, 600)];
        let r = run(&xs, &p(RefRule::Lifo, 3, 0, &[2]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 2, &[(V, 1000)], &[(V, 800)], &[(V, 200)])),
                (B, acc(2, 3, &[(V, 800)], &[(V, 600)], &[(V, 200)])),
                (C, acc(3, 4, &[(V, 600)], &[], &[(V, 600)])),
            ])
        );
        assert_eq!(r.transfers, tmap(&[(2, &[(V, 1000)]), (3, &[(V, 800)]), (4, &[(V, 600)])]));
        assert_eq!(r.held_total, m(&[(V, 1000)]));
    }

    /// LIFO also splits the last lot taken, across two victims.
    /// seeds V->A 1000 (t1), W->A 300 (t2): A = [V 1000, W 300].
    /// t3 A->B 500: W 300, then V 200 (split). B = [V 200, W 300] (ascending victim order).
    #[test]
    fn lifo_splits_the_last_lot() {
        let xs = [t(1, 1, V, A, 1000), t(2, 2, W, A, 300), t(3, 3, A, B, 500)];
        let r = run(&xs, &p(RefRule::Lifo, 5, 0, &[1, 2]));
        assert_eq!(r.transfers[&3], m(&[(V, 200), (W, 300)]));
        assert_eq!(r.accounts[&A].held, m(&[(V, 800)]));
        assert_eq!(r.accounts[&B].held, m(&[(V, 200), (W, 300)]));
    }

    /// Proportional with the largest-remainder fen.
    /// t1 X->A 300, t2 seed V->A 500, t3 Y->A 200: A = [clean 300, V 500, clean 200], total 1000.
    /// t4 A->B 333 (< 1000): 333*300 = 99900 -> 99 rem 900; 333*500 = 166500 -> 166 rem 500;
    ///    333*200 = 66600 -> 66 rem 600. Floors 331, 2 fen missing: to rem 900 (lot 0) and rem 600 (lot 2).
    ///    Gives clean 100, V 166, clean 67. T = 166. A = [clean 200, V 334, clean 133]; B = [V 166, clean 167].
    #[test]
    fn proportional_largest_remainder() {
        let xs = [t(1, 1, X, A, 300), t(2, 2, V, A, 500), t(3, 3, Y, A, 200), t(4, 4, A, B, 333)];
        let r = run(&xs, &p(RefRule::Proportional, 5, 0, &[2]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 2, &[(V, 500)], &[(V, 166)], &[(V, 334)])),
                (B, acc(2, 4, &[(V, 166)], &[], &[(V, 166)])),
            ])
        );
        assert_eq!(r.transfers, tmap(&[(2, &[(V, 500)]), (4, &[(V, 166)])]));
    }

    /// Proportional: remainder ties go to the earlier lot; and `a >= total` takes the whole pool.
    /// t1 X->A 100, t2 seed V->A 100, t3 seed W->A 100: A = [clean 100, V 100, W 100], total 300.
    /// t4 A->B 200: each lot 20000 / 300 = 66 rem 200; floors 198, 2 fen to lots 0 and 1 (all tie):
    ///    clean 67, V 67, W 66. T = 133. A = [clean 33, V 33, W 34]; B = [V 67, W 66, clean 67].
    /// t5 A->C 500 >= total 100: whole pool (V 33, W 34) plus 400 unexplained clean. C = [V 33, W 34, clean 433].
    #[test]
    fn proportional_ties_to_earlier_lot_and_whole_pool() {
        let xs = [t(1, 1, X, A, 100), t(2, 2, V, A, 100), t(3, 3, W, A, 100), t(4, 4, A, B, 200), t(5, 5, A, C, 500)];
        let r = run(&xs, &p(RefRule::Proportional, 5, 0, &[2, 3]));
        assert_eq!(r.transfers[&4], m(&[(V, 67), (W, 66)]));
        assert_eq!(r.transfers[&5], m(&[(V, 33), (W, 34)]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 2, &[(V, 100), (W, 100)], &[(V, 100), (W, 100)], &[])),
                (B, acc(2, 4, &[(V, 67), (W, 66)], &[], &[(V, 67), (W, 66)])),
                (C, acc(2, 5, &[(V, 33), (W, 34)], &[], &[(V, 33), (W, 34)])),
            ])
        );
        assert_eq!(r.held_total, m(&[(V, 100), (W, 100)]));
    }

    /// Poison: full amount per victim once reached; not conserved; held is empty.
    /// t1 A->D 300: A not reached yet, nothing.   t2 X->A 50: clean.
    /// t3 seed V->A 1000: A reached {V}, hop 1.
    /// t4 A->B 700: carries V 700. B reached {V}, hop 2.
    /// t5 seed W->B 200: B reached {V, W}, hop min(2, 1) = 1.
    /// t6 B->C 5000: carries V 5000 and W 5000 (more than B ever received). C hop 2.
    /// t7 C->V 100: returned V 100, W 100.
    #[test]
    fn poison_carries_full_amount_per_victim() {
        let xs = [
            t(1, 1, A, D, 300),
            t(2, 2, X, A, 50),
            t(3, 3, V, A, 1000),
            t(4, 4, A, B, 700),
            t(5, 5, W, B, 200),
            t(6, 6, B, C, 5000),
            t(7, 7, C, V, 100),
        ];
        let r = run(&xs, &p(RefRule::Poison, 5, 0, &[3, 5]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 3, &[(V, 1000)], &[(V, 700)], &[])),
                (B, acc(1, 4, &[(V, 700), (W, 200)], &[(V, 5000), (W, 5000)], &[])),
                (C, acc(2, 6, &[(V, 5000), (W, 5000)], &[(V, 100), (W, 100)], &[])),
            ])
        );
        assert_eq!(
            r.transfers,
            tmap(&[
                (3, &[(V, 1000)]),
                (4, &[(V, 700)]),
                (5, &[(W, 200)]),
                (6, &[(V, 5000), (W, 5000)]),
                (7, &[(V, 100), (W, 100)]),
            ])
        );
        assert_eq!(r.returned, m(&[(V, 100), (W, 100)]));
        assert_eq!(r.seed_total, m(&[(V, 1000), (W, 200)]));
        assert!(r.held_total.is_empty() && r.terminal_total.is_empty());
        assert!(check_conservation(&r).is_err());
    }

    /// Overdraft: paying out more than the pool holds takes the whole pool plus unexplained clean money.
    /// t1 seed V->A 1000: A = [V 1000].
    /// t2 A->B 1500: whole pool (V 1000) + 500 unexplained clean. T = 1000. B = [V 1000, clean 500].
    /// t3 A->C 200: pool empty, all unexplained clean: T = 0, C is not reached (gets a clean lot).
    /// t4 B->D 1200 (fifo): V 1000 + clean 200. D hop 3, D = [V 1000, clean 200].
    #[test]
    fn overdraft_with_unexplained_clean_money() {
        let xs = [t(1, 1, V, A, 1000), t(2, 2, A, B, 1500), t(3, 3, A, C, 200), t(4, 4, B, D, 1200)];
        let r = run(&xs, &p(RefRule::Fifo, 5, 0, &[1]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 1, &[(V, 1000)], &[(V, 1000)], &[])),
                (B, acc(2, 2, &[(V, 1000)], &[(V, 1000)], &[])),
                (D, acc(3, 4, &[(V, 1000)], &[], &[(V, 1000)])),
            ])
        );
        assert_eq!(r.transfers, tmap(&[(1, &[(V, 1000)]), (2, &[(V, 1000)]), (4, &[(V, 1000)])]));
        assert_eq!(r.held_total, m(&[(V, 1000)]));
    }

    /// min_amount = 500 (LIFO). Seeds are never below the cut-off.
    /// t1 seed V->A 1000, t2 seed W->A 300 (300 < 500 but a seed: followed): A = [V 1000, W 300].
    /// t3 A->B 200: W 200, T = 200 < 500: below cut-off W 200; B gets clean 200 and is not reached.
    /// t4 A->C 700: W 100, V 600; T = 700 >= 500: followed, C = [V 600, W 100].
    /// t5 B->D 200: B holds only clean money: T = 0.
    #[test]
    fn min_amount_cut_off() {
        let xs = [t(1, 1, V, A, 1000), t(2, 2, W, A, 300), t(3, 3, A, B, 200), t(4, 4, A, C, 700), t(5, 5, B, D, 200)];
        let r = run(&xs, &p(RefRule::Lifo, 5, 500, &[1, 2]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 1, &[(V, 1000), (W, 300)], &[(V, 600), (W, 300)], &[(V, 400)])),
                (C, acc(2, 4, &[(V, 600), (W, 100)], &[], &[(V, 600), (W, 100)])),
            ])
        );
        assert_eq!(
            r.transfers,
            tmap(&[(1, &[(V, 1000)]), (2, &[(W, 300)]), (3, &[(W, 200)]), (4, &[(V, 600), (W, 100)])])
        );
        assert_eq!(r.below_cutoff, m(&[(W, 200)]));
        assert_eq!(r.held_total, m(&[(V, 1000), (W, 100)]));
    }

    /// Hop limit K = 2 (FIFO), and a hop that shortens later.
    /// t1 seed V->A 100: A hop 1, A = [V 100].
    /// t2 A->B 100: B hop 2, B = [V 100].
    /// t3 B->C 50: hop(B)+1 = 3 > 2: beyond V 50; C gets clean 50 (C = [clean 50]). B = [V 50].
    /// t4 seed V->B 100: B hop becomes 1. B = [V 50, V 100].
    /// t5 B->C 50: V 50, hop(B)+1 = 2: followed. C hop 2, first arrival 5, C = [clean 50, V 50].
    /// t6 C->D 30: clean 30, T = 0.
    /// t7 C->D 40: clean 20 + V 20; hop(C)+1 = 3 > 2: beyond V 20; D gets clean, not reached.
    /// Held: B V 100, C V 30; beyond 70; 130 + 70 = 200 = seeds.
    #[test]
    fn hop_limit() {
        let xs = [
            t(1, 1, V, A, 100),
            t(2, 2, A, B, 100),
            t(3, 3, B, C, 50),
            t(4, 4, V, B, 100),
            t(5, 5, B, C, 50),
            t(6, 6, C, D, 30),
            t(7, 7, C, D, 40),
        ];
        let r = run(&xs, &p(RefRule::Fifo, 2, 0, &[1, 4]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 1, &[(V, 100)], &[(V, 100)], &[])),
                (B, acc(1, 2, &[(V, 200)], &[(V, 100)], &[(V, 100)])),
                (C, acc(2, 5, &[(V, 50)], &[(V, 20)], &[(V, 30)])),
            ])
        );
        assert_eq!(
            r.transfers,
            tmap(&[
                (1, &[(V, 100)]),
                (2, &[(V, 100)]),
                (3, &[(V, 50)]),
                (4, &[(V, 100)]),
                (5, &[(V, 50)]),
                (7, &[(V, 20)]),
            ])
        );
        assert_eq!(r.beyond_hops, m(&[(V, 70)]));
        assert_eq!(r.held_total, m(&[(V, 130)]));
    }

    /// Returned to victims (FIFO). Victims are W's and V's seed sources.
    /// t1 seed V->A 1000: A = [V 1000].
    /// t2 A->V 400: returned V 400. A = [V 600].
    /// t3 V->A 200 (not a seed): a victim has no pool, so T = 0: A = [V 600, clean 200].
    /// t4 A->W 700 (W is another victim): V 600 + clean 100: returned V 600. A = [clean 100].
    /// t5 seed W->B 50: B = [W 50].
    /// t6 B->V 80: W 50 + 30 unexplained clean: returned W 50.
    #[test]
    fn returned_to_victims() {
        let xs = [
            t(1, 1, V, A, 1000),
            t(2, 2, A, V, 400),
            t(3, 3, V, A, 200),
            t(4, 4, A, W, 700),
            t(5, 5, W, B, 50),
            t(6, 6, B, V, 80),
        ];
        let r = run(&xs, &p(RefRule::Fifo, 5, 0, &[1, 5]));
        assert_eq!(r.returned, m(&[(V, 1000), (W, 50)]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 1, &[(V, 1000)], &[(V, 1000)], &[])),
                (B, acc(1, 5, &[(W, 50)], &[(W, 50)], &[])),
            ])
        );
        assert_eq!(
            r.transfers,
            tmap(&[(1, &[(V, 1000)]), (2, &[(V, 400)]), (4, &[(V, 600)]), (5, &[(W, 50)]), (6, &[(W, 50)])])
        );
        assert!(r.held_total.is_empty());
    }

    /// Terminal kinds, by account kind, frozen and channel (FIFO, K = 5).
    /// M merchant kind, D personal, P frozen and third_party kind, O otc kind, Q atm kind, E and F ordinary.
    /// t1 seed V->A 1000: A = [V 1000].
    /// t2 A->M 100: merchant (kind), hop 2.
    /// t3 A->D 200 channel atm_withdrawal: cash at D (an ordinary account); D's pool gets nothing.
    /// t4 A->P 300 channel third_party: frozen (first matching kind).
    /// t5 A->O 150: otc.   t6 A->Q 100 channel pos: cash (kind atm comes before channel pos).
    /// t7 A->D 50 channel pos: D stays "cash" (its first kind), received 250.
    /// t8 D->E 250: D's pool is empty, T = 0 (E is not reached).
    /// t9 seed W->M 500: M stays at hop 2 (hop at first reach), received W 500.
    /// t10 A->E 60 channel third_party: platform at E.   t11 A->F 40 channel pos: merchant at F (no kind entry).
    /// A paid out 100+200+300+150+100+50+60+40 = 1000: holds nothing.
    #[test]
    fn terminal_kinds() {
        const M: u32 = 50;
        const P: u32 = 60;
        const O: u32 = 70;
        const Q: u32 = 80;
        const E: u32 = 85;
        const F: u32 = 95;
        let xs = [
            t(1, 1, V, A, 1000),
            t(2, 2, A, M, 100),
            tc(3, 3, A, D, 200, CH_ATM_WITHDRAWAL),
            tc(4, 4, A, P, 300, CH_THIRD_PARTY),
            t(5, 5, A, O, 150),
            tc(6, 6, A, Q, 100, CH_POS),
            tc(7, 7, A, D, 50, CH_POS),
            t(8, 8, D, E, 250),
            t(9, 9, W, M, 500),
            tc(10, 10, A, E, 60, CH_THIRD_PARTY),
            tc(11, 11, A, F, 40, CH_POS),
        ];
        let mut params = p(RefRule::Fifo, 5, 0, &[1, 9]);
        params.kinds = BTreeMap::from([
            (M, KIND_MERCHANT),
            (D, KIND_PERSONAL),
            (P, KIND_THIRD_PARTY),
            (O, KIND_OTC),
            (Q, KIND_ATM),
            (E, KIND_CORPORATE),
        ]);
        params.frozen = BTreeSet::from([P]);
        let r = run(&xs, &params);
        assert_eq!(
            r.terminals,
            BTreeMap::from([
                // First reached at hop 2 (A->M), then by W's seed at hop 1: the smallest hop is kept.
                (M, term("merchant", 1, &[(V, 100), (W, 500)])),
                (D, term("cash", 2, &[(V, 250)])),
                (P, term("frozen", 2, &[(V, 300)])),
                (O, term("otc", 2, &[(V, 150)])),
                (Q, term("cash", 2, &[(V, 100)])),
                (E, term("platform", 2, &[(V, 60)])),
                (F, term("merchant", 2, &[(V, 40)])),
            ])
        );
        assert_eq!(r.accounts, BTreeMap::from([(A, acc(1, 1, &[(V, 1000)], &[(V, 1000)], &[]))]));
        assert_eq!(r.terminal_total, m(&[(V, 1000), (W, 500)]));
        assert!(!r.transfers.contains_key(&8));
        assert!(r.held_total.is_empty());
    }

    /// A terminal transfer into an ordinary account still brings it clean money (K = 1, FIFO).
    /// t1 X->B 500 channel pos: T = 0; B = [clean 500].
    /// t2 seed V->B 1000: B hop 1, B = [clean 500, V 1000].
    /// t3 B->C 400: takes clean 400, T = 0: clean to C. B = [clean 100, V 1000].
    /// t4 B->D 300 channel pos: clean 100 + V 200; rule 1 first: beyond V 200; D = [clean 300]. B = [V 800].
    /// t5 seed W->D 200: D hop 1, D = [clean 300, W 200].
    /// t6 D->C 100: takes clean 100, T = 0.
    #[test]
    fn terminal_transfers_deliver_clean_money_to_pools() {
        let xs = [
            tc(1, 1, X, B, 500, CH_POS),
            t(2, 2, V, B, 1000),
            t(3, 3, B, C, 400),
            tc(4, 4, B, D, 300, CH_POS),
            t(5, 5, W, D, 200),
            t(6, 6, D, C, 100),
        ];
        let r = run(&xs, &p(RefRule::Fifo, 1, 0, &[2, 5]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (B, acc(1, 2, &[(V, 1000)], &[(V, 200)], &[(V, 800)])),
                (D, acc(1, 5, &[(W, 200)], &[], &[(W, 200)])),
            ])
        );
        assert_eq!(r.transfers, tmap(&[(2, &[(V, 1000)]), (4, &[(V, 200)]), (5, &[(W, 200)])]));
        assert_eq!(r.beyond_hops, m(&[(V, 200)]));
        assert!(r.terminals.is_empty());
    }

    /// A time tie decided by seq, not by list order; ts before seq; as_of cuts later transfers.
    /// List order: [A->C 400 (ts 5, seq 30), seed V->A 1000 (ts 5, seq 20), A->B 600 (ts 5, seq 10),
    ///              A->D 100 (ts 4, seq 99), A->E 600 (ts 9, after as_of = 8)].
    /// Time order: seq 99 (ts 4): A empty, clean.  seq 10: A empty, clean; B not reached.
    /// seq 20: seed, A = [V 1000].  seq 30: V 400 to C.  ts 9: does not exist.
    #[test]
    fn time_tie_decided_by_seq() {
        const E: u32 = 50;
        let xs =
            [t(30, 5, A, C, 400), t(20, 5, V, A, 1000), t(10, 5, A, B, 600), t(99, 4, A, D, 100), t(7, 9, A, E, 600)];
        let mut params = p(RefRule::Fifo, 5, 0, &[20]);
        params.as_of = 8;
        let r = run(&xs, &params);
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 5, &[(V, 1000)], &[(V, 400)], &[(V, 600)])),
                (C, acc(2, 5, &[(V, 400)], &[], &[(V, 400)])),
            ])
        );
        assert_eq!(r.transfers, tmap(&[(20, &[(V, 1000)]), (30, &[(V, 400)])]));
    }

    /// Two victims into one card (FIFO); the lots of one transfer arrive in the order they were taken.
    /// Victims 7 and 3 (3 < 7 although 7 paid first: the order is the money's, not the labels').
    /// t1 seed 7->A 1000: A = [7:1000].  t2 seed 3->A 500: A = [7:1000, 3:500].
    /// t3 A->B 1200: 7:1000 + 3:200. B = [7:1000, 3:200] (as taken). A = [3:300].
    /// t4 B->C 300: 7:300. B = [7:700, 3:200]; C = [7:300].
    /// t5 seed 7->A 100 (second seed of victim 7, same label): A = [3:300, 7:100].
    #[test]
    fn two_victims_into_one_card() {
        const V7: u32 = 7;
        const V3: u32 = 3;
        let xs =
            [t(1, 1, V7, A, 1000), t(2, 2, V3, A, 500), t(3, 3, A, B, 1200), t(4, 4, B, C, 300), t(5, 5, V7, A, 100)];
        let r = run(&xs, &p(RefRule::Fifo, 5, 0, &[1, 2, 5]));
        assert_eq!(
            r.accounts,
            BTreeMap::from([
                (A, acc(1, 1, &[(V7, 1100), (V3, 500)], &[(V7, 1000), (V3, 200)], &[(V3, 300), (V7, 100)])),
                (B, acc(2, 3, &[(V3, 200), (V7, 1000)], &[(V7, 300)], &[(V3, 200), (V7, 700)])),
                (C, acc(3, 4, &[(V7, 300)], &[], &[(V7, 300)])),
            ])
        );
        assert_eq!(r.transfers[&4], m(&[(V7, 300)]));
        assert_eq!(r.seed_total, m(&[(V3, 500), (V7, 1100)]));
        assert_eq!(r.held_total, m(&[(V3, 500), (V7, 1100)]));
    }

    fn no_zero(map: &BTreeMap<u32, i64>) -> bool {
        map.values().all(|&v| v > 0)
    }

    /// Self-consistency of one result (all rules).
    fn check_invariants(xs: &[RefTransfer], params: &RefParams, r: &RefResult) -> Result<(), TestCaseError> {
        let poison = params.rule == RefRule::Poison;
        let by_seq: BTreeMap<u64, &RefTransfer> = xs.iter().map(|x| (x.seq, x)).collect();
        let victims: BTreeSet<u32> = params.seeds.iter().map(|s| by_seq[s].src).collect();
        for (seq, per_victim) in &r.transfers {
            let x = by_seq[seq];
            prop_assert!(x.ts <= params.as_of);
            prop_assert!(!per_victim.is_empty() && no_zero(per_victim));
            for &v in per_victim.values() {
                prop_assert!(v <= x.amount, "transfer {} carries {} > amount {}", seq, v, x.amount);
            }
            if !poison {
                prop_assert!(per_victim.values().sum::<i64>() <= x.amount);
            }
        }
        for s in &params.seeds {
            let x = by_seq[s];
            prop_assert_eq!(&r.transfers[s], &m(&[(x.src, x.amount)]));
        }
        for (id, a) in &r.accounts {
            prop_assert!(!victims.contains(id));
            prop_assert!(a.hop >= 1 && a.hop <= params.hops);
            prop_assert!(no_zero(&a.traced_in) && no_zero(&a.traced_out) && no_zero(&a.held));
            if poison {
                prop_assert!(a.held.is_empty());
            } else {
                let mut expect = a.traced_in.clone();
                for (v, out) in &a.traced_out {
                    *expect.get_mut(v).expect("out only what came in") -= out;
                }
                expect.retain(|_, v| *v != 0);
                prop_assert_eq!(&a.held, &expect);
            }
        }
        for tm in r.terminals.values() {
            prop_assert!(tm.hop >= 1 && tm.hop <= params.hops);
            prop_assert!(!tm.received.is_empty() && no_zero(&tm.received));
        }
        for map in [&r.seed_total, &r.returned, &r.below_cutoff, &r.beyond_hops, &r.held_total, &r.terminal_total] {
            prop_assert!(no_zero(map));
        }
        Ok(())
    }

    /// `small` is within `big`: every key of `small` is in `big` with a value at least as large.
    fn within(small: &BTreeMap<u32, i64>, big: &BTreeMap<u32, i64>) -> bool {
        small.iter().all(|(k, v)| big.get(k).is_some_and(|b| b >= v))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Conservation (non-poison) and the per-transfer bound, plus self-consistency of the result.
        #[test]
        fn conservation_and_bounds((xs, params) in arb_case()) {
            let r = reference_trace(&xs, &params);
            if params.rule != RefRule::Poison {
                if let Err(e) = check_conservation(&r) {
                    return Err(TestCaseError::fail(e));
                }
            }
            check_invariants(&xs, &params, &r)?;
        }

        /// Poison is an upper bound of reach: whatever fifo, lifo or proportional follows on a case, poison follows
        /// too, at a hop no larger, carrying at least as much per victim on each transfer.
        #[test]
        fn poison_bounds_the_other_rules((xs, params) in arb_case()) {
            let poison = reference_trace(&xs, &RefParams { rule: RefRule::Poison, ..params.clone() });
            for rule in [RefRule::Fifo, RefRule::Lifo, RefRule::Proportional] {
                let r = reference_trace(&xs, &RefParams { rule, ..params.clone() });
                for (id, a) in &r.accounts {
                    let pa = poison.accounts.get(id);
                    prop_assert!(pa.is_some_and(|pa| pa.hop <= a.hop), "{:?}: account {} not bounded", rule, id);
                }
                for (seq, per_victim) in &r.transfers {
                    prop_assert!(poison.transfers.get(seq).is_some_and(|pv| within(per_victim, pv)));
                }
                for (id, tm) in &r.terminals {
                    prop_assert!(poison.terminals.get(id).is_some_and(|pt| within(&tm.received, &pt.received)));
                }
                prop_assert!(within(&r.returned, &poison.returned));
            }
        }
    }

    /// The generator does produce the shapes it promises, often enough.
    #[test]
    fn arb_case_covers_the_semantics() {
        let mut runner = TestRunner::deterministic();
        let strategy = arb_case();
        let n = 1000;
        let mut hits: BTreeMap<&str, usize> = BTreeMap::new();
        for _ in 0..n {
            let (xs, params) = strategy.new_tree(&mut runner).expect("generate").current();
            let r = reference_trace(&xs, &params);
            let mut hit = |name: &'static str, cond: bool| *hits.entry(name).or_insert(0) += usize::from(cond);
            let live: Vec<&RefTransfer> = xs.iter().filter(|x| x.ts <= params.as_of).collect();
            let seeds: Vec<&RefTransfer> = xs.iter().filter(|x| params.seeds.contains(&x.seq)).collect();
            let victims: BTreeSet<u32> = seeds.iter().map(|x| x.src).collect();
            let mut sorted = live.clone();
            sorted.sort_by_key(|x| (x.ts, x.seq));
            hit("ties in time", live.iter().any(|x| live.iter().any(|y| x.seq != y.seq && x.ts == y.ts)));
            hit("seq order differs from list order", xs.windows(2).any(|w| w[0].seq > w[1].seq));
            hit(
                "cycle a->b->a",
                live.iter().any(|x| live.iter().any(|y| x.src == y.dst && x.dst == y.src && x.src != x.dst)),
            );
            hit("several victims", victims.len() >= 2);
            hit(
                "two victims into one card",
                seeds.iter().any(|x| seeds.iter().any(|y| x.src != y.src && x.dst == y.dst)),
            );
            hit("several seeds of one victim", seeds.len() > victims.len());
            hit(
                "non-seed payment by a victim",
                live.iter().any(|x| victims.contains(&x.src) && !params.seeds.contains(&x.seq)),
            );
            hit("as_of cuts transfers", live.len() < xs.len());
            hit("frozen account", !params.frozen.is_empty());
            hit(
                "terminal channel",
                live.iter().any(|x| matches!(x.channel, CH_ATM_WITHDRAWAL | CH_POS | CH_THIRD_PARTY)),
            );
            hit("returned", !r.returned.is_empty());
            hit("terminals", !r.terminals.is_empty());
            hit("below cut-off", !r.below_cutoff.is_empty());
            hit("beyond hops", !r.beyond_hops.is_empty());
            hit("held", !r.held_total.is_empty());
            hit("followed beyond hop 2", r.accounts.values().any(|a| a.hop >= 3));
            // An account paying out more than it had received so far (overdraft: unexplained clean money).
            let mut balance: BTreeMap<u32, i64> = BTreeMap::new();
            let mut overdraft = false;
            for x in &sorted {
                *balance.entry(x.dst).or_insert(0) += x.amount;
                let b = balance.entry(x.src).or_insert(0);
                *b -= x.amount;
                overdraft |= *b < 0 && !victims.contains(&x.src);
            }
            hit("overdraft", overdraft);
            for rule in [RefRule::Fifo, RefRule::Lifo, RefRule::Proportional, RefRule::Poison] {
                hit(
                    match rule {
                        RefRule::Fifo => "rule fifo",
                        RefRule::Lifo => "rule lifo",
                        RefRule::Proportional => "rule proportional",
                        RefRule::Poison => "rule poison",
                    },
                    params.rule == rule,
                );
            }
        }
        let rare: Vec<String> =
            hits.iter().filter(|(_, &c)| c * 20 < n).map(|(name, c)| format!("{name}: {c}/{n}")).collect();
        assert!(rare.is_empty(), "rarely generated: {rare:?} (all: {hits:?})");
    }
}
