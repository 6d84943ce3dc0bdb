//! 통화시간설정 (U4, C7): a user's business hours, own and public holidays,
//! and the one question the media edge asks for every inbound call: is this
//! user open right now, and if not, why.

use domain::calendar::{Date, LocalTime, TimeZone, Weekday};
use domain::holidays::{Holiday, public_holidays_with};
use domain::hours::{
    ApplyScope, BusinessHours, Day, DayError, Mode, Openness, WeeklyHours, open_at,
};
use domain::{AccountId, TenantId};
use store::repo::hours;

use crate::fail::{Fail, Outcome};
use crate::state::App;

/// The user's settings. Hours are read in the user's own time zone (a
/// branch abroad keeps its local hours, DST included); a user who never
/// saved any has the company's defaults in the company's zone.
pub async fn get(app: &App, t: &TenantId, a: &AccountId) -> Outcome<BusinessHours> {
    if let Some(h) = hours::find(&*app.store, t, a).await? {
        return Ok(h);
    }
    Ok(BusinessHours {
        time_zone: crate::admin::time_zone(app, t).await?,
        ..BusinessHours::default()
    })
}

/// One weekday row of the form (strings as typed; empty when a holiday).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DayForm {
    pub holiday: bool,
    pub work_start: String,
    pub work_end: String,
    pub lunch_start: String,
    pub lunch_end: String,
}

/// The whole form: ON/OFF, 공휴일 자동 설정, seven rows (Mon first), and
/// optionally 일괄적용 with a template row.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct HoursForm {
    pub on: bool,
    pub auto_public_holidays: bool,
    pub days: Vec<DayForm>,
    pub apply_all: Option<DayForm>,
    /// The IANA time zone the hours are in (`Asia/Seoul`,
    /// `America/Los_Angeles`, ...); left out, the current one stays.
    pub time_zone: Option<String>,
}

/// The zone a form names, or the current one when it names none.
fn zone(f: &HoursForm, current: &TimeZone) -> Outcome<TimeZone> {
    match f.time_zone.as_deref().map(str::trim) {
        None | Some("") => Ok(current.clone()),
        Some(name) => crate::admin::parse_time_zone(name),
    }
}

fn day_error_ko(w: Weekday, e: &DayError) -> String {
    let what = match e {
        DayError::WorkEndNotAfterStart { .. } => "업무 종료 시각은 시작 시각보다 늦어야 합니다",
        DayError::LunchEndNotAfterStart { .. } => "점심 종료 시각은 시작 시각보다 늦어야 합니다",
        DayError::LunchOutsideWork { .. } => "점심시간은 업무시간 안에 있어야 합니다",
        DayError::WorkOnHoliday | DayError::LunchOnHoliday => {
            "휴일로 표시한 요일에는 시간을 넣을 수 없습니다"
        }
        DayError::MissingWorkHours => "휴일이 아닌 요일에는 업무 시작·종료 시각이 필요합니다",
        DayError::HolidayTemplate => "일괄적용할 시간을 입력해 주세요",
    };
    format!("{}요일: {what}", w.korean())
}

fn time(w: Weekday, label: &str, s: &str) -> Outcome<Option<LocalTime>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    LocalTime::parse(s).map(Some).map_err(|_| {
        Fail::bad(
            "invalid_time",
            "hours",
            format!(
                "{}요일 {label} 시각을 HH:MM 형식으로 입력해 주세요",
                w.korean()
            ),
        )
    })
}

fn pair(w: Weekday, label: &str, a: &str, b: &str) -> Outcome<Option<(LocalTime, LocalTime)>> {
    match (time(w, label, a)?, time(w, label, b)?) {
        (Some(x), Some(y)) => Ok(Some((x, y))),
        (None, None) => Ok(None),
        _ => Err(Fail::bad(
            "invalid_time",
            "hours",
            format!(
                "{}요일 {label} 시작과 종료를 모두 입력해 주세요",
                w.korean()
            ),
        )),
    }
}

fn day(w: Weekday, f: &DayForm) -> Outcome<Day> {
    let d = Day {
        holiday: f.holiday,
        work: pair(w, "업무", &f.work_start, &f.work_end)?,
        lunch: pair(w, "점심", &f.lunch_start, &f.lunch_end)?,
    };
    d.validate()
        .map_err(|e| Fail::bad("invalid_hours", "hours", day_error_ko(w, &e)))?;
    Ok(d)
}

/// Validates and saves the form; takes effect on the next call.
pub async fn save(app: &App, t: &TenantId, a: &AccountId, f: &HoursForm) -> Outcome<BusinessHours> {
    let current = get(app, t, a).await?;
    let time_zone = zone(f, &current.time_zone)?;
    let mode = if f.on {
        let mut week = WeeklyHours::standard();
        for (w, row) in Weekday::ALL.iter().zip(&f.days) {
            *week.day_mut(*w) = day(*w, row)?;
        }
        if let Some(tpl) = &f.apply_all {
            let template = day(
                Weekday::Mon,
                &DayForm {
                    holiday: false,
                    ..tpl.clone()
                },
            )?;
            week.apply_to_all(template, ApplyScope::WorkingDays)
                .map_err(|e| Fail::bad("invalid_hours", "hours", day_error_ko(Weekday::Mon, &e)))?;
        }
        Mode::On(week)
    } else {
        Mode::Off
    };
    let h = BusinessHours::new(
        mode,
        current.own_holidays.clone(),
        f.auto_public_holidays,
        time_zone,
    )
    .map_err(|e| Fail::bad("invalid_hours", "hours", day_error_ko(e.day, &e.error)))?;
    hours::put(&*app.store, t, a, &h).await?;
    Ok(h)
}

/// 날짜 설정: adds one of the user's own holidays.
pub async fn add_own_holiday(
    app: &App,
    t: &TenantId,
    a: &AccountId,
    date: &str,
) -> Outcome<BusinessHours> {
    let d = Date::parse(date.trim()).map_err(|_| {
        Fail::bad(
            "invalid_date",
            "date",
            "날짜를 YYYY-MM-DD 형식으로 입력해 주세요",
        )
    })?;
    let mut h = get(app, t, a).await?;
    h.own_holidays.push(d);
    let h = BusinessHours::new(h.mode, h.own_holidays, h.auto_public_holidays, h.time_zone)
        .map_err(|e| Fail::bad("invalid_hours", "hours", day_error_ko(e.day, &e.error)))?;
    hours::put(&*app.store, t, a, &h).await?;
    Ok(h)
}

pub async fn remove_own_holiday(
    app: &App,
    t: &TenantId,
    a: &AccountId,
    date: &str,
) -> Outcome<BusinessHours> {
    let d = Date::parse(date.trim()).map_err(|_| {
        Fail::bad(
            "invalid_date",
            "date",
            "날짜를 YYYY-MM-DD 형식으로 입력해 주세요",
        )
    })?;
    let mut h = get(app, t, a).await?;
    h.own_holidays.retain(|x| *x != d);
    hours::put(&*app.store, t, a, &h).await?;
    Ok(h)
}

/// A year's public holidays with the operator's one-off days.
pub async fn public_holidays(app: &App, year: i32) -> Outcome<Vec<Holiday>> {
    let one_offs = hours::one_offs(&*app.store, year).await?;
    Ok(public_holidays_with(year, &one_offs))
}

/// Is the user open at `instant` (Unix seconds)? The media edge asks this
/// for every inbound call; settings saved a moment ago already count.
pub async fn open_at_instant(
    app: &App,
    t: &TenantId,
    a: &AccountId,
    instant: i64,
) -> Outcome<Openness> {
    let h = get(app, t, a).await?;
    let year = h
        .time_zone
        .to_local(instant)
        .map_or(1970, |l| l.date.year());
    let one_offs = hours::one_offs(&*app.store, year).await?;
    Ok(open_at(&h, instant, &one_offs))
}

/// The settings as the form (and the API) show them.
pub fn form_of(h: &BusinessHours) -> HoursForm {
    let week = match &h.mode {
        Mode::On(w) => w.clone(),
        Mode::Off => WeeklyHours::standard(),
    };
    let text = |t: Option<LocalTime>| t.map(|t| t.to_string()).unwrap_or_default();
    HoursForm {
        on: matches!(h.mode, Mode::On(_)),
        auto_public_holidays: h.auto_public_holidays,
        days: Weekday::ALL
            .iter()
            .map(|w| {
                let d = week.day(*w);
                DayForm {
                    holiday: d.holiday,
                    work_start: text(d.work.map(|x| x.0)),
                    work_end: text(d.work.map(|x| x.1)),
                    lunch_start: text(d.lunch.map(|x| x.0)),
                    lunch_end: text(d.lunch.map(|x| x.1)),
                }
            })
            .collect(),
        apply_all: None,
        time_zone: Some(h.time_zone.name().to_owned()),
    }
}
