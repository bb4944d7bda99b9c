//! `moneytrail export`: the store as Parquet for whole-graph work elsewhere (the layout is
//! [`crate::batch::export`]'s).

use std::path::Path;

use super::{AppResult, Desk};
pub use crate::batch::export::{ExportManifest, EXPORT_FORMAT};

/// Writes the store as it stands under `out` (new or empty), the manifest last.
pub fn export(desk: &Desk, out: &Path) -> AppResult<ExportManifest> {
    let view = desk.view()?;
    Ok(crate::batch::export::write(&view, desk.schema_version()?, out, desk.tz())?)
}
