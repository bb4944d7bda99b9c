//! Mule-card rings over HTTP, from the server's cached detection.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::ApiResult;
use crate::app::rings as uc;
use crate::rings::{RingDetail, RingsAround, RingsReport};
use crate::server::extract::{P, Q};
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
}

#[utoipa::path(get, path = "/v1/rings", tag = "rings", params(RingsQuery), responses((status = 200, description = "Mule-card rings, ranked", body = RingsReport)))]
pub async fn rings(State(s): State<AppState>, Q(q): Q<RingsQuery>) -> ApiResult<RingsReport> {
    let (store, cache, tz) = (s.store.clone(), s.rings.clone(), s.tz);
    let limit = Some(q.limit.unwrap_or(100));
    blocking(move || Ok(uc::ranked(&store.view()?, &cache, tz, q.min_score.unwrap_or(0.0), limit)?)).await.map(Json)
}

#[utoipa::path(get, path = "/v1/rings/{ring_id}", tag = "rings", params(("ring_id" = String, Path, description = "Ring id from the ranked list, e.g. R0001")), responses((status = 200, description = "One ring: members, roles, shared attributes and the flows among its members", body = RingDetail), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn ring(State(s): State<AppState>, P(ring_id): P<String>) -> ApiResult<RingDetail> {
    let (store, cache, tz) = (s.store.clone(), s.rings.clone(), s.tz);
    blocking(move || Ok(uc::ring(&store.view()?, &cache, tz, &ring_id)?)).await.map(Json)
}

#[utoipa::path(get, path = "/v1/rings/around/{account}", tag = "rings", params(("account" = String, Path, description = "Account number")), responses((status = 200, description = "The rings an account belongs to, with the flows among their members: from the ranked list (ids R…) when it is a member of one, else found anchored on it (ids A…, not in the list)", body = RingsAround), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn rings_around(State(s): State<AppState>, P(account): P<String>) -> ApiResult<RingsAround> {
    let (store, cache, tz) = (s.store.clone(), s.rings.clone(), s.tz);
    blocking(move || Ok(uc::around(&store.view()?, &cache, tz, &[account], true)?)).await.map(Json)
}
