//! 로그인 초대: the admin sends an account's user a link to choose their
//! portal password (`app::invite`); the user opens `/invite/<token>`, sets
//! it, and logs in. The link itself is the credential (used once, 7 days),
//! so its form needs no session.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{bare, error_box, ok, status_for};
use super::{Admin, csrf_refusal};

/// Where this portal is reached, from the request (links in mail).
pub fn base_url(app: &app::App, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if app.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}")
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    email: String,
}

/// The admin sends (or sends again) an invitation from 상태 수정.
pub async fn send(
    State(app): State<app::App>,
    Admin(p): Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<InviteForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    let account = match app::admin::account(&app, &p.session.tenant, &id).await {
        Ok(a) => a,
        Err(fail) => return super::layout::render_fail(Some(&p), &fail),
    };
    let base = base_url(&app, &headers);
    match app::invite::invite(&app, &p.session.tenant, &account.id, &f.email, &base).await {
        Ok(sent) => ok(super::admin::edit_page_with(
            &p,
            &account,
            None,
            None,
            Some(&format!(
                "{}로 초대 메일을 보냈습니다. 링크: {}",
                sent.email, sent.link
            )),
        )),
        Err(fail) => (
            status_for(fail.kind),
            ok(super::admin::edit_page_with(
                &p,
                &account,
                Some(&fail.message),
                None,
                None,
            )),
        )
            .into_response(),
    }
}

fn accept_page(name: &str, email: &str, error: Option<&str>) -> maud::Markup {
    bare(
        "비밀번호 설정",
        html! {
            div class="login" {
                h1 { "말톡오피스" }
                p { (name) "님, 로그인에 쓸 비밀번호를 정해 주세요." }
                p class="muted" { "로그인 이메일: " (email) }
                (error_box(error))
                form method="post" id="accept-invite" {
                    label for="password" { "비밀번호 (10자 이상)" }
                    input type="password" id="password" name="password" required minlength="10" autocomplete="new-password";
                    label for="confirm" { "비밀번호 확인" }
                    input type="password" id="confirm" name="confirm" required autocomplete="new-password";
                    button type="submit" id="set-password" { "비밀번호 설정" }
                }
            }
        },
    )
}

pub async fn show(State(app): State<app::App>, Path(token): Path<String>) -> Response {
    match app::invite::pending(&app, &token).await {
        Ok((name, email)) => ok(accept_page(&name, &email, None)),
        Err(fail) => (
            status_for(fail.kind),
            ok(bare("초대", html! { div class="login" { h1 { "말톡오피스" } (error_box(Some(&fail.message))) p { a href="/login" { "로그인" } } } })),
        )
            .into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn accept(
    State(app): State<app::App>,
    Path(token): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Response {
    let (name, email) = match app::invite::pending(&app, &token).await {
        Ok(who) => who,
        Err(fail) => return show_error(&fail),
    };
    if f.password != f.confirm {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            ok(accept_page(&name, &email, Some("두 비밀번호가 다릅니다"))),
        )
            .into_response();
    }
    match app::invite::accept(&app, &token, &f.password).await {
        Ok(_) => Redirect::to("/login").into_response(),
        Err(fail) => (
            status_for(fail.kind),
            ok(accept_page(&name, &email, Some(&fail.message))),
        )
            .into_response(),
    }
}

fn show_error(fail: &app::Fail) -> Response {
    (
        status_for(fail.kind),
        ok(bare(
            "초대",
            html! { div class="login" { (error_box(Some(&fail.message))) } },
        )),
    )
        .into_response()
}
