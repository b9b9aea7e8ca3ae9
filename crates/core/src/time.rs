//! Calendar arithmetic for consent expiry, on UTC milliseconds since the Unix
//! epoch (the value of JavaScript `Date.now()`).
//!
//! A consent expires [`CONSENT_MONTHS`] calendar months after it was given.
//! Everything here is pure: no clock is read. Negative times (before 1970) are
//! handled with euclidean division.

use alloc::string::String;

/// Months a consent stays valid.
pub const CONSENT_MONTHS: u32 = 13;

/// Milliseconds in one (UTC, leap-second-free) day.
const MS_PER_DAY: i64 = 86_400_000;

/// A proleptic-Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year (astronomical numbering: year 0 exists, 1 BC is year 0).
    pub year: i32,
    /// Month, `1..=12`.
    pub month: u8,
    /// Day of the month, `1..=31`.
    pub day: u8,
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Number of days in `month` (`1..=12`) of `year`.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 => 28 + is_leap(year) as u8,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's days_from_civil algorithm).
pub fn days_from_date(d: Date) -> i64 {
    let m = d.month as i64;
    let y = d.year as i64 - (m <= 2) as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d.day as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The date `days` days after 1970-01-01 (Howard Hinnant's civil_from_days).
pub fn date_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
    Date {
        year: (yoe + era * 400 + (month <= 2) as i64) as i32,
        month,
        day,
    }
}

/// Same day-of-month `months` later, clamped to the last day of a shorter month; time of day kept. UTC.
///
/// 2025-01-31 + 13 -> 2026-02-28; 2027-01-31 + 13 -> 2028-02-29.
/// Saturates instead of overflowing near the ends of the `i64` range.
pub fn add_months(ms: i64, months: u32) -> i64 {
    let days = ms.div_euclid(MS_PER_DAY);
    let time = ms.rem_euclid(MS_PER_DAY);
    let d = date_from_days(days);
    let total = d.year as i64 * 12 + (d.month as i64 - 1) + months as i64;
    let year = total.div_euclid(12) as i32;
    let month = (total.rem_euclid(12) + 1) as u8;
    let day = d.day.min(days_in_month(year, month));
    days_from_date(Date { year, month, day })
        .saturating_mul(MS_PER_DAY)
        .saturating_add(time)
}

/// When a consent given at `given_at_ms` expires: `add_months(given_at_ms, CONSENT_MONTHS)`.
pub fn expires_at(given_at_ms: i64) -> i64 {
    add_months(given_at_ms, CONSENT_MONTHS)
}

/// Appends `n` as exactly `width` decimal digits (zero-padded, high digits dropped).
fn push_digits(s: &mut String, n: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    while div > 0 {
        s.push((b'0' + (n / div % 10) as u8) as char);
        div /= 10;
    }
}

/// Formats `ms` as `"2025-01-31T12:00:00.000Z"` (always milliseconds, always `Z`).
///
/// Only years `0..=9999` are representable; other years are written modulo 10000.
pub fn to_iso(ms: i64) -> String {
    let d = date_from_days(ms.div_euclid(MS_PER_DAY));
    let t = ms.rem_euclid(MS_PER_DAY) as u32;
    let mut s = String::with_capacity(24);
    push_digits(&mut s, d.year.rem_euclid(10_000) as u32, 4);
    s.push('-');
    push_digits(&mut s, d.month as u32, 2);
    s.push('-');
    push_digits(&mut s, d.day as u32, 2);
    s.push('T');
    push_digits(&mut s, t / 3_600_000, 2);
    s.push(':');
    push_digits(&mut s, t / 60_000 % 60, 2);
    s.push(':');
    push_digits(&mut s, t / 1000 % 60, 2);
    s.push('.');
    push_digits(&mut s, t % 1000, 3);
    s.push('Z');
    s
}

/// Parses `"YYYY-MM-DDTHH:MM:SS.mmmZ"` (what [`to_iso`] writes),
/// `"YYYY-MM-DDTHH:MM:SSZ"` and `"YYYY-MM-DD"` (midnight UTC) into milliseconds
/// since the epoch.
///
/// Returns `None` on anything else, including out-of-range fields (month 13,
/// February 30, hour 24, second 60). Never panics.
pub fn parse_iso(s: &str) -> Option<i64> {
    // '0' marks a digit; anything else must match exactly. The last byte of a
    // form with a time part is 'Z' instead.
    const TEMPLATE: &[u8; 24] = b"0000-00-00T00:00:00.000Z";
    let b = s.as_bytes();
    let n = b.len();
    if n != 10 && n != 20 && n != 24 {
        return None;
    }
    for (i, (&c, &template)) in b.iter().zip(TEMPLATE).enumerate() {
        let t = if n > 10 && i == n - 1 {
            b'Z'
        } else {
            template
        };
        let ok = if t == b'0' {
            c.is_ascii_digit()
        } else {
            c == t
        };
        if !ok {
            return None;
        }
    }
    // All positions read below were checked to be ASCII digits.
    // Iterated rather than sliced: no range-check panic path in wasm.
    let num = |at: usize, len: usize| {
        b.iter()
            .skip(at)
            .take(len)
            .fold(0i64, |acc, &c| acc * 10 + (c - b'0') as i64)
    };
    let year = num(0, 4) as i32;
    let month = num(5, 2) as u8;
    let day = num(8, 2) as u8;
    if month == 0 || month > 12 || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_date(Date { year, month, day }) * MS_PER_DAY;
    if n > 10 {
        let (h, m, sec) = (num(11, 2), num(14, 2), num(17, 2));
        if h > 23 || m > 59 || sec > 59 {
            return None;
        }
        let frac = if n == 24 { num(20, 3) } else { 0 };
        ms += ((h * 60 + m) * 60 + sec) * 1000 + frac;
    }
    Some(ms)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    const DAY: i64 = 86_400_000;

    fn ymd(year: i32, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    /// Test-only helper built from the unit under test; used for readable examples.
    fn at(y: i32, mo: u8, d: u8, h: i64, mi: i64, s: i64, milli: i64) -> i64 {
        days_from_date(ymd(y, mo, d)) * DAY + ((h * 60 + mi) * 60 + s) * 1000 + milli
    }

    // ---------------------------------------------------------------- unit tests

    #[test]
    fn leap_and_month_lengths() {
        assert!(is_leap(2000) && is_leap(2024) && is_leap(0) && is_leap(-4));
        assert!(!is_leap(1900) && !is_leap(2100) && !is_leap(2025) && !is_leap(-1));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2025, 2), 28);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2025, 4), 30);
        assert_eq!(days_in_month(2025, 12), 31);
        assert_eq!(days_in_month(2025, 1), 31);
    }

    #[test]
    fn known_day_numbers() {
        assert_eq!(days_from_date(ymd(1970, 1, 1)), 0);
        assert_eq!(days_from_date(ymd(1969, 12, 31)), -1);
        assert_eq!(days_from_date(ymd(2000, 3, 1)), 11_017);
        assert_eq!(days_from_date(ymd(1900, 1, 1)), -25_567);
        assert_eq!(days_from_date(ymd(0, 3, 1)), -719_468);
        assert_eq!(date_from_days(0), ymd(1970, 1, 1));
        assert_eq!(date_from_days(-1), ymd(1969, 12, 31));
        assert_eq!(date_from_days(19_753), ymd(2024, 1, 31));
        assert_eq!(date_from_days(-719_468), ymd(0, 3, 1));
        assert_eq!(date_from_days(-719_469), ymd(0, 2, 29));
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        let noon = 12 * 3_600_000;
        assert_eq!(
            add_months(at(2025, 1, 31, 12, 0, 0, 0), 13),
            at(2026, 2, 28, 12, 0, 0, 0)
        );
        assert_eq!(
            add_months(at(2027, 1, 31, 12, 0, 0, 0), 13),
            at(2028, 2, 29, 12, 0, 0, 0)
        );
        assert_eq!(
            add_months(at(2024, 2, 29, 0, 0, 0, 0), 13),
            at(2025, 3, 29, 0, 0, 0, 0)
        );
        assert_eq!(
            add_months(at(2025, 3, 31, 0, 0, 0, 0), 13),
            at(2026, 4, 30, 0, 0, 0, 0)
        );
        // End of December rolls into the year after next.
        assert_eq!(
            add_months(at(2025, 12, 31, 0, 0, 0, 0), 13),
            at(2027, 1, 31, 0, 0, 0, 0)
        );
        assert_eq!(
            add_months(at(2025, 11, 30, 0, 0, 0, 0) + noon, 13),
            at(2026, 12, 30, 0, 0, 0, 0) + noon
        );
        // Zero and twelve months.
        let t = at(2025, 5, 17, 8, 9, 10, 11);
        assert_eq!(add_months(t, 0), t);
        assert_eq!(add_months(t, 12), at(2026, 5, 17, 8, 9, 10, 11));
        // Literal millisecond values, independent of days_from_date.
        // 2025-01-31T12:00:00Z = 1738324800000; 2026-02-28T12:00:00Z = 1772280000000.
        assert_eq!(add_months(1_738_324_800_000, 13), 1_772_280_000_000);
    }

    #[test]
    fn add_months_keeps_time_of_day() {
        let t = at(2025, 1, 31, 23, 59, 59, 999);
        assert_eq!(expires_at(t), at(2026, 2, 28, 23, 59, 59, 999));
        let t = at(2030, 6, 15, 0, 0, 0, 1);
        assert_eq!(expires_at(t), at(2031, 7, 15, 0, 0, 0, 1));
        // Before 1970: -1 ms is 1969-12-31T23:59:59.999Z.
        assert_eq!(expires_at(-1), at(1971, 1, 31, 23, 59, 59, 999));
        assert_eq!(to_iso(expires_at(-1)), "1971-01-31T23:59:59.999Z");
    }

    #[test]
    fn expiry_bounds_are_attained() {
        // Shortest: Jan 31 -> Feb 28 of a common year (365 + 28 days).
        let t = at(2025, 1, 31, 0, 0, 0, 0);
        assert_eq!(expires_at(t) - t, 393 * DAY);
        // Longest: a 366-day year followed by a 31-day month.
        let t = at(2023, 12, 1, 0, 0, 0, 0);
        assert_eq!(expires_at(t) - t, 397 * DAY);
    }

    #[test]
    fn add_months_does_not_panic_at_extremes() {
        let _ = add_months(i64::MAX, u32::MAX);
        let _ = add_months(i64::MIN, u32::MAX);
        let _ = expires_at(i64::MAX);
        let _ = expires_at(i64::MIN);
        let _ = to_iso(i64::MAX);
        let _ = to_iso(i64::MIN);
    }

    #[test]
    fn iso_examples() {
        assert_eq!(to_iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(to_iso(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(to_iso(1_738_324_800_000), "2025-01-31T12:00:00.000Z");
        assert_eq!(to_iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(to_iso(-2_208_988_800_000), "1900-01-01T00:00:00.000Z");
        assert_eq!(to_iso(-62_167_219_200_000), "0000-01-01T00:00:00.000Z");
        assert_eq!(to_iso(253_402_300_799_999), "9999-12-31T23:59:59.999Z");

        assert_eq!(parse_iso("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_iso("1969-12-31T23:59:59.999Z"), Some(-1));
        assert_eq!(
            parse_iso("2025-01-31T12:00:00.000Z"),
            Some(1_738_324_800_000)
        );
        assert_eq!(parse_iso("2025-01-31T12:00:00Z"), Some(1_738_324_800_000));
        assert_eq!(parse_iso("2025-01-31"), Some(1_738_281_600_000));
        assert_eq!(parse_iso("1900-01-01"), Some(-2_208_988_800_000));
        assert_eq!(parse_iso("1969-07-20T20:17:40Z"), Some(-14_182_940_000));
        assert_eq!(parse_iso("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(parse_iso("0000-01-01"), Some(-62_167_219_200_000));
        assert_eq!(
            parse_iso("9999-12-31T23:59:59.999Z"),
            Some(253_402_300_799_999)
        );
    }

    #[test]
    fn parse_iso_rejects_garbage() {
        let bad = [
            "",
            "abc",
            "2025-13-01",
            "2025-00-01",
            "2025-01-00",
            "2025-01-32",
            "2025-02-29",
            "2025-02-30",
            "1900-02-29",
            "2025-04-31",
            "2025-1-01",
            "2025-01-1",
            "2025/01/01",
            "20250101",
            " 2025-01-01",
            "2025-01-01 ",
            "2025-01-01T",
            "2025-01-01T12:00",
            "2025-01-01T12:00:00",
            "2025-01-01T12:00:00.000",
            "2025-01-01T12:00:00.00Z",
            "2025-01-01T12:00:00.0000Z",
            "2025-01-01T12:00:00.000z",
            "2025-01-01t12:00:00.000Z",
            "2025-01-01 12:00:00.000Z",
            "2025-01-01T12:00:00+00:00",
            "2025-01-01T24:00:00Z",
            "2025-01-01T23:60:00Z",
            "2025-01-01T23:59:60Z",
            "2025-01-01T12:00:00,000Z",
            "2025-01-01T12:00:00.Z00Z",
            "2025-01-01T12:00:00.-01Z",
            "+2025-01-01",
            "-025-01-01",
            "2025-01-0١",           // Arabic-Indic digit (non-ASCII)
            "２０２５-01-01",       // full-width digits
            "2025-01-01T12:00:00Ž", // non-ASCII in place of Z
            "2025-01-01T12:00:0é",
            "2025\u{2010}01\u{2010}01", // Unicode hyphen
        ];
        for s in bad {
            assert_eq!(parse_iso(s), None, "{s:?} should be rejected");
        }
        // Every proper prefix of a valid string, other than the date-only
        // prefix, is rejected.
        let full = "2025-01-31T12:34:56.789Z";
        for i in 0..full.len() {
            let expect = if i == 10 {
                Some(1_738_281_600_000)
            } else {
                None
            };
            assert_eq!(parse_iso(&full[..i]), expect, "prefix {:?}", &full[..i]);
        }
    }

    // ------------------------------------------------------------ naive oracle
    //
    // Nothing below calls into the module under test except the function
    // being checked. The calendar is stepped one day at a time.

    /// Leap rule written independently of `is_leap`.
    fn oracle_leap(y: i32) -> bool {
        if y % 400 == 0 {
            true
        } else if y % 100 == 0 {
            false
        } else {
            y % 4 == 0
        }
    }

    fn oracle_month_len(y: i32, m: u8) -> u8 {
        const LEN: [u8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        if m == 2 && oracle_leap(y) {
            29
        } else {
            LEN[m as usize - 1]
        }
    }

    fn oracle_tomorrow((y, m, d): (i32, u8, u8)) -> (i32, u8, u8) {
        if d < oracle_month_len(y, m) {
            (y, m, d + 1)
        } else if m < 12 {
            (y, m + 1, 1)
        } else {
            (y + 1, 1, 1)
        }
    }

    /// Every date from 1900-01-01 to 2202-12-31, by walking day by day, and
    /// the index of 1970-01-01 in it (found by walking, not computed).
    struct Calendar {
        dates: Vec<(i32, u8, u8)>,
        epoch_index: i64,
        /// Index one past 2200-12-31.
        end_2200: usize,
    }

    impl Calendar {
        fn day_number(&self, i: usize) -> i64 {
            i as i64 - self.epoch_index
        }
    }

    fn calendar() -> &'static Calendar {
        static CAL: OnceLock<Calendar> = OnceLock::new();
        CAL.get_or_init(|| {
            let mut dates = Vec::new();
            let mut cur = (1900, 1, 1);
            while cur.0 <= 2202 {
                dates.push(cur);
                cur = oracle_tomorrow(cur);
            }
            let epoch_index = dates.iter().position(|&x| x == (1970, 1, 1)).unwrap() as i64;
            let end_2200 = dates.iter().position(|&x| x == (2201, 1, 1)).unwrap();
            Calendar {
                dates,
                epoch_index,
                end_2200,
            }
        })
    }

    #[test]
    fn oracle_sanity() {
        let cal = calendar();
        // 70 years from 1900 with 17 leap days (1904..=1968; 1900 is not leap).
        assert_eq!(cal.epoch_index, 70 * 365 + 17);
        // 301 years 1900..=2200 with 73 leap days.
        assert_eq!(cal.end_2200, 301 * 365 + 73);
    }

    /// Oracle 1: exhaustive agreement on every day of 1900..=2200 (and beyond, to 2202).
    #[test]
    fn day_numbers_match_naive_calendar_exhaustively() {
        let cal = calendar();
        for (i, &(y, m, d)) in cal.dates.iter().enumerate() {
            let n = cal.day_number(i);
            let date = ymd(y, m, d);
            assert_eq!(days_from_date(date), n, "days_from_date({date:?})");
            assert_eq!(date_from_days(n), date, "date_from_days({n})");
        }
    }

    /// Outside the exhaustive range (negative years, far future): consecutive
    /// day numbers are consecutive dates per the naive calendar, and the two
    /// conversions are inverse.
    #[test]
    fn day_numbers_are_consecutive_far_from_epoch() {
        for range in [-1_000_000i64..-600_000, 2_900_000..3_000_000] {
            for n in range {
                let a = date_from_days(n);
                let b = date_from_days(n + 1);
                assert_eq!(
                    oracle_tomorrow((a.year, a.month, a.day)),
                    (b.year, b.month, b.day)
                );
                assert_eq!(days_from_date(a), n);
            }
        }
    }

    /// Oracle 2: walk forward until 13 months later, day clamped to month end.
    fn oracle_add_13_months(cal: &Calendar, start: usize) -> usize {
        let (y0, m0, d0) = cal.dates[start];
        let (mut ty, mut tm) = (y0, m0);
        for _ in 0..13 {
            if tm == 12 {
                ty += 1;
                tm = 1;
            } else {
                tm += 1;
            }
        }
        let mut j = start;
        loop {
            j += 1;
            let (y, m, d) = cal.dates[j];
            if (y, m) == (ty, tm) {
                let last_of_month = cal.dates[j + 1].1 != m;
                if d == d0 || last_of_month {
                    return j;
                }
            }
        }
    }

    /// Indices into the calendar biased toward month ends (the interesting
    /// clamping cases) but covering every day.
    fn start_index() -> impl Strategy<Value = usize> {
        let cal = calendar();
        prop_oneof![
            0..cal.end_2200,
            (0..cal.end_2200).prop_map(move |i| {
                // Snap to the last 4 days of that month.
                let mut j = i;
                while cal.dates[j + 1].1 == cal.dates[i].1 {
                    j += 1;
                }
                j - (i % 4)
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn add_13_months_matches_naive_walk(i in start_index(), tod in 0i64..DAY) {
            let cal = calendar();
            let j = oracle_add_13_months(cal, i);
            let ms = cal.day_number(i) * DAY + tod;
            let expected = cal.day_number(j) * DAY + tod;
            prop_assert_eq!(add_months(ms, 13), expected,
                "start {:?} expected {:?}", cal.dates[i], cal.dates[j]);
            prop_assert_eq!(expires_at(ms), expected);
        }

        #[test]
        fn iso_round_trips_1900_to_2200(off in 0i64..(calendar().end_2200 as i64 * DAY)) {
            let cal = calendar();
            let ms = -cal.epoch_index * DAY + off;
            let s = to_iso(ms);
            prop_assert_eq!(s.len(), 24);
            prop_assert_eq!(parse_iso(&s), Some(ms), "{}", s);
            // The date part alone parses to midnight; the seconds form drops millis.
            prop_assert_eq!(parse_iso(&s[..10]), Some(ms - ms.rem_euclid(DAY)));
            let secs = format!("{}Z", &s[..19]);
            prop_assert_eq!(parse_iso(&secs), Some(ms - ms.rem_euclid(1000)));
        }

        #[test]
        fn iso_date_fields_match_naive_calendar(i in 0..calendar().end_2200, tod in 0i64..DAY) {
            let cal = calendar();
            let (y, m, d) = cal.dates[i];
            let s = to_iso(cal.day_number(i) * DAY + tod);
            let date = format!("{y:04}-{m:02}-{d:02}");
            let time = format!(
                "{:02}:{:02}:{:02}.{:03}",
                tod / 3_600_000, tod / 60_000 % 60, tod / 1000 % 60, tod % 1000
            );
            prop_assert_eq!(s, format!("{date}T{time}Z"));
        }

        #[test]
        fn parse_iso_never_panics(s in any::<String>()) {
            let _ = parse_iso(&s);
        }

        #[test]
        fn parse_iso_never_panics_on_near_misses(
            ms in -2_208_988_800_000i64..7_258_118_400_000,
            pos in 0usize..24,
            c in any::<char>(),
            cut in 0usize..=24,
        ) {
            let mut s: String = to_iso(ms).chars().enumerate()
                .map(|(k, x)| if k == pos { c } else { x })
                .collect();
            let _ = parse_iso(&s);
            s = s.chars().take(cut).collect();
            if let Some(v) = parse_iso(&s) {
                // Whatever it accepts must format back to the same prefix.
                let again = to_iso(v);
                prop_assert!(again.starts_with(&s[..10]), "{} -> {}", s, again);
            }
        }

        /// 13 months = 12 months (365 or 366 days) + 1 month (28..=31 days),
        /// minus up to 3 days of clamping. Shortest: Jan 29..31 -> Feb 28
        /// of a common year = 393 days; longest: 366 + 31 = 397 days.
        /// Time of day is kept, so the difference is a whole number of days.
        #[test]
        fn expiry_is_393_to_397_days_later(
            ms in -8_640_000_000_000_000i64..=8_640_000_000_000_000,
        ) {
            let e = expires_at(ms);
            prop_assert!(e > ms);
            let diff = e - ms;
            prop_assert_eq!(diff % DAY, 0);
            prop_assert!((393 * DAY..=397 * DAY).contains(&diff), "{} days", diff / DAY);
        }
    }
}
