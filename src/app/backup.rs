//! `backup` and `restore`: a consistent copy of a store while it serves, and a store made from one.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{AppError, AppResult};
use crate::store::TransferStore;

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

/// Copies `store` into `out` (a directory that must not exist yet) while it keeps serving.
pub fn backup(store: &TransferStore, out: &Path) -> AppResult<BackupReport> {
    if out.exists() {
        return Err(AppError::bad_input(
            "out",
            format!("{} exists: a backup goes into a new directory", out.display()),
        ));
    }
    let t0 = Instant::now();
    store.checkpoint(out)?;
    report(&TransferStore::open_read_only(out)?, out, t0)
}

/// What `store`, just made at `path` since `t0`, holds.
fn report(store: &TransferStore, path: &Path, t0: Instant) -> AppResult<BackupReport> {
    let transfers = store.view()?.watermark().next_seq;
    Ok(BackupReport {
        path: path.display().to_string(),
        transfers,
        bytes: store.size_on_disk(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Makes a store at `db` (which must not exist, or be an empty directory) from the backup at `from`, and
/// opens it to check it is a store this version reads.
pub fn restore(from: &Path, db: &Path) -> AppResult<BackupReport> {
    let t0 = Instant::now();
    TransferStore::open_read_only(from).map_err(|e| AppError::bad_input("from", format!("{}: {e}", from.display())))?;
    if db.exists() && std::fs::read_dir(db).map_or(true, |mut d| d.next().is_some()) {
        return Err(AppError::bad_input(
            "db",
            format!("{} exists and is not empty: restore into a new directory", db.display()),
        ));
    }
    let io = |path: &Path, e: std::io::Error| {
        AppError::internal(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    };
    std::fs::create_dir_all(db).map_err(|e| io(db, e))?;
    let entries: Vec<PathBuf> = std::fs::read_dir(from)
        .map_err(|e| io(from, e))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| io(from, e))?;
    for src in entries {
        // A checkpoint is a flat directory of RocksDB files.
        if src.is_file() {
            let dst = db.join(src.file_name().unwrap_or_default());
            std::fs::copy(&src, &dst).map_err(|e| io(&src, e))?;
            std::fs::File::open(&dst).and_then(|f| f.sync_all()).map_err(|e| io(&dst, e))?;
        }
    }
    std::fs::File::open(db).and_then(|d| d.sync_all()).map_err(|e| io(db, e))?;
    report(&TransferStore::open(db)?, db, t0)
}
