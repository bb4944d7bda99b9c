//! Money is integer fen (1 yuan = 100 fen), never floating point.
//!
//! Input amounts are decimal yuan strings; output amounts are decimal yuan strings with exactly two
//! decimals (`"1299.00"`), everywhere: tables, CSV and JSON. One representation, so a case system never
//! has to guess whether a number is yuan or fen.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in fen. Serialises as a decimal yuan string (`"1299.00"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::ops::Add for Fen {
    type Output = Fen;
    fn add(self, rhs: Fen) -> Fen {
        Fen(self.0 + rhs.0)
    }
}

impl std::ops::AddAssign for Fen {
    fn add_assign(&mut self, rhs: Fen) {
        self.0 += rhs.0;
    }
}

impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        Fen(iter.map(|f| f.0).sum())
    }
}

impl Serialize for Fen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fen, D::Error> {
        let s = String::deserialize(d)?;
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.as_str()),
        };
        let v = parse_yuan(body).map_err(serde::de::Error::custom)?;
        Ok(Fen(if neg { -v } else { v }))
    }
}

/// Why an amount string was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("empty amount")]
    Empty,
    #[error("not a decimal number")]
    NotANumber,
    #[error("more than two decimals (fen is the smallest unit)")]
    TooManyDecimals,
    #[error("thousands separators must group three digits (a decimal comma is not accepted)")]
    BadGrouping,
    #[error("amount must be positive")]
    NotPositive,
    #[error("amount too large (at most 9,999,999,999,999.99 yuan: more than any bank books in one entry)")]
    TooLarge,
}

/// The largest amount accepted anywhere (fen): 13 digits of yuan, beyond any amount a bank books in one
/// entry. Bounding every amount keeps sums of thousands of them inside i64 (they are checked anyway).
pub const MAX_AMOUNT_FEN: i64 = 999_999_999_999_999;

/// Parses decimal yuan (`1299`, `1,299.5`, `¥1,299.00`, `+12.30`) into fen, at most [`MAX_AMOUNT_FEN`].
///
/// Strict on purpose: `12,99` is rejected rather than guessed (European decimal comma or a typo?), and
/// so is a third decimal, because silently rounding an investigator's evidence is worse than rejecting
/// the row. Zero and negative amounts are rejected by [`parse_positive_yuan`], not here.
pub fn parse_yuan(input: &str) -> Result<i64, AmountError> {
    let mut s = input.trim();
    if s.is_empty() {
        return Err(AmountError::Empty);
    }
    if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s.starts_with('-') {
        return Err(AmountError::NotPositive);
    }
    for sym in ["¥", "￥", "RMB", "CNY"] {
        if let Some(rest) = s.strip_prefix(sym) {
            s = rest.trim_start();
            break;
        }
    }
    if s.starts_with('-') {
        return Err(AmountError::NotPositive);
    }
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if int_part.is_empty() && frac_part.is_none_or(|f| f.is_empty()) {
        return Err(AmountError::NotANumber);
    }
    let mut yuan: i64 = 0;
    if int_part.contains(',') {
        let mut groups = int_part.split(',');
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 {
            return Err(AmountError::BadGrouping);
        }
        yuan = digits(first, yuan)?;
        for g in groups {
            if g.len() != 3 {
                return Err(AmountError::BadGrouping);
            }
            yuan = digits(g, yuan)?;
        }
    } else if !int_part.is_empty() {
        yuan = digits(int_part, 0)?;
    }
    let fen_part = match frac_part {
        None => 0,
        Some(f) => {
            if !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AmountError::NotANumber);
            }
            if f.len() > 2 {
                // Trailing zeros beyond two decimals carry no value ("12.300" is 12.30).
                let (keep, extra) = f.split_at(2);
                if !extra.bytes().all(|b| b == b'0') {
                    return Err(AmountError::TooManyDecimals);
                }
                digits(keep, 0)?
            } else if f.is_empty() {
                0
            } else {
                let v = digits(f, 0)?;
                if f.len() == 1 {
                    v * 10
                } else {
                    v
                }
            }
        }
    };
    yuan.checked_mul(100)
        .and_then(|v| v.checked_add(fen_part))
        .filter(|v| *v <= MAX_AMOUNT_FEN)
        .ok_or(AmountError::TooLarge)
}

/// [`parse_yuan`], and the amount must be above zero: a transfer of nothing is not a transfer.
pub fn parse_positive_yuan(input: &str) -> Result<i64, AmountError> {
    let v = parse_yuan(input)?;
    if v <= 0 {
        return Err(AmountError::NotPositive);
    }
    Ok(v)
}

fn digits(s: &str, acc: i64) -> Result<i64, AmountError> {
    let mut v = acc;
    if s.is_empty() {
        return Err(AmountError::NotANumber);
    }
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(AmountError::NotANumber);
        }
        v = v.checked_mul(10).and_then(|v| v.checked_add(i64::from(b - b'0'))).ok_or(AmountError::TooLarge)?;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_forms_banks_export() {
        assert_eq!(parse_yuan("1299"), Ok(129_900));
        assert_eq!(parse_yuan("1299.5"), Ok(129_950));
        assert_eq!(parse_yuan("1,299.05"), Ok(129_905));
        assert_eq!(parse_yuan("¥1,299.00"), Ok(129_900));
        assert_eq!(parse_yuan("￥ 14,352"), Ok(1_435_200));
        assert_eq!(parse_yuan("1,000,000.01"), Ok(100_000_001));
        assert_eq!(parse_yuan("0.01"), Ok(1));
        assert_eq!(parse_yuan(".5"), Ok(50));
        assert_eq!(parse_yuan("12."), Ok(1200));
        assert_eq!(parse_yuan("12.300"), Ok(1230));
        assert_eq!(parse_yuan(" 7 "), Ok(700));
        assert_eq!(parse_yuan("9,999,999,999,999.99"), Ok(MAX_AMOUNT_FEN));
    }

    #[test]
    fn rejects_what_it_would_have_to_guess() {
        assert_eq!(parse_yuan(""), Err(AmountError::Empty));
        assert_eq!(parse_yuan("12,99"), Err(AmountError::BadGrouping));
        assert_eq!(parse_yuan("1,2345"), Err(AmountError::BadGrouping));
        assert_eq!(parse_yuan("1.234"), Err(AmountError::TooManyDecimals));
        assert_eq!(parse_yuan("1e5"), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("abc"), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("."), Err(AmountError::NotANumber));
        assert_eq!(parse_yuan("-5"), Err(AmountError::NotPositive));
        assert_eq!(parse_yuan("99999999999999999999"), Err(AmountError::TooLarge));
        // Fits in i64 fen, but no bank books it: a sum of ten thousand of them would wrap.
        assert_eq!(parse_yuan("10000000000000"), Err(AmountError::TooLarge));
        assert_eq!(parse_yuan("92233720368547758.07"), Err(AmountError::TooLarge));
        assert_eq!(parse_positive_yuan("0.00"), Err(AmountError::NotPositive));
    }

    #[test]
    fn formats_two_decimals() {
        assert_eq!(Fen(129_900).to_string(), "1299.00");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(-105).to_string(), "-1.05");
        assert_eq!(serde_json::to_string(&Fen(1)).unwrap(), "\"0.01\"");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(fen in 1i64..=MAX_AMOUNT_FEN) {
            prop_assert_eq!(parse_yuan(&Fen(fen).to_string()), Ok(fen));
            let back: Fen = serde_json::from_str(&serde_json::to_string(&Fen(fen)).unwrap()).unwrap();
            prop_assert_eq!(back, Fen(fen));
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_yuan(&s);
        }
    }
}
