//! Statement uploads (调单 replies, one file with its name or several as multipart) and their check.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::{Extension, Json};
use serde::Deserialize;

use super::ApiResult;
use crate::app::statements::{
    check, import, propose_layout, ImportOptions, Layouts, Proposal, StatementCheck, StatementImportSummary,
};
use crate::ingest::RejectedRow;
use crate::server::auth::{Principal, Role};
use crate::server::extract::Q;
use crate::server::{blocking, commit, uncancellable, ApiError, AppState, Spooled};
use crate::timefmt::SECOND_MS;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatementUploadQuery {
    /// The file's name as the bank sent it (needed for a single-file body; multipart parts carry theirs).
    #[param(min_length = 1, max_length = 200)]
    name: Option<String>,
    // Its bounds and default are the policy's, set in openapi.rs.
    skew: Option<u32>,
    /// The statement's own account, for files that do not name it (a victim's bank-app export, a WeChat bill
    /// naming only a nickname).
    #[param(min_length = 1, max_length = 100, pattern = r"^[^\s\u0085]+$")]
    account: Option<String>,
}

/// What a statement upload answers: the import summary, with the rejected lines instead of a server path.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StatementUploadSummary {
    #[serde(flatten)]
    summary: StatementImportSummary,
    /// The first rejected lines (at most 100): line (row), field, value and why.
    rejects: Vec<RejectedRow>,
    rejects_truncated: bool,
}

/// The multipart form of a statement upload: one or more files, each part carrying its file name. For the
/// document only: the handler streams the parts to disk rather than deserialising them.
#[allow(dead_code)]
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementFiles {
    /// Statement files (CSV/TSV in UTF-8 or GB18030, .xlsx, .xls).
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// A file name safe to write under the spool directory and to show back: its last path component, without
/// control characters.
fn safe_name(raw: &str) -> Result<String, ApiError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    if clean.is_empty() || clean == "." || clean == ".." || clean.len() > 200 {
        return Err(ApiError::unprocessable("name", format!("{raw:?} is not a file name")));
    }
    Ok(clean)
}

/// Streams the upload's files to a directory of their own under the store; returns their paths.
async fn spool_files(
    s: &AppState,
    req: Request,
    name: Option<String>,
) -> Result<(crate::server::Spooled, Vec<std::path::PathBuf>), ApiError> {
    use tokio::io::AsyncWriteExt;
    let idle = s.config.request_timeout;
    // Each wait for the next part or piece of one is bounded like a plain upload's (see `next_data`).
    let stalled = || ApiError::stalled(idle);
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = Spooled(s.desk.path().join("incoming").join(format!("statements-{}-{n}", std::process::id())));
    tokio::fs::create_dir_all(&dir.0).await.map_err(ApiError::storing)?;
    let is_multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let mut paths = Vec::new();
    if is_multipart {
        let mut mp =
            Multipart::from_request(req, &()).await.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
        while let Some(mut field) = tokio::time::timeout(idle, mp.next_field())
            .await
            .map_err(|_| stalled())?
            .map_err(|e| ApiError::bad_request("body", e.body_text()))?
        {
            let Some(file_name) = field.file_name().map(str::to_string) else { continue };
            // Each part in a directory of its own, so two parts may share a name and each keeps it.
            let part_dir = dir.0.join(format!("{:03}", paths.len()));
            tokio::fs::create_dir_all(&part_dir).await.map_err(ApiError::storing)?;
            let path = part_dir.join(safe_name(&file_name)?);
            let mut file = tokio::fs::File::create(&path).await.map_err(ApiError::storing)?;
            while let Some(chunk) = tokio::time::timeout(idle, field.chunk())
                .await
                .map_err(|_| stalled())?
                .map_err(|e| ApiError::bad_request("body", e.body_text()))?
            {
                file.write_all(&chunk).await.map_err(ApiError::storing)?;
            }
            file.sync_all().await.map_err(ApiError::storing)?;
            paths.push(path);
        }
        if paths.is_empty() {
            return Err(ApiError::unprocessable("body", "the multipart body holds no file"));
        }
    } else {
        let name = name.ok_or_else(|| {
            ApiError::unprocessable("name", "give the file's name (?name=…), or send multipart/form-data")
        })?;
        let path = dir.0.join(safe_name(&name)?);
        let mut file = tokio::fs::File::create(&path).await.map_err(ApiError::storing)?;
        let mut body = req.into_body();
        while let Some(data) = super::ingest::next_data(&mut body, s.config.request_timeout).await? {
            file.write_all(&data).await.map_err(ApiError::storing)?;
        }
        file.sync_all().await.map_err(ApiError::storing)?;
        paths.push(path);
    }
    Ok((dir, paths))
}

#[utoipa::path(post, path = "/v1/ingest/statements", tag = "ingest", params(StatementUploadQuery), request_body(content((String = "application/octet-stream"), (String = "text/csv"), (StatementFiles = "multipart/form-data")), description = "A bank statement file (CSV/TSV in UTF-8 or GB18030, .xlsx, .xls) with ?name=, or several as multipart/form-data"), responses((status = 200, description = "Import summary: lines, transfers added, records merged, ambiguous matches, balance breaks (operator)", body = StatementUploadSummary), (status = 413, description = "Body too large", body = crate::server::openapi::ErrorBody)))]
pub async fn ingest_statements(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Q(q): Q<StatementUploadQuery>,
    req: Request,
) -> ApiResult<StatementUploadSummary> {
    who.require(Role::Operator)?;
    let skew_ms = q.skew.map_or(crate::policy::STATEMENT_SKEW_DEFAULT_MS, |s| i64::from(s) * SECOND_MS);
    if skew_ms > crate::policy::STATEMENT_SKEW_MAX_MS {
        return Err(ApiError::bad_request(
            "skew",
            format!("at most {} seconds", crate::policy::STATEMENT_SKEW_MAX_MS / SECOND_MS),
        ));
    }
    uncancellable();
    let (dir, paths) = spool_files(&s, req, q.name).await?;
    let opts = ImportOptions { tz: s.desk.tz(), skew_ms, account: q.account, ..ImportOptions::default() };
    let desk = s.desk.clone();
    let spool = dir.0.clone();
    let result = commit(move || {
        let summary = import(&desk, &paths, &opts)?;
        drop(dir);
        Ok(summary)
    })
    .await;
    result.map_err(|e| without_spool_path(e, &spool)).map(|mut summary| {
        summary.rejects_file = None;
        let rejects = std::mem::take(&mut summary.first_rejects);
        let rejects_truncated = (rejects.len() as u64) < summary.rejected();
        Json(StatementUploadSummary { summary, rejects, rejects_truncated })
    })
}

/// An error naming an uploaded file names it as the client sent it, not where the server spooled it.
fn without_spool_path(mut e: ApiError, spool: &std::path::Path) -> ApiError {
    let dir = spool.display().to_string();
    while let Some(at) = e.message.find(&dir) {
        // `<spool>/NNN/name` (multipart) or `<spool>/name`.
        let rest = &e.message[at + dir.len()..];
        let skip = rest.strip_prefix('/').map_or(0, |r| {
            1 + r.find('/').filter(|&i| i == 3 && r[..3].bytes().all(|b| b.is_ascii_digit())).map_or(0, |i| i + 1)
        });
        e.message.replace_range(at..at + dir.len() + skip, "");
    }
    e
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LayoutQuery {
    /// The file's name as the bank sent it (a single-file body; multipart parts carry theirs).
    #[param(min_length = 1, max_length = 200)]
    name: Option<String>,
}

#[utoipa::path(post, path = "/v1/statements/layout", tag = "ingest", params(LayoutQuery), request_body(content((String = "application/octet-stream"), (String = "text/csv"), (StatementFiles = "multipart/form-data")), description = "One statement file with ?name= (or the first part of a multipart body)"), responses((status = 200, description = "A layout proposed for the file: its header row, each column's guessed field (sure or unsure, why, sample values), what is still missing, how many sample rows it reads, and the layout file (`toml`) to correct and pass to `statements import --layout` (operator)", body = Proposal), (status = 413, description = "Body too large", body = crate::server::openapi::ErrorBody)))]
pub async fn statements_layout(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Q(q): Q<LayoutQuery>,
    req: Request,
) -> ApiResult<Proposal> {
    who.require(Role::Operator)?;
    let (dir, paths) = spool_files(&s, req, q.name).await?;
    let spool = dir.0.clone();
    let result = blocking(move || {
        let p = propose_layout(&paths[0], &Layouts::builtin())?;
        drop(dir);
        Ok(p)
    })
    .await;
    result.map_err(|e| without_spool_path(e, &spool)).map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    /// Only this account's statements.
    account: Option<String>,
}

#[utoipa::path(get, path = "/v1/statements/check", tag = "ingest", params(CheckQuery), responses((status = 200, description = "Per statement account: period, lines, opening and closing balance, breaks in balance continuity", body = StatementCheck), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn statements_check(State(s): State<AppState>, Q(q): Q<CheckQuery>) -> ApiResult<StatementCheck> {
    let desk = s.desk.clone();
    blocking(move || Ok(check(&desk, q.account.as_deref())?)).await.map(Json)
}
