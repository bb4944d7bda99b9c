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

impl From<crate::trace::TraceError> for ApiError {
    fn from(e: crate::trace::TraceError) -> ApiError {
        use crate::trace::TraceError as T;
        match e {
            T::UnknownSeed(id) => ApiError::unprocessable("seed_txn_ids", format!("unknown seed transfer '{id}'")),
            T::UnknownAccount(a) => ApiError::unprocessable("victims", format!("unknown account '{a}'")),
            T::SeedAfterAsOf(id) => ApiError::unprocessable("as_of", format!("seed transfer '{id}' is after as_of")),
            T::NoSeeds(m) => ApiError::unprocessable("seed_txn_ids", m),
            T::BadParams(m) => ApiError::bad_request("hops", m),
            T::Graph(g) => ApiError::internal(g),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        use crate::store::StoreError as S;
        match e {
            S::UnknownAccount(a) => ApiError::unprocessable("account", format!("unknown account '{a}'")),
            S::NoSuchStop(id) => ApiError::not_found(format!("no stop #{id}")),
            S::NoSuchWarning(id) => ApiError::not_found(format!("no warning #{id}")),
            S::StopRule(m) => ApiError::conflict(m),
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::graph::GraphError> for ApiError {
    fn from(e: crate::graph::GraphError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<crate::query::QueryError> for ApiError {
    fn from(e: crate::query::QueryError) -> ApiError {
        use crate::query::QueryError as Q;
        match e {
            Q::UnknownAccount(a) => ApiError::not_found(format!("unknown account '{a}'")),
            Q::BadCursor(c) => {
                ApiError::unprocessable("after", format!("'{c}' is not a page cursor this server gave out"))
            }
            Q::Store(s) => s.into(),
            Q::Graph(g) => g.into(),
        }
    }
}
