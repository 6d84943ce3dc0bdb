//! The page frame: side menu as in the manual (관리자 / 사용자 메뉴), the
//! logout form, and error pages.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use domain::Role;
use maud::{DOCTYPE, Markup, html};

use super::Portal;

/// Which menu entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    Accounts,
    Org,
    Sms,
    MySms,
    Settlement,
    Urls,
    ApiKeys,
    Me,
    Hours,
    Calls,
    AdminCalls,
    HuntGroups,
    Ivr,
    Callbacks,
    Monitoring,
    Stats,
    Webhooks,
    Company,
    None,
}

/// A time-zone field (`time_zone`): any IANA name, with the zones our
/// customers' branches use offered as suggestions.
pub fn zone_input(value: &str, invalid: bool) -> Markup {
    html! {
        input type="text" id="time_zone" name="time_zone" list="time-zones" value=(value) required
            class=[invalid.then_some("invalid")] aria-invalid=[invalid.then_some("true")] autofocus[invalid];
        datalist id="time-zones" {
            @for z in ["Asia/Seoul", "Asia/Tokyo", "Asia/Shanghai", "Asia/Ho_Chi_Minh", "Asia/Singapore", "Asia/Kolkata", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles", "UTC"] {
                option value=(z) {}
            }
        }
    }
}

pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " - 말톡오피스" }
            link rel="stylesheet" href="/assets/app.css";
            script src="/assets/htmx.min.js" defer {}
        }
    }
}

/// A hidden CSRF field for forms of this session.
pub fn csrf(p: &Portal) -> Markup {
    html! { input type="hidden" name="_csrf" value=(p.session.csrf); }
}

pub fn page(p: &Portal, menu: Menu, title: &str, body: Markup) -> Markup {
    let is_admin = p.account.role == Role::Admin;
    let item = |m: Menu, href: &str, label: &str| {
        html! { a href=(href) class=[(menu == m).then_some("on")] { (label) } }
    };
    html! {
        (DOCTYPE)
        html lang="ko" {
            (head(title))
            body {
                div class="shell" {
                    aside class="side" {
                        div class="brand" { "말톡오피스" }
                        div class="who" {
                            (p.tenant.name) br;
                            (p.account.name) " · " (if is_admin { "관리자" } else { "사용자" })
                        }
                        nav {
                            @if is_admin {
                                (item(Menu::Accounts, "/admin/accounts", "계정관리"))
                                (item(Menu::AdminCalls, "/admin/calls", "통화기록"))
                                (item(Menu::Sms, "/admin/sms", "문자발송"))
                                (item(Menu::Settlement, "/admin/settlement", "정산관리"))
                                (item(Menu::Org, "/admin/org", "조직도"))
                                (item(Menu::HuntGroups, "/admin/hunt-groups", "착신그룹"))
                                (item(Menu::Ivr, "/admin/ivr", "ARS 설정"))
                                (item(Menu::Callbacks, "/admin/callbacks", "콜백 요청"))
                                (item(Menu::Company, "/admin/company", "회사 설정"))
                                (item(Menu::Urls, "/admin/urls", "URL 관리"))
                                (item(Menu::ApiKeys, "/admin/apikeys", "API 키"))
                                (item(Menu::Webhooks, "/admin/webhooks", "웹훅"))
                                (item(Menu::Stats, "/admin/stats", "통계"))
                                (item(Menu::Monitoring, "/admin/monitoring", "모니터링"))
                            }
                            (item(Menu::Me, "/me", "나의정보"))
                            (item(Menu::Calls, "/calls", "통화이력조회"))
                            (item(Menu::Hours, "/hours", "통화시간설정"))
                            (item(Menu::MySms, "/sms", "메시지조회(발송)"))
                        }
                        form method="post" action="/logout" {
                            (csrf(p))
                            button class="secondary" type="submit" { "로그아웃" }
                        }
                    }
                    main class="main" {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        }
    }
}

pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ko" {
            (head(title))
            body { (body) }
        }
    }
}

pub fn error_box(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            div class="error" role="alert" { (m) }
        }
    }
}

pub fn status_for(kind: app::FailKind) -> StatusCode {
    use app::FailKind as K;
    match kind {
        K::BadInput => StatusCode::UNPROCESSABLE_ENTITY,
        K::Malformed => StatusCode::BAD_REQUEST,
        K::Unauthenticated => StatusCode::UNAUTHORIZED,
        K::Forbidden => StatusCode::FORBIDDEN,
        K::NotFound => StatusCode::NOT_FOUND,
        K::Conflict => StatusCode::CONFLICT,
        K::TooMany => StatusCode::TOO_MANY_REQUESTS,
        K::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        K::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn render_fail(p: Option<&Portal>, f: &app::Fail) -> Response {
    render_fail_status(p, f, status_for(f.kind))
}

pub fn render_fail_status(p: Option<&Portal>, f: &app::Fail, status: StatusCode) -> Response {
    let body = html! {
        (error_box(Some(&f.message)))
        p { a href="javascript:history.back()" { "← 돌아가기" } }
    };
    let markup = match p {
        Some(p) => page(p, Menu::None, "오류", body),
        None => bare(
            "오류",
            html! { main class="login card" { h1 { "오류" } (body) } },
        ),
    };
    (status, Html(markup.into_string())).into_response()
}

pub fn ok(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}
