//! Calendar arithmetic for local Asia/Shanghai wall time (fixed UTC+8, no DST).
//!
//! Internally a timestamp is the number of seconds since 1970-01-01 00:00:00 *local* time, so
//! formatting needs no zone conversion at all.

pub(crate) const DAY: i64 = 86_400;
pub(crate) const HOUR: i64 = 3_600;
pub(crate) const MINUTE: i64 = 60;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = i64::from(y) - i64::from(m <= 2);
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // d is in 1..=31 and m in 1..=12, so the conversions cannot fail.
    (y, u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1))
}

pub(crate) fn is_valid_date(y: i32, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= dim
}

fn put2(out: &mut [u8], v: i64) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

/// `YYYY-MM-DD` of a day number (years 0..=9999).
pub(crate) fn format_date(day: i64) -> [u8; 10] {
    let (y, m, d) = civil_from_days(day);
    let mut b = *b"0000-00-00";
    put2(&mut b[0..2], y / 100);
    put2(&mut b[2..4], y % 100);
    put2(&mut b[5..7], i64::from(m));
    put2(&mut b[8..10], i64::from(d));
    b
}

/// `YYYY-MM-DD HH:MM:SS` of a local timestamp.
pub(crate) fn format_ts(ts: i64) -> [u8; 19] {
    let day = ts.div_euclid(DAY);
    let sod = ts.rem_euclid(DAY);
    let mut b = *b"0000-00-00 00:00:00";
    b[..10].copy_from_slice(&format_date(day));
    put2(&mut b[11..13], sod / HOUR);
    put2(&mut b[14..16], sod % HOUR / MINUTE);
    put2(&mut b[17..19], sod % MINUTE);
    b
}

pub(crate) fn ts_string(ts: i64) -> String {
    String::from_utf8_lossy(&format_ts(ts)).into_owned()
}

pub(crate) fn date_string(day: i64) -> String {
    String::from_utf8_lossy(&format_date(day)).into_owned()
}

/// Parse `YYYY-MM-DD HH:MM:SS` back into a local timestamp (used by tests and readers).
#[cfg(test)]
pub(crate) fn parse_ts(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let day = days_from_civil(i32::try_from(y).ok()?, u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    Some(day * DAY + hh * HOUR + mm * MINUTE + ss)
}
