//! The HTTP API (`/v1`, T9): integrators with API keys (scopes), and the
//! softphone app with its bearer token. JSON by default, XML with
//! `Accept: application/xml`; errors as RFC 9457 problem details with a
//! stable `code`; `Idempotency-Key` on writes; cursor pagination
//! (`next_token`).

mod accounts;
mod api_keys;
mod app_api;
mod callbacks;
mod calls;
mod company;
pub(crate) mod cti;
mod hunt_groups;
mod ivr;
mod messages;
pub mod openapi;
pub(crate) mod page;
pub(crate) mod reply;
mod stats;
mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use axum::routing::MethodRouter;
use axum::routing::{delete, get, patch, post, put};
use domain::TenantId;

pub use reply::{Format, Reply};

use crate::ApiError;

/// The `/v1` routes, each method and path named once: the router is built
/// from this table, and a test holds it against the OpenAPI document so
/// no route goes undocumented.
pub fn routes() -> Router<app::App> {
    table()
        .into_iter()
        .fold(Router::new(), |r, (path, _, route)| r.route(path, route))
        .route("/cti.js", get(cti::script))
}

/// Every `/v1` method and path the router answers.
pub fn route_table() -> Vec<(Method, &'static str)> {
    table()
        .into_iter()
        .map(|(path, method, _)| (method, path))
        .collect()
}

type Entry = (&'static str, Method, MethodRouter<app::App>);

fn table() -> Vec<Entry> {
    use Method as M;
    let prompt_body = DefaultBodyLimit::max(crate::uniform::PROMPT_BODY);
    vec![
        ("/v1/openapi.json", M::GET, get(openapi::serve)),
        ("/v1/company", M::GET, get(company::get_one)),
        ("/v1/company", M::PATCH, patch(company::change)),
        ("/v1/accounts", M::GET, get(accounts::list)),
        ("/v1/accounts", M::POST, post(accounts::create)),
        ("/v1/accounts/{id}", M::GET, get(accounts::get_one)),
        ("/v1/accounts/{id}", M::PATCH, patch(accounts::patch)),
        ("/v1/accounts/{id}", M::DELETE, delete(accounts::delete)),
        (
            "/v1/accounts/{id}/sip-credentials",
            M::POST,
            post(accounts::reset_sip),
        ),
        (
            "/v1/accounts/{id}/number",
            M::PUT,
            put(accounts::set_number),
        ),
        (
            "/v1/accounts/{id}/number",
            M::DELETE,
            delete(accounts::reclaim_number),
        ),
        ("/v1/accounts/{id}/hours", M::GET, get(accounts::hours)),
        ("/v1/accounts/{id}/hours", M::PUT, put(accounts::set_hours)),
        ("/v1/numbers/available", M::GET, get(accounts::available)),
        ("/v1/hunt-groups", M::GET, get(hunt_groups::list)),
        ("/v1/hunt-groups", M::POST, post(hunt_groups::create)),
        ("/v1/hunt-groups/{id}", M::GET, get(hunt_groups::get_one)),
        ("/v1/hunt-groups/{id}", M::PUT, put(hunt_groups::replace)),
        (
            "/v1/hunt-groups/{id}",
            M::DELETE,
            delete(hunt_groups::delete),
        ),
        (
            "/v1/hunt-groups/{id}/members/{account}/paused",
            M::PUT,
            put(hunt_groups::set_paused),
        ),
        ("/v1/ivr", M::GET, get(ivr::list)),
        ("/v1/ivr", M::POST, post(ivr::create)),
        ("/v1/ivr/{id}", M::GET, get(ivr::get_one)),
        ("/v1/ivr/{id}", M::PUT, put(ivr::replace)),
        ("/v1/ivr/{id}", M::DELETE, delete(ivr::delete)),
        (
            "/v1/ivr/prompts",
            M::POST,
            post(ivr::upload_prompt).layer(prompt_body),
        ),
        ("/v1/ivr/prompts/{id}", M::GET, get(ivr::prompt)),
        ("/v1/ivr/preview", M::POST, post(ivr::preview)),
        ("/v1/callbacks", M::GET, get(callbacks::list)),
        ("/v1/callbacks", M::POST, post(callbacks::create)),
        ("/v1/callbacks/{id}", M::GET, get(callbacks::get_one)),
        ("/v1/callbacks/{id}", M::PATCH, patch(callbacks::change)),
        ("/v1/callbacks/{id}/call", M::POST, post(callbacks::call)),
        ("/v1/cti/tokens", M::POST, post(cti::mint)),
        ("/v1/cti/stream", M::GET, get(cti::stream)),
        ("/v1/monitoring", M::GET, get(cti::monitoring)),
        ("/v1/monitoring/stream", M::GET, get(cti::monitoring_stream)),
        ("/v1/api-keys", M::GET, get(api_keys::list)),
        ("/v1/api-keys/{id}", M::DELETE, delete(api_keys::revoke)),
        ("/v1/webhooks", M::GET, get(webhooks::list)),
        ("/v1/webhooks", M::POST, post(webhooks::create)),
        ("/v1/webhooks/{id}", M::GET, get(webhooks::get_one)),
        ("/v1/webhooks/{id}", M::PATCH, patch(webhooks::change)),
        ("/v1/webhooks/{id}", M::DELETE, delete(webhooks::delete)),
        (
            "/v1/webhooks/{id}/deliveries",
            M::GET,
            get(webhooks::deliveries),
        ),
        (
            "/v1/webhooks/{id}/deliveries/{delivery}/resend",
            M::POST,
            post(webhooks::resend),
        ),
        ("/v1/stats", M::GET, get(stats::report)),
        ("/v1/calls", M::GET, get(calls::list)),
        ("/v1/calls", M::POST, post(calls::create)),
        ("/v1/calls/{id}", M::GET, get(calls::get_one)),
        (
            "/v1/calls/{id}/recordings/{n}",
            M::GET,
            get(calls::recording),
        ),
        ("/v1/messages", M::GET, get(messages::history)),
        ("/v1/messages", M::POST, post(messages::send)),
        ("/v1/messages/{id}", M::GET, get(messages::status)),
        ("/v1/alimtalk", M::POST, post(messages::alimtalk)),
        ("/v1/inbound/sms", M::GET, get(messages::inbound_list)),
        ("/v1/inbound/sms", M::POST, post(messages::inbound)),
        ("/v1/app/inbox", M::GET, get(messages::app_inbox)),
        ("/v1/app/sms", M::GET, get(messages::app_history)),
        ("/v1/app/sms", M::POST, post(messages::app_send)),
        ("/v1/app/signup", M::POST, post(app_api::signup)),
        ("/v1/app/signup/verify", M::POST, post(app_api::verify)),
        ("/v1/app/config", M::GET, get(app_api::config)),
        ("/v1/app/org", M::GET, get(app_api::org)),
        ("/v1/app/profile", M::GET, get(app_api::profile)),
        ("/v1/app/profile", M::PATCH, patch(app_api::update_profile)),
        ("/v1/app/email", M::POST, post(app_api::set_email)),
        (
            "/v1/app/email/confirm",
            M::POST,
            post(app_api::confirm_email),
        ),
    ]
}

/// `Idempotency-Key` on a write: a retry with the same key and body gets
/// the first answer, and the write is done once; the same key with another
/// body is refused (422 `idempotency_key_reused`).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(names("Idempotency-Key"), parameter_in = Header)]
pub struct IdempotencyKey(#[allow(dead_code)] Option<String>);

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// An integrator authenticated by API key.
#[derive(Debug, Clone)]
pub struct Integrator {
    pub tenant: TenantId,
    pub scopes: Vec<String>,
    pub format: Format,
}

impl Integrator {
    /// A read: with `scope`, what `work` finds, under `root` in this
    /// integrator's format (an app failure as problem details in it).
    pub async fn read<T: serde::Serialize>(
        &self,
        scope: &str,
        root: &'static str,
        work: impl std::future::Future<Output = Result<T, app::Fail>>,
    ) -> Result<Reply<T>, ApiError> {
        self.require(scope)?;
        let v = work.await.map_err(|f| self.fail(f))?;
        Ok(Reply::ok(self.format, root, v))
    }

    /// A delete: with `scope`, `work` done answers 204.
    pub async fn delete(
        &self,
        scope: &str,
        work: impl std::future::Future<Output = Result<(), app::Fail>>,
    ) -> Result<axum::http::StatusCode, ApiError> {
        self.require(scope)?;
        work.await.map_err(|f| self.fail(f))?;
        Ok(axum::http::StatusCode::NO_CONTENT)
    }

    /// An app failure as problem details in this integrator's format.
    pub fn fail(&self, f: app::Fail) -> ApiError {
        ApiError::from(f).in_format(self.format)
    }

    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("this API key lacks the {scope} scope"),
            )
            .in_format(self.format))
        }
    }
}

impl FromRequestParts<app::App> for Integrator {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &app::App,
    ) -> Result<Self, Self::Rejection> {
        let format = Format::of(&parts.headers);
        let unauth = || {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a valid API key is required (Authorization: Bearer <key>)",
            )
            .in_format(format)
        };
        let key = bearer(parts)
            .filter(|k| k.starts_with("mto_"))
            .ok_or_else(unauth)?;
        let hash = app::auth::sha256_hex(key);
        let rec = store::repo::api_keys::find(&*app.store, &hash)
            .await
            .map_err(|e| ApiError::from(app::Fail::from(e)).in_format(format))?
            .ok_or_else(unauth)?;
        let now = store::now_epoch_seconds();
        if now - rec.last_used_at >= store::repo::api_keys::TOUCH_EVERY_SECS {
            // Noted off the request's path; a lost note only shows an older time.
            let (store, rec) = (app.store.clone(), rec.clone());
            tokio::spawn(async move {
                if let Err(e) = store::repo::api_keys::touch(&*store, &hash, &rec, now).await {
                    tracing::debug!(error = %e, "API key use not noted");
                }
            });
        }
        Ok(Self {
            tenant: rec.tenant,
            scopes: rec.scopes,
            format,
        })
    }
}

/// The softphone app's user, authenticated by its bearer token.
#[derive(Debug, Clone)]
pub struct AppUser {
    pub account: domain::Account,
    pub format: Format,
}

impl FromRequestParts<app::App> for AppUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &app::App,
    ) -> Result<Self, Self::Rejection> {
        let format = Format::of(&parts.headers);
        let token = bearer(parts).unwrap_or_default().to_owned();
        let account = app::signup::app_account(app, &token)
            .await
            .map_err(|f| ApiError::from(f).in_format(format))?;
        Ok(Self { account, format })
    }
}
