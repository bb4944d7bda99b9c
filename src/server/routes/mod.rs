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
use axum::Json;
use serde::Deserialize;

use super::ApiError;
use crate::timefmt::parse_ts;

pub type ApiResult<T> = Result<Json<T>, ApiError>;

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
