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
pub(crate) mod cti;
mod hunt_groups;
mod ivr;
mod messages;
pub(crate) mod reply;
mod webhooks;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use domain::TenantId;

pub use reply::{Format, Reply};

use crate::ApiError;

pub fn routes() -> Router<app::App> {
    Router::new()
        .route("/v1/accounts", get(accounts::list).post(accounts::create))
        .route(
            "/v1/accounts/{id}",
            get(accounts::get_one)
                .patch(accounts::patch)
                .delete(accounts::delete),
        )
        .route(
            "/v1/accounts/{id}/sip-credentials",
            post(accounts::reset_sip),
        )
        .route(
            "/v1/accounts/{id}/number",
            put(accounts::set_number).delete(accounts::reclaim_number),
        )
        .route("/v1/numbers/available", get(accounts::available))
        .route(
            "/v1/accounts/{id}/hours",
            get(accounts::hours).put(accounts::set_hours),
        )
        .route(
            "/v1/hunt-groups",
            get(hunt_groups::list).post(hunt_groups::create),
        )
        .route(
            "/v1/hunt-groups/{id}",
            get(hunt_groups::get_one)
                .put(hunt_groups::replace)
                .delete(hunt_groups::delete),
        )
        .route(
            "/v1/hunt-groups/{id}/members/{account}/paused",
            put(hunt_groups::set_paused),
        )
        .route("/v1/ivr", get(ivr::list).post(ivr::create))
        .route(
            "/v1/ivr/{id}",
            get(ivr::get_one).put(ivr::replace).delete(ivr::delete),
        )
        .route(
            "/v1/ivr/prompts",
            post(ivr::upload_prompt).layer(axum::extract::DefaultBodyLimit::max(
                crate::uniform::PROMPT_BODY,
            )),
        )
        .route("/v1/ivr/prompts/{id}", get(ivr::prompt))
        .route("/v1/ivr/preview", post(ivr::preview))
        .route(
            "/v1/callbacks",
            get(callbacks::list).post(callbacks::create),
        )
        .route(
            "/v1/callbacks/{id}",
            get(callbacks::get_one).patch(callbacks::change),
        )
        .route("/v1/callbacks/{id}/call", post(callbacks::call))
        .route("/v1/cti/tokens", post(cti::mint))
        .route("/v1/cti/stream", get(cti::stream))
        .route("/cti.js", get(cti::script))
        .route("/v1/monitoring", get(cti::monitoring))
        .route("/v1/monitoring/stream", get(cti::monitoring_stream))
        .route("/v1/api-keys", get(api_keys::list))
        .route("/v1/api-keys/{id}", axum::routing::delete(api_keys::revoke))
        .route("/v1/webhooks", get(webhooks::list).post(webhooks::create))
        .route(
            "/v1/webhooks/{id}",
            get(webhooks::get_one)
                .patch(webhooks::change)
                .delete(webhooks::delete),
        )
        .route("/v1/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route(
            "/v1/webhooks/{id}/deliveries/{delivery}/resend",
            post(webhooks::resend),
        )
        .route("/v1/calls", get(calls::list).post(calls::create))
        .route("/v1/calls/{id}", get(calls::get_one))
        .route("/v1/calls/{id}/recordings/{n}", get(calls::recording))
        .route("/v1/messages", get(messages::history).post(messages::send))
        .route("/v1/messages/{id}", get(messages::status))
        .route("/v1/alimtalk", post(messages::alimtalk))
        .route(
            "/v1/inbound/sms",
            get(messages::inbound_list).post(messages::inbound),
        )
        .route("/v1/app/inbox", get(messages::app_inbox))
        .route(
            "/v1/app/sms",
            get(messages::app_history).post(messages::app_send),
        )
        .route("/v1/app/signup", post(app_api::signup))
        .route("/v1/app/signup/verify", post(app_api::verify))
        .route("/v1/app/config", get(app_api::config))
        .route("/v1/app/org", get(app_api::org))
        .route(
            "/v1/app/profile",
            get(app_api::profile).patch(app_api::update_profile),
        )
        .route("/v1/app/email", post(app_api::set_email))
        .route("/v1/app/email/confirm", post(app_api::confirm_email))
}

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
