//! 나의정보 (U2): the profile card and the department / position /
//! extension update.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::Portal;
use super::layout::{Menu, csrf, error_box, ok, page, status_for};

fn card(
    p: &Portal,
    a: &domain::Account,
    error: Option<&str>,
    saved: bool,
    ext_input: Option<&str>,
) -> maud::Markup {
    let num = |n: &Option<domain::PhoneNumber>| {
        n.as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "-".into())
    };
    page(
        p,
        Menu::Me,
        "나의정보",
        html! {
            @if saved { div class="notice" role="status" { "저장되었습니다" } }
            (error_box(error))
            div class="card" {
                dl class="profile" {
                    dt { "이름" } dd { (a.name) }
                    dt { "이메일" } dd { (a.email.as_ref().map(ToString::to_string).unwrap_or_default()) }
                    dt { "070번호" } dd id="my-number" { (num(&a.number)) }
                    dt { "내번호" } dd { (num(&a.mobile)) }
                    dt { "내상품" } dd { (a.plan) }
                    dt { "추천인" } dd { "-" }
                    dt { "부서" } dd { (a.department.clone().unwrap_or_default()) }
                    dt { "직책" } dd { (a.position.clone().unwrap_or_default()) }
                    dt { "내선번호" } dd id="my-extension" { (a.extension.map(|e| e.to_string()).unwrap_or_else(|| "-".into())) }
                }
            }
            div class="card" {
                h2 { "부서 · 직책 · 내선번호 수정" }
                form method="post" action="/me" {
                    (csrf(p))
                    label for="department" { "부서" }
                    input type="text" id="department" name="department" value=(a.department.clone().unwrap_or_default());
                    label for="position" { "직책" }
                    input type="text" id="position" name="position" value=(a.position.clone().unwrap_or_default());
                    label for="extension" { "내선번호 (4자리 숫자)" }
                    input type="text" id="extension" name="extension" inputmode="numeric" maxlength="4"
                        value=(ext_input.map(str::to_owned).unwrap_or_else(|| a.extension.map(|e| e.to_string()).unwrap_or_default()));
                    p { button type="submit" id="update" { "+ 업데이트" } }
                }
            }
        },
    )
}

pub async fn page_handler(p: &Portal, saved: bool) -> Response {
    ok(card(p, &p.account, None, saved, None))
}

#[derive(Debug, Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn show(p: Portal, q: axum::extract::Query<SavedQuery>) -> Response {
    page_handler(&p, q.saved.is_some()).await
}

#[derive(Debug, Deserialize)]
pub struct ProfileForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    department: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    extension: String,
}

pub async fn update(
    State(app): State<app::App>,
    p: Portal,
    Form(f): Form<ProfileForm>,
) -> Response {
    if let Some(r) = super::csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    match app::admin::update_profile(
        &app,
        &p.session.tenant,
        &p.account.id,
        Some(f.department),
        Some(f.position),
        Some(&f.extension),
    )
    .await
    {
        Ok(_) => Redirect::to("/me?saved=1").into_response(),
        Err(fail) => (
            status_for(fail.kind),
            ok(card(
                &p,
                &p.account,
                Some(&fail.message),
                false,
                Some(&f.extension),
            )),
        )
            .into_response(),
    }
}
