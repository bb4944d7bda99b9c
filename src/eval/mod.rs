//! Scoring results against a generated world's ground truth: `moneytrail eval trace|link|rings|warnings`
//! and the `make eval-*` runs.
//!
//! A world made by `moneytrail gen` carries its truth under `truth/` (the reported cases, which ring each
//! mule card belongs to, the look-alikes, where each case's money sat at its report time). Everything here
//! reads those files ([`truth`]), runs what a user runs — the use cases through a [`Desk`], or the analysis
//! they call — and scores what comes out. Only the binary's `eval` commands call this module; analysis and
//! the use cases never read a world's truth (`tests/tidy.rs`).

pub mod link;
pub mod rings;
pub mod trace;
pub mod truth;
pub mod warnings;

use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use crate::app::{AppError, AppResult, Desk};
use crate::ingest::IngestOptions;

/// Where the store of a generated world is (`db`, or `WORLD/.moneytrail-store`), and whether it is still
/// to be made from the world's files ([`ingest_world`]).
pub fn world_store(world: &Path, db: Option<PathBuf>) -> (PathBuf, bool) {
    let db = db.unwrap_or_else(|| world.join(".moneytrail-store"));
    let missing = !db.join("CURRENT").exists();
    (db, missing)
}

/// Makes the store of a generated world at `db` from its `accounts.csv` and `transfers.csv`.
pub fn ingest_world(world: &Path, db: &Path, tz: Tz) -> AppResult<()> {
    let desk = Desk::open(db, tz)?;
    let opts = IngestOptions { tz, ..Default::default() };
    let prepared = crate::app::ingest::check(&[world.join("transfers.csv")], &[world.join("accounts.csv")], &opts)?;
    crate::app::ingest::run(&desk, prepared, &|_| {})?;
    Ok(())
}

/// An error about a world's file.
fn bad_world(path: &Path, message: impl std::fmt::Display) -> AppError {
    AppError::bad_input("world", format!("{}: {message}", path.display()))
}
