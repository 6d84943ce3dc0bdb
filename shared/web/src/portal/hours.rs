//! 통화시간설정 (U4): business hours ON/OFF, per-weekday hours with
//! 일괄적용, own holidays (날짜 설정) and 공휴일 자동 설정.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::calendar::Weekday;
use domain::hours::{BusinessHours, Mode, WeeklyHours};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use super::{Portal, csrf_refusal};

fn t(v: Option<(domain::calendar::LocalTime, domain::calendar::LocalTime)>, first: bool) -> String {
    v.map(|(a, b)| if first { a.to_string() } else { b.to_string() })
        .unwrap_or_default()
}

/// 일괄적용: copies the template times into every day not ticked as a
/// holiday, in the page; nothing is saved until 설정.
const APPLY_ALL: &str = "var f=this.form;for(var i=0;i<7;i++){if(f['d'+i+'_off'].checked)continue;['ws','we','ls','le'].forEach(function(k){f['d'+i+'_'+k].value=f['tpl_'+k].value;});}document.getElementById('apply-note').hidden=false;";

fn view(
    p: &Portal,
    h: &BusinessHours,
    holidays: &[domain::holidays::Holiday],
    error: Option<&str>,
    saved: bool,
) -> Markup {
    let on = matches!(h.mode, Mode::On(_));
    let week = match &h.mode {
        Mode::On(w) => w.clone(),
        Mode::Off => WeeklyHours::standard(),
    };
    let mmdd = |d: &domain::calendar::Date| format!("{:02}-{:02}", d.month(), d.day());
    page(
        p,
        Menu::Hours,
        "통화시간설정",
        html! {
            @if saved { div class="notice" role="status" { "설정되었습니다. 다음 전화부터 바로 적용됩니다." } }
            (error_box(error))
            form method="post" action="/hours" id="hours-form" {
                (csrf(p))
                div class="card" {
                    h2 { "업무시간 설정" }
                    label class="row" style="font-weight:400" { input type="radio" name="mode" value="off" id="mode-off" checked[!on]; " OFF — 업무시간은 월~금 09:00 ~ 18:00 (점심 12:00 ~ 13:00)으로 자동설정됩니다" }
                    label class="row" style="font-weight:400" { input type="radio" name="mode" value="on" id="mode-on" checked[on]; " ON — 요일별 업무시간을 직접 설정합니다" }
                }
                div class="card" {
                    h2 { "시간대" }
                    label for="time_zone" style="font-weight:400" { "업무시간과 공휴일을 이 시간대의 시각으로 봅니다 (해외 지사는 그곳의 시간대, 서머타임 포함)" }
                    (super::layout::zone_input(h.time_zone.name(), false))
                }
                div class="card" {
                    h2 { "공휴일설정" }
                    @let auto = h.auto_public_holidays || !on;
                    label class="row" style="font-weight:400" {
                        input type="checkbox" name="auto" value="1" id="auto" checked[auto]
                            onchange="document.getElementById('public-holidays').hidden = !this.checked";
                        " 공휴일 자동 설정 (올해 공휴일을 자동으로 적용)"
                    }
                    p id="own-holidays" { strong { "내가 설정한 공휴일 " }
                        @if h.own_holidays.is_empty() { span class="muted" { "없음" } }
                        @for d in &h.own_holidays {
                            span class="secret holiday" {
                                (mmdd(d)) " "
                                // Removes this day (the 날짜 설정 form, below).
                                button type="submit" form="holiday-form" name="remove" value=(d.to_string())
                                    class="secondary small remove-holiday" title=(format!("{} 삭제", mmdd(d))) aria-label=(format!("{} 삭제", mmdd(d))) { "×" }
                            }
                            " "
                        }
                    }
                    p id="public-holidays" hidden[!auto] { strong { "공휴일 자동 설정 " }
                        @for hd in holidays { span class="secret" title=(hd.name) { (mmdd(&hd.date)) " " (hd.name) } " " }
                    }
                }
                div class="card" {
                    h2 { "요일별설정" }
                    div class="row" {
                        "업무" input type="text" name="tpl_ws" value="09:00" style="width:80px"; "~" input type="text" name="tpl_we" value="18:00" style="width:80px";
                        "점심" input type="text" name="tpl_ls" value="12:00" style="width:80px"; "~" input type="text" name="tpl_le" value="13:00" style="width:80px";
                        // Fills the days below (not holidays); 설정 saves them.
                        button type="button" class="secondary" id="apply-all" onclick=(APPLY_ALL) { "일괄적용" }
                    }
                    p id="apply-note" class="notice" role="status" hidden { "아래 요일에 적용했습니다. 설정을 눌러야 저장됩니다." }
                    table id="week" {
                        thead { tr { th { "휴일" } th { "요일" } th { "업무 시작" } th { "업무 종료" } th { "점심 시작" } th { "점심 종료" } } }
                        tbody {
                            @for (i, w) in Weekday::ALL.iter().enumerate() {
                                @let d = week.day(*w);
                                tr {
                                    td { input type="checkbox" name=(format!("d{i}_off")) value="1" checked[d.holiday]; }
                                    td { (w.korean()) "요일" }
                                    td { input type="text" name=(format!("d{i}_ws")) value=(t(d.work, true)) style="width:80px"; }
                                    td { input type="text" name=(format!("d{i}_we")) value=(t(d.work, false)) style="width:80px"; }
                                    td { input type="text" name=(format!("d{i}_ls")) value=(t(d.lunch, true)) style="width:80px"; }
                                    td { input type="text" name=(format!("d{i}_le")) value=(t(d.lunch, false)) style="width:80px"; }
                                }
                            }
                        }
                    }
                    p class="row" {
                        button type="submit" id="save-hours" { "✓ 설정" }
                        a class="btn secondary" href="/hours" { "↻ 새로고침" }
                    }
                }
            }
            div class="card" {
                h2 { "날짜 설정" }
                form method="post" action="/hours/holidays" class="row" id="holiday-form" {
                    (csrf(p))
                    input type="date" name="date" id="own-date" style="width:180px";
                    button type="submit" name="op" value="add" class="secondary" id="add-date" { "추가" }
                    button type="submit" name="op" value="remove" class="secondary" { "삭제" }
                }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct Saved {
    saved: Option<String>,
}

async fn render(app: &app::App, p: &Portal, error: Option<&str>, saved: bool) -> Response {
    let h = match app::hours::get(app, &p.session.tenant, &p.account.id).await {
        Ok(h) => h,
        Err(f) => return render_fail(Some(p), &f),
    };
    let year = h
        .time_zone
        .to_local(store::now_epoch_seconds())
        .map_or(2026, |l| l.date.year());
    let holidays = app::hours::public_holidays(app, year)
        .await
        .unwrap_or_default();
    ok(view(p, &h, &holidays, error, saved))
}

pub async fn show(State(app): State<app::App>, p: Portal, Query(q): Query<Saved>) -> Response {
    render(&app, &p, None, q.saved.is_some()).await
}

pub async fn save(State(app): State<app::App>, p: Portal, body: axum::body::Bytes) -> Response {
    let f: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if let Some(r) = csrf_refusal(&p, f.get("_csrf").map(String::as_str)) {
        return r;
    }
    let days = (0..7)
        .map(|i| app::hours::DayForm {
            holiday: f.contains_key(&format!("d{i}_off")),
            work_start: get(&format!("d{i}_ws")),
            work_end: get(&format!("d{i}_we")),
            lunch_start: get(&format!("d{i}_ls")),
            lunch_end: get(&format!("d{i}_le")),
        })
        .collect();
    let apply_all = f.contains_key("apply_all").then(|| app::hours::DayForm {
        holiday: false,
        work_start: get("tpl_ws"),
        work_end: get("tpl_we"),
        lunch_start: get("tpl_ls"),
        lunch_end: get("tpl_le"),
    });
    let form = app::hours::HoursForm {
        on: get("mode") == "on",
        auto_public_holidays: f.contains_key("auto"),
        days,
        apply_all,
        time_zone: f.get("time_zone").cloned(),
    };
    match app::hours::save(&app, &p.session.tenant, &p.account.id, &form).await {
        Ok(_) => Redirect::to("/hours?saved=1").into_response(),
        Err(fail) => (
            status_for(fail.kind),
            render(&app, &p, Some(&fail.message), false).await,
        )
            .into_response(),
    }
}

pub async fn own_holiday(
    State(app): State<app::App>,
    p: Portal,
    body: axum::body::Bytes,
) -> Response {
    let f: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    if let Some(r) = csrf_refusal(&p, f.get("_csrf").map(String::as_str)) {
        return r;
    }
    // An × next to a day sends `remove=<date>`; the form's own buttons send `op`.
    let (date, remove) = match f.get("remove") {
        Some(d) => (d.clone(), true),
        None => (
            f.get("date").cloned().unwrap_or_default(),
            f.get("op").map(String::as_str) == Some("remove"),
        ),
    };
    let result = if remove {
        app::hours::remove_own_holiday(&app, &p.session.tenant, &p.account.id, &date).await
    } else {
        app::hours::add_own_holiday(&app, &p.session.tenant, &p.account.id, &date).await
    };
    match result {
        Ok(_) => Redirect::to("/hours?saved=1").into_response(),
        Err(fail) => (
            status_for(fail.kind),
            render(&app, &p, Some(&fail.message), false).await,
        )
            .into_response(),
    }
}
