//! The HTTP API (axum). The only module that knows HTTP and JSON bodies; store and analysis work runs on
//! blocking threads (`spawn_blocking`), never on the async workers.

pub mod audit;
pub mod auth;
pub mod error;
mod extract;
pub mod openapi;
mod routes;
pub mod viz;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::Desk;
pub use audit::AuditLog;
pub use auth::{Role, ServerConfig};
pub use error::ApiError;

/// Largest JSON request body.
pub const MAX_JSON_BODY: usize = 1 << 20;
/// Largest upload (ingest bodies are streamed to disk).
pub const MAX_UPLOAD: usize = 8 << 30;
/// Longest a request may take before it is answered 408, unless the config says otherwise.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The use cases' desk: the store, the time zone and the caches built from the store (ring detection,
    /// 串并 of the registry, the warnings' watch list), for the server's life.
    pub desk: Arc<Desk>,
    pub config: Arc<ServerConfig>,
    pub audit: AuditLog,
    /// Where the web view's files come from.
    pub viz: Arc<viz::VizSource>,
    /// A FinBench snapshot, when the server was started with one (`serve --finbench DIR`).
    pub finbench: Option<Arc<crate::finbench::Snapshot>>,
    /// Failed authentications per source in the current window (`config.max_failures` is the limit).
    pub failed_auth: Arc<auth::FailedAuth>,
    /// Each warning as it is raised, for `GET /v1/warnings/stream` and webhooks.
    pub warning_feed: tokio::sync::broadcast::Sender<Arc<crate::warnings::WarningEntry>>,
}

impl AppState {
    /// A server's state over a store: empty caches, the embedded web view, no FinBench snapshot.
    pub fn new(desk: Desk, config: ServerConfig, audit: AuditLog) -> AppState {
        // Subscribers that fall more than this many warnings behind are told how many they missed.
        let (warning_feed, _) = tokio::sync::broadcast::channel(1024);
        let desk = Arc::new(desk);
        let feed = warning_feed.clone();
        desk.on_warnings_raised(Box::new(move |raised| {
            if feed.receiver_count() == 0 {
                return;
            }
            match raised.entries() {
                Ok(entries) => {
                    for e in entries {
                        // No receiver left since the check above: nobody to tell.
                        let _ = feed.send(Arc::new(e));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "raised warnings could not be listed for the stream"),
            }
        }));
        AppState {
            desk,
            config: Arc::new(config),
            audit,
            viz: Default::default(),
            finbench: None,
            failed_auth: Default::default(),
            warning_feed,
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("store", &self.desk.path()).finish()
    }
}

tokio::task_local! {
    /// Set by [`uncancellable`]: the request has started something the time limit must not cut short.
    static UNCANCELLABLE: Arc<std::sync::atomic::AtomicBool>;
}

/// Marks the current request as one the time limit must let finish: it is about to change the store (a
/// commit that would go on after a 408, so the client would hear "failed" about something done), or it
/// streams an upload that polices its own pace (see [`Spooled`]).
pub(crate) fn uncancellable() {
    let _ = UNCANCELLABLE.try_with(|flag| flag.store(true, std::sync::atomic::Ordering::SeqCst));
}

/// [`blocking`] for work that changes the store: once started it is finished and answered, past the
/// request time limit if need be. Never both commit and report failure.
pub(crate) async fn commit<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    uncancellable();
    blocking(f).await
}

/// The request time limit: a request still running after `limit` is answered 408 and dropped, unless it
/// has become [`uncancellable`], in which case it runs to its own answer. Dropping is clean for the rest:
/// reads change nothing, and an upload still arriving removes its spooled file ([`Spooled`]).
async fn time_limit(
    limit: Duration,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let run = UNCANCELLABLE.scope(flag.clone(), next.run(req));
    tokio::pin!(run);
    tokio::select! {
        response = &mut run => response,
        () = tokio::time::sleep(limit) => {
            if flag.load(std::sync::atomic::Ordering::SeqCst) {
                tracing::info!(limit_s = limit.as_secs(), "request past the time limit is committing or uploading: finishing it");
                run.await
            } else {
                ApiError::timeout().into_response()
            }
        }
    }
}

/// An upload's spooled file or directory, removed when this is dropped: after the ingest, on an error,
/// and when the request is dropped while the body is still arriving.
#[derive(Debug)]
pub(crate) struct Spooled(pub std::path::PathBuf);

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = if self.0.is_dir() { std::fs::remove_dir_all(&self.0) } else { std::fs::remove_file(&self.0) };
    }
}

/// Runs blocking store or analysis work off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?
}

/// Where a request's time went on the server: in the store's reads and in analysis (on the blocking
/// thread that ran the use case), and in serialising the answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timing {
    pub store: Duration,
    pub analysis: Duration,
}

/// [`blocking`], timed: the store's reads on that thread apart from the rest of the use case.
pub async fn blocking_timed<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<(T, Timing), ApiError> {
    tokio::task::spawn_blocking(move || {
        let clock = crate::app::ReadClock::start();
        let t0 = std::time::Instant::now();
        let value = f()?;
        let store = clock.elapsed();
        Ok((value, Timing { store, analysis: t0.elapsed().saturating_sub(store) }))
    })
    .await
    .map_err(ApiError::internal)?
}

/// A JSON answer with a `Server-Timing` header (`store`, `analysis`, `serialize`, in milliseconds), and
/// the same figures logged with the request id, so clients, benchmarks and operators see where time went.
pub fn timed_json<T: serde::Serialize>(value: &T, timing: Timing, request: &RequestId) -> axum::response::Response {
    use axum::response::IntoResponse;
    let t0 = std::time::Instant::now();
    let body = match serde_json::to_vec(value) {
        Ok(b) => b,
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let serialize = t0.elapsed();
    tracing::info!(
        request_id = %request.0,
        store_ms = ms(timing.store),
        analysis_ms = ms(timing.analysis),
        serialize_ms = ms(serialize),
        bytes = body.len(),
        "timing"
    );
    let header = format!(
        "store;dur={:.3}, analysis;dur={:.3}, serialize;dur={:.3}",
        ms(timing.store),
        ms(timing.analysis),
        ms(serialize)
    );
    ([(axum::http::header::CONTENT_TYPE, "application/json".to_string()), (SERVER_TIMING, header)], body)
        .into_response()
}

const SERVER_TIMING: axum::http::HeaderName = axum::http::HeaderName::from_static("server-timing");
const REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// The id of one request: the client's `X-Request-Id` when it is a sane token (1–64 characters of
/// `[A-Za-z0-9._-]`), else one made here. Answered in `X-Request-Id` and written in the logs.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

async fn request_id(mut req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static BOOT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let given =
        req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|v| {
            (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        });
    let id = match given {
        Some(v) => v.to_string(),
        None => {
            // Unique per process (a counter) and unlikely to repeat across restarts (the start time).
            let boot = *BOOT.get_or_init(|| crate::app::now_ms() as u64);
            format!("{:08x}-{:06x}", boot & 0xffff_ffff, COUNTER.fetch_add(1, Ordering::Relaxed))
        }
    };
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut resp = next.run(req).await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// The API's routes under /v1. Each handler is registered with `routes!`, which puts it in the router and
/// its `#[utoipa::path]` in the OpenAPI document in one step: a route cannot exist undocumented, and the
/// document cannot list a route that is not served. With a state, the authenticated routes get the
/// authentication layer; without one (for the document alone) they are the same routes.
fn api_routes(state: Option<&AppState>) -> OpenApiRouter<AppState> {
    use routes::{accounts, cases, finbench, ingest, rings, statements, stops, system, trace, warnings};
    // Uploads are streamed to disk, so their limit is about disk, not memory.
    let uploads = OpenApiRouter::new()
        .routes(routes!(ingest::ingest_transfers))
        .routes(routes!(ingest::ingest_accounts))
        .routes(routes!(statements::ingest_statements))
        .routes(routes!(statements::statements_layout))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD));
    let reads = OpenApiRouter::new()
        .routes(routes!(system::stats))
        .routes(routes!(system::whoami))
        .routes(routes!(system::backup))
        .routes(routes!(accounts::account))
        .routes(routes!(trace::trace))
        .routes(routes!(trace::freeze))
        .routes(routes!(trace::paths))
        .routes(routes!(finbench::finbench))
        .routes(routes!(stops::list_stops, stops::place_stop))
        .routes(routes!(stops::renew_stop))
        .routes(routes!(stops::release_stop))
        .routes(routes!(cases::list_cases, cases::create_case))
        .routes(routes!(cases::get_case))
        .routes(routes!(cases::case_trace))
        .routes(routes!(cases::case_freeze))
        .routes(routes!(cases::case_links))
        .routes(routes!(cases::links_all))
        .routes(routes!(warnings::list_warnings))
        .routes(routes!(warnings::scan_warnings))
        .routes(routes!(warnings::ack_warning))
        .routes(routes!(warnings::stream_warnings))
        .routes(routes!(rings::rings))
        .routes(routes!(rings::rings_confirmed))
        .routes(routes!(rings::rings_around))
        .routes(routes!(rings::ring))
        .routes(routes!(statements::statements_check))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY));
    let mut authed = reads.merge(uploads);
    if let Some(state) = state {
        authed = authed.route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate));
    }
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi()).routes(routes!(system::health)).merge(authed)
}

/// The OpenAPI document of the routes [`app`] serves, with the responses every operation shares.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::finish(api_routes(None).into_openapi())
}

/// The API's router, versioned under /v1, with the web view and /openapi.json. Tests call this directly.
pub fn app(state: AppState) -> Router {
    let (api, doc) = api_routes(Some(&state)).split_for_parts();
    let doc: Arc<str> = openapi::finish(doc).to_pretty_json().map_or_else(|_| Arc::from("{}"), Arc::from);
    Router::new()
        .route("/openapi.json", get(move || openapi::serve(doc.clone())))
        .route("/", get(viz::root))
        .route("/viz", get(viz::root))
        .route("/viz/", get(viz::index))
        .route("/viz/{file}", get(viz::file))
        .merge(api)
        .fallback(routes::system::not_found)
        .layer({
            let limit = state.config.request_timeout;
            axum::middleware::from_fn(move |req, next| time_limit(limit, req, next))
        })
        // Outer, so it sees the bare errors of the layers inside (a later `.layer` wraps the earlier ones).
        .layer(axum::middleware::map_response(json_for_bare_errors))
        // Outermost of all: every answer, errors included, carries its request id.
        .layer(axum::middleware::from_fn(request_id))
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
        S::REQUEST_TIMEOUT => ("timeout", "the request took longer than the server's time limit".to_string(), None),
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
    // The registered cases' reach first (each case traced once): the first upload's warning check would
    // otherwise pay for it (2 s with 4,841 cases at 10M transfers).
    let warm = state.desk.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = warm.warm() {
            tracing::warn!(error = %e, "the watch list and ring detection at start failed");
        }
    });
    webhooks::start(&state);
    // With the peer's address in each request: failed authentications are audited and limited per source.
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
