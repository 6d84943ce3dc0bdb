//! The OpenAPI 3.1 document of `/v1` (T9), derived from the handlers'
//! `#[utoipa::path]` and the types they answer with, served at
//! `/v1/openapi.json` and shown by the viewer at `/docs`.
//!
//! What every operation shares is added here rather than on each: the
//! problem details of a refusal (`default`), the XML form of each answer
//! (the API speaks XML on `Accept: application/xml`), and the security
//! schemes (API keys with scopes, the app's token, a stream token, the
//! carrier's signature).

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// RFC 9457 problem details, as every refusal answers.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// `urn:office:problem:<code>`.
    #[schema(rename = "type")]
    kind: String,
    /// The HTTP status's reason phrase.
    title: String,
    status: u16,
    /// Stable, for programs to match on (`not_found`, `invalid_limit`, ...).
    code: String,
    /// For people: what was wrong with this request.
    detail: String,
    /// The input field at fault, when there is one.
    field: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Office API",
        description = "The company's calls, numbers, SMS, hunt groups, ARS, callbacks, webhooks and live events, for integrators (API keys with scopes) and for the softphone app (its token). JSON by default; XML with `Accept: application/xml`. Refusals are RFC 9457 problem details with a stable `code`. Writes take an `Idempotency-Key`. Lists take `limit` and `next_token` and answer `next_token` (null on the last page). Events and webhooks: see docs/integrations.md.",
        license(name = "Proprietary")
    ),
    paths(
        serve,
        super::company::get_one, super::company::change,
        super::accounts::list, super::accounts::create, super::accounts::get_one,
        super::accounts::patch, super::accounts::delete, super::accounts::reset_sip,
        super::accounts::set_number, super::accounts::reclaim_number,
        super::accounts::hours, super::accounts::set_hours, super::accounts::available,
        super::hunt_groups::list, super::hunt_groups::create, super::hunt_groups::get_one,
        super::hunt_groups::replace, super::hunt_groups::delete, super::hunt_groups::set_paused,
        super::ivr::list, super::ivr::create, super::ivr::get_one, super::ivr::replace,
        super::ivr::delete, super::ivr::upload_prompt, super::ivr::prompt, super::ivr::preview,
        super::callbacks::list, super::callbacks::create, super::callbacks::get_one,
        super::callbacks::change, super::callbacks::call,
        super::cti::mint, super::cti::stream, super::cti::monitoring, super::cti::monitoring_stream,
        super::api_keys::list, super::api_keys::revoke,
        super::webhooks::list, super::webhooks::create, super::webhooks::get_one,
        super::webhooks::change, super::webhooks::delete, super::webhooks::deliveries,
        super::webhooks::resend,
        super::stats::report,
        super::calls::list, super::calls::create, super::calls::get_one, super::calls::recording,
        super::messages::history, super::messages::send, super::messages::status,
        super::messages::alimtalk, super::messages::inbound_list, super::messages::inbound,
        super::messages::app_inbox, super::messages::app_history, super::messages::app_send,
        super::app_api::signup, super::app_api::verify, super::app_api::config,
        super::app_api::org, super::app_api::profile, super::app_api::update_profile,
        super::app_api::set_email, super::app_api::confirm_email,
    ),
    components(schemas(Problem)),
    modifiers(&Shared),
    tags(
        (name = "company", description = "The company: its name, 대표번호 and time zone"),
        (name = "accounts", description = "SIP accounts (users), their 070 numbers and business hours"),
        (name = "calls", description = "Call records, recordings, click-to-call"),
        (name = "stats", description = "Call statistics (통계) by hour, day or month in the company's time zone"),
        (name = "messages", description = "SMS / LMS / MMS, Kakao Alimtalk, received SMS"),
        (name = "hunt_groups", description = "Hunt groups (착신그룹)"),
        (name = "ivr", description = "ARS scenarios and their prompts"),
        (name = "callbacks", description = "Callback requests (콜백)"),
        (name = "cti", description = "Screen pop: stream tokens and the user's event stream"),
        (name = "monitoring", description = "Registered phones and live calls"),
        (name = "webhooks", description = "Signed webhook endpoints and their delivery log"),
        (name = "api_keys", description = "The company's API keys"),
        (name = "app", description = "What the softphone app calls"),
        (name = "meta", description = "This document"),
    )
)]
struct Doc;

struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mto_...")
                    .description(Some(
                        "An API key made in the portal (API 키): Authorization: Bearer mto_...; each operation names the scope it needs",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "app_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The softphone app's token from /v1/app/signup/verify"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cti_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "A stream token from POST /v1/cti/tokens (ctk_...); Authorization: Bearer works too",
            ))),
        );
        components.add_security_scheme(
            "carrier_signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Office-Signature",
                "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\"> with the inbound secret",
            ))),
        );
        let problem = ResponseBuilder::new()
            .description("Refused: problem details with a stable code")
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "Problem",
                    ))))
                    .build(),
            )
            .content(
                "application/problem+xml",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "Problem",
                    ))))
                    .build(),
            )
            .build();
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for resp in op.responses.responses.values_mut() {
                    if let RefOr::T(r) = resp
                        && let Some(json) = r.content.get("application/json").cloned()
                    {
                        r.content.insert("application/xml".into(), json);
                    }
                }
                op.responses
                    .responses
                    .insert("default".into(), RefOr::T(problem.clone()));
            }
        }
    }
}

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| Doc::openapi().to_json().unwrap_or_else(|_| "{}".into()))
}

/// This document.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of /v1", content_type = "application/json", body = Object))
)]
pub async fn serve() -> Response {
    let mut r = json().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}
