//! Health, who is signed in, store statistics.

use axum::extract::State;
use axum::{Extension, Json};

use super::ApiResult;
use crate::app::query::stats as store_stats;
use crate::query::StoreStats;
use crate::server::auth::Principal;
use crate::server::{blocking, ApiError, AppState};

/// Who the token belongs to, so a client can show the role and offer only what it may do.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct WhoAmI {
    name: String,
    /// analyst, operator or admin.
    role: String,
}

#[utoipa::path(get, path = "/v1/whoami", tag = "system", responses((status = 200, description = "The token's holder and role", body = WhoAmI)))]
pub async fn whoami(Extension(who): Extension<Principal>) -> Json<WhoAmI> {
    Json(WhoAmI { name: who.name, role: who.role.as_str().to_string() })
}

#[utoipa::path(get, path = "/v1/health", tag = "system", responses((status = 200, description = "Up; the API version", body = serde_json::Value)))]
pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint (see /v1/health for the API version)")
}

#[utoipa::path(get, path = "/v1/stats", tag = "system", responses((status = 200, description = "Store statistics", body = StoreStats)))]
pub async fn stats(State(s): State<AppState>) -> ApiResult<StoreStats> {
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || Ok(store_stats(&store, tz)?)).await.map(Json)
}
