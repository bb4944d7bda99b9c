//! The audit trail of who asked what: one JSON line per event, synced to disk before the request it
//! records is served, and chained by hash so a deleted or edited line is detectable.
//!
//! Each line carries `prev`, the SHA-256 (hex) of the line before it as written (without its newline);
//! the first line of a log has 64 zeros. [`verify`] recomputes the chain. Lines from before the chain
//! (no `prev`) are counted, not checked. What the chain cannot show alone is lines cut from the end:
//! the server logs the chain's head hash at every start and shutdown, so a copy of that log bounds it.
//!
//! One writer thread owns the file and the chain. Requests send it their line with a reply channel; it
//! writes every line waiting, syncs once, and replies to all of them (group commit: under load, many
//! requests share one fsync). A batch that cannot be written and synced is cut off the file again, the
//! chain stays at its last synced line, and every request in it is told so: the caller refuses it.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Lines written per sync at most (a bound on one batch's size, not a delay: nothing waits to fill it).
const MAX_BATCH: usize = 256;
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

struct Pending {
    fields: Map<String, Value>,
    /// `None`: the caller does not wait (an outcome line after its request line was synced).
    done: Option<tokio::sync::oneshot::Sender<std::io::Result<()>>>,
}

/// Appends chained audit lines from a dedicated thread.
#[derive(Clone, Debug)]
pub struct AuditLog {
    tx: std::sync::mpsc::Sender<Pending>,
}

impl AuditLog {
    /// Opens (or creates) the log. A last line without its newline (a write cut by a crash, never
    /// acknowledged) is removed; the chain continues from the last complete line.
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let mut file = std::fs::OpenOptions::new().create(true).read(true).append(true).open(path)?;
        let (len, head) = recover_tail(&mut file)?;
        tracing::info!(path = %path.display(), head = %head, "audit log opened; chain head");
        let (tx, rx) = std::sync::mpsc::channel::<Pending>();
        let path: PathBuf = path.into();
        std::thread::Builder::new().name("audit-log".into()).spawn(move || writer(file, path, len, head, rx))?;
        Ok(AuditLog { tx })
    }

    /// Writes a line and returns once it is on disk (or could not be put there).
    pub async fn write(&self, fields: Map<String, Value>) -> std::io::Result<()> {
        let (done, synced) = tokio::sync::oneshot::channel();
        self.tx
            .send(Pending { fields, done: Some(done) })
            .map_err(|_| std::io::Error::other("the audit log's writer has stopped"))?;
        synced.await.unwrap_or_else(|_| Err(std::io::Error::other("the audit log's writer has stopped")))
    }

    /// Queues a line without waiting for it (it is still chained and synced with the next batch).
    pub fn append(&self, fields: Map<String, Value>) {
        let _ = self.tx.send(Pending { fields, done: None });
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn line_hash(line: &[u8]) -> String {
    hex(&Sha256::digest(line))
}

/// The file's length after dropping an incomplete last line, and the hash of its last complete line.
fn recover_tail(file: &mut std::fs::File) -> std::io::Result<(u64, String)> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok((0, GENESIS.into()));
    }
    // Read back far enough to hold the last line (lines are short; 1 MiB is generous).
    let from = len.saturating_sub(1 << 20);
    file.seek(SeekFrom::Start(from))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    let complete = match tail.iter().rposition(|b| *b == b'\n') {
        Some(p) => p + 1,
        None if from == 0 => 0,
        None => return Err(std::io::Error::other("audit log: last line longer than 1 MiB")),
    };
    let keep = from + complete as u64;
    if keep < len {
        tracing::warn!(cut = len - keep, "audit log: removing an incomplete last line (a write cut short)");
        file.set_len(keep)?;
        file.sync_data()?;
    }
    let body = &tail[..complete];
    let head = match body.strip_suffix(b"\n") {
        None => GENESIS.into(),
        Some(body) => line_hash(&body[body.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1)..]),
    };
    Ok((keep, head))
}

fn writer(
    mut file: std::fs::File,
    path: PathBuf,
    mut len: u64,
    mut head: String,
    rx: std::sync::mpsc::Receiver<Pending>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let mut buf = Vec::new();
        let mut next_head = head.clone();
        for p in &mut batch {
            p.fields.insert("prev".into(), Value::String(next_head.clone()));
            let line = serde_json::to_vec(&p.fields).unwrap_or_default();
            next_head = line_hash(&line);
            buf.extend_from_slice(&line);
            buf.push(b'\n');
        }
        let written = file.write_all(&buf).and_then(|()| file.sync_data());
        match &written {
            Ok(()) => {
                len += buf.len() as u64;
                head = next_head;
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, lines = batch.len(), "cannot write the audit log");
                // Nothing of a failed batch may stay: a partial line would break the chain for every
                // later line, and these requests are refused.
                if let Err(e) = file.set_len(len).and_then(|()| file.sync_data()) {
                    tracing::error!(error = %e, "cannot cut a failed batch off the audit log");
                }
            }
        }
        for p in batch {
            if let Some(done) = p.done {
                let _ =
                    done.send(written.as_ref().map(|_| ()).map_err(|e| std::io::Error::new(e.kind(), e.to_string())));
            }
        }
    }
    tracing::info!(path = %path.display(), head = %head, "audit log closed; chain head");
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verdict {
    pub lines: u64,
    /// Lines before the first chained one (written before the log was chained).
    pub unchained: u64,
    /// The hash of the last line: compare with the head the server logged.
    pub head: String,
    /// The first line whose `prev` does not match the line before it, with why.
    pub broken_at: Option<(u64, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Recomputes the chain of an audit log file.
pub fn verify(path: &Path) -> Result<Verdict, VerifyError> {
    let io = |source| VerifyError::Io { path: path.into(), source };
    let text = std::fs::read(path).map_err(io)?;
    let mut v = Verdict { lines: 0, unchained: 0, head: GENESIS.into(), broken_at: None };
    let mut chained = false;
    let mut rest: &[u8] = &text;
    while !rest.is_empty() {
        let (line, after) = match rest.iter().position(|b| *b == b'\n') {
            Some(p) => (&rest[..p], &rest[p + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = after;
        v.lines += 1;
        let n = v.lines;
        let prev = serde_json::from_slice::<Map<String, Value>>(line)
            .ok()
            .and_then(|m| m.get("prev").and_then(Value::as_str).map(str::to_string));
        match prev {
            None if !chained => v.unchained += 1,
            None => {
                v.broken_at.get_or_insert((n, "not a chained audit line (edited, or inserted)".into()));
            }
            Some(p) => {
                // The first line's prev is the genesis; a first chained line after unchained ones has the
                // hash of the last of them (the server continued the file).
                if p != v.head {
                    let what = if n == 1 { "the genesis".to_string() } else { format!("the hash of line {}", n - 1) };
                    v.broken_at.get_or_insert((n, format!("prev {p} is not {what} (a line was deleted or edited)")));
                }
                chained = true;
            }
        }
        v.head = line_hash(line);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(i: u32) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("n".into(), Value::from(i));
        m
    }

    #[tokio::test]
    async fn lines_are_chained_and_any_deletion_or_edit_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(&path).unwrap();
        for i in 0..5 {
            log.write(line(i)).await.unwrap();
        }
        // Reopening continues the chain from the last line.
        drop(log);
        let log = AuditLog::open(&path).unwrap();
        log.write(line(5)).await.unwrap();
        let v = verify(&path).unwrap();
        assert_eq!((v.lines, v.unchained, v.broken_at.clone()), (6, 0, None), "{v:?}");
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(v.head, line_hash(lines[5].as_bytes()));
        let check = |lines: Vec<String>| {
            let p = dir.path().join("tampered.log");
            std::fs::write(&p, lines.join("\n") + "\n").unwrap();
            verify(&p).unwrap().broken_at.map(|(n, _)| n)
        };
        let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // Deleting line 3 breaks the chain at the line after it.
        let mut deleted = own(&lines);
        deleted.remove(2);
        assert_eq!(check(deleted), Some(3));
        // Editing line 2 (who did it) is found at line 3.
        let mut edited = own(&lines);
        edited[1] = edited[1].replace("\"n\":1", "\"n\":7");
        assert_ne!(edited[1], lines[1]);
        assert_eq!(check(edited), Some(3));
        // Swapping two lines is found too.
        let mut swapped = own(&lines);
        swapped.swap(3, 4);
        assert_eq!(check(swapped), Some(4));
        // Deleting the first line: the new first line's prev is not the genesis.
        let mut first = own(&lines);
        first.remove(0);
        assert_eq!(check(first), Some(1));
    }

    #[tokio::test]
    async fn a_torn_last_line_is_removed_and_lines_before_the_chain_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, "{\"old\":1}\n{\"old\":2}\n{\"torn\":").unwrap();
        let log = AuditLog::open(&path).unwrap();
        log.write(line(1)).await.unwrap();
        log.write(line(2)).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("torn"), "{text}");
        let v = verify(&path).unwrap();
        assert_eq!((v.lines, v.unchained, v.broken_at), (4, 2, None));
    }

    #[tokio::test]
    async fn a_write_that_fails_is_reported_to_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let log = AuditLog::open(&path).unwrap();
        log.write(line(1)).await.unwrap();
        // /dev/full takes the open and fails every write: the caller hears of it.
        if Path::new("/dev/full").exists() {
            let full = AuditLog::open(Path::new("/dev/full")).unwrap();
            assert!(full.write(line(2)).await.is_err());
        }
    }
}
