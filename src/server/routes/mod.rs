//! Handlers, one module per resource. Each parses and checks its input (API times, body shapes), calls the
//! use case in [`crate::app`] on a blocking thread, and answers with the JSON document the CLI prints.

pub mod accounts;
pub mod cases;
pub mod finbench;
pub mod ingest;
pub mod rings;
pub mod statements;
pub mod stops;
pub mod system;
pub mod trace;
pub mod warnings;

use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::auth::Principal;
use super::ApiError;
use crate::app::{RequestKey, Written, MAX_IDEMPOTENCY_KEY_LEN};
use crate::timefmt::parse_ts;

pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// The optional `Idempotency-Key` header of the registry writes (stops, cases).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct Idempotency {
    /// 1–255 visible ASCII characters the client chooses for this write (a UUID, say). A repeat with the same
    /// key (after an answer that never came) writes nothing again and answers what the first request made,
    /// as it stands now, with `Idempotent-Replayed: true`. The same key for a different request: 422.
    #[param(rename = "Idempotency-Key", pattern = r"^[!-~]{1,255}$", max_length = 255)]
    #[allow(dead_code)] // Read from the header map; the field documents it.
    key: Option<String>,
}

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The request key of a registry write, from its `Idempotency-Key` header: scoped to the client (keys of
/// two clients never meet) and fingerprinted with the operation and the request as given, so a reused key
/// for another request is refused rather than answered wrongly.
pub fn request_key(
    headers: &HeaderMap,
    who: &Principal,
    operation: &str,
    request: &impl Serialize,
) -> Result<Option<RequestKey>, ApiError> {
    let Some(raw) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let key = raw
        .to_str()
        .ok()
        .filter(|k| (1..=MAX_IDEMPOTENCY_KEY_LEN).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
    let Some(key) = key else {
        return Err(ApiError::bad_request("Idempotency-Key", "give 1 to 255 visible ASCII characters"));
    };
    let body = serde_json::to_vec(request).map_err(ApiError::internal)?;
    Ok(Some(RequestKey::new(&who.name, key, operation, &body)))
}

/// The JSON answer of a write that may be a replay, marked `Idempotent-Replayed: true` when it is.
pub struct Replayable<T>(pub Written<T>);

impl<T: Serialize> IntoResponse for Replayable<T> {
    fn into_response(self) -> Response {
        let mut r = Json(self.0.value).into_response();
        if self.0.replayed {
            r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        r
    }
}

/// The body of a JSON request, or a 400 naming `body` (413 when too large).
pub fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(b)| b).map_err(|e| {
        let mut err = ApiError::bad_request("body", e.body_text());
        match e.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                err.status = e.status();
                err.code = "too_large";
                err.message = format!("the body is larger than {} bytes", super::MAX_JSON_BODY);
            }
            // No `Content-Type: application/json`: the media type is at fault, not the body's content.
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                err.status = e.status();
                err.code = "unsupported_media_type";
                err.message = "send JSON with Content-Type: application/json".into();
            }
            _ => {}
        }
        err
    })
}

/// API times are RFC 3339, or local date-times (server time zone) written the same way without an
/// offset. The bare numbers the CLI takes from bank exports (epoch seconds, `YYYYMMDDhhmmss`) are
/// refused here: in an API they are more likely a client's bug than a time.
pub fn api_time_text(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    match value {
        Some(v) if v.trim().bytes().all(|b| b.is_ascii_digit()) => Err(ApiError::bad_request(
            field,
            format!("{v:?}: give an RFC 3339 date-time, e.g. 2026-01-09T22:03:00+08:00"),
        )),
        _ => Ok(()),
    }
}

/// An API time, or `default` when absent.
pub fn time(tz: chrono_tz::Tz, field: &str, value: &Option<String>, default: i64) -> Result<i64, ApiError> {
    api_time_text(field, value.as_deref())?;
    match value {
        None => Ok(default),
        Some(v) => parse_ts(v, tz).map_err(|e| ApiError::bad_request(field, format!("{v:?}: {e}"))),
    }
}

/// An optional API time.
pub fn opt_time(tz: chrono_tz::Tz, field: &str, value: &Option<String>) -> Result<Option<i64>, ApiError> {
    value.as_ref().map(|_| time(tz, field, value, 0)).transpose()
}

/// Integers in JSON bodies may arrive written as `6.0` (JSON does not tell them apart); accept those.
pub fn integral_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let v: Option<f64> = Option::deserialize(d)?;
    v.map(|f| {
        if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) {
            Ok(f as u32)
        } else {
            Err(serde::de::Error::custom(format!("{f} is not a whole number")))
        }
    })
    .transpose()
}

/// A yuan amount of a query or body (at most two decimals), as fen.
pub fn yuan(field: &str, v: &str) -> Result<i64, ApiError> {
    crate::money::parse_yuan(v).map_err(|e| ApiError::bad_request(field, format!("{v:?}: {e}")))
}
