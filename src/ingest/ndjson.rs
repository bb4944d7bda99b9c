//! NDJSON (one JSON object per line) turned into CSV rows with fixed columns, so uploads in either format go
//! through the one CSV ingest path with its checks, rejects file and summary.

use super::row::{REJECT_REASON_COLUMN, SOURCE_LINE_COLUMN};

/// Longest NDJSON line taken (a transfer's object is well under 1 KiB). Longer lines are rejected with
/// their line number and skipped up to their newline: without a bound, one line with no newline would
/// grow in memory until the upload limit.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The columns of a transfers upload, in the order the CSV gets them.
pub const TRANSFER_COLUMNS: &[&str] = &[
    "txn_id", "ts", "src", "dst", "amount", "channel", "currency", "src_name", "dst_name", "src_bank", "dst_bank",
    "memo",
];
/// The columns of an accounts upload.
pub const ACCOUNT_COLUMNS: &[&str] =
    &["account_id", "holder_id", "holder_name", "phone", "device_id", "bank", "branch", "opened_at", "kind"];

/// Streaming converter: feed it bytes as they arrive, get CSV bytes back. A line that is not a JSON object
/// becomes a row carrying its reason in the reject-reason column, so it is rejected, never lost.
#[derive(Debug)]
pub struct NdjsonToCsv {
    columns: &'static [&'static str],
    pending: Vec<u8>,
    line: u64,
    header_written: bool,
    /// Inside a line longer than [`MAX_LINE_BYTES`] (already rejected): drop bytes up to its newline.
    skipping: bool,
}

impl NdjsonToCsv {
    pub fn new(columns: &'static [&'static str]) -> NdjsonToCsv {
        NdjsonToCsv { columns, pending: Vec::new(), line: 0, header_written: false, skipping: false }
    }

    fn row(&mut self, out: &mut csv::Writer<Vec<u8>>, line: &[u8]) {
        self.line += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        if line.len() > MAX_LINE_BYTES {
            self.reject(out, format!("NDJSON line {}: longer than {MAX_LINE_BYTES} bytes", self.line));
            return;
        }
        let cells: Vec<String> = match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(obj) => self
                .columns
                .iter()
                .map(|c| match obj.get(*c) {
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .chain([String::new()])
                .collect(),
            Err(e) => {
                self.reject(out, format!("NDJSON line {}: not a JSON object: {e}", self.line));
                return;
            }
        };
        // Writing into a Vec cannot fail.
        let _ = out.write_record(cells.iter().map(String::as_str).chain([self.line.to_string().as_str()]));
    }

    /// A row that only carries why the current line was refused (and its line).
    fn reject(&self, out: &mut csv::Writer<Vec<u8>>, reason: String) {
        let mut v = vec![String::new(); self.columns.len()];
        v.push(reason);
        v.push(self.line.to_string());
        let _ = out.write_record(&v);
    }

    fn writer(&mut self) -> csv::Writer<Vec<u8>> {
        let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        if !self.header_written {
            let _ = out.write_record(self.columns.iter().copied().chain([REJECT_REASON_COLUMN, SOURCE_LINE_COLUMN]));
            self.header_written = true;
        }
        out
    }

    /// Converts the complete lines `data` brings; returns the CSV bytes ready.
    pub fn feed(&mut self, mut data: &[u8]) -> Vec<u8> {
        let mut out = self.writer();
        while !data.is_empty() {
            let newline = data.iter().position(|b| *b == b'\n');
            let end = newline.map_or(data.len(), |p| p + 1);
            let (part, rest) = data.split_at(end);
            data = rest;
            if self.skipping {
                // The rest of a line already refused as too long.
                self.skipping = newline.is_none();
                continue;
            }
            self.pending.extend_from_slice(part);
            if newline.is_some() {
                let line = std::mem::take(&mut self.pending);
                self.row(&mut out, &line);
            } else if self.pending.len() > MAX_LINE_BYTES {
                // Refuse it now, with its number, and drop the rest of it as it comes.
                self.pending = Vec::new();
                self.line += 1;
                self.reject(&mut out, format!("NDJSON line {}: longer than {MAX_LINE_BYTES} bytes", self.line));
                self.skipping = true;
            }
        }
        out.into_inner().unwrap_or_default()
    }

    /// Converts what is left (a last line without a newline).
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = self.writer();
        let rest = std::mem::take(&mut self.pending);
        if !self.skipping {
            self.row(&mut out, &rest);
        }
        out.into_inner().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(chunks: &[&str]) -> String {
        let mut c = NdjsonToCsv::new(&["a", "b"]);
        let mut out = Vec::new();
        for ch in chunks {
            out.extend(c.feed(ch.as_bytes()));
        }
        out.extend(c.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn objects_become_rows_in_column_order_across_chunk_boundaries() {
        let csv = convert(&["{\"b\": 2, \"a\": \"x,y\"}\n{\"a\"", ": null, \"c\": 1}\n", "{\"b\": \"z\"}"]);
        assert_eq!(csv, "a,b,_reject_reason,_source_line\n\"x,y\",2,,1\n,,,2\n,z,,3\n");
    }

    #[test]
    fn a_line_that_is_not_an_object_is_a_row_with_its_reason_and_line() {
        let csv = convert(&["{\"a\": 1}\n", "\n", "[1, 2]\n", "{\"a\": 3}\n"]);
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 4, "{csv}");
        assert_eq!(rows[1], "1,,,1");
        assert!(rows[2].starts_with(",,") && rows[2].contains("NDJSON line 3: not a JSON object"), "{}", rows[2]);
        assert!(rows[2].ends_with(",3"), "{}", rows[2]);
        assert_eq!(rows[3], "3,,,4");
    }

    /// A line with no end is refused once it passes the bound, whatever the chunking, and the lines
    /// after it keep their numbers; memory never holds more than the bound.
    #[test]
    fn an_endless_line_is_refused_at_the_bound_and_skipped() {
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        for chunk in [7usize, 4096, MAX_LINE_BYTES * 2] {
            let text = format!("{{\"a\": 1}}\n{{\"a\": \"{long}\"}}\n{{\"a\": 3}}\n{long}");
            let mut c = NdjsonToCsv::new(&["a", "b"]);
            let mut out = Vec::new();
            for part in text.as_bytes().chunks(chunk) {
                out.extend(c.feed(part));
                assert!(c.pending.len() <= MAX_LINE_BYTES + chunk, "pending grew to {}", c.pending.len());
            }
            out.extend(c.finish());
            let csv = String::from_utf8(out).unwrap();
            let rows: Vec<&str> = csv.lines().collect();
            assert_eq!(
                rows.len(),
                5,
                "chunk {chunk}: {:?}",
                rows.iter().map(|r| &r[..r.len().min(80)]).collect::<Vec<_>>()
            );
            assert_eq!(rows[1], "1,,,1");
            assert_eq!(rows[2], format!(",,NDJSON line 2: longer than {MAX_LINE_BYTES} bytes,2"));
            assert_eq!(rows[3], "3,,,3");
            assert_eq!(rows[4], format!(",,NDJSON line 4: longer than {MAX_LINE_BYTES} bytes,4"));
        }
    }

    #[test]
    fn empty_input_is_just_the_header() {
        assert_eq!(convert(&[]), "a,b,_reject_reason,_source_line\n");
    }
}
