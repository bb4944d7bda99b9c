//! Balance continuity: in the bank's own order, each line's balance is the previous balance plus money in or
//! minus money out. A break means missing lines or pages (or a line booked out of order): the investigator
//! asks the bank again before relying on the statement.

use serde::Serialize;

use crate::money::Fen;

/// One line of an account's statement ledger, in the bank's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerLine {
    pub ts_ms: i64,
    /// Money in is positive, money out negative.
    pub signed_fen: i64,
    pub balance_fen: Option<i64>,
    /// Where it came from, as shown to people: `file, sheet, row`.
    pub source: String,
}

/// A break between two consecutive lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Break {
    /// The line before the break and its balance.
    pub before: String,
    pub before_balance: Fen,
    /// The line after it: what its balance should have been, and what the bank wrote.
    pub after: String,
    pub expected_balance: Fen,
    pub found_balance: Fen,
    /// found − expected: money the statement does not account for.
    pub gap: Fen,
}

/// What one account's lines say: period, count, opening and closing balance, breaks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Continuity {
    pub first_ts_ms: Option<i64>,
    pub last_ts_ms: Option<i64>,
    pub records: u64,
    /// The balance before the first line (its balance minus its own amount), when the bank gives balances.
    pub opening_fen: Option<i64>,
    pub closing_fen: Option<i64>,
    pub breaks: Vec<Break>,
}

pub fn continuity(lines: &[LedgerLine]) -> Continuity {
    let mut c = Continuity { records: lines.len() as u64, ..Default::default() };
    c.first_ts_ms = lines.first().map(|l| l.ts_ms);
    c.last_ts_ms = lines.last().map(|l| l.ts_ms);
    // The last line with a balance, and the money of lines without one since.
    let mut last: Option<(&LedgerLine, i64)> = None;
    let mut pending = 0i64;
    for l in lines {
        let Some(b) = l.balance_fen else {
            pending += l.signed_fen;
            continue;
        };
        match last {
            None => c.opening_fen = Some(b - l.signed_fen - pending),
            Some((p, pb)) => {
                let expected = pb + pending + l.signed_fen;
                if expected != b {
                    c.breaks.push(Break {
                        before: p.source.clone(),
                        before_balance: Fen(pb),
                        after: l.source.clone(),
                        expected_balance: Fen(expected),
                        found_balance: Fen(b),
                        gap: Fen(b - expected),
                    });
                }
            }
        }
        last = Some((l, b));
        pending = 0;
        c.closing_fen = Some(b);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(ts: i64, signed: i64, balance: Option<i64>) -> LedgerLine {
        LedgerLine { ts_ms: ts, signed_fen: signed, balance_fen: balance, source: format!("f.csv, row {ts}") }
    }

    #[test]
    fn continuous_lines_have_no_break_and_give_the_opening_balance() {
        let c = continuity(&[l(1, 500, Some(1500)), l(2, -200, Some(1300)), l(3, 100, Some(1400))]);
        assert_eq!((c.opening_fen, c.closing_fen, c.records, c.breaks.len()), (Some(1000), Some(1400), 3, 0));
    }

    #[test]
    fn a_missing_line_is_a_break_with_both_sides_named() {
        // Between rows 2 and 4 a payment of 300 is missing.
        let c = continuity(&[l(1, 500, Some(1500)), l(2, -200, Some(1300)), l(4, 100, Some(1100))]);
        assert_eq!(c.breaks.len(), 1);
        let b = &c.breaks[0];
        assert_eq!((b.before.as_str(), b.after.as_str()), ("f.csv, row 2", "f.csv, row 4"));
        assert_eq!((b.expected_balance, b.found_balance, b.gap), (Fen(1400), Fen(1100), Fen(-300)));
    }

    #[test]
    fn lines_without_balances_are_not_breaks() {
        let c = continuity(&[l(1, 500, None), l(2, -200, Some(1300)), l(3, 1, None), l(4, 100, Some(1401))]);
        assert_eq!(c.opening_fen, Some(1000), "before line 1: 1300 + 200 - 500");
        assert!(c.breaks.is_empty(), "{:?}", c.breaks);
        let c = continuity(&[l(2, -200, Some(1300)), l(3, 1, None), l(4, 100, Some(1400))]);
        assert_eq!(c.breaks[0].gap, Fen(-1), "the line without a balance still counts");
    }
}
