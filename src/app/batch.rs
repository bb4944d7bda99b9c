//! Whole-graph results made off this machine (`jobs/spark/`) and read back here (the format is
//! [`crate::batch::read`]'s): `features --from-batch`, and `rings --from-batch` (in `app::rings`).

use std::path::Path;

use super::{AppResult, Desk};
use crate::rings::features::AccountFeatures;

/// Every account's features from the batch in `dir`, after checking the batch against the store (same
/// watermark, same time zone, one row per account).
pub fn features(desk: &Desk, dir: &Path) -> AppResult<Vec<AccountFeatures>> {
    Ok(crate::batch::read::read_features(&desk.view()?, dir, desk.tz().name())?)
}
