//! Uploads of transfers and accounts: streamed to a spool file under the store, then the same ingest as the
//! command line (checks, dedupe, rejects, all-or-nothing commit), then warnings for the new transfers.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;

use super::ApiResult;
use crate::app::ingest::{upload, UploadKind};
use crate::ingest::ndjson::{NdjsonToCsv, ACCOUNT_COLUMNS, TRANSFER_COLUMNS};
use crate::ingest::{IngestOptions, IngestSummary, RejectedRow};
use crate::server::auth::{Principal, Role};
use crate::server::extract::Q;
use crate::server::{commit, uncancellable, ApiError, AppState, Spooled};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IngestQuery {
    /// CSV delimiter, one character (default ","; `tab` for tabs).
    #[param(pattern = r"^([!-~]|tab)$")]
    delimiter: Option<String>,
    /// Column mapping, `field=column` pairs separated by commas, for uploads whose header names differ.
    // Its pattern (the known field names) is set in openapi.rs from the ingest module's own lists.
    map: Option<String>,
}

/// Streams a request body to a file under the store, never holding it in memory; NDJSON is converted
/// to CSV on the way.
async fn spool(
    store_path: &std::path::Path,
    body: axum::body::Body,
    ndjson: Option<&'static [&'static str]>,
    idle_limit: std::time::Duration,
) -> Result<Spooled, ApiError> {
    use tokio::io::AsyncWriteExt;
    let dir = store_path.join("incoming");
    tokio::fs::create_dir_all(&dir).await.map_err(ApiError::storing)?;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let spooled = Spooled(dir.join(format!("upload-{}-{n}.csv", std::process::id())));
    let mut file = tokio::fs::File::create(&spooled.0).await.map_err(ApiError::storing)?;
    let mut body = body;
    let mut convert = ndjson.map(NdjsonToCsv::new);
    while let Some(data) = next_data(&mut body, idle_limit).await? {
        match convert.as_mut() {
            Some(c) => file.write_all(&c.feed(&data)).await,
            None => file.write_all(&data).await,
        }
        .map_err(ApiError::storing)?;
    }
    if let Some(c) = convert.as_mut() {
        file.write_all(&c.finish()).await.map_err(ApiError::storing)?;
    }
    file.sync_all().await.map_err(ApiError::storing)?;
    Ok(spooled)
}

/// The next bytes of an upload, or 408 when none come for `idle_limit`: an upload may take as long as it
/// needs (8 GiB do not arrive in a minute), but not stall and hold the connection and its file.
pub(crate) async fn next_data(
    body: &mut axum::body::Body,
    idle_limit: std::time::Duration,
) -> Result<Option<axum::body::Bytes>, ApiError> {
    use http_body_util::BodyExt;
    loop {
        let frame = tokio::time::timeout(idle_limit, body.frame()).await.map_err(|_| ApiError::stalled(idle_limit))?;
        match frame {
            None => return Ok(None),
            Some(Err(e)) => return Err(ApiError::bad_request("body", format!("the upload broke off: {e}"))),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    return Ok(Some(data));
                }
            }
        }
    }
}

/// What an upload answers: the CLI's ingest summary, with the rejected rows instead of a server path.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UploadSummary {
    #[serde(flatten)]
    summary: IngestSummary,
    /// The first rejected rows (at most 100), each with the line of the upload, the field at fault, its
    /// value and why.
    rejects: Vec<RejectedRow>,
    /// True when more rows were rejected than listed (`transfer_rows_rejected`, `account_rows_rejected`
    /// count them all; the server keeps them all in its rejects directory).
    rejects_truncated: bool,
}

async fn ingest_body(
    s: AppState,
    who: Principal,
    q: IngestQuery,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
    kind: UploadKind,
) -> ApiResult<UploadSummary> {
    who.require(Role::Operator)?;
    let delimiter = match q.delimiter.as_deref() {
        None => b',',
        Some("\\t" | "tab") => b'\t',
        Some(d) if d.len() == 1 && d.as_bytes()[0].is_ascii_graphic() => d.as_bytes()[0],
        Some(d) => {
            return Err(ApiError::bad_request(
                "delimiter",
                format!("{d:?} is not one printable ASCII character (or tab)"),
            ))
        }
    };
    let mapping =
        crate::ingest::ColumnMapping::parse_pairs(q.map.as_deref()).map_err(|e| ApiError::bad_request("map", e))?;
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let ndjson = match media.as_str() {
        "" | "text/csv" | "application/csv" | "text/plain" | "application/octet-stream" => false,
        "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/x-jsonlines" => true,
        // Anything else (a form post, JSON, an image) is a client mistake; guessing CSV would ingest junk.
        other => {
            return Err(ApiError {
                status: axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_media_type",
                message: format!("{other:?}: send text/csv (CSV with a header) or application/x-ndjson"),
                field: Some("body".into()),
            })
        }
    };
    let columns = match kind {
        UploadKind::Transfers => TRANSFER_COLUMNS,
        UploadKind::Accounts => ACCOUNT_COLUMNS,
    };
    // From here the request is not cut by the time limit: the body arrives at its own pace (a stall is
    // 408, with nothing done), then the ingest commits and is answered.
    uncancellable();
    let spooled = spool(s.desk.path(), body, ndjson.then_some(columns), s.config.request_timeout).await?;
    let desk = s.desk.clone();
    let opts = IngestOptions { delimiter, tz: desk.tz(), mapping, ..Default::default() };
    let result = commit(move || {
        let summary = upload(&desk, kind, spooled.0.clone(), &opts)?;
        drop(spooled);
        Ok(summary)
    })
    .await;
    result.map(|mut summary| {
        // The rejects file is on the server, under the store: clients get the rejected rows themselves
        // (the first ones), never a server path.
        summary.rejects_file = None;
        let rejects = std::mem::take(&mut summary.first_rejects);
        let rejects_truncated = (rejects.len() as u64) < summary.rejected();
        Json(UploadSummary { summary, rejects, rejects_truncated })
    })
}

#[utoipa::path(post, path = "/v1/ingest/transfers", tag = "ingest", params(IngestQuery), request_body(content((String = "text/csv"), (String = "application/x-ndjson")), description = "Transfers, CSV with a header or one JSON object per line"), responses((status = 200, description = "Ingest summary: added, duplicates, rejected (operator)", body = UploadSummary), (status = 413, description = "Body too large", body = crate::server::openapi::ErrorBody), (status = 415, description = "Not CSV or NDJSON", body = crate::server::openapi::ErrorBody)))]
pub async fn ingest_transfers(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Q(q): Q<IngestQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<UploadSummary> {
    ingest_body(s, who, q, headers, body, UploadKind::Transfers).await
}

#[utoipa::path(post, path = "/v1/ingest/accounts", tag = "ingest", params(IngestQuery), request_body(content((String = "text/csv"), (String = "application/x-ndjson")), description = "Accounts, CSV with a header or one JSON object per line"), responses((status = 200, description = "Ingest summary (operator)", body = UploadSummary), (status = 413, description = "Body too large", body = crate::server::openapi::ErrorBody), (status = 415, description = "Not CSV or NDJSON", body = crate::server::openapi::ErrorBody)))]
pub async fn ingest_accounts(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Q(q): Q<IngestQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<UploadSummary> {
    ingest_body(s, who, q, headers, body, UploadKind::Accounts).await
}
