//! Mule-card rings for 断卡 teams: the ranked list, one ring with its flows, the rings around accounts.
//!
//! Ring detection is whole-graph work (seconds at 10M transfers). [`RingsCache`] keeps the last detection
//! and the watermark it was made at, so a server computes it once per ingest; the CLI uses a fresh cache
//! per command, so both front ends run exactly the same code.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono_tz::Tz;

use super::{AppError, AppResult};
use crate::rings::features::AttrTable;
use crate::rings::{detect_rings, ring_flows, Ring, RingDetail, RingEntry, RingsAround, RingsReport};
use crate::store::{StoreView, Watermark};

/// Rings of a store with the attribute table they were computed from.
pub type DetectedRings = Arc<(Vec<Ring>, AttrTable)>;

/// The last ring detection and the watermark it was computed at. The slot is locked only to read or swap
/// it; a detection runs under its own lock, so readers of the last result (warnings on upload) never wait
/// for whole-graph work, and two requests never run it twice.
#[derive(Default)]
pub struct RingsCache {
    /// The last result and the watermark it is valid at (None: stale, though still the last result).
    current: Mutex<Option<(Option<Watermark>, DetectedRings)>>,
    computing: Mutex<()>,
    detections: AtomicU64,
}

impl std::fmt::Debug for RingsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingsCache").field("detections", &self.detections()).finish()
    }
}

impl RingsCache {
    /// The last detection, whatever state it was computed at (None before the first). For work that must
    /// not pay for a whole-graph detection, such as warnings raised as an upload lands.
    pub fn last(&self) -> Option<DetectedRings> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|(_, r)| r.clone())
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

    fn current_at(&self, wm: Watermark) -> Option<DetectedRings> {
        match self.current.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some((Some(at), rings)) if *at == wm => Some(rings.clone()),
            _ => None,
        }
    }

    /// Rings of the committed store seen by `view`, computed once per watermark. Blocking work.
    pub fn get(&self, view: &StoreView<'_>, tz: Tz) -> AppResult<DetectedRings> {
        let wm = view.watermark();
        if let Some(rings) = self.current_at(wm) {
            return Ok(rings);
        }
        let _one_at_a_time = self.computing.lock().unwrap_or_else(|p| p.into_inner());
        // Another request may have computed it while this one waited.
        if let Some(rings) = self.current_at(wm) {
            return Ok(rings);
        }
        let (rings, _, table) = detect_rings(view, &Default::default(), &[], tz)?;
        self.detections.fetch_add(1, Ordering::Relaxed);
        let value = Arc::new((rings, table));
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some((Some(wm), value.clone()));
        Ok(value)
    }

    /// The ranked list (ids `R0001`… by rank) with the detection it came from; rings scoring below
    /// `min_score` are left out.
    pub fn ranked(&self, view: &StoreView<'_>, tz: Tz, min_score: f64) -> AppResult<(DetectedRings, RingsReport)> {
        let detected = self.get(view, tz)?;
        let report = RingsReport::build(view, &detected.0, &detected.1, min_score)?;
        Ok((detected, report))
    }
}

/// Most rings one list may hold.
pub const MAX_LIMIT: usize = 1000;

/// `rings`, `GET /v1/rings`: the ranked list, best first.
pub fn ranked(
    view: &StoreView<'_>,
    cache: &RingsCache,
    tz: Tz,
    min_score: f64,
    limit: Option<usize>,
) -> AppResult<RingsReport> {
    if !(0.0..=100.0).contains(&min_score) {
        return Err(AppError::bad_input("min_score", "min_score must be 0..=100"));
    }
    if limit.is_some_and(|l| l == 0 || l > MAX_LIMIT) {
        return Err(AppError::bad_input("limit", format!("limit must be 1..={MAX_LIMIT}")));
    }
    let (_, mut report) = cache.ranked(view, tz, min_score)?;
    if let Some(l) = limit {
        report.rings.truncate(l);
    }
    Ok(report)
}

/// `GET /v1/rings/{ring_id}`: one ring of the ranked list with the flows among its members.
pub fn ring(view: &StoreView<'_>, cache: &RingsCache, tz: Tz, ring_id: &str) -> AppResult<RingDetail> {
    let (detected, report) = cache.ranked(view, tz, 0.0)?;
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
pub fn around(
    view: &StoreView<'_>,
    cache: &RingsCache,
    tz: Tz,
    accounts: &[String],
    anchor: bool,
) -> AppResult<RingsAround> {
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
    let (detected, report) = cache.ranked(view, tz, 0.0)?;
    let contains = |r: &Ring, id: u32| r.members.iter().any(|m| m.id == id);
    let (entries, rings): (Vec<_>, Vec<_>) =
        report.rings.into_iter().zip(detected.0.iter()).filter(|(_, r)| ids.iter().any(|&id| contains(r, id))).unzip();
    let mut out = with_flows(entries, rings)?;
    let missing: Vec<u32> = ids.iter().copied().filter(|&id| !detected.0.iter().any(|r| contains(r, id))).collect();
    if anchor && !missing.is_empty() {
        let (mut found, _, table) = detect_rings(view, &Default::default(), &missing, tz)?;
        found.retain(|r| missing.iter().any(|&id| contains(r, id)));
        let mut report = RingsReport::build(view, &found, &table, 0.0)?;
        for r in &mut report.rings {
            r.ring_id.replace_range(0..1, "A");
        }
        out.extend(with_flows(report.rings, found.iter().collect())?);
    }
    Ok(RingsAround { rings: out })
}

/// `eval rings --world DIR`: detection against a generated world's mule labels.
pub fn eval(
    view: &StoreView<'_>,
    cache: &RingsCache,
    tz: Tz,
    world: &std::path::Path,
) -> AppResult<crate::rings::RingEval> {
    let detected = cache.get(view, tz)?;
    Ok(crate::rings::eval_rings(view, &detected.0, world)?)
}

/// `features`: every account's mule-card features.
pub fn features(view: &StoreView<'_>, tz: Tz) -> AppResult<Vec<crate::rings::features::AccountFeatures>> {
    let table = AttrTable::load(view)?;
    Ok(crate::rings::features::all_features(view, &table, tz)?)
}
