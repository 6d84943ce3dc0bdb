//! 조직도 (A5): the department tree (click a department for its members),
//! 직원검색, and 부서원 추가/수정.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use super::{Admin, Portal, csrf_refusal};

fn tree(nodes: &[app::org::OrgNode]) -> Markup {
    html! {
        ul class="org" {
            @for n in nodes {
                li {
                    a href="#" class="dept" hx-get=(format!("/admin/org/members?dept={}", url::form_urlencoded::byte_serialize(n.name.as_bytes()).collect::<String>()))
                        hx-target="#members" hx-swap="innerHTML" { (n.name) }
                    span class="muted" { " (" (n.members.len()) ")" }
                    @if !n.children.is_empty() { (tree(&n.children)) }
                }
            }
        }
    }
}

fn members_table(p: &Portal, members: &[app::org::Member]) -> Markup {
    html! {
        table class="members" {
            thead { tr { th { "직원이름" } th { "부서이름" } th { "직급" } th { "070번호" } th { "핸드폰번호" } } }
            tbody {
                @for m in members {
                    tr {
                        td { (m.name) }
                        td { (m.department.clone().unwrap_or_default()) }
                        td { (m.position.clone().unwrap_or_default()) }
                        td class="number" {
                            (m.number.clone().unwrap_or_default())
                            @if let Some(n) = &m.number { (super::dial::button(p, n)) }
                        }
                        td class="number" {
                            (m.mobile.clone().unwrap_or_default())
                            @if let Some(n) = &m.mobile { (super::dial::button(p, n)) }
                        }
                    }
                }
                @if members.is_empty() { tr { td colspan="5" class="muted" { "부서원이 없습니다" } } }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct OrgQuery {
    #[serde(default)]
    q: String,
    page: Option<usize>,
    saved: Option<String>,
    imported: Option<usize>,
    /// Back from a 통화 button: the number being called.
    dialing: Option<String>,
}

async fn org_page(app: &app::App, p: &Portal, q: &OrgQuery, error: Option<&str>) -> Response {
    org_page_with(app, p, q, error, &[]).await
}

async fn org_page_with(
    app: &app::App,
    p: &Portal,
    q: &OrgQuery,
    error: Option<&str>,
    report: &[app::orgfile::RowError],
) -> Response {
    let t = &p.session.tenant;
    let chart = match app::org::chart(app, t).await {
        Ok(c) => c,
        Err(f) => return render_fail(Some(p), &f),
    };
    let (found, pg, pages) = match app::org::search(app, t, &q.q, q.page.unwrap_or(1), 10).await {
        Ok(x) => x,
        Err(f) => return render_fail(Some(p), &f),
    };
    let depts = app::org::departments(app, t).await.unwrap_or_default();
    let people = store::repo::accounts::all(&*app.store, t)
        .await
        .unwrap_or_default();
    let link = |n: usize| {
        format!(
            "/admin/org?page={n}&q={}",
            url::form_urlencoded::byte_serialize(q.q.as_bytes()).collect::<String>()
        )
    };
    let body = html! {
        @if q.saved.is_some() { div class="notice" role="status" { "저장되었습니다" } }
        @if let Some(n) = q.imported { div class="notice" role="status" id="imported" { "조직도를 새로 올렸습니다 (" (n) "명)" } }
        (error_box(error))
        (super::dial::notice(q.dialing.as_deref()))
        div class="card" {
            h2 { "조직도 업로드" }
            form method="post" action="/admin/org/upload" enctype="multipart/form-data" class="row" {
                (csrf(p))
                label for="file" style="margin:0" { "엑셀파일 업로드" }
                input type="file" id="file" name="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required;
                button type="submit" id="upload" { "업로드" }
                a class="btn secondary" href="/admin/org/sample" id="sample" { "샘플 다운로드" }
            }
            p class="muted" { "※ 엑셀파일 업로드의 경우 파일내용으로 모든 정보가 새로 업로드됩니다. 한 행이라도 오류가 있으면 아무것도 바뀌지 않습니다." }
            @if !report.is_empty() {
                table id="upload-errors" {
                    thead { tr { th { "행" } th { "오류" } } }
                    tbody { @for e in report { tr { td { (e.row) } td { (e.message) } } } }
                }
            }
        }
        div class="row" style="align-items:flex-start" {
            div class="card" style="flex:1;min-width:260px" {
                h2 { (chart.company) }
                (tree(&chart.departments))
                @if !chart.members.is_empty() { p class="muted" { "부서 미지정 " (chart.members.len()) "명" } }
            }
            div class="card" style="flex:2" {
                h2 { "부서원" }
                div id="members" { p class="muted" { "부서명을 클릭하면 해당 부서원 목록이 나타납니다." } }
            }
        }
        div class="card" {
            h2 { "조직도 직원검색" }
            form method="get" action="/admin/org" class="row" {
                input type="text" name="q" value=(q.q) placeholder="직원이름" style="width:240px";
                button type="submit" class="secondary" id="search" { "검색하기" }
            }
            div id="search-results" { (members_table(p, &found)) }
            div class="pager" {
                @if pg > 1 { a href=(link(pg - 1)) { "<" } " " }
                (pg) " / " (pages) " 페이지"
                @if pg < pages { " " a href=(link(pg + 1)) { ">" } }
            }
        }
        div class="card" {
            h2 { "+ 부서원 추가/수정" }
            form method="post" action="/admin/org/member" {
                (csrf(p))
                label for="account" { "부서원" }
                select id="account" name="account" required {
                    option value="" { "선택해주세요" }
                    @for a in &people { option value=(a.id) { (a.name) " " (a.email.as_ref().map(ToString::to_string).unwrap_or_default()) } }
                }
                label for="parent" { "상위 부서" }
                select id="parent" name="parent" {
                    option value="" { (chart.company) " (최상위)" }
                    @for d in &depts { option value=(d.name) { (d.name) } }
                }
                label for="department" { "부서" }
                input type="text" id="department" name="department" list="dept-names" placeholder="부서명 (새 이름이면 상위 부서 아래에 만들어집니다)";
                datalist id="dept-names" { @for d in &depts { option value=(d.name) {} } }
                label for="position" { "직책" }
                input type="text" id="position" name="position";
                label for="extension" { "내선번호" }
                input type="text" id="extension" name="extension" maxlength="4";
                p { button type="submit" id="place" { "확인" } }
            }
        }
    };
    ok(page(p, Menu::Org, "조직도", body))
}

pub async fn show(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<OrgQuery>,
) -> Response {
    org_page(&app, &p, &q, None).await
}

#[derive(Debug, Deserialize)]
pub struct DeptQuery {
    dept: String,
}

pub async fn members(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<DeptQuery>,
) -> Response {
    match app::org::members(&app, &p.session.tenant, &q.dept).await {
        Ok(m) => ok(html! { h3 { (q.dept) } (members_table(&p, &m)) }),
        Err(f) => render_fail(Some(&p), &f),
    }
}

#[derive(Debug, Deserialize)]
pub struct PlaceForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    account: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    extension: String,
}

pub async fn place(
    State(app): State<app::App>,
    Admin(p): Admin,
    Form(f): Form<PlaceForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    let parent = Some(f.parent.as_str()).filter(|s| !s.is_empty());
    match app::org::place_member(
        &app,
        &p.session.tenant,
        &f.account,
        parent,
        &f.department,
        Some(f.position.clone()),
        Some(&f.extension),
    )
    .await
    {
        Ok(_) => Redirect::to("/admin/org?saved=1").into_response(),
        Err(fail) => {
            let page = org_page(&app, &p, &OrgQuery::default(), Some(&fail.message)).await;
            (status_for(fail.kind), page).into_response()
        }
    }
}

pub async fn sample(State(app): State<app::App>, Admin(p): Admin) -> Response {
    match app::orgfile::sample(&app, &p.session.tenant).await {
        Ok(bytes) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    blobs::content_disposition("조직도_샘플.xlsx"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(f) => render_fail(Some(&p), &f),
    }
}

pub async fn upload(
    State(app): State<app::App>,
    Admin(p): Admin,
    mut form: axum::extract::Multipart,
) -> Response {
    let mut csrf_field = None;
    let mut file = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("_csrf") => csrf_field = field.text().await.ok(),
                Some("file") => file = field.bytes().await.ok(),
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                let f = app::Fail::bad(
                    "invalid_file",
                    "file",
                    "파일을 받지 못했습니다. 다시 시도해 주세요",
                );
                return (
                    status_for(f.kind),
                    org_page(&app, &p, &OrgQuery::default(), Some(&f.message)).await,
                )
                    .into_response();
            }
        }
    }
    if let Some(r) = csrf_refusal(&p, csrf_field.as_deref()) {
        return r;
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        let f = app::Fail::bad("invalid_file", "file", "엑셀파일을 선택해 주세요");
        return (
            status_for(f.kind),
            org_page(&app, &p, &OrgQuery::default(), Some(&f.message)).await,
        )
            .into_response();
    };
    match app::orgfile::upload(&app, &p.session.tenant, &bytes).await {
        Ok(done) => Redirect::to(&format!("/admin/org?imported={}", done.members)).into_response(),
        Err(app::orgfile::UploadError::File(f)) => (
            status_for(f.kind),
            org_page(&app, &p, &OrgQuery::default(), Some(&f.message)).await,
        )
            .into_response(),
        Err(app::orgfile::UploadError::Rows(rows)) => {
            let msg = format!(
                "{}개 행에 오류가 있어 아무것도 바꾸지 않았습니다. 고친 뒤 다시 올려 주세요",
                rows.len()
            );
            let page = org_page_with(&app, &p, &OrgQuery::default(), Some(&msg), &rows).await;
            (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
    }
}
