//! Loading transfers and accounts: files named on the command line, and uploads a case system pushes.

use std::path::PathBuf;

use super::{AppResult, Desk};
use crate::ingest::{prepare, IngestOptions, IngestSummary, PreparedIngest, Progress};

/// Checks every input before anything is written: a missing column, an unreadable file or an unknown
/// format is an error here, and the store is not touched.
pub fn check(transfers: &[PathBuf], accounts: &[PathBuf], opts: &IngestOptions) -> AppResult<PreparedIngest> {
    Ok(prepare(transfers, accounts, opts)?)
}

/// What an upload carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadKind {
    Transfers,
    Accounts,
}

/// Runs a checked ingest (all or nothing); its new transfers are checked for warnings as they land, in
/// the same call (see [`Desk::write`]).
pub fn run(desk: &Desk, prepared: PreparedIngest, progress: &(dyn Fn(Progress) + Sync)) -> AppResult<IngestSummary> {
    let (mut summary, after) = desk.write(|tx| tx.ingest(prepared, progress))?;
    summary.warnings_check_ms = after.warnings_check_ms;
    summary.warnings_raised = after.warnings_raised;
    Ok(summary)
}

/// `POST /v1/ingest/transfers|accounts`: one spooled upload, checked, loaded, and its transfers checked
/// for warnings.
pub fn upload(desk: &Desk, kind: UploadKind, file: PathBuf, opts: &IngestOptions) -> AppResult<IngestSummary> {
    let (t, a) = match kind {
        UploadKind::Transfers => (vec![file], vec![]),
        UploadKind::Accounts => (vec![], vec![file]),
    };
    let prepared = check(&t, &a, opts)?;
    run(desk, prepared, &|_| {})
}
