//! The portal's 통화 button (click-to-call, T6): next to numbers in the
//! call history, the admin's call records and the org chart. The logged-in
//! user's phones ring first, then the number is dialled with their own
//! permissions (`app::dial`). Back on the page, a notice says so; a refusal
//! (no phone registered, a number they may not call) is shown in Korean.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{render_fail_status, status_for};
use super::{Portal, csrf_refusal};

/// A 통화 button for `number` (nothing for the user's own numbers or no number).
pub fn button(p: &Portal, number: &str) -> Markup {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let own = [
        p.account.extension.map(|e| e.to_string()),
        p.account.number.as_ref().map(|n| n.national_digits()),
    ];
    if digits.len() < 4 || own.iter().flatten().any(|o| *o == digits) {
        return html! {};
    }
    html! {
        form method="post" action="/dial" class="dial" style="display:inline; margin-left:6px" {
            input type="hidden" name="_csrf" value=(p.session.csrf);
            input type="hidden" name="number" value=(digits);
            button type="submit" class="secondary small" title=(format!("{number}에 전화 걸기")) { "통화" }
        }
    }
}

/// The notice a page shows after a 통화 button sent it back.
pub fn notice(dialing: Option<&str>) -> Markup {
    html! {
        @if let Some(n) = dialing {
            div class="notice" role="status" id="dialing" {
                "전화기를 울리고 있습니다. 받으면 " (n) "에 연결합니다."
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DialForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    number: String,
}

/// Back to the page the button was on (same site only), with the notice.
fn back(headers: &axum::http::HeaderMap, number: &str) -> String {
    let referer = headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok());
    let path = referer
        .as_ref()
        .map(url::Url::path)
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or("/calls");
    let mut pairs: Vec<(String, String)> = referer
        .as_ref()
        .map(|u| {
            u.query_pairs()
                .filter(|(k, _)| k != "dialing")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    pairs.push(("dialing".into(), number.to_owned()));
    let qs: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{qs}")
}

pub async fn dial(
    State(app): State<app::App>,
    p: Portal,
    headers: axum::http::HeaderMap,
    Form(f): Form<DialForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    match app::dial::call_as(&app, &p.session.tenant, &p.account, &f.number).await {
        Ok(_) => Redirect::to(&back(&headers, &f.number)).into_response(),
        Err(fail) => render_fail_status(Some(&p), &fail, status_for(fail.kind)),
    }
}
