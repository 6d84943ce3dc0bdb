//! The Korean lunisolar calendar (음력), by ICU4X's Korean traditional
//! calendar (`icu_calendar`, `KoreanTraditional`).
//!
//! ICU's Korean calendar keeps KASI's published months for 1900–2050 and
//! months precomputed by the same astronomical rules (adapted GB/T
//! 33661-2017 in Korean time) up to 2100; beyond, a simplified rule.
//! Before it replaced our own computation (Meeus new moons, VSOP87 solar
//! longitude, ΔT) the two were compared on every day from 1900-02-01 to
//! 2100-12-31 (73,383 days): they agree on all of them. The tests keep
//! KASI's lunar new years and leap months 2000–2050 and KASI sample
//! conversions as the oracle (docs/decisions.md).

use icu_calendar::cal::KoreanTraditional;
use icu_calendar::types::{Month, YearInput};

use crate::calendar::Date;

/// A date in the Korean lunisolar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LunarDate {
    /// Lunar year; months 11 and 12 belong to the year whose month 1 came
    /// before them (so lunar 2026-12-30 is solar 2027-02-06).
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// True for a leap month (윤달), which follows the regular month of the
    /// same number.
    pub leap: bool,
    /// 1–30.
    pub day: u8,
}

/// Converts a solar (Gregorian) date to the Korean lunar calendar.
pub fn solar_to_lunar(date: Date) -> LunarDate {
    let iso = icu_calendar::Date::try_new_iso(date.year(), date.month(), date.day())
        .expect("every Date is a valid ISO date");
    let korean = iso.to_calendar(KoreanTraditional::new());
    let month = korean.month();
    LunarDate {
        year: korean.year().extended_year(),
        month: month.number(),
        leap: month.to_input().is_leap(),
        day: korean.day_of_month().0,
    }
}

/// Converts a Korean lunar date to the solar (Gregorian) calendar.
///
/// `None` when the month does not exist that year (a leap month that year
/// does not have, a month outside 1–12), the day is past the end of the
/// month (a 29-day month has no day 30), or the result is outside the range
/// of [`Date`].
pub fn lunar_to_solar(year: i32, month: u8, leap: bool, day: u8) -> Option<Date> {
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=30).contains(&day) {
        return None;
    }
    let m = if leap {
        Month::leap(month)
    } else {
        Month::new(month)
    };
    let korean =
        icu_calendar::Date::try_new(YearInput::from(year), m, day, KoreanTraditional::new())
            .ok()?;
    // ICU keeps a month and day that exist; a day it moved is one that does not.
    let back = korean.month();
    if back.number() != month || back.to_input().is_leap() != leap || korean.day_of_month().0 != day
    {
        return None;
    }
    let iso = korean.to_calendar(icu_calendar::Iso);
    Date::new(
        iso.year().extended_year(),
        iso.month().number(),
        iso.day_of_month().0,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).expect("date")
    }

    fn lunar(year: i32, month: u8, leap: bool, day: u8) -> LunarDate {
        LunarDate {
            year,
            month,
            leap,
            day,
        }
    }

    /// Lunar new year (설날) and leap month (0 = none) per KASI, 2000–2050.
    const KASI_NEW_YEARS: [(i32, &str, u8); 51] = [
        (2000, "2000-02-05", 0),
        (2001, "2001-01-24", 4),
        (2002, "2002-02-12", 0),
        (2003, "2003-02-01", 0),
        (2004, "2004-01-22", 2),
        (2005, "2005-02-09", 0),
        (2006, "2006-01-29", 7),
        (2007, "2007-02-18", 0),
        (2008, "2008-02-07", 0),
        (2009, "2009-01-26", 5),
        (2010, "2010-02-14", 0),
        (2011, "2011-02-03", 0),
        (2012, "2012-01-23", 3),
        (2013, "2013-02-10", 0),
        (2014, "2014-01-31", 9),
        (2015, "2015-02-19", 0),
        (2016, "2016-02-08", 0),
        (2017, "2017-01-28", 5),
        (2018, "2018-02-16", 0),
        (2019, "2019-02-05", 0),
        (2020, "2020-01-25", 4),
        (2021, "2021-02-12", 0),
        (2022, "2022-02-01", 0),
        (2023, "2023-01-22", 2),
        (2024, "2024-02-10", 0),
        (2025, "2025-01-29", 6),
        (2026, "2026-02-17", 0),
        (2027, "2027-02-07", 0),
        (2028, "2028-01-27", 5),
        (2029, "2029-02-13", 0),
        (2030, "2030-02-03", 0),
        (2031, "2031-01-23", 3),
        (2032, "2032-02-11", 0),
        (2033, "2033-01-31", 11),
        (2034, "2034-02-19", 0),
        (2035, "2035-02-08", 0),
        (2036, "2036-01-28", 6),
        (2037, "2037-02-15", 0),
        (2038, "2038-02-04", 0),
        (2039, "2039-01-24", 5),
        (2040, "2040-02-12", 0),
        (2041, "2041-02-01", 0),
        (2042, "2042-01-22", 2),
        (2043, "2043-02-10", 0),
        (2044, "2044-01-30", 7),
        (2045, "2045-02-17", 0),
        (2046, "2046-02-06", 0),
        (2047, "2047-01-26", 5),
        (2048, "2048-02-14", 0),
        (2049, "2049-02-02", 0),
        (2050, "2050-01-23", 3),
    ];

    #[test]
    fn lunar_new_year_matches_kasi_for_every_year_from_2000_to_2050() {
        for (year, seollal, _) in KASI_NEW_YEARS {
            assert_eq!(
                lunar_to_solar(year, 1, false, 1),
                Some(date(seollal)),
                "{year}"
            );
            assert_eq!(solar_to_lunar(date(seollal)), lunar(year, 1, false, 1));
        }
    }

    #[test]
    fn leap_months_match_kasi_for_every_year_from_2000_to_2050() {
        for (year, _, leap_month) in KASI_NEW_YEARS {
            let leaps: Vec<u8> = (1..=12)
                .filter(|&m| lunar_to_solar(year, m, true, 1).is_some())
                .collect();
            let expected: Vec<u8> = if leap_month == 0 {
                Vec::new()
            } else {
                vec![leap_month]
            };
            assert_eq!(leaps, expected, "{year}");
        }
    }

    #[test]
    fn kasi_sample_conversions_agree_in_both_directions() {
        // From KASI's solar/lunar conversion service (sample of dates).
        let cases = [
            ("1964-12-19", "1965-01-21", 12, false),
            ("1968-05-13", "1968-06-08", 5, false),
            ("1968-11-04", "1968-12-23", 11, false),
            ("1971-08-07", "1971-09-25", 8, false),
            ("1977-02-23", "1977-04-11", 2, false),
            ("1984-12-27", "1985-02-16", 12, false),
            ("1991-12-09", "1992-01-13", 12, false),
            ("1997-07-15", "1997-08-17", 7, false),
            ("2003-05-19", "2003-06-18", 5, false),
            ("2009-09-06", "2009-10-23", 9, false),
            ("2010-05-29", "2010-07-10", 5, false),
            ("2015-07-22", "2015-09-04", 7, false),
            ("2021-11-23", "2021-12-26", 11, false),
            ("2028-05-02", "2028-06-24", 5, true),
            ("2028-12-08", "2029-01-22", 12, false),
            ("2033-01-13", "2033-02-12", 1, false),
            ("2037-06-27", "2037-08-08", 6, false),
            ("2041-04-22", "2041-05-21", 4, false),
            ("2044-09-26", "2044-11-15", 9, false),
            ("2045-07-29", "2045-09-10", 7, false),
        ];
        for (lunar_ymd, solar, month, leap) in cases {
            let year: i32 = lunar_ymd[0..4].parse().expect("year");
            let day: u8 = lunar_ymd[8..10].parse().expect("day");
            let expected = lunar(year, month, leap, day);
            assert_eq!(solar_to_lunar(date(solar)), expected, "{solar}");
            assert_eq!(
                lunar_to_solar(year, month, leap, day),
                Some(date(solar)),
                "{lunar_ymd}"
            );
        }
    }

    #[test]
    fn seollal_2027_is_february_7_in_korea_though_the_new_moon_is_february_6_in_utc() {
        // The new moon is at 2027-02-06 15:56 UTC: 00:56 on the 7th in
        // Korea (China, at UTC+8, celebrates on the 6th).
        assert_eq!(lunar_to_solar(2027, 1, false, 1), Some(date("2027-02-07")));
        assert_eq!(
            solar_to_lunar(date("2027-02-06")),
            lunar(2026, 12, false, 30)
        );
    }

    #[test]
    fn seollal_2028_starts_on_the_day_of_a_new_moon_just_after_korean_midnight() {
        // The new moon is at 2028-01-26 15:12 UTC, 00:12 on the 27th in Korea.
        assert_eq!(lunar_to_solar(2028, 1, false, 1), Some(date("2028-01-27")));
        assert_eq!(
            solar_to_lunar(date("2028-01-26")),
            lunar(2027, 12, false, 30)
        );
    }

    #[test]
    fn leap_eleventh_month_of_2033_follows_month_11_and_precedes_month_12() {
        assert_eq!(lunar_to_solar(2033, 11, false, 1), Some(date("2033-11-22")));
        assert_eq!(lunar_to_solar(2033, 11, true, 1), Some(date("2033-12-22")));
        assert_eq!(lunar_to_solar(2033, 12, false, 1), Some(date("2034-01-20")));
        assert_eq!(
            solar_to_lunar(date("2034-01-19")),
            lunar(2033, 11, true, 29)
        );
        assert_eq!(lunar_to_solar(2033, 11, true, 30), None);
    }

    #[test]
    fn the_last_day_of_a_lunar_year_belongs_to_that_year() {
        // Lunar 2026-12 has 30 days, so 설날 전날 2027 is lunar 12/30.
        assert_eq!(
            lunar_to_solar(2026, 12, false, 30),
            Some(date("2027-02-06"))
        );
        assert_eq!(
            solar_to_lunar(date("2026-12-31")),
            lunar(2026, 11, false, 23)
        );
        assert_eq!(
            solar_to_lunar(date("2026-01-01")),
            lunar(2025, 11, false, 13)
        );
    }

    #[test]
    fn nonexistent_lunar_dates_have_no_solar_date() {
        assert_eq!(
            lunar_to_solar(2027, 5, true, 1),
            None,
            "2027 has no leap month"
        );
        assert_eq!(lunar_to_solar(2025, 5, true, 1), None, "2025 leaps month 6");
        assert!(lunar_to_solar(2025, 6, true, 1).is_some());
        assert_eq!(
            lunar_to_solar(2025, 6, true, 30),
            None,
            "leap 6 of 2025 has 29 days"
        );
        assert_eq!(lunar_to_solar(2026, 0, false, 1), None);
        assert_eq!(lunar_to_solar(2026, 13, false, 1), None);
        assert_eq!(lunar_to_solar(2026, 1, false, 0), None);
        assert_eq!(lunar_to_solar(2026, 1, false, 31), None);
        assert_eq!(lunar_to_solar(i32::MAX, 12, false, 1), None);
        assert_eq!(lunar_to_solar(i32::MIN, 1, false, 1), None);
    }

    #[test]
    fn the_ends_of_the_date_range_convert_without_panicking() {
        let last = solar_to_lunar(Date::MAX);
        assert_eq!(last.year, 9999);
        assert_eq!(
            lunar_to_solar(last.year, last.month, last.leap, last.day),
            Some(Date::MAX)
        );
        // 0001-01-01 lies in lunar year 0, which `lunar_to_solar` refuses
        // because most of that year precedes 0001-01-01.
        assert_eq!(solar_to_lunar(Date::MIN).year, 0);
    }

    #[test]
    fn every_day_from_1900_to_2100_round_trips_in_months_of_29_or_30_days() {
        let mut day = date("1900-02-01");
        let end = date("2100-12-31");
        // Counted from the first month that starts in the range.
        let mut month_len: Option<u8> = None;
        let mut previous = solar_to_lunar(day);
        while day <= end {
            let l = solar_to_lunar(day);
            assert_eq!(
                lunar_to_solar(l.year, l.month, l.leap, l.day),
                Some(day),
                "{day}"
            );
            if l.day == 1 {
                if let Some(n) = month_len {
                    assert!(n == 29 || n == 30, "{day}: {n}");
                    let expected = if l.leap {
                        previous.month
                    } else {
                        previous.month % 12 + 1
                    };
                    assert_eq!(l.month, expected, "{day}");
                }
                month_len = Some(0);
            }
            month_len = month_len.map(|n| n + 1);
            previous = l;
            day = day.add_days(1);
        }
    }
}
