//! The web view's files (`viz/`), served under `/viz/` beside the API. They are compiled into the binary so
//! a server on a closed network needs nothing else; `serve --viz DIR` serves a directory instead, for
//! working on the page without rebuilding.

use std::path::PathBuf;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{ApiError, AppState};

/// The page's files, by name, with their media type. The page may load only these.
const FILES: &[(&str, &str, &[u8])] = &[
    ("index.html", "text/html; charset=utf-8", include_bytes!("../../viz/index.html")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../../viz/app.js")),
    ("i18n.js", "text/javascript; charset=utf-8", include_bytes!("../../viz/i18n.js")),
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../viz/app.css")),
];

/// Where the web view's files come from.
#[derive(Debug, Clone, Default)]
pub enum VizSource {
    /// The copies compiled into the binary.
    #[default]
    Embedded,
    /// A directory holding the same file names (development).
    Dir(PathBuf),
}

/// Everything from the same origin, nothing inline, nothing fetched from elsewhere: the page works on a
/// closed network and an injected account name cannot run script.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub async fn root() -> Redirect {
    Redirect::to("/viz/")
}

pub async fn index(state: State<AppState>) -> Response {
    file(state, Path("index.html".to_string())).await
}

pub async fn file(State(s): State<AppState>, Path(name): Path<String>) -> Response {
    let Some(&(name, mime, embedded)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return ApiError::not_found(format!("the web view has no file '{name}'")).into_response();
    };
    let body = match &*s.viz {
        VizSource::Embedded => embedded.to_vec(),
        VizSource::Dir(dir) => match tokio::fs::read(dir.join(name)).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(file = %dir.join(name).display(), error = %e, "web view file unreadable");
                return ApiError::not_found(format!("the web view has no file '{name}'")).into_response();
            }
        },
    };
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}
