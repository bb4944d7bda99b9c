//! Input files: format detection, header mapping, and reading rows in chunks.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::DataType;

use super::row::{AccountColumns, AccountField, Columns, RowCells, TransferColumns, TransferField};
use super::IngestError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    ArrowFile,
    ArrowStream,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Parquet => "Parquet",
            Format::ArrowFile => "Arrow IPC file",
            Format::ArrowStream => "Arrow IPC stream",
        }
    }
}

/// Detects a file's format from its first bytes, then its extension.
pub fn detect_format(path: &Path) -> Result<Format, IngestError> {
    let io = |source| IngestError::Io { path: path.into(), source };
    let mut f = File::open(path).map_err(io)?;
    let mut head = vec![0u8; 4096];
    let mut n = 0;
    while n < head.len() {
        let got = f.read(&mut head[n..]).map_err(io)?;
        if got == 0 {
            break;
        }
        n += got;
    }
    head.truncate(n);
    if head.starts_with(b"PAR1") {
        return Ok(Format::Parquet);
    }
    if head.starts_with(b"ARROW1") {
        return Ok(Format::ArrowFile);
    }
    if head.starts_with(&[0xff, 0xff, 0xff, 0xff]) {
        return Ok(Format::ArrowStream);
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let looks_binary = head.contains(&0);
    match ext.as_str() {
        "csv" | "tsv" | "txt" if !looks_binary => Ok(Format::Csv),
        _ if !looks_binary && !head.is_empty() => Ok(Format::Csv),
        _ => Err(IngestError::UnknownFormat {
            path: path.into(),
            detail: if head.is_empty() {
                "the file is empty".into()
            } else {
                format!("'.{ext}' is not CSV, Parquet or Arrow IPC, and the content is binary")
            },
        }),
    }
}

/// User-given column names: our field name → the file's column name.
#[derive(Clone, Debug, Default)]
pub struct ColumnMapping {
    map: HashMap<String, String>,
}

impl ColumnMapping {
    /// Parses `field=column` pairs (comma-separated or one per item), e.g. `ts=交易时间,amount=交易金额`.
    pub fn parse_pairs<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<ColumnMapping, String> {
        let mut m = ColumnMapping::default();
        for item in items {
            for pair in item.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                m.add_pair(pair)?;
            }
        }
        Ok(m)
    }

    /// Reads a mapping file: one `field=column` per line, `#` comments.
    pub fn from_file(path: &Path) -> Result<ColumnMapping, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read mapping file {}: {e}", path.display()))?;
        let mut m = ColumnMapping::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            m.add_pair(line).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        }
        Ok(m)
    }

    pub fn merge(&mut self, other: ColumnMapping) {
        self.map.extend(other.map);
    }

    fn add_pair(&mut self, pair: &str) -> Result<(), String> {
        let (field, column) = pair.split_once('=').ok_or_else(|| format!("'{pair}' is not field=column"))?;
        let field = field.trim();
        let known = TransferField::ALL.iter().map(|f| f.name()).chain(AccountField::ALL.iter().map(|f| f.name()));
        if !known.clone().any(|k| k == field) {
            return Err(format!("unknown field '{field}' (known: {})", known.collect::<Vec<_>>().join(", ")));
        }
        self.map.insert(field.to_string(), column.trim().to_string());
        Ok(())
    }

    fn column_for<'a>(&'a self, field: &'a str) -> &'a str {
        self.map.get(field).map_or(field, String::as_str)
    }
}

fn normalise(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').trim().to_lowercase()
}

fn resolve<const N: usize>(
    path: &Path,
    headers: &[String],
    fields: [(&'static str, bool); N],
    mapping: &ColumnMapping,
) -> Result<Columns<N>, IngestError> {
    let normalised: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
    let reject_reason = normalised.iter().position(|h| h == super::row::REJECT_REASON_COLUMN);
    let source_line = normalised.iter().position(|h| h == super::row::SOURCE_LINE_COLUMN);
    let mut cols = Columns { index: [None; N], width: headers.len(), reject_reason, source_line };
    let mut missing = Vec::new();
    for (slot, (name, required)) in fields.iter().enumerate() {
        let want = normalise(mapping.column_for(name));
        cols.index[slot] = normalised.iter().position(|h| *h == want);
        if cols.index[slot].is_none() && *required {
            missing.push(if want == *name { name.to_string() } else { format!("{name} (mapped to '{want}')") });
        }
    }
    if !missing.is_empty() {
        return Err(IngestError::MissingColumns { path: path.into(), missing, found: headers.to_vec() });
    }
    Ok(cols)
}

pub fn transfer_columns(
    path: &Path,
    headers: &[String],
    mapping: &ColumnMapping,
) -> Result<TransferColumns, IngestError> {
    resolve(path, headers, TransferField::ALL.map(|f| (f.name(), f.required())), mapping)
}

pub fn account_columns(
    path: &Path,
    headers: &[String],
    mapping: &ColumnMapping,
) -> Result<AccountColumns, IngestError> {
    resolve(path, headers, AccountField::ALL.map(|f| (f.name(), f.required())), mapping)
}

/// Counts bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A chunk of raw rows, not yet parsed.
pub enum RawChunk {
    /// CSV records with the line each starts on.
    Csv(Vec<(u64, csv::ByteRecord)>),
    /// A record batch with every column cast to UTF-8 text; row numbers start at `first_row`.
    Arrow { first_row: u64, columns: Vec<ArrayRef> },
}

impl RawChunk {
    pub fn len(&self) -> usize {
        match self {
            RawChunk::Csv(rows) => rows.len(),
            RawChunk::Arrow { columns, .. } => columns.first().map_or(0, |c| c.len()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f(line, row)` for each row, in parallel; results in row order.
    pub fn par_map<T: Send>(&self, f: impl Fn(u64, &dyn RowCellsDyn) -> T + Sync + Send) -> Vec<T> {
        use rayon::prelude::*;
        match self {
            RawChunk::Csv(rows) => rows.par_iter().map(|(line, rec)| f(*line, rec)).collect(),
            RawChunk::Arrow { first_row, columns } => {
                let strings: Vec<&StringArray> = columns
                    .iter()
                    .map(|c| c.as_any().downcast_ref::<StringArray>().expect("columns are cast to Utf8"))
                    .collect();
                (0..self.len())
                    .into_par_iter()
                    .map(|i| f(first_row + i as u64, &ArrowRow { columns: &strings, row: i }))
                    .collect()
            }
        }
    }
}

/// Object-safe view of a row for [`RawChunk::par_map`].
pub trait RowCellsDyn: Sync {
    fn cell_dyn(&self, column: usize) -> Option<&[u8]>;
    fn width_dyn(&self) -> usize;
}

impl<T: RowCells + Sync> RowCellsDyn for T {
    fn cell_dyn(&self, column: usize) -> Option<&[u8]> {
        self.cell(column)
    }
    fn width_dyn(&self) -> usize {
        self.width()
    }
}

impl RowCells for dyn RowCellsDyn + '_ {
    fn cell(&self, column: usize) -> Option<&[u8]> {
        self.cell_dyn(column)
    }
    fn width(&self) -> usize {
        self.width_dyn()
    }
}

struct ArrowRow<'a> {
    columns: &'a [&'a StringArray],
    row: usize,
}

impl RowCells for ArrowRow<'_> {
    fn cell(&self, column: usize) -> Option<&[u8]> {
        let a = self.columns.get(column)?;
        (!a.is_null(self.row)).then(|| a.value(self.row).as_bytes())
    }
    fn width(&self) -> usize {
        self.columns.len()
    }
}

enum Reader {
    Csv(csv::Reader<Counting<BufReader<File>>>),
    Batches(Box<dyn Iterator<Item = Result<RecordBatch, arrow::error::ArrowError>> + Send>),
}

/// An opened input file with its header.
pub struct Source {
    pub path: PathBuf,
    pub format: Format,
    pub headers: Vec<String>,
    pub total_bytes: u64,
    pub bytes_read: Arc<AtomicU64>,
    reader: Reader,
    next_row: u64,
    pending: Option<RecordBatch>,
}

impl Source {
    pub fn open(path: &Path, delimiter: u8) -> Result<Source, IngestError> {
        let format = detect_format(path)?;
        let io = |source| IngestError::Io { path: path.into(), source };
        let file = File::open(path).map_err(io)?;
        let total_bytes = file.metadata().map_err(io)?.len();
        let bytes_read = Arc::new(AtomicU64::new(0));
        let arrow_err = |source| IngestError::Arrow { path: path.into(), source };
        let (reader, headers, pending) = match format {
            Format::Csv => {
                let counting = Counting { inner: BufReader::with_capacity(1 << 20, file), count: bytes_read.clone() };
                let mut rdr = csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .has_headers(true)
                    .from_reader(counting);
                let headers = rdr
                    .byte_headers()
                    .map_err(|source| IngestError::Csv { path: path.into(), line: 1, source })?
                    .iter()
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .collect::<Vec<_>>();
                if headers.iter().all(|h| h.trim().is_empty()) {
                    return Err(IngestError::NoHeader { path: path.into() });
                }
                (Reader::Csv(rdr), headers, None)
            }
            Format::Parquet => {
                let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|source| IngestError::Parquet { path: path.into(), source })?;
                let headers = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
                let reader = builder
                    .with_batch_size(65_536)
                    .build()
                    .map_err(|source| IngestError::Parquet { path: path.into(), source })?;
                (Reader::Batches(Box::new(reader)), headers, None)
            }
            Format::ArrowFile => {
                let reader = arrow::ipc::reader::FileReader::try_new(file, None).map_err(arrow_err)?;
                let headers = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
                (Reader::Batches(Box::new(reader)), headers, None)
            }
            Format::ArrowStream => {
                let reader =
                    arrow::ipc::reader::StreamReader::try_new(BufReader::new(file), None).map_err(arrow_err)?;
                let headers = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
                (Reader::Batches(Box::new(reader)), headers, None)
            }
        };
        Ok(Source { path: path.into(), format, headers, total_bytes, bytes_read, reader, next_row: 1, pending })
    }

    /// Reads up to `max_rows` rows (Arrow sources: whole record batches, at least one).
    pub fn next_chunk(&mut self, max_rows: usize) -> Result<Option<RawChunk>, IngestError> {
        match &mut self.reader {
            Reader::Csv(rdr) => {
                let mut rows = Vec::with_capacity(max_rows.min(1 << 16));
                let mut rec = csv::ByteRecord::new();
                while rows.len() < max_rows {
                    match rdr.read_byte_record(&mut rec) {
                        Ok(true) => {
                            let line = rec.position().map_or(0, |p| p.line());
                            rows.push((line, std::mem::take(&mut rec)));
                        }
                        Ok(false) => break,
                        Err(source) => {
                            let line = source.position().map_or(0, |p| p.line());
                            return Err(IngestError::Csv { path: self.path.clone(), line, source });
                        }
                    }
                }
                Ok((!rows.is_empty()).then_some(RawChunk::Csv(rows)))
            }
            Reader::Batches(iter) => {
                let batch = match self.pending.take() {
                    Some(b) => b,
                    None => match iter.next() {
                        None => {
                            self.bytes_read.store(self.total_bytes, Ordering::Relaxed);
                            return Ok(None);
                        }
                        Some(b) => b.map_err(|source| IngestError::Arrow { path: self.path.clone(), source })?,
                    },
                };
                let columns = batch
                    .columns()
                    .iter()
                    .map(|c| arrow::compute::cast(c, &DataType::Utf8))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|source| IngestError::Arrow { path: self.path.clone(), source })?;
                let first_row = self.next_row;
                self.next_row += batch.num_rows() as u64;
                Ok(Some(RawChunk::Arrow { first_row, columns }))
            }
        }
    }
}
