//! Civil dates, wall-clock times and the few fixed-offset time zones we serve.
//!
//! No date crate is allowed in this crate, so the proleptic Gregorian
//! arithmetic lives here: days since 1970-01-01 ("Unix days") converted to
//! and from year/month/day with Howard Hinnant's `days_from_civil` /
//! `civil_from_days` algorithms, and the weekday taken from the day count.
//!
//! Time zones are deliberately limited to zones with a fixed offset today:
//! `Asia/Seoul` (UTC+9), `Asia/Tokyo` (UTC+9) and `UTC`. Korea and Japan
//! have not observed daylight saving time since 1988 and 1951, and the
//! product only evaluates business hours for present and future instants,
//! so a fixed offset is exact for every instant we care about. Anything else
//! is rejected by name with [`TimeZoneError::Unsupported`] rather than being
//! silently treated as UTC.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const SECONDS_PER_DAY: i64 = 86_400;
const MINUTES_PER_DAY: u16 = 24 * 60;

/// Why a value is not a valid [`Date`] or [`LocalTime`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("date must look like YYYY-MM-DD; got {0:?}")]
    DateFormat(String),
    #[error("time must look like HH:MM; got {0:?}")]
    TimeFormat(String),
    #[error("year must be between 1 and 9999; got {0}")]
    YearOutOfRange(i32),
    #[error("month must be between 1 and 12; got {0}")]
    MonthOutOfRange(u8),
    #[error("{year:04}-{month:02} has no day {day}")]
    DayOutOfRange { year: i32, month: u8, day: u8 },
    #[error(
        "hour must be between 0 and 23 (or 24:00 for the end of the day); got {hour:02}:{minute:02}"
    )]
    HourOutOfRange { hour: u8, minute: u8 },
    #[error("minute must be between 0 and 59; got {0}")]
    MinuteOutOfRange(u8),
}

/// Day of the week, Monday first as in ISO 8601 and Korean calendars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// All seven days, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Sat | Weekday::Sun)
    }

    /// The Korean one-letter name used on calendars (월, 화, …).
    pub fn korean(self) -> &'static str {
        match self {
            Weekday::Mon => "월",
            Weekday::Tue => "화",
            Weekday::Wed => "수",
            Weekday::Thu => "목",
            Weekday::Fri => "금",
            Weekday::Sat => "토",
            Weekday::Sun => "일",
        }
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Weekday::Mon => "Monday",
            Weekday::Tue => "Tuesday",
            Weekday::Wed => "Wednesday",
            Weekday::Thu => "Thursday",
            Weekday::Fri => "Friday",
            Weekday::Sat => "Saturday",
            Weekday::Sun => "Sunday",
        })
    }
}

/// A proleptic Gregorian calendar date between 0001-01-01 and 9999-12-31.
///
/// The range keeps `Display`/`FromStr` a lossless `YYYY-MM-DD` round trip.
/// Fields are private so every `Date` that exists is a real calendar day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    // Field order matters: the derived `Ord` is chronological.
    year: i32,
    month: u8,
    day: u8,
}

/// Whether `year` has a 29 February.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1–12) of `year`; 0 for an invalid month.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The earliest representable date, 0001-01-01.
    pub const MIN: Date = Date {
        year: 1,
        month: 1,
        day: 1,
    };
    /// The latest representable date, 9999-12-31.
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// Builds a date, rejecting anything that is not a real calendar day.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=9999).contains(&year) {
            return Err(DateError::YearOutOfRange(year));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::MonthOutOfRange(month));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::DayOutOfRange { year, month, day });
        }
        Ok(Date { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn to_days(self) -> i64 {
        // Hinnant's days_from_civil: count from 0000-03-01 so the leap day
        // is the last day of the counting year, then shift to the Unix epoch.
        let month = i64::from(self.month);
        let day = i64::from(self.day);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month_from_march = (month + 9) % 12;
        let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` days after 1970-01-01, or `None` outside
    /// 0001-01-01..=9999-12-31.
    pub fn from_days(days: i64) -> Option<Date> {
        if days < Date::MIN.to_days() || days > Date::MAX.to_days() {
            return None;
        }
        // Hinnant's civil_from_days (inverse of `to_days`).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 3
        } else {
            month_from_march - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Some(Date {
            year: i32::try_from(year).ok()?,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
        })
    }

    /// Day of the week.
    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday, index 3 counting from Monday = 0.
        let index = (self.to_days() + 3).rem_euclid(7);
        Weekday::ALL[usize::try_from(index).unwrap_or(0)]
    }

    /// The date `days` later (earlier when negative), or `None` when that
    /// leaves 0001-01-01..=9999-12-31.
    pub fn checked_add_days(self, days: i64) -> Option<Date> {
        Date::from_days(self.to_days().checked_add(days)?)
    }

    /// The date `days` later (earlier when negative), saturating at
    /// [`Date::MIN`] and [`Date::MAX`]. The product only handles dates a few
    /// decades around today, so saturation is a guard, not a feature.
    pub fn add_days(self, days: i64) -> Date {
        self.checked_add_days(days)
            .unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
    }

    /// Parses `YYYY-MM-DD` exactly (four-digit year, two-digit month and
    /// day), trimming surrounding white space only.
    pub fn parse(input: &str) -> Result<Date, DateError> {
        let s = input.trim();
        let bytes = s.as_bytes();
        let well_formed = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !well_formed {
            return Err(DateError::DateFormat(input.to_owned()));
        }
        let number = |range: std::ops::Range<usize>| -> Result<u16, DateError> {
            s.get(range)
                .and_then(|part| part.parse().ok())
                .ok_or_else(|| DateError::DateFormat(input.to_owned()))
        };
        let year = i32::from(number(0..4)?);
        let month =
            u8::try_from(number(5..7)?).map_err(|_| DateError::DateFormat(input.to_owned()))?;
        let day =
            u8::try_from(number(8..10)?).map_err(|_| DateError::DateFormat(input.to_owned()))?;
        Date::new(year, month, day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A wall-clock time with minute precision, 00:00 to 23:59, plus 24:00 as
/// the end of the day so that a shift can run until midnight
/// (`18:00`–`24:00`) while intervals stay half-open `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalTime {
    // Minutes since midnight, 0..=1440; the derived `Ord` is chronological.
    minutes: u16,
}

impl LocalTime {
    /// 00:00.
    pub const MIDNIGHT: LocalTime = LocalTime { minutes: 0 };
    /// 24:00, the end of the day (only meaningful as an interval end).
    pub const END_OF_DAY: LocalTime = LocalTime {
        minutes: MINUTES_PER_DAY,
    };

    /// Builds a time; 24:00 is accepted, 24:01 and later are not.
    pub fn new(hour: u8, minute: u8) -> Result<LocalTime, DateError> {
        if minute > 59 {
            return Err(DateError::MinuteOutOfRange(minute));
        }
        if hour > 24 || (hour == 24 && minute != 0) {
            return Err(DateError::HourOutOfRange { hour, minute });
        }
        Ok(LocalTime {
            minutes: u16::from(hour) * 60 + u16::from(minute),
        })
    }

    /// The time `minutes` after midnight (0..=1440).
    pub fn from_minute_of_day(minutes: u16) -> Option<LocalTime> {
        (minutes <= MINUTES_PER_DAY).then_some(LocalTime { minutes })
    }

    pub fn hour(self) -> u8 {
        // At most 24, so the conversion cannot fail.
        u8::try_from(self.minutes / 60).unwrap_or(24)
    }

    pub fn minute(self) -> u8 {
        u8::try_from(self.minutes % 60).unwrap_or(0)
    }

    /// Minutes since midnight, 0..=1440.
    pub fn minute_of_day(self) -> u16 {
        self.minutes
    }

    /// Parses `HH:MM` exactly (two digits each), trimming surrounding white
    /// space only.
    pub fn parse(input: &str) -> Result<LocalTime, DateError> {
        let s = input.trim();
        let bytes = s.as_bytes();
        let well_formed = bytes.len() == 5
            && bytes[2] == b':'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 2 || b.is_ascii_digit());
        if !well_formed {
            return Err(DateError::TimeFormat(input.to_owned()));
        }
        let number = |range: std::ops::Range<usize>| -> Result<u8, DateError> {
            s.get(range)
                .and_then(|part| part.parse().ok())
                .ok_or_else(|| DateError::TimeFormat(input.to_owned()))
        };
        LocalTime::new(number(0..2)?, number(3..5)?)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

impl FromStr for LocalTime {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LocalTime::parse(s)
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        LocalTime::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A local calendar day and the position within it, at second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalMoment {
    pub date: Date,
    /// Minutes since local midnight, 0..=1439.
    pub minute_of_day: u16,
    /// Seconds within the minute, 0..=59.
    pub second: u8,
}

/// Converts a UTC instant (Unix seconds) to the local date and minute of day
/// at a fixed offset east of UTC. `None` when the local date falls outside
/// 0001-01-01..=9999-12-31.
pub fn to_local(instant_unix_secs: i64, offset_seconds: i32) -> Option<LocalMoment> {
    let local = instant_unix_secs.checked_add(i64::from(offset_seconds))?;
    let date = Date::from_days(local.div_euclid(SECONDS_PER_DAY))?;
    let second_of_day = local.rem_euclid(SECONDS_PER_DAY);
    Some(LocalMoment {
        date,
        minute_of_day: u16::try_from(second_of_day / 60).ok()?,
        second: u8::try_from(second_of_day % 60).ok()?,
    })
}

/// Why a time-zone name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    #[error(
        "time zone {0:?} is not supported; use one of Asia/Seoul, Asia/Tokyo or UTC \
         (only fixed-offset zones are supported)"
    )]
    Unsupported(String),
}

/// A time zone we serve, named by its IANA identifier. Only zones whose
/// offset is fixed today are supported, so conversion needs no tz database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimeZone {
    /// Korea Standard Time, UTC+9, no daylight saving time since 1988.
    #[default]
    AsiaSeoul,
    /// Japan Standard Time, UTC+9, no daylight saving time since 1951.
    AsiaTokyo,
    /// Coordinated Universal Time.
    Utc,
}

impl TimeZone {
    /// Parses an IANA name. Matching is exact (IANA names are
    /// case-sensitive), except that `Etc/UTC` is accepted as `UTC`.
    pub fn parse(name: &str) -> Result<TimeZone, TimeZoneError> {
        match name.trim() {
            "Asia/Seoul" => Ok(TimeZone::AsiaSeoul),
            "Asia/Tokyo" => Ok(TimeZone::AsiaTokyo),
            "UTC" | "Etc/UTC" => Ok(TimeZone::Utc),
            _ => Err(TimeZoneError::Unsupported(name.to_owned())),
        }
    }

    /// The canonical IANA name.
    pub fn name(self) -> &'static str {
        match self {
            TimeZone::AsiaSeoul => "Asia/Seoul",
            TimeZone::AsiaTokyo => "Asia/Tokyo",
            TimeZone::Utc => "UTC",
        }
    }

    /// Offset east of UTC in seconds.
    pub fn offset_seconds(self) -> i32 {
        match self {
            TimeZone::AsiaSeoul | TimeZone::AsiaTokyo => 9 * 3600,
            TimeZone::Utc => 0,
        }
    }

    /// The local date and time of a UTC instant (Unix seconds) in this zone.
    pub fn to_local(self, instant_unix_secs: i64) -> Option<LocalMoment> {
        to_local(instant_unix_secs, self.offset_seconds())
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TimeZone {
    type Err = TimeZoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimeZone::parse(s)
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TimeZone::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).expect("valid date")
    }

    #[test]
    fn unix_epoch_is_day_zero_and_a_thursday() {
        let epoch = date("1970-01-01");
        assert_eq!(epoch.to_days(), 0);
        assert_eq!(epoch.weekday(), Weekday::Thu);
        assert_eq!(Date::from_days(0), Some(epoch));
    }

    #[test]
    fn days_round_trip_over_the_whole_range() {
        // Every 97th day from 0001-01-01 to 9999-12-31, plus both ends.
        let mut days = Date::MIN.to_days();
        let last = Date::MAX.to_days();
        while days <= last {
            let d = Date::from_days(days).expect("in range");
            assert_eq!(d.to_days(), days, "{d}");
            assert_eq!(Date::new(d.year(), d.month(), d.day()), Ok(d));
            days += 97;
        }
        assert_eq!(Date::from_days(last), Some(Date::MAX));
        assert_eq!(Date::from_days(last + 1), None);
        assert_eq!(Date::from_days(Date::MIN.to_days() - 1), None);
    }

    #[test]
    fn consecutive_days_advance_the_calendar_by_one() {
        let mut d = date("1999-12-25");
        for _ in 0..800 {
            let next = d.add_days(1);
            assert_eq!(next.to_days(), d.to_days() + 1);
            assert!(next > d);
            d = next;
        }
        assert_eq!(d, date("2002-03-04"));
    }

    #[test]
    fn known_dates_have_known_day_numbers_and_weekdays() {
        assert_eq!(date("2000-03-01").to_days(), 11_017);
        assert_eq!(date("2026-01-01").to_days(), 20_454);
        assert_eq!(date("2026-01-01").weekday(), Weekday::Thu);
        assert_eq!(date("2025-05-05").weekday(), Weekday::Mon);
        assert_eq!(date("2027-02-07").weekday(), Weekday::Sun);
        assert_eq!(date("1900-01-01").weekday(), Weekday::Mon);
        assert_eq!(date("0001-01-01").weekday(), Weekday::Mon);
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(2000, 2, 29).is_ok());
        assert_eq!(
            Date::new(1900, 2, 29),
            Err(DateError::DayOutOfRange {
                year: 1900,
                month: 2,
                day: 29
            })
        );
        assert!(Date::new(2026, 2, 29).is_err());
    }

    #[test]
    fn invalid_parts_are_rejected_with_the_offending_part() {
        assert_eq!(Date::new(0, 1, 1), Err(DateError::YearOutOfRange(0)));
        assert_eq!(
            Date::new(10_000, 1, 1),
            Err(DateError::YearOutOfRange(10_000))
        );
        assert_eq!(Date::new(2026, 13, 1), Err(DateError::MonthOutOfRange(13)));
        assert_eq!(Date::new(2026, 0, 1), Err(DateError::MonthOutOfRange(0)));
        assert!(matches!(
            Date::new(2026, 4, 31),
            Err(DateError::DayOutOfRange { day: 31, .. })
        ));
        assert!(matches!(
            Date::new(2026, 4, 0),
            Err(DateError::DayOutOfRange { day: 0, .. })
        ));
    }

    #[test]
    fn dates_parse_only_as_yyyy_mm_dd() {
        assert_eq!(date(" 2026-03-01 ").to_string(), "2026-03-01");
        for bad in [
            "2026-3-1",
            "2026/03/01",
            "20260301",
            "2026-03-01T00:00",
            "+026-03-01",
            "",
            "２０２６-03-01",
        ] {
            assert!(
                matches!(Date::parse(bad), Err(DateError::DateFormat(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            Date::parse("2026-02-30"),
            Err(DateError::DayOutOfRange {
                year: 2026,
                month: 2,
                day: 30
            })
        );
    }

    #[test]
    fn date_round_trips_through_json_as_a_string() {
        let d = date("2026-09-25");
        let json = serde_json::to_string(&d).expect("serialize");
        assert_eq!(json, "\"2026-09-25\"");
        assert_eq!(serde_json::from_str::<Date>(&json).expect("deserialize"), d);
        assert!(serde_json::from_str::<Date>("\"2026-09-31\"").is_err());
        assert!(serde_json::from_str::<Date>("20260925").is_err());
    }

    #[test]
    fn adding_days_crosses_months_years_and_saturates_at_the_ends() {
        assert_eq!(date("2024-02-28").add_days(1), date("2024-02-29"));
        assert_eq!(date("2024-02-29").add_days(1), date("2024-03-01"));
        assert_eq!(date("2026-12-31").add_days(1), date("2027-01-01"));
        assert_eq!(date("2027-01-01").add_days(-1), date("2026-12-31"));
        assert_eq!(Date::MAX.checked_add_days(1), None);
        assert_eq!(Date::MAX.add_days(1), Date::MAX);
        assert_eq!(Date::MIN.add_days(-1), Date::MIN);
    }

    #[test]
    fn local_times_parse_and_display_as_hh_mm() {
        let t = LocalTime::parse("09:05").expect("valid");
        assert_eq!((t.hour(), t.minute(), t.minute_of_day()), (9, 5, 545));
        assert_eq!(t.to_string(), "09:05");
        assert_eq!(LocalTime::parse("24:00"), Ok(LocalTime::END_OF_DAY));
        assert_eq!(LocalTime::END_OF_DAY.to_string(), "24:00");
        assert_eq!(LocalTime::parse("00:00"), Ok(LocalTime::MIDNIGHT));
        for bad in ["9:00", "09:0", "0900", "09-00", "09:00:00", "", "ab:cd"] {
            assert!(
                matches!(LocalTime::parse(bad), Err(DateError::TimeFormat(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            LocalTime::parse("24:01"),
            Err(DateError::HourOutOfRange {
                hour: 24,
                minute: 1
            })
        );
        assert_eq!(
            LocalTime::parse("25:00"),
            Err(DateError::HourOutOfRange {
                hour: 25,
                minute: 0
            })
        );
        assert_eq!(
            LocalTime::parse("12:60"),
            Err(DateError::MinuteOutOfRange(60))
        );
    }

    #[test]
    fn local_time_round_trips_through_json_as_a_string() {
        let t = LocalTime::new(18, 0).expect("valid");
        let json = serde_json::to_string(&t).expect("serialize");
        assert_eq!(json, "\"18:00\"");
        assert_eq!(
            serde_json::from_str::<LocalTime>(&json).expect("deserialize"),
            t
        );
        assert!(serde_json::from_str::<LocalTime>("\"18:0\"").is_err());
    }

    #[test]
    fn one_second_before_kst_midnight_is_still_the_previous_day() {
        // 2026-01-01T14:59:59Z is 23:59:59 KST on New Year's Day.
        let instant = date("2026-01-01").to_days() * 86_400 + 14 * 3600 + 59 * 60 + 59;
        let local = TimeZone::AsiaSeoul.to_local(instant).expect("in range");
        assert_eq!(local.date, date("2026-01-01"));
        assert_eq!(local.minute_of_day, 23 * 60 + 59);
        assert_eq!(local.second, 59);
        let next = TimeZone::AsiaSeoul.to_local(instant + 1).expect("in range");
        assert_eq!(next.date, date("2026-01-02"));
        assert_eq!((next.minute_of_day, next.second), (0, 0));
    }

    #[test]
    fn instants_before_the_epoch_convert_with_floor_division() {
        // 1969-12-31T23:59:59Z.
        let local = to_local(-1, 0).expect("in range");
        assert_eq!(local.date, date("1969-12-31"));
        assert_eq!((local.minute_of_day, local.second), (1439, 59));
        assert_eq!(to_local(i64::MAX, 9 * 3600), None);
    }

    #[test]
    fn supported_time_zones_parse_by_iana_name() {
        assert_eq!(TimeZone::parse("Asia/Seoul"), Ok(TimeZone::AsiaSeoul));
        assert_eq!(TimeZone::parse("Asia/Tokyo"), Ok(TimeZone::AsiaTokyo));
        assert_eq!(TimeZone::parse("UTC"), Ok(TimeZone::Utc));
        assert_eq!(TimeZone::parse("Etc/UTC"), Ok(TimeZone::Utc));
        assert_eq!(TimeZone::AsiaSeoul.offset_seconds(), 32_400);
        assert_eq!(TimeZone::default(), TimeZone::AsiaSeoul);
    }

    #[test]
    fn unknown_time_zones_are_refused_by_name() {
        for name in ["America/New_York", "asia/seoul", "KST", "+09:00", ""] {
            assert_eq!(
                TimeZone::parse(name),
                Err(TimeZoneError::Unsupported(name.to_owned()))
            );
        }
        let message = TimeZone::parse("Europe/Paris")
            .expect_err("unsupported")
            .to_string();
        assert!(message.contains("Europe/Paris"), "{message}");
        assert!(message.contains("Asia/Seoul"), "{message}");
    }

    #[test]
    fn time_zone_round_trips_through_json_as_its_iana_name() {
        let json = serde_json::to_string(&TimeZone::AsiaSeoul).expect("serialize");
        assert_eq!(json, "\"Asia/Seoul\"");
        assert_eq!(
            serde_json::from_str::<TimeZone>(&json).expect("deserialize"),
            TimeZone::AsiaSeoul
        );
        assert!(serde_json::from_str::<TimeZone>("\"Mars/Olympus\"").is_err());
    }

    #[test]
    fn weekday_serializes_as_a_lowercase_short_name() {
        assert_eq!(
            serde_json::to_string(&Weekday::Sat).expect("serialize"),
            "\"sat\""
        );
        assert!(Weekday::Sun.is_weekend());
        assert!(!Weekday::Fri.is_weekend());
        assert_eq!(Weekday::Wed.korean(), "수");
    }
}
