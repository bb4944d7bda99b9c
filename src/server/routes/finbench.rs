//! The FinBench transfer reads over the snapshot the server was started with (`serve --finbench DIR`).

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;

use super::{json_body, ApiResult};
use crate::finbench::Answer;
use crate::server::extract::P;
use crate::server::{blocking, AppState};

/// One result row; an answer is an array of one read's rows (documentation only: the handler answers
/// [`Answer`], which serialises as that array).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum FinbenchRow {
    Tcr1(crate::finbench::query::Tcr1Row),
    Tcr3(crate::finbench::query::Tcr3Row),
    Tcr4(crate::finbench::query::Tcr4Row),
    Tcr5(crate::finbench::query::Tcr5Row),
    Tcr7(crate::finbench::query::Tcr7Row),
    Tcr8(crate::finbench::query::Tcr8Row),
}

/// One parameter set with the keys the read takes (QUERIES.md): `id` or `id1`/`id2`, `startTime` and
/// `endTime` in epoch ms (both excluded), `truncationLimit` and `truncationOrder` (TCR1, 5, 7, 8),
/// `threshold` as a decimal string (TCR7, 8). Ids are JSON integers, exact to 64 bits.
#[derive(utoipa::ToSchema)]
#[schema(example = json!({"id": 4614219293217785425_i64, "startTime": 1627020616747_i64, "endTime": 1669690342640_i64, "truncationLimit": 500, "truncationOrder": "TIMESTAMP_DESCENDING"}))]
#[allow(non_snake_case, dead_code)] // the spec's key names; documentation only, the handler reads JSON
pub struct FinbenchParams {
    id: Option<i64>,
    id1: Option<i64>,
    id2: Option<i64>,
    startTime: Option<i64>,
    endTime: Option<i64>,
    #[schema(minimum = 0, maximum = 1000000)]
    truncationLimit: Option<u64>,
    #[schema(pattern = "^(TIMESTAMP|AMOUNT)_(DE|A)SCENDING$")]
    truncationOrder: Option<String>,
    #[schema(pattern = r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$")]
    threshold: Option<String>,
}

#[utoipa::path(post, path = "/v1/finbench/{query}", tag = "finbench", params(("query" = inline(crate::finbench::Query), Path, description = "The read: tcr1, tcr3, tcr4, tcr5, tcr7 or tcr8")), request_body = FinbenchParams, responses((status = 200, description = "The read's result rows, with the spec's field names, in its sort order (the line `moneytrail finbench` prints)", body = Vec<FinbenchRow>), (status = 404, description = "No such read, or the server holds no FinBench snapshot", body = crate::server::openapi::ErrorBody), (status = 422, description = "A parameter is missing or does not parse", body = crate::server::openapi::ErrorBody)))]
pub async fn finbench(
    State(s): State<AppState>,
    P(query): P<String>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Answer> {
    let params = json_body(body)?;
    let snapshot = s.finbench.clone();
    blocking(move || Ok(crate::app::finbench::run_one(snapshot.as_deref(), &query, &params)?)).await.map(Json)
}
