//! The desk: what every use case shares, and the one way to write.
//!
//! A [`Desk`] holds the store, the time zone, the clock, and the caches derived from the store: the last
//! ring detection, the warnings' watch list, 串并 of the registry. Both front ends hold one — the server
//! for its life, the CLI one per command — and every use case takes it, so the CLI and the API cannot do
//! different things with the same request.
//!
//! Use cases read through [`Desk::view`] and write only through [`Desk::write`]. Its [`Tx`] is the only
//! handle on the store's writes in the use-case layer (the store itself is a private field of this
//! module), and each of its methods records what it changed; when the closure returns, [`Desk::write`]
//! runs the after-commit step on that record: caches that saw the old store are dropped, the new transfers
//! are checked for warnings, and the accounts that became known (a case registered, a stop placed) have
//! the payments already in the store checked. A write path added later goes through a `Tx` too, so it
//! cannot skip that step: there is no other way to reach the store's writes from here.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono_tz::Tz;

use super::cases::LinksCache;
use super::rings::RingsCache;
use super::warnings::{Listener, WatchCache};
use super::{AppError, AppResult, Clock};
use crate::ingest::{IngestSummary, PreparedIngest, Progress};
use crate::model::{AccountId, CaseRecord, StopRecord, WarningRecord};
use crate::store::{IngestSession, NewStop, RequestKey, StoreError, StoreView, TransferStore, Watermark, Written};

/// What use cases share: the store, the time zone, the clock and the caches built from the store.
pub struct Desk {
    store: Arc<TransferStore>,
    tz: Tz,
    clock: Clock,
    rings: Arc<RingsCache>,
    watch: WatchCache,
    links: LinksCache,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("store", &self.store.path()).field("tz", &self.tz).finish_non_exhaustive()
    }
}

/// What the after-commit step did for a write: the warnings its new transfers raised (None when the
/// check failed: the write stands, and a scan finds them later) and how long the check took.
#[derive(Clone, Copy, Debug, Default)]
pub struct AfterCommit {
    pub warnings_raised: Option<u64>,
    pub warnings_check_ms: Option<f64>,
}

impl Desk {
    /// A desk over an open store: empty caches, the machine's clock.
    pub fn new(store: Arc<TransferStore>, tz: Tz) -> Desk {
        let clock = Clock::system();
        Desk {
            store,
            tz,
            rings: Arc::new(RingsCache::new(true, clock.clone())),
            clock,
            watch: WatchCache::default(),
            links: LinksCache::default(),
        }
    }

    /// Opens (or creates) the store at `path` for reading and writing. A store another process writes to
    /// (a running server) is [`AppError::InUse`].
    pub fn open(path: &Path, tz: Tz) -> AppResult<Desk> {
        Ok(Desk::new(Arc::new(TransferStore::open(path).map_err(in_use)?), tz))
    }

    /// Opens an existing store for reading and writing (upgrading an older on-disk format); never creates
    /// one.
    pub fn open_existing(path: &Path, tz: Tz) -> AppResult<Desk> {
        Ok(Desk::new(Arc::new(TransferStore::open_existing(path).map_err(in_use)?), tz))
    }

    /// Opens an existing store for reading only: works beside a server that writes to it. Writes through
    /// such a desk fail.
    pub fn open_read_only(path: &Path, tz: Tz) -> AppResult<Desk> {
        Ok(Desk::new(Arc::new(TransferStore::open_read_only(path)?), tz))
    }

    /// Makes a store at `db` from a checkpoint at `from` (see `backup`); `db` must not exist, or be empty.
    pub(in crate::app) fn restore_checkpoint(from: &Path, db: &Path) -> Result<(), StoreError> {
        TransferStore::restore_checkpoint(from, db)
    }

    /// This desk with another clock: a replay of a world runs on the world's time, not the machine's.
    pub fn with_clock(mut self, clock: Clock) -> Desk {
        self.rings = Arc::new(RingsCache::new(self.rings.uses_registry(), clock.clone()));
        self.clock = clock;
        self
    }

    /// This desk with ring detection from the accounts' own signals alone, not from the registries.
    pub fn rings_without_registry(mut self) -> Desk {
        self.rings = Arc::new(RingsCache::new(false, self.clock.clone()));
        self
    }

    /// This desk with a watch cache that remembers why each payment into a watched account raised no
    /// warning (the replay evaluation's).
    pub fn logging_skips(mut self) -> Desk {
        self.watch = WatchCache::logging();
        self
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Now, as this desk's clock says.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A snapshot of the committed store.
    pub fn view(&self) -> AppResult<StoreView<'_>> {
        Ok(self.store.view()?)
    }

    /// The store's directory (uploads are spooled under it).
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// The store's on-disk format version.
    pub fn schema_version(&self) -> AppResult<u32> {
        Ok(self.store.schema_version()?)
    }

    /// Bytes of the store's table files.
    pub fn size_on_disk(&self) -> u64 {
        self.store.size_on_disk()
    }

    /// A hash of every key and value in the store (tests compare stores with it).
    pub fn digest(&self) -> AppResult<u64> {
        Ok(self.store.digest()?)
    }

    /// How many whole-graph ring detections this desk has run (what its cache exists to keep low).
    pub fn ring_detections(&self) -> u64 {
        self.rings.detections()
    }

    /// A consistent copy of the store in a new directory (changes nothing in the store).
    pub(in crate::app) fn checkpoint(&self, out: &Path) -> AppResult<()> {
        Ok(self.store.checkpoint(out)?)
    }

    pub(in crate::app) fn rings(&self) -> &Arc<RingsCache> {
        &self.rings
    }

    pub(in crate::app) fn watch(&self) -> &WatchCache {
        &self.watch
    }

    pub(in crate::app) fn links(&self) -> &LinksCache {
        &self.links
    }

    /// The warnings' watch list of the store as it stands, with the cards of the last ring detection.
    pub fn watch_list(&self) -> AppResult<Arc<crate::watch::WatchList>> {
        super::warnings::current_list(&self.view()?, self)
    }

    /// Payments into watched accounts that raised no warning so far, by reason.
    pub fn skipped_payments(&self) -> std::collections::BTreeMap<crate::watch::Skip, u64> {
        self.watch.skipped()
    }

    /// Why a payment raised no warning, if it was checked and skipped (desks [`Desk::logging_skips`]).
    pub fn skip_of(&self, seq: crate::model::Seq) -> Option<crate::watch::Skip> {
        self.watch.skip_of(seq)
    }

    /// Detects the rings of the store as it stands (if it changed since the last detection), counted as
    /// made now: their cards are watched from now on.
    pub fn detect_rings_now(&self) -> AppResult<()> {
        self.rings.get(&self.view()?, self.tz)?;
        self.rings.set_detected_at(self.now_ms());
        Ok(())
    }

    /// Who hears of each warning as it is raised (the server's stream and webhooks), once.
    pub fn on_warnings_raised(&self, listener: Listener) {
        self.watch.on_raised(listener);
    }

    /// Work a server does once at start, off the request path: the registered cases' reach (each case
    /// traced once; the first upload's warning check would otherwise pay for it) and a ring detection.
    pub fn warm(&self) -> AppResult<()> {
        let view = self.view()?;
        self.watch.list(&view, None)?;
        self.rings.get(&view, self.tz)?;
        Ok(())
    }

    /// Detects the rings of the store as it stands in the background (one thread at low priority) unless
    /// a detection is queued or running; requests go on answering from the last one meanwhile.
    pub fn refresh_rings_in_background(self: &Arc<Desk>) {
        let desk = self.clone();
        self.rings.refresh_in_background(Box::new(move |rings: &RingsCache| {
            rings.get(&desk.view()?, desk.tz)?;
            Ok(())
        }));
    }

    /// Runs `f` with the store's writes, then the after-commit step on what `f` changed — also when `f`
    /// fails after some of its writes were committed (a case import stopped by its tenth row keeps nine).
    pub fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> AppResult<T>) -> AppResult<(T, AfterCommit)> {
        let before = self.store.view()?.watermark();
        let mut tx = Tx { desk: self, changed: Changed::default() };
        let result = f(&mut tx);
        let after = self.after_commit(before, tx.changed);
        result.map(|v| (v, after))
    }

    /// What every write is followed by. Failures here are logged, never returned: what was written stands,
    /// and a scan (`POST /v1/warnings/scan`) finds the warnings a failed check missed.
    fn after_commit(&self, before: Watermark, changed: Changed) -> AfterCommit {
        if changed.accounts {
            // Holders, phones, devices and kinds changed without moving the watermark: what rings, links and
            // the payer kinds of the warnings' check were computed from.
            self.rings.invalidate();
            self.links.invalidate();
            self.watch.forget_accounts();
        }
        let mut after = AfterCommit::default();
        if changed.transfers {
            let started = Instant::now();
            let raised = self.view().and_then(|view| {
                let found = super::warnings::found_on_arrival(&view, self, before.next_seq)?;
                self.raise(&view, &found)
            });
            after.warnings_check_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
            after.warnings_raised = match raised {
                Ok(n) => Some(n),
                Err(e) => {
                    tracing::error!(error = %e, "warnings on arrival failed; a scan will find them");
                    None
                }
            };
        }
        for known in changed.known {
            let checked = self.view().and_then(|view| {
                let accounts = match &known {
                    Known::Case(case) => super::warnings::case_accounts(&view, &self.watch, case)?,
                    Known::Stopped(account) => vec![*account],
                };
                let found = super::warnings::found_on_known(&view, self, &accounts)?;
                self.raise(&view, &found)
            });
            if let Err(e) = checked {
                tracing::error!(error = %e, known = ?known, "warnings for newly known accounts failed; a scan will find them");
            }
        }
        after
    }

    /// Stores warnings and tells the listener of the new ones; how many were new.
    fn raise(&self, view: &StoreView<'_>, found: &[WarningRecord]) -> AppResult<u64> {
        let new = self.store.add_warnings(found)?;
        self.watch.announce(view, &new, self.now_ms(), self.tz);
        Ok(new.len() as u64)
    }
}

/// A store that another process writes to: named as such, so the front end can say what to do instead.
fn in_use(e: StoreError) -> AppError {
    match e {
        StoreError::Locked { path } => AppError::InUse { path },
        other => other.into(),
    }
}

/// What the writes of one [`Desk::write`] changed, for the after-commit step.
#[derive(Default)]
struct Changed {
    /// Transfers may have been added (their sequence numbers start at the watermark before the write).
    transfers: bool,
    /// Account attributes may have changed.
    accounts: bool,
    /// Accounts that became known, in the order they did: each is checked as it was written.
    known: Vec<Known>,
}

#[derive(Debug)]
enum Known {
    Case(Box<CaseRecord>),
    Stopped(AccountId),
}

/// The store's writes, inside [`Desk::write`]. Each method records what it changed.
pub struct Tx<'d> {
    desk: &'d Desk,
    changed: Changed,
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

impl<'d> Tx<'d> {
    /// A snapshot of the store as committed so far.
    pub fn view(&self) -> AppResult<StoreView<'d>> {
        self.desk.view()
    }

    pub fn desk(&self) -> &'d Desk {
        self.desk
    }

    /// Runs a checked ingest (all or nothing).
    pub fn ingest(
        &mut self,
        prepared: PreparedIngest,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> AppResult<IngestSummary> {
        self.changed.transfers |= prepared.has_transfers();
        self.changed.accounts |= prepared.has_accounts();
        Ok(prepared.run(&self.desk.store, progress)?)
    }

    /// An ingest session of the caller's own (statement imports write lines and provenance with their
    /// commit). It may add transfers and account attributes.
    pub fn begin_ingest(&mut self) -> AppResult<IngestSession<'d>> {
        self.changed.transfers = true;
        self.changed.accounts = true;
        Ok(self.desk.store.begin_ingest()?)
    }

    /// Registers a case; a new one has its reach checked for warnings after the write.
    pub fn put_case(&mut self, case: &CaseRecord, request: Option<&RequestKey>) -> AppResult<Written<CaseRecord>> {
        let written = self.desk.store.put_case(case, request)?;
        if !written.replayed {
            self.changed.known.push(Known::Case(Box::new(written.value.clone())));
        }
        Ok(written)
    }

    /// Records a stop; a new one has its account checked for warnings after the write.
    pub fn place_stop(&mut self, new: &NewStop, request: Option<&RequestKey>) -> AppResult<Written<StopRecord>> {
        let written = self.desk.store.place_stop(new, request)?;
        if !written.replayed {
            self.changed.known.push(Known::Stopped(written.value.account));
        }
        Ok(written)
    }

    pub fn renew_stop(&mut self, id: u64, at_ms: i64, request: Option<&RequestKey>) -> AppResult<Written<StopRecord>> {
        Ok(self.desk.store.renew_stop(id, at_ms, request)?)
    }

    pub fn release_stop(
        &mut self,
        id: u64,
        at_ms: i64,
        request: Option<&RequestKey>,
    ) -> AppResult<Written<StopRecord>> {
        Ok(self.desk.store.release_stop(id, at_ms, request)?)
    }

    pub fn ack_warning(&mut self, id: u64, by: &str, at_ms: i64) -> AppResult<WarningRecord> {
        Ok(self.desk.store.ack_warning(id, by, at_ms)?)
    }

    /// Stores warnings found by a scan and tells the listener of the new ones; how many were new.
    pub fn raise_warnings(&mut self, found: &[WarningRecord]) -> AppResult<u64> {
        self.desk.raise(&self.view()?, found)
    }
}
