//! The watch list of 资金预警 and the check of payments against it.
//!
//! When money from an ordinary person lands in an account already tied to a reported case, the payer is
//! probably the next victim, and a call or a visit within the hour (见面劝阻) saves the second and third
//! payment. An account is watched from the moment it is known — a registered case's trace reached it (涉案
//! 账户), a stop was placed on it, ring detection named it — never retroactively, and each entry says since
//! when it received fraud money: whoever paid it or was paid by it before that is its owner's established
//! contact (the everyday life of a rented card), not a victim.
//!
//! A payment is warned when it goes into a watched account from an ordinary person (not a merchant,
//! platform, company or terminal, not another watched account: that is layering), after the account's
//! first fraud inflow, from someone who is not an established contact. Its grade starts from the amount
//! and rises when the payer already paid a watched account, pays again, or pays several of them.
//!
//! Works on [`TransferGraph`]; the lists are built in `app::warnings`.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::graph::{Direction, GraphResult, TransferGraph};
use crate::model::{AccountId, AccountKind, Grade, Seq, WarningRecord};
use crate::money::Fen;
use crate::policy;

/// Why and since when an account is watched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watch {
    /// When it became known (the case's registration, the stop, the detection).
    pub since_ms: i64,
    /// Its first fraud inflow as far as known: payments from then on are checked, and whoever exchanged
    /// money with it before is an established contact.
    pub first_fraud_ms: i64,
    /// In words, for the warning's reasons: `涉案账户 (level 2 of case CASE-00017)`.
    pub why: String,
    /// How far from the victims: 1 for an account victims paid (a case's first level, a ring's collector,
    /// a stopped account no case places deeper), more for the cards behind it and the sinks where the
    /// money is spent or converted (OTC sellers, wholesalers), whose customers are ordinary people.
    pub level: u32,
}

/// Accounts watched, each with the earliest knowledge of it; and the victims who reported (their payments
/// up to their case's registration are the case, not a warning: the police know them; a payment after it
/// is a victim paying again, 二次被骗, and is warned).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchList {
    entries: BTreeMap<AccountId, Watch>,
    /// Victims who reported, with when their case was registered.
    reported: BTreeMap<AccountId, i64>,
}

impl WatchList {
    /// Adds what one source says about an account. The list keeps the earliest moment it became known, the
    /// earliest fraud inflow and the nearest level any source saw (with the reason of the earliest
    /// knowledge).
    pub fn add(&mut self, account: AccountId, watch: Watch) {
        match self.entries.get_mut(&account) {
            None => {
                self.entries.insert(account, watch);
            }
            Some(w) => {
                w.first_fraud_ms = w.first_fraud_ms.min(watch.first_fraud_ms);
                w.level = w.level.min(watch.level);
                if watch.since_ms < w.since_ms {
                    w.since_ms = watch.since_ms;
                    w.why = watch.why;
                }
            }
        }
    }

    /// A victim who reported a case registered at `registered_ms`.
    pub fn add_reporter(&mut self, victim: AccountId, registered_ms: i64) {
        let at = self.reported.entry(victim).or_insert(registered_ms);
        *at = (*at).min(registered_ms);
    }

    pub fn get(&self, account: AccountId) -> Option<&Watch> {
        self.entries.get(&account)
    }

    pub fn contains(&self, account: AccountId) -> bool {
        self.entries.contains_key(&account)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (AccountId, &Watch)> {
        self.entries.iter().map(|(a, w)| (*a, w))
    }
}

/// One payment to check: a transfer into an account.
#[derive(Clone, Copy, Debug)]
pub struct Payment {
    pub seq: Seq,
    pub ts_ms: i64,
    pub payer: AccountId,
    pub account: AccountId,
    pub amount_fen: i64,
}

/// Established contacts of watched accounts and the kinds of payers, loaded on first need and kept
/// (a server keeps one across ingests, so each account's early ledger is read once).
#[derive(Debug, Default)]
pub struct CheckMemo {
    /// Per account and first-fraud time: who exchanged money with it before.
    contacts: FxHashMap<(AccountId, i64), FxHashSet<AccountId>>,
    kinds: FxHashMap<AccountId, AccountKind>,
}

impl CheckMemo {
    fn contacts<G: TransferGraph>(
        &mut self,
        g: &G,
        account: AccountId,
        first_fraud_ms: i64,
    ) -> GraphResult<&FxHashSet<AccountId>> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.contacts.entry((account, first_fraud_ms)) {
            let mut set = FxHashSet::default();
            for dir in [Direction::In, Direction::Out] {
                // Well before the first fraud inflow known: that is only the first one a registered case
                // saw, and the card may have been collecting from unreported victims for days before.
                let before = first_fraud_ms.saturating_sub(policy::WARN_CONTACT_MARGIN_MS).saturating_sub(1);
                g.for_each_edge(account, dir, i64::MIN, before, &mut |e| {
                    set.insert(e.counterparty);
                    true
                })?;
            }
            slot.insert(set);
        }
        Ok(&self.contacts[&(account, first_fraud_ms)])
    }

    fn kind<G: TransferGraph>(&mut self, g: &G, account: AccountId) -> GraphResult<AccountKind> {
        if let Some(k) = self.kinds.get(&account) {
            return Ok(k.clone());
        }
        let k = g.account_attrs(account)?.kind;
        self.kinds.insert(account, k.clone());
        Ok(k)
    }

    /// Forgets what an upload of accounts may have changed (kinds) or what new early transfers may
    /// change (contacts): cheap to rebuild, wrong to keep stale.
    pub fn clear(&mut self) {
        self.contacts.clear();
        self.kinds.clear();
    }
}

/// Why a payment into a watched account raised no warning (counted by the evaluation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// Before the account's first fraud inflow.
    BeforeFraud,
    /// From another watched account: layering, not a victim.
    AmongWatched,
    /// From a merchant, platform, company or terminal.
    NotAPerson,
    /// From someone who exchanged money with the account well before it received fraud money
    /// ([`policy::WARN_CONTACT_MARGIN_MS`] before the first fraud inflow known).
    EstablishedContact,
    /// From a victim who reported, before their case was registered: their payments are their case.
    Reporter,
    /// From an account passing on money that just arrived (快进快出): another card of the chain, not yet
    /// known, not a victim paying from their own money.
    PassThrough,
    /// A payer's first payment into watched accounts, below [`policy::WARN_MIN_FIRST_PAYMENT_YUAN`].
    SmallFirst,
    /// Into an account deeper than [`policy::WARN_MAX_LEVEL`]: where the money is passed on, spent or
    /// converted, and ordinary people pay as customers; victims pay the first level.
    DeepLevel,
}

/// Checks payments against the list: the warnings they raise (graded, with reasons), at `now_ms`.
/// `skipped` is told of each of the others, with the reason. Cost: the payments, plus each new payer's outgoing ledger (for
/// repetition) and each watched account's ledger before its first fraud inflow, read once per memo.
pub fn check<G: TransferGraph>(
    g: &G,
    list: &WatchList,
    payments: &[Payment],
    now_ms: i64,
    memo: &mut CheckMemo,
    skipped: &mut dyn FnMut(&Payment, Skip),
) -> GraphResult<Vec<WarningRecord>> {
    let mut out = Vec::new();
    for p in payments {
        // Only what was known at the check's time (a stop may be entered ahead of its placement).
        let Some(w) = list.get(p.account).filter(|w| w.since_ms <= now_ms) else { continue };
        let skip = if w.level > policy::WARN_MAX_LEVEL {
            Some(Skip::DeepLevel)
        } else if p.ts_ms < w.first_fraud_ms {
            Some(Skip::BeforeFraud)
        } else if list.contains(p.payer) {
            Some(Skip::AmongWatched)
        } else if list.reported.get(&p.payer).is_some_and(|&registered| p.ts_ms < registered) {
            Some(Skip::Reporter)
        } else if !matches!(memo.kind(g, p.payer)?, AccountKind::Personal | AccountKind::Unknown) {
            Some(Skip::NotAPerson)
        } else if memo.contacts(g, p.account, w.first_fraud_ms)?.contains(&p.payer) {
            Some(Skip::EstablishedContact)
        } else if passes_through(g, p)? {
            Some(Skip::PassThrough)
        } else {
            None
        };
        if let Some(s) = skip {
            skipped(p, s);
            continue;
        }
        let history = payer_history(g, list, p, memo)?;
        if history.payments == 1 && p.amount_fen < policy::WARN_MIN_FIRST_PAYMENT_YUAN * 100 {
            skipped(p, Skip::SmallFirst);
            continue;
        }
        let (grade, mut reasons) = grade(p.amount_fen, &history);
        reasons.push(format!("watched: {}", w.why));
        out.push(WarningRecord {
            seq: p.seq,
            account: p.account,
            sender: p.payer,
            amount_fen: p.amount_fen,
            ts_ms: p.ts_ms,
            grade,
            reasons,
            created_at_ms: now_ms,
            deadline_ms: p.ts_ms.max(now_ms) + policy::grade_window_ms(grade),
            acked_at_ms: None,
            acked_by: String::new(),
        });
    }
    Ok(out)
}

/// Whether the payer is passing on money that arrived just before: what came in during
/// [`policy::WARN_PASS_THROUGH_WINDOW_MS`] before the payment covers at least
/// [`policy::WARN_PASS_THROUGH_SHARE`] of it. (A 刷单 victim gets small rebates and then pays more than
/// came back, so the lure does not make a victim look like a card passing money on.)
fn passes_through<G: TransferGraph>(g: &G, p: &Payment) -> GraphResult<bool> {
    let mut came_in: i64 = 0;
    g.for_each_edge(p.payer, Direction::In, p.ts_ms - policy::WARN_PASS_THROUGH_WINDOW_MS, p.ts_ms, &mut |e| {
        if (e.ts_ms, e.seq) < (p.ts_ms, p.seq) {
            came_in = came_in.saturating_add(e.amount_fen);
        }
        true
    })?;
    Ok(came_in as f64 >= policy::WARN_PASS_THROUGH_SHARE * p.amount_fen as f64)
}

/// The payer's payments into watched accounts up to and including this one (each after that account's
/// first fraud inflow, and not as its established contact).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PayerHistory {
    /// Payments, this one included.
    pub payments: usize,
    /// Distinct watched accounts paid.
    pub accounts: usize,
    /// Their total (fen).
    pub total_fen: i64,
}

fn payer_history<G: TransferGraph>(
    g: &G,
    list: &WatchList,
    p: &Payment,
    memo: &mut CheckMemo,
) -> GraphResult<PayerHistory> {
    let mut earlier = Vec::new();
    g.for_each_edge(p.payer, Direction::Out, i64::MIN, p.ts_ms, &mut |e| {
        if e.seq != p.seq && (e.ts_ms, e.seq) < (p.ts_ms, p.seq) {
            earlier.push(e);
        }
        true
    })?;
    let mut h = PayerHistory { payments: 1, accounts: 1, total_fen: p.amount_fen };
    let mut accounts = BTreeSet::from([p.account]);
    for e in earlier {
        let Some(w) = list.get(e.counterparty) else { continue };
        if e.ts_ms < w.first_fraud_ms || memo.contacts(g, e.counterparty, w.first_fraud_ms)?.contains(&p.payer) {
            continue;
        }
        h.payments += 1;
        h.total_fen = h.total_fen.saturating_add(e.amount_fen);
        accounts.insert(e.counterparty);
    }
    h.accounts = accounts.len();
    Ok(h)
}

/// The grade of a payment: by its amount and the payer's total (thresholds in [`crate::policy`]), raised
/// one level when the payer paid a watched account before (a repeat: victims keep paying) and one more
/// when they have paid several watched accounts.
pub fn grade(amount_fen: i64, h: &PayerHistory) -> (Grade, Vec<String>) {
    let yuan = |f: i64| f / 100;
    let mut reasons = vec![format!("{} yuan into a watched account", Fen(amount_fen))];
    let base = if yuan(amount_fen) >= policy::GRADE_PURPLE_PAYMENT_YUAN
        || yuan(h.total_fen) >= policy::GRADE_PURPLE_TOTAL_YUAN
    {
        Grade::Purple
    } else if yuan(amount_fen) >= policy::GRADE_RED_PAYMENT_YUAN
        || yuan(h.total_fen) >= policy::GRADE_RED_TOTAL_YUAN
        || h.payments >= policy::GRADE_RED_PAYMENTS
    {
        Grade::Red
    } else if yuan(amount_fen) >= policy::GRADE_YELLOW_PAYMENT_YUAN {
        Grade::Yellow
    } else {
        Grade::Blue
    };
    let mut steps = 0;
    if h.payments > 1 {
        steps += 1;
        reasons.push(format!(
            "payment {} from this payer into watched accounts ({} yuan in all): victims keep paying",
            h.payments,
            Fen(h.total_fen)
        ));
    }
    if h.accounts > 1 {
        steps += 1;
        reasons.push(format!("this payer has paid {} watched accounts", h.accounts));
    }
    let at = Grade::ALL.iter().position(|g| *g == base).unwrap_or(Grade::ALL.len() - 1);
    (Grade::ALL[at.saturating_sub(steps)], reasons)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::MemGraph;
    use crate::model::Channel;

    const V1: u32 = 1; // victims
    const V2: u32 = 2;
    const FRIEND: u32 = 3; // the card owner's friend
    const SHOP: u32 = 4;
    const V3: u32 = 5; // a victim whose first payment is small
    const CARD: u32 = 10; // a rented card, watched
    const CARD2: u32 = 11;
    const RELAY: u32 = 12;
    const FEEDER: u32 = 13; // a card of the chain nobody knows yet
    const H: i64 = 3_600_000;

    fn watched(accounts: &[(u32, i64)]) -> WatchList {
        let mut l = WatchList::default();
        for &(a, first) in accounts {
            l.add(a, Watch { since_ms: first, first_fraud_ms: first, why: format!("card {a}"), level: 1 });
        }
        l
    }

    fn payments(g: &MemGraph, seqs: &[Seq]) -> Vec<Payment> {
        seqs.iter()
            .map(|&s| {
                let t = g.transfer(s).unwrap().unwrap();
                Payment { seq: s, ts_ms: t.ts_ms, payer: t.src, account: t.dst, amount_fen: t.amount_fen }
            })
            .collect()
    }

    /// A hand-worked day of a rented card: its owner's friend paid it a week before it was rented (an
    /// established contact, never warned), a victim pays it after its first fraud inflow (warned), pays
    /// again and then a second card (raised twice), a shop refunds it (not a person), the card passes money
    /// to a relay (among watched), a card nobody knows yet passes on what it just received (pass-through),
    /// a payment before the first fraud inflow is not checked, and a small first payment waits for the
    /// payer's second.
    #[test]
    fn warns_victims_not_contacts_shops_or_layering_and_raises_repeats() {
        let mut g = MemGraph::new();
        g.set_kind(SHOP, AccountKind::Merchant);
        g.add(1, -8 * 24 * H, FRIEND, CARD, 200_00, Channel::Transfer); // a week before the card was rented
        g.add(2, H, V2, CARD, 300_00, Channel::Transfer); // before its first fraud inflow
        g.add(3, 10 * H, V1, CARD, 1_000_00, Channel::Transfer); // the first fraud inflow
        g.add(4, 11 * H, FRIEND, CARD, 200_00, Channel::Transfer);
        g.add(5, 12 * H, V1, CARD, 2_000_00, Channel::Transfer);
        g.add(6, 13 * H, V1, CARD2, 6_000_00, Channel::Transfer);
        g.add(7, 14 * H, SHOP, CARD, 50_00, Channel::Transfer);
        g.add(8, 15 * H, CARD, RELAY, 3_000_00, Channel::Transfer);
        g.add(9, 15 * H, V2, FEEDER, 5_000_00, Channel::Transfer);
        g.add(10, 16 * H, FEEDER, CARD, 4_800_00, Channel::Transfer); // passes on what just came in
        g.add(11, 16 * H, V3, CARD, 150_00, Channel::Transfer); // a first payment under 200 yuan
        g.add(12, 16 * H + 1, V3, CARD, 150_00, Channel::Transfer); // and a second one: a victim paying again
        let list = watched(&[(CARD, 10 * H), (CARD2, 10 * H), (RELAY, 15 * H)]);
        let mut memo = CheckMemo::default();
        let mut skipped = BTreeMap::new();
        let mut count = |_: &Payment, s: Skip| *skipped.entry(s).or_insert(0) += 1;
        let ws = check(&g, &list, &payments(&g, &[1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12]), 16 * H, &mut memo, &mut count)
            .unwrap();
        let got: Vec<(Seq, Grade)> = ws.iter().map(|w| (w.seq, w.grade)).collect();
        // 3: 1,000 yuan, first payment: blue. 5: the second: one level up (yellow). 6: 6,000 yuan (yellow by
        // amount), a third payment and a second watched account: two up, purple. 12: 150 yuan, but the
        // payer's second: one up from blue.
        assert_eq!(got, vec![(3, Grade::Blue), (5, Grade::Yellow), (6, Grade::Purple), (12, Grade::Yellow)]);
        let expect = BTreeMap::from([
            (Skip::BeforeFraud, 2),
            (Skip::AmongWatched, 1),
            (Skip::NotAPerson, 1),
            (Skip::EstablishedContact, 1),
            (Skip::PassThrough, 1),
            (Skip::SmallFirst, 1),
        ]);
        assert_eq!(skipped, expect);
        assert!(ws[2].reasons.iter().any(|r| r.contains("paid 2 watched accounts")), "{:?}", ws[2].reasons);
        assert_eq!(ws[0].deadline_ms, 16 * H + policy::grade_window_ms(Grade::Blue));
    }

    #[test]
    fn the_list_keeps_the_earliest_knowledge() {
        let mut l = WatchList::default();
        l.add(7, Watch { since_ms: 50, first_fraud_ms: 40, why: "stop".into(), level: 1 });
        l.add(7, Watch { since_ms: 30, first_fraud_ms: 45, why: "case".into(), level: 3 });
        assert_eq!(l.get(7), Some(&Watch { since_ms: 30, first_fraud_ms: 40, why: "case".into(), level: 1 }));
    }
}
