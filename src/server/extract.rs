//! Query and path extractors whose rejections are the API's JSON errors, naming what was wrong
//! (axum's own answer plain-text 400s without the field).

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::ApiError;

/// Query parameters, like `axum::extract::Query`.
#[derive(Debug)]
pub struct Q<T>(pub T);

/// Path parameters, like `axum::extract::Path`.
#[derive(Debug)]
pub struct P<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(q)) => Ok(Q(q)),
            Err(e) => {
                let text = e.body_text();
                Err(ApiError::bad_request(&query_field(&text).unwrap_or("query".into()), text))
            }
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(p)) => Ok(P(p)),
            Err(e) => Err(ApiError::bad_request("path", e.body_text())),
        }
    }
}

/// The parameter a query-string error is about, when serde names it: `…: limit: invalid digit…`, or
/// `unknown field `hop`, expected …`.
fn query_field(text: &str) -> Option<String> {
    let rest = text.strip_prefix("Failed to deserialize query string: ")?;
    if let Some(unknown) = rest.strip_prefix("unknown field `") {
        return unknown.split('`').next().map(String::from);
    }
    let (name, _) = rest.split_once(": ")?;
    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_').then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::query_field;

    #[test]
    fn names_the_parameter_when_serde_does() {
        assert_eq!(
            query_field("Failed to deserialize query string: limit: invalid digit found in string").as_deref(),
            Some("limit")
        );
        assert_eq!(
            query_field("Failed to deserialize query string: unknown field `hop`, expected one of `rule`").as_deref(),
            Some("hop")
        );
        assert_eq!(query_field("Failed to deserialize query string: invalid digit found in string"), None);
    }
}
