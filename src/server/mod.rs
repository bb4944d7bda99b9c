//! The HTTP API (axum). The only module that knows HTTP and JSON bodies; store and analysis work runs on
//! blocking threads (`spawn_blocking`), never on the async workers.

pub mod auth;
pub mod error;
mod extract;
pub mod openapi;
mod routes;
pub mod viz;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use chrono_tz::Tz;
use tower_http::timeout::TimeoutLayer;

use crate::store::TransferStore;
pub use auth::{AuditLog, Role, ServerConfig};
pub use error::ApiError;

/// Largest JSON request body.
pub const MAX_JSON_BODY: usize = 1 << 20;
/// Largest upload (ingest bodies are streamed to disk).
pub const MAX_UPLOAD: usize = 8 << 30;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Most items one page may hold.
pub const MAX_PAGE: usize = 1000;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<TransferStore>,
    pub config: Arc<ServerConfig>,
    pub audit: AuditLog,
    pub tz: Tz,
    /// Ring detection of the store as of a watermark (whole-graph work, seconds at 10M transfers), reused
    /// until an ingest moves the watermark.
    pub rings: Arc<RingsCache>,
    /// Where the web view's files come from.
    pub viz: Arc<viz::VizSource>,
}

/// Rings of a store with the attribute table they were computed from.
pub type DetectedRings = Arc<(Vec<crate::rings::Ring>, crate::rings::features::AttrTable)>;

/// The last ring detection and the watermark it was computed at. The slot is locked only to read or
/// swap it; a detection runs under its own lock, so readers of the last result (warnings on upload)
/// never wait for whole-graph work, and two requests never run it twice.
#[derive(Default)]
pub struct RingsCache {
    /// The last result and the watermark it is valid at (None: stale, though still the last result).
    current: std::sync::Mutex<Option<(Option<crate::keys::Watermark>, DetectedRings)>>,
    computing: std::sync::Mutex<()>,
}

impl RingsCache {
    /// The ranked list of the committed store (ids `R0001`… by rank) with the detection it came from;
    /// rings scoring below `min_score` are left out. Must run on a blocking thread.
    pub fn ranked(
        &self,
        view: &crate::store::StoreView<'_>,
        tz: Tz,
        min_score: f64,
    ) -> Result<(DetectedRings, crate::rings::RingsReport), ApiError> {
        let detected = self.get(view, tz)?;
        let report = crate::rings::RingsReport::build(view, &detected.0, &detected.1, min_score)?;
        Ok((detected, report))
    }

    /// The last detection, whatever state it was computed at (None before the first). For work that
    /// must not pay for a whole-graph detection, such as warnings raised as an upload lands.
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

    fn current_at(&self, wm: crate::keys::Watermark) -> Option<DetectedRings> {
        match self.current.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some((Some(at), rings)) if *at == wm => Some(rings.clone()),
            _ => None,
        }
    }

    /// Rings of the committed store seen by `view`, computed once per watermark. Must run on a blocking thread.
    pub fn get(&self, view: &crate::store::StoreView<'_>, tz: Tz) -> Result<DetectedRings, ApiError> {
        let wm = view.watermark();
        if let Some(rings) = self.current_at(wm) {
            return Ok(rings);
        }
        let _one_at_a_time = self.computing.lock().unwrap_or_else(|p| p.into_inner());
        // Another request may have computed it while this one waited.
        if let Some(rings) = self.current_at(wm) {
            return Ok(rings);
        }
        let (rings, _, table) = crate::rings::detect_rings(view, &Default::default(), &[], tz)?;
        let value = Arc::new((rings, table));
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some((Some(wm), value.clone()));
        Ok(value)
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("store", &self.store.path()).finish()
    }
}

/// Runs blocking store or analysis work off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?
}

/// The API's router, versioned under /v1. Tests call this directly.
pub fn app(state: AppState) -> Router {
    // Uploads are streamed to disk, so their limit is about disk, not memory.
    let uploads = Router::new()
        .route("/v1/ingest/transfers", post(routes::ingest_transfers))
        .route("/v1/ingest/accounts", post(routes::ingest_accounts))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD));
    let reads = Router::new()
        .route("/v1/stats", get(routes::stats))
        .route("/v1/whoami", get(routes::whoami))
        .route("/v1/accounts/{account}", get(routes::account))
        .route("/v1/trace", post(routes::trace))
        .route("/v1/freeze", post(routes::freeze))
        .route("/v1/stops", get(routes::list_stops).post(routes::place_stop))
        .route("/v1/stops/{id}/renew", post(routes::renew_stop))
        .route("/v1/stops/{id}/release", post(routes::release_stop))
        .route("/v1/cases", get(routes::list_cases).post(routes::create_case))
        .route("/v1/cases/{id}", get(routes::get_case))
        .route("/v1/cases/{id}/trace", get(routes::case_trace))
        .route("/v1/cases/{id}/freeze", get(routes::case_freeze))
        .route("/v1/cases/{id}/links", get(routes::case_links))
        .route("/v1/warnings", get(routes::list_warnings))
        .route("/v1/warnings/scan", post(routes::scan_warnings))
        .route("/v1/warnings/{id}/ack", post(routes::ack_warning))
        .route("/v1/rings", get(routes::rings))
        .route("/v1/rings/around/{account}", get(routes::rings_around))
        .route("/v1/rings/{ring_id}", get(routes::ring))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY));
    let authed =
        reads.merge(uploads).route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate));
    Router::new()
        .route("/v1/health", get(routes::health))
        .route("/openapi.json", get(openapi::document))
        .route("/", get(viz::root))
        .route("/viz", get(viz::root))
        .route("/viz/", get(viz::index))
        .route("/viz/{file}", get(viz::file))
        .merge(authed)
        .fallback(routes::not_found)
        .layer(axum::middleware::map_response(json_for_bare_errors))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .with_state(state)
}

/// Errors answered by layers (timeout, method not allowed, body limits outside JSON extraction) come
/// without a JSON body; give them one, so clients always get `{"error": …}`.
async fn json_for_bare_errors(resp: axum::response::Response) -> axum::response::Response {
    use axum::http::StatusCode as S;
    use axum::response::IntoResponse;
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(resp.status().is_client_error() || resp.status().is_server_error()) {
        return resp;
    }
    let (code, message, field) = match resp.status() {
        S::REQUEST_TIMEOUT => {
            ("timeout", format!("the request took longer than {} s", REQUEST_TIMEOUT.as_secs()), None)
        }
        S::PAYLOAD_TOO_LARGE => ("too_large", "the body is too large".to_string(), Some("body".to_string())),
        S::METHOD_NOT_ALLOWED => ("method_not_allowed", "this endpoint does not take that method".to_string(), None),
        S::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "send JSON with Content-Type: application/json".to_string(),
            Some("body".to_string()),
        ),
        s => ("error", s.canonical_reason().unwrap_or("error").to_string(), None),
    };
    ApiError { status: resp.status(), code, message, field }.into_response()
}

/// Serves the API until Ctrl-C. Binds where told (127.0.0.1 by default in the CLI).
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "moneytrail API listening");
    // Detect rings once at start, in the background: warnings raised on upload watch ring cards, and
    // the first person to open the rings page should not wait for whole-graph work.
    let warm = state.clone();
    tokio::task::spawn_blocking(move || match warm.store.view() {
        Ok(view) => {
            if let Err(e) = warm.rings.get(&view, warm.tz) {
                tracing::warn!(error = %e.message, "ring detection at start failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "ring detection at start: store unreadable"),
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
