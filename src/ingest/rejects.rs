//! The rejects file of one load: every refused row with its file, line, field, value and reason, and the
//! row itself, so nothing is lost silently. Created on the first rejected row; the first ones are also kept
//! in memory for answers that cannot point at a file on the server (the API's).

use std::path::{Path, PathBuf};

use super::row::RowError;
use super::{IngestError, RejectedRow, REJECTS_KEPT};

/// A refused row or line, before it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The input file's name as the user knows it.
    pub file: String,
    /// Line for the answer (a number).
    pub line: u64,
    /// Where the row is as the file shows it: a line, or a workbook's sheet and row.
    pub place: String,
    pub field: String,
    pub value: String,
    pub reason: String,
    /// The row itself, as read.
    pub record: String,
}

pub struct Rejects {
    dir: PathBuf,
    /// `ingest` or `statements`: the file name's prefix.
    kind: &'static str,
    path: Option<PathBuf>,
    /// The first rejected rows, kept for answers that cannot point at the file (the API's).
    first: Vec<RejectedRow>,
    writer: Option<csv::Writer<std::fs::File>>,
}

impl std::fmt::Debug for Rejects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rejects").field("dir", &self.dir).field("path", &self.path).finish_non_exhaustive()
    }
}

impl Rejects {
    /// Rejects of a load of `kind` (`ingest`, `statements`), written under `dir` when the first comes.
    pub fn new(dir: PathBuf, kind: &'static str) -> Rejects {
        Rejects { dir, kind, path: None, first: Vec::new(), writer: None }
    }

    pub(super) fn add_row(&mut self, file: &Path, line: u64, e: &RowError, record: &str) -> Result<(), IngestError> {
        self.add(&Rejected {
            file: file.display().to_string(),
            line,
            place: line.to_string(),
            field: e.field.to_string(),
            value: e.value.clone(),
            reason: e.reason.clone(),
            record: record.to_string(),
        })
    }

    /// Writes one refused row.
    pub fn add(&mut self, r: &Rejected) -> Result<(), IngestError> {
        if self.first.len() < REJECTS_KEPT {
            self.first.push(RejectedRow {
                line: r.line,
                field: r.field.clone(),
                value: r.value.clone(),
                reason: r.reason.clone(),
            });
        }
        if self.writer.is_none() {
            std::fs::create_dir_all(&self.dir).map_err(|source| IngestError::Io { path: self.dir.clone(), source })?;
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
            let path = self.dir.join(format!("{}-{stamp}-{}.csv", self.kind, std::process::id()));
            let mut w =
                csv::Writer::from_path(&path).map_err(|source| IngestError::Rejects { path: path.clone(), source })?;
            w.write_record(["file", "line", "field", "value", "reason", "record"])
                .map_err(|source| IngestError::Rejects { path: path.clone(), source })?;
            self.writer = Some(w);
            self.path = Some(path);
        }
        let (Some(w), Some(path)) = (self.writer.as_mut(), self.path.as_ref()) else { unreachable!("created above") };
        w.write_record([&r.file, &r.place, &r.field, &r.value, &r.reason, &r.record])
            .map_err(|source| IngestError::Rejects { path: path.clone(), source })
    }

    /// Flushes and syncs the file; where it is, if any row was rejected.
    pub fn finish(&mut self) -> Result<Option<PathBuf>, IngestError> {
        if let (Some(w), Some(path)) = (self.writer.as_mut(), self.path.as_ref()) {
            w.flush().map_err(|source| IngestError::Rejects { path: path.clone(), source: source.into() })?;
            w.get_ref().sync_all().map_err(|source| IngestError::Io { path: path.clone(), source })?;
        }
        Ok(self.path.clone())
    }

    /// The first rejected rows (at most [`REJECTS_KEPT`]), taken out.
    pub fn take_first(&mut self) -> Vec<RejectedRow> {
        std::mem::take(&mut self.first)
    }
}
