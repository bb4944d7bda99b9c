//! Fuzzes the amount and time parsers every input path uses: any text either parses or is refused, never
//! panics; an amount is within what a bank books and prints back to the same fen.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/money.rs"]
mod money;
#[path = "../../src/timefmt.rs"]
mod timefmt;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(fen) = money::parse_yuan(text) {
        assert!((0..=money::MAX_AMOUNT_FEN).contains(&fen), "{text:?} -> {fen}");
        assert_eq!(money::parse_yuan(&money::Fen(fen).to_string()), Ok(fen), "{text:?}");
    }
    let _ = money::parse_positive_yuan(text);
    for tz in [chrono_tz::Asia::Shanghai, chrono_tz::UTC, chrono_tz::America::New_York] {
        let _ = timefmt::parse_ts(text, tz);
    }
});
