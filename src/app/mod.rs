//! Use cases: one function per thing a user can ask for, called by both front ends.
//!
//! The CLI (`main.rs`) and the HTTP API (`server/`) each parse their input into a request, call the function
//! here, and render the report it returns (a table or JSON; a JSON body). Nothing a user can ask is
//! implemented twice: a feature lands here once and both front ends get it. This layer knows the store
//! (it opens views and writes) and the analysis modules; it knows nothing of terminals or HTTP.
//!
//! Errors are [`AppError`]: classified once (malformed input, well-formed but not actionable, not found,
//! conflict, internal), so the CLI's message and the API's status agree.

pub mod backup;
pub mod batch;
pub mod cases;
pub mod desk;
pub mod export;
pub mod finbench;
pub mod gen;
pub mod ingest;
pub mod query;
pub mod rings;
pub mod statements;
pub mod stops;
pub mod trace;
pub mod warnings;

/// What front ends name of the store's records: a write's idempotency key and whether its answer is a
/// replay, and the clock of the store's reads (the `Server-Timing` of answers).
pub use crate::store::{ReadClock, RequestKey, Written, MAX_IDEMPOTENCY_KEY_LEN};
pub use desk::{AfterCommit, Desk, Tx};

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::graph::GraphError;
use crate::store::StoreError;
use crate::trace::TraceError;

/// What went wrong, in the terms a front end reports it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed: a value does not parse or is out of range. `field` is the request field at
    /// fault in the API's spelling (`as_of`, `seed_txn_ids`); the CLI shows it as its flag.
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    /// Well-formed, but not something that can be acted on: an unknown seed, a seed after as-of, victims
    /// without a window, an upload without the required columns.
    #[error("{field}: {message}")]
    Unprocessable { field: String, message: String },
    #[error("{0}")]
    NotFound(String),
    /// The request contradicts what is recorded: a stop already in force, a case id taken.
    #[error("{0}")]
    Conflict(String),
    /// The store is open for writing in another process (a running server): only one writes at a time.
    #[error("the store at {} is open for writing in another process (most likely a running `moneytrail serve`)", path.display())]
    InUse { path: std::path::PathBuf },
    /// Reading input files failed; each front end shows the file, line and column its own way.
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    /// Anything else: a store failure, corrupt data. Front ends log it and answer without detail.
    #[error(transparent)]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: &str, message: impl Into<String>) -> AppError {
        AppError::BadInput { field: field.into(), message: message.into() }
    }

    pub fn unprocessable(field: &str, message: impl Into<String>) -> AppError {
        AppError::Unprocessable { field: field.into(), message: message.into() }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> AppError {
        AppError::Internal(Box::new(e))
    }
}

impl From<crate::rings::scorer::ScorerError> for AppError {
    fn from(e: crate::rings::scorer::ScorerError) -> AppError {
        use crate::rings::scorer::ScorerError;
        match e {
            ScorerError::TooFew { .. } => AppError::unprocessable("confirmed", e.to_string()),
            ScorerError::Train(_) => AppError::internal(e),
        }
    }
}

impl From<TraceError> for AppError {
    fn from(e: TraceError) -> AppError {
        match e {
            TraceError::UnknownSeed(id) => {
                AppError::unprocessable("seed_txn_ids", format!("unknown seed transfer '{id}'"))
            }
            TraceError::UnknownAccount(a) => AppError::unprocessable("victims", format!("unknown account '{a}'")),
            TraceError::SeedAfterAsOf(id) => {
                AppError::unprocessable("as_of", format!("seed transfer '{id}' is after as_of"))
            }
            TraceError::NoSeeds(m) => AppError::unprocessable("seed_txn_ids", m),
            TraceError::BadParams(m) => AppError::bad_input("hops", m),
            e @ TraceError::TooManyGiven { field, .. } => AppError::bad_input(field, e.to_string()),
            e @ TraceError::TooManySeeds { .. } => AppError::unprocessable("victims", e.to_string()),
            e @ TraceError::AmountOverflow => AppError::unprocessable("seed_txn_ids", e.to_string()),
            TraceError::Graph(g) => AppError::internal(g),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::UnknownAccount(a) => AppError::unprocessable("account", format!("unknown account '{a}'")),
            StoreError::Locked { path } => AppError::InUse { path },
            StoreError::NoSuchStop(id) => AppError::NotFound(format!("no stop #{id}")),
            StoreError::NoSuchWarning(id) => AppError::NotFound(format!("no warning #{id}")),
            StoreError::StopRule(m) => AppError::Conflict(m),
            e @ StoreError::KeyReused => AppError::unprocessable("Idempotency-Key", e.to_string()),
            other => AppError::internal(other),
        }
    }
}

impl From<GraphError> for AppError {
    fn from(e: GraphError) -> AppError {
        AppError::internal(e)
    }
}

impl From<crate::query::QueryError> for AppError {
    fn from(e: crate::query::QueryError) -> AppError {
        use crate::query::QueryError as Q;
        match e {
            Q::UnknownAccount(a) => AppError::NotFound(format!("unknown account '{a}'")),
            Q::BadCursor(c) => {
                AppError::unprocessable("after", format!("'{c}' is not a page cursor this store gave out"))
            }
            Q::Store(s) => s.into(),
            Q::Graph(g) => g.into(),
        }
    }
}

impl From<crate::cases::CaseError> for AppError {
    fn from(e: crate::cases::CaseError) -> AppError {
        use crate::cases::CaseError as C;
        match e {
            C::Trace { source, .. } => source.into(),
            C::Graph(g) => AppError::internal(g),
        }
    }
}

impl From<crate::batch::BatchError> for AppError {
    fn from(e: crate::batch::BatchError) -> AppError {
        use crate::batch::BatchError as B;
        match e {
            e @ B::Export { .. } => AppError::bad_input("out", e.to_string()),
            e @ B::Read { .. } => AppError::unprocessable("from_batch", e.to_string()),
            B::Store(s) => s.into(),
        }
    }
}

/// A case file the user named: what is wrong with it is for them to fix.
impl From<crate::ingest::lists::ListError> for AppError {
    fn from(e: crate::ingest::lists::ListError) -> AppError {
        AppError::unprocessable("file", e.to_string())
    }
}

/// "Now" for use cases that default times to it; one place, so tests can see where the clock is read.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Where a desk reads the time: the machine's clock, or a clock set by hand (a replay of a world runs on
/// the world's time).
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The machine's clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that says what it was last set to.
    pub fn manual(at_ms: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(at_ms))))
    }

    /// Sets a manual clock (no effect on the machine's).
    pub fn set(&self, at_ms: i64) {
        if let Some(t) = &self.0 {
            t.store(at_ms, Ordering::Release);
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.0.as_ref().map_or_else(now_ms, |t| t.load(Ordering::Acquire))
    }
}
