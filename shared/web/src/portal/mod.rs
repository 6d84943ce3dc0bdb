//! The two portals (Korean, server-rendered with maud, htmx for partial
//! updates): the tenant admin's (관리자 페이지) and the employee's (사용자
//! 페이지), behind one login. Every form carries the session's CSRF token.

mod admin;
mod callbacks;
mod calls;
mod company;
mod dial;
mod hours;
mod hunt;
mod invite;
mod ivr;
pub(crate) mod layout;
mod login;
mod me;
mod monitoring;
mod org;
mod sms;
mod stats;
mod webhooks;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::Role;
use store::repo::sessions::Session;

pub use layout::{render_fail, status_for};

pub const SESSION_COOKIE: &str = "office_session";
pub const LOGIN_CSRF_COOKIE: &str = "office_login_csrf";

pub fn routes() -> Router<app::App> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/me", get(me::show).post(me::update))
        .route("/hours", get(hours::show).post(hours::save))
        .route("/calls", get(calls::user_page))
        .route("/calls/export", get(calls::user_export))
        .route("/calls/{id}/recordings/{n}", get(calls::user_recording))
        .route("/admin/calls", get(calls::admin_page))
        .route("/admin/calls/export", get(calls::admin_export))
        .route(
            "/admin/calls/{id}/recordings/{n}",
            get(calls::admin_recording),
        )
        .route(
            "/sms",
            get(sms::user_page)
                .post(sms::user_send)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::uniform::SHEET_BODY,
                )),
        )
        .route(
            "/sms/bulk",
            post(sms::user_bulk).layer(axum::extract::DefaultBodyLimit::max(
                crate::uniform::SHEET_BODY,
            )),
        )
        .route("/sms/sample", get(sms::sample))
        .route("/sms/{id}", get(sms::user_detail))
        .route("/sms/{id}/progress", get(sms::user_detail))
        .route("/sms/{id}/resend", post(sms::user_resend))
        .route(
            "/admin/sms",
            get(sms::admin_page)
                .post(sms::admin_send)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::uniform::SHEET_BODY,
                )),
        )
        .route(
            "/admin/sms/bulk",
            post(sms::admin_bulk).layer(axum::extract::DefaultBodyLimit::max(
                crate::uniform::SHEET_BODY,
            )),
        )
        .route("/admin/sms/sink", post(sms::set_sink_failures))
        .route("/admin/sms/sample", get(sms::sample))
        .route("/admin/sms/{id}", get(sms::admin_detail))
        .route("/admin/sms/{id}/progress", get(sms::admin_detail))
        .route("/admin/sms/{id}/resend", post(sms::admin_resend))
        .route("/admin/settlement", get(sms::settlement))
        .route("/hours/holidays", post(hours::own_holiday))
        .route("/admin", get(|| async { Redirect::to("/admin/accounts") }))
        .route("/admin/accounts", get(admin::accounts).post(admin::create))
        .route("/admin/accounts/new", get(admin::new_form))
        .route(
            "/admin/accounts/{id}",
            get(admin::edit_form).post(admin::edit),
        )
        .route("/admin/accounts/{id}/permissions", post(admin::permissions))
        .route("/admin/accounts/{id}/sip-reset", post(admin::sip_reset))
        .route("/admin/accounts/{id}/delete", post(admin::delete))
        .route("/admin/numbers/free", get(admin::free_numbers))
        .route("/admin/company", get(company::show).post(company::save))
        .route("/admin/urls", get(admin::urls).post(admin::save_urls))
        .route("/admin/hunt-groups", get(hunt::list).post(hunt::create))
        .route("/admin/hunt-groups/new", get(hunt::new_form))
        .route(
            "/admin/hunt-groups/{id}",
            get(hunt::edit_form).post(hunt::edit),
        )
        .route("/admin/hunt-groups/{id}/delete", post(hunt::delete))
        .route(
            "/admin/hunt-groups/{id}/members/{account}/pause",
            post(hunt::pause),
        )
        .route(
            "/admin/callbacks",
            get(callbacks::list).post(callbacks::create),
        )
        .route("/admin/callbacks/{id}/assign", post(callbacks::assign))
        .route("/admin/callbacks/{id}/done", post(callbacks::done))
        .route("/admin/callbacks/{id}/call", post(callbacks::call))
        .route("/admin/ivr", get(ivr::list).post(ivr::create))
        .route("/admin/ivr/new", get(ivr::new_form))
        .route("/admin/ivr/preview", get(ivr::preview))
        .route("/admin/ivr/player", get(ivr::player))
        .route(
            "/admin/ivr/prompts",
            post(ivr::upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::uniform::PROMPT_FORM_BODY,
            )),
        )
        .route("/admin/ivr/{id}", get(ivr::show).post(ivr::save_settings))
        .route("/admin/ivr/{id}/json", post(ivr::save_json))
        .route("/admin/ivr/{id}/delete", post(ivr::delete))
        .route(
            "/admin/ivr/{id}/add-node",
            get(ivr::add_node_form).post(ivr::add_node),
        )
        .route(
            "/admin/ivr/{id}/nodes/{node}",
            get(ivr::edit_node_form).post(ivr::edit_node),
        )
        .route(
            "/admin/ivr/{id}/nodes/{node}/delete",
            post(ivr::delete_node),
        )
        .route("/admin/org", get(org::show))
        .route("/admin/org/members", get(org::members))
        .route("/admin/org/member", post(org::place))
        .route("/admin/org/sample", get(org::sample))
        .route(
            "/admin/org/upload",
            post(org::upload).layer(axum::extract::DefaultBodyLimit::max(
                crate::uniform::SHEET_BODY,
            )),
        )
        .route(
            "/admin/apikeys",
            get(admin::api_keys).post(admin::create_api_key),
        )
        .route("/admin/apikeys/{id}/revoke", post(admin::revoke_api_key))
        .route("/dial", post(dial::dial))
        .route("/admin/accounts/{id}/invite", post(invite::send))
        .route("/invite/{token}", get(invite::show).post(invite::accept))
        .route(
            "/admin/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/admin/webhooks/{id}/enabled", post(webhooks::set_enabled))
        .route("/admin/webhooks/{id}/delete", post(webhooks::delete))
        .route("/admin/webhooks/{id}/resend", post(webhooks::resend))
        .route("/admin/monitoring", get(monitoring::page_view))
        .route("/admin/monitoring/stream", get(monitoring::stream))
        .route("/assets/monitoring.js", get(monitoring::script))
        .route("/admin/stats", get(stats::page_view))
        .route("/admin/stats/export", get(stats::export))
        .route("/assets/echarts.min.js", get(stats::echarts))
        .route("/assets/stats.js", get(stats::script))
        .route("/assets/app.css", get(css))
        .route("/assets/htmx.min.js", get(htmx))
}

async fn css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/app.css"),
    )
}

async fn htmx() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/htmx.min.js"),
    )
}

pub(crate) fn asset(ctype: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Reads a cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when served over https.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// A logged-in portal user (any role). Pages redirect to /login without one.
#[derive(Debug, Clone)]
pub struct Portal {
    pub session: Session,
    pub account: domain::Account,
    pub tenant: domain::Tenant,
}

impl Portal {
    /// The zone this person reads times and days in: the company's on
    /// admin pages, their own (통화시간설정's, the company's unless set)
    /// on theirs.
    pub async fn zone(&self, app: &app::App, as_admin: bool) -> domain::calendar::TimeZone {
        if as_admin {
            return self.tenant.time_zone.clone();
        }
        let me = app::calls::Viewer::Account(self.account.id.clone());
        match app::calls::zone(app, &self.account.tenant, &me).await {
            Ok(tz) => tz,
            Err(f) => {
                tracing::warn!(account = %self.account.id, error = %f.message, "own time zone unreadable; the company's used");
                self.tenant.time_zone.clone()
            }
        }
    }
}

/// A logged-in tenant admin.
#[derive(Debug, Clone)]
pub struct Admin(pub Portal);

/// Why a portal request is turned away.
#[derive(Debug)]
pub enum Rejected {
    Login,
    NotAdmin(Box<Portal>),
    Fail(app::Fail),
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        match self {
            Rejected::Login => Redirect::to("/login").into_response(),
            Rejected::NotAdmin(p) => layout::render_fail(
                Some(&p),
                &app::Fail::forbidden("관리자만 사용할 수 있는 메뉴입니다"),
            ),
            Rejected::Fail(f) => layout::render_fail(None, &f),
        }
    }
}

impl FromRequestParts<app::App> for Portal {
    type Rejection = Rejected;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &app::App,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Rejected::Login);
        };
        let Some(session) = app::auth::session(app, token)
            .await
            .map_err(Rejected::Fail)?
        else {
            return Err(Rejected::Login);
        };
        let account = store::repo::accounts::get(&*app.store, &session.tenant, &session.account)
            .await
            .map_err(|e| Rejected::Fail(e.into()))?
            .ok_or(Rejected::Login)?;
        // A suspended account loses its portal at once.
        if account.status != domain::AccountStatus::Active {
            return Err(Rejected::Login);
        }
        let tenant = app::admin::tenant(app, &session.tenant)
            .await
            .map_err(Rejected::Fail)?;
        Ok(Portal {
            session,
            account,
            tenant,
        })
    }
}

impl FromRequestParts<app::App> for Admin {
    type Rejection = Rejected;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &app::App,
    ) -> Result<Self, Self::Rejection> {
        let p = Portal::from_request_parts(parts, app).await?;
        // The role is read from the account, not the session: a demotion works at once.
        if p.account.role != Role::Admin {
            return Err(Rejected::NotAdmin(Box::new(p)));
        }
        Ok(Admin(p))
    }
}

/// The refusal of a form whose CSRF token does not match the session's.
pub fn csrf_refusal(p: &Portal, submitted: Option<&str>) -> Option<Response> {
    if app::auth::csrf_ok(&p.session.csrf, submitted) {
        None
    } else {
        Some(layout::render_fail_status(
            Some(p),
            &app::Fail::new(
                app::FailKind::Forbidden,
                "csrf",
                "보안 토큰이 올바르지 않습니다. 페이지를 새로고침한 뒤 다시 시도해 주세요",
            ),
            StatusCode::FORBIDDEN,
        ))
    }
}
