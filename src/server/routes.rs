//! Handlers. Each parses and checks its input, does the work in `blocking`, and answers with the same
//! JSON documents the CLI prints.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use super::auth::{Principal, Role};
use super::extract::{P, Q};
use super::{blocking, ApiError, AppState, MAX_PAGE};
use crate::flowchart::{self, ChartTitle, Lang};
use crate::freeze::{propose_freezes, FreezeParams};
use crate::money::{parse_positive_yuan, parse_yuan};
use crate::query::{account_report, store_stats, AccountReport, StopList, StoreStats};
use crate::rings::{detect_rings, RingDetail, RingsAround, RingsReport};
use crate::timefmt::parse_ts;
use crate::trace::report::TraceReport;
use crate::trace::{resolve_seeds, trace_downstream, Rule, SeedSpec, TraceParams};

type ApiResult<T> = Result<Json<T>, ApiError>;

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(b)| b).map_err(|e| {
        let mut err = ApiError::bad_request("body", e.body_text());
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            err.status = e.status();
            err.code = "too_large";
            err.message = format!("the body is larger than {} bytes", super::MAX_JSON_BODY);
        }
        err
    })
}

/// API times are RFC 3339, or local date-times (server time zone) written the same way without an
/// offset. The bare numbers the CLI takes from bank exports (epoch seconds, `YYYYMMDDhhmmss`) are
/// refused here: in an API they are more likely a client's bug than a time.
fn api_time_text(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    match value {
        Some(v) if v.trim().bytes().all(|b| b.is_ascii_digit()) => Err(ApiError::bad_request(
            field,
            format!("{v:?}: give an RFC 3339 date-time, e.g. 2026-01-09T22:03:00+08:00"),
        )),
        _ => Ok(()),
    }
}

/// Integers in JSON bodies may arrive written as `6.0` (JSON does not tell them apart); accept those.
fn integral_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
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

fn time(tz: chrono_tz::Tz, field: &str, value: &Option<String>, default: i64) -> Result<i64, ApiError> {
    api_time_text(field, value.as_deref())?;
    match value {
        None => Ok(default),
        Some(v) => parse_ts(v, tz).map_err(|e| ApiError::bad_request(field, format!("{v:?}: {e}"))),
    }
}

/// Who the token belongs to, so a client can show the role and offer only what it may do.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct WhoAmI {
    name: String,
    /// analyst, operator or admin.
    role: String,
}

#[utoipa::path(get, path = "/v1/whoami", tag = "system", responses((status = 200, description = "The token's holder and role", body = WhoAmI)))]
pub async fn whoami(Extension(who): Extension<Principal>) -> Json<WhoAmI> {
    Json(WhoAmI { name: who.name, role: who.role.as_str().to_string() })
}

#[utoipa::path(get, path = "/v1/health", tag = "system", responses((status = 200, description = "Up; the API version", body = serde_json::Value)))]
pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint (see /v1/health for the API version)")
}

#[utoipa::path(get, path = "/v1/stats", tag = "system", responses((status = 200, description = "Store statistics", body = StoreStats)))]
pub async fn stats(State(s): State<AppState>) -> ApiResult<StoreStats> {
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || Ok(store_stats(&store.view()?, tz, store.size_on_disk())?)).await.map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    /// Transfers from this time (RFC 3339).
    #[param(format = DateTime)]
    from: Option<String>,
    /// Transfers until this time (RFC 3339).
    #[param(format = DateTime)]
    to: Option<String>,
    /// The page cursor: `next_cursor` of the previous page.
    after: Option<String>,
    /// Transfers per page (default 50).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/accounts/{account}", tag = "accounts", params(("account" = String, Path, description = "Account number"), AccountQuery), responses((status = 200, description = "Profile, features and transfers in the window, paged", body = AccountReport), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn account(
    State(s): State<AppState>,
    P(account): P<String>,
    Q(q): Q<AccountQuery>,
) -> ApiResult<AccountReport> {
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_request("limit", format!("limit must be 1..={MAX_PAGE}")));
    }
    let from = time(s.tz, "from", &q.from, i64::MIN)?;
    let to = time(s.tz, "to", &q.to, i64::MAX)?;
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || Ok(account_report(&store.view()?, &account, from, to, q.after.as_deref(), limit, tz)?))
        .await
        .map(Json)
}

/// The seeds and rule of a trace or freeze request.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"seed_txn_ids": ["T00012845"], "as_of": "2026-01-10T14:30:41+08:00", "rule": "fifo", "hops": 6}))]
pub struct TraceRequest {
    /// The victims' payments (transfer ids); or give `victims` with a window.
    #[serde(default)]
    seed_txn_ids: Vec<String>,
    /// Victim accounts whose outgoing payments in `from`..`to` are the seeds (needs both).
    #[serde(default)]
    victims: Vec<String>,
    #[schema(format = DateTime)]
    from: Option<String>,
    #[schema(format = DateTime)]
    to: Option<String>,
    /// Trace as the bank records stood at this time (default: now).
    #[schema(format = DateTime)]
    as_of: Option<String>,
    /// Levels to follow (default 6).
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default, deserialize_with = "integral_u32")]
    hops: Option<u32>,
    #[serde(default)]
    rule: Rule,
    /// Yuan: smaller traced amounts are not followed.
    #[schema(pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
    min_amount: Option<String>,
    /// Yuan: freeze does not propose accounts holding less. Accepted and ignored by trace, so one body
    /// serves both.
    #[schema(pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
    threshold: Option<String>,
}

/// The seeds of a trace or a case, as the API takes them: API times, and a window for victims (422
/// without one: well-formed, but nothing to trace); then the library's own checks.
fn seed_spec(
    txn_ids: &[String],
    victims: &[String],
    from: Option<&str>,
    to: Option<&str>,
    tz: chrono_tz::Tz,
) -> Result<SeedSpec, ApiError> {
    api_time_text("from", from)?;
    api_time_text("to", to)?;
    if !victims.is_empty() && (from.is_none() || to.is_none()) {
        return Err(ApiError::unprocessable("from", "victims need a window: from and to"));
    }
    SeedSpec::from_text(txn_ids, victims, from, to, tz).map_err(|e| ApiError::bad_request(e.field, e.message))
}

impl TraceRequest {
    fn parse(&self, tz: chrono_tz::Tz) -> Result<(SeedSpec, TraceParams), ApiError> {
        let bad = |e: crate::trace::OptionError| ApiError::bad_request(e.field, e.message);
        // Checked on every request that carries it, though only freeze uses it: a bad value is a client bug.
        if let Some(v) = &self.threshold {
            parse_yuan(v).map_err(|e| ApiError::bad_request("threshold", format!("{v:?}: {e}")))?;
        }
        api_time_text("as_of", self.as_of.as_deref())?;
        let spec = seed_spec(&self.seed_txn_ids, &self.victims, self.from.as_deref(), self.to.as_deref(), tz)?;
        let params =
            TraceParams::from_text(self.rule, self.hops, self.min_amount.as_deref(), self.as_of.as_deref(), tz)
                .map_err(bad)?;
        Ok((spec, params))
    }
}

/// How a trace is answered: the JSON document (default), or the money-flow diagram.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChartQuery {
    #[serde(default)]
    format: ChartFormat,
    /// Diagram labels: zh (default) or en.
    #[serde(default)]
    lang: Lang,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChartFormat {
    #[default]
    Json,
    /// The diagram as SVG (what the web view shows).
    Svg,
    /// A self-contained page for the case folder: diagram, totals, accounts.
    Html,
}

async fn trace_report(s: &AppState, req: TraceRequest) -> Result<TraceReport, ApiError> {
    let (spec, mut params) = req.parse(s.tz)?;
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || {
        let view = store.view()?;
        params.frozen = view.stopped_at(params.as_of_ms)?;
        let seeds = resolve_seeds(&view, &spec, params.as_of_ms)?;
        let t = trace_downstream(&view, &seeds, &params)?;
        Ok(TraceReport::build(&view, &t, tz)?)
    })
    .await
}

/// The trace in the format asked for; `subject` heads the diagram (a case id, or empty). Drawing is
/// layout and string work proportional to the trace, so it runs on a blocking thread like the trace.
async fn answer_trace(
    report: TraceReport,
    chart: ChartQuery,
    subject: String,
    tz: chrono_tz::Tz,
) -> Result<Response, ApiError> {
    use axum::http::header;
    let title = ChartTitle { subject, lang: chart.lang };
    match chart.format {
        ChartFormat::Json => Ok(Json(report).into_response()),
        ChartFormat::Svg => {
            let svg = blocking(move || Ok(flowchart::to_svg(&report, &title))).await?;
            Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg).into_response())
        }
        ChartFormat::Html => {
            let now = crate::timefmt::format_rfc3339(chrono::Utc::now().timestamp_millis(), tz);
            let page = blocking(move || Ok(flowchart::to_html(&report, &title, &now))).await?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    // The page has no script and needs nothing from anywhere.
                    (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"),
                ],
                page,
            )
                .into_response())
        }
    }
}

#[utoipa::path(post, path = "/v1/trace", tag = "trace", params(ChartQuery), request_body = TraceRequest, responses((status = 200, description = "The trace (JSON), or its diagram with format=svg|html", content((TraceReport = "application/json"), (String = "image/svg+xml"), (String = "text/html")))))]
pub async fn trace(
    State(s): State<AppState>,
    Q(chart): Q<ChartQuery>,
    body: Result<Json<TraceRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(body)?;
    let report = trace_report(&s, req).await?;
    answer_trace(report, chart, String::new(), s.tz).await
}

#[utoipa::path(post, path = "/v1/freeze", tag = "freezes", request_body = TraceRequest, responses((status = 200, description = "Extended-freeze proposals", body = crate::freeze::FreezeReport)))]
pub async fn freeze(
    State(s): State<AppState>,
    body: Result<Json<TraceRequest>, JsonRejection>,
) -> ApiResult<crate::freeze::FreezeReport> {
    let req = json_body(body)?;
    let (spec, mut params) = req.parse(s.tz)?;
    let threshold_fen = match &req.threshold {
        None => FreezeParams::default().threshold_fen,
        Some(v) => parse_yuan(v).map_err(|e| ApiError::bad_request("threshold", format!("{v:?}: {e}")))?,
    };
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || {
        let view = store.view()?;
        params.frozen = view.stopped_at(params.as_of_ms)?;
        let seeds = resolve_seeds(&view, &spec, params.as_of_ms)?;
        let t = trace_downstream(&view, &seeds, &params)?;
        let report = TraceReport::build_summary(&view, &t, tz)?;
        let stops = view.all_stops()?;
        Ok(propose_freezes(&view, &t, &report, &stops, &FreezeParams { threshold_fen, ..Default::default() }, tz)?)
    })
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StopsQuery {
    /// Only stops active at this time.
    #[param(format = DateTime)]
    active_at: Option<String>,
    /// Only active stops expiring within this many hours.
    #[param(minimum = 0, maximum = 8760)]
    expiring_within_hours: Option<u32>,
}

#[utoipa::path(get, path = "/v1/stops", tag = "freezes", params(StopsQuery), responses((status = 200, description = "Stops placed", body = StopList)))]
pub async fn list_stops(State(s): State<AppState>, Q(q): Q<StopsQuery>) -> ApiResult<StopList> {
    if q.expiring_within_hours.is_some_and(|h| h > 8760) {
        return Err(ApiError::bad_request("expiring_within_hours", "at most 8760 (a year)"));
    }
    let active_at = match &q.active_at {
        Some(_) => Some(time(s.tz, "active_at", &q.active_at, 0)?),
        None => None,
    };
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || {
        let view = store.view()?;
        let now = chrono::Utc::now().timestamp_millis();
        let mut stops = view.all_stops()?;
        if let Some(t) = active_at {
            stops.retain(|x| x.active_at(t));
        }
        if let Some(h) = q.expiring_within_hours {
            stops.retain(|x| x.active_at(now) && x.expires_at_ms - now <= i64::from(h) * 3_600_000);
        }
        Ok(StopList::build(&view, stops, tz)?)
    })
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account": "6222025163499492982", "amount": "96102.44", "placed_at": "2026-01-10T15:00:00+08:00", "case_id": "CASE-00009", "basis_txn": "T00012845"}))]
pub struct PlaceStop {
    #[schema(min_length = 1)]
    account: String,
    /// Yuan, more than zero.
    #[schema(
        pattern = r"^(?:0*[1-9][0-9]{0,12}(?:\.[0-9]{1,2})?|0*\.(?:0[1-9]|[1-9][0-9]?)|0+\.(?:0[1-9]|[1-9][0-9]?))$"
    )]
    amount: String,
    /// Default: now.
    #[schema(format = DateTime)]
    placed_at: Option<String>,
    #[serde(default)]
    case_id: String,
    #[serde(default)]
    basis_txn: String,
    #[serde(default)]
    note: String,
}

#[utoipa::path(post, path = "/v1/stops", tag = "freezes", request_body = PlaceStop, responses((status = 200, description = "The stop recorded (operator)", body = StopList), (status = 409, description = "The account is already stopped", body = crate::server::openapi::ErrorBody)))]
pub async fn place_stop(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    body: Result<Json<PlaceStop>, JsonRejection>,
) -> ApiResult<StopList> {
    who.require(Role::Operator)?;
    let b = json_body(body)?;
    let amount_fen =
        parse_positive_yuan(&b.amount).map_err(|e| ApiError::bad_request("amount", format!("{:?}: {e}", b.amount)))?;
    let placed_at_ms = time(s.tz, "placed_at", &b.placed_at, chrono::Utc::now().timestamp_millis())?;
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || {
        let rec = store.place_stop(&crate::store::NewStop {
            account: b.account,
            amount_fen,
            placed_at_ms,
            case_id: b.case_id,
            placed_by: who.name,
            basis_txn: b.basis_txn,
            note: b.note,
        })?;
        Ok(StopList::build(&store.view()?, vec![rec], tz)?)
    })
    .await
    .map(Json)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct At {
    /// Default: now.
    #[schema(format = DateTime)]
    at: Option<String>,
}

/// The optional body of renew and release: nothing, `null`, or `{"at": …}`.
fn optional_at(body: &[u8]) -> Result<Option<At>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<Option<At>>(body)
        .map_err(|e| ApiError::bad_request("body", format!("not a JSON object with `at`: {e}")))
}

async fn change_stop(s: AppState, who: Principal, id: u64, body: Option<At>, renew: bool) -> ApiResult<StopList> {
    who.require(Role::Operator)?;
    let at = time(s.tz, "at", &body.unwrap_or_default().at, chrono::Utc::now().timestamp_millis())?;
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || {
        let rec = if renew { store.renew_stop(id, at)? } else { store.release_stop(id, at)? };
        Ok(StopList::build(&store.view()?, vec![rec], tz)?)
    })
    .await
    .map(Json)
}

#[utoipa::path(post, path = "/v1/stops/{id}/renew", tag = "freezes", params(("id" = u64, Path, description = "Stop id")), request_body = Option<At>, responses((status = 200, description = "The stop renewed (at most twice; operator)", body = StopList), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody), (status = 409, description = "Not renewable", body = crate::server::openapi::ErrorBody)))]
pub async fn renew_stop(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    P(id): P<u64>,
    body: axum::body::Bytes,
) -> ApiResult<StopList> {
    change_stop(s, who, id, optional_at(&body)?, true).await
}

#[utoipa::path(post, path = "/v1/stops/{id}/release", tag = "freezes", params(("id" = u64, Path, description = "Stop id")), request_body = Option<At>, responses((status = 200, description = "The stop released (operator)", body = StopList), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody), (status = 409, description = "Already released", body = crate::server::openapi::ErrorBody)))]
pub async fn release_stop(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    P(id): P<u64>,
    body: axum::body::Bytes,
) -> ApiResult<StopList> {
    change_stop(s, who, id, optional_at(&body)?, false).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RingsQuery {
    /// Only rings scoring at least this (0-100).
    #[param(minimum = 0, maximum = 100)]
    min_score: Option<f64>,
    /// At most this many rings, best first (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/rings", tag = "rings", params(RingsQuery), responses((status = 200, description = "Mule-card rings, ranked", body = RingsReport)))]
pub async fn rings(State(s): State<AppState>, Q(q): Q<RingsQuery>) -> ApiResult<RingsReport> {
    let limit = q.limit.unwrap_or(100);
    if q.min_score.is_some_and(|m| !(0.0..=100.0).contains(&m)) {
        return Err(ApiError::bad_request("min_score", "min_score must be 0..=100"));
    }
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_request("limit", format!("limit must be 1..={MAX_PAGE}")));
    }
    let store = s.store.clone();
    let cache = s.rings.clone();
    let tz = s.tz;
    blocking(move || {
        let (_, mut report) = cache.ranked(&store.view()?, tz, q.min_score.unwrap_or(0.0))?;
        report.rings.truncate(limit);
        Ok(report)
    })
    .await
    .map(Json)
}

#[utoipa::path(get, path = "/v1/rings/{ring_id}", tag = "rings", params(("ring_id" = String, Path, description = "Ring id from the ranked list, e.g. R0001")), responses((status = 200, description = "One ring: members, roles, shared attributes and the flows among its members", body = RingDetail), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn ring(State(s): State<AppState>, P(ring_id): P<String>) -> ApiResult<RingDetail> {
    let store = s.store.clone();
    let cache = s.rings.clone();
    let tz = s.tz;
    blocking(move || {
        let view = store.view()?;
        let (detected, report) = cache.ranked(&view, tz, 0.0)?;
        let i = report
            .rings
            .iter()
            .position(|r| r.ring_id == ring_id)
            .ok_or_else(|| ApiError::not_found(format!("no ring '{ring_id}' (ids are ranks: R0001 …)")))?;
        let flows = crate::rings::ring_flows(&view, &detected.0[i])?;
        Ok(RingDetail { ring: report.rings.into_iter().nth(i).expect("position found it"), flows })
    })
    .await
    .map(Json)
}

#[utoipa::path(get, path = "/v1/rings/around/{account}", tag = "rings", params(("account" = String, Path, description = "Account number")), responses((status = 200, description = "The rings an account belongs to, with the flows among their members: from the ranked list (ids R…) when it is a member of one, else found anchored on it (ids A…, not in the list)", body = RingsAround), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn rings_around(State(s): State<AppState>, P(account): P<String>) -> ApiResult<RingsAround> {
    let store = s.store.clone();
    let cache = s.rings.clone();
    let tz = s.tz;
    blocking(move || {
        let view = store.view()?;
        let id =
            view.account_id(&account)?.ok_or_else(|| ApiError::not_found(format!("unknown account '{account}'")))?;
        let with_flows = |entries: Vec<crate::rings::RingEntry>, rings: Vec<&crate::rings::Ring>| {
            entries
                .into_iter()
                .zip(rings)
                .map(|(ring, r)| Ok(RingDetail { ring, flows: crate::rings::ring_flows(&view, r)? }))
                .collect::<Result<Vec<_>, ApiError>>()
        };
        // A member of a ranked ring: answer from the cached detection, with the list's ring ids.
        let (detected, report) = cache.ranked(&view, tz, 0.0)?;
        let (entries, rings): (Vec<_>, Vec<_>) = report
            .rings
            .into_iter()
            .zip(detected.0.iter())
            .filter(|(_, r)| r.members.iter().any(|m| m.id == id))
            .unzip();
        if !entries.is_empty() {
            return Ok(RingsAround { rings: with_flows(entries, rings)? });
        }
        // Otherwise look again with the account as a known mule: its weak signals may still tie it to
        // others. Whole-graph work, so only on this path.
        let (mut rings, _, table) = detect_rings(&view, &Default::default(), &[id], tz)?;
        rings.retain(|r| r.members.iter().any(|m| m.id == id));
        let mut report = RingsReport::build(&view, &rings, &table, 0.0)?;
        for r in &mut report.rings {
            r.ring_id.replace_range(0..1, "A");
        }
        Ok(RingsAround { rings: with_flows(report.rings, rings.iter().collect())? })
    })
    .await
    .map(Json)
}

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

/// Turns NDJSON lines (one JSON object per line) into CSV rows with the given columns. A line that is not
/// a JSON object becomes a row carrying its reason in `_reject_reason`, so it is rejected, not lost.
struct NdjsonToCsv {
    columns: &'static [&'static str],
    pending: Vec<u8>,
    line: u64,
    header_written: bool,
}

impl NdjsonToCsv {
    fn new(columns: &'static [&'static str]) -> NdjsonToCsv {
        NdjsonToCsv { columns, pending: Vec::new(), line: 0, header_written: false }
    }

    fn row(&mut self, out: &mut csv::Writer<Vec<u8>>, line: &[u8]) {
        self.line += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let cells: Vec<String> = match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(obj) => self
                .columns
                .iter()
                .map(|c| match obj.get(*c) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .chain([String::new()])
                .collect(),
            Err(e) => {
                let mut v = vec![String::new(); self.columns.len()];
                v.push(format!("NDJSON line {}: not a JSON object: {e}", self.line));
                v
            }
        };
        let _ = out.write_record(&cells);
    }

    fn writer(&mut self) -> csv::Writer<Vec<u8>> {
        let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        if !self.header_written {
            let _ = out.write_record(self.columns.iter().copied().chain([crate::ingest::row::REJECT_REASON_COLUMN]));
            self.header_written = true;
        }
        out
    }

    /// Converts the complete lines `data` brings; returns the CSV bytes ready.
    fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = self.writer();
        self.pending.extend_from_slice(data);
        while let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=pos).collect();
            self.row(&mut out, &line);
        }
        out.into_inner().unwrap_or_default()
    }

    fn finish(&mut self) -> Vec<u8> {
        let mut out = self.writer();
        let rest = std::mem::take(&mut self.pending);
        self.row(&mut out, &rest);
        out.into_inner().unwrap_or_default()
    }
}

const TRANSFER_COLUMNS: &[&str] = &[
    "txn_id", "ts", "src", "dst", "amount", "channel", "currency", "src_name", "dst_name", "src_bank", "dst_bank",
    "memo",
];
const ACCOUNT_COLUMNS: &[&str] =
    &["account_id", "holder_id", "holder_name", "phone", "device_id", "bank", "branch", "opened_at", "kind"];

/// Streams a request body to a file under the store, never holding it in memory; NDJSON is converted
/// to CSV on the way.
async fn spool(
    store_path: &std::path::Path,
    body: axum::body::Body,
    ndjson: Option<&'static [&'static str]>,
) -> Result<std::path::PathBuf, ApiError> {
    use http_body_util::BodyExt;
    use tokio::io::AsyncWriteExt;
    let dir = store_path.join("incoming");
    tokio::fs::create_dir_all(&dir).await.map_err(ApiError::internal)?;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("upload-{}-{n}.csv", std::process::id()));
    let mut file = tokio::fs::File::create(&path).await.map_err(ApiError::internal)?;
    let mut body = body;
    let mut convert = ndjson.map(NdjsonToCsv::new);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request("body", format!("the upload broke off: {e}")))?;
        if let Ok(data) = frame.into_data() {
            match convert.as_mut() {
                Some(c) => file.write_all(&c.feed(&data)).await,
                None => file.write_all(&data).await,
            }
            .map_err(ApiError::internal)?;
        }
    }
    if let Some(c) = convert.as_mut() {
        file.write_all(&c.finish()).await.map_err(ApiError::internal)?;
    }
    file.sync_all().await.map_err(ApiError::internal)?;
    Ok(path)
}

/// What an upload answers: the CLI's ingest summary, with the rejected rows instead of a server path.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UploadSummary {
    #[serde(flatten)]
    summary: crate::ingest::IngestSummary,
    /// The first rejected rows (at most 100), each with the line of the upload, the field at fault, its
    /// value and why.
    rejects: Vec<crate::ingest::RejectedRow>,
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
    accounts: bool,
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
    let ndjson = ndjson.then_some(if accounts { ACCOUNT_COLUMNS } else { TRANSFER_COLUMNS });
    let path = spool(s.store.path(), body, ndjson).await?;
    let store = s.store.clone();
    let rings = s.rings.clone();
    let tz = s.tz;
    let result = blocking({
        let path = path.clone();
        move || {
            let opts = crate::ingest::IngestOptions { delimiter, tz, mapping, ..Default::default() };
            let (t, a) = if accounts { (vec![], vec![path]) } else { (vec![path], vec![]) };
            let first_new_seq = store.view()?.watermark().next_seq;
            let prepared = crate::ingest::prepare(&t, &a, &opts).map_err(ingest_error)?;
            let mut summary = prepared.run(&store, &|_| {}).map_err(ingest_error)?;
            if accounts {
                rings.invalidate();
            }
            if !accounts {
                // The transfers are committed: a failure here must not turn the upload into an error.
                summary.warnings_raised = match warn_on_arrival(&store, &rings, first_new_seq, tz) {
                    Ok(n) => Some(n),
                    Err(e) => {
                        tracing::error!(error = %e.message, "warnings on upload failed; a scan will find them");
                        None
                    }
                };
            }
            Ok(summary)
        }
    })
    .await;
    let _ = tokio::fs::remove_file(&path).await;
    result.map(|mut summary| {
        // The rejects file is on the server, under the store: clients get the rejected rows themselves
        // (the first ones), never a server path.
        summary.rejects_file = None;
        let rejects = std::mem::take(&mut summary.first_rejects);
        let rejects_truncated = (rejects.len() as u64) < summary.rejected();
        Json(UploadSummary { summary, rejects, rejects_truncated })
    })
}

/// What the uploader can fix (columns, format) is a 400 naming it; the rest is internal.
/// Warnings for the transfers an upload just added (sequence numbers from `first_new_seq`): victims still
/// paying are found as their payments arrive, not at the next scan. Watches stopped accounts and the cards
/// of the last ring detection (not recomputed here: that is whole-graph work; ring ids are stable).
/// Payments earlier than the upload still count towards a payer's repetition and total.
fn warn_on_arrival(
    store: &crate::store::TransferStore,
    rings: &super::RingsCache,
    first_new_seq: u64,
    tz: chrono_tz::Tz,
) -> Result<u64, ApiError> {
    let view = store.view()?;
    let now = chrono::Utc::now().timestamp_millis();
    // The server detects rings at start; if that has not finished, this upload waits for it once.
    let detected = match rings.last() {
        Some(r) => r,
        None => rings.get(&view, tz)?,
    };
    let watched = crate::warnings::watched_accounts(view.stopped_at(now)?, &detected.0);
    let mut found = crate::warnings::scan(&view, &watched, i64::MIN, i64::MAX, now)?;
    found.retain(|w| w.seq >= first_new_seq);
    Ok(store.add_warnings(&found)? as u64)
}

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

#[utoipa::path(post, path = "/v1/ingest/transfers", tag = "ingest", params(IngestQuery), request_body(content((String = "text/csv"), (String = "application/x-ndjson")), description = "Transfers, CSV with a header or one JSON object per line"), responses((status = 200, description = "Ingest summary: added, duplicates, rejected (operator)", body = UploadSummary), (status = 413, description = "Body too large", body = crate::server::openapi::ErrorBody), (status = 415, description = "Not CSV or NDJSON", body = crate::server::openapi::ErrorBody)))]
pub async fn ingest_transfers(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Q(q): Q<IngestQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<UploadSummary> {
    ingest_body(s, who, q, headers, body, false).await
}

#[utoipa::path(post, path = "/v1/ingest/accounts", tag = "ingest", params(IngestQuery), request_body(content((String = "text/csv"), (String = "application/x-ndjson")), description = "Accounts, CSV with a header or one JSON object per line"), responses((status = 200, description = "Ingest summary (operator)", body = UploadSummary), (status = 413, description = "Body too large", body = crate::server::openapi::ErrorBody), (status = 415, description = "Not CSV or NDJSON", body = crate::server::openapi::ErrorBody)))]
pub async fn ingest_accounts(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Q(q): Q<IngestQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<UploadSummary> {
    ingest_body(s, who, q, headers, body, true).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"case_id": "CASE-2026-0042", "seed_txn_ids": ["T00012845"], "report_time": "2026-01-10T14:30:41+08:00", "note": "冒充公检法"}))]
pub struct NewCase {
    #[schema(min_length = 1)]
    case_id: String,
    #[serde(default)]
    seed_txn_ids: Vec<String>,
    #[serde(default)]
    victims: Vec<String>,
    #[schema(format = DateTime)]
    from: Option<String>,
    #[schema(format = DateTime)]
    to: Option<String>,
    /// When the victim reported: the default as-of of the case's trace.
    #[schema(format = DateTime)]
    report_time: Option<String>,
    #[serde(default)]
    note: String,
}

/// A registered case, for people and case systems.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CaseEntry {
    case_id: String,
    seed_txn_ids: Vec<String>,
    victims: Vec<String>,
    from: Option<String>,
    to: Option<String>,
    report_time: Option<String>,
    created_at: String,
    created_by: String,
    note: String,
}

fn case_entry(c: crate::keys::CaseRecord, tz: chrono_tz::Tz) -> CaseEntry {
    let t = |ms: Option<i64>| ms.map(|ms| crate::timefmt::format_rfc3339(ms, tz));
    CaseEntry {
        case_id: c.case_id,
        seed_txn_ids: c.seed_txn_ids,
        victims: c.victims,
        from: t(c.from_ms),
        to: t(c.to_ms),
        report_time: t(c.report_time_ms),
        created_at: crate::timefmt::format_rfc3339(c.created_at_ms, tz),
        created_by: c.created_by,
        note: c.note,
    }
}

#[utoipa::path(post, path = "/v1/cases", tag = "cases", request_body = NewCase, responses((status = 200, description = "The case registered (operator)", body = CaseEntry), (status = 409, description = "A case with this id exists", body = crate::server::openapi::ErrorBody)))]
pub async fn create_case(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    body: Result<Json<NewCase>, JsonRejection>,
) -> ApiResult<CaseEntry> {
    who.require(Role::Operator)?;
    let b = json_body(body)?;
    if b.case_id.trim().is_empty() {
        return Err(ApiError::bad_request("case_id", "a case needs an id"));
    }
    let spec = seed_spec(&b.seed_txn_ids, &b.victims, b.from.as_deref(), b.to.as_deref(), s.tz)?;
    let record = crate::keys::CaseRecord {
        case_id: b.case_id.trim().to_string(),
        from_ms: b.from.is_some().then_some(spec.from_ms),
        to_ms: b.to.is_some().then_some(spec.to_ms),
        report_time_ms: b.report_time.as_ref().map(|_| time(s.tz, "report_time", &b.report_time, 0)).transpose()?,
        seed_txn_ids: b.seed_txn_ids,
        victims: b.victims,
        created_at_ms: chrono::Utc::now().timestamp_millis(),
        created_by: who.name,
        note: b.note,
    };
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || {
        // The seeds must resolve now: a case that cannot be traced is better refused than stored.
        resolve_seeds(&store.view()?, &spec, record.report_time_ms.unwrap_or(i64::MAX))?;
        store.put_case(&record)?;
        Ok(case_entry(record, tz))
    })
    .await
    .map(Json)
}

#[utoipa::path(get, path = "/v1/cases", tag = "cases", responses((status = 200, description = "Registered cases", body = Vec<CaseEntry>)))]
pub async fn list_cases(State(s): State<AppState>) -> ApiResult<Vec<CaseEntry>> {
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || Ok(store.view()?.all_cases()?.into_iter().map(|c| case_entry(c, tz)).collect())).await.map(Json)
}

async fn load_case(s: &AppState, id: String) -> Result<crate::keys::CaseRecord, ApiError> {
    let store = s.store.clone();
    blocking(move || store.view()?.case(&id)?.ok_or_else(|| ApiError::not_found(format!("no case '{id}'")))).await
}

#[utoipa::path(get, path = "/v1/cases/{id}", tag = "cases", params(("id" = String, Path, description = "Case id")), responses((status = 200, description = "One case", body = CaseEntry), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn get_case(State(s): State<AppState>, P(id): P<String>) -> ApiResult<CaseEntry> {
    let tz = s.tz;
    load_case(&s, id).await.map(|c| Json(case_entry(c, tz)))
}

/// Declares a query struct with the rule options every case query takes (rule, hops, min_amount) and the
/// given extra fields. A macro, not `#[serde(flatten)]`: flattening defeats `deny_unknown_fields` (a
/// misspelt parameter must be refused) and utoipa's `IntoParams` does not flatten.
macro_rules! case_query {
    ($(#[$meta:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            rule: Option<Rule>,
            /// Levels to follow (default 6).
            #[param(minimum = 1, maximum = 20)]
            hops: Option<u32>,
            /// Yuan: smaller traced amounts are not followed.
            #[param(pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
            min_amount: Option<String>,
            $($extra)*
        }
    };
}

case_query! {
    /// Rule options of a case's freeze proposals.
    RuleQuery {
        /// Default: the case's report time.
        #[param(format = DateTime)]
        as_of: Option<String>,
        /// Yuan: accounts holding less are not proposed.
        #[param(pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
        threshold: Option<String>,
    }
}

case_query! {
    /// Rule options of a case's links. There is no as-of: every case is traced as of its own report time.
    LinksQuery {}
}

case_query! {
    /// Query of a case's trace: its rule options and how to answer.
    CaseTraceQuery {
        /// Default: the case's report time.
        #[param(format = DateTime)]
        as_of: Option<String>,
        /// Yuan: used by freeze; accepted and ignored here, so one query serves trace and freeze.
        #[param(pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
        threshold: Option<String>,
        #[serde(default)]
        format: ChartFormat,
        /// Diagram labels: zh (default) or en.
        #[serde(default)]
        lang: Lang,
    }
}

fn case_request(c: &crate::keys::CaseRecord, q: RuleQuery, tz: chrono_tz::Tz) -> TraceRequest {
    let t = |ms: Option<i64>| ms.map(|ms| crate::timefmt::format_rfc3339(ms, tz));
    TraceRequest {
        seed_txn_ids: c.seed_txn_ids.clone(),
        victims: c.victims.clone(),
        from: t(c.from_ms),
        to: t(c.to_ms),
        as_of: q.as_of.or_else(|| t(c.report_time_ms)),
        hops: q.hops,
        rule: q.rule.unwrap_or_default(),
        min_amount: q.min_amount,
        threshold: q.threshold,
    }
}

#[utoipa::path(get, path = "/v1/cases/{id}/trace", tag = "cases", params(("id" = String, Path, description = "Case id"), CaseTraceQuery), responses((status = 200, description = "The case's trace (as of its report time unless told), or its diagram with format=svg|html", content((TraceReport = "application/json"), (String = "image/svg+xml"), (String = "text/html"))), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn case_trace(
    State(s): State<AppState>,
    P(id): P<String>,
    Q(q): Q<CaseTraceQuery>,
) -> Result<Response, ApiError> {
    let c = load_case(&s, id).await?;
    let chart = ChartQuery { format: q.format, lang: q.lang };
    let rule =
        RuleQuery { rule: q.rule, hops: q.hops, as_of: q.as_of, min_amount: q.min_amount, threshold: q.threshold };
    let report = trace_report(&s, case_request(&c, rule, s.tz)).await?;
    answer_trace(report, chart, c.case_id, s.tz).await
}

#[utoipa::path(get, path = "/v1/cases/{id}/freeze", tag = "cases", params(("id" = String, Path, description = "Case id"), RuleQuery), responses((status = 200, description = "The case's extended-freeze proposals", body = crate::freeze::FreezeReport), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn case_freeze(
    State(s): State<AppState>,
    P(id): P<String>,
    Q(q): Q<RuleQuery>,
) -> ApiResult<crate::freeze::FreezeReport> {
    let c = load_case(&s, id).await?;
    let tz = s.tz;
    freeze(State(s), Ok(Json(case_request(&c, q, tz)))).await
}

#[utoipa::path(get, path = "/v1/cases/{id}/links", tag = "cases", params(("id" = String, Path, description = "Case id"), LinksQuery), responses((status = 200, description = "Cases sharing accounts with this one (串并)", body = crate::cases::LinkReport), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn case_links(
    State(s): State<AppState>,
    P(id): P<String>,
    Q(q): Q<LinksQuery>,
) -> ApiResult<crate::cases::LinkReport> {
    let this = load_case(&s, id.clone()).await?;
    let (_, params) = case_request(
        &this,
        RuleQuery { rule: q.rule, hops: q.hops, min_amount: q.min_amount, ..Default::default() },
        s.tz,
    )
    .parse(s.tz)?;
    let store = s.store.clone();
    blocking(move || {
        let view = store.view()?;
        let specs: Vec<crate::cases::CaseSpec> = view
            .all_cases()?
            .into_iter()
            .filter(|c| c.victims.is_empty())
            .map(|c| crate::cases::CaseSpec {
                case_id: c.case_id,
                seed_txn_ids: c.seed_txn_ids,
                as_of_ms: c.report_time_ms,
            })
            .collect();
        let mut report = crate::cases::link_cases(&view, &specs, &params).map_err(ApiError::internal)?;
        report.links.retain(|l| l.case_a == id || l.case_b == id);
        report.groups.retain(|g| g.contains(&id));
        Ok(report)
    })
    .await
    .map(Json)
}

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

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScanResult {
    watched_accounts: usize,
    new_warnings: usize,
    warnings: Vec<crate::warnings::WarningEntry>,
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
    let now = chrono::Utc::now().timestamp_millis();
    let since = time(s.tz, "since", &Some(b.since), 0)?;
    let until = time(s.tz, "until", &b.until, now)?;
    let store = s.store.clone();
    let cache = s.rings.clone();
    let tz = s.tz;
    blocking(move || {
        let view = store.view()?;
        let cached = cache.get(&view, tz)?;
        let watched = crate::warnings::watched_accounts(view.stopped_at(until)?, &cached.0);
        let found = crate::warnings::scan(&view, &watched, since, until, now)?;
        let new_warnings = store.add_warnings(&found)?;
        let warnings = found.iter().map(|w| crate::warnings::entry(&view, w, now, tz)).collect::<Result<_, _>>()?;
        Ok(ScanResult { watched_accounts: watched.len(), new_warnings, warnings })
    })
    .await
    .map(Json)
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

#[utoipa::path(get, path = "/v1/warnings", tag = "warnings", params(WarningsQuery), responses((status = 200, description = "Warnings with grade, deadline and escalation", body = Vec<crate::warnings::WarningEntry>)))]
pub async fn list_warnings(
    State(s): State<AppState>,
    Q(q): Q<WarningsQuery>,
) -> ApiResult<Vec<crate::warnings::WarningEntry>> {
    let at = time(s.tz, "at", &q.at, chrono::Utc::now().timestamp_millis())?;
    let open_only = match q.status.as_deref() {
        None | Some("open") => true,
        Some("all") => false,
        Some(other) => return Err(ApiError::bad_request("status", format!("{other:?}: use open or all"))),
    };
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || {
        let view = store.view()?;
        let mut ws = view.all_warnings()?;
        if open_only {
            ws.retain(|w| w.acked_at_ms.is_none());
        }
        ws.sort_by_key(crate::warnings::urgency_key);
        Ok(ws.iter().map(|w| crate::warnings::entry(&view, w, at, tz)).collect::<Result<_, _>>()?)
    })
    .await
    .map(Json)
}

#[utoipa::path(post, path = "/v1/warnings/{id}/ack", tag = "warnings", params(("id" = u64, Path, description = "Warning id")), responses((status = 200, description = "The warning acknowledged (operator)", body = crate::warnings::WarningEntry), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn ack_warning(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    P(id): P<u64>,
) -> ApiResult<crate::warnings::WarningEntry> {
    // Acknowledging is an action (someone has taken the warning in hand), not a read.
    who.require(Role::Operator)?;
    let store = s.store.clone();
    let tz = s.tz;
    blocking(move || {
        let now = chrono::Utc::now().timestamp_millis();
        let w = store.ack_warning(id, &who.name, now)?;
        Ok(crate::warnings::entry(&store.view()?, &w, now, tz)?)
    })
    .await
    .map(Json)
}
