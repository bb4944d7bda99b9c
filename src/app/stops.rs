//! The stop-payment registry: stops placed, renewed, released, and which are in force or about to expire.

use super::{AppError, AppResult, Desk};
use crate::query::StopList;
pub use crate::store::NewStop;
use crate::store::{RequestKey, Written};

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
pub fn list(desk: &Desk, f: StopFilter) -> AppResult<StopList> {
    if f.expiring_within_hours.is_some_and(|h| h > MAX_EXPIRING_WITHIN_HOURS) {
        return Err(AppError::bad_input(
            "expiring_within_hours",
            format!("at most {MAX_EXPIRING_WITHIN_HOURS} (a year)"),
        ));
    }
    let view = desk.view()?;
    let mut stops = view.all_stops()?;
    if let Some(t) = f.active_at_ms {
        stops.retain(|s| s.active_at(t));
    }
    if let Some(h) = f.expiring_within_hours {
        stops.retain(|s| s.active_at(f.now_ms) && s.expires_at_ms - f.now_ms <= i64::from(h) * crate::timefmt::HOUR_MS);
    }
    Ok(StopList::build(&view, stops, desk.tz())?)
}

/// `stop place`, `POST /v1/stops`. A `request` key seen before answers what that request did (see
/// [`RequestKey`]); the CLI passes none. After a new stop the payments already in the stopped account
/// since its first fraud inflow are checked for warnings.
pub fn place(desk: &Desk, new: &NewStop, request: Option<&RequestKey>) -> AppResult<Written<StopList>> {
    if new.amount_fen <= 0 {
        return Err(AppError::bad_input("amount", "a stop needs a positive amount"));
    }
    answer(desk, desk.write(|tx| tx.place_stop(new, request))?.0)
}

/// `stop renew`, `POST /v1/stops/{id}/renew`: another 48 hours, at most twice.
pub fn renew(desk: &Desk, id: u64, at_ms: i64, request: Option<&RequestKey>) -> AppResult<Written<StopList>> {
    answer(desk, desk.write(|tx| tx.renew_stop(id, at_ms, request))?.0)
}

/// `stop release`, `POST /v1/stops/{id}/release`.
pub fn release(desk: &Desk, id: u64, at_ms: i64, request: Option<&RequestKey>) -> AppResult<Written<StopList>> {
    answer(desk, desk.write(|tx| tx.release_stop(id, at_ms, request))?.0)
}

fn answer(desk: &Desk, written: Written<crate::model::StopRecord>) -> AppResult<Written<StopList>> {
    let view = desk.view()?;
    Ok(Written { replayed: written.replayed, value: StopList::build(&view, vec![written.value], desk.tz())? })
}
