//! The FinBench transfer reads as use cases: load a snapshot, run a parameter file (the CLI) or one
//! parameter set (the API). The reads themselves are in [`crate::finbench`].

use std::path::Path;
use std::time::{Duration, Instant};

use super::{AppError, AppResult};
use crate::finbench::{self, Answer, FinbenchError, Params, Query, Snapshot};

impl From<FinbenchError> for AppError {
    fn from(e: FinbenchError) -> AppError {
        // A snapshot or parameter file the user named: what is wrong with it is for them to fix.
        AppError::unprocessable("file", e.to_string())
    }
}

/// Loads the snapshot folder (`snapshot/` of a FinBench dataset).
pub fn load(dir: &Path) -> AppResult<Snapshot> {
    Ok(finbench::load_snapshot(dir)?)
}

/// The read named `name` (`tcr1` … `tcr8`).
pub fn query(name: &str) -> AppResult<Query> {
    Query::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Query::ALL.iter().map(|q| q.name()).collect();
        AppError::NotFound(format!("no FinBench read '{name}' (moneytrail answers {})", names.join(", ")))
    })
}

/// One parameter set's answer and how long the read took.
#[derive(Debug)]
pub struct ParamRun {
    /// The parameter's line in its file.
    pub line: u64,
    pub answer: Answer,
    pub elapsed: Duration,
}

/// Every parameter set of a file, in order.
#[derive(Debug)]
pub struct FileRun {
    pub runs: Vec<ParamRun>,
    /// Lines of a FinBench `|` file that are not data (header-like rows, "...").
    pub skipped: Vec<u64>,
}

/// Runs every parameter set of `params` (JSON lines, or FinBench's own `|` rows) against `snapshot`.
pub fn run_file(snapshot: &Snapshot, query: Query, params: &Path) -> AppResult<FileRun> {
    let file = finbench::parse_params_file(query, params)?;
    let runs = file
        .params
        .iter()
        .map(|(line, p)| {
            let started = Instant::now();
            let answer = finbench::run(snapshot, p);
            ParamRun { line: *line, answer, elapsed: started.elapsed() }
        })
        .collect();
    Ok(FileRun { runs, skipped: file.skipped })
}

/// Runs one parameter set given as a JSON object; `snapshot` is `None` when none was loaded.
pub fn run_one(snapshot: Option<&Snapshot>, name: &str, params: &serde_json::Value) -> AppResult<Answer> {
    let query = query(name)?;
    let snapshot = snapshot.ok_or_else(|| {
        AppError::NotFound("no FinBench snapshot is loaded (start the server with --finbench DIR)".into())
    })?;
    let params = Params::from_json(query, params)
        .map_err(|e| AppError::unprocessable(&e.field, format!("{:?}: {}", e.value, e.message)))?;
    Ok(finbench::run(snapshot, &params))
}
