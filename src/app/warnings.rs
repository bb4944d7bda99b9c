//! Warnings (资金预警): the watch list (accounts the registered cases reached, stopped accounts, ring
//! cards), the check of an ingest's new transfers as they land, the check of the payments already in the
//! store when a case is registered or a stop placed, scans, the list by urgency, acknowledgement, and the
//! replay evaluation (`eval warnings`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use chrono_tz::Tz;
use serde::Serialize;

use super::cases::{case_query, CaseRuleOptions};
use super::{AppResult, Desk};
use crate::graph::Direction;
use crate::model::{AccountId, AccountKind, CaseRecord, Seq, WarningRecord};
use crate::rings::Ring;
use crate::store::StoreView;
use crate::trace::{resolve_seeds, trace_downstream, Rule};
use crate::warnings::{entry, urgency_key, WarningEntry};
use crate::watch::{check, CheckMemo, Payment, Skip, Watch, WatchList};

/// What a registered case's trace reached when it was registered (it is known from then on).
#[derive(Debug)]
struct CaseReach {
    victims: Vec<AccountId>,
    /// (account, level, first traced arrival).
    reached: Vec<(AccountId, u32, i64)>,
}

/// The parts of the watch list that cost work, kept across ingests: each registered case's reach (traced
/// once, as of its registration) and the memo of contacts and payer kinds. A server holds one; the command
/// line makes one per command.
#[derive(Default)]
pub struct WatchCache {
    cases: Mutex<HashMap<String, Arc<CaseReach>>>,
    memo: Mutex<CheckMemo>,
    /// Payments into watched accounts that raised no warning, by reason.
    skipped: Mutex<BTreeMap<Skip, u64>>,
    /// With [`WatchCache::logging`]: the reason for each such payment (the evaluation's, not a server's).
    skip_log: Option<Mutex<HashMap<Seq, Skip>>>,
    /// Per ring detection (by its time): each card's first fraud inflow as estimated from the money among
    /// the ring's cards.
    ring_fraud: Mutex<Option<(i64, RingFraud)>>,
    /// The last list built, under (registry digest, ring detection's time and size).
    built: Mutex<Option<(ListKey, Arc<WatchList>)>>,
    /// Told of each warning as it is raised.
    listener: OnceLock<Listener>,
}

pub type Listener = Box<dyn Fn(&Raised<'_>) + Send + Sync>;

impl std::fmt::Debug for WatchCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cases = self.cases.lock().map_or(0, |c| c.len());
        f.debug_struct("WatchCache").field("cases", &cases).finish_non_exhaustive()
    }
}

type ListKey = (u64, Option<(i64, usize)>);

/// Each ring card's first fraud inflow, estimated (see `WatchCache::ring_fraud`).
type RingFraud = Arc<HashMap<AccountId, i64>>;

/// A ring detection and when it was made (its cards are watched from then on).
#[derive(Clone, Copy, Debug)]
pub struct RingsSeen<'a> {
    pub rings: &'a [Ring],
    pub at_ms: i64,
}

impl WatchCache {
    /// A cache that also remembers why each payment into a watched account raised no warning.
    pub fn logging() -> WatchCache {
        WatchCache { skip_log: Some(Mutex::default()), ..WatchCache::default() }
    }

    /// Payments into watched accounts that raised no warning so far, by reason.
    pub fn skipped(&self) -> BTreeMap<Skip, u64> {
        self.skipped.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Why a payment raised no warning, if it was checked and skipped (logging caches only).
    pub fn skip_of(&self, seq: Seq) -> Option<Skip> {
        self.skip_log.as_ref()?.lock().unwrap_or_else(|p| p.into_inner()).get(&seq).copied()
    }

    fn reach(&self, view: &StoreView<'_>, case: &CaseRecord) -> AppResult<Arc<CaseReach>> {
        if let Some(r) = self.cases.lock().unwrap_or_else(|p| p.into_inner()).get(&case.case_id) {
            return Ok(r.clone());
        }
        let known = case.created_at_ms;
        let options = CaseRuleOptions { as_of_ms: Some(known), rule: Some(Rule::Fifo), ..Default::default() };
        let query = case_query(case, &options)?;
        let reach = match resolve_seeds(view, &query.seeds, known) {
            // A case whose seeds are gone (or not yet loaded) watches nothing.
            Err(_) => CaseReach { victims: Vec::new(), reached: Vec::new() },
            Ok(seeds) => {
                let t = trace_downstream(view, &seeds, &query.params)?;
                let mut reached = Vec::new();
                for a in t.accounts.values() {
                    // Merchants' and platforms' collection accounts, and hubs, are paid by everyone.
                    let kind = view.account_attrs(a.id)?.kind;
                    if matches!(kind, AccountKind::Personal | AccountKind::Unknown)
                        && a.counterparties < crate::policy::HUB_COUNTERPARTIES
                    {
                        reached.push((a.id, a.hop, a.first_arrival_ms));
                    }
                }
                CaseReach { victims: t.victims.clone(), reached }
            }
        };
        let reach = Arc::new(reach);
        self.cases.lock().unwrap_or_else(|p| p.into_inner()).insert(case.case_id.clone(), reach.clone());
        Ok(reach)
    }

    /// The watch list of the store as it stands: the registered cases' accounts (each from its case's
    /// registration), stopped accounts (from the stop), and the cards of those `rings` tied to a case or a
    /// stop (from the detection). Built again only when the registries or the ring detection changed:
    /// every ingest asks for it, and rebuilding merges every registered case's reach.
    pub fn list(&self, view: &StoreView<'_>, rings: Option<RingsSeen<'_>>) -> AppResult<Arc<WatchList>> {
        let key = (view.registry_digest()?, rings.map(|r| (r.at_ms, r.rings.len())));
        if let Some((k, list)) = self.built.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if *k == key {
                return Ok(list.clone());
            }
        }
        let list = Arc::new(self.build_list(view, rings)?);
        *self.built.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, list.clone()));
        Ok(list)
    }

    fn build_list(&self, view: &StoreView<'_>, rings: Option<RingsSeen<'_>>) -> AppResult<WatchList> {
        let mut list = WatchList::default();
        let mut first_fraud: HashMap<AccountId, i64> = HashMap::new();
        let mut case_level: HashMap<AccountId, u32> = HashMap::new();
        for case in view.all_cases()? {
            let reach = self.reach(view, &case)?;
            for &v in &reach.victims {
                list.add_reporter(v, case.created_at_ms);
            }
            for &(id, level, first) in &reach.reached {
                let f = first_fraud.entry(id).or_insert(first);
                *f = (*f).min(first);
                let l = case_level.entry(id).or_insert(level);
                *l = (*l).min(level);
                let why = format!("涉案账户, level {level} of case {}", case.case_id);
                list.add(id, Watch { since_ms: case.created_at_ms, first_fraud_ms: first, why, level });
            }
        }
        let stops = view.all_stops()?;
        let stopped: std::collections::HashSet<AccountId> = stops.iter().map(|s| s.account).collect();
        for s in stops {
            // The transfer the stop rests on, when named, is a fraud inflow.
            let basis = match s.basis_txn.as_str() {
                "" => None,
                txn => view.transfer_by_txn_id(txn)?.filter(|(_, t)| t.dst == s.account),
            };
            // Its payer is the victim whose report brought the stop: known already.
            if let Some((_, t)) = &basis {
                list.add_reporter(t.src, s.placed_at_ms);
            }
            let basis = basis.map(|(_, t)| t.ts_ms);
            let first = [first_fraud.get(&s.account).copied(), basis, Some(s.placed_at_ms)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(s.placed_at_ms);
            let why = format!("stop-payment #{}", s.id);
            let level = case_level.get(&s.account).copied().unwrap_or(1);
            list.add(s.account, Watch { since_ms: s.placed_at_ms, first_fraud_ms: first, why, level });
        }
        if let Some(seen) = rings {
            let estimated = self.ring_fraud(view, seen)?;
            // Only rings tied to what the registries say (a member reached by a registered case or under a
            // stop): detection alone names shops and wholesalers too, whose customers are no victims.
            let tied = |r: &Ring| r.members.iter().any(|m| case_level.contains_key(&m.id) || stopped.contains(&m.id));
            for (i, r) in seen.rings.iter().enumerate().filter(|(_, r)| tied(r)) {
                for m in &r.members {
                    let first = first_fraud
                        .get(&m.id)
                        .copied()
                        .into_iter()
                        .chain(estimated.get(&m.id).copied())
                        .min()
                        .unwrap_or(seen.at_ms);
                    let why = format!("card of a detected mule ring ({} when detected)", crate::rings::ring_id(i));
                    // Detection's roles: collectors take victims' money; relays and cash-out cards sit behind.
                    let level = if m.role == crate::rings::detect::Role::Collector { 1 } else { 2 };
                    list.add(m.id, Watch { since_ms: seen.at_ms, first_fraud_ms: first, why, level });
                }
            }
        }
        Ok(list)
    }

    /// When each card of a ring detection first received fraud money, estimated: a day before it first
    /// exchanged money with another card of its ring (a collector forwards victims' money within hours;
    /// a relay receives it from a collector). Detection says which cards, not since when.
    fn ring_fraud(&self, view: &StoreView<'_>, seen: RingsSeen<'_>) -> AppResult<RingFraud> {
        if let Some((at, m)) = self.ring_fraud.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if *at == seen.at_ms {
                return Ok(m.clone());
            }
        }
        let mut first: HashMap<AccountId, i64> = HashMap::new();
        for r in seen.rings {
            let members: std::collections::HashSet<AccountId> = r.members.iter().map(|m| m.id).collect();
            for &id in &members {
                let mut earliest = i64::MAX;
                for dir in [Direction::Out, Direction::In] {
                    view.for_each_edge(id, dir, i64::MIN, seen.at_ms, &mut |e: crate::graph::Edge| {
                        if members.contains(&e.counterparty) {
                            earliest = earliest.min(e.ts_ms);
                            return false; // edges come in time order: the first one is the earliest
                        }
                        true
                    })?;
                }
                if earliest < i64::MAX {
                    first.insert(id, earliest.saturating_sub(crate::policy::WARN_RING_FRAUD_LEAD_MS));
                }
            }
        }
        let first = Arc::new(first);
        *self.ring_fraud.lock().unwrap_or_else(|p| p.into_inner()) = Some((seen.at_ms, first.clone()));
        Ok(first)
    }

    /// Checks payments against the list known at `now_ms`.
    fn check(
        &self,
        view: &StoreView<'_>,
        list: &WatchList,
        payments: &[Payment],
        now_ms: i64,
    ) -> AppResult<Vec<WarningRecord>> {
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        let mut skipped = self.skipped.lock().unwrap_or_else(|p| p.into_inner());
        let mut log = self.skip_log.as_ref().map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
        let mut note = |p: &Payment, s: Skip| {
            *skipped.entry(s).or_default() += 1;
            if let Some(log) = log.as_mut() {
                log.entry(p.seq).or_insert(s);
            }
        };
        Ok(check(view, list, payments, now_ms, &mut memo, &mut note)?)
    }

    /// Tells the listener of warnings just raised.
    pub(in crate::app) fn announce(&self, view: &StoreView<'_>, records: &[WarningRecord], now_ms: i64, tz: Tz) {
        if let (Some(listener), false) = (self.listener.get(), records.is_empty()) {
            listener(&Raised { view, records, now_ms, tz });
        }
    }

    /// Who hears of each warning as it is raised (the server's stream and webhooks), once.
    pub fn on_raised(&self, listener: Listener) {
        if self.listener.set(listener).is_err() {
            tracing::warn!("a second listener for raised warnings was ignored");
        }
    }

    /// Forgets payer kinds and contacts (an accounts upload may change kinds).
    pub fn forget_accounts(&self) {
        self.memo.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// The watch list of the store as it stands, with the cards of the last ring detection (never recomputed
/// here: that is whole-graph work).
pub(in crate::app) fn current_list(view: &StoreView<'_>, desk: &Desk) -> AppResult<Arc<WatchList>> {
    let last = desk.rings().last_with_time();
    let seen = last.as_ref().map(|(r, at)| RingsSeen { rings: &r.0, at_ms: *at });
    desk.watch().list(view, seen)
}

/// The payments among the transfers `from_seq..` that go into watched accounts.
fn new_payments(view: &StoreView<'_>, list: &WatchList, from_seq: Seq) -> AppResult<Vec<Payment>> {
    let mut out = Vec::new();
    for seq in from_seq..view.watermark().next_seq {
        let Some(t) = view.transfer(seq)? else { continue };
        if list.contains(t.dst) {
            out.push(Payment { seq, ts_ms: t.ts_ms, payer: t.src, account: t.dst, amount_fen: t.amount_fen });
        }
    }
    Ok(out)
}

/// The payments into `accounts` already in the store, from each one's first fraud inflow up to `until_ms`.
fn payments_into(
    view: &StoreView<'_>,
    list: &WatchList,
    accounts: impl IntoIterator<Item = AccountId>,
    since_ms: i64,
    until_ms: i64,
) -> AppResult<Vec<Payment>> {
    let mut out = Vec::new();
    for account in accounts {
        let Some(w) = list.get(account) else { continue };
        view.for_each_edge(
            account,
            Direction::In,
            w.first_fraud_ms.max(since_ms),
            until_ms,
            &mut |e: crate::graph::Edge| {
                out.push(Payment {
                    seq: e.seq,
                    ts_ms: e.ts_ms,
                    payer: e.counterparty,
                    account,
                    amount_fen: e.amount_fen,
                });
                true
            },
        )?;
    }
    out.sort_by_key(|p| (p.ts_ms, p.seq));
    Ok(out)
}

/// Warnings for the transfers an ingest just added (sequence numbers from `first_new_seq`): victims still
/// paying are found as their payments land, in the same ingest. Cost: the new transfers, not the watched
/// accounts' history; nothing when nothing is watched.
pub(in crate::app) fn found_on_arrival(
    view: &StoreView<'_>,
    desk: &Desk,
    first_new_seq: Seq,
) -> AppResult<Vec<WarningRecord>> {
    let list = current_list(view, desk)?;
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let payments = new_payments(view, &list, first_new_seq)?;
    desk.watch().check(view, &list, &payments, desk.now_ms())
}

/// After a case is registered or a stop placed: the payments already in the store into the accounts
/// that became known, since each one's first fraud inflow (whoever paid them may be paying still).
pub(in crate::app) fn found_on_known(
    view: &StoreView<'_>,
    desk: &Desk,
    accounts: &[AccountId],
) -> AppResult<Vec<WarningRecord>> {
    let list = current_list(view, desk)?;
    let now_ms = desk.now_ms();
    let payments = payments_into(view, &list, accounts.iter().copied(), i64::MIN, now_ms)?;
    desk.watch().check(view, &list, &payments, now_ms)
}

/// The accounts a registered case's trace reached (what is checked after its registration).
pub(in crate::app) fn case_accounts(
    view: &StoreView<'_>,
    watch: &WatchCache,
    case: &CaseRecord,
) -> AppResult<Vec<AccountId>> {
    Ok(watch.reach(view, case)?.reached.iter().map(|r| r.0).collect())
}

/// Warnings just raised, as the listener of a [`WatchCache`] is told of them.
pub struct Raised<'a> {
    view: &'a StoreView<'a>,
    pub records: &'a [WarningRecord],
    now_ms: i64,
    tz: Tz,
}

impl std::fmt::Debug for Raised<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Raised").field("records", &self.records.len()).finish_non_exhaustive()
    }
}

impl Raised<'_> {
    /// The warnings as listed (the server's stream and webhooks send these).
    pub fn entries(&self) -> AppResult<Vec<WarningEntry>> {
        Ok(self.records.iter().map(|w| entry(self.view, w, self.now_ms, self.tz)).collect::<Result<_, _>>()?)
    }
}

/// What a scan found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScanResult {
    pub watched_accounts: usize,
    pub new_warnings: usize,
    pub warnings: Vec<WarningEntry>,
}

/// `POST /v1/warnings/scan`: payments in `[since, until]` into watched accounts (cases' accounts, stopped
/// accounts, the cards of a ring detection of the store as it stands), checked as on arrival and stored
/// (those already stored are kept as they are).
pub fn scan(desk: &Desk, since_ms: i64, until_ms: i64) -> AppResult<ScanResult> {
    let (now_ms, tz) = (desk.now_ms(), desk.tz());
    let view = desk.view()?;
    let detected = desk.rings().get(&view, tz)?;
    let list = desk.watch().list(&view, Some(RingsSeen { rings: &detected.0, at_ms: now_ms }))?;
    let accounts: Vec<AccountId> = list.iter().map(|(a, _)| a).collect();
    let payments = payments_into(&view, &list, accounts, since_ms, until_ms)?;
    let found = desk.watch().check(&view, &list, &payments, now_ms)?;
    let (new_warnings, _) = desk.write(|tx| tx.raise_warnings(&found))?;
    let warnings = found.iter().map(|w| entry(&view, w, now_ms, tz)).collect::<Result<_, _>>()?;
    Ok(ScanResult { watched_accounts: list.len(), new_warnings: new_warnings as usize, warnings })
}

/// `GET /v1/warnings`: open (or all) warnings, most urgent first, deadlines and escalation as of `at_ms`.
pub fn list(desk: &Desk, open_only: bool, at_ms: i64) -> AppResult<Vec<WarningEntry>> {
    let view = desk.view()?;
    let mut ws = view.all_warnings()?;
    if open_only {
        ws.retain(|w| w.acked_at_ms.is_none());
    }
    ws.sort_by_key(urgency_key);
    Ok(ws.iter().map(|w| entry(&view, w, at_ms, desk.tz())).collect::<Result<_, _>>()?)
}

/// `POST /v1/warnings/{id}/ack`: someone has taken the warning in hand.
pub fn acknowledge(desk: &Desk, id: u64, by: &str) -> AppResult<WarningEntry> {
    let now_ms = desk.now_ms();
    let (w, _) = desk.write(|tx| tx.ack_warning(id, by, now_ms))?;
    Ok(entry(&desk.view()?, &w, now_ms, desk.tz())?)
}
