//! Health, who is signed in, store statistics.

use axum::extract::State;
use axum::{Extension, Json};

use super::ApiResult;
use crate::app::backup::BackupReport;
use crate::app::query::stats as store_stats;
use crate::query::StoreStats;
use crate::server::auth::{Principal, Role};
use crate::server::{blocking, commit, ApiError, AppState};

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
    let desk = s.desk.clone();
    blocking(move || Ok(store_stats(&desk)?)).await.map(Json)
}

/// A consistent copy of the store as it stands, while the server goes on serving and ingesting: into a new
/// directory named by the time (UTC) under the config's `backup_dir` (default `<store>.backups`). Restore
/// with `moneytrail restore --from DIR --db NEW`.
#[utoipa::path(post, path = "/v1/admin/backup", tag = "system", responses((status = 200, description = "The backup made: its directory, transfers, bytes, seconds (admin)", body = BackupReport)))]
pub async fn backup(State(s): State<AppState>, Extension(who): Extension<Principal>) -> ApiResult<BackupReport> {
    who.require(Role::Admin)?;
    let dir = s.config.backup_dir.clone().unwrap_or_else(|| {
        let store = s.desk.path();
        store.with_file_name(format!("{}.backups", store.file_name().unwrap_or_default().to_string_lossy()))
    });
    let desk = s.desk.clone();
    commit(move || {
        std::fs::create_dir_all(&dir).map_err(ApiError::internal)?;
        // Named to the millisecond; a second backup in the same millisecond gets a suffix.
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
        let mut out = dir.join(&stamp);
        let mut n = 1;
        while out.exists() {
            out = dir.join(format!("{stamp}-{n}"));
            n += 1;
        }
        Ok(crate::app::backup::backup(&desk, &out)?)
    })
    .await
    .map(Json)
}
