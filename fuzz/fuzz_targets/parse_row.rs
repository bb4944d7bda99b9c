//! Fuzzes the input-row parser: any bytes, read as CSV, must parse into a valid transfer or account, or
//! a rejection naming a field, and never panic.
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

use libfuzzer_sys::fuzz_target;
use row::{AccountColumns, TransferColumns};

fuzz_target!(|data: &[u8]| {
    let (delim, body) = match data.split_first() {
        Some((d, rest)) => (if *d % 2 == 0 { b',' } else { b'\t' }, rest),
        None => return,
    };
    let mut tcols = TransferColumns { width: 12, ..Default::default() };
    for i in 0..12 {
        tcols.index[i] = Some(i);
    }
    let mut acols = AccountColumns { width: 9, ..Default::default() };
    for i in 0..9 {
        acols.index[i] = Some(i);
    }
    let mut rdr = csv::ReaderBuilder::new().delimiter(delim).flexible(true).has_headers(false).from_reader(body);
    for rec in rdr.byte_records().take(64) {
        let Ok(rec) = rec else { return };
        match row::parse_transfer(&rec, &tcols, timefmt::DEFAULT_TZ) {
            Ok(t) => {
                assert!(t.amount_fen > 0);
                assert!(!t.txn_id.is_empty() && !t.src.is_empty() && !t.dst.is_empty());
                // What was accepted formats back to something that parses to the same value.
                assert_eq!(money::parse_yuan(&money::Fen(t.amount_fen).to_string()), Ok(t.amount_fen));
            }
            Err(e) => assert!(!e.reason.is_empty()),
        }
        let _ = row::parse_account(&rec, &acols);
    }
    if let Ok(s) = std::str::from_utf8(body) {
        let _ = timefmt::parse_ts(s, timefmt::DEFAULT_TZ);
        let _ = money::parse_yuan(s);
    }
});
