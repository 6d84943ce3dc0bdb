//! 웹훅 (T9, T5): the admin registers the addresses call events are sent
//! to (signed; see docs/webhooks.md), chooses which events, pauses or
//! deletes them, and reads each one's delivery log (status, response code,
//! time taken, attempts) with 재전송. An endpoint the platform disabled
//! after a day of failures says so, and why, until it is switched back on.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::event::Kind;
use domain::webhook::Endpoint;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use super::{Admin, Portal, csrf_refusal};

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    saved: Option<String>,
    /// The endpoint whose log is shown.
    log: Option<String>,
}

fn type_label(t: &str) -> &'static str {
    match t {
        "call.ringing" => "전화 옴",
        "call.answered" => "통화 연결",
        "call.held" => "보류",
        "call.resumed" => "보류 해제",
        "call.transferred" => "호 전환",
        "call.ivr_option" => "ARS 선택",
        "call.queued" => "대기열 진입",
        "call.left_queue" => "대기열 이탈",
        "recording.ready" => "녹취 완료",
        "call.ended" => "통화 종료",
        "device.registered" => "단말 등록",
        "device.unregistered" => "단말 해제",
        _ => "",
    }
}

fn status_label(s: &str) -> &'static str {
    match s {
        "delivered" => "전달됨",
        "failed" => "실패",
        "sending" => "전송 중",
        _ => "재시도 대기",
    }
}

fn endpoint_row(p: &Portal, e: &Endpoint) -> Markup {
    let events = if e.events.types().is_empty() {
        "모든 이벤트".to_owned()
    } else {
        e.events.types().join(", ")
    };
    html! {
        tr id=(format!("webhook-{}", e.id)) {
            td class="url" { (e.url.as_str()) @if let Some(d) = &e.description { br; small class="muted" { (d) } } }
            td { (events) }
            td class="state" {
                @if e.enabled { "사용" } @else { "중지" }
                @if let Some(why) = &e.disabled_reason { div class="error inline disabled-reason" { (why) } }
            }
            td { details { summary { "보기" } code class="secret" { (e.secret) } } }
            td class="row" {
                a class="btn secondary small" href=(format!("/admin/webhooks?log={}", e.id)) { "전송 기록" }
                form method="post" action=(format!("/admin/webhooks/{}/enabled", e.id)) {
                    (csrf(p))
                    input type="hidden" name="enabled" value=(if e.enabled { "false" } else { "true" });
                    button type="submit" class="secondary small toggle" { @if e.enabled { "중지" } @else { "사용" } }
                }
                form method="post" action=(format!("/admin/webhooks/{}/delete", e.id)) onsubmit="return confirm('이 웹훅을 삭제할까요?')" {
                    (csrf(p))
                    button type="submit" class="secondary small" { "삭제" }
                }
            }
        }
    }
}

async fn log_card(app: &app::App, p: &Portal, e: &Endpoint) -> Markup {
    let (rows, _) = app::webhooks::deliveries(app, &p.session.tenant, &e.id, 20, None)
        .await
        .unwrap_or_default();
    html! {
        div class="card" id="delivery-log" {
            h2 { "전송 기록 " small class="muted num" { (e.url.as_str()) } }
            @if rows.is_empty() {
                p class="muted" { "아직 보낸 이벤트가 없습니다." }
            } @else {
                table {
                    thead { tr { th { "시각" } th { "이벤트" } th { "상태" } th { "응답" } th { "소요" } th { "시도" } th {} } }
                    tbody {
                        @for d in &rows {
                            tr class="delivery" {
                                td { (p.tenant.time_zone.wall_clock(d.created_ms)) }
                                td { (type_label(&d.event_type)) " " code { (d.event_type) } }
                                td class="status" { (status_label(&d.status)) @if let Some(err) = &d.error { br; small class="muted" { (err) } } }
                                td { (d.response_code.map(|c| c.to_string()).unwrap_or_else(|| "-".into())) }
                                td { (d.latency_ms.map(|l| format!("{l} ms")).unwrap_or_else(|| "-".into())) }
                                td { (d.attempts) }
                                td {
                                    form method="post" action=(format!("/admin/webhooks/{}/resend", e.id)) {
                                        (csrf(p))
                                        input type="hidden" name="delivery" value=(d.id);
                                        button type="submit" class="secondary small resend" { "재전송" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn list_page(
    app: &app::App,
    p: &Portal,
    q: &ListQuery,
    error: Option<(&str, axum::http::StatusCode)>,
) -> Response {
    let list = match app::webhooks::list(app, &p.session.tenant).await {
        Ok(l) => l,
        Err(f) => return render_fail(Some(p), &f),
    };
    let log = match q
        .log
        .as_deref()
        .and_then(|id| list.iter().find(|e| e.id == id))
    {
        Some(e) => Some(log_card(app, p, e).await),
        None => None,
    };
    let body = html! {
        (error_box(error.map(|(m, _)| m)))
        @if q.saved.is_some() { div class="notice" role="status" { "저장되었습니다." } }
        p class="muted" {
            "통화 이벤트를 고객사 시스템(CRM 등)으로 보냅니다. 각 요청은 X-Office-Signature 헤더로 서명됩니다 (HMAC-SHA256). "
            "실패한 전송은 24시간 동안 재시도하며, 계속 실패하면 웹훅을 중지하고 여기에 알립니다."
        }
        @if list.is_empty() {
            p class="muted" id="no-webhooks" { "등록된 웹훅이 없습니다." }
        } @else {
            table id="webhooks" {
                thead { tr { th { "주소" } th { "이벤트" } th { "상태" } th { "서명 키" } th {} } }
                tbody { @for e in &list { (endpoint_row(p, e)) } }
            }
        }
        @if let Some(l) = log { (l) }
        div class="card" {
            h2 { "웹훅 추가" }
            form method="post" action="/admin/webhooks" id="new-webhook" {
                (csrf(p))
                label for="url" { "주소 (https://)" }
                input type="url" id="url" name="url" required placeholder="https://crm.example.com/office-events";
                label for="description" { "설명 (선택)" }
                input type="text" id="description" name="description" maxlength="100";
                label { "보낼 이벤트 (선택하지 않으면 모두)" }
                @for t in Kind::TYPES {
                    label class="row" style="font-weight:400" { input type="checkbox" name="event" value=(t); " " (type_label(t)) " " code { (t) } }
                }
                button type="submit" { "추가" }
            }
        }
    };
    let markup = page(p, Menu::Webhooks, "웹훅", body);
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

/// Runs one action; back to the page, or the page with the reason.
async fn act(
    app: &app::App,
    p: &Portal,
    csrf_value: Option<&str>,
    done: &str,
    work: impl std::future::Future<Output = Result<(), app::Fail>>,
) -> Response {
    if let Some(r) = csrf_refusal(p, csrf_value) {
        return r;
    }
    match work.await {
        Ok(()) => Redirect::to(done).into_response(),
        Err(fail) => {
            list_page(
                app,
                p,
                &ListQuery::default(),
                Some((&fail.message, status_for(fail.kind))),
            )
            .await
        }
    }
}

pub async fn create(
    State(app): State<app::App>,
    Admin(p): Admin,
    body: axum::body::Bytes,
) -> Response {
    // Repeated `event` fields: read the form by hand.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let form = app::webhooks::Form {
        url: get("url"),
        events: Some(
            pairs
                .iter()
                .filter(|(n, _)| n == "event")
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        description: get("description"),
        enabled: None,
    };
    let t = &p.session.tenant;
    let work = async { app::webhooks::create(&app, t, &form).await.map(|_| ()) };
    act(
        &app,
        &p,
        get("_csrf").as_deref(),
        "/admin/webhooks?saved=1",
        work,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    enabled: Option<bool>,
    delivery: Option<String>,
}

pub async fn set_enabled(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let change = app::webhooks::Form {
        enabled: Some(f.enabled.unwrap_or(true)),
        ..Default::default()
    };
    let t = &p.session.tenant;
    let work = async {
        app::webhooks::change(&app, t, &id, &change)
            .await
            .map(|_| ())
    };
    act(&app, &p, f.csrf.as_deref(), "/admin/webhooks?saved=1", work).await
}

pub async fn delete(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let t = &p.session.tenant;
    let work = app::webhooks::delete(&app, t, &id);
    act(&app, &p, f.csrf.as_deref(), "/admin/webhooks?saved=1", work).await
}

pub async fn resend(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let t = &p.session.tenant;
    let delivery = f.delivery.clone().unwrap_or_default();
    let done = format!("/admin/webhooks?log={id}&saved=1");
    let work = app::webhooks::resend(&app, t, &id, &delivery);
    act(&app, &p, f.csrf.as_deref(), &done, work).await
}
