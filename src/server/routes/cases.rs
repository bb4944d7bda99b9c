//! Registered cases: register, list, read; their trace, freeze proposals and links (串并) by id.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::trace::{answer_trace, freeze_params, freeze_report, seed_spec, trace_report, ChartFormat, ChartQuery};
use super::{api_time_text, json_body, opt_time, request_key, yuan, ApiResult, Idempotency, Replayable};
use crate::app::cases::{self as uc, CaseEntry, CaseRuleOptions};
use crate::app::trace::TraceQuery;
use crate::flowchart::Lang;
use crate::freeze::FreezeReport;
use crate::link::LinkReport;
use crate::model::CaseRecord;
use crate::server::auth::{Principal, Role};
use crate::server::extract::{P, Q};
use crate::server::{blocking, commit, ApiError, AppState};
use crate::trace::Rule;

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"case_id": "CASE-2026-0042", "seed_txn_ids": ["T00012845"], "report_time": "2026-01-10T14:30:41+08:00", "note": "冒充公检法"}))]
pub struct NewCase {
    #[schema(min_length = 1)]
    case_id: String,
    #[serde(default)]
    #[schema(max_items = 5000)]
    seed_txn_ids: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 1000)]
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

#[utoipa::path(post, path = "/v1/cases", tag = "cases", params(Idempotency), request_body = NewCase, responses((status = 200, description = "The case registered (operator)", body = CaseEntry), (status = 409, description = "A case with this id exists", body = crate::server::openapi::ErrorBody)))]
pub async fn create_case(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    body: Result<Json<NewCase>, JsonRejection>,
) -> Result<Replayable<CaseEntry>, ApiError> {
    who.require(Role::Operator)?;
    let b = json_body(body)?;
    let request = request_key(&headers, &who, "POST /v1/cases", &b)?;
    if b.case_id.trim().is_empty() {
        return Err(ApiError::bad_request("case_id", "a case needs an id"));
    }
    let new = uc::NewCase {
        case_id: b.case_id,
        seeds: seed_spec(&b.seed_txn_ids, &b.victims, b.from.as_deref(), b.to.as_deref(), s.desk.tz())?,
        has_from: b.from.is_some(),
        has_to: b.to.is_some(),
        report_time_ms: opt_time(s.desk.tz(), "report_time", &b.report_time)?,
        note: b.note,
        created_by: who.name,
        created_at_ms: s.desk.now_ms(),
    };
    let desk = s.desk.clone();
    commit(move || Ok(uc::register(&desk, new, request.as_ref())?.map(|c| CaseEntry::of(c, desk.tz()))))
        .await
        .map(Replayable)
}

#[utoipa::path(get, path = "/v1/cases", tag = "cases", responses((status = 200, description = "Registered cases", body = Vec<CaseEntry>)))]
pub async fn list_cases(State(s): State<AppState>) -> ApiResult<Vec<CaseEntry>> {
    let desk = s.desk.clone();
    blocking(move || Ok(uc::list(&desk)?)).await.map(Json)
}

async fn load_case(s: &AppState, id: String) -> Result<CaseRecord, ApiError> {
    let desk = s.desk.clone();
    blocking(move || Ok(uc::get(&desk, &id)?)).await
}

/// A registered case and its trace query, on a blocking thread.
async fn case_query(s: &AppState, id: String, options: CaseRuleOptions) -> Result<(CaseRecord, TraceQuery), ApiError> {
    let desk = s.desk.clone();
    blocking(move || Ok(uc::query_of(&desk, &id, &options)?)).await
}

#[utoipa::path(get, path = "/v1/cases/{id}", tag = "cases", params(("id" = String, Path, description = "Case id")), responses((status = 200, description = "One case", body = CaseEntry), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn get_case(State(s): State<AppState>, P(id): P<String>) -> ApiResult<CaseEntry> {
    let tz = s.desk.tz();
    load_case(&s, id).await.map(|c| Json(CaseEntry::of(c, tz)))
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

        impl $name {
            /// The shared rule options, with an as-of if this query has one.
            fn rule_options(&self, tz: chrono_tz::Tz, as_of: &Option<String>) -> Result<CaseRuleOptions, ApiError> {
                api_time_text("as_of", as_of.as_deref())?;
                Ok(CaseRuleOptions {
                    rule: self.rule,
                    hops: self.hops,
                    min_amount_fen: self.min_amount.as_deref().map(|v| yuan("min_amount", v)).transpose()?,
                    as_of_ms: opt_time(tz, "as_of", as_of)?,
                })
            }
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
        /// Accounts with at least this many distinct counterparties are hubs, listed but not proposed
        /// (default 100).
        #[param(minimum = 1, maximum = 1000000)]
        hub_counterparties: Option<u32>,
        /// protective (default) or rule.
        reading: Option<crate::freeze::Reading>,
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

#[utoipa::path(get, path = "/v1/cases/{id}/trace", tag = "cases", params(("id" = String, Path, description = "Case id"), CaseTraceQuery), responses((status = 200, description = "The case's trace (as of its report time unless told), or its diagram with format=svg|html", content((crate::trace::report::TraceReport = "application/json"), (String = "image/svg+xml"), (String = "text/html"))), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn case_trace(
    State(s): State<AppState>,
    Extension(rid): Extension<crate::server::RequestId>,
    P(id): P<String>,
    Q(q): Q<CaseTraceQuery>,
) -> Result<Response, ApiError> {
    let options = q.rule_options(s.desk.tz(), &q.as_of)?;
    if let Some(v) = &q.threshold {
        yuan("threshold", v)?;
    }
    let (c, query) = case_query(&s, id, options).await?;
    let chart = ChartQuery { format: q.format, lang: q.lang };
    answer_trace(trace_report(&s, query).await?, &rid, chart, c.case_id, (s.desk.now_ms(), s.desk.tz())).await
}

#[utoipa::path(get, path = "/v1/cases/{id}/freeze", tag = "cases", params(("id" = String, Path, description = "Case id"), RuleQuery), responses((status = 200, description = "The case's extended-freeze proposals", body = FreezeReport), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn case_freeze(
    State(s): State<AppState>,
    Extension(rid): Extension<crate::server::RequestId>,
    P(id): P<String>,
    Q(q): Q<RuleQuery>,
) -> Result<Response, ApiError> {
    let options = q.rule_options(s.desk.tz(), &q.as_of)?;
    let fp = freeze_params(q.threshold.as_deref(), q.hub_counterparties, q.reading)?;
    let (_, query) = case_query(&s, id, options).await?;
    let (report, timing) = freeze_report(&s, query, fp).await?;
    Ok(crate::server::timed_json(&report, timing, &rid))
}

#[utoipa::path(get, path = "/v1/cases/{id}/links", tag = "cases", params(("id" = String, Path, description = "Case id"), LinksQuery), responses((status = 200, description = "The registered cases linked to this one (串并), strongest first with their evidence; its group; the sinks its money reached", body = LinkReport), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn case_links(State(s): State<AppState>, P(id): P<String>, Q(q): Q<LinksQuery>) -> ApiResult<LinkReport> {
    let options = q.rule_options(s.desk.tz(), &None)?;
    let desk = s.desk.clone();
    blocking(move || {
        let (_, query) = uc::query_of(&desk, &id, &options)?;
        Ok(uc::links(&desk, &id, &query.params)?)
    })
    .await
    .map(Json)
}

#[utoipa::path(get, path = "/v1/links", tag = "cases", params(LinksQuery), responses((status = 200, description = "串并 over every registered case: groups with their cohesion and defining accounts, links with their evidence, shared sinks", body = LinkReport)))]
pub async fn links_all(State(s): State<AppState>, Q(q): Q<LinksQuery>) -> ApiResult<LinkReport> {
    let options = q.rule_options(s.desk.tz(), &None)?;
    let desk = s.desk.clone();
    blocking(move || {
        let base = uc::case_query(&Default::default(), &options)?.params;
        Ok(uc::link_registry(&desk, &base)?)
    })
    .await
    .map(Json)
}
