//! 통화이력조회 (U3, the user's calls) and 통화기록 (T1, the admin's search
//! over the company): search, paging, playback in the page, download, and
//! the Excel export of the whole result.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use domain::calendar::Date;
use maud::html;
use serde::Deserialize;

use super::layout::{Menu, error_box, ok, page, render_fail};
use super::{Admin, Portal};
use app::calls::{CallRow, Search, Viewer, duration_text};

#[derive(Debug, Default, Deserialize)]
pub struct CallQuery {
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    caller: String,
    #[serde(default)]
    callee: String,
    #[serde(default)]
    number: String,
    next: Option<String>,
    /// Back from a 통화 button: the number being called.
    dialing: Option<String>,
}

impl CallQuery {
    fn search(&self) -> Result<Search, app::Fail> {
        let date = |v: &Option<String>, field: &'static str| {
            v.as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| {
                    Date::parse(s).map_err(|_| {
                        app::Fail::bad("invalid_date", field, "날짜 형식이 올바르지 않습니다")
                    })
                })
                .transpose()
        };
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Search {
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
            direction: text(&self.direction),
            caller: text(&self.caller),
            callee: text(&self.callee),
            number: text(&self.number),
        })
    }

    /// The query string of this search (for the next page and the export).
    fn query_string(&self, from: &str, to: &str) -> String {
        serde_urlencoded::to_string([
            ("from", from),
            ("to", to),
            ("direction", &self.direction),
            ("caller", &self.caller),
            ("callee", &self.callee),
            ("number", &self.number),
        ])
        .unwrap_or_default()
    }
}

const PAGE: usize = 50;

async fn history_page(app: &app::App, p: &Portal, as_admin: bool, q: &CallQuery) -> Response {
    let viewer = if as_admin {
        Viewer::Company
    } else {
        Viewer::Account(p.account.id.clone())
    };
    let base = if as_admin { "/admin/calls" } else { "/calls" };
    let (search, error) = match q.search() {
        Ok(s) => (s, None),
        Err(f) => (Search::default(), Some(f.message)),
    };
    let today = p
        .zone(app, as_admin)
        .await
        .date_of_ms(store::now_epoch_ms())
        .unwrap_or(Date::MIN);
    let (from, to) = app::calls::period(&search, today);
    let search = Search {
        from: Some(from),
        to: Some(to),
        ..search
    };
    let (rows, next, error) = match app::calls::search(
        app,
        &p.account.tenant,
        &viewer,
        &search,
        PAGE,
        q.next.as_deref(),
    )
    .await
    {
        Ok((r, n)) => (r, n, error),
        Err(f) => (Vec::new(), None, Some(f.message)),
    };
    let qs = q.query_string(&from.to_string(), &to.to_string());
    let can_listen = as_admin || p.account.permissions.recording_access;
    let direction_options = [
        ("", "전체"),
        ("outgoing", "발신"),
        ("incoming", "착신"),
        ("missed", "부재중"),
        ("voicemail", "음성사서함"),
    ];
    let title = if as_admin {
        "통화기록"
    } else {
        "통화이력조회"
    };
    ok(page(
        p,
        if as_admin {
            Menu::AdminCalls
        } else {
            Menu::Calls
        },
        title,
        html! {
            (error_box(error.as_deref()))
            (super::dial::notice(q.dialing.as_deref()))
            div class="card" {
                h2 { "검색조건" }
                form method="get" action=(base) class="row" id="call-search" {
                    "기간" input type="date" name="from" value=(from.to_string()) style="width:160px"; "~"
                    input type="date" name="to" value=(to.to_string()) style="width:160px";
                    "구분" select name="direction" id="direction" style="width:130px" {
                        @for (v, label) in direction_options {
                            option value=(v) selected[q.direction == v] { (label) }
                        }
                        @if as_admin { option value="internal" selected[q.direction == "internal"] { "내선" } }
                    }
                    @if as_admin {
                        "발신" input type="text" name="caller" value=(q.caller) placeholder="번호 또는 이름" style="width:140px";
                        "수신" input type="text" name="callee" value=(q.callee) placeholder="번호 또는 이름" style="width:140px";
                        "내선" input type="text" name="number" value=(q.number) placeholder="내선번호" style="width:100px";
                    } @else {
                        "번호" input type="text" name="number" value=(q.number) placeholder="-빼고 입력해주세요" style="width:160px";
                    }
                    button type="submit" class="secondary" id="search" { "조회하기" }
                    a class="btn secondary" id="export" href=(format!("{base}/export?{qs}")) { "엑셀 다운로드" }
                }
            }
            div class="card" {
                h2 { "검색결과" }
                table id="calls" {
                    thead { tr {
                        th { "구분" } th { "발신" } th { "수신" } th { "통화일시" } th { "통화시간" } th { "결과" } th { "녹취" }
                    } }
                    tbody {
                        @for r in &rows { (row(p, base, r, can_listen)) }
                        @if rows.is_empty() { tr { td colspan="7" class="muted" { "통화 기록이 없습니다" } } }
                    }
                }
                @if let Some(n) = &next {
                    p { a class="btn secondary" id="next-page" href=(format!("{base}?{qs}&next={n}")) { "다음" } }
                }
            }
        },
    ))
}

fn party(number: &str, name: Option<&str>) -> maud::Markup {
    html! { (number) @if let Some(n) = name { " " span class="muted" { (n) } } }
}

fn row(p: &Portal, base: &str, r: &CallRow, can_listen: bool) -> maud::Markup {
    html! {
        tr class="call" data-id=(r.id) style="white-space:nowrap" {
            td { (r.direction_label) }
            td { (party(&r.caller, r.caller_name.as_deref())) (super::dial::button(p, &r.caller)) }
            td { (party(&r.callee, r.callee_name.as_deref())) (super::dial::button(p, &r.callee)) }
            td { (r.started_at) }
            td { (duration_text(r.duration_secs)) }
            td { (r.disposition_label) }
            td {
                @if r.recordings > 0 && can_listen {
                    @for n in 1..=r.recordings {
                        div class="row recording" {
                            audio controls preload="none" src=(format!("{base}/{}/recordings/{n}", r.id)) {}
                            a class="btn secondary download" href=(format!("{base}/{}/recordings/{n}?download=1", r.id)) { "다운로드" }
                        }
                    }
                } @else if r.recordings > 0 {
                    span class="muted" { "녹취 " (r.recordings) "건" }
                }
            }
        }
    }
}

pub async fn user_page(
    State(app): State<app::App>,
    p: Portal,
    Query(q): Query<CallQuery>,
) -> Response {
    history_page(&app, &p, false, &q).await
}

pub async fn admin_page(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<CallQuery>,
) -> Response {
    history_page(&app, &p, true, &q).await
}

#[derive(Debug, Deserialize)]
pub struct RecordingQuery {
    download: Option<String>,
}

async fn recording(
    app: &app::App,
    p: &Portal,
    viewer: &Viewer,
    id: &str,
    n: usize,
    download: bool,
) -> Response {
    match app::calls::recording_url(
        app,
        &p.account.tenant,
        viewer,
        Some(&p.account),
        id,
        n,
        download,
    )
    .await
    {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(f) => render_fail(Some(p), &f),
    }
}

pub async fn user_recording(
    State(app): State<app::App>,
    p: Portal,
    Path((id, n)): Path<(String, usize)>,
    Query(q): Query<RecordingQuery>,
) -> Response {
    let viewer = Viewer::Account(p.account.id.clone());
    recording(&app, &p, &viewer, &id, n, q.download.is_some()).await
}

pub async fn admin_recording(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path((id, n)): Path<(String, usize)>,
    Query(q): Query<RecordingQuery>,
) -> Response {
    recording(&app, &p, &Viewer::Company, &id, n, q.download.is_some()).await
}

/// Streams an export file to the client in chunks (it may be large).
pub(crate) fn stream_file(
    file: tempfile::NamedTempFile,
    name: &str,
    content_type: &str,
) -> Response {
    let path = file.into_temp_path();
    let stream = futures::stream::unfold(None, move |state| {
        let path = path.to_path_buf();
        async move {
            use tokio::io::AsyncReadExt as _;
            let mut f = match state {
                Some(f) => f,
                None => tokio::fs::File::open(&path).await.ok()?,
            };
            let mut buf = vec![0u8; 64 * 1024];
            match f.read(&mut buf).await {
                Ok(0) | Err(_) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<_, std::io::Error>(buf), Some(f)))
                }
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                blobs::content_disposition(name),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn export(app: &app::App, p: &Portal, viewer: &Viewer, q: &CallQuery) -> Response {
    let search = match q.search() {
        Ok(s) => s,
        Err(f) => return render_fail(Some(p), &f),
    };
    match app::calls::export_xlsx(app, &p.account.tenant, viewer, &search).await {
        Ok(file) => stream_file(
            file,
            "통화이력.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Err(f) => render_fail(Some(p), &f),
    }
}

pub async fn user_export(
    State(app): State<app::App>,
    p: Portal,
    Query(q): Query<CallQuery>,
) -> Response {
    let viewer = Viewer::Account(p.account.id.clone());
    export(&app, &p, &viewer, &q).await
}

pub async fn admin_export(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<CallQuery>,
) -> Response {
    export(&app, &p, &Viewer::Company, &q).await
}
