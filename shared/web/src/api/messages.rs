//! `/v1/messages` (integrators: send, status per recipient, history) and
//! `/v1/inbound/sms` (the carrier's signed webhook for received SMS, C6).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::calendar::Date;
use serde::{Deserialize, Serialize};

use super::reply::Reply;
use super::{Format, Integrator};
use crate::ApiError;

fn fail(f: app::Fail, format: Format) -> ApiError {
    ApiError::from(f).in_format(format)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = SmsSend)]
pub struct SendBody {
    to: Vec<String>,
    text: String,
    subject: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SmsAccepted)]
pub struct Accepted {
    id: String,
    kind: String,
    bytes: i64,
    recipients: i64,
    status: &'static str,
}

/// Accepts a send from the company's representative number (202).
#[utoipa::path(
    post,
    path = "/v1/messages",
    tag = "messages",
    params(super::IdempotencyKey),
    request_body = SendBody,
    responses((status = 202, description = "Accepted for delivery", body = Accepted)),
    security(("api_key" = ["sms:send"]))
)]
pub async fn send(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = i.require("sms:send") {
        return e.into_response();
    }
    let b: SendBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("request body is not valid JSON for this operation: {e}"),
            )
            .in_format(i.format)
            .into_response();
        }
    };
    let tenant = match app::admin::tenant(&app, &i.tenant).await {
        Ok(t) => t,
        Err(f) => return fail(f, i.format).into_response(),
    };
    let Some(from) = tenant.representative_number else {
        return ApiError::new(
            StatusCode::CONFLICT,
            "no_sender",
            "the company has no representative number to send from",
        )
        .in_format(i.format)
        .into_response();
    };
    let sender = app::messaging::Sender {
        tenant: i.tenant.clone(),
        account: "api".into(),
        from,
        as_admin: true,
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("api-{k}"));
    let input = app::messaging::SendInput {
        recipients: b.to,
        text: b.text,
        subject: b.subject,
        images: Vec::new(),
        alimtalk_template: None,
    };
    answer(
        app::messaging::accept_as(&app, &sender, input, key.as_deref()).await,
        i.format,
    )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SmsDelivery)]
pub struct DeliveryView {
    to: String,
    status: String,
    attempts: i64,
    error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SmsMessage)]
pub struct MessageView {
    id: String,
    kind: String,
    fallback_of: Option<String>,
    from: String,
    text: String,
    recipients: i64,
    delivered: i64,
    failed: i64,
    resend_of: Option<String>,
    deliveries: Vec<DeliveryView>,
}

#[utoipa::path(
    get,
    path = "/v1/messages/{id}",
    tag = "messages",
    params(("id" = String, Path, description = "message id")),
    responses((status = 200, description = "OK", body = MessageView)),
    security(("api_key" = ["sms:read"]))
)]
pub async fn status(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<MessageView>, ApiError> {
    i.require("sms:read")?;
    let (b, ds) = app::messaging::detail_in_tenant(&app, &i.tenant, &id)
        .await
        .map_err(|f| fail(f, i.format))?;
    Ok(Reply::ok(
        i.format,
        "message",
        MessageView {
            id: b.id,
            kind: b.kind,
            fallback_of: b.fallback_of,
            from: b.from,
            text: b.body,
            recipients: b.recipients,
            delivered: b.delivered,
            failed: b.failed,
            resend_of: b.resend_of,
            deliveries: ds
                .into_iter()
                .map(|d| DeliveryView {
                    to: d.to,
                    status: d.status,
                    attempts: d.attempts,
                    error: d.error,
                })
                .collect(),
        },
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    from: String,
    to: String,
    recipient: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SmsHistory)]
pub struct HistoryView {
    messages: Vec<app::messaging::BatchRow>,
    next_token: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/messages",
    tag = "messages",
    params(HistoryQuery, super::page::PageQuery),
    responses((status = 200, description = "OK", body = HistoryView)),
    security(("api_key" = ["sms:read"]))
)]
pub async fn history(
    State(app): State<app::App>,
    i: Integrator,
    Query(q): Query<HistoryQuery>,
    Query(page): Query<super::page::PageQuery>,
) -> Result<Reply<HistoryView>, ApiError> {
    i.require("sms:read")?;
    let date = |s: &str, field: &'static str| {
        Date::parse(s).map_err(|_| {
            let mut e = ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_date",
                format!("{field} must be YYYY-MM-DD"),
            )
            .in_format(i.format);
            e.field = Some(field);
            e
        })
    };
    let (from, to) = (date(&q.from, "from")?, date(&q.to, "to")?);
    let rows = app::messaging::history_in(
        &app,
        &i.tenant,
        &app::messaging::Scope::Company,
        from,
        to,
        q.recipient.as_deref(),
    )
    .await
    .map_err(|f| fail(f, i.format))?;
    let (messages, next_token) = page.cut(rows).map_err(|f| fail(f, i.format))?;
    Ok(Reply::ok(
        i.format,
        "messages",
        HistoryView {
            messages,
            next_token,
        },
    ))
}

/// The carrier's webhook: signed, idempotent by message id.
#[utoipa::path(
    post,
    path = "/v1/inbound/sms",
    tag = "messages",
    request_body = app::messaging::InboundSms,
    responses((status = 201, description = "Received"), (status = 200, description = "Already received (a retry)")),
    security(("carrier_signature" = []))
)]
pub async fn inbound(
    State(app): State<app::App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let format = Format::of(&headers);
    if app.inbound_secret.len() < 16 {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            "inbound SMS is not configured (OFFICE_INBOUND_SECRET)",
        )
        .in_format(format)
        .into_response();
    }
    let sig = headers
        .get("x-office-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !app::messaging::verify_signature(
        &app.inbound_secret,
        sig,
        &body,
        store::now_epoch_seconds(),
    ) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "X-Office-Signature is missing, stale or wrong",
        )
        .in_format(format)
        .into_response();
    }
    let m: app::messaging::InboundSms = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("body: {e}"),
            )
            .in_format(format)
            .into_response();
        }
    };
    match app::messaging::receive(&app, &m).await {
        Ok(new) => (if new {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        })
        .into_response(),
        Err(f) => ApiError::from(f).in_format(format).into_response(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AppInbox)]
pub struct InboxView {
    messages: Vec<store::repo::inbox::Received>,
    next_token: Option<String>,
}

/// The app's received messages (C6).
#[utoipa::path(
    get,
    path = "/v1/app/inbox",
    tag = "app",
    params(super::page::PageQuery),
    responses((status = 200, description = "OK", body = InboxView)),
    security(("app_token" = []))
)]
pub async fn app_inbox(
    State(app): State<app::App>,
    u: super::AppUser,
    Query(page): Query<super::page::PageQuery>,
) -> Result<Reply<InboxView>, ApiError> {
    let limit = page.limit().map_err(|f| fail(f, u.format))?;
    let (messages, next) = store::repo::inbox::received_page(
        &*app.store,
        &u.account.tenant,
        &u.account.id,
        limit,
        page.next_token.map(store::Cursor),
    )
    .await
    .map_err(|e| fail(e.into(), u.format))?;
    Ok(Reply::ok(
        u.format,
        "inbox",
        InboxView {
            messages,
            next_token: next.map(|c| c.0),
        },
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = AlimtalkSend)]
pub struct AlimtalkBody {
    template_code: String,
    to: Vec<String>,
    #[serde(default)]
    variables: std::collections::BTreeMap<String, String>,
}

/// Kakao Alimtalk with automatic SMS/LMS fallback (T12).
#[utoipa::path(
    post,
    path = "/v1/alimtalk",
    tag = "messages",
    params(super::IdempotencyKey),
    request_body = AlimtalkBody,
    responses((status = 202, description = "Accepted; falls back to SMS/LMS where Kakao cannot deliver", body = Accepted)),
    security(("api_key" = ["sms:send"]))
)]
pub async fn alimtalk(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = i.require("sms:send") {
        return e.into_response();
    }
    let b: AlimtalkBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("request body is not valid JSON for this operation: {e}"),
            )
            .in_format(i.format)
            .into_response();
        }
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("api-kakao-{k}"));
    answer(
        app::messaging::accept_alimtalk(
            &app,
            &i.tenant,
            &b.template_code,
            b.to,
            &b.variables,
            key.as_deref(),
        )
        .await,
        i.format,
    )
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = InboundSmsItem)]
pub struct InboundItem {
    account_id: String,
    #[serde(flatten)]
    message: store::repo::inbox::Received,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = InboundSmsList)]
pub struct InboundList {
    messages: Vec<InboundItem>,
    next_token: Option<String>,
}

/// Received SMS of the whole tenant (integrators), newest first.
#[utoipa::path(
    get,
    path = "/v1/inbound/sms",
    tag = "messages",
    params(super::page::PageQuery),
    responses((status = 200, description = "OK", body = InboundList)),
    security(("api_key" = ["sms:read"]))
)]
pub async fn inbound_list(
    State(app): State<app::App>,
    i: Integrator,
    Query(q): Query<super::page::PageQuery>,
) -> Result<Reply<InboundList>, ApiError> {
    i.require("sms:read")?;
    let limit = q.limit().map_err(|f| fail(f, i.format))?;
    let (items, next) = store::repo::inbox::tenant_received(
        &*app.store,
        &i.tenant,
        limit,
        q.next_token.map(store::Cursor),
    )
    .await
    .map_err(|e| fail(e.into(), i.format))?;
    Ok(Reply::ok(
        i.format,
        "inbound",
        InboundList {
            messages: items
                .into_iter()
                .map(|(account_id, message)| InboundItem {
                    account_id,
                    message,
                })
                .collect(),
            next_token: next.map(|c| c.0),
        },
    ))
}

/// The answer to an accepted (202) or refused send.
fn answer(
    result: Result<store::repo::messages::Batch, app::messaging::SendError>,
    format: Format,
) -> Response {
    match result {
        Ok(batch) => Reply {
            status: StatusCode::ACCEPTED,
            root: "message",
            body: Accepted {
                id: batch.id,
                kind: batch.kind,
                bytes: batch.bytes,
                recipients: batch.recipients,
                status: "accepted",
            },
            format,
        }
        .into_response(),
        Err(app::messaging::SendError::Fail(f)) => fail(f, format).into_response(),
        Err(app::messaging::SendError::Recipients(rows)) => {
            let detail = rows
                .iter()
                .map(|r| format!("#{} {:?}: {}", r.position, r.value, r.message))
                .collect::<Vec<_>>()
                .join("; ");
            let mut e = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_recipients",
                detail,
            )
            .in_format(format);
            e.field = Some("to");
            e.into_response()
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = AppSmsSend)]
pub struct AppSmsBody {
    to: Vec<String>,
    text: String,
}

/// C6: the app sends text SMS from the user's own number (no images).
#[utoipa::path(
    post,
    path = "/v1/app/sms",
    tag = "app",
    params(super::IdempotencyKey),
    request_body = AppSmsBody,
    responses((status = 202, description = "Accepted for delivery", body = Accepted)),
    security(("app_token" = []))
)]
pub async fn app_send(
    State(app): State<app::App>,
    u: super::AppUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let b: AppSmsBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("request body is not valid JSON for this operation: {e}"),
            )
            .in_format(u.format)
            .into_response();
        }
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("app-{k}"));
    let input = app::messaging::SendInput {
        recipients: b.to,
        text: b.text,
        ..Default::default()
    };
    answer(
        app::messaging::accept(&app, &u.account, false, input, key.as_deref()).await,
        u.format,
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppHistoryQuery {
    from: String,
    to: String,
}

/// C6: the user's own sent messages.
#[utoipa::path(
    get,
    path = "/v1/app/sms",
    tag = "app",
    params(AppHistoryQuery, super::page::PageQuery),
    responses((status = 200, description = "OK", body = HistoryView)),
    security(("app_token" = []))
)]
pub async fn app_history(
    State(app): State<app::App>,
    u: super::AppUser,
    Query(q): Query<AppHistoryQuery>,
    Query(page): Query<super::page::PageQuery>,
) -> Result<Reply<HistoryView>, ApiError> {
    let date = |s: &str| {
        Date::parse(s).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_date",
                "from and to must be YYYY-MM-DD",
            )
            .in_format(u.format)
        })
    };
    let (from, to) = (date(&q.from)?, date(&q.to)?);
    let rows = app::messaging::history(&app, &u.account, false, from, to, None)
        .await
        .map_err(|f| fail(f, u.format))?;
    let (messages, next_token) = page.cut(rows).map_err(|f| fail(f, u.format))?;
    Ok(Reply::ok(
        u.format,
        "messages",
        HistoryView {
            messages,
            next_token,
        },
    ))
}
