//! Civil dates, wall-clock times and time zones, on jiff.
//!
//! [`Date`] is a day of the proleptic Gregorian calendar between 0001 and
//! 9999 (so `YYYY-MM-DD` round-trips), a thin, validated wrapper over
//! `jiff::civil::Date`, which does the arithmetic. [`TimeZone`] is any IANA
//! zone from the tz database bundled into the binary (nothing is read from
//! the host), DST-correct: a branch in Los Angeles or Ho Chi Minh City gets
//! its own local day. [`LocalTime`] stays ours: business hours need 24:00
//! as the end of a day, which no civil-time type has.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
/// Every `Date` that exists is a real calendar day in that range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(jiff::civil::Date);

const UNIX_EPOCH: jiff::civil::Date = jiff::civil::date(1970, 1, 1);

/// Whether `year` has a 29 February.
pub fn is_leap_year(year: i32) -> bool {
    i16::try_from(year)
        .ok()
        .and_then(|y| jiff::civil::Date::new(y, 1, 1).ok())
        .is_some_and(|d| d.in_leap_year())
}

/// Number of days in `month` (1–12) of `year`; 0 for an invalid month.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    let (Ok(y), Ok(m)) = (i16::try_from(year), i8::try_from(month)) else {
        return 0;
    };
    jiff::civil::Date::new(y, m, 1)
        .map(|d| d.days_in_month().unsigned_abs())
        .unwrap_or(0)
}

impl Date {
    /// The earliest representable date, 0001-01-01.
    pub const MIN: Date = Date(jiff::civil::date(1, 1, 1));
    /// The latest representable date, 9999-12-31.
    pub const MAX: Date = Date(jiff::civil::date(9999, 12, 31));

    /// Builds a date, rejecting anything that is not a real calendar day.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1..=9999).contains(&year) {
            return Err(DateError::YearOutOfRange(year));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError::MonthOutOfRange(month));
        }
        let civil = i16::try_from(year)
            .ok()
            .zip(i8::try_from(month).ok())
            .zip(i8::try_from(day).ok())
            .and_then(|((y, m), d)| jiff::civil::Date::new(y, m, d).ok())
            .ok_or(DateError::DayOutOfRange { year, month, day })?;
        Ok(Date(civil))
    }

    /// The date as jiff sees it (for time-zone arithmetic).
    pub fn civil(self) -> jiff::civil::Date {
        self.0
    }

    fn of_civil(d: jiff::civil::Date) -> Option<Date> {
        (Date::MIN.0..=Date::MAX.0).contains(&d).then_some(Date(d))
    }

    pub fn year(self) -> i32 {
        i32::from(self.0.year())
    }

    pub fn month(self) -> u8 {
        self.0.month().unsigned_abs()
    }

    pub fn day(self) -> u8 {
        self.0.day().unsigned_abs()
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn to_days(self) -> i64 {
        UNIX_EPOCH
            .until(self.0)
            .map(|span| i64::from(span.get_days()))
            .unwrap_or(0)
    }

    /// The date `days` days after 1970-01-01, or `None` outside
    /// 0001-01-01..=9999-12-31.
    pub fn from_days(days: i64) -> Option<Date> {
        let span = jiff::Span::new().try_days(days).ok()?;
        Date::of_civil(UNIX_EPOCH.checked_add(span).ok()?)
    }

    /// Day of the week.
    pub fn weekday(self) -> Weekday {
        Weekday::ALL[usize::from(self.0.weekday().to_monday_zero_offset().unsigned_abs())]
    }

    /// The date `days` later (earlier when negative), or `None` when that
    /// leaves 0001-01-01..=9999-12-31.
    pub fn checked_add_days(self, days: i64) -> Option<Date> {
        let span = jiff::Span::new().try_days(days).ok()?;
        Date::of_civil(self.0.checked_add(span).ok()?)
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
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
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

/// Why a time-zone name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    #[error(
        "time zone {0:?} is not an IANA time zone name (for example Asia/Seoul, \
         America/Los_Angeles, Asia/Ho_Chi_Minh or UTC)"
    )]
    Unsupported(String),
}

/// An IANA time zone, from the tz database bundled into the binary.
/// Equal when the names are.
#[derive(Debug, Clone)]
pub struct TimeZone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl PartialEq for TimeZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZone {}

impl std::hash::Hash for TimeZone {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::seoul()
    }
}

impl TimeZone {
    /// Korea Standard Time (the default for a company and its users).
    pub fn seoul() -> TimeZone {
        TimeZone::parse("Asia/Seoul").unwrap_or_else(|_| TimeZone::utc())
    }

    pub fn utc() -> TimeZone {
        TimeZone {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    /// Parses an IANA name (case-insensitive, as the tz database matches;
    /// kept as the database spells it). Anything else is refused by name.
    pub fn parse(name: &str) -> Result<TimeZone, TimeZoneError> {
        let trimmed = name.trim();
        let tz = jiff::tz::db()
            .get(trimmed)
            .map_err(|_| TimeZoneError::Unsupported(name.to_owned()))?;
        let canonical = tz.iana_name().unwrap_or(trimmed).to_owned();
        Ok(TimeZone {
            name: if canonical == "Etc/UTC" {
                "UTC".into()
            } else {
                canonical
            },
            tz,
        })
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone as jiff sees it.
    pub fn jiff(&self) -> &jiff::tz::TimeZone {
        &self.tz
    }

    /// Offset east of UTC at a UTC instant (Unix seconds), DST included.
    pub fn offset_seconds_at(&self, instant_unix_secs: i64) -> Option<i32> {
        let t = jiff::Timestamp::from_second(instant_unix_secs).ok()?;
        Some(self.tz.to_offset(t).seconds())
    }

    /// When local day `d` begins (Unix ms): its first instant, which is
    /// not midnight where a DST change skips it.
    pub fn start_of_day_ms(&self, d: Date) -> Option<i64> {
        let z = d.civil().to_zoned(self.tz.clone()).ok()?;
        Some(z.timestamp().as_millisecond())
    }

    /// The first and last millisecond of the local days `from..=to`
    /// (a day where DST changes is 23 or 25 hours long).
    pub fn days_ms(&self, from: Date, to: Date) -> Option<(i64, i64)> {
        let start = self.start_of_day_ms(from)?;
        let end = self.start_of_day_ms(to.add_days(1))?;
        Some((start, end - 1))
    }

    /// The local date of a UTC instant (Unix ms).
    pub fn date_of_ms(&self, ms: i64) -> Option<Date> {
        self.to_local(ms.div_euclid(1000)).map(|l| l.date)
    }

    /// `YYYY-MM-DD HH:MM:SS` here at a UTC instant (Unix ms), as the
    /// portals, exports and the API print a moment; empty outside the
    /// calendar.
    pub fn wall_clock(&self, ms: i64) -> String {
        self.to_local(ms.div_euclid(1000))
            .map_or_else(String::new, |l| {
                let m = l.minute_of_day;
                format!("{} {:02}:{:02}:{:02}", l.date, m / 60, m % 60, l.second)
            })
    }

    /// The local date and time of a UTC instant (Unix seconds) in this
    /// zone. `None` when the local date falls outside 0001..=9999.
    pub fn to_local(&self, instant_unix_secs: i64) -> Option<LocalMoment> {
        let t = jiff::Timestamp::from_second(instant_unix_secs).ok()?;
        let dt = self.tz.to_datetime(t);
        Some(LocalMoment {
            date: Date::of_civil(dt.date())?,
            minute_of_day: u16::try_from(i32::from(dt.hour()) * 60 + i32::from(dt.minute()))
                .ok()?,
            second: u8::try_from(dt.second()).ok()?,
        })
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
        let local = TimeZone::seoul().to_local(instant).expect("in range");
        assert_eq!(local.date, date("2026-01-01"));
        assert_eq!(local.minute_of_day, 23 * 60 + 59);
        assert_eq!(local.second, 59);
        let next = TimeZone::seoul().to_local(instant + 1).expect("in range");
        assert_eq!(next.date, date("2026-01-02"));
        assert_eq!((next.minute_of_day, next.second), (0, 0));
    }

    #[test]
    fn instants_before_the_epoch_convert_with_floor_division() {
        // 1969-12-31T23:59:59Z.
        let local = TimeZone::utc().to_local(-1).expect("in range");
        assert_eq!(local.date, date("1969-12-31"));
        assert_eq!((local.minute_of_day, local.second), (1439, 59));
        assert_eq!(TimeZone::seoul().to_local(i64::MAX), None);
    }

    #[test]
    fn any_iana_zone_parses_by_name() {
        assert_eq!(
            TimeZone::parse("Asia/Seoul").map(|z| z.name().to_owned()),
            Ok("Asia/Seoul".into())
        );
        assert_eq!(TimeZone::parse("Etc/UTC"), Ok(TimeZone::utc()));
        assert_eq!(TimeZone::parse("UTC"), Ok(TimeZone::utc()));
        // The database matches names without regard to case; ours keep its spelling.
        assert_eq!(TimeZone::parse("asia/seoul"), Ok(TimeZone::seoul()));
        for name in [
            "America/Los_Angeles",
            "Asia/Ho_Chi_Minh",
            "Europe/Paris",
            "Asia/Tokyo",
        ] {
            assert_eq!(
                TimeZone::parse(name).map(|z| z.name().to_owned()),
                Ok(name.to_owned())
            );
        }
        assert_eq!(
            TimeZone::seoul().offset_seconds_at(1_800_000_000),
            Some(32_400)
        );
        assert_eq!(TimeZone::default(), TimeZone::seoul());
    }

    #[test]
    fn daylight_saving_time_moves_the_local_day() {
        let la = TimeZone::parse("America/Los_Angeles").expect("zone");
        // 2026-07-01T06:30:00Z is 23:30 on June 30 in Los Angeles (PDT, -7)...
        let summer = date("2026-07-01").to_days() * 86_400 + 6 * 3600 + 30 * 60;
        let l = la.to_local(summer).expect("local");
        assert_eq!(
            (l.date, l.minute_of_day),
            (date("2026-06-30"), 23 * 60 + 30)
        );
        assert_eq!(la.offset_seconds_at(summer), Some(-7 * 3600));
        // ... and in winter (PST, -8) the same UTC time is 22:30.
        let winter = date("2026-01-01").to_days() * 86_400 + 6 * 3600 + 30 * 60;
        let l = la.to_local(winter).expect("local");
        assert_eq!(
            (l.date, l.minute_of_day),
            (date("2025-12-31"), 22 * 60 + 30)
        );
        // Ho Chi Minh City: UTC+7 all year.
        let hcm = TimeZone::parse("Asia/Ho_Chi_Minh").expect("zone");
        assert_eq!(hcm.offset_seconds_at(summer), Some(7 * 3600));
    }

    #[test]
    fn days_start_at_local_midnight_and_dst_days_are_short() {
        let seoul = TimeZone::seoul();
        let d = Date::new(2026, 12, 1).expect("date");
        // 2026-11-30 15:00 UTC.
        assert_eq!(seoul.start_of_day_ms(d), Some(1_796_050_800_000));
        let la = TimeZone::parse("America/Los_Angeles").expect("zone");
        let spring = Date::new(2026, 3, 8).expect("date");
        let len = la.start_of_day_ms(spring.add_days(1)).expect("next")
            - la.start_of_day_ms(spring).expect("day");
        assert_eq!(len, 23 * 3_600_000, "the day clocks spring forward");
    }

    #[test]
    fn days_and_wall_clocks_follow_the_zone_and_its_daylight_saving() {
        let la = TimeZone::parse("America/Los_Angeles").expect("zone");
        // 2026-03-08: clocks go from 02:00 to 03:00 in Los Angeles (23 hours).
        let d = Date::new(2026, 3, 8).expect("date");
        let (lo, hi) = la.days_ms(d, d).expect("bounds");
        assert_eq!(hi + 1 - lo, 23 * 3_600_000);
        assert_eq!(la.wall_clock(lo), "2026-03-08 00:00:00");
        assert_eq!(la.wall_clock(hi), "2026-03-08 23:59:59");
        assert_eq!(la.date_of_ms(hi + 1), Some(d.add_days(1)));
        // The same instant in Seoul is already the next afternoon.
        assert_eq!(TimeZone::seoul().wall_clock(lo), "2026-03-08 17:00:00");
        let (slo, shi) = TimeZone::seoul()
            .days_ms(d, d.add_days(1))
            .expect("two days");
        assert_eq!(shi + 1 - slo, 48 * 3_600_000);
    }

    #[test]
    fn unknown_time_zones_are_refused_by_name() {
        for name in ["Mars/Olympus", "KST", "+09:00", "", "Asia/Seoul2"] {
            assert_eq!(
                TimeZone::parse(name),
                Err(TimeZoneError::Unsupported(name.to_owned()))
            );
        }
        let message = TimeZone::parse("Asia/Sejong")
            .expect_err("unknown")
            .to_string();
        assert!(message.contains("Asia/Sejong"), "{message}");
        assert!(message.contains("Asia/Seoul"), "{message}");
    }

    #[test]
    fn time_zone_round_trips_through_json_as_its_iana_name() {
        let json = serde_json::to_string(&TimeZone::seoul()).expect("serialize");
        assert_eq!(json, "\"Asia/Seoul\"");
        assert_eq!(
            serde_json::from_str::<TimeZone>(&json).expect("deserialize"),
            TimeZone::seoul()
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
