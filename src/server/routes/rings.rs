//! Mule-card rings over HTTP, from the server's cached detection.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::{integral_u32, json_body, ApiResult};
use crate::app::rings as uc;
use crate::rings::{RingDetail, RingsAround, RingsReport};
use crate::server::extract::{P, Q};
use crate::server::ApiError;
use crate::server::{blocking, AppState};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RingsQuery {
    /// Only rings scoring at least this (0-100).
    #[param(minimum = 0, maximum = 100)]
    min_score: Option<f64>,
    /// At most this many rings, best first (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// Wait for a detection of the store as it stands (whole-graph work: seconds on a large store). By
    /// default the last detection is answered at once, with `stale: true` when the store has changed
    /// since, while a new one runs in the background.
    fresh: Option<bool>,
}

#[utoipa::path(get, path = "/v1/rings", tag = "rings", params(RingsQuery), responses((status = 200, description = "Mule-card rings, ranked (from the last detection unless fresh=true)", body = RingsReport)))]
pub async fn rings(
    State(s): State<AppState>,
    axum::extract::Extension(rid): axum::extract::Extension<crate::server::RequestId>,
    Q(q): Q<RingsQuery>,
) -> Result<axum::response::Response, crate::server::ApiError> {
    let desk = s.desk.clone();
    let limit = Some(q.limit.unwrap_or(100));
    let freshness = if q.fresh == Some(true) { uc::Freshness::Current } else { uc::Freshness::Last };
    let (report, timing) =
        crate::server::blocking_timed(move || Ok(uc::ranked(&desk, q.min_score.unwrap_or(0.0), limit, freshness)?))
            .await?;
    if report.stale {
        s.desk.refresh_rings_in_background();
    }
    Ok(crate::server::timed_json(&report, timing, &rid))
}

#[utoipa::path(get, path = "/v1/rings/{ring_id}", tag = "rings", params(("ring_id" = String, Path, description = "Ring id from the ranked list, e.g. R0001")), responses((status = 200, description = "One ring: members, roles, shared attributes and the flows among its members", body = RingDetail), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn ring(State(s): State<AppState>, P(ring_id): P<String>) -> ApiResult<RingDetail> {
    let desk = s.desk.clone();
    blocking(move || Ok(uc::ring(&desk, &ring_id)?)).await.map(Json)
}

#[utoipa::path(get, path = "/v1/rings/around/{account}", tag = "rings", params(("account" = String, Path, description = "Account number")), responses((status = 200, description = "The rings an account belongs to, with the flows among their members: from the ranked list (ids R…) when it is a member of one, else found anchored on it (ids A…, not in the list)", body = RingsAround), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn rings_around(State(s): State<AppState>, P(account): P<String>) -> ApiResult<RingsAround> {
    let desk = s.desk.clone();
    blocking(move || Ok(uc::around(&desk, &[account], true)?)).await.map(Json)
}

/// Most confirmed cards one request may carry.
const MAX_CONFIRMED: usize = 100_000;

/// An account number as listed: no white space (Unicode's, which is JavaScript's `\s` and U+0085).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(pattern = r"^[^\s\u0085]+$")]
pub struct ListedAccount(String);

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmedRequest {
    /// Cards confirmed as mule cards (a 断卡 team's past operations), by account number.
    #[schema(max_items = 100000)]
    accounts: Vec<ListedAccount>,
    /// Names the list in each member's evidence (e.g. the operation it came from).
    #[serde(default)]
    source: Option<String>,
    /// Only rings scoring at least this (0-100).
    #[schema(minimum = 0, maximum = 100)]
    min_score: Option<f64>,
    /// At most this many rings, best first (default 100).
    #[schema(minimum = 1, maximum = 1000)]
    #[serde(default, deserialize_with = "integral_u32")]
    limit: Option<u32>,
}

#[utoipa::path(post, path = "/v1/rings/confirmed", tag = "rings", request_body = ConfirmedRequest, responses((status = 200, description = "Rings found with a scorer trained on the confirmed cards: the ranked list, and the scorer's cross-validated precision and recall (whole-graph work and training: seconds to minutes; not cached)", body = RingsReport), (status = 422, description = "Too few of the confirmed cards are in the store to learn from", body = crate::server::openapi::ErrorBody)))]
pub async fn rings_confirmed(
    State(s): State<AppState>,
    body: Result<Json<ConfirmedRequest>, JsonRejection>,
) -> ApiResult<RingsReport> {
    let b = json_body(body)?;
    if b.accounts.len() > MAX_CONFIRMED {
        return Err(ApiError::bad_request("accounts", format!("at most {MAX_CONFIRMED} confirmed cards per request")));
    }
    let mut listed = Vec::with_capacity(b.accounts.len());
    for (i, ListedAccount(a)) in b.accounts.into_iter().enumerate() {
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\u{feff}') {
            return Err(ApiError::bad_request("accounts", format!("accounts[{i}] is empty or holds spaces: {a:?}")));
        }
        listed.push(crate::rings::scorer::ListedCard { account: a, line: i + 1 });
    }
    let source = b.source.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "the confirmed list".into());
    let desk = s.desk.clone();
    let (min_score, limit) = (b.min_score.unwrap_or(0.0), Some(b.limit.map_or(100, |l| l as usize)));
    blocking(move || Ok(uc::with_confirmed(&desk, &listed, &source, min_score, limit)?.report)).await.map(Json)
}
