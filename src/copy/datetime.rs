//! Prisma `DateTime` values as SQLite files hold them, to microseconds since
//! 2000-01-01 00:00:00 UTC (PostgreSQL's `timestamp` epoch). Three forms occur, possibly mixed
//! in one column: ISO 8601 text with `Z` or an offset (the driver adapters' default), integer
//! unix milliseconds (older engines, `timestampFormat: "unixepoch-ms"`), and
//! `YYYY-MM-DD HH:MM:SS` text (`DEFAULT CURRENT_TIMESTAMP` on raw inserts, UTC).

/// Microseconds from 1970-01-01 to 2000-01-01.
pub const UNIX_TO_PG_MICROS: i64 = 946_684_800_000_000;

/// Unix milliseconds to PostgreSQL microseconds; `None` when out of range.
pub fn from_unix_millis(ms: i64) -> Option<i64> {
    ms.checked_mul(1000)?.checked_sub(UNIX_TO_PG_MICROS)
}

/// Days from 1970-01-01 to the civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Reads `n` ASCII digits at `at`.
fn digits(bytes: &[u8], at: usize, n: usize) -> Option<i64> {
    let part = bytes.get(at..at + n)?;
    if !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(part.iter().fold(0, |v, d| v * 10 + i64::from(d - b'0')))
}

/// Parses ISO 8601 / RFC 3339 text (`T` or a blank between date and time; `Z`, `±HH:MM`,
/// `±HHMM`, `±HH` or nothing for UTC; any number of fraction digits) or a date alone, to
/// microseconds since 2000-01-01 UTC, and whether digits below the microsecond were dropped
/// (`Err` with a reason otherwise).
pub fn parse_text(text: &str) -> Result<(i64, bool), &'static str> {
    let b = text.as_bytes();
    let (year, month, day) = match (
        digits(b, 0, 4),
        b.get(4),
        digits(b, 5, 2),
        b.get(7),
        digits(b, 8, 2),
    ) {
        (Some(y), Some(b'-'), Some(m), Some(b'-'), Some(d)) => (y, m, d),
        _ => return Err("expected YYYY-MM-DD at the start"),
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("no such calendar date");
    }
    let mut micros_of_day = 0i64;
    let mut at = 10;
    let mut offset_seconds = 0i64;
    let mut below_micros = false;
    if at < b.len() {
        if b[at] != b'T' && b[at] != b't' && b[at] != b' ' {
            return Err("expected `T` or a blank after the date");
        }
        at += 1;
        let (hour, minute) = match (digits(b, at, 2), b.get(at + 2), digits(b, at + 3, 2)) {
            (Some(h), Some(b':'), Some(m)) => (h, m),
            _ => return Err("expected HH:MM after the date"),
        };
        at += 5;
        let mut second = 0;
        if b.get(at) == Some(&b':') {
            second = digits(b, at + 1, 2).ok_or("expected two digits of seconds")?;
            at += 3;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err("hour, minute or second out of range");
        }
        let mut fraction = 0i64;
        if b.get(at) == Some(&b'.') || b.get(at) == Some(&b',') {
            at += 1;
            let start = at;
            while at < b.len() && b[at].is_ascii_digit() {
                let place = at - start;
                if place < 6 {
                    fraction += i64::from(b[at] - b'0') * 10i64.pow(5 - place as u32);
                } else if b[at] != b'0' {
                    below_micros = true;
                }
                at += 1;
            }
            if at == start {
                return Err("expected digits after the decimal point");
            }
        }
        micros_of_day = ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction;
        match b.get(at) {
            None => {}
            Some(b'Z' | b'z') if at + 1 == b.len() => {}
            Some(sign @ (b'+' | b'-')) => {
                let sign = if *sign == b'-' { -1 } else { 1 };
                let rest = &text[at + 1..];
                let (h, m) = match rest.len() {
                    2 => (digits(b, at + 1, 2), Some(0)),
                    4 => (digits(b, at + 1, 2), digits(b, at + 3, 2)),
                    5 if b[at + 3] == b':' => (digits(b, at + 1, 2), digits(b, at + 4, 2)),
                    _ => (None, None),
                };
                match (h, m) {
                    (Some(h), Some(m)) if h <= 23 && m <= 59 => {
                        offset_seconds = sign * (h * 3600 + m * 60);
                    }
                    _ => return Err("the UTC offset is not ±HH:MM"),
                }
            }
            Some(_) => return Err("unexpected text after the time"),
        }
    }
    let days = days_from_civil(year, month, day);
    let unix_micros = days * 86_400_000_000 + micros_of_day - offset_seconds * 1_000_000;
    Ok((unix_micros - UNIX_TO_PG_MICROS, below_micros))
}

/// Formats PostgreSQL microseconds as ISO 8601 UTC with milliseconds (or microseconds when
/// they are not whole), for messages.
pub fn format(pg_micros: i64) -> String {
    let unix = pg_micros + UNIX_TO_PG_MICROS;
    let days = unix.div_euclid(86_400_000_000);
    let of_day = unix.rem_euclid(86_400_000_000);
    // civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let secs = of_day / 1_000_000;
    let micros = of_day % 1_000_000;
    let fraction = if micros % 1000 == 0 {
        format!("{:03}", micros / 1000)
    } else {
        format!("{micros:06}")
    };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str) -> String {
        format(parse_text(text).unwrap().0)
    }

    #[test]
    fn the_three_prisma_forms_agree() {
        let from_iso = parse_text("2024-02-29T13:45:06.789+00:00").unwrap().0;
        assert_eq!(parse_text("2024-02-29T13:45:06.789Z").unwrap().0, from_iso);
        assert_eq!(from_unix_millis(1_709_214_306_789), Some(from_iso));
        let from_default = parse_text("2024-02-29 13:45:06").unwrap().0;
        assert_eq!(from_default, from_iso - 789_000);
        assert_eq!(iso("2024-02-29 13:45:06"), "2024-02-29T13:45:06.000Z");
    }

    #[test]
    fn offsets_fractions_and_dates() {
        assert_eq!(iso("2024-01-01T01:30:00+02:00"), "2023-12-31T23:30:00.000Z");
        assert_eq!(iso("2024-01-01T01:30:00-0130"), "2024-01-01T03:00:00.000Z");
        assert_eq!(iso("2024-01-01T01:30:00+05"), "2023-12-31T20:30:00.000Z");
        assert_eq!(iso("2024-01-01T00:00:00.5Z"), "2024-01-01T00:00:00.500Z");
        assert_eq!(
            iso("2024-01-01T00:00:00.123456Z"),
            "2024-01-01T00:00:00.123456Z"
        );
        assert_eq!(iso("2024-01-01 00:00"), "2024-01-01T00:00:00.000Z");
        assert_eq!(iso("1999-12-31"), "1999-12-31T00:00:00.000Z");
        assert_eq!(iso("1969-07-20T20:17:40Z"), "1969-07-20T20:17:40.000Z");
        assert_eq!(parse_text("2000-01-01T00:00:00Z").unwrap().0, 0);
        assert!(parse_text("2024-01-01T00:00:00.1234567Z").unwrap().1);
        assert!(!parse_text("2024-01-01T00:00:00.1234560Z").unwrap().1);
        assert_eq!(from_unix_millis(0), Some(-UNIX_TO_PG_MICROS));
        assert_eq!(from_unix_millis(i64::MAX), None);
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in [
            "not a date",
            "",
            "2023-02-29",
            "2024-13-01",
            "2024-01-01T24:00:00Z",
            "2024-01-01T10:00:00 UTC",
            "2024-01-01T10:00:00+2:00",
            "2024-01-01X10:00",
            "2024-01-01T10:00:00.Z",
            "1700000000000",
        ] {
            assert!(parse_text(bad).is_err(), "{bad}");
        }
    }
}
