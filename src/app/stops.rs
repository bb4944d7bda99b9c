//! The stop-payment registry: stops placed, renewed, released, and which are in force or about to expire.

use chrono_tz::Tz;

use super::{AppError, AppResult};
use crate::query::StopList;
use crate::store::{NewStop, RequestKey, StoreView, TransferStore, Written};

/// Which stops to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct StopFilter {
    /// Only stops in force at this time.
    pub active_at_ms: Option<i64>,
    /// Only stops in force at `now_ms` that expire within this many hours (a renewal is due).
    pub expiring_within_hours: Option<u32>,
    pub now_ms: i64,
}

/// Longest look-ahead for expiring stops: a year.
pub const MAX_EXPIRING_WITHIN_HOURS: u32 = 8760;

/// `stop list`, `GET /v1/stops`.
pub fn list(view: &StoreView<'_>, f: StopFilter, tz: Tz) -> AppResult<StopList> {
    if f.expiring_within_hours.is_some_and(|h| h > MAX_EXPIRING_WITHIN_HOURS) {
        return Err(AppError::bad_input(
            "expiring_within_hours",
            format!("at most {MAX_EXPIRING_WITHIN_HOURS} (a year)"),
        ));
    }
    let mut stops = view.all_stops()?;
    if let Some(t) = f.active_at_ms {
        stops.retain(|s| s.active_at(t));
    }
    if let Some(h) = f.expiring_within_hours {
        stops.retain(|s| s.active_at(f.now_ms) && s.expires_at_ms - f.now_ms <= i64::from(h) * 3_600_000);
    }
    Ok(StopList::build(view, stops, tz)?)
}

/// `stop place`, `POST /v1/stops`. A `request` key seen before answers what that request did (see
/// [`RequestKey`]); the CLI passes none.
/// With `arrivals`, the payments already in the stopped account since its first fraud inflow are
/// checked for warnings.
pub fn place(
    store: &TransferStore,
    new: &NewStop,
    request: Option<&RequestKey>,
    arrivals: Option<super::warnings::ArrivalCheck<'_>>,
    tz: Tz,
) -> AppResult<Written<StopList>> {
    if new.amount_fen <= 0 {
        return Err(AppError::bad_input("amount", "a stop needs a positive amount"));
    }
    let written = store.place_stop(new, request)?;
    if let Some(c) = arrivals.filter(|_| !written.replayed) {
        // The stop is recorded: a failed check must not turn it into an error.
        if let Err(e) = super::warnings::on_known(store, c, &[written.value.account]) {
            tracing::error!(error = %e, stop = written.value.id, "warnings after a stop failed; a scan will find them");
        }
    }
    answer(store, written, tz)
}

/// `stop renew`, `POST /v1/stops/{id}/renew`: another 48 hours, at most twice.
pub fn renew(
    store: &TransferStore,
    id: u64,
    at_ms: i64,
    request: Option<&RequestKey>,
    tz: Tz,
) -> AppResult<Written<StopList>> {
    answer(store, store.renew_stop(id, at_ms, request)?, tz)
}

/// `stop release`, `POST /v1/stops/{id}/release`.
pub fn release(
    store: &TransferStore,
    id: u64,
    at_ms: i64,
    request: Option<&RequestKey>,
    tz: Tz,
) -> AppResult<Written<StopList>> {
    answer(store, store.release_stop(id, at_ms, request)?, tz)
}

fn answer(store: &TransferStore, written: Written<crate::model::StopRecord>, tz: Tz) -> AppResult<Written<StopList>> {
    let view = store.view()?;
    Ok(Written { replayed: written.replayed, value: StopList::build(&view, vec![written.value], tz)? })
}
