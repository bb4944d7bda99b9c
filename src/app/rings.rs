//! Mule-card rings for 断卡 teams: the ranked list, one ring with its flows, the rings around accounts.
//!
//! Ring detection is whole-graph work (seconds at 10M transfers). [`RingsCache`] keeps the last detection
//! and the watermark it was made at, so a server computes it once per ingest; the CLI uses a fresh cache
//! per command, so both front ends run exactly the same code. A server answers from the last detection at
//! once (marked stale when the store has changed since) and detects again in the background, on one
//! thread at low priority ([`RingsCache::refresh_in_background`]), so that whole-graph work never sits
//! in a request's path nor takes the cores from the requests; `Freshness::Current` waits for it instead.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use chrono_tz::Tz;

use super::{AppError, AppResult, Clock, Desk};
use crate::link::TraceSketch;
use crate::rings::detect::Corroborate;
use crate::rings::features::AttrTable;
use crate::rings::scorer::ListedCard;
use crate::rings::{detect_rings, ring_flows, Known, Ring, RingDetail, RingEntry, RingsAround, RingsReport};
use crate::store::{StoreView, Watermark};

/// How current a ring answer must be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Freshness {
    /// Detected on the store as it stands: waits for whole-graph work when the store has changed.
    #[default]
    Current,
    /// The last detection at once, even when the store has changed since (the answer says it is stale);
    /// only the very first detection is waited for.
    Last,
}

/// What the registries held when a detection ran: a new case or stop means detecting again, though the
/// transfers (the watermark) did not change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DetectedAt {
    watermark: Watermark,
    /// `StoreView::registry_digest` (0 for a cache that does not read the registries).
    registry: u64,
}

/// A detection to run in the background, through the cache it is given.
pub type Detection = Box<dyn FnOnce(&RingsCache) -> AppResult<()> + Send>;

/// Rings of a store with the attribute table they were computed from.
pub type DetectedRings = Arc<(Vec<Ring>, AttrTable)>;

/// The last ring detection and the watermark it was computed at. The slot is locked only to read or swap
/// it; a detection runs under its own lock, so readers of the last result (warnings on upload) never wait
/// for whole-graph work, and two requests never run it twice.
pub struct RingsCache {
    /// The last result and the state it is valid at (None: stale, though still the last result).
    current: Mutex<Option<(Option<DetectedAt>, DetectedRings)>>,
    computing: Mutex<()>,
    detections: AtomicU64,
    /// Whether detection starts from what the registries say (registered cases' traced accounts, stops).
    use_registry: bool,
    /// A background detection is queued or running.
    refreshing: AtomicBool,
    /// When the last detection was made (epoch ms): its cards are watched from then on.
    detected_at_ms: AtomicI64,
    /// The background detection's own thread (one, at low priority), made on first use.
    background: OnceLock<Option<rayon::ThreadPool>>,
    /// What "when the last detection was made" is read from.
    clock: Clock,
}

impl std::fmt::Debug for RingsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingsCache").field("detections", &self.detections()).finish()
    }
}

impl RingsCache {
    /// A cache whose detections start from the case and stop registries (`use_registry`), or from the
    /// accounts' own signals alone.
    pub fn new(use_registry: bool, clock: Clock) -> RingsCache {
        RingsCache {
            clock,
            current: Mutex::new(None),
            computing: Mutex::new(()),
            detections: AtomicU64::new(0),
            use_registry,
            refreshing: AtomicBool::new(false),
            detected_at_ms: AtomicI64::new(i64::MAX),
            background: OnceLock::new(),
        }
    }

    /// Whether detections start from the registries.
    pub fn uses_registry(&self) -> bool {
        self.use_registry
    }

    /// Runs `detect` (a detection of the store as it stands, through this cache) in the background, unless
    /// one is queued or running already; requests go on answering from the last detection meanwhile. The
    /// detection runs on one thread of its own at a lower CPU priority (nice 10), so under load it takes
    /// what the requests leave.
    pub fn refresh_in_background(self: &Arc<Self>, detect: Detection) {
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let pool = self.background.get_or_init(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(|_| "rings-refresh".into())
                .start_handler(|_| lower_this_threads_priority())
                .build()
                .map_err(|e| tracing::warn!(error = %e, "no background thread for ring detection"))
                .ok()
        });
        let Some(pool) = pool else {
            self.refreshing.store(false, Ordering::Release);
            return;
        };
        let cache = self.clone();
        pool.spawn(move || {
            // Cleared before reading the store: a change committed during this detection queues another.
            cache.refreshing.store(false, Ordering::Release);
            if let Err(e) = detect(&cache) {
                tracing::warn!(error = %e, "background ring detection failed; the last result is still served");
            }
        });
    }

    /// The rings at the freshness asked for, and whether they are stale (detected before the store's
    /// latest change). Blocking work.
    pub fn lookup(&self, view: &StoreView<'_>, tz: Tz, freshness: Freshness) -> AppResult<(DetectedRings, bool)> {
        if freshness == Freshness::Last && self.current_at(self.state_of(view)?).is_none() {
            if let Some(last) = self.last() {
                return Ok((last, true));
            }
        }
        Ok((self.get(view, tz)?, false))
    }

    fn state_of(&self, view: &StoreView<'_>) -> AppResult<DetectedAt> {
        Ok(DetectedAt {
            watermark: view.watermark(),
            registry: if self.use_registry { view.registry_digest()? } else { 0 },
        })
    }

    /// The last detection, whatever state it was computed at (None before the first). For work that must
    /// not pay for a whole-graph detection, such as warnings raised as an upload lands.
    pub fn last(&self) -> Option<DetectedRings> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|(_, r)| r.clone())
    }

    /// The last detection and when it was made.
    pub fn last_with_time(&self) -> Option<(DetectedRings, i64)> {
        self.last().map(|r| (r, self.detected_at_ms.load(Ordering::Acquire)))
    }

    /// Sets when the last detection counts as made (a replay runs on the world's clock, not the machine's).
    pub fn set_detected_at(&self, at_ms: i64) {
        self.detected_at_ms.store(at_ms, Ordering::Release);
    }

    /// Marks the last result stale: an upload of accounts changes holders, phones and devices (what rings
    /// are made of) without moving the watermark. `last()` still answers with it until the next detection.
    pub fn invalidate(&self) {
        if let Some(slot) = self.current.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            slot.0 = None;
        }
    }

    /// How many whole-graph detections this cache has run (what it exists to keep low).
    pub fn detections(&self) -> u64 {
        self.detections.load(Ordering::Relaxed)
    }

    fn current_at(&self, wm: DetectedAt) -> Option<DetectedRings> {
        match self.current.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some((Some(at), rings)) if *at == wm => Some(rings.clone()),
            _ => None,
        }
    }

    /// Rings of the committed store seen by `view`, computed once per watermark. Blocking work.
    pub fn get(&self, view: &StoreView<'_>, tz: Tz) -> AppResult<DetectedRings> {
        let wm = self.state_of(view)?;
        if let Some(rings) = self.current_at(wm) {
            return Ok(rings);
        }
        let _one_at_a_time = self.computing.lock().unwrap_or_else(|p| p.into_inner());
        // Another request may have computed it while this one waited.
        if let Some(rings) = self.current_at(wm) {
            return Ok(rings);
        }
        let known = if self.use_registry { known_from_registries(view)? } else { Vec::new() };
        let (rings, _, table) = detect_rings(view, &Default::default(), &known, tz)?;
        self.detections.fetch_add(1, Ordering::Relaxed);
        let value = Arc::new((rings, table));
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some((Some(wm), value.clone()));
        self.detected_at_ms.store(self.clock.now_ms(), Ordering::Release);
        Ok(value)
    }

    /// The ranked list (ids `R0001`… by rank) with the detection it came from; rings scoring below
    /// `min_score` are left out.
    pub fn ranked(
        &self,
        view: &StoreView<'_>,
        tz: Tz,
        min_score: f64,
        freshness: Freshness,
    ) -> AppResult<(DetectedRings, RingsReport)> {
        let (detected, stale) = self.lookup(view, tz, freshness)?;
        let mut report = RingsReport::build(view, &detected.0, &detected.1, min_score)?;
        report.stale = stale;
        Ok((detected, report))
    }
}

/// Background work yields the cores to requests: nice 10 for the calling thread (Linux sets the
/// priority per thread when given its thread id). Best effort: without it the work only runs at the
/// same priority as requests.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10) {
        tracing::debug!(error = %e, "could not lower the background ring detection's priority");
    }
}

/// Most rings one list may hold.
pub const MAX_LIMIT: usize = 1000;

/// `rings`, `GET /v1/rings`: the ranked list, best first.
pub fn ranked(desk: &Desk, min_score: f64, limit: Option<usize>, freshness: Freshness) -> AppResult<RingsReport> {
    if !(0.0..=100.0).contains(&min_score) {
        return Err(AppError::bad_input("min_score", "min_score must be 0..=100"));
    }
    if limit.is_some_and(|l| l == 0 || l > MAX_LIMIT) {
        return Err(AppError::bad_input("limit", format!("limit must be 1..={MAX_LIMIT}")));
    }
    let (_, mut report) = desk.rings().ranked(&desk.view()?, desk.tz(), min_score, freshness)?;
    if let Some(l) = limit {
        report.rings.truncate(l);
    }
    Ok(report)
}

/// `rings --from-batch DIR`: the ranked list assembled on this machine from a batch job's features
/// (`jobs/spark/`, run on an export of this store; [`super::batch`] refuses a batch of another store state).
/// The batch's rule suspects must be the ones this build's rules find on those features — a batch made with
/// other thresholds is refused. The registries' known accounts are added here, as a local detection adds
/// them, and the rings are assembled from the suspects' own ledgers: only the whole-graph part moved.
pub fn ranked_from_batch(desk: &Desk, dir: &std::path::Path, min_score: f64) -> AppResult<RingsReport> {
    if !(0.0..=100.0).contains(&min_score) {
        return Err(AppError::bad_input("min_score", "min_score must be 0..=100"));
    }
    let view = &desk.view()?;
    let feats = crate::batch::read::read_features(view, dir, desk.tz().name())?;
    let table = AttrTable::load(view)?;
    let params = crate::rings::detect::DetectParams::default();
    let theirs = crate::batch::read::read_suspects(dir)?;
    let ours: std::collections::BTreeSet<u32> =
        crate::rings::detect::suspects(&feats, &table, &params, &[]).iter().map(|s| s.id).collect();
    if theirs != ours {
        let differ: Vec<u32> = theirs.symmetric_difference(&ours).take(5).copied().collect();
        return Err(AppError::unprocessable(
            "from_batch",
            format!(
                "{}: the batch names {} suspects, this build's rules find {} on its features (first differing ids: \
                 {differ:?}); was the job run with another build's export?",
                dir.display(),
                theirs.len(),
                ours.len()
            ),
        ));
    }
    let known = known_from_registries(view)?;
    let rings = crate::rings::detect::rings(view, &feats, &table, &params, &known)?;
    Ok(RingsReport::build(view, &rings, &table, min_score)?)
}

/// `GET /v1/rings/{ring_id}`: one ring of the ranked list with the flows among its members. Ids are
/// ranks, so the ring is looked up in the same detection the list was answered from (the last one).
pub fn ring(desk: &Desk, ring_id: &str) -> AppResult<RingDetail> {
    let view = &desk.view()?;
    let (detected, report) = desk.rings().ranked(view, desk.tz(), 0.0, Freshness::Last)?;
    let i = report
        .rings
        .iter()
        .position(|r| r.ring_id == ring_id)
        .ok_or_else(|| AppError::NotFound(format!("no ring '{ring_id}' (ids are ranks: R0001 …)")))?;
    let flows = ring_flows(view, &detected.0[i])?;
    let ring = report.rings.into_iter().nth(i).ok_or_else(|| AppError::NotFound(format!("no ring '{ring_id}'")))?;
    Ok(RingDetail { ring, flows })
}

/// `rings --around`, `account --ring`, `GET /v1/rings/around/{account}`: the rings the accounts belong to,
/// with the flows among their members. A member of a ranked ring is answered from the ranked list (ids
/// `R…`); accounts in none are looked for again as known mules, since their weak signals may still tie
/// them to others (ids `A…`, not in the list; whole-graph work, so only then). With `anchor` false the
/// second step is skipped: looking an account up is no evidence against it.
pub fn around(desk: &Desk, accounts: &[String], anchor: bool) -> AppResult<RingsAround> {
    let (view, cache, tz) = (&desk.view()?, desk.rings(), desk.tz());
    let mut ids = Vec::with_capacity(accounts.len());
    for a in accounts {
        ids.push(view.account_id(a)?.ok_or_else(|| AppError::NotFound(format!("unknown account '{a}'")))?);
    }
    let with_flows = |entries: Vec<RingEntry>, rings: Vec<&Ring>| {
        entries
            .into_iter()
            .zip(rings)
            .map(|(ring, r)| Ok(RingDetail { ring, flows: ring_flows(view, r)? }))
            .collect::<AppResult<Vec<_>>>()
    };
    let (detected, report) = cache.ranked(view, tz, 0.0, Freshness::Last)?;
    let contains = |r: &Ring, id: u32| r.members.iter().any(|m| m.id == id);
    let (entries, rings): (Vec<_>, Vec<_>) =
        report.rings.into_iter().zip(detected.0.iter()).filter(|(_, r)| ids.iter().any(|&id| contains(r, id))).unzip();
    let mut out = with_flows(entries, rings)?;
    let missing: Vec<u32> = ids.iter().copied().filter(|&id| !detected.0.iter().any(|r| contains(r, id))).collect();
    if anchor && !missing.is_empty() {
        let mut known: Vec<Known> = if cache.use_registry { known_from_registries(view)? } else { Vec::new() };
        known.retain(|k| !missing.contains(&k.id));
        known.extend(missing.iter().map(|&id| Known::given(id)));
        let (mut found, _, table) = detect_rings(view, &Default::default(), &known, tz)?;
        found.retain(|r| missing.iter().any(|&id| contains(r, id)));
        let mut report = RingsReport::build(view, &found, &table, 0.0)?;
        for r in &mut report.rings {
            r.ring_id.replace_range(0..1, "A");
        }
        out.extend(with_flows(report.rings, found.iter().collect())?);
    }
    Ok(RingsAround { rings: out })
}

/// `rings --confirmed FILE`, `POST /v1/rings/confirmed`: whole-graph detection with a scorer trained on a
/// 断卡 team's confirmed cards. The confirmed cards anchor rings (trusted as given); accounts the scorer
/// flags join as suspects, their evidence naming the score and what raised it beside their rule signals.
/// Not cached: each list trains its own model. `source` names the list in evidence (a file name).
pub fn with_confirmed(
    desk: &Desk,
    listed: &[ListedCard],
    source: &str,
    min_score: f64,
    limit: Option<usize>,
) -> AppResult<ConfirmedRings> {
    if !(0.0..=100.0).contains(&min_score) {
        return Err(AppError::bad_input("min_score", "min_score must be 0..=100"));
    }
    if limit.is_some_and(|l| l == 0 || l > MAX_LIMIT) {
        return Err(AppError::bad_input("limit", format!("limit must be 1..={MAX_LIMIT}")));
    }
    let (view, cache, tz) = (&desk.view()?, desk.rings(), desk.tz());
    let mut ids = Vec::new();
    let mut not_in_store = Vec::new();
    for card in listed {
        match view.account_id(&card.account)? {
            Some(id) => ids.push((id, card.line)),
            None => not_in_store.push(card.account.clone()),
        }
    }
    let params = crate::rings::DetectParams::default();
    let table = AttrTable::load(view)?;
    let feats = crate::rings::features::all_features(view, &table, tz)?;
    let is_hub = |f: &crate::rings::features::AccountFeatures| {
        crate::policy::is_hub(table.kind(f.id), f.counterparties as usize, params.hub_counterparties)
    };
    let confirmed: Vec<u32> = ids.iter().map(|(id, _)| *id).collect();
    let scores = crate::rings::scorer::train_and_score(&feats, &confirmed, not_in_store, &is_hub)?;
    let mut known: Vec<Known> = if cache.use_registry { known_from_registries(view)? } else { Vec::new() };
    let mut add = |k: Known| match known.iter_mut().find(|x| x.id == k.id) {
        Some(x) => {
            x.reasons.extend(k.reasons);
            x.given |= k.given;
            x.corroborate = x.corroborate.min(k.corroborate);
        }
        None => known.push(k),
    };
    for (id, line) in &ids {
        add(Known {
            id: *id,
            reasons: vec![format!("confirmed mule card ({source} line {line})")],
            given: true,
            corroborate: Corroborate::Nothing,
        });
    }
    // A flag of the scorer stands only with a rule signal showing the card moves money for others: the
    // rules are the explanation an investigator can check; a score alone is not.
    for (id, score, words) in &scores.flagged {
        add(Known {
            id: *id,
            reasons: vec![format!("scorer: {score:.2} (raised by {})", words.join(", "))],
            given: false,
            corroborate: Corroborate::MoneySignal,
        });
    }
    let rings = crate::rings::detect::rings(view, &feats, &table, &params, &known)?;
    let mut report = RingsReport::build(view, &rings, &table, min_score)?;
    report.scorer = Some(scores.report);
    if let Some(l) = limit {
        report.rings.truncate(l);
    }
    Ok(ConfirmedRings { report, scores: scores.score, named_scores: None })
}

/// Rings found with a scorer, and the scorer's score of every account (by account id; by account number
/// when asked for).
pub struct ConfirmedRings {
    pub report: RingsReport,
    pub scores: Vec<f64>,
    pub named_scores: Option<Vec<(String, f64)>>,
}

/// `features`: every account's mule-card features by account number, computed here, or read from a batch
/// job's output (`--from-batch DIR`: `jobs/spark/`, run on an export of this very store).
pub fn features(
    desk: &Desk,
    from_batch: Option<&std::path::Path>,
) -> AppResult<Vec<(String, crate::rings::features::AccountFeatures)>> {
    let view = &desk.view()?;
    let feats = match from_batch {
        Some(dir) => crate::batch::read::read_features(view, dir, desk.tz().name())?,
        None => crate::rings::features::all_features(view, &AttrTable::load(view)?, desk.tz())?,
    };
    feats.into_iter().map(|f| Ok((view.account_external(f.id)?.unwrap_or_default(), f))).collect()
}

/// `rings --confirmed FILE [--scores OUT]`: [`with_confirmed`] on a 断卡 team's list file (named by its file
/// name in evidence); with `named_scores`, every account's score by account number, highest first (those
/// above zero).
pub fn with_confirmed_file(
    desk: &Desk,
    file: &std::path::Path,
    min_score: f64,
    named_scores: bool,
) -> AppResult<ConfirmedRings> {
    let listed =
        crate::ingest::lists::read_confirmed(file).map_err(|e| AppError::bad_input("confirmed", e.to_string()))?;
    let source = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into());
    let mut found = with_confirmed(desk, &listed, &source, min_score, None)?;
    if named_scores {
        let view = desk.view()?;
        let scores = &found.scores;
        let mut order: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > 0.0).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        found.named_scores = Some(
            order
                .into_iter()
                .map(|i| Ok((view.account_external(i as u32)?.unwrap_or_default(), scores[i])))
                .collect::<AppResult<_>>()?,
        );
    }
    Ok(found)
}

/// What the registries say about mule cards: the accounts the registered cases' money reached (涉案账户:
/// traced under fifo, lifo and proportional over everything recorded) that `policy::is_case_account`
/// names, and accounts a stop-payment was placed on.
pub fn known_from_registries(view: &StoreView<'_>) -> AppResult<Vec<Known>> {
    use rayon::prelude::*;
    use std::collections::BTreeMap;
    /// Per account reached: (received, passed on, nearest hop).
    type Reached = BTreeMap<u32, (i64, i64, u32)>;
    // Each case traced on its own (in parallel: thousands of cases at scale), under every conserving
    // reading.
    let traced: Vec<(String, Vec<TraceSketch>)> = view
        .all_cases()?
        .into_par_iter()
        .map(|case| -> AppResult<Option<(String, Vec<TraceSketch>)>> {
            let options = super::cases::CaseRuleOptions { as_of_ms: Some(i64::MAX), ..Default::default() };
            let base = super::cases::case_query(&case, &options)?;
            // A case whose seeds are gone cannot say anything; the others still do.
            let Ok(seeds) = crate::trace::resolve_seeds(view, &base.seeds, i64::MAX) else { return Ok(None) };
            let mut traces = Vec::new();
            for rule in crate::freeze::PROTECTIVE_RULES {
                let mut params = base.params.clone();
                params.rule = rule;
                // Only the sketch is kept: thousands of cases' full traces would not fit beside the features.
                traces.push(TraceSketch::of(&crate::trace::trace_downstream(view, &seeds, &params)?));
            }
            Ok(Some((case.case_id, traces)))
        })
        .filter_map(Result::transpose)
        .collect::<AppResult<_>>()?;
    // Sinks (OTC sellers', shops', merchants' collection accounts, recognised by behaviour) are worth a
    // stop-payment but are no mule cards, and what leaves them is no longer the cases' money: only the
    // accounts reached without passing through one count.
    let (case_ids, sketches): (Vec<String>, Vec<Vec<TraceSketch>>) = traced.into_iter().unzip();
    let sinks: std::collections::BTreeSet<u32> = crate::link::find_sinks(view, &sketches)?.into_keys().collect();
    // Per account the reading that gives it most of the case's money: (received, passed on, hop).
    let per_case: Vec<(String, Reached)> = case_ids
        .into_par_iter()
        .zip(sketches.par_iter())
        .map(|(case_id, traces)| {
            let mut reached = Reached::new();
            for t in traces {
                let footprint = crate::link::footprint(t, &sinks);
                for (&id, a) in
                    t.accounts.iter().filter(|(id, _)| footprint.reach.contains_key(id) && !sinks.contains(id))
                {
                    let (got, out) = (a.traced_in, a.traced_out);
                    let best = reached.entry(id).or_insert((0, 0, a.hop));
                    if got > best.0 {
                        (best.0, best.1) = (got, out);
                    }
                    best.2 = best.2.min(a.hop);
                }
            }
            (case_id, reached)
        })
        .collect();
    // Per account: the cases that reached it, their money in and passed on, and the nearest hop.
    let mut cases_of: BTreeMap<u32, (Vec<String>, i64, i64, u32)> = BTreeMap::new();
    for (case_id, reached) in per_case {
        for (id, (got, out, hop)) in reached {
            // Slivers (a proportional reading spreads every case thinly) say nothing about an account.
            if got >= crate::policy::RING_CASE_MIN_FEN {
                let e = cases_of.entry(id).or_insert((Vec::new(), 0, 0, u32::MAX));
                e.0.push(case_id.clone());
                e.1 += got;
                e.2 += out;
                e.3 = e.3.min(hop);
            }
        }
    }
    let mut named = BTreeMap::new();
    for (id, (cases, fen, out, hop)) in cases_of {
        let mut in_fen = 0i64;
        crate::graph::TransferGraph::for_each_edge(
            view,
            id,
            crate::graph::Direction::In,
            i64::MIN,
            i64::MAX,
            &mut |e| {
                in_fen += e.amount_fen;
                true
            },
        )?;
        let money = crate::policy::CaseMoney { received_fen: fen, passed_on_fen: out, all_in_fen: in_fen };
        if crate::policy::is_case_account(&money, cases.len(), hop) {
            named.insert(id, (cases, fen, hop));
        }
    }
    let mut known: Vec<Known> = named
        .into_iter()
        .map(|(id, (cases, fen, hop))| Known {
            id,
            reasons: vec![format!(
                "received {} of the money of {} registered case(s): {}",
                crate::money::Fen(fen),
                cases.len(),
                cases.join(", ")
            )],
            given: false,
            // A victim paid it: direct. Beyond the first hop the trace's reading may have put the money
            // there (a rented card's owner paying family out of a commingled balance): its own signals
            // must agree.
            corroborate: if hop > 1 { Corroborate::PassesOn } else { Corroborate::Nothing },
        })
        .collect();
    for s in view.all_stops()? {
        match known.iter_mut().find(|k| k.id == s.account) {
            Some(k) => k.reasons.push(format!("stop-payment #{} placed", s.id)),
            None => known.push(Known {
                id: s.account,
                reasons: vec![format!(
                    "stop-payment #{} placed{}",
                    s.id,
                    if s.case_id.is_empty() { String::new() } else { format!(" (case {})", s.case_id) }
                )],
                given: false,
                corroborate: Corroborate::Nothing,
            }),
        }
    }
    Ok(known)
}
