//! 콜백 요청 (T8): the admin's list of callback requests. Open ones first
//! (or done ones), each with the number, where it came from, how many times
//! it was asked, who it is assigned to, and three actions: assign, 전화 걸기
//! (the chosen agent's phones ring, then the customer; see
//! `app::callbacks::call_back`) and 완료. A request can also be added by hand.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::Account;
use domain::callback::{Callback, Source, Status};
use maud::html;
use serde::Deserialize;

use super::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use super::{Admin, csrf_refusal};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    saved: Option<String>,
    calling: Option<String>,
}

fn source_label(c: &Callback) -> String {
    match &c.source {
        Source::Ivr { .. } => format!("ARS ({})", c.via.as_deref().unwrap_or("대표번호")),
        Source::Queue { .. } => "착신그룹 대기 초과".into(),
        Source::Manual => "직접 등록".into(),
    }
}

fn name_of(id: Option<&domain::AccountId>, people: &[Account]) -> String {
    id.and_then(|id| people.iter().find(|a| &a.id == id))
        .map_or_else(|| "없음".to_owned(), |a| a.name.clone())
}

async fn list_page(
    app: &app::App,
    p: &super::Portal,
    q: &ListQuery,
    error: Option<(&str, axum::http::StatusCode)>,
) -> Response {
    let t = &p.session.tenant;
    let status = match q.status.as_deref() {
        Some("done") => Status::Done,
        _ => Status::Open,
    };
    let requests = match app::callbacks::list(app, t, Some(status)).await {
        Ok(r) => r,
        Err(f) => return render_fail(Some(p), &f),
    };
    let people: Vec<Account> = store::repo::accounts::all(&*app.store, t)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.status == domain::AccountStatus::Active)
        .collect();
    let agents = |chosen: Option<&domain::AccountId>| {
        html! {
            @for a in &people {
                option value=(a.id) selected[chosen == Some(&a.id)] {
                    (a.name) @if let Some(e) = a.extension { " (" (e) ")" }
                }
            }
        }
    };
    let body = html! {
        (error_box(error.map(|(m, _)| m)))
        @if q.saved.is_some() { div class="notice" role="status" { "저장되었습니다." } }
        @if q.calling.is_some() { div class="notice" role="status" id="calling" { "상담원 전화기를 울리고 있습니다. 받으면 고객에게 연결합니다." } }
        p {
            a href="/admin/callbacks" class=[(status == Status::Open).then_some("btn")] { "대기 중" }
            " · "
            a href="/admin/callbacks?status=done" class=[(status == Status::Done).then_some("btn")] { "완료" }
        }
        @if requests.is_empty() {
            p class="muted" id="no-callbacks" { "콜백 요청이 없습니다. ARS에서 콜백을 선택하거나 대기가 길어진 고객의 요청이 여기에 쌓입니다." }
        } @else {
            table id="callbacks" {
                thead { tr { th { "요청 시각" } th { "번호" } th { "이름" } th { "경로" } th { "요청" } th { "담당자" } th { "걸기" } th { "" } } }
                tbody {
                    @for c in &requests {
                        tr id=(format!("callback-{}", c.id)) {
                            td { (p.tenant.time_zone.wall_clock(c.requested_ms)) }
                            td class="number" { (c.number.display()) }
                            td { (c.name.clone().unwrap_or_default()) }
                            td { (source_label(c)) }
                            td { (c.times) "회" }
                            td {
                                @if c.is_open() {
                                    form method="post" action=(format!("/admin/callbacks/{}/assign", c.id)) {
                                        (csrf(p))
                                        select name="assignee" {
                                            option value="" { "없음" }
                                            (agents(c.assignee.as_ref()))
                                        }
                                        button type="submit" class="secondary small" { "지정" }
                                    }
                                } @else {
                                    (name_of(c.assignee.as_ref(), &people))
                                }
                            }
                            td {
                                @if c.is_open() {
                                    form method="post" action=(format!("/admin/callbacks/{}/call", c.id)) {
                                        (csrf(p))
                                        select name="agent" { (agents(c.assignee.as_ref().or(Some(&p.account.id)))) }
                                        button type="submit" class="small call" { "전화 걸기" }
                                    }
                                }
                                @if !c.attempts.is_empty() { small class="muted" { "시도 " (c.attempts.len()) "회" } }
                            }
                            td {
                                @if c.is_open() {
                                    form method="post" action=(format!("/admin/callbacks/{}/done", c.id)) {
                                        (csrf(p))
                                        button type="submit" class="secondary small" { "완료" }
                                    }
                                } @else {
                                    (c.done_ms.map(|ms| p.tenant.time_zone.wall_clock(ms)).unwrap_or_default())
                                }
                            }
                        }
                    }
                }
            }
        }
        div class="card" {
            h2 { "콜백 요청 추가" }
            form method="post" action="/admin/callbacks" id="new-callback" {
                (csrf(p))
                label for="number" { "전화번호" }
                input type="text" id="number" name="number" placeholder="010-1234-5678";
                label for="name" { "이름 (선택)" }
                input type="text" id="name" name="name" maxlength="60";
                button type="submit" { "추가" }
            }
        }
    };
    let markup = page(p, Menu::Callbacks, "콜백 요청", body);
    match error {
        Some((_, status)) => (status, ok(markup)).into_response(),
        None => ok(markup),
    }
}

pub async fn list(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<ListQuery>,
) -> Response {
    list_page(&app, &p, &q, None).await
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    assignee: Option<String>,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    number: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// Runs one action; back to the list, or the list with the reason.
async fn act(
    app: &app::App,
    p: &super::Portal,
    f: &ActionForm,
    done: &str,
    work: impl std::future::Future<Output = Result<(), app::Fail>>,
) -> Response {
    if let Some(r) = csrf_refusal(p, f.csrf.as_deref()) {
        return r;
    }
    match work.await {
        Ok(()) => Redirect::to(done).into_response(),
        Err(fail) => {
            let q = ListQuery::default();
            list_page(app, p, &q, Some((&fail.message, status_for(fail.kind)))).await
        }
    }
}

pub async fn create(
    State(app): State<app::App>,
    Admin(p): Admin,
    Form(f): Form<ActionForm>,
) -> Response {
    let form = app::callbacks::AskForm {
        number: f.number.clone().unwrap_or_default(),
        name: f.name.clone(),
    };
    let t = &p.session.tenant;
    let work = async { app::callbacks::create(&app, t, &form).await.map(|_| ()) };
    act(&app, &p, &f, "/admin/callbacks?saved=1", work).await
}

pub async fn assign(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let t = &p.session.tenant;
    let to = f.assignee.clone().unwrap_or_default();
    let work = async {
        app::callbacks::assign(&app, t, &id, Some(&to))
            .await
            .map(|_| ())
    };
    act(&app, &p, &f, "/admin/callbacks?saved=1", work).await
}

pub async fn done(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let t = &p.session.tenant;
    let by = p.account.id.clone();
    let work = async {
        app::callbacks::finish(&app, t, &id, Some(&by))
            .await
            .map(|_| ())
    };
    act(&app, &p, &f, "/admin/callbacks?saved=1", work).await
}

pub async fn call(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let t = &p.session.tenant;
    let agent = f.agent.clone().unwrap_or_default();
    let work = async {
        app::callbacks::call_back(&app, t, &id, &agent)
            .await
            .map(|_| ())
    };
    act(&app, &p, &f, "/admin/callbacks?calling=1", work).await
}
