//! ISO 8601 instants in the one form receipts use, `2026-11-22T10:00:00.000Z`
//! (what JavaScript's `Date.prototype.toISOString` prints for years 0–9999).

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.sssZ`.
pub fn iso(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS.sssZ` (exactly that form, a real calendar
/// date) into milliseconds since the epoch.
pub fn parse_iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 24 {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        };
        if !ok {
            return None;
        }
    }
    let num = |from: usize, to: usize| -> i64 {
        b[from..to]
            .iter()
            .fold(0, |n, &c| n * 10 + i64::from(c - b'0'))
    };
    let (y, mo, d) = (num(0, 4), num(5, 7), num(8, 10));
    let (h, mi, sec, ms) = (num(11, 13), num(14, 16), num(17, 19), num(20, 23));
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59
    {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(days * 86_400_000 + ((h * 60 + mi) * 60 + sec) * 1000 + ms)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_735_689_600_000), "2025-01-01T00:00:00.000Z");
        assert_eq!(iso(951_825_600_123), "2000-02-29T12:00:00.123Z");
        assert_eq!(
            parse_iso("2026-11-22T10:00:00.000Z"),
            Some(1_795_341_600_000)
        );
        assert_eq!(parse_iso("1970-01-01T00:00:00.000Z"), Some(0));
    }

    #[test]
    fn refuses_other_forms_and_impossible_dates() {
        for bad in [
            "2026-11-22T10:00:00Z",
            "2026-11-22 10:00:00.000Z",
            "2026-11-22T10:00:00.000+00:00",
            "2026-02-29T10:00:00.000Z",
            "2026-13-01T10:00:00.000Z",
            "2026-04-31T10:00:00.000Z",
            "2026-11-22T24:00:00.000Z",
            "2026-11-22T10:60:00.000Z",
            "２026-11-22T10:00:00.000Z",
            "",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
        assert!(parse_iso("2024-02-29T23:59:59.999Z").is_some());
    }

    #[test]
    fn round_trips_every_day_from_1900_to_2200_against_a_day_counter() {
        // A naive oracle: walk the calendar one day at a time.
        let (mut y, mut m, mut d) = (1900i64, 1i64, 1i64);
        let mut days = days_from_civil(1900, 1, 1);
        while y < 2200 {
            let ms = days * 86_400_000 + 45_296_789;
            let text = format!("{y:04}-{m:02}-{d:02}T12:34:56.789Z");
            assert_eq!(iso(ms), text);
            assert_eq!(parse_iso(&text), Some(ms));
            d += 1;
            if d > days_in_month(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
            days += 1;
        }
    }
}
