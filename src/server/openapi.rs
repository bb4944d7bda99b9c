//! The OpenAPI 3 document served at `/openapi.json`, derived from the handlers' `#[utoipa::path]`
//! attributes and the very types they serialise, so the document cannot drift from what the server
//! answers. `make test` checks the running server against it with schemathesis.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use super::routes;
use std::sync::Arc;

/// Every error the API answers: a stable code, a message for people, and the field at fault when there is one.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: bad_request, unauthorized, forbidden, not_found, conflict, too_large, timeout…
    pub code: String,
    /// For people; never internals.
    pub message: String,
    /// The request field at fault (a body field, a query parameter, `body` or `query`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// In the OpenAPI document (here, not in money.rs, which the fuzz target compiles on its own): a yuan string with exactly two decimals (exact fen, never a float).
impl utoipa::PartialSchema for crate::money::Fen {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?[0-9]+\.[0-9]{2}$"))
            .description(Some("Yuan with exactly two decimals, as a string, so no amount is ever rounded."))
            .examples([serde_json::json!("12345.67")])
            .into()
    }
}

impl utoipa::ToSchema for crate::money::Fen {}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "moneytrail",
        description = "Money-flow tracing for telecom and online fraud investigations: traces, extended-freeze \
                       proposals (延伸止付), stops, cases (串并), mule-card rings (断卡) and warnings (资金预警). \
                       Money is always a yuan string with two decimals; times are RFC 3339 (or local time in the \
                       server's time zone on input).",
        license(name = "Apache-2.0")
    ),
    // Paths come from the router (server::api_routes registers each handler with its documentation).
    components(schemas(ErrorBody, ErrorDetail, routes::trace::ChartFormat, crate::flowchart::Lang)),
    tags(
        (name = "trace", description = "Where the money went, hop by hop"),
        (name = "freezes", description = "Extended-freeze proposals and the stops placed"),
        (name = "cases", description = "Registered cases and their traces, freezes and links"),
        (name = "rings", description = "Mule-card rings for 断卡 teams"),
        (name = "accounts", description = "One account's profile, features and statement"),
        (name = "warnings", description = "Potential victims still paying into known mule accounts"),
        (name = "ingest", description = "Transfers and accounts pushed in as they arrive"),
        (name = "finbench", description = "The LDBC FinBench transfer reads over a loaded FinBench snapshot"),
        (name = "system", description = "Health and statistics"),
    )
)]
pub struct ApiDoc;

/// The document of the routed paths, completed with what every operation shares.
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    CommonResponses.modify(&mut doc);
    doc
}

/// What every operation may answer besides its own responses: the auth, validation, timeout and
/// internal errors added by the server's layers. Listed once here rather than on every handler.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from the server's config file; its role (analyst, operator, admin) decides what it may do."))
                    .build(),
            ),
        );
        let error = |description: &str| -> RefOr<Response> {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody"))))
                        .build(),
                )
                .into()
        };
        for (path, item) in api.paths.paths.iter_mut() {
            let public = path == "/v1/health";
            if path.starts_with("/v1/ingest/") {
                set_mapping_pattern(item.post.as_mut());
            }
            if path == "/v1/ingest/statements" {
                set_skew_bounds(item.post.as_mut());
            }
            for op in
                [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch].into_iter().flatten()
            {
                let r = &mut op.responses.responses;
                let mut add = |code: &str, what: &str| {
                    r.entry(code.to_string()).or_insert_with(|| error(what));
                };
                if !public {
                    add("422", "Well-formed, but not something the server can act on (an unknown seed, a seed after as_of, an upload without the required columns); the error names the field");
                    add("400", "Bad input: the error names the field or parameter at fault");
                    add("401", "No valid bearer token");
                    add("403", "The token's role may not do this");
                    add("429", "Too many failed authentications from this address in the last minute");
                    add("413", "The body is too large");
                    add("415", "The body is not of a media type this endpoint takes");
                    op.security =
                        Some(vec![utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new())]);
                }
                add("408", "The request took longer than the server's limit");
                if path.starts_with("/v1/ingest/") {
                    add("507", "The server is out of disk space: the upload was not stored, nothing was ingested");
                }
                if !public {
                    add("503", "The audit log cannot be written: the request is refused, not served unrecorded");
                }
                add("500", "An internal error (logged on the server, never detailed here)");
            }
        }
    }
}

/// `GET /openapi.json`: public, like the API's shape in its documentation; built once with the router.
pub async fn serve(doc: Arc<str>) -> axum::response::Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, "application/json")], doc.to_string()).into_response()
}

/// The `map` parameter of uploads names ingest fields; its pattern is built from the ingest module's own
/// field lists so the document can never name a field the parser does not know.
fn set_mapping_pattern(op: Option<&mut utoipa::openapi::path::Operation>) {
    use crate::ingest::row::{AccountField, TransferField};
    let names: Vec<&str> =
        TransferField::ALL.iter().map(|f| f.name()).chain(AccountField::ALL.iter().map(|f| f.name())).collect();
    let field = format!("({})", names.join("|"));
    let pattern = format!("^{field}=[^,=]+(,{field}=[^,=]+)*$");
    for p in op.and_then(|op| op.parameters.as_mut()).into_iter().flatten() {
        if p.name == "map" {
            if let Some(RefOr::T(utoipa::openapi::schema::Schema::Object(o))) = p.schema.as_mut() {
                o.pattern = Some(pattern.clone());
            }
        }
    }
}

/// The `skew` parameter of statement uploads: its bounds are the policy's, so the document and the check
/// cannot differ.
fn set_skew_bounds(op: Option<&mut utoipa::openapi::path::Operation>) {
    for p in op.and_then(|op| op.parameters.as_mut()).into_iter().flatten() {
        if p.name == "skew" {
            if let Some(RefOr::T(utoipa::openapi::schema::Schema::Object(o))) = p.schema.as_mut() {
                o.minimum = Some(0.into());
                o.maximum = Some((crate::policy::STATEMENT_SKEW_MAX_MS / crate::timefmt::SECOND_MS).into());
                o.description = Some(format!(
                    "Seconds two banks' clocks may differ for the two records of one transfer (default {}).",
                    crate::policy::STATEMENT_SKEW_DEFAULT_MS / crate::timefmt::SECOND_MS
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// The document is made from the router's own registrations, so this checks the registrations: every
    /// API path the server answers is in it, with the method the handler takes. A route added with a
    /// bare `.route()` instead of `routes!` is caught by the tidy test (tests/tidy.rs).
    #[test]
    fn the_document_lists_every_routed_operation() {
        let doc = super::super::openapi_document();
        let mut ops: Vec<String> = Vec::new();
        for (path, item) in &doc.paths.paths {
            for (m, op) in [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("DELETE", &item.delete)] {
                if op.is_some() {
                    ops.push(format!("{m} {path}"));
                }
            }
        }
        ops.sort();
        let expected = [
            "GET /v1/accounts/{account}",
            "GET /v1/cases",
            "GET /v1/cases/{id}",
            "GET /v1/cases/{id}/freeze",
            "GET /v1/cases/{id}/links",
            "GET /v1/cases/{id}/trace",
            "GET /v1/health",
            "GET /v1/links",
            "GET /v1/rings",
            "GET /v1/rings/around/{account}",
            "GET /v1/rings/{ring_id}",
            "GET /v1/statements/check",
            "GET /v1/stats",
            "GET /v1/stops",
            "GET /v1/warnings",
            "GET /v1/warnings/stream",
            "GET /v1/whoami",
            "POST /v1/admin/backup",
            "POST /v1/cases",
            "POST /v1/finbench/{query}",
            "POST /v1/freeze",
            "POST /v1/ingest/accounts",
            "POST /v1/ingest/statements",
            "POST /v1/ingest/transfers",
            "POST /v1/paths",
            "POST /v1/rings/confirmed",
            "POST /v1/statements/layout",
            "POST /v1/stops",
            "POST /v1/stops/{id}/release",
            "POST /v1/stops/{id}/renew",
            "POST /v1/trace",
            "POST /v1/warnings/scan",
            "POST /v1/warnings/{id}/ack",
        ];
        assert_eq!(ops, expected);
        // Every operation but health needs the bearer token, and each carries the shared error answers.
        for (path, item) in &doc.paths.paths {
            for op in [&item.get, &item.post].into_iter().flatten() {
                assert_eq!(op.security.is_some(), path != "/v1/health", "{path}");
                assert!(op.responses.responses.contains_key("500"), "{path}");
            }
        }
    }
}
