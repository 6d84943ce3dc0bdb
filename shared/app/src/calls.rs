//! Call history (U3 for a user, T1 for the admin and integrators): search,
//! recording links, and the Excel export of any size.

use std::time::Duration;

use blobs::BlobKey;
use domain::calendar::{Date, TimeZone};
use domain::{Account, AccountId, TenantId};
use serde::Serialize;
use store::repo::calls::{self, CallRecord, Direction, Filter};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

/// Whose calls a search sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Every call of the tenant (admins, integrators).
    Company,
    /// The calls an account was on (users).
    Account(AccountId),
}

/// What a history screen or the API asks for.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// `outgoing`, `incoming`, `missed`, `voicemail`, `internal` (or the Korean names).
    pub direction: Option<String>,
    pub caller: Option<String>,
    pub callee: Option<String>,
    /// Either party's number or extension.
    pub number: Option<String>,
}

/// A call as screens, exports and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallRow {
    pub id: String,
    pub direction: &'static str,
    /// 발신 / 착신 / 부재중 / 음성사서함 / 내선.
    pub direction_label: &'static str,
    pub caller: String,
    pub caller_name: Option<String>,
    pub callee: String,
    pub callee_name: Option<String>,
    pub started_at: String,
    pub started_ms: i64,
    pub answered_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    pub duration_secs: i64,
    pub disposition: &'static str,
    /// 통화 / 통화중 / 무응답 / ...
    pub disposition_label: &'static str,
    pub cause: Option<String>,
    pub recordings: usize,
    /// The call this one continues (the record before a transfer).
    pub previous: Option<String>,
    /// The hunt group it came through.
    pub hunt_group: Option<String>,
    /// The ARS scenario that answered it.
    pub ivr: Option<String>,
    /// The caller's choices in it, in order: `node=choice` joined by ` > `
    /// (`main=1 > ext=1003`; `timeout` / `invalid` when a menu gave up).
    pub ivr_path: Option<String>,
}

/// The zone `viewer` reads times and days in: the company's for admins
/// and integrators, a user's own (their 통화시간설정 zone, the company's
/// unless they set one) for a user.
pub async fn zone(app: &App, t: &TenantId, viewer: &Viewer) -> Outcome<TimeZone> {
    match viewer {
        Viewer::Company => crate::admin::time_zone(app, t).await,
        Viewer::Account(a) => Ok(crate::hours::get(app, t, a).await?.time_zone),
    }
}

/// `m:ss` or `h:mm:ss`.
pub fn duration_text(secs: i64) -> String {
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

impl CallRow {
    /// The row for `r`, seen by `viewer` in `tz` (a user's incoming
    /// internal call reads 착신, an unanswered one 부재중).
    pub fn of(r: &CallRecord, viewer: &Viewer, tz: &TimeZone) -> Self {
        let mut d = r.direction;
        if let Viewer::Account(a) = viewer
            && r.direction == Direction::Internal
        {
            let callee_side = r.callee.account.as_ref() == Some(a);
            d = match (callee_side, r.answered_ms.is_some()) {
                (false, _) => Direction::Outgoing,
                (true, true) => Direction::Incoming,
                (true, false) => Direction::Missed,
            };
        }
        Self {
            id: r.id.clone(),
            direction: d.as_str(),
            direction_label: crate::labels::direction(d),
            caller: r.caller.number.clone(),
            caller_name: r.caller.name.clone(),
            callee: r.callee.number.clone(),
            callee_name: r.callee.name.clone(),
            started_at: tz.wall_clock(r.started_ms),
            started_ms: r.started_ms,
            answered_ms: r.answered_ms,
            ended_ms: r.ended_ms,
            duration_secs: r.duration_secs(),
            disposition: r.disposition.as_str(),
            disposition_label: crate::labels::disposition(r.disposition),
            cause: r.cause.clone(),
            recordings: r.recordings.len(),
            previous: r.previous.clone(),
            hunt_group: r.hunt_group.as_ref().map(ToString::to_string),
            ivr: r.ivr.as_ref().map(|v| v.scenario.to_string()),
            ivr_path: r.ivr.as_ref().map(|v| {
                v.path
                    .iter()
                    .map(|c| format!("{}={}", c.node, c.chose))
                    .collect::<Vec<_>>()
                    .join(" > ")
            }),
        }
    }
}

/// The days a search covers: as asked, else up to `today` and from 30
/// days before its end (what the history screens show at first).
pub fn period(s: &Search, today: Date) -> (Date, Date) {
    let to = s.to.unwrap_or(today);
    (s.from.unwrap_or_else(|| to.add_days(-30)), to)
}

/// The search in store terms: its days are `tz`'s, today is `now_ms`'s.
fn filter(viewer: &Viewer, s: &Search, tz: &TimeZone, now_ms: i64) -> Outcome<Filter> {
    let (from, to) = period(s, tz.date_of_ms(now_ms).unwrap_or(Date::MIN));
    let (from_ms, last_ms) = crate::messaging::days_ms(tz, from, to)?;
    if to.to_days() - from.to_days() > 366 {
        return Err(Fail::bad(
            "range_too_long",
            "from",
            "조회 기간은 1년을 넘을 수 없습니다",
        ));
    }
    let direction = match s.direction.as_deref().map(str::trim) {
        None | Some("" | "all" | "전체") => None,
        Some(d) => Some(crate::labels::parse_direction(d).ok_or_else(|| {
            Fail::bad(
                "invalid_direction",
                "direction",
                "구분은 발신, 착신, 부재중, 음성사서함, 내선 중 하나입니다",
            )
        })?),
    };
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(|x| x.trim().replace('-', ""))
            .filter(|x| !x.is_empty())
    };
    let to_ms = last_ms + 1;
    Ok(Filter {
        account: match viewer {
            Viewer::Company => None,
            Viewer::Account(a) => Some(a.clone()),
        },
        from_ms,
        to_ms,
        // A user's 발신/착신/부재중 also cover internal calls, which the
        // stored direction can't tell apart: those are filtered on the rows.
        direction: if *viewer == Viewer::Company {
            direction
        } else {
            None
        },
        caller: clean(&s.caller),
        callee: clean(&s.callee),
        number: clean(&s.number),
    })
}

/// Phone numbers are stored as people write them (`070-4000-0001`); a
/// search for digits must find them, so parties are compared without dashes.
fn digits_match(r: &CallRecord, f: &Filter) -> bool {
    let plain = |s: &str| s.replace('-', "");
    let has = |n: &str, needle: &Option<String>, name: &Option<String>| {
        needle.as_ref().is_none_or(|x| {
            plain(n).contains(x.as_str()) || name.as_ref().is_some_and(|nm| nm.contains(x.as_str()))
        })
    };
    has(&r.caller.number, &f.caller, &r.caller.name)
        && has(&r.callee.number, &f.callee, &r.callee.name)
        && f.number.as_ref().is_none_or(|x| {
            plain(&r.caller.number).contains(x.as_str())
                || plain(&r.callee.number).contains(x.as_str())
        })
}

/// One page of the history, newest first, and the token of the next page;
/// days and times in the viewer's [`zone`].
pub async fn search(
    app: &App,
    t: &TenantId,
    viewer: &Viewer,
    s: &Search,
    limit: usize,
    next: Option<&str>,
) -> Outcome<(Vec<CallRow>, Option<String>)> {
    let tz = zone(app, t, viewer).await?;
    let f = filter(viewer, s, &tz, store::now_epoch_ms())?;
    let wanted = match s.direction.as_deref().map(str::trim) {
        None | Some("" | "all" | "전체") => None,
        Some(d) => crate::labels::parse_direction(d),
    };
    // Party matching ignores dashes, which the store's substring filter
    // can't: fetch without party filters, match here.
    let store_filter = Filter {
        caller: None,
        callee: None,
        number: None,
        ..f.clone()
    };
    let mut rows = Vec::new();
    let mut cursor = next.map(str::to_owned);
    loop {
        let page = calls::search(&*app.store, t, &store_filter, 200, cursor.as_deref()).await?;
        let mut last = None;
        for r in &page.calls {
            last = Some(r);
            if !digits_match(r, &f) {
                continue;
            }
            let row = CallRow::of(r, viewer, &tz);
            if wanted.is_some_and(|w| w.as_str() != row.direction) {
                continue;
            }
            rows.push(row);
            if rows.len() == limit {
                let token = calls::cursor_of(r);
                return Ok((rows, Some(token)));
            }
        }
        match (page.next, last) {
            (Some(_), Some(r)) => cursor = Some(calls::cursor_of(r)),
            _ => return Ok((rows, None)),
        }
    }
}

/// The call, if `viewer` may see it.
pub async fn get(app: &App, t: &TenantId, viewer: &Viewer, id: &str) -> Outcome<CallRecord> {
    let r = calls::get(&*app.store, t, id)
        .await?
        .ok_or_else(|| Fail::not_found("통화 기록을 찾을 수 없습니다"))?;
    match viewer {
        Viewer::Company => Ok(r),
        Viewer::Account(a) if r.accounts().contains(a) => Ok(r),
        Viewer::Account(_) => Err(Fail::not_found("통화 기록을 찾을 수 없습니다")),
    }
}

/// A short-lived URL of recording `n` (1-based) of a call. Users need the
/// recording permission (녹취 청취) and must have been on the call.
pub async fn recording_url(
    app: &App,
    t: &TenantId,
    viewer: &Viewer,
    user: Option<&Account>,
    id: &str,
    n: usize,
    download: bool,
) -> Outcome<String> {
    if let Some(u) = user
        && !u.permissions.recording_access
        && *viewer != Viewer::Company
    {
        return Err(Fail::forbidden("녹취 청취 권한이 없습니다"));
    }
    let r = get(app, t, viewer, id).await?;
    let rec = n
        .checked_sub(1)
        .and_then(|i| r.recordings.get(i))
        .ok_or_else(|| Fail::not_found("녹취 파일이 없습니다"))?;
    let key = BlobKey::parse(&rec.key).map_err(|e| Fail::internal(&e))?;
    let tz = zone(app, t, viewer).await?;
    let name = format!(
        "녹취_{}_{}-{n}.wav",
        tz.wall_clock(r.started_ms)
            .replace([' ', ':'], "")
            .replace('-', ""),
        r.id
    );
    app.blobs
        .download_url(
            &key,
            Duration::from_secs(3600),
            download.then_some(name.as_str()),
        )
        .await
        .map_err(|e| Fail::new(FailKind::Unavailable, "storage", e.to_string()))
}

/// Writes the whole result of a search into an .xlsx file (rows streamed
/// page by page, the sheet kept on disk, so any size fits) and returns it.
pub async fn export_xlsx(
    app: &App,
    t: &TenantId,
    viewer: &Viewer,
    s: &Search,
) -> Outcome<tempfile::NamedTempFile> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book
        .add_worksheet_with_constant_memory()
        .map_err(|e| Fail::internal(&e))?;
    sheet.set_name("통화이력").map_err(|e| Fail::internal(&e))?;
    let bold = Format::new().set_bold();
    let headers = [
        "구분",
        "발신번호",
        "발신자",
        "수신번호",
        "수신자",
        "통화일시",
        "통화시간(초)",
        "결과",
        "녹취",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_with_format(0, c as u16, *h, &bold)
            .map_err(|e| Fail::internal(&e))?;
    }
    let mut row: u32 = 1;
    let mut next: Option<String> = None;
    loop {
        let (rows, token) = search(app, t, viewer, s, 500, next.as_deref()).await?;
        for r in rows {
            let cells: [&str; 8] = [
                r.direction_label,
                &r.caller,
                r.caller_name.as_deref().unwrap_or(""),
                &r.callee,
                r.callee_name.as_deref().unwrap_or(""),
                &r.started_at,
                "",
                r.disposition_label,
            ];
            for (c, v) in cells.iter().enumerate() {
                if c != 6 {
                    sheet
                        .write(row, c as u16, *v)
                        .map_err(|e| Fail::internal(&e))?;
                }
            }
            sheet
                .write(row, 6, r.duration_secs as f64)
                .map_err(|e| Fail::internal(&e))?;
            sheet
                .write(row, 8, r.recordings as f64)
                .map_err(|e| Fail::internal(&e))?;
            row += 1;
            if row >= 1_048_576 {
                return Err(Fail::bad(
                    "too_many_rows",
                    "from",
                    "한 파일에 담을 수 있는 행(1,048,575)을 넘습니다. 기간을 나눠 주세요",
                ));
            }
        }
        match token {
            Some(tk) => next = Some(tk),
            None => break,
        }
    }
    let file = tempfile::NamedTempFile::new().map_err(|e| Fail::internal(&e))?;
    book.save(file.path()).map_err(|e| Fail::internal(&e))?;
    Ok(file)
}
