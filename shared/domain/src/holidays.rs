//! Korean public holidays (관공서의 공휴일) for a year, computed from the
//! rules of the 「관공서의 공휴일에 관한 규정」 (Presidential Decree) and the
//! 「공휴일에 관한 법률」, each rule applied from the date it took effect.
//!
//! Nothing here is a table of dates: solar holidays are fixed month/day
//! pairs, lunar holidays come from [`crate::lunar`], and substitute holidays
//! (대체공휴일) follow the rules below. One-off days the government declares
//! (elections under 공직선거법 §34, 임시공휴일) cannot be computed; callers
//! pass them in and [`public_holidays_with`] merges them.
//!
//! Holidays and when they are public (제2조):
//!
//! | name | date | public |
//! |---|---|---|
//! | 신정 | 1 January | always |
//! | 설날 | lunar 12/last day, 1/1, 1/2 | always (all three days are named 설날) |
//! | 삼일절 | 1 March | always |
//! | 노동절 | 1 May | from 2026-05-01 (법률 제21543호, 2026-04-09 공포) |
//! | 부처님오신날 | lunar 4/8 | always |
//! | 어린이날 | 5 May | always |
//! | 현충일 | 6 June | always |
//! | 제헌절 | 17 July | until 2007, and again from 2026-05-11 (법률 제21338호, 2026-02-10 공포) |
//! | 광복절 | 15 August | always |
//! | 추석 | lunar 8/14, 8/15, 8/16 | always (all three days are named 추석) |
//! | 개천절 | 3 October | always |
//! | 한글날 | 9 October | until 1990, and again from 2013 |
//! | 성탄절 | 25 December | always (기독탄신일 in the decree) |
//!
//! Substitute holidays (제3조) — a substitute is "the first following day
//! that is not a public holiday", where Saturdays are skipped too (제3조③)
//! and so are days already taken by an earlier substitute (제3조②):
//!
//! | from | holidays | triggered by |
//! |---|---|---|
//! | 2013-11-05 | 설날, 추석 | a Sunday, or another holiday on a weekday |
//! | 2013-11-05 | 어린이날 | a Saturday, a Sunday, or another holiday on a weekday |
//! | 2021-08-04 | 삼일절, 광복절, 개천절, 한글날 | a Saturday, a Sunday, or another holiday on a weekday |
//! | 2023-05-04 | 부처님오신날, 성탄절 | a Saturday, a Sunday, or another holiday on a weekday |
//! | 2026-05-01 | 노동절 | a Saturday, a Sunday, or another holiday on a weekday |
//! | 2026-05-11 | 제헌절 | a Saturday, a Sunday, or another holiday on a weekday |
//!
//! 신정 and 현충일 never get a substitute, and a Saturday never triggers one
//! for 설날 or 추석. A rule applies to a holiday falling on or after the date
//! the rule took effect (so 삼일절 2021, a Monday anyway, predates its rule,
//! and 광복절 2021 is the first national day with a substitute).
//!
//! When holidays coincide, each lost day is replaced once: on a weekday two
//! coinciding holidays lose one day between them (2025-05-05, 어린이날 and
//! 부처님오신날, gave the single substitute 2025-05-06; 2017-10-03, 추석 and
//! 개천절, gave 2017-10-06), while on a weekend every holiday with a
//! weekend rule is lost and replaced. One-off days block a substitute from
//! landing on them but, as 제3조 only counts 제2조 2호–10호, never trigger one.
//!
//! Coinciding holidays are listed as separate entries with the same date
//! (2025-05-05 has both 부처님오신날 and 어린이날), in the order of the table
//! above; one-offs follow the statutory entries of their date, substitutes
//! come last. The rules are exact from 2006 on (식목일, dropped that year, is
//! not modelled, nor is the single-day 설날 before 1989).

use serde::{Deserialize, Serialize};

use crate::calendar::{Date, Weekday};
use crate::lunar::lunar_to_solar;

/// Name of every substitute holiday entry.
pub const SUBSTITUTE_HOLIDAY: &str = "대체공휴일";

/// One public holiday on one date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Holiday {
    pub date: Date,
    /// Official Korean name, e.g. "설날", "부처님오신날", "대체공휴일", or the
    /// caller's name for a one-off day.
    pub name: String,
    /// True for a substitute holiday (대체공휴일).
    pub substitute: bool,
}

/// The statutory public holidays of `year`, substitutes included, sorted by
/// date. Elections and other one-off days are not included: see
/// [`public_holidays_with`].
pub fn public_holidays(year: i32) -> Vec<Holiday> {
    public_holidays_with(year, &[])
}

/// The public holidays of `year` with the operator's one-off days
/// (elections, 임시공휴일) merged in. One-offs dated in other years are
/// ignored, and a one-off identical (same date and name) to an entry
/// already listed is not repeated.
pub fn public_holidays_with(year: i32, one_offs: &[(Date, String)]) -> Vec<Holiday> {
    let statutory = statutory_days(year);

    let mut holidays: Vec<Holiday> = statutory
        .iter()
        .map(|&(date, kind)| Holiday {
            date,
            name: kind.name().to_owned(),
            substitute: false,
        })
        .collect();
    for (date, name) in one_offs {
        let duplicate = holidays.iter().any(|h| h.date == *date && h.name == *name);
        if date.year() == year && !duplicate {
            holidays.push(Holiday {
                date: *date,
                name: name.clone(),
                substitute: false,
            });
        }
    }

    // Every day already off: substitutes may not land on them.
    let mut taken: Vec<Date> = holidays.iter().map(|h| h.date).collect();
    let mut dates: Vec<Date> = statutory.iter().map(|&(date, _)| date).collect();
    dates.dedup();
    for date in dates {
        let kinds: Vec<Kind> = statutory
            .iter()
            .filter(|&&(d, _)| d == date)
            .map(|&(_, kind)| kind)
            .collect();
        for _ in 0..substitutes_owed(date, &kinds) {
            let Some(substitute) = first_free_day_after(date, &taken) else {
                break;
            };
            taken.push(substitute);
            holidays.push(Holiday {
                date: substitute,
                name: SUBSTITUTE_HOLIDAY.to_owned(),
                substitute: true,
            });
        }
    }

    // Stable: within a date, statutory order, then one-offs, then substitutes.
    holidays.sort_by_key(|h| h.date);
    holidays
}

/// The public holidays (with one-offs) that fall on `date`.
pub fn public_holidays_on(date: Date, one_offs: &[(Date, String)]) -> Vec<Holiday> {
    public_holidays_with(date.year(), one_offs)
        .into_iter()
        .filter(|h| h.date == date)
        .collect()
}

/// The statutory holidays, in the order of the module table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NewYearsDay,
    Seollal,
    IndependenceMovementDay,
    LaborDay,
    BuddhasBirthday,
    ChildrensDay,
    MemorialDay,
    ConstitutionDay,
    LiberationDay,
    Chuseok,
    NationalFoundationDay,
    HangulDay,
    Christmas,
}

impl Kind {
    const ALL: [Kind; 13] = [
        Kind::NewYearsDay,
        Kind::Seollal,
        Kind::IndependenceMovementDay,
        Kind::LaborDay,
        Kind::BuddhasBirthday,
        Kind::ChildrensDay,
        Kind::MemorialDay,
        Kind::ConstitutionDay,
        Kind::LiberationDay,
        Kind::Chuseok,
        Kind::NationalFoundationDay,
        Kind::HangulDay,
        Kind::Christmas,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::NewYearsDay => "신정",
            Kind::Seollal => "설날",
            Kind::IndependenceMovementDay => "삼일절",
            Kind::LaborDay => "노동절",
            Kind::BuddhasBirthday => "부처님오신날",
            Kind::ChildrensDay => "어린이날",
            Kind::MemorialDay => "현충일",
            Kind::ConstitutionDay => "제헌절",
            Kind::LiberationDay => "광복절",
            Kind::Chuseok => "추석",
            Kind::NationalFoundationDay => "개천절",
            Kind::HangulDay => "한글날",
            Kind::Christmas => "성탄절",
        }
    }

    /// The solar dates of this holiday in `year` (three for 설날 and 추석).
    fn dates(self, year: i32) -> Vec<Date> {
        let fixed = |month, day| Date::new(year, month, day).ok().into_iter().collect();
        // 설날 전날 is lunar 12/29 or 12/30, whichever ends the year: the day
        // before lunar 1/1 either way.
        let around = |month, day| {
            lunar_to_solar(year, month, false, day)
                .map(|d| vec![d.add_days(-1), d, d.add_days(1)])
                .unwrap_or_default()
        };
        match self {
            Kind::NewYearsDay => fixed(1, 1),
            Kind::Seollal => around(1, 1),
            Kind::IndependenceMovementDay => fixed(3, 1),
            Kind::LaborDay => fixed(5, 1),
            Kind::BuddhasBirthday => lunar_to_solar(year, 4, false, 8).into_iter().collect(),
            Kind::ChildrensDay => fixed(5, 5),
            Kind::MemorialDay => fixed(6, 6),
            Kind::ConstitutionDay => fixed(7, 17),
            Kind::LiberationDay => fixed(8, 15),
            Kind::Chuseok => around(8, 15),
            Kind::NationalFoundationDay => fixed(10, 3),
            Kind::HangulDay => fixed(10, 9),
            Kind::Christmas => fixed(12, 25),
        }
    }

    /// Whether the day is a public holiday on `date` under the law then in
    /// force.
    fn is_public_on(self, date: Date) -> bool {
        match self {
            // 공휴일에 관한 법률 개정 (법률 제21543호), in force 2026-05-01.
            Kind::LaborDay => date >= ymd(2026, 5, 1),
            // Dropped from 2008 (decree amended 2005-06-30, effective
            // 2008-01-01); restored by 법률 제21338호, in force 2026-05-11.
            Kind::ConstitutionDay => date < ymd(2008, 1, 1) || date >= ymd(2026, 5, 11),
            // Dropped from 1991, restored by the decree amended 2012-12-28.
            Kind::HangulDay => date < ymd(1991, 1, 1) || date >= ymd(2013, 1, 1),
            _ => true,
        }
    }

    /// When each kind of substitute rule took effect for this holiday, if
    /// ever.
    fn substitute_rules(self) -> Rules {
        // Decree amended 2013-11-05: 설날·추석 and 어린이날 only.
        let since_2013 = ymd(2013, 11, 5);
        // Decree wholly amended 2021-08-04 after the 공휴일에 관한 법률:
        // national days (국경일) that are public holidays.
        let since_2021 = ymd(2021, 8, 4);
        // Decree amended 2023-05-04: 부처님오신날 and 기독탄신일.
        let since_2023 = ymd(2023, 5, 4);
        let all_from = |from| Rules {
            saturday: Some(from),
            sunday: Some(from),
            overlap: Some(from),
        };
        match self {
            Kind::NewYearsDay | Kind::MemorialDay => Rules::default(),
            Kind::Seollal | Kind::Chuseok => Rules {
                saturday: None,
                sunday: Some(since_2013),
                overlap: Some(since_2013),
            },
            Kind::ChildrensDay => all_from(since_2013),
            Kind::IndependenceMovementDay
            | Kind::LiberationDay
            | Kind::NationalFoundationDay
            | Kind::HangulDay => all_from(since_2021),
            Kind::BuddhasBirthday | Kind::Christmas => all_from(since_2023),
            // Both became public holidays with substitute rules already in
            // force (대통령령 제36290호, 2026-04-30).
            Kind::LaborDay => all_from(ymd(2026, 5, 1)),
            Kind::ConstitutionDay => all_from(ymd(2026, 5, 11)),
        }
    }
}

/// Dates from which each trigger of a substitute holiday applies.
#[derive(Debug, Clone, Copy, Default)]
struct Rules {
    saturday: Option<Date>,
    sunday: Option<Date>,
    /// Coinciding with another statutory holiday on a weekday.
    overlap: Option<Date>,
}

fn in_force(rule: Option<Date>, date: Date) -> bool {
    rule.is_some_and(|from| date >= from)
}

/// A date known to be valid; the holiday rules only name real dates.
fn ymd(year: i32, month: u8, day: u8) -> Date {
    Date::new(year, month, day).unwrap_or(Date::MIN)
}

/// Every statutory holiday of `year` as (date, kind), sorted by date and
/// then by the order of [`Kind::ALL`].
fn statutory_days(year: i32) -> Vec<(Date, Kind)> {
    let mut days: Vec<(Date, Kind)> = Kind::ALL
        .iter()
        .flat_map(|&kind| {
            kind.dates(year)
                .into_iter()
                .filter(move |&date| date.year() == year && kind.is_public_on(date))
                .map(move |date| (date, kind))
        })
        .collect();
    days.sort_by_key(|&(date, _)| date);
    days
}

/// How many substitute days the holidays on `date` are owed.
fn substitutes_owed(date: Date, kinds: &[Kind]) -> usize {
    let weekday = date.weekday();
    let coinciding = kinds.len() >= 2;
    let triggered = kinds
        .iter()
        .filter(|kind| {
            let rules = kind.substitute_rules();
            match weekday {
                Weekday::Sat => in_force(rules.saturday, date),
                Weekday::Sun => in_force(rules.sunday, date),
                _ => coinciding && in_force(rules.overlap, date),
            }
        })
        .count();
    // A weekend day off is lost to every holiday on it; on a weekday one of
    // the coinciding holidays is still enjoyed.
    let lost = if weekday.is_weekend() {
        kinds.len()
    } else {
        kinds.len().saturating_sub(1)
    };
    triggered.min(lost)
}

/// The first day after `date` that is a weekday and not already off.
fn first_free_day_after(date: Date, taken: &[Date]) -> Option<Date> {
    let mut day = date.checked_add_days(1)?;
    while day.weekday().is_weekend() || taken.contains(&day) {
        day = day.checked_add_days(1)?;
    }
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).expect("valid date")
    }

    /// Compares `public_holidays(year)` with an expected list of
    /// ("MM-DD", name); the name "대체공휴일" marks a substitute.
    fn assert_year(year: i32, expected: &[(&str, &str)]) {
        let expected: Vec<Holiday> = expected
            .iter()
            .map(|&(month_day, name)| Holiday {
                date: date(&format!("{year}-{month_day}")),
                name: name.to_owned(),
                substitute: name == SUBSTITUTE_HOLIDAY,
            })
            .collect();
        let actual = public_holidays(year);
        let show = |list: &[Holiday]| {
            list.iter()
                .map(|h| format!("{} {}", h.date, h.name))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert!(
            actual == expected,
            "{year}\nexpected:\n{}\n\nactual:\n{}",
            show(&expected),
            show(&actual)
        );
    }

    const SUB: &str = SUBSTITUTE_HOLIDAY;

    // Sources, 2015–2025: KASI's 월력요항 for each year (the official basis
    // for calendars; compiled in hyunbinseo/holidays-kr for 2018 on, and
    // reported in the press for 2015–2017), less elections and 임시공휴일
    // (2015-08-14, 2016-04-13, 2016-05-06, 2017-05-09, 2017-10-02,
    // 2018-06-13, 2020-04-15, 2020-08-17, 2022-03-09, 2022-06-01,
    // 2023-10-02, 2024-04-10, 2024-10-01, 2025-01-27, 2025-06-03), which
    // are one-offs the function does not compute.

    #[test]
    fn holidays_of_2015_match_the_official_calendar() {
        // 월력요항 2015: 추석 연휴 9.26–28 and 대체공휴일 9.29.
        assert_year(
            2015,
            &[
                ("01-01", "신정"),
                ("02-18", "설날"),
                ("02-19", "설날"),
                ("02-20", "설날"),
                ("03-01", "삼일절"),
                ("05-05", "어린이날"),
                ("05-25", "부처님오신날"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("09-26", "추석"),
                ("09-27", "추석"),
                ("09-28", "추석"),
                ("09-29", SUB),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2016_match_the_official_calendar() {
        // 월력요항 2016: 설날 연휴 2.7–9 (Sunday first) and 대체공휴일 2.10.
        assert_year(
            2016,
            &[
                ("01-01", "신정"),
                ("02-07", "설날"),
                ("02-08", "설날"),
                ("02-09", "설날"),
                ("02-10", SUB),
                ("03-01", "삼일절"),
                ("05-05", "어린이날"),
                ("05-14", "부처님오신날"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("09-14", "추석"),
                ("09-15", "추석"),
                ("09-16", "추석"),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2017_match_the_official_calendar() {
        // 월력요항 2017: 설날 다음날 on a Sunday (대체 1.30); 추석 전날 on
        // 개천절 (대체 10.6).
        assert_year(
            2017,
            &[
                ("01-01", "신정"),
                ("01-27", "설날"),
                ("01-28", "설날"),
                ("01-29", "설날"),
                ("01-30", SUB),
                ("03-01", "삼일절"),
                ("05-03", "부처님오신날"),
                ("05-05", "어린이날"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("10-03", "추석"),
                ("10-03", "개천절"),
                ("10-04", "추석"),
                ("10-05", "추석"),
                ("10-06", SUB),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2018_match_the_official_calendar() {
        // 월력요항 2018 (hyunbinseo/holidays-kr public/2018.json).
        assert_year(
            2018,
            &[
                ("01-01", "신정"),
                ("02-15", "설날"),
                ("02-16", "설날"),
                ("02-17", "설날"),
                ("03-01", "삼일절"),
                ("05-05", "어린이날"),
                ("05-07", SUB),
                ("05-22", "부처님오신날"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("09-23", "추석"),
                ("09-24", "추석"),
                ("09-25", "추석"),
                ("09-26", SUB),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2019_match_the_official_calendar() {
        // 월력요항 2019 (public/2019.json): 부처님오신날 on a Sunday had no
        // substitute before 2023.
        assert_year(
            2019,
            &[
                ("01-01", "신정"),
                ("02-04", "설날"),
                ("02-05", "설날"),
                ("02-06", "설날"),
                ("03-01", "삼일절"),
                ("05-05", "어린이날"),
                ("05-06", SUB),
                ("05-12", "부처님오신날"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("09-12", "추석"),
                ("09-13", "추석"),
                ("09-14", "추석"),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2020_match_the_official_calendar() {
        // 월력요항 2020 (public/2020.json): 삼일절 on a Sunday and 개천절
        // on a Saturday had no substitute before 2021-08.
        assert_year(
            2020,
            &[
                ("01-01", "신정"),
                ("01-24", "설날"),
                ("01-25", "설날"),
                ("01-26", "설날"),
                ("01-27", SUB),
                ("03-01", "삼일절"),
                ("04-30", "부처님오신날"),
                ("05-05", "어린이날"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("09-30", "추석"),
                ("10-01", "추석"),
                ("10-02", "추석"),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2021_match_the_official_calendar() {
        // 월력요항 2021 as amended (public/2021.csv): the first national-day
        // substitutes, 8.16, 10.4 and 10.11; 성탄절 on a Saturday had none.
        assert_year(
            2021,
            &[
                ("01-01", "신정"),
                ("02-11", "설날"),
                ("02-12", "설날"),
                ("02-13", "설날"),
                ("03-01", "삼일절"),
                ("05-05", "어린이날"),
                ("05-19", "부처님오신날"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("08-16", SUB),
                ("09-20", "추석"),
                ("09-21", "추석"),
                ("09-22", "추석"),
                ("10-03", "개천절"),
                ("10-04", SUB),
                ("10-09", "한글날"),
                ("10-11", SUB),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2022_match_the_official_calendar() {
        // 월력요항 2022 (public/2022.json).
        assert_year(
            2022,
            &[
                ("01-01", "신정"),
                ("01-31", "설날"),
                ("02-01", "설날"),
                ("02-02", "설날"),
                ("03-01", "삼일절"),
                ("05-05", "어린이날"),
                ("05-08", "부처님오신날"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("09-09", "추석"),
                ("09-10", "추석"),
                ("09-11", "추석"),
                ("09-12", SUB),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("10-10", SUB),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2023_match_the_official_calendar() {
        // 월력요항 2023 as amended (public/2023.json): the first
        // 부처님오신날 substitute, 5.29.
        assert_year(
            2023,
            &[
                ("01-01", "신정"),
                ("01-21", "설날"),
                ("01-22", "설날"),
                ("01-23", "설날"),
                ("01-24", SUB),
                ("03-01", "삼일절"),
                ("05-05", "어린이날"),
                ("05-27", "부처님오신날"),
                ("05-29", SUB),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("09-28", "추석"),
                ("09-29", "추석"),
                ("09-30", "추석"),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2024_match_the_official_calendar() {
        // 월력요항 2024 (public/2024.json).
        assert_year(
            2024,
            &[
                ("01-01", "신정"),
                ("02-09", "설날"),
                ("02-10", "설날"),
                ("02-11", "설날"),
                ("02-12", SUB),
                ("03-01", "삼일절"),
                ("05-05", "어린이날"),
                ("05-06", SUB),
                ("05-15", "부처님오신날"),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("09-16", "추석"),
                ("09-17", "추석"),
                ("09-18", "추석"),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2025_match_the_official_calendar() {
        // 월력요항 2025 (public/2025.json): 어린이날 and 부처님오신날 on the
        // same Monday give one substitute, 5.6.
        assert_year(
            2025,
            &[
                ("01-01", "신정"),
                ("01-28", "설날"),
                ("01-29", "설날"),
                ("01-30", "설날"),
                ("03-01", "삼일절"),
                ("03-03", SUB),
                ("05-05", "부처님오신날"),
                ("05-05", "어린이날"),
                ("05-06", SUB),
                ("06-06", "현충일"),
                ("08-15", "광복절"),
                ("10-03", "개천절"),
                ("10-05", "추석"),
                ("10-06", "추석"),
                ("10-07", "추석"),
                ("10-08", SUB),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2026_match_the_official_calendar_and_the_2026_amendments() {
        // 월력요항 2026 (KASA, 2025-06-30; hyunbinseo public/2026.json) plus
        // 노동절 (public from 2026-05-01) and 제헌절 (from 2026-05-11), which
        // the 2027 월력요항 confirms were added in 2026-04. Less the local
        // elections of 2026-06-03.
        assert_year(
            2026,
            &[
                ("01-01", "신정"),
                ("02-16", "설날"),
                ("02-17", "설날"),
                ("02-18", "설날"),
                ("03-01", "삼일절"),
                ("03-02", SUB),
                ("05-01", "노동절"),
                ("05-05", "어린이날"),
                ("05-24", "부처님오신날"),
                ("05-25", SUB),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("08-15", "광복절"),
                ("08-17", SUB),
                ("09-24", "추석"),
                ("09-25", "추석"),
                ("09-26", "추석"),
                ("10-03", "개천절"),
                ("10-05", SUB),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2027_match_the_official_calendar() {
        // 월력요항 2027 (KASA, 2026-06-29; hyunbinseo public/2027.json):
        // substitutes for 설날, 노동절, 제헌절, 광복절, 개천절, 한글날 and
        // 성탄절; none for 현충일 on a Sunday.
        assert_year(
            2027,
            &[
                ("01-01", "신정"),
                ("02-06", "설날"),
                ("02-07", "설날"),
                ("02-08", "설날"),
                ("02-09", SUB),
                ("03-01", "삼일절"),
                ("05-01", "노동절"),
                ("05-03", SUB),
                ("05-05", "어린이날"),
                ("05-13", "부처님오신날"),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("07-19", SUB),
                ("08-15", "광복절"),
                ("08-16", SUB),
                ("09-14", "추석"),
                ("09-15", "추석"),
                ("09-16", "추석"),
                ("10-03", "개천절"),
                ("10-04", SUB),
                ("10-09", "한글날"),
                ("10-11", SUB),
                ("12-25", "성탄절"),
                ("12-27", SUB),
            ],
        );
    }

    // Sources, 2028–2035: no 월력요항 is published yet (KASA publishes one
    // year ahead). Lunar dates are KASI's, from its solar/lunar conversion
    // data (as embedded in the korean-lunar-calendar library, 1000–2050);
    // substitutes are the decree's rules as in force since 2026-05-11,
    // applied by hand. Elections (2028-04-12 국회의원선거 and later ones)
    // are one-offs and left out.

    #[test]
    fn holidays_of_2028_follow_kasi_lunar_dates_and_the_current_rules() {
        // 추석 (10.2–4) takes in 개천절 on Tuesday 10.3: one substitute, 10.5.
        assert_year(
            2028,
            &[
                ("01-01", "신정"),
                ("01-26", "설날"),
                ("01-27", "설날"),
                ("01-28", "설날"),
                ("03-01", "삼일절"),
                ("05-01", "노동절"),
                ("05-02", "부처님오신날"),
                ("05-05", "어린이날"),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("08-15", "광복절"),
                ("10-02", "추석"),
                ("10-03", "추석"),
                ("10-03", "개천절"),
                ("10-04", "추석"),
                ("10-05", SUB),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2029_follow_kasi_lunar_dates_and_the_current_rules() {
        assert_year(
            2029,
            &[
                ("01-01", "신정"),
                ("02-12", "설날"),
                ("02-13", "설날"),
                ("02-14", "설날"),
                ("03-01", "삼일절"),
                ("05-01", "노동절"),
                ("05-05", "어린이날"),
                ("05-07", SUB),
                ("05-20", "부처님오신날"),
                ("05-21", SUB),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("08-15", "광복절"),
                ("09-21", "추석"),
                ("09-22", "추석"),
                ("09-23", "추석"),
                ("09-24", SUB),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2030_follow_kasi_lunar_dates_and_the_current_rules() {
        assert_year(
            2030,
            &[
                ("01-01", "신정"),
                ("02-02", "설날"),
                ("02-03", "설날"),
                ("02-04", "설날"),
                ("02-05", SUB),
                ("03-01", "삼일절"),
                ("05-01", "노동절"),
                ("05-05", "어린이날"),
                ("05-06", SUB),
                ("05-09", "부처님오신날"),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("08-15", "광복절"),
                ("09-11", "추석"),
                ("09-12", "추석"),
                ("09-13", "추석"),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2031_follow_kasi_lunar_dates_and_the_current_rules() {
        assert_year(
            2031,
            &[
                ("01-01", "신정"),
                ("01-22", "설날"),
                ("01-23", "설날"),
                ("01-24", "설날"),
                ("03-01", "삼일절"),
                ("03-03", SUB),
                ("05-01", "노동절"),
                ("05-05", "어린이날"),
                ("05-28", "부처님오신날"),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("08-15", "광복절"),
                ("09-30", "추석"),
                ("10-01", "추석"),
                ("10-02", "추석"),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2032_follow_kasi_lunar_dates_and_the_current_rules() {
        // A year of weekend holidays: nine substitutes.
        assert_year(
            2032,
            &[
                ("01-01", "신정"),
                ("02-10", "설날"),
                ("02-11", "설날"),
                ("02-12", "설날"),
                ("03-01", "삼일절"),
                ("05-01", "노동절"),
                ("05-03", SUB),
                ("05-05", "어린이날"),
                ("05-16", "부처님오신날"),
                ("05-17", SUB),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("07-19", SUB),
                ("08-15", "광복절"),
                ("08-16", SUB),
                ("09-18", "추석"),
                ("09-19", "추석"),
                ("09-20", "추석"),
                ("09-21", SUB),
                ("10-03", "개천절"),
                ("10-04", SUB),
                ("10-09", "한글날"),
                ("10-11", SUB),
                ("12-25", "성탄절"),
                ("12-27", SUB),
            ],
        );
    }

    #[test]
    fn holidays_of_2033_follow_kasi_lunar_dates_and_the_current_rules() {
        assert_year(
            2033,
            &[
                ("01-01", "신정"),
                ("01-30", "설날"),
                ("01-31", "설날"),
                ("02-01", "설날"),
                ("02-02", SUB),
                ("03-01", "삼일절"),
                ("05-01", "노동절"),
                ("05-02", SUB),
                ("05-05", "어린이날"),
                ("05-06", "부처님오신날"),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("07-18", SUB),
                ("08-15", "광복절"),
                ("09-07", "추석"),
                ("09-08", "추석"),
                ("09-09", "추석"),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("10-10", SUB),
                ("12-25", "성탄절"),
                ("12-26", SUB),
            ],
        );
    }

    #[test]
    fn holidays_of_2034_follow_kasi_lunar_dates_and_the_current_rules() {
        assert_year(
            2034,
            &[
                ("01-01", "신정"),
                ("02-18", "설날"),
                ("02-19", "설날"),
                ("02-20", "설날"),
                ("02-21", SUB),
                ("03-01", "삼일절"),
                ("05-01", "노동절"),
                ("05-05", "어린이날"),
                ("05-25", "부처님오신날"),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("08-15", "광복절"),
                ("09-26", "추석"),
                ("09-27", "추석"),
                ("09-28", "추석"),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn holidays_of_2035_follow_kasi_lunar_dates_and_the_current_rules() {
        assert_year(
            2035,
            &[
                ("01-01", "신정"),
                ("02-07", "설날"),
                ("02-08", "설날"),
                ("02-09", "설날"),
                ("03-01", "삼일절"),
                ("05-01", "노동절"),
                ("05-05", "어린이날"),
                ("05-07", SUB),
                ("05-15", "부처님오신날"),
                ("06-06", "현충일"),
                ("07-17", "제헌절"),
                ("08-15", "광복절"),
                ("09-15", "추석"),
                ("09-16", "추석"),
                ("09-17", "추석"),
                ("09-18", SUB),
                ("10-03", "개천절"),
                ("10-09", "한글날"),
                ("12-25", "성탄절"),
            ],
        );
    }

    #[test]
    fn seollal_2027_falls_on_february_6_to_8() {
        let seollal: Vec<Date> = public_holidays(2027)
            .into_iter()
            .filter(|h| h.name == "설날")
            .map(|h| h.date)
            .collect();
        assert_eq!(
            seollal,
            vec![date("2027-02-06"), date("2027-02-07"), date("2027-02-08")]
        );
    }

    #[test]
    fn one_offs_are_merged_by_date_and_deduplicated() {
        let one_offs = vec![
            (date("2026-06-03"), "전국동시지방선거".to_owned()),
            (date("2026-06-03"), "전국동시지방선거".to_owned()),
            (date("2027-01-04"), "next year's day".to_owned()),
            (date("2026-01-01"), "신정".to_owned()),
        ];
        let holidays = public_holidays_with(2026, &one_offs);
        let june_3: Vec<&Holiday> = holidays
            .iter()
            .filter(|h| h.date == date("2026-06-03"))
            .collect();
        assert_eq!(june_3.len(), 1);
        assert_eq!(june_3[0].name, "전국동시지방선거");
        assert!(!june_3[0].substitute);
        assert_eq!(holidays.len(), public_holidays(2026).len() + 1);
        assert!(holidays.iter().all(|h| h.date.year() == 2026));
    }

    #[test]
    fn a_one_off_pushes_a_substitute_to_the_next_free_day() {
        // Without it, 삼일절 2026 (a Sunday) is replaced on Monday 3.2.
        let one_offs = vec![(date("2026-03-02"), "임시공휴일".to_owned())];
        let march: Vec<(String, String)> = public_holidays_with(2026, &one_offs)
            .into_iter()
            .filter(|h| h.date.month() == 3)
            .map(|h| (h.date.to_string(), h.name))
            .collect();
        assert_eq!(
            march,
            vec![
                ("2026-03-01".to_owned(), "삼일절".to_owned()),
                ("2026-03-02".to_owned(), "임시공휴일".to_owned()),
                ("2026-03-03".to_owned(), SUB.to_owned()),
            ]
        );
    }

    #[test]
    fn a_one_off_on_a_holiday_does_not_earn_a_substitute() {
        // 제3조 counts only 제2조 2호–10호 as "other holidays", so an
        // election on 어린이날 (a Tuesday in 2026) changes nothing.
        let one_offs = vec![(date("2026-05-05"), "임시공휴일".to_owned())];
        let substitutes = |list: Vec<Holiday>| -> Vec<Date> {
            list.into_iter()
                .filter(|h| h.substitute)
                .map(|h| h.date)
                .collect()
        };
        assert_eq!(
            substitutes(public_holidays_with(2026, &one_offs)),
            substitutes(public_holidays(2026))
        );
    }

    #[test]
    fn holidays_on_a_date_lists_every_name() {
        let names: Vec<String> = public_holidays_on(date("2025-05-05"), &[])
            .into_iter()
            .map(|h| h.name)
            .collect();
        assert_eq!(names, vec!["부처님오신날", "어린이날"]);
        assert!(public_holidays_on(date("2025-05-07"), &[]).is_empty());
    }

    #[test]
    fn constitution_day_is_public_before_2008_and_from_2026_only() {
        let has_constitution_day = |year| public_holidays(year).iter().any(|h| h.name == "제헌절");
        assert!(has_constitution_day(2007));
        assert!(!has_constitution_day(2008));
        assert!(!has_constitution_day(2025));
        assert!(has_constitution_day(2026));
    }

    #[test]
    fn labor_day_is_public_from_2026() {
        let has_labor_day = |year| public_holidays(year).iter().any(|h| h.name == "노동절");
        assert!(!has_labor_day(2025));
        assert!(has_labor_day(2026));
    }

    #[test]
    fn hangul_day_is_not_public_between_1991_and_2012() {
        let has_hangul_day = |year| public_holidays(year).iter().any(|h| h.name == "한글날");
        assert!(!has_hangul_day(2012));
        assert!(has_hangul_day(2013));
    }

    #[test]
    fn no_substitutes_exist_before_the_2013_rule() {
        // 추석 2012 (9.29–10.1) took in Sunday 9.30 and got nothing.
        let holidays = public_holidays(2012);
        assert!(holidays.iter().any(|h| h.date == date("2012-09-30")));
        assert!(!holidays.iter().any(|h| h.substitute));
    }

    #[test]
    fn every_year_is_sorted_and_substitutes_fall_on_free_weekdays() {
        for year in 2006..=2060 {
            let holidays = public_holidays(year);
            assert!(
                holidays.windows(2).all(|w| w[0].date <= w[1].date),
                "{year}"
            );
            for h in holidays.iter().filter(|h| h.substitute) {
                assert!(!h.date.weekday().is_weekend(), "{year}: {}", h.date);
                let same_day = holidays.iter().filter(|o| o.date == h.date).count();
                assert_eq!(same_day, 1, "{year}: {} doubles up", h.date);
            }
        }
    }

    #[test]
    fn years_outside_the_calendar_have_no_holidays() {
        assert!(public_holidays(i32::MAX).is_empty());
        assert!(public_holidays(i32::MIN).is_empty());
        assert!(public_holidays(0).is_empty());
    }

    #[test]
    fn holiday_round_trips_through_json() {
        let holiday = Holiday {
            date: date("2027-02-09"),
            name: SUB.to_owned(),
            substitute: true,
        };
        let json = serde_json::to_string(&holiday).expect("serialize");
        assert_eq!(
            json,
            r#"{"date":"2027-02-09","name":"대체공휴일","substitute":true}"#
        );
        assert_eq!(
            serde_json::from_str::<Holiday>(&json).expect("deserialize"),
            holiday
        );
    }
}
