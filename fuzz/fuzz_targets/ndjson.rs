//! Fuzzes the NDJSON-to-CSV converter of uploads: any bytes, fed in two pieces split anywhere, give the
//! same CSV as fed whole (the chunking of a network body must not change what is ingested), the CSV reads
//! back with every row of the fixed width, there are never more rows than lines, and nothing panics.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/model.rs"]
mod model;
#[path = "../../src/money.rs"]
mod money;
#[path = "../../src/timefmt.rs"]
mod timefmt;
#[path = "../../src/ingest/row.rs"]
mod row;
#[path = "../../src/ingest/ndjson.rs"]
mod ndjson;

use libfuzzer_sys::fuzz_target;
use ndjson::{NdjsonToCsv, TRANSFER_COLUMNS};

fn convert(pieces: &[&[u8]]) -> Vec<u8> {
    let mut c = NdjsonToCsv::new(TRANSFER_COLUMNS);
    let mut out = Vec::new();
    for p in pieces {
        out.extend(c.feed(p));
    }
    out.extend(c.finish());
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, body)) = data.split_first() else { return };
    let at = if body.is_empty() { 0 } else { usize::from(split) * body.len() / 255 };
    let whole = convert(&[body]);
    assert_eq!(whole, convert(&[&body[..at], &body[at..]]), "the split at {at} changed the output");
    let mut rows = 0usize;
    for record in csv::ReaderBuilder::new().has_headers(true).from_reader(whole.as_slice()).records() {
        let record = record.expect("the converter writes valid CSV");
        assert_eq!(record.len(), TRANSFER_COLUMNS.len() + 2);
        rows += 1;
    }
    let lines = body.split(|b| *b == b'\n').count();
    assert!(rows <= lines, "{rows} rows from {lines} lines");
});
