//! Business hours (업무시간) and the answer to "is this user open at instant
//! T?", which call routing asks on every inbound call.
//!
//! A user either leaves business hours off — the standard Korean office
//! week: Monday to Friday 09:00–18:00 with lunch 12:00–13:00, closed on
//! weekends and public holidays — or turns them on and sets each weekday.
//! Either way the user may list their own closed days (own holidays), and
//! with hours on may choose whether public holidays close them.
//!
//! All intervals are half-open: work `[start, end)` and lunch
//! `[start, end)`, so 09:00:00 is open, 18:00:00 is closed and 13:00:00 is
//! back from lunch. Times have minute precision and 24:00 may end a shift.
//! Shifts crossing midnight are not supported: end must be after start on
//! the same day.
//!
//! When several reasons to be closed apply at once, [`open_at`] reports the
//! first of: own holiday, public holiday, weekly day off, outside work
//! hours, lunch.

use serde::{Deserialize, Serialize};

use crate::calendar::{Date, LocalTime, TimeZone, Weekday};
use crate::holidays::public_holidays_on;

/// Why one day's hours are invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("work hours must end after they start; got {start}–{end}")]
    WorkEndNotAfterStart { start: LocalTime, end: LocalTime },
    #[error("lunch must end after it starts; got {start}–{end}")]
    LunchEndNotAfterStart { start: LocalTime, end: LocalTime },
    #[error("lunch {lunch_start}–{lunch_end} must lie within work hours {work_start}–{work_end}")]
    LunchOutsideWork {
        lunch_start: LocalTime,
        lunch_end: LocalTime,
        work_start: LocalTime,
        work_end: LocalTime,
    },
    #[error("a day marked as a holiday cannot have work hours")]
    WorkOnHoliday,
    #[error("a day marked as a holiday cannot have a lunch break")]
    LunchOnHoliday,
    #[error("a day that is not a holiday needs work hours")]
    MissingWorkHours,
    #[error("the hours applied to several days must be a working day, not a holiday")]
    HolidayTemplate,
}

/// Why a week of business hours is invalid: the first invalid day, Monday
/// first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{day}: {error}")]
pub struct HoursError {
    pub day: Weekday,
    pub error: DayError,
}

/// One weekday's hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Day {
    /// A regular day off (휴무): no work hours, no lunch.
    pub holiday: bool,
    /// Work hours `[start, end)`; required unless `holiday`.
    #[serde(default)]
    pub work: Option<(LocalTime, LocalTime)>,
    /// Lunch break `[start, end)` within the work hours, if any.
    #[serde(default)]
    pub lunch: Option<(LocalTime, LocalTime)>,
}

impl Day {
    /// A regular day off.
    pub fn closed() -> Day {
        Day {
            holiday: true,
            work: None,
            lunch: None,
        }
    }

    /// A working day, validated.
    pub fn working(
        start: LocalTime,
        end: LocalTime,
        lunch: Option<(LocalTime, LocalTime)>,
    ) -> Result<Day, DayError> {
        let day = Day {
            holiday: false,
            work: Some((start, end)),
            lunch,
        };
        day.validate()?;
        Ok(day)
    }

    /// Checks the rules: a holiday has neither work hours nor lunch; any
    /// other day has work hours that end after they start, and a lunch, if
    /// any, that ends after it starts and lies within the work hours.
    pub fn validate(&self) -> Result<(), DayError> {
        if self.holiday {
            if self.work.is_some() {
                return Err(DayError::WorkOnHoliday);
            }
            if self.lunch.is_some() {
                return Err(DayError::LunchOnHoliday);
            }
            return Ok(());
        }
        let Some((work_start, work_end)) = self.work else {
            return Err(DayError::MissingWorkHours);
        };
        if work_end <= work_start {
            return Err(DayError::WorkEndNotAfterStart {
                start: work_start,
                end: work_end,
            });
        }
        if let Some((lunch_start, lunch_end)) = self.lunch {
            if lunch_end <= lunch_start {
                return Err(DayError::LunchEndNotAfterStart {
                    start: lunch_start,
                    end: lunch_end,
                });
            }
            if lunch_start < work_start || lunch_end > work_end {
                return Err(DayError::LunchOutsideWork {
                    lunch_start,
                    lunch_end,
                    work_start,
                    work_end,
                });
            }
        }
        Ok(())
    }
}

/// Which days "apply to all" (일괄적용) overwrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApplyScope {
    /// Monday to Friday, whatever they were (a weekday marked as a holiday
    /// becomes a working day). Saturday and Sunday are left alone.
    Weekdays,
    /// Every day not marked as a holiday, weekends included; days off stay
    /// off.
    WorkingDays,
}

/// Hours for each day of the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyHours {
    pub mon: Day,
    pub tue: Day,
    pub wed: Day,
    pub thu: Day,
    pub fri: Day,
    pub sat: Day,
    pub sun: Day,
}

impl WeeklyHours {
    /// The standard office week used when business hours are off: Monday
    /// to Friday 09:00–18:00 with lunch 12:00–13:00, weekends off.
    pub fn standard() -> WeeklyHours {
        let hm = |hour| LocalTime::new(hour, 0).unwrap_or(LocalTime::MIDNIGHT);
        let weekday = Day {
            holiday: false,
            work: Some((hm(9), hm(18))),
            lunch: Some((hm(12), hm(13))),
        };
        WeeklyHours {
            mon: weekday,
            tue: weekday,
            wed: weekday,
            thu: weekday,
            fri: weekday,
            sat: Day::closed(),
            sun: Day::closed(),
        }
    }

    pub fn day(&self, weekday: Weekday) -> &Day {
        match weekday {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    pub fn day_mut(&mut self, weekday: Weekday) -> &mut Day {
        match weekday {
            Weekday::Mon => &mut self.mon,
            Weekday::Tue => &mut self.tue,
            Weekday::Wed => &mut self.wed,
            Weekday::Thu => &mut self.thu,
            Weekday::Fri => &mut self.fri,
            Weekday::Sat => &mut self.sat,
            Weekday::Sun => &mut self.sun,
        }
    }

    /// Validates every day, Monday first, reporting the first error.
    pub fn validate(&self) -> Result<(), HoursError> {
        for weekday in Weekday::ALL {
            self.day(weekday).validate().map_err(|error| HoursError {
                day: weekday,
                error,
            })?;
        }
        Ok(())
    }

    /// "Apply to all" (일괄적용): copies one working day's hours to the days
    /// in `scope`. The template must itself be a valid working day;
    /// nothing changes otherwise.
    pub fn apply_to_all(&mut self, template: Day, scope: ApplyScope) -> Result<(), DayError> {
        if template.holiday {
            return Err(DayError::HolidayTemplate);
        }
        template.validate()?;
        for weekday in Weekday::ALL {
            let day = self.day_mut(weekday);
            let applies = match scope {
                ApplyScope::Weekdays => !weekday.is_weekend(),
                ApplyScope::WorkingDays => !day.holiday,
            };
            if applies {
                *day = template;
            }
        }
        Ok(())
    }
}

/// Whether the user set their own hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "weekly", rename_all = "lowercase")]
pub enum Mode {
    /// Business hours off: the standard week ([`WeeklyHours::standard`])
    /// and public holidays always apply.
    Off,
    /// The user's own week.
    On(WeeklyHours),
}

/// A user's business-hours settings, stored as JSON.
///
/// Deserializing validates, so a stored value that breaks the rules is
/// refused at load time rather than misrouting calls. The fields are public
/// for the settings screen; call [`BusinessHours::validate`] after editing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "BusinessHoursRecord")]
pub struct BusinessHours {
    pub mode: Mode,
    /// The user's own closed dates (자체 휴무일), in local time.
    pub own_holidays: Vec<Date>,
    /// With hours on, whether public holidays close the user. Ignored with
    /// hours off, where public holidays always apply.
    pub auto_public_holidays: bool,
    /// Zone in which the hours and dates are read.
    pub time_zone: TimeZone,
}

/// The stored shape, before validation.
#[derive(Deserialize)]
struct BusinessHoursRecord {
    mode: Mode,
    #[serde(default)]
    own_holidays: Vec<Date>,
    auto_public_holidays: bool,
    #[serde(default)]
    time_zone: TimeZone,
}

impl TryFrom<BusinessHoursRecord> for BusinessHours {
    type Error = HoursError;
    fn try_from(record: BusinessHoursRecord) -> Result<Self, Self::Error> {
        BusinessHours::new(
            record.mode,
            record.own_holidays,
            record.auto_public_holidays,
            record.time_zone,
        )
    }
}

impl Default for BusinessHours {
    /// Hours off, no own holidays, in Korea.
    fn default() -> Self {
        BusinessHours {
            mode: Mode::Off,
            own_holidays: Vec::new(),
            auto_public_holidays: true,
            time_zone: TimeZone::seoul(),
        }
    }
}

impl BusinessHours {
    /// Builds validated settings. Own holidays are sorted and deduplicated.
    pub fn new(
        mode: Mode,
        mut own_holidays: Vec<Date>,
        auto_public_holidays: bool,
        time_zone: TimeZone,
    ) -> Result<BusinessHours, HoursError> {
        own_holidays.sort();
        own_holidays.dedup();
        let hours = BusinessHours {
            mode,
            own_holidays,
            auto_public_holidays,
            time_zone,
        };
        hours.validate()?;
        Ok(hours)
    }

    /// Checks the weekly hours when they are on; hours off are always valid.
    pub fn validate(&self) -> Result<(), HoursError> {
        match &self.mode {
            Mode::Off => Ok(()),
            Mode::On(weekly) => weekly.validate(),
        }
    }

    /// Whether public holidays (and the one-off days passed to
    /// [`open_at`]) close this user.
    pub fn public_holidays_apply(&self) -> bool {
        matches!(self.mode, Mode::Off) || self.auto_public_holidays
    }
}

/// Why a user is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Outside the day's work hours.
    AfterHours,
    /// Within the day's lunch break.
    Lunch,
    /// A regular day off in the weekly hours (e.g. Sunday).
    WeeklyHoliday,
    /// A public holiday, substitute holiday or one-off day; names of
    /// coinciding holidays are joined with "·" (e.g. "부처님오신날·어린이날").
    PublicHoliday(String),
    /// One of the user's own closed dates.
    OwnHoliday,
}

/// Whether a user is open at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Openness {
    Open,
    Closed(Reason),
}

impl Openness {
    pub fn is_open(&self) -> bool {
        matches!(self, Openness::Open)
    }
}

/// Whether `hours` has the user open at a UTC instant (Unix seconds).
///
/// `extra_holidays` are the operator's one-off public holidays (elections,
/// 임시공휴일); like statutory holidays they count only when
/// [`BusinessHours::public_holidays_apply`]. Invalid day settings (possible
/// only by editing the public fields without validating) read as closed.
pub fn open_at(
    hours: &BusinessHours,
    instant_unix_secs: i64,
    extra_holidays: &[(Date, String)],
) -> Openness {
    let Some(local) = hours.time_zone.to_local(instant_unix_secs) else {
        // Beyond year 9999: nobody is answering.
        return Openness::Closed(Reason::AfterHours);
    };
    let date = local.date;

    if hours.own_holidays.contains(&date) {
        return Openness::Closed(Reason::OwnHoliday);
    }
    if hours.public_holidays_apply() {
        let names: Vec<String> = public_holidays_on(date, extra_holidays)
            .into_iter()
            .map(|h| h.name)
            .collect();
        if !names.is_empty() {
            return Openness::Closed(Reason::PublicHoliday(names.join("·")));
        }
    }

    let standard = WeeklyHours::standard();
    let week = match &hours.mode {
        Mode::On(weekly) => weekly,
        Mode::Off => &standard,
    };
    let day = week.day(date.weekday());
    if day.holiday {
        return Openness::Closed(Reason::WeeklyHoliday);
    }
    let minute = local.minute_of_day;
    let within = |(start, end): (LocalTime, LocalTime)| {
        start.minute_of_day() <= minute && minute < end.minute_of_day()
    };
    match day.work {
        Some(work) if within(work) => {}
        _ => return Openness::Closed(Reason::AfterHours),
    }
    if day.lunch.is_some_and(within) {
        return Openness::Closed(Reason::Lunch);
    }
    Openness::Open
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).expect("valid date")
    }

    fn t(s: &str) -> LocalTime {
        LocalTime::parse(s).expect("valid time")
    }

    /// Unix seconds of a Korean (UTC+9) wall-clock time.
    fn kst(day: &str, hour: i64, minute: i64, second: i64) -> i64 {
        date(day).to_days() * 86_400 + (hour - 9) * 3_600 + minute * 60 + second
    }

    /// Unix seconds of a UTC wall-clock time.
    fn utc(day: &str, hour: i64, minute: i64, second: i64) -> i64 {
        date(day).to_days() * 86_400 + hour * 3_600 + minute * 60 + second
    }

    fn closed(reason: Reason) -> Openness {
        Openness::Closed(reason)
    }

    fn public(name: &str) -> Openness {
        Openness::Closed(Reason::PublicHoliday(name.to_owned()))
    }

    fn off() -> BusinessHours {
        BusinessHours::default()
    }

    /// Hours on: weekdays 10:00–19:00 with lunch 12:30–13:30, Saturday
    /// 10:00–14:00 without lunch, Sunday off.
    fn saturday_shop(auto_public_holidays: bool) -> BusinessHours {
        let mut week = WeeklyHours::standard();
        week.apply_to_all(
            Day::working(t("10:00"), t("19:00"), Some((t("12:30"), t("13:30")))).expect("valid"),
            ApplyScope::Weekdays,
        )
        .expect("valid template");
        week.sat = Day::working(t("10:00"), t("14:00"), None).expect("valid");
        BusinessHours::new(
            Mode::On(week),
            Vec::new(),
            auto_public_holidays,
            TimeZone::seoul(),
        )
        .expect("valid hours")
    }

    // 2026-01-05 is a Monday with no holiday.
    const MONDAY: &str = "2026-01-05";

    #[test]
    fn nine_oclock_exactly_is_open_and_one_second_before_is_not() {
        assert_eq!(open_at(&off(), kst(MONDAY, 9, 0, 0), &[]), Openness::Open);
        assert_eq!(
            open_at(&off(), kst(MONDAY, 8, 59, 59), &[]),
            closed(Reason::AfterHours)
        );
    }

    #[test]
    fn six_oclock_exactly_is_closed_and_one_second_before_is_open() {
        assert_eq!(
            open_at(&off(), kst(MONDAY, 17, 59, 59), &[]),
            Openness::Open
        );
        assert_eq!(
            open_at(&off(), kst(MONDAY, 18, 0, 0), &[]),
            closed(Reason::AfterHours)
        );
    }

    #[test]
    fn lunch_runs_from_noon_up_to_but_not_including_one() {
        let hours = off();
        assert_eq!(
            open_at(&hours, kst(MONDAY, 11, 59, 59), &[]),
            Openness::Open
        );
        assert_eq!(
            open_at(&hours, kst(MONDAY, 12, 0, 0), &[]),
            closed(Reason::Lunch)
        );
        assert_eq!(
            open_at(&hours, kst(MONDAY, 12, 59, 59), &[]),
            closed(Reason::Lunch)
        );
        assert_eq!(open_at(&hours, kst(MONDAY, 13, 0, 0), &[]), Openness::Open);
    }

    #[test]
    fn the_last_second_of_new_years_day_in_korea_is_still_a_holiday() {
        // 2026-01-01T14:59:59Z is 23:59:59 KST on 신정.
        let instant = utc("2026-01-01", 14, 59, 59);
        assert_eq!(open_at(&off(), instant, &[]), public("신정"));
        // One second later it is Friday 2 January, 00:00 KST.
        assert_eq!(
            open_at(&off(), instant + 1, &[]),
            closed(Reason::AfterHours)
        );
    }

    #[test]
    fn a_utc_morning_can_be_a_korean_business_afternoon() {
        // 2026-01-02T00:00:00Z is 09:00 KST, Friday: open. In UTC the same
        // instant is midnight, so a UTC user is closed.
        let instant = utc("2026-01-02", 0, 0, 0);
        assert_eq!(open_at(&off(), instant, &[]), Openness::Open);
        let utc_user = BusinessHours {
            time_zone: TimeZone::utc(),
            ..off()
        };
        assert_eq!(open_at(&utc_user, instant, &[]), closed(Reason::AfterHours));
        // The evening before in UTC (2026-01-01T23:00Z) is already 08:00 on
        // the 2nd in Korea, but for the UTC user it is still 신정.
        assert_eq!(
            open_at(&utc_user, utc("2026-01-01", 23, 0, 0), &[]),
            public("신정")
        );
    }

    #[test]
    fn friday_evening_then_saturday_are_closed_for_different_reasons() {
        // 2026-01-09 is a Friday.
        assert_eq!(
            open_at(&off(), kst("2026-01-09", 17, 0, 0), &[]),
            Openness::Open
        );
        assert_eq!(
            open_at(&off(), kst("2026-01-09", 23, 59, 59), &[]),
            closed(Reason::AfterHours)
        );
        assert_eq!(
            open_at(&off(), kst("2026-01-10", 0, 0, 0), &[]),
            closed(Reason::WeeklyHoliday)
        );
        assert_eq!(
            open_at(&off(), kst("2026-01-10", 10, 0, 0), &[]),
            closed(Reason::WeeklyHoliday)
        );
    }

    #[test]
    fn a_substitute_holiday_closes_a_user_with_hours_off() {
        // 삼일절 2026 is a Sunday; Monday 3.2 is its 대체공휴일.
        assert_eq!(
            open_at(&off(), kst("2026-03-02", 10, 0, 0), &[]),
            public("대체공휴일")
        );
        assert_eq!(
            open_at(&off(), kst("2026-03-03", 10, 0, 0), &[]),
            Openness::Open
        );
    }

    #[test]
    fn hours_off_close_on_public_holidays_even_without_the_tick() {
        let hours = BusinessHours {
            auto_public_holidays: false,
            ..off()
        };
        // 설날 2026-02-17 is a Tuesday.
        assert_eq!(
            open_at(&hours, kst("2026-02-17", 10, 0, 0), &[]),
            public("설날")
        );
    }

    #[test]
    fn coinciding_holidays_are_reported_by_both_names() {
        assert_eq!(
            open_at(&off(), kst("2025-05-05", 10, 0, 0), &[]),
            public("부처님오신날·어린이날")
        );
        assert_eq!(
            open_at(&off(), kst("2025-05-06", 10, 0, 0), &[]),
            public("대체공휴일")
        );
    }

    #[test]
    fn an_own_holiday_closes_the_day_whatever_the_mode() {
        let own = vec![date("2026-01-07")];
        let hours_off =
            BusinessHours::new(Mode::Off, own.clone(), true, TimeZone::seoul()).expect("valid");
        assert_eq!(
            open_at(&hours_off, kst("2026-01-07", 10, 0, 0), &[]),
            closed(Reason::OwnHoliday)
        );
        let mut shop = saturday_shop(false);
        shop.own_holidays = own;
        assert_eq!(
            open_at(&shop, kst("2026-01-07", 0, 0, 0), &[]),
            closed(Reason::OwnHoliday)
        );
        assert_eq!(
            open_at(&shop, kst("2026-01-08", 11, 0, 0), &[]),
            Openness::Open
        );
    }

    #[test]
    fn an_own_holiday_is_reported_before_a_public_holiday() {
        let hours =
            BusinessHours::new(Mode::Off, vec![date("2026-01-01")], true, TimeZone::seoul())
                .expect("valid");
        assert_eq!(
            open_at(&hours, kst("2026-01-01", 10, 0, 0), &[]),
            closed(Reason::OwnHoliday)
        );
    }

    #[test]
    fn an_operator_one_off_closes_users_who_follow_public_holidays() {
        let election = vec![(date("2026-06-03"), "전국동시지방선거".to_owned())];
        let instant = kst("2026-06-03", 10, 0, 0);
        assert_eq!(
            open_at(&off(), instant, &election),
            public("전국동시지방선거")
        );
        assert_eq!(open_at(&off(), instant, &[]), Openness::Open);
        assert_eq!(
            open_at(&saturday_shop(true), instant, &election),
            public("전국동시지방선거")
        );
        assert_eq!(
            open_at(&saturday_shop(false), instant, &election),
            Openness::Open
        );
    }

    #[test]
    fn a_saturday_shift_is_open_until_its_own_end() {
        let shop = saturday_shop(true);
        // 2026-01-10 is a Saturday.
        assert_eq!(
            open_at(&shop, kst("2026-01-10", 9, 59, 59), &[]),
            closed(Reason::AfterHours)
        );
        assert_eq!(
            open_at(&shop, kst("2026-01-10", 10, 0, 0), &[]),
            Openness::Open
        );
        assert_eq!(
            open_at(&shop, kst("2026-01-10", 12, 45, 0), &[]),
            Openness::Open,
            "no lunch on Saturday"
        );
        assert_eq!(
            open_at(&shop, kst("2026-01-10", 14, 0, 0), &[]),
            closed(Reason::AfterHours)
        );
        assert_eq!(
            open_at(&shop, kst("2026-01-11", 11, 0, 0), &[]),
            closed(Reason::WeeklyHoliday)
        );
    }

    #[test]
    fn weekday_hours_set_by_apply_to_all_are_used_with_hours_on() {
        let shop = saturday_shop(true);
        assert_eq!(
            open_at(&shop, kst(MONDAY, 9, 30, 0), &[]),
            closed(Reason::AfterHours)
        );
        assert_eq!(open_at(&shop, kst(MONDAY, 12, 15, 0), &[]), Openness::Open);
        assert_eq!(
            open_at(&shop, kst(MONDAY, 12, 30, 0), &[]),
            closed(Reason::Lunch)
        );
        assert_eq!(open_at(&shop, kst(MONDAY, 18, 30, 0), &[]), Openness::Open);
        assert_eq!(
            open_at(&shop, kst(MONDAY, 19, 0, 0), &[]),
            closed(Reason::AfterHours)
        );
    }

    #[test]
    fn hours_on_follow_public_holidays_only_when_ticked() {
        // 설날 2026-02-17 is a Tuesday; 대체공휴일 2026-05-25 a Monday.
        for day in ["2026-02-17", "2026-05-25"] {
            let instant = kst(day, 11, 0, 0);
            assert!(matches!(
                open_at(&saturday_shop(true), instant, &[]),
                Openness::Closed(Reason::PublicHoliday(_))
            ));
            assert_eq!(open_at(&saturday_shop(false), instant, &[]), Openness::Open);
        }
    }

    #[test]
    fn a_public_holiday_on_a_working_saturday_closes_it() {
        // 광복절 2026 is a Saturday.
        assert_eq!(
            open_at(&saturday_shop(true), kst("2026-08-15", 11, 0, 0), &[]),
            public("광복절")
        );
        assert_eq!(
            open_at(&saturday_shop(false), kst("2026-08-15", 11, 0, 0), &[]),
            Openness::Open
        );
    }

    #[test]
    fn a_shift_may_run_until_midnight() {
        let mut week = WeeklyHours::standard();
        week.mon = Day::working(t("18:00"), t("24:00"), None).expect("valid");
        let night =
            BusinessHours::new(Mode::On(week), Vec::new(), true, TimeZone::seoul()).expect("valid");
        assert_eq!(
            open_at(&night, kst(MONDAY, 23, 59, 59), &[]),
            Openness::Open
        );
        assert_eq!(
            open_at(&night, kst("2026-01-06", 0, 0, 0), &[]),
            closed(Reason::AfterHours)
        );
        assert_eq!(
            open_at(&night, kst(MONDAY, 17, 59, 59), &[]),
            closed(Reason::AfterHours)
        );
    }

    #[test]
    fn tokyo_reads_the_same_clock_as_seoul() {
        let tokyo = BusinessHours {
            time_zone: TimeZone::parse("Asia/Tokyo").expect("zone"),
            ..off()
        };
        assert_eq!(open_at(&tokyo, kst(MONDAY, 9, 0, 0), &[]), Openness::Open);
    }

    #[test]
    fn instants_beyond_the_calendar_are_closed() {
        assert_eq!(open_at(&off(), i64::MAX, &[]), closed(Reason::AfterHours));
        assert!(!open_at(&off(), i64::MIN, &[]).is_open());
    }

    #[test]
    fn work_must_end_after_it_starts() {
        assert_eq!(
            Day::working(t("18:00"), t("09:00"), None),
            Err(DayError::WorkEndNotAfterStart {
                start: t("18:00"),
                end: t("09:00")
            })
        );
        assert!(Day::working(t("09:00"), t("09:00"), None).is_err());
    }

    #[test]
    fn lunch_must_end_after_it_starts_and_lie_within_work() {
        assert_eq!(
            Day::working(t("09:00"), t("18:00"), Some((t("13:00"), t("12:00")))),
            Err(DayError::LunchEndNotAfterStart {
                start: t("13:00"),
                end: t("12:00")
            })
        );
        assert_eq!(
            Day::working(t("09:00"), t("18:00"), Some((t("08:30"), t("09:30")))),
            Err(DayError::LunchOutsideWork {
                lunch_start: t("08:30"),
                lunch_end: t("09:30"),
                work_start: t("09:00"),
                work_end: t("18:00"),
            })
        );
        assert!(Day::working(t("09:00"), t("18:00"), Some((t("17:30"), t("18:30")))).is_err());
        // Touching the edges is fine.
        assert!(Day::working(t("09:00"), t("18:00"), Some((t("09:00"), t("10:00")))).is_ok());
        assert!(Day::working(t("09:00"), t("18:00"), Some((t("17:00"), t("18:00")))).is_ok());
    }

    #[test]
    fn a_holiday_cannot_have_hours_and_a_working_day_must() {
        let mut week = WeeklyHours::standard();
        week.sun = Day {
            holiday: true,
            work: Some((t("10:00"), t("12:00"))),
            lunch: None,
        };
        assert_eq!(
            week.validate(),
            Err(HoursError {
                day: Weekday::Sun,
                error: DayError::WorkOnHoliday
            })
        );
        week.sun = Day {
            holiday: true,
            work: None,
            lunch: Some((t("12:00"), t("13:00"))),
        };
        assert_eq!(
            week.validate().map_err(|e| e.error),
            Err(DayError::LunchOnHoliday)
        );
        week.sun = Day::closed();
        week.wed = Day {
            holiday: false,
            work: None,
            lunch: None,
        };
        let error = week.validate().expect_err("Wednesday has no hours");
        assert_eq!(error.day, Weekday::Wed);
        assert_eq!(error.error, DayError::MissingWorkHours);
        assert_eq!(
            error.to_string(),
            "Wednesday: a day that is not a holiday needs work hours"
        );
    }

    #[test]
    fn business_hours_on_refuse_an_invalid_week_and_off_accepts_anything() {
        let mut week = WeeklyHours::standard();
        week.fri.lunch = Some((t("19:00"), t("20:00")));
        let error = BusinessHours::new(Mode::On(week), Vec::new(), true, TimeZone::seoul())
            .expect_err("lunch after work");
        assert_eq!(error.day, Weekday::Fri);
        assert!(matches!(error.error, DayError::LunchOutsideWork { .. }));
        assert_eq!(off().validate(), Ok(()));
    }

    #[test]
    fn own_holidays_are_sorted_and_deduplicated() {
        let hours = BusinessHours::new(
            Mode::Off,
            vec![date("2026-03-05"), date("2026-01-07"), date("2026-03-05")],
            true,
            TimeZone::seoul(),
        )
        .expect("valid");
        assert_eq!(
            hours.own_holidays,
            vec![date("2026-01-07"), date("2026-03-05")]
        );
    }

    #[test]
    fn apply_to_all_weekdays_overwrites_monday_to_friday_only() {
        let mut week = WeeklyHours::standard();
        week.wed = Day::closed();
        week.sat = Day::working(t("10:00"), t("14:00"), None).expect("valid");
        let template = Day::working(t("08:00"), t("17:00"), None).expect("valid");
        week.apply_to_all(template, ApplyScope::Weekdays)
            .expect("valid template");
        for weekday in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ] {
            assert_eq!(*week.day(weekday), template, "{weekday}");
        }
        assert_eq!(week.sat.work, Some((t("10:00"), t("14:00"))));
        assert_eq!(week.sun, Day::closed());
    }

    #[test]
    fn apply_to_all_working_days_keeps_days_off() {
        let mut week = WeeklyHours::standard();
        week.wed = Day::closed();
        week.sat = Day::working(t("10:00"), t("14:00"), None).expect("valid");
        let template = Day::working(t("08:00"), t("17:00"), None).expect("valid");
        week.apply_to_all(template, ApplyScope::WorkingDays)
            .expect("valid template");
        assert_eq!(week.mon, template);
        assert_eq!(week.sat, template);
        assert_eq!(week.wed, Day::closed());
        assert_eq!(week.sun, Day::closed());
    }

    #[test]
    fn apply_to_all_refuses_a_holiday_or_invalid_template_and_changes_nothing() {
        let mut week = WeeklyHours::standard();
        assert_eq!(
            week.apply_to_all(Day::closed(), ApplyScope::Weekdays),
            Err(DayError::HolidayTemplate)
        );
        let backwards = Day {
            holiday: false,
            work: Some((t("18:00"), t("09:00"))),
            lunch: None,
        };
        assert!(matches!(
            week.apply_to_all(backwards, ApplyScope::WorkingDays),
            Err(DayError::WorkEndNotAfterStart { .. })
        ));
        assert_eq!(week, WeeklyHours::standard());
    }

    #[test]
    fn business_hours_round_trip_through_json() {
        let shop = saturday_shop(true);
        let json = serde_json::to_string(&shop).expect("serialize");
        assert!(json.contains(r#""mode":{"kind":"on","weekly":{"mon":{"holiday":false,"work":["10:00","19:00"],"lunch":["12:30","13:30"]}"#), "{json}");
        assert!(json.contains(r#""time_zone":"Asia/Seoul""#), "{json}");
        assert_eq!(
            serde_json::from_str::<BusinessHours>(&json).expect("deserialize"),
            shop
        );

        let off_json = serde_json::to_string(&off()).expect("serialize");
        assert_eq!(
            off_json,
            r#"{"mode":{"kind":"off"},"own_holidays":[],"auto_public_holidays":true,"time_zone":"Asia/Seoul"}"#
        );
        assert_eq!(
            serde_json::from_str::<BusinessHours>(&off_json).expect("deserialize"),
            off()
        );
    }

    #[test]
    fn stored_json_is_validated_on_load() {
        let invalid = r#"{"mode":{"kind":"on","weekly":{
            "mon":{"holiday":true,"work":["09:00","18:00"]},
            "tue":{"holiday":true},"wed":{"holiday":true},"thu":{"holiday":true},
            "fri":{"holiday":true},"sat":{"holiday":true},"sun":{"holiday":true}}},
            "auto_public_holidays":true,"time_zone":"Asia/Seoul"}"#;
        let error = serde_json::from_str::<BusinessHours>(invalid).expect_err("work on holiday");
        assert!(error.to_string().contains("Monday"), "{error}");

        let unknown_zone =
            r#"{"mode":{"kind":"off"},"auto_public_holidays":true,"time_zone":"Mars/Base"}"#;
        assert!(serde_json::from_str::<BusinessHours>(unknown_zone).is_err());

        // Missing own holidays and zone default to none and Asia/Seoul.
        let minimal = r#"{"mode":{"kind":"off"},"auto_public_holidays":false}"#;
        let hours = serde_json::from_str::<BusinessHours>(minimal).expect("valid");
        assert_eq!(hours.time_zone, TimeZone::seoul());
        assert!(hours.own_holidays.is_empty());
    }
}
