//! `backup` and `restore`: a consistent copy of a store while it serves, and a store made from one.

use std::path::Path;
use std::time::Instant;

use super::{AppError, AppResult, Desk};

/// What a backup or a restore made.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BackupReport {
    /// The backup's directory (for `restore`: the new store's).
    pub path: String,
    /// Transfers committed in it (its watermark).
    pub transfers: u64,
    /// Bytes of its table files.
    pub bytes: u64,
    pub seconds: f64,
}

/// Copies the desk's store into `out` (a directory that must not exist yet) while it keeps serving.
pub fn backup(desk: &Desk, out: &Path) -> AppResult<BackupReport> {
    if out.exists() {
        return Err(AppError::bad_input(
            "out",
            format!("{} exists: a backup goes into a new directory", out.display()),
        ));
    }
    let t0 = Instant::now();
    desk.checkpoint(out)?;
    report(&Desk::open_read_only(out, desk.tz())?, out, t0)
}

/// What the store just made at `path` since `t0` holds.
fn report(made: &Desk, path: &Path, t0: Instant) -> AppResult<BackupReport> {
    let transfers = made.view()?.watermark().next_seq;
    Ok(BackupReport {
        path: path.display().to_string(),
        transfers,
        bytes: made.size_on_disk(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Makes a store at `db` (which must not exist, or be an empty directory) from the backup at `from`, and
/// opens it to check it is a store this version reads.
pub fn restore(from: &Path, db: &Path) -> AppResult<BackupReport> {
    let t0 = Instant::now();
    let tz = crate::timefmt::DEFAULT_TZ;
    Desk::open_read_only(from, tz).map_err(|e| AppError::bad_input("from", format!("{}: {e}", from.display())))?;
    Desk::restore_checkpoint(from, db).map_err(|e| match e {
        crate::store::StoreError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            AppError::bad_input("db", format!("{} exists and is not empty: restore into a new directory", db.display()))
        }
        other => other.into(),
    })?;
    report(&Desk::open(db, tz)?, db, t0)
}
