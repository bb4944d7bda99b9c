//! The exchange with a cluster for whole-graph work: the store written as Parquet ([`export`]) and a batch
//! job's results read back ([`read`]). Both are file formats, kept here beside the other input and output
//! layers (`ingest`, `statements`), so the use cases (`app::export`, `app::batch`) touch no files.

pub mod export;
pub mod read;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Writing an export failed, or its directory is not new or empty.
    #[error("{}: {message}", path.display())]
    Export { path: PathBuf, message: String },
    /// A batch directory is incomplete, from another store state, or unreadable.
    #[error("{}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}
