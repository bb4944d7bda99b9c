//! Timestamps: parsed from the forms bank exports and case systems use, held as epoch milliseconds (UTC).
//!
//! Accepted (see [`parse_ts`]):
//! - `YYYY-MM-DD HH:MM:SS` (also `T` for the space, `/` for `-`, optional fraction, minutes-only) in the
//!   local zone given (Asia/Shanghai by default);
//! - RFC 3339 with `Z` or an offset (`2026-01-05T10:00:00+08:00`): the offset wins over the zone;
//! - `YYYY-MM-DD` alone: local midnight (handy for `--from`/`--to`);
//! - `YYYYMMDDHHMMSS` (14 digits, a common bank export) in the local zone;
//! - epoch seconds (up to 11 digits) or epoch milliseconds (12 or 13 digits).
//!
//! A local time that does not exist or is ambiguous in the zone (daylight-saving changes) is rejected
//! rather than guessed: a stop-payment request must match the bank's transaction time.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

pub const DEFAULT_TZ: Tz = chrono_tz::Asia::Shanghai;

/// Units of time in the milliseconds every time inside is held in (units, not thresholds: the windows
/// analysis uses are in `policy.rs`, written in these).
pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TsError {
    #[error("empty time")]
    Empty,
    #[error("unrecognised time format (expected YYYY-MM-DD HH:MM:SS, RFC 3339, YYYYMMDDHHMMSS, epoch seconds or milliseconds)")]
    Format,
    #[error("no such date or time")]
    OutOfRange,
    #[error("local time does not exist in {0} (daylight-saving gap)")]
    Nonexistent(Tz),
    #[error("local time is ambiguous in {0} (daylight-saving overlap); give an offset")]
    Ambiguous(Tz),
}

/// Parses a time zone name such as `Asia/Shanghai` or `UTC`.
pub fn parse_tz(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| format!("unknown time zone '{name}' (use an IANA name such as Asia/Shanghai)"))
}

/// Parses a timestamp into epoch milliseconds. `tz` applies only to forms without an offset.
pub fn parse_ts(input: &str, tz: Tz) -> Result<i64, TsError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(TsError::Empty);
    }
    let b = s.as_bytes();
    if b.iter().all(u8::is_ascii_digit) {
        return match b.len() {
            1..=11 => s.parse::<i64>().map_err(|_| TsError::Format).map(|v| v * 1000),
            12 | 13 => s.parse::<i64>().map_err(|_| TsError::Format),
            14 => {
                let n = |r: std::ops::Range<usize>| num(&b[r]);
                let date = NaiveDate::from_ymd_opt(n(0..4) as i32, n(4..6), n(6..8)).ok_or(TsError::OutOfRange)?;
                let time = NaiveTime::from_hms_opt(n(8..10), n(10..12), n(12..14)).ok_or(TsError::OutOfRange)?;
                local_to_ms(NaiveDateTime::new(date, time), tz)
            }
            _ => Err(TsError::Format),
        };
    }
    // Date part: YYYY-MM-DD or YYYY/MM/DD.
    if b.len() < 10 || !(b[4] == b'-' || b[4] == b'/') || b[7] != b[4] {
        return Err(TsError::Format);
    }
    let date_digits = [&b[0..4], &b[5..7], &b[8..10]];
    if !date_digits.iter().all(|d| d.iter().all(u8::is_ascii_digit)) {
        return Err(TsError::Format);
    }
    let date =
        NaiveDate::from_ymd_opt(num(&b[0..4]) as i32, num(&b[5..7]), num(&b[8..10])).ok_or(TsError::OutOfRange)?;
    if b.len() == 10 {
        return local_to_ms(date.and_time(NaiveTime::MIN), tz);
    }
    if !(b[10] == b' ' || b[10] == b'T' || b[10] == b't') {
        return Err(TsError::Format);
    }
    let rest = &b[11..];
    // HH:MM[:SS[.fff]]
    if rest.len() < 5 || rest[2] != b':' || !is_digits(&rest[0..2]) || !is_digits(&rest[3..5]) {
        return Err(TsError::Format);
    }
    let (hour, minute) = (num(&rest[0..2]), num(&rest[3..5]));
    let mut i = 5;
    let mut second = 0;
    let mut nanos = 0u32;
    if rest.len() >= 8 && rest[5] == b':' {
        if !is_digits(&rest[6..8]) {
            return Err(TsError::Format);
        }
        second = num(&rest[6..8]);
        i = 8;
        if rest.len() > 8 && (rest[8] == b'.' || rest[8] == b',') {
            let start = 9;
            let mut end = start;
            while end < rest.len() && rest[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return Err(TsError::Format);
            }
            let frac = &rest[start..end.min(start + 9)];
            nanos = num(frac) * 10u32.pow(9 - frac.len() as u32);
            i = end;
        }
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or(TsError::OutOfRange)?;
    let naive = NaiveDateTime::new(date, time);
    let tail = &rest[i..];
    let tail = tail.strip_prefix(b" ").unwrap_or(tail);
    match tail {
        [] => local_to_ms(naive, tz),
        [b'Z' | b'z'] => Ok(naive.and_utc().timestamp_millis()),
        [sign @ (b'+' | b'-'), hh @ ..] => {
            let digits: Vec<u8> = hh.iter().copied().filter(|c| *c != b':').collect();
            if digits.len() != 4 || !is_digits(&digits) || (hh.len() == 5 && hh[2] != b':') {
                return Err(TsError::Format);
            }
            let offset_min = (num(&digits[0..2]) * 60 + num(&digits[2..4])) as i64;
            if offset_min >= 24 * 60 {
                return Err(TsError::OutOfRange);
            }
            let offset_ms = offset_min * MINUTE_MS * if *sign == b'+' { 1 } else { -1 };
            Ok(naive.and_utc().timestamp_millis() - offset_ms)
        }
        _ => Err(TsError::Format),
    }
}

fn is_digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

fn num(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
}

fn local_to_ms(naive: NaiveDateTime, tz: Tz) -> Result<i64, TsError> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(dt) => Ok(dt.timestamp_millis()),
        LocalResult::None => Err(TsError::Nonexistent(tz)),
        LocalResult::Ambiguous(_, _) => Err(TsError::Ambiguous(tz)),
    }
}

fn to_zoned(ms: i64, tz: Tz) -> DateTime<Tz> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or(DateTime::<Utc>::MIN_UTC).with_timezone(&tz)
}

/// `YYYY-MM-DD HH:MM:SS` in `tz` (milliseconds shown only when present): for tables and CSV.
pub fn format_ts(ms: i64, tz: Tz) -> String {
    let dt = to_zoned(ms, tz);
    if ms.rem_euclid(1000) == 0 {
        dt.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        dt.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }
}

/// `YYYY-MM-DD`, the local date in `tz`: for day partitions.
pub fn format_local_date(ms: i64, tz: Tz) -> String {
    to_zoned(ms, tz).format("%Y-%m-%d").to_string()
}

/// RFC 3339 with the zone's offset (`2026-01-05T10:00:00+08:00`): for JSON.
pub fn format_rfc3339(ms: i64, tz: Tz) -> String {
    let dt = to_zoned(ms, tz);
    if ms.rem_euclid(1000) == 0 {
        dt.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    } else {
        dt.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
    }
}

/// Days since 1970-01-01 of a local `YYYY-MM-DD` date (account opening dates).
pub fn parse_date_days(input: &str) -> Result<i32, TsError> {
    let s = input.trim();
    let b = s.as_bytes();
    if b.len() == 8 && is_digits(b) {
        let d =
            NaiveDate::from_ymd_opt(num(&b[0..4]) as i32, num(&b[4..6]), num(&b[6..8])).ok_or(TsError::OutOfRange)?;
        return Ok(days_since_epoch(d));
    }
    if b.len() < 10
        || !(b[4] == b'-' || b[4] == b'/')
        || b[7] != b[4]
        || !is_digits(&b[0..4])
        || !is_digits(&b[5..7])
        || !is_digits(&b[8..10])
    {
        return Err(TsError::Format);
    }
    // Accept a datetime too, keeping its date.
    if b.len() > 10 && !(b[10] == b' ' || b[10] == b'T') {
        return Err(TsError::Format);
    }
    let d = NaiveDate::from_ymd_opt(num(&b[0..4]) as i32, num(&b[5..7]), num(&b[8..10])).ok_or(TsError::OutOfRange)?;
    Ok(days_since_epoch(d))
}

fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// `YYYY-MM-DD` of a day count from [`parse_date_days`].
pub fn format_date_days(days: i32) -> String {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (epoch + chrono::Duration::days(i64::from(days))).format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SH: Tz = DEFAULT_TZ;
    // 2026-01-05 10:00:00 +08:00 = 2026-01-05 02:00:00 UTC.
    const T: i64 = 1_767_578_400_000;

    #[test]
    fn local_forms_use_the_zone() {
        assert_eq!(parse_ts("2026-01-05 10:00:00", SH), Ok(T));
        assert_eq!(parse_ts("2026/01/05 10:00:00", SH), Ok(T));
        assert_eq!(parse_ts("2026-01-05T10:00:00", SH), Ok(T));
        assert_eq!(parse_ts("2026-01-05 10:00", SH), Ok(T));
        assert_eq!(parse_ts("20260105100000", SH), Ok(T));
        assert_eq!(parse_ts("2026-01-05 10:00:00.250", SH), Ok(T + 250));
        assert_eq!(parse_ts("2026-01-05", SH), Ok(T - 10 * 3_600_000));
        assert_eq!(parse_ts("2026-01-05 02:00:00", chrono_tz::UTC), Ok(T));
    }

    #[test]
    fn offsets_and_epochs_are_absolute() {
        assert_eq!(parse_ts("2026-01-05T10:00:00+08:00", chrono_tz::UTC), Ok(T));
        assert_eq!(parse_ts("2026-01-05T02:00:00Z", SH), Ok(T));
        assert_eq!(parse_ts("2026-01-05T03:00:00+0100", SH), Ok(T));
        assert_eq!(parse_ts("2026-01-04T21:00:00-05:00", SH), Ok(T));
        assert_eq!(parse_ts("1767578400", SH), Ok(T));
        assert_eq!(parse_ts("1767578400000", SH), Ok(T));
    }

    #[test]
    fn rejects_nonsense_and_dst_gaps() {
        assert_eq!(parse_ts("", SH), Err(TsError::Empty));
        assert_eq!(parse_ts("2026-13-01 00:00:00", SH), Err(TsError::OutOfRange));
        assert_eq!(parse_ts("2026-02-30 00:00:00", SH), Err(TsError::OutOfRange));
        assert_eq!(parse_ts("2026-01-05 25:00:00", SH), Err(TsError::OutOfRange));
        assert_eq!(parse_ts("05/01/2026 10:00", SH), Err(TsError::Format));
        assert_eq!(parse_ts("yesterday", SH), Err(TsError::Format));
        assert_eq!(parse_ts("2026-01-05 10:00:00+8", SH), Err(TsError::Format));
        let ny = chrono_tz::America::New_York;
        assert_eq!(parse_ts("2026-03-08 02:30:00", ny), Err(TsError::Nonexistent(ny)));
        assert_eq!(parse_ts("2026-11-01 01:30:00", ny), Err(TsError::Ambiguous(ny)));
    }

    #[test]
    fn formats_in_zone() {
        assert_eq!(format_ts(T, SH), "2026-01-05 10:00:00");
        assert_eq!(format_rfc3339(T, SH), "2026-01-05T10:00:00+08:00");
        assert_eq!(format_ts(T + 5, SH), "2026-01-05 10:00:00.005");
        assert_eq!(parse_date_days("1970-01-02"), Ok(1));
        assert_eq!(format_date_days(parse_date_days("2025-12-31").unwrap()), "2025-12-31");
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(ms in -2_000_000_000_000i64..4_000_000_000_000i64) {
            // With its offset, every instant round-trips.
            prop_assert_eq!(parse_ts(&format_rfc3339(ms, SH), chrono_tz::UTC), Ok(ms));
            // Without one, only where the local time names one instant: China kept summer time in
            // 1919, 1940-49 and 1986-91, and an hour of each autumn's fall-back is ambiguous (refused, as
            // rejects_nonsense_and_dst_gaps shows for New York).
            match parse_ts(&format_ts(ms, SH), SH) {
                Err(TsError::Ambiguous(_)) => prop_assert!(ms < 700_000_000_000, "no fold in Shanghai after 1991: {ms}"),
                other => prop_assert_eq!(other, Ok(ms)),
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = parse_ts(&s, SH);
            let _ = parse_date_days(&s);
        }
    }
}
