//! Fuzzes the statement-line reader, the header search and the layout proposal: any bytes, read as rows of
//! cells, must give a valid line or a refusal naming a field, and never panic; a proposal reads back as a
//! layout file. The first byte picks which fields the columns hold, so every layout shape (direction column,
//! debit/credit, signed amounts, split times) is reached.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/model.rs"]
mod model;
#[path = "../../src/money.rs"]
mod money;
#[path = "../../src/timefmt.rs"]
mod timefmt;
#[path = "../../src/policy.rs"]
mod policy;
// At the crate root, as `layout.rs` finds `line` through `super::`.
#[path = "../../src/statements/line.rs"]
mod line;
#[path = "../../src/statements/layout.rs"]
mod layout;
#[path = "../../src/statements/propose.rs"]
mod propose;

use libfuzzer_sys::fuzz_target;
use line::{FieldColumns, StatementField};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(body);
    let rows: Vec<Vec<String>> =
        text.lines().take(64).map(|l| l.split([',', '\t']).map(str::to_string).collect()).collect();
    // Columns: the fields in a fixed order, some left out by the bits of `pick`.
    let mut cols = FieldColumns::default();
    let mut i = 0;
    for (k, f) in StatementField::ALL.iter().enumerate() {
        if (pick as usize >> (k % 8)) & 1 == 1 || matches!(f, StatementField::Amount | StatementField::DateTime) {
            cols.index.insert(*f, i);
            i += 1;
        }
    }
    let words = line::DirectionWords::builtin();
    let ctx = line::LineContext {
        words: Some(&words),
        account_default: "6222000000000001",
        year_hint: Some((2026, 1)),
        ..line::LineContext::default()
    };
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        match line::parse_line(&cells, &cols, &ctx, timefmt::DEFAULT_TZ) {
            Ok(line::Parsed::Line(l)) => {
                assert!(l.amount_fen > 0);
                assert!(!l.account.is_empty());
                // What was accepted formats back to an amount that reads the same.
                assert_eq!(money::parse_yuan(&money::Fen(l.amount_fen).to_string()), Ok(l.amount_fen));
            }
            Ok(line::Parsed::NoMoney(why)) => assert!(!why.is_empty()),
            Err(e) => assert!(!e.field.is_empty() && !e.reason.is_empty()),
        }
        for c in &cells {
            let _ = line::clean_account(c);
            let _ = line::parse_signed_amount(c);
            let _ = line::line_time(Some(c), None, None, timefmt::DEFAULT_TZ);
            let _ = line::split_name_and_account(c);
            let _ = line::payment_source(c);
        }
    }
    let layouts = layout::Layouts::builtin();
    // The header search over any title block (and platform bills' shapes: the first byte's bits pick
    // headers of the named layouts to put among the rows).
    let mut with_headers = rows.clone();
    for (k, l) in layouts.named().iter().enumerate() {
        if (pick as usize).wrapping_mul(31).wrapping_add(k) % 11 == 0 {
            with_headers.insert((k * 7) % (with_headers.len() + 1), l.signature.clone());
        }
    }
    for rows in [&rows, &with_headers] {
        if let Some(m) = layout::find_header(rows, &layouts) {
            assert!(m.row < rows.len());
            assert!(layout::missing_fields(&m.cols, layouts.layout(&m).kind).is_empty());
        }
        let _ = layout::title_facts(rows);
        let _ = layout::best_guess(rows, &layouts);
        // A proposal for any rows: its header is a row of the file, and its text reads back as a layout file.
        if let Some(p) = propose::propose(rows, "", &layouts, "fuzz.csv") {
            assert!(p.header_row <= rows.len());
            assert!(p.sample_rows_read <= p.sample_rows);
            let mut back = layout::Layouts::builtin();
            assert!(back.add_text(&p.toml, "proposal").is_ok(), "{}", p.toml);
        }
    }
});
