//! Questions about the store itself: statistics, and one account's profile and statement.

use super::{AppError, AppResult, Desk};
use crate::query::{account_report, store_stats, AccountReport, StoreStats};

/// `stats`, `GET /v1/stats`.
pub fn stats(desk: &Desk) -> AppResult<StoreStats> {
    Ok(store_stats(&desk.view()?, desk.tz(), desk.size_on_disk())?)
}

/// Most transfers one statement page may hold.
pub const MAX_PAGE: usize = 1000;

/// Which part of an account's statement to show.
#[derive(Clone, Debug)]
pub struct StatementPage {
    pub account: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// The cursor of the previous page.
    pub after: Option<String>,
    pub limit: usize,
    /// Compute the account's mule-card features (its whole ledger and every counterparty's attributes:
    /// the costly part). `None`: on the first page only, not on the pages that follow it.
    pub features: Option<bool>,
}

/// `account`, `GET /v1/accounts/{account}`: profile, features and a page of transfers in the window.
pub fn account(desk: &Desk, p: &StatementPage) -> AppResult<AccountReport> {
    if p.limit == 0 || p.limit > MAX_PAGE {
        return Err(AppError::bad_input("limit", format!("limit must be 1..={MAX_PAGE}")));
    }
    let features = p.features.unwrap_or(p.after.is_none());
    let view = &desk.view()?;
    Ok(account_report(view, &p.account, p.from_ms, p.to_ms, p.after.as_deref(), p.limit, features, desk.tz())?)
}
