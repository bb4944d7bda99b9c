//! Traces and freeze proposals for payments given in the request.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{api_time_text, integral_u32, json_body, yuan, ApiResult};
use crate::app::trace::{
    freeze as freeze_case, trace as trace_case, upstream as upstream_trace, PathsQuery, TraceQuery, UpstreamQuery,
};
use crate::flowchart::{self, ChartTitle, Lang};
use crate::freeze::{FreezeParams, FreezeReport};
use crate::server::extract::Q;
use crate::server::{blocking, blocking_timed, timed_json, ApiError, AppState, RequestId, Timing};
use crate::trace::report::TraceReport;
use crate::trace::upstream::UpstreamReport;
use crate::trace::{Rule, SeedSpec, TraceParams};

/// The seeds and rule of a trace or freeze request.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"seed_txn_ids": ["T00012845"], "as_of": "2026-01-10T14:30:41+08:00", "rule": "fifo", "hops": 6}))]
pub struct TraceRequest {
    /// The victims' payments (transfer ids); or give `victims` with a window. At most 5,000.
    #[serde(default)]
    #[schema(max_items = 5000)]
    pub seed_txn_ids: Vec<String>,
    /// Victim accounts whose outgoing payments in `from`..`to` are the seeds (needs both). At most 1,000,
    /// and their payments in the window at most 5,000 (422 beyond).
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub victims: Vec<String>,
    #[schema(format = DateTime)]
    pub from: Option<String>,
    #[schema(format = DateTime)]
    pub to: Option<String>,
    /// Trace as the bank records stood at this time (default: now).
    #[schema(format = DateTime)]
    pub as_of: Option<String>,
    /// Levels to follow (default 6).
    #[schema(minimum = 1, maximum = 20)]
    #[serde(default, deserialize_with = "integral_u32")]
    pub hops: Option<u32>,
    #[serde(default)]
    pub rule: Rule,
    /// Yuan: smaller traced amounts are not followed.
    #[schema(pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
    pub min_amount: Option<String>,
    /// Yuan: freeze does not propose accounts holding less. Accepted and ignored by trace, so one body
    /// serves both.
    #[schema(pattern = r"^[0-9]{1,13}(\.[0-9]{1,2})?$")]
    pub threshold: Option<String>,
    /// Freeze lists accounts with at least this many distinct counterparties as hubs, not proposals
    /// (default 100). Accepted and ignored by trace.
    #[schema(minimum = 1, maximum = 1000000)]
    #[serde(default, deserialize_with = "integral_u32")]
    pub hub_counterparties: Option<u32>,
    /// Freeze: `protective` (default: the largest of fifo, lifo and proportional, capped by the balance) or
    /// `rule` (the rule alone). Accepted and ignored by trace.
    pub reading: Option<crate::freeze::Reading>,
    /// Trace only: trace this card's inflows in `from`..`to` back to their origins (victims with their
    /// cases, likely unreported payers, salary, platforms, cash) instead of following seeds downstream.
    #[schema(pattern = r"^[^\s\u0085]+$")]
    pub upstream: Option<String>,
    /// With `upstream`: go back through senders that pass money on (`behaviour`, default) or all of them.
    pub follow: Option<Follow>,
}

/// Which senders an upstream trace goes back through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Follow {
    Behaviour,
    All,
}

/// A trace: downstream from seeds, or upstream from a card.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum TraceAnswer {
    Downstream(TraceReport),
    Upstream(UpstreamReport),
}

/// The seeds of a trace or a case, as the API takes them: API times, and a window for victims (422
/// without one: well-formed, but nothing to trace); then the library's own checks.
pub fn seed_spec(
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
    /// The upstream question, when `upstream` is given (no seeds then; times in the API's form).
    fn upstream_query(&self, tz: chrono_tz::Tz) -> Result<Option<UpstreamQuery>, ApiError> {
        let Some(account) = &self.upstream else {
            if self.follow.is_some() {
                return Err(ApiError::unprocessable("follow", "only with upstream"));
            }
            return Ok(None);
        };
        if !self.seed_txn_ids.is_empty() || !self.victims.is_empty() {
            return Err(ApiError::unprocessable("upstream", "give upstream, or seeds / victims, not both"));
        }
        self.freeze_params()?;
        if self.min_amount.is_some() {
            return Err(ApiError::unprocessable("min_amount", "not used by an upstream trace"));
        }
        for (field, v) in [("from", &self.from), ("to", &self.to), ("as_of", &self.as_of)] {
            api_time_text(field, v.as_deref())?;
        }
        let follow_all = self.follow == Some(Follow::All);
        let (from, to, as_of) = (self.from.as_deref(), self.to.as_deref(), self.as_of.as_deref());
        UpstreamQuery::from_text(account, from, to, as_of, self.hops, self.rule, follow_all, tz)
            .map(Some)
            .map_err(|e| ApiError::bad_request(e.field, e.message))
    }

    fn query(&self, tz: chrono_tz::Tz) -> Result<TraceQuery, ApiError> {
        if self.upstream.is_some() || self.follow.is_some() {
            return Err(ApiError::unprocessable("upstream", "only POST /v1/trace traces upstream"));
        }
        // Checked on every request that carries them, though only freeze uses them: a bad value is a client bug.
        self.freeze_params()?;
        api_time_text("as_of", self.as_of.as_deref())?;
        let seeds = seed_spec(&self.seed_txn_ids, &self.victims, self.from.as_deref(), self.to.as_deref(), tz)?;
        let params =
            TraceParams::from_text(self.rule, self.hops, self.min_amount.as_deref(), self.as_of.as_deref(), tz)
                .map_err(|e| ApiError::bad_request(e.field, e.message))?;
        Ok(TraceQuery { seeds, params })
    }

    fn freeze_params(&self) -> Result<FreezeParams, ApiError> {
        freeze_params(self.threshold.as_deref(), self.hub_counterparties, self.reading)
    }
}

/// Freeze options of a request: threshold in yuan and the hub cut, defaults from `policy`.
pub fn freeze_params(
    threshold: Option<&str>,
    hub_counterparties: Option<u32>,
    reading: Option<crate::freeze::Reading>,
) -> Result<FreezeParams, ApiError> {
    let mut fp = FreezeParams { reading: reading.unwrap_or_default(), ..FreezeParams::default() };
    if let Some(v) = threshold {
        fp.threshold_fen = yuan("threshold", v)?;
    }
    if let Some(n) = hub_counterparties {
        fp.hub_counterparties = n as usize;
    }
    crate::app::trace::check_freeze_params(&fp)?;
    Ok(fp)
}

/// How a trace is answered: the JSON document (default), or the money-flow diagram.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChartQuery {
    #[serde(default)]
    pub format: ChartFormat,
    /// Diagram labels: zh (default) or en.
    #[serde(default)]
    pub lang: Lang,
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

/// Runs a trace query on a blocking thread.
pub async fn trace_report(s: &AppState, q: TraceQuery) -> Result<(TraceReport, Timing), ApiError> {
    let desk = s.desk.clone();
    blocking_timed(move || Ok(trace_case(&desk, &q)?)).await
}

/// Runs a freeze query on a blocking thread.
pub async fn freeze_report(s: &AppState, q: TraceQuery, fp: FreezeParams) -> Result<(FreezeReport, Timing), ApiError> {
    let desk = s.desk.clone();
    blocking_timed(move || Ok(freeze_case(&desk, &q, &fp)?)).await
}

/// The trace in the format asked for; `subject` heads the diagram (a case id, or empty). Drawing is
/// layout and string work proportional to the trace, so it runs on a blocking thread like the trace.
pub async fn answer_trace(
    (report, timing): (TraceReport, Timing),
    rid: &RequestId,
    chart: ChartQuery,
    subject: String,
    (now_ms, tz): (i64, chrono_tz::Tz),
) -> Result<Response, ApiError> {
    use axum::http::header;
    let title = ChartTitle { subject, lang: chart.lang };
    match chart.format {
        ChartFormat::Json => Ok(timed_json(&TraceAnswer::Downstream(report), timing, rid)),
        ChartFormat::Svg => {
            let svg = blocking(move || Ok(flowchart::to_svg(&report, &title))).await?;
            Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg).into_response())
        }
        ChartFormat::Html => {
            let now = crate::timefmt::format_rfc3339(now_ms, tz);
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

#[utoipa::path(post, path = "/v1/trace", tag = "trace", params(ChartQuery), request_body = TraceRequest, responses((status = 200, description = "The trace (JSON), or its diagram with format=svg|html; with `upstream`, where the card's money came from (JSON only)", content((TraceAnswer = "application/json"), (String = "image/svg+xml"), (String = "text/html")))))]
pub async fn trace(
    State(s): State<AppState>,
    Extension(rid): Extension<RequestId>,
    Q(chart): Q<ChartQuery>,
    body: Result<Json<TraceRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(body)?;
    let desk = s.desk.clone();
    let tz = desk.tz();
    if let Some(uq) = req.upstream_query(tz)? {
        if chart.format != ChartFormat::Json {
            return Err(ApiError::unprocessable("format", "an upstream trace is answered in JSON"));
        }
        let (report, timing) = blocking_timed(move || Ok(upstream_trace(&desk, &uq)?)).await?;
        return Ok(timed_json(&TraceAnswer::Upstream(report), timing, &rid));
    }
    let q = req.query(tz)?;
    answer_trace(trace_report(&s, q).await?, &rid, chart, String::new(), (desk.now_ms(), tz)).await
}

#[utoipa::path(post, path = "/v1/freeze", tag = "freezes", request_body = TraceRequest, responses((status = 200, description = "Extended-freeze proposals", body = FreezeReport)))]
pub async fn freeze(
    State(s): State<AppState>,
    Extension(rid): Extension<RequestId>,
    body: Result<Json<TraceRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(body)?;
    let q = req.query(s.desk.tz())?;
    let fp = req.freeze_params()?;
    let (report, timing) = freeze_report(&s, q, fp).await?;
    Ok(timed_json(&report, timing, &rid))
}

/// Between which accounts to look for paths.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "6217006885020294882", "to": "6217008275268041948", "max_hops": 6}))]
pub struct PathsRequest {
    #[schema(pattern = r"^[^\s\u0085]+$")]
    pub from: String,
    #[schema(pattern = r"^[^\s\u0085]+$")]
    pub to: String,
    /// Only transfers at or after this time (default: all).
    #[schema(format = DateTime)]
    pub start: Option<String>,
    /// Only transfers at or before this time (default: all).
    #[schema(format = DateTime)]
    pub end: Option<String>,
    /// At most this many transfers per path (default 6).
    #[schema(minimum = 1, maximum = 10)]
    #[serde(default, deserialize_with = "integral_u32")]
    pub max_hops: Option<u32>,
    /// At most this many paths listed, shortest first (default 100).
    #[schema(minimum = 1, maximum = 10000)]
    #[serde(default, deserialize_with = "integral_u32")]
    pub limit: Option<u32>,
}

#[utoipa::path(post, path = "/v1/paths", tag = "trace", request_body = PathsRequest, responses((status = 200, description = "Time-respecting paths from one account to another: the fewest-hop, the earliest-arriving, and all up to max_hops (shortest first)", body = crate::trace::paths::PathsReport), (status = 422, description = "An account is unknown", body = crate::server::openapi::ErrorBody)))]
pub async fn paths(
    State(s): State<AppState>,
    body: Result<Json<PathsRequest>, JsonRejection>,
) -> ApiResult<crate::trace::paths::PathsReport> {
    let req = json_body(body)?;
    let tz = s.desk.tz();
    api_time_text("start", req.start.as_deref())?;
    api_time_text("end", req.end.as_deref())?;
    let limit = req.limit.map(|l| l as usize);
    let q =
        PathsQuery::from_text(&req.from, &req.to, req.start.as_deref(), req.end.as_deref(), req.max_hops, limit, tz)
            .map_err(|e| ApiError::bad_request(e.field, e.message))?;
    let desk = s.desk.clone();
    blocking(move || Ok(crate::app::trace::paths(&desk, &q)?)).await.map(Json)
}
