//! API errors: a status, a stable code, a message for people, and the field at fault. Internals (store
//! errors, paths) are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn bad_request(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// Well-formed input that cannot be acted on: a seed that does not exist, a seed after the as-of
    /// time, victims without a window, an upload without the required columns. Kept apart from 400
    /// (malformed input) so a client can tell "fix the request's shape" from "fix what it asks for".
    pub fn unprocessable(field: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "unprocessable",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: message.into(), field: None }
    }

    /// A file error while receiving an upload: 507 when the disk (or the file-size limit) is full — the
    /// upload was not stored, the store is as it was — else an internal error.
    pub fn storing(e: std::io::Error) -> ApiError {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::StorageFull | K::FileTooLarge | K::QuotaExceeded => ApiError {
                status: StatusCode::INSUFFICIENT_STORAGE,
                code: "insufficient_storage",
                message: "the server is out of disk space: the upload was not stored and nothing was ingested".into(),
                field: Some("body".into()),
            },
            _ => ApiError::internal(e),
        }
    }

    /// The request ran past the server's time limit and was dropped before it changed anything.
    pub fn timeout() -> ApiError {
        ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            code: "timeout",
            message: "the request took longer than the server's time limit".into(),
            field: None,
        }
    }

    /// An upload from which no data came for `idle`: refused with nothing stored.
    pub fn stalled(idle: std::time::Duration) -> ApiError {
        ApiError {
            message: format!("the upload stalled: no data for {} s", idle.as_secs()),
            field: Some("body".into()),
            ..ApiError::timeout()
        }
    }

    /// The audit line of a request could not be written: the request is refused, not served unrecorded.
    pub fn audit_unavailable() -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "audit_unavailable",
            message: "the audit log cannot be written: requests are refused until it can".into(),
            field: None,
        }
    }

    /// Too many failed authentications from this source (see `auth::MAX_FAILURES`).
    pub fn too_many_attempts(window_secs: u64) -> ApiError {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_attempts",
            message: format!("too many failed authentications from this address: try again within {window_secs} s"),
            field: None,
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "a valid bearer token is required (Authorization: Bearer …)".into(),
            field: None,
        }
    }

    pub fn forbidden(needed: &str) -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: format!("this needs the {needed} role"),
            field: None,
        }
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::CONFLICT, code: "conflict", message: message.into(), field: None }
    }

    /// An internal failure: logged in full, answered without detail.
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "internal error");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error; see the server log".into(),
            field: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body { error: Inner { code: self.code, message: &self.message, field: self.field.as_deref() } };
        (self.status, Json(body)).into_response()
    }
}

impl From<crate::app::AppError> for ApiError {
    fn from(e: crate::app::AppError) -> ApiError {
        use crate::app::AppError as A;
        match e {
            A::BadInput { field, message } => ApiError::bad_request(&field, message),
            A::Unprocessable { field, message } => ApiError::unprocessable(&field, message),
            A::NotFound(m) => ApiError::not_found(m),
            A::Conflict(m) => ApiError::conflict(m),
            A::Ingest(e) => ingest_error(e),
            // The server holds its store; another writer would be a deployment error, not the client's.
            e @ A::InUse { .. } => ApiError::internal(e),
            A::Internal(e) => ApiError::internal(e),
        }
    }
}

/// What the uploader can fix (columns, format, an unreadable row structure) is a 422 naming the body; the
/// rest is internal.
fn ingest_error(e: crate::ingest::IngestError) -> ApiError {
    use crate::ingest::IngestError as I;
    match e {
        I::MissingColumns { missing, found, .. } => ApiError::unprocessable(
            "body",
            format!("missing required column(s) {}; the upload has: {}", missing.join(", "), found.join(", ")),
        ),
        I::NoHeader { .. } => ApiError::unprocessable("body", "no header row"),
        I::UnknownFormat { detail, .. } => ApiError::unprocessable("body", format!("not CSV: {detail}")),
        I::Csv { line, source, .. } => {
            ApiError::unprocessable("body", format!("line {line}: unreadable CSV: {source}"))
        }
        other => ApiError::internal(other),
    }
}
