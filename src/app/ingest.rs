//! Loading transfers and accounts: files named on the command line, and uploads a case system pushes.

use std::path::PathBuf;

use super::warnings::ArrivalCheck;
use super::AppResult;
use crate::ingest::{prepare, IngestOptions, IngestSummary, PreparedIngest, Progress};
use crate::store::TransferStore;

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

/// Runs a checked ingest (all or nothing). With `arrivals`, the new transfers are checked for warnings as
/// they land, in the same ingest, and an accounts load marks the last ring detection stale.
pub fn run(
    store: &TransferStore,
    prepared: PreparedIngest,
    progress: &(dyn Fn(Progress) + Sync),
    arrivals: Option<ArrivalCheck<'_>>,
) -> AppResult<IngestSummary> {
    let first_new_seq = store.view()?.watermark().next_seq;
    let has_transfers = prepared.has_transfers();
    let has_accounts = prepared.has_accounts();
    let mut summary = prepared.run(store, progress)?;
    if let Some(c) = arrivals {
        if has_accounts {
            c.rings.invalidate();
            c.watch.forget_accounts();
        }
        if has_transfers {
            // The transfers are committed: a failure here must not turn the ingest into an error.
            let started = std::time::Instant::now();
            let raised = super::warnings::on_arrival(store, c, first_new_seq);
            summary.warnings_check_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
            summary.warnings_raised = match raised {
                Ok(n) => Some(n),
                Err(e) => {
                    tracing::error!(error = %e, "warnings on arrival failed; a scan will find them");
                    None
                }
            };
        }
    }
    Ok(summary)
}

/// `POST /v1/ingest/transfers|accounts`: one spooled upload, checked, loaded, and its transfers checked
/// for warnings.
pub fn upload(
    store: &TransferStore,
    arrivals: ArrivalCheck<'_>,
    kind: UploadKind,
    file: PathBuf,
    opts: &IngestOptions,
) -> AppResult<IngestSummary> {
    let (t, a) = match kind {
        UploadKind::Transfers => (vec![file], vec![]),
        UploadKind::Accounts => (vec![], vec![file]),
    };
    let prepared = check(&t, &a, opts)?;
    run(store, prepared, &|_| {}, Some(arrivals))
}
