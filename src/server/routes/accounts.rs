//! One account's profile, features and statement.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::{time, ApiResult};
use crate::app::query::{account as account_page, StatementPage};
use crate::query::AccountReport;
use crate::server::extract::{P, Q};
use crate::server::{blocking, AppState};

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
    /// Compute the mule-card features (the whole ledger and every counterparty: the costly part). Default:
    /// on the first page (no `after`) only.
    features: Option<bool>,
}

#[utoipa::path(get, path = "/v1/accounts/{account}", tag = "accounts", params(("account" = String, Path, description = "Account number"), AccountQuery), responses((status = 200, description = "Profile, features and transfers in the window, paged", body = AccountReport), (status = 404, description = "Not found", body = crate::server::openapi::ErrorBody)))]
pub async fn account(
    State(s): State<AppState>,
    P(account): P<String>,
    Q(q): Q<AccountQuery>,
) -> ApiResult<AccountReport> {
    let page = StatementPage {
        account,
        from_ms: time(s.desk.tz(), "from", &q.from, i64::MIN)?,
        to_ms: time(s.desk.tz(), "to", &q.to, i64::MAX)?,
        after: q.after,
        limit: q.limit.unwrap_or(50),
        features: q.features,
    };
    let desk = s.desk.clone();
    blocking(move || Ok(account_page(&desk, &page)?)).await.map(Json)
}
