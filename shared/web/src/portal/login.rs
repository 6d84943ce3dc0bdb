//! 이메일로그인 (U1): the login form, its double-submit CSRF cookie, and logout.

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::Role;
use maud::html;
use serde::Deserialize;

use super::layout::{bare, error_box};
use super::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, set_cookie};

fn login_page(csrf: &str, email: &str, error: Option<&str>) -> maud::Markup {
    bare(
        "로그인",
        html! {
            main class="login card" {
                h1 { "말톡오피스" }
                p class="muted" style="text-align:center" { "이메일로그인" }
                (error_box(error))
                form method="post" action="/login" {
                    input type="hidden" name="_csrf" value=(csrf);
                    label for="email" { "Email" }
                    input type="email" id="email" name="email" value=(email) placeholder="Please enter your email" required autofocus;
                    label for="password" { "Password" }
                    input type="password" id="password" name="password" placeholder="Please enter your password" required;
                    p { button type="submit" id="login" { "로그인" } }
                }
                p class="muted" {
                    "* 처음 접속시, 먼저 말톡APP을 통해 로그인을 해야 합니다." br;
                    "* 말톡APP → 설정 → '나의정보'에서 이메일 인증 후 말톡오피스에 로그인 해주세요."
                }
            }
        },
    )
}

pub async fn form(State(app): State<app::App>, headers: HeaderMap) -> Response {
    let token = cookie(&headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() >= 32)
        .map(str::to_owned)
        .unwrap_or_else(app::auth::token);
    (
        [(
            header::SET_COOKIE,
            set_cookie(LOGIN_CSRF_COOKIE, &token, 3600, app.secure_cookies),
        )],
        super::layout::ok(login_page(&token, "", None)),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// The client address for throttling: the first X-Forwarded-For hop behind
/// API Gateway, else the socket peer.
fn client(headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|s| s.trim().to_owned())
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

/// The socket peer, when the server was started with connect info.
#[derive(Debug, Clone, Copy)]
pub struct Peer(Option<std::net::SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

pub async fn submit(
    State(app): State<app::App>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE)
        .unwrap_or_default()
        .to_owned();
    if !app::auth::csrf_ok(&expected, f.csrf.as_deref()) {
        let fresh = app::auth::token();
        return (
            StatusCode::FORBIDDEN,
            [(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, &fresh, 3600, app.secure_cookies),
            )],
            super::layout::ok(login_page(
                &fresh,
                &f.email,
                Some("보안 토큰이 올바르지 않습니다. 다시 시도해 주세요"),
            )),
        )
            .into_response();
    }
    match app::auth::login(&app, &f.email, &f.password, &client(&headers, peer)).await {
        Ok(done) => {
            let to = if done.account.role == Role::Admin {
                "/admin/accounts"
            } else {
                "/me"
            };
            let mut resp = Redirect::to(to).into_response();
            let cookie = set_cookie(
                SESSION_COOKIE,
                &done.token,
                app::auth::SESSION_MAX_SECS,
                app.secure_cookies,
            );
            if let Ok(v) = header::HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(fail) => (
            super::layout::status_for(fail.kind),
            super::layout::ok(login_page(&expected, &f.email, Some(&fail.message))),
        )
            .into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn logout(
    State(app): State<app::App>,
    p: super::Portal,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Response {
    if let Some(r) = super::csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(fail) = app::auth::logout(&app, token).await
    {
        return super::layout::render_fail(Some(&p), &fail);
    }
    (
        [(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", 0, app.secure_cookies),
        )],
        Redirect::to("/login"),
    )
        .into_response()
}
