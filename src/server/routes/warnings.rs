//! Warnings (资金预警) over HTTP.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::{Extension, Json};
use serde::Deserialize;

use super::{json_body, time, ApiResult};
use crate::app::warnings::{self as uc, ScanResult};
use crate::server::auth::{Principal, Role};
use crate::server::extract::{P, Q};
use crate::server::{blocking, commit, ApiError, AppState};
use crate::warnings::WarningEntry;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"since": "2026-01-01T00:00:00+08:00"}))]
pub struct ScanRequest {
    /// Look at transfers from this time.
    #[schema(format = DateTime)]
    since: String,
    /// Until this time (default: now).
    #[schema(format = DateTime)]
    until: Option<String>,
}

/// Finds payments from ordinary people into stopped accounts and ring cards, and stores them as warnings.
#[utoipa::path(post, path = "/v1/warnings/scan", tag = "warnings", request_body = ScanRequest, responses((status = 200, description = "New warnings found (operator)", body = ScanResult)))]
pub async fn scan_warnings(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    body: Result<Json<ScanRequest>, JsonRejection>,
) -> ApiResult<ScanResult> {
    who.require(Role::Operator)?;
    let b = json_body(body)?;
    let desk = s.desk.clone();
    let since = time(desk.tz(), "since", &Some(b.since), 0)?;
    let until = time(desk.tz(), "until", &b.until, desk.now_ms())?;
    commit(move || Ok(uc::scan(&desk, since, until)?)).await.map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WarningsQuery {
    /// open (default) or all.
    #[param(pattern = "^(open|all)$")]
    status: Option<String>,
    /// Compute deadlines and escalation as of this time (default: now).
    #[param(format = DateTime)]
    at: Option<String>,
}

#[utoipa::path(get, path = "/v1/warnings", tag = "warnings", params(WarningsQuery), responses((status = 200, description = "Warnings with grade, deadline and escalation", body = Vec<WarningEntry>)))]
pub async fn list_warnings(State(s): State<AppState>, Q(q): Q<WarningsQuery>) -> ApiResult<Vec<WarningEntry>> {
    let at = time(s.desk.tz(), "at", &q.at, s.desk.now_ms())?;
    let open_only = match q.status.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(other) => return Err(ApiError::bad_request("status", format!("{other:?}: use open or all"))),
    };
    let desk = s.desk.clone();
    blocking(move || Ok(uc::list(&desk, open_only, at)?)).await.map(Json)
}

#[utoipa::path(post, path = "/v1/warnings/{id}/ack", tag = "warnings", params(("id" = u64, Path, description = "Warning id")), responses((status = 200, description = "The warning acknowledged (operator)", body = WarningEntry), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn ack_warning(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    P(id): P<u64>,
) -> ApiResult<WarningEntry> {
    // Acknowledging is an action (someone has taken the warning in hand), not a read.
    who.require(Role::Operator)?;
    let desk = s.desk.clone();
    commit(move || Ok(uc::acknowledge(&desk, id, &who.name)?)).await.map(Json)
}

/// Server-Sent Events: each warning the moment it is raised (an upload, a statement import, a case
/// registered, a stop placed, a scan), as event `warning` with the warning as listed in `data` and its id
/// in `id`; `lagged` (data: how many) when this connection fell too far behind to be told them all. A
/// comment every 15 s keeps proxies from closing the connection.
#[utoipa::path(get, path = "/v1/warnings/stream", tag = "warnings", responses((status = 200, description = "text/event-stream of warnings as they are raised", content_type = "text/event-stream", body = String)))]
pub async fn stream_warnings(
    State(s): State<AppState>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    use tokio::sync::broadcast::error::RecvError;
    let rx = s.warning_feed.subscribe();
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(w) => Event::default()
                .event("warning")
                .id(w.id.to_string())
                .json_data(&*w)
                .unwrap_or_else(|_| Event::default().comment("a warning that could not be written")),
            Err(RecvError::Lagged(missed)) => Event::default().event("lagged").data(missed.to_string()),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), rx))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
}
