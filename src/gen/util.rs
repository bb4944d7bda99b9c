//! Small helpers: integer randomness, money formatting, identifiers.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// True with probability `permille / 1000`.
pub(crate) fn chance(rng: &mut ChaCha8Rng, permille: u32) -> bool {
    rng.random_range(0..1000u32) < permille
}

/// Uniform pick from a non-empty slice.
pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Index drawn with the given integer weights (at least one must be positive).
pub(crate) fn weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.random_range(0..total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// `value * permille / 1000` in integers.
pub(crate) fn per_mille(value: i64, permille: i64) -> i64 {
    value * permille / 1000
}

/// Decimal yuan with exactly two decimals, from integer fen (`129900` → `1299.00`).
pub(crate) fn fen_to_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// Append the yuan form of `fen` to `buf` (no allocation).
pub(crate) fn push_yuan(buf: &mut Vec<u8>, fen: i64) {
    if fen < 0 {
        buf.push(b'-');
    }
    let a = fen.unsigned_abs();
    push_u64(buf, a / 100, 1);
    buf.push(b'.');
    push_u64(buf, a % 100, 2);
}

/// Append `v` in decimal, left-padded with zeros to at least `width` digits.
pub(crate) fn push_u64(buf: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut tmp = [0u8; 20];
    let mut n = 0;
    loop {
        tmp[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for _ in n..width {
        buf.push(b'0');
    }
    for i in (0..n).rev() {
        buf.push(tmp[i]);
    }
}

/// Luhn check digit for a string of decimal digits.
pub(crate) fn luhn_digit(digits: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, &c) in digits.iter().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    ((10 - sum % 10) % 10) as u8
}

/// A string of `prefix` followed by random digits up to `len` characters in total.
/// With `luhn`, the last digit is a Luhn check digit (bank card numbers).
pub(crate) fn random_number(rng: &mut ChaCha8Rng, prefix: &str, len: usize, luhn: bool) -> String {
    let mut s: Vec<u8> = prefix.as_bytes().to_vec();
    let body = if luhn { len - 1 } else { len };
    while s.len() < body {
        s.push(b'0' + rng.random_range(0..10u8));
    }
    if luhn {
        let c = luhn_digit(&s);
        s.push(b'0' + c);
    }
    String::from_utf8(s).unwrap_or_default()
}
