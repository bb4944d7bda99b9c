//! The stop-payment registry over HTTP.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::{json_body, opt_time, request_key, time, ApiResult, Idempotency, Replayable};
use crate::app::stops::{self as uc, StopFilter};
use crate::money::parse_positive_yuan;
use crate::query::StopList;
use crate::server::auth::{Principal, Role};
use crate::server::extract::{P, Q};
use crate::server::{blocking, commit, ApiError, AppState};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StopsQuery {
    /// Only stops active at this time.
    #[param(format = DateTime)]
    active_at: Option<String>,
    /// Only active stops expiring within this many hours.
    #[param(minimum = 0, maximum = 8760)]
    expiring_within_hours: Option<u32>,
}

#[utoipa::path(get, path = "/v1/stops", tag = "freezes", params(StopsQuery), responses((status = 200, description = "Stops placed", body = StopList)))]
pub async fn list_stops(State(s): State<AppState>, Q(q): Q<StopsQuery>) -> ApiResult<StopList> {
    let filter = StopFilter {
        active_at_ms: opt_time(s.desk.tz(), "active_at", &q.active_at)?,
        expiring_within_hours: q.expiring_within_hours,
        now_ms: s.desk.now_ms(),
    };
    let desk = s.desk.clone();
    blocking(move || Ok(uc::list(&desk, filter)?)).await.map(Json)
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account": "6222025163499492982", "amount": "96102.44", "placed_at": "2026-01-10T15:00:00+08:00", "case_id": "CASE-00009", "basis_txn": "T00012845"}))]
pub struct PlaceStop {
    #[schema(min_length = 1)]
    account: String,
    /// Yuan, more than zero.
    #[schema(
        pattern = r"^(?:0*[1-9][0-9]{0,12}(?:\.[0-9]{1,2})?|0*\.(?:0[1-9]|[1-9][0-9]?)|0+\.(?:0[1-9]|[1-9][0-9]?))$"
    )]
    amount: String,
    /// Default: now.
    #[schema(format = DateTime)]
    placed_at: Option<String>,
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    basis_txn: String,
    #[serde(default)]
    note: String,
}

#[utoipa::path(post, path = "/v1/stops", tag = "freezes", params(Idempotency), request_body = PlaceStop, responses((status = 200, description = "The stop recorded (operator)", body = StopList), (status = 409, description = "The account is already stopped", body = crate::server::openapi::ErrorBody), (status = 422, description = "Unknown account, or the idempotency key was used for another request", body = crate::server::openapi::ErrorBody)))]
pub async fn place_stop(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    body: Result<Json<PlaceStop>, JsonRejection>,
) -> Result<Replayable<StopList>, ApiError> {
    who.require(Role::Operator)?;
    let b = json_body(body)?;
    let request = request_key(&headers, &who, "POST /v1/stops", &b)?;
    let amount_fen =
        parse_positive_yuan(&b.amount).map_err(|e| ApiError::bad_request("amount", format!("{:?}: {e}", b.amount)))?;
    let new = uc::NewStop {
        account: b.account,
        amount_fen,
        placed_at_ms: time(s.desk.tz(), "placed_at", &b.placed_at, s.desk.now_ms())?,
        case_id: b.case_id,
        placed_by: who.name,
        basis_txn: b.basis_txn,
        note: b.note,
    };
    let desk = s.desk.clone();
    commit(move || Ok(uc::place(&desk, &new, request.as_ref())?)).await.map(Replayable)
}

#[derive(Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct At {
    /// Default: now.
    #[schema(format = DateTime)]
    at: Option<String>,
}

/// The optional body of renew and release: nothing, `null`, or `{"at": …}`.
fn optional_at(body: &[u8]) -> Result<Option<At>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<Option<At>>(body)
        .map_err(|e| ApiError::bad_request("body", format!("not a JSON object with `at`: {e}")))
}

async fn change_stop(
    s: AppState,
    who: Principal,
    headers: HeaderMap,
    id: u64,
    body: Option<At>,
    renew: bool,
) -> Result<Replayable<StopList>, ApiError> {
    who.require(Role::Operator)?;
    let body = body.unwrap_or_default();
    let operation = format!("POST /v1/stops/{id}/{}", if renew { "renew" } else { "release" });
    let request = request_key(&headers, &who, &operation, &body)?;
    let at = time(s.desk.tz(), "at", &body.at, s.desk.now_ms())?;
    let desk = s.desk.clone();
    commit(move || {
        let request = request.as_ref();
        Ok(if renew { uc::renew(&desk, id, at, request)? } else { uc::release(&desk, id, at, request)? })
    })
    .await
    .map(Replayable)
}

#[utoipa::path(post, path = "/v1/stops/{id}/renew", tag = "freezes", params(("id" = u64, Path, description = "Stop id"), Idempotency), request_body = Option<At>, responses((status = 200, description = "The stop renewed (at most twice; operator)", body = StopList), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody), (status = 409, description = "Not renewable", body = crate::server::openapi::ErrorBody)))]
pub async fn renew_stop(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    P(id): P<u64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Replayable<StopList>, ApiError> {
    change_stop(s, who, headers, id, optional_at(&body)?, true).await
}

#[utoipa::path(post, path = "/v1/stops/{id}/release", tag = "freezes", params(("id" = u64, Path, description = "Stop id"), Idempotency), request_body = Option<At>, responses((status = 200, description = "The stop released (operator)", body = StopList), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody), (status = 409, description = "Already released", body = crate::server::openapi::ErrorBody)))]
pub async fn release_stop(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    P(id): P<u64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Replayable<StopList>, ApiError> {
    change_stop(s, who, headers, id, optional_at(&body)?, false).await
}
