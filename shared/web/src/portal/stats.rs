//! 통계 (T2): the admin's call statistics for a period, by hour, day or
//! month in the company's time zone, for the company or one user, number
//! or hunt group, in a bar, line, area, pie or scatter chart (Apache
//! ECharts, vendored) or as tables, with an Excel export of the same.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};

use super::Admin;
use super::layout::{Menu, error_box, ok, page, render_fail};
use app::stats::{Figures, Report, Row, StatsForm};

/// The page's query: the API's question, with the subject as one choice
/// (`user:<id>`, `group:<id>`, `line:<digits>`) and the chart to show.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    grain: Option<String>,
    flow: Option<String>,
    subject: Option<String>,
    chart: Option<String>,
}

impl StatsQuery {
    fn form(&self) -> StatsForm {
        let mut f = StatsForm {
            from: self.from.clone(),
            to: self.to.clone(),
            grain: self.grain.clone(),
            flow: self.flow.clone(),
            ..StatsForm::default()
        };
        match self.subject.as_deref().and_then(|s| s.split_once(':')) {
            Some(("user", id)) => f.user = Some(id.to_owned()),
            Some(("group", id)) => f.group = Some(id.to_owned()),
            Some(("line", n)) => f.line = Some(n.to_owned()),
            _ => {}
        }
        f
    }

    fn query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }
}

/// The chart types, as `chart=` names them, with their labels.
pub const CHARTS: [(&str, &str); 6] = [
    ("bar", "막대"),
    ("line", "선"),
    ("area", "영역"),
    ("pie", "원형"),
    ("scatter", "산점도"),
    ("grid", "표"),
];

fn secs(ms: i64) -> String {
    app::calls::duration_text(ms / 1000)
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

const HEADERS: [&str; 10] = [
    "전체",
    "응답",
    "부재중",
    "음성사서함",
    "대기 중 포기",
    "응답률",
    "총 통화시간",
    "평균 통화시간",
    "최장 통화시간",
    "평균 대기시간",
];

fn cells(f: &Figures) -> Markup {
    html! {
        td class="num" { (f.calls) }
        td class="num" { (f.answered) }
        td class="num" { (f.missed) }
        td class="num" { (f.voicemail) }
        td class="num" { (f.abandoned) }
        td class="num" { (percent(f.answered, f.calls)) }
        td class="num" { (secs(f.talk_ms)) }
        td class="num" { (secs(f.talk_avg_ms)) }
        td class="num" { (secs(f.talk_max_ms)) }
        td class="num" { (secs(f.queue_avg_ms)) }
    }
}

fn table(id: &str, first: &str, rows: &[(&str, &Figures)]) -> Markup {
    html! {
        table id=(id) class="stats" {
            thead { tr { th { (first) } @for h in HEADERS { th { (h) } } } }
            tbody {
                @for (label, f) in rows {
                    tr { td { (label) } (cells(f)) }
                }
            }
        }
    }
}

fn breakdown(id: &str, title: &str, first: &str, rows: &[Row]) -> Markup {
    let rows: Vec<(&str, &Figures)> = rows
        .iter()
        .map(|r| (r.label.as_str(), &r.figures))
        .collect();
    html! {
        h2 { (title) }
        @if rows.is_empty() {
            p class="muted" { "이 기간에 통화가 없습니다." }
        } @else {
            (table(id, first, &rows))
        }
    }
}

/// The subject choices: the company, each user, number and group.
async fn subjects(app: &app::App, t: &domain::TenantId) -> Vec<(String, Vec<(String, String)>)> {
    let accounts = store::repo::accounts::all(&*app.store, t)
        .await
        .unwrap_or_default();
    let mut users = Vec::new();
    let mut lines = Vec::new();
    for a in &accounts {
        users.push((format!("user:{}", a.id), app::stats::account_label(a)));
        if let Some(n) = &a.number {
            lines.push((format!("line:{}", n.national_digits()), n.display()));
        }
    }
    let groups = store::repo::hunt_groups::all(&*app.store, t)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|g| (format!("group:{}", g.id), g.name))
        .collect();
    vec![
        ("사용자".into(), users),
        ("번호".into(), lines),
        ("착신그룹".into(), groups),
    ]
}

fn select(name: &str, current: Option<&str>, options: &[(&str, &str)]) -> Markup {
    html! {
        select id=(name) name=(name) {
            @for (v, label) in options {
                option value=(v) selected[current.unwrap_or_default() == *v] { (label) }
            }
        }
    }
}

pub async fn page_view(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<StatsQuery>,
) -> Response {
    let t = &p.session.tenant;
    let now = store::now_epoch_ms();
    let (report, error) = match app::stats::ask(&app, t, &q.form(), now).await {
        Ok(r) => (Some(r), None),
        Err(f) if f.kind == app::FailKind::Internal => return render_fail(Some(&p), &f),
        Err(f) => (None, Some(f.message)),
    };
    // The period asked (defaults filled in), or as typed when refused.
    let (from, to) = match &report {
        Some(r) => (r.from.clone(), r.to.clone()),
        None => {
            let today = match app::stats::today(&app, t, now).await {
                Ok(d) => d,
                Err(f) => return render_fail(Some(&p), &f),
            };
            (
                q.from
                    .clone()
                    .unwrap_or_else(|| format!("{:04}-{:02}-01", today.year(), today.month())),
                q.to.clone().unwrap_or_else(|| today.to_string()),
            )
        }
    };
    let subjects = subjects(&app, t).await;
    let chart = q
        .chart
        .as_deref()
        .filter(|c| CHARTS.iter().any(|(k, _)| k == c))
        .unwrap_or("bar");
    let body = html! {
        form method="get" action="/admin/stats" class="filters" id="stats-filter" {
            label { "기간 " input type="date" id="from" name="from" value=(from); }
            " ~ "
            input type="date" id="to" name="to" value=(to);
            label { " 단위 " (select("grain", q.grain.as_deref().or(Some("day")), &[("hour", "시간별"), ("day", "일별"), ("month", "월별")])) }
            label { " 방향 " (select("flow", q.flow.as_deref(), &[("", "전체"), ("inbound", "수신"), ("outbound", "발신"), ("internal", "내선")])) }
            label { " 대상 "
                select id="subject" name="subject" {
                    option value="" { "회사 전체" }
                    @for (group, options) in &subjects {
                        @if !options.is_empty() {
                            optgroup label=(group) {
                                @for (v, label) in options {
                                    option value=(v) selected[q.subject.as_deref() == Some(v.as_str())] { (label) }
                                }
                            }
                        }
                    }
                }
            }
            input type="hidden" name="chart" id="chart-input" value=(chart);
            " "
            button type="submit" { "조회" }
        }
        (error_box(error.as_deref()))
        @if let Some(r) = &report {
            (summary(r))
            div class="chart-tabs" role="tablist" {
                @for (k, label) in CHARTS {
                    button type="button" class=(if k == chart { "tab on" } else { "tab" }) data-chart=(k) { (label) }
                }
                " "
                a class="btn secondary" id="export" href=(format!("/admin/stats/export?{}", q.query_string())) { "엑셀 다운로드" }
            }
            div id="chart" data-chart=(chart) style="width:100%;height:380px" {}
            (breakdown_tables(r))
            script type="application/json" id="stats-data" {
                (PreEscaped(serde_json::to_string(r).unwrap_or_else(|_| "{}".into()).replace("</", "<\\/")))
            }
            script src="/assets/echarts.min.js" defer {}
            script src="/assets/stats.js" defer {}
        }
    };
    ok(page(&p, Menu::Stats, "통계", body))
}

fn summary(r: &Report) -> Markup {
    let f = &r.subject.figures;
    let cards = [
        ("전체 통화", f.calls.to_string()),
        ("응답", f.answered.to_string()),
        ("응답률", percent(f.answered, f.calls)),
        ("부재중", f.missed.to_string()),
        ("평균 통화시간", secs(f.talk_avg_ms)),
        ("최장 통화시간", secs(f.talk_max_ms)),
        ("평균 응답시간", secs(f.ring_avg_ms)),
        ("평균 대기시간", secs(f.queue_avg_ms)),
    ];
    html! {
        p class="muted" {
            (r.subject.label) " · " (r.from) " ~ " (r.to) " · " (r.time_zone)
        }
        div class="cards" id="summary" {
            @for (label, value) in cards {
                div class="card" { small { (label) } strong { (value) } }
            }
        }
    }
}

fn breakdown_tables(r: &Report) -> Markup {
    let first = app::labels::grain(r.grain);
    let mut points: Vec<(&str, &Figures)> = r
        .points
        .iter()
        .map(|x| (x.label.as_str(), &x.figures))
        .collect();
    points.push(("합계", &r.subject.figures));
    html! {
        div id="grid" {
            h2 { "기간별" }
            (table("by-period", first, &points))
        }
        (breakdown("by-user", "사용자별", "사용자", &r.users))
        (breakdown("by-line", "번호별", "번호", &r.lines))
        (breakdown("by-group", "착신그룹별", "착신그룹", &r.groups))
        (breakdown("by-option", "ARS 옵션별", "ARS 옵션", &r.options))
    }
}

pub async fn export(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<StatsQuery>,
) -> Response {
    let t = &p.session.tenant;
    let work = async {
        let r = app::stats::ask(&app, t, &q.form(), store::now_epoch_ms()).await?;
        let bytes = app::stats::export::xlsx(&r)?;
        Ok::<_, app::Fail>((r, bytes))
    };
    match work.await {
        Ok((r, bytes)) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    blobs::content_disposition(&format!("통계_{}_{}.xlsx", r.from, r.to)),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(f) => render_fail(Some(&p), &f),
    }
}

const ECHARTS_GZ: &[u8] = include_bytes!("../../assets/echarts/echarts.min.js.gz");

pub async fn echarts(headers: HeaderMap) -> Response {
    crate::docs::gzipped(&headers, ECHARTS_GZ, "text/javascript; charset=utf-8")
}

pub async fn script() -> Response {
    super::asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/stats.js"),
    )
}
