//! NDJSON (one JSON object per line) turned into CSV rows with fixed columns, so uploads in either format go
//! through the one CSV ingest path with its checks, rejects file and summary.

use super::row::REJECT_REASON_COLUMN;

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
}

impl NdjsonToCsv {
    pub fn new(columns: &'static [&'static str]) -> NdjsonToCsv {
        NdjsonToCsv { columns, pending: Vec::new(), line: 0, header_written: false }
    }

    fn row(&mut self, out: &mut csv::Writer<Vec<u8>>, line: &[u8]) {
        self.line += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
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
                let mut v = vec![String::new(); self.columns.len()];
                v.push(format!("NDJSON line {}: not a JSON object: {e}", self.line));
                v
            }
        };
        // Writing into a Vec cannot fail.
        let _ = out.write_record(&cells);
    }

    fn writer(&mut self) -> csv::Writer<Vec<u8>> {
        let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        if !self.header_written {
            let _ = out.write_record(self.columns.iter().copied().chain([REJECT_REASON_COLUMN]));
            self.header_written = true;
        }
        out
    }

    /// Converts the complete lines `data` brings; returns the CSV bytes ready.
    pub fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = self.writer();
        self.pending.extend_from_slice(data);
        while let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=pos).collect();
            self.row(&mut out, &line);
        }
        out.into_inner().unwrap_or_default()
    }

    /// Converts what is left (a last line without a newline).
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = self.writer();
        let rest = std::mem::take(&mut self.pending);
        self.row(&mut out, &rest);
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
        assert_eq!(csv, "a,b,_reject_reason\n\"x,y\",2,\n,,\n,z,\n");
    }

    #[test]
    fn a_line_that_is_not_an_object_is_a_row_with_its_reason_and_line() {
        let csv = convert(&["{\"a\": 1}\n", "\n", "[1, 2]\n", "{\"a\": 3}\n"]);
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 4, "{csv}");
        assert_eq!(rows[1], "1,,");
        assert!(rows[2].starts_with(",,") && rows[2].contains("NDJSON line 3: not a JSON object"), "{}", rows[2]);
        assert_eq!(rows[3], "3,,");
    }

    #[test]
    fn empty_input_is_just_the_header() {
        assert_eq!(convert(&[]), "a,b,_reject_reason\n");
    }
}
