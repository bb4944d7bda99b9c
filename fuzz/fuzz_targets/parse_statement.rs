//! Fuzzes the statement-line reader and the header search: any bytes, read as rows of cells, must give a
//! valid line or a refusal naming a field, and never panic. The first byte picks which fields the columns
//! hold, so every layout shape (direction column, debit/credit, signed amounts, split times) is reached.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/model.rs"]
mod model;
#[path = "../../src/money.rs"]
mod money;
#[path = "../../src/timefmt.rs"]
mod timefmt;
// At the crate root, as `layout.rs` finds `line` through `super::`.
#[path = "../../src/statements/line.rs"]
mod line;
#[path = "../../src/statements/layout.rs"]
mod layout;

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
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        match line::parse_line(&cells, &cols, &words, "6222000000000001", timefmt::DEFAULT_TZ) {
            Ok(l) => {
                assert!(l.amount_fen > 0);
                assert!(!l.account.is_empty());
                // What was accepted formats back to an amount that reads the same.
                assert_eq!(money::parse_yuan(&money::Fen(l.amount_fen).to_string()), Ok(l.amount_fen));
            }
            Err(e) => assert!(!e.field.is_empty() && !e.reason.is_empty()),
        }
        for c in &cells {
            let _ = line::clean_account(c);
            let _ = line::parse_signed_amount(c);
            let _ = line::line_time(Some(c), None, None, timefmt::DEFAULT_TZ);
        }
    }
    let layouts = layout::Layouts::builtin();
    let _ = layout::find_header(&rows, &layouts);
    let _ = layout::title_facts(&rows);
    let _ = layout::best_guess(&rows, &layouts);
});
