//! Warnings (资金预警): scans for payments from ordinary people into watched accounts, the list by urgency,
//! acknowledgement, and the check of an ingest's new transfers as they land.

use chrono_tz::Tz;
use serde::Serialize;

use super::rings::RingsCache;
use super::AppResult;
use crate::store::{StoreView, TransferStore};
use crate::warnings::{entry, scan as scan_payments, urgency_key, watched_accounts, WarningEntry};

/// What a scan found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScanResult {
    pub watched_accounts: usize,
    pub new_warnings: usize,
    pub warnings: Vec<WarningEntry>,
}

/// `POST /v1/warnings/scan`: payments in `[since, until]` from ordinary people into stopped accounts and
/// ring cards, stored as warnings (those already stored are kept as they are).
pub fn scan(
    store: &TransferStore,
    rings: &RingsCache,
    since_ms: i64,
    until_ms: i64,
    now_ms: i64,
    tz: Tz,
) -> AppResult<ScanResult> {
    let view = store.view()?;
    let detected = rings.get(&view, tz)?;
    let watched = watched_accounts(view.stopped_at(until_ms)?, &detected.0);
    let found = scan_payments(&view, &watched, since_ms, until_ms, now_ms)?;
    let new_warnings = store.add_warnings(&found)?;
    let warnings = found.iter().map(|w| entry(&view, w, now_ms, tz)).collect::<Result<_, _>>()?;
    Ok(ScanResult { watched_accounts: watched.len(), new_warnings, warnings })
}

/// `GET /v1/warnings`: open (or all) warnings, most urgent first, deadlines and escalation as of `at_ms`.
pub fn list(view: &StoreView<'_>, open_only: bool, at_ms: i64, tz: Tz) -> AppResult<Vec<WarningEntry>> {
    let mut ws = view.all_warnings()?;
    if open_only {
        ws.retain(|w| w.acked_at_ms.is_none());
    }
    ws.sort_by_key(urgency_key);
    Ok(ws.iter().map(|w| entry(view, w, at_ms, tz)).collect::<Result<_, _>>()?)
}

/// `POST /v1/warnings/{id}/ack`: someone has taken the warning in hand.
pub fn acknowledge(store: &TransferStore, id: u64, by: &str, now_ms: i64, tz: Tz) -> AppResult<WarningEntry> {
    let w = store.ack_warning(id, by, now_ms)?;
    Ok(entry(&store.view()?, &w, now_ms, tz)?)
}

/// Warnings for the transfers an ingest just added (sequence numbers from `first_new_seq`): victims still
/// paying are found as their payments arrive, not at the next scan. Watches stopped accounts and the cards
/// of the last ring detection (not recomputed here: that is whole-graph work). Payments earlier than the
/// ingest still count towards a payer's repetition and total. Returns how many warnings were new.
pub fn on_arrival(
    store: &TransferStore,
    rings: &RingsCache,
    first_new_seq: u64,
    now_ms: i64,
    tz: Tz,
) -> AppResult<u64> {
    let view = store.view()?;
    // A server detects rings at start; if that has not finished, this ingest waits for it once.
    let detected = match rings.last() {
        Some(r) => r,
        None => rings.get(&view, tz)?,
    };
    let watched = watched_accounts(view.stopped_at(now_ms)?, &detected.0);
    let mut found = scan_payments(&view, &watched, i64::MIN, i64::MAX, now_ms)?;
    found.retain(|w| w.seq >= first_new_seq);
    Ok(store.add_warnings(&found)? as u64)
}
