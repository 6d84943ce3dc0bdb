//! `/v1/webhooks` (T9, T5): a tenant's webhook endpoints, their delivery
//! log, and "resend". The secret that signs deliveries is returned when an
//! endpoint is created and when one endpoint is read, never in the list.
//! Writes take an `Idempotency-Key`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::webhook::Endpoint;
use serde::Serialize;
use store::repo::webhooks::Delivery;

use super::Integrator;
use super::accounts::write_whole;
use super::reply::Reply;
use crate::ApiError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Webhook)]
pub struct EndpointView {
    id: String,
    url: String,
    events: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<String>,
    created_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl EndpointView {
    fn of(e: Endpoint, with_secret: bool) -> Self {
        Self {
            id: e.id,
            url: e.url.as_str().to_owned(),
            events: e.events.types().to_vec(),
            description: e.description,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            created_ms: e.created_ms,
            secret: with_secret.then_some(e.secret),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookList)]
pub struct EndpointList {
    webhooks: Vec<EndpointView>,
    next_token: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookDeliveryEntry)]
pub struct DeliveryView {
    /// `<ms>_<event id>`, as the resend path takes it.
    id: String,
    #[serde(flatten)]
    delivery: Delivery,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookDeliveryList)]
pub struct DeliveryList {
    deliveries: Vec<DeliveryView>,
    next_token: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/webhooks",
    tag = "webhooks",
    params(super::page::PageQuery),
    responses((status = 200, description = "OK", body = EndpointList)),
    security(("api_key" = ["webhooks:read"]))
)]
pub async fn list(
    State(app): State<app::App>,
    i: Integrator,
    Query(page): Query<super::page::PageQuery>,
) -> Result<Reply<EndpointList>, ApiError> {
    let work = async {
        let (all, next_token) = page.cut(app::webhooks::list(&app, &i.tenant).await?)?;
        Ok(EndpointList {
            next_token,
            webhooks: all
                .into_iter()
                .map(|e| EndpointView::of(e, false))
                .collect(),
        })
    };
    i.read("webhooks:read", "webhooks", work).await
}

#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "endpoint id")),
    responses((status = 200, description = "The endpoint with its signing secret", body = EndpointView)),
    security(("api_key" = ["webhooks:read"]))
)]
pub async fn get_one(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<EndpointView>, ApiError> {
    let work = async {
        let e = app::webhooks::get(&app, &i.tenant, &id).await?;
        Ok(EndpointView::of(e, true))
    };
    i.read("webhooks:read", "webhook", work).await
}

#[utoipa::path(
    post,
    path = "/v1/webhooks",
    tag = "webhooks",
    params(super::IdempotencyKey),
    request_body = app::webhooks::Form,
    responses((status = 201, description = "Created, with its signing secret", body = EndpointView)),
    security(("api_key" = ["webhooks:write"]))
)]
pub async fn create(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (app, tenant) = (&app, &i.tenant);
    write_whole(
        app,
        &i,
        &headers,
        "webhooks:write",
        "POST /v1/webhooks",
        &body,
        (StatusCode::CREATED, "webhook"),
        |f: app::webhooks::Form| async move {
            let e = app::webhooks::create(app, tenant, &f).await?;
            Ok(EndpointView::of(e, true))
        },
    )
    .await
}

#[utoipa::path(
    patch,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "endpoint id"), super::IdempotencyKey),
    request_body = app::webhooks::Form,
    responses((status = 200, description = "OK", body = EndpointView)),
    security(("api_key" = ["webhooks:write"]))
)]
pub async fn change(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (app, tenant, id) = (&app, &i.tenant, id.as_str());
    write_whole(
        app,
        &i,
        &headers,
        "webhooks:write",
        &format!("PATCH /v1/webhooks/{id}"),
        &body,
        (StatusCode::OK, "webhook"),
        |f: app::webhooks::Form| async move {
            let e = app::webhooks::change(app, tenant, id, &f).await?;
            Ok(EndpointView::of(e, false))
        },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    params(("id" = String, Path, description = "endpoint id")),
    responses((status = 204, description = "Done")),
    security(("api_key" = ["webhooks:write"]))
)]
pub async fn delete(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    i.delete(
        "webhooks:write",
        app::webhooks::delete(&app, &i.tenant, &id),
    )
    .await
}

#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = String, Path, description = "endpoint id"), super::page::PageQuery),
    responses((status = 200, description = "OK", body = DeliveryList)),
    security(("api_key" = ["webhooks:read"]))
)]
pub async fn deliveries(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
    Query(q): Query<super::page::PageQuery>,
) -> Result<Reply<DeliveryList>, ApiError> {
    let work = async {
        let limit = q.limit()?;
        let (list, next_token) =
            app::webhooks::deliveries(&app, &i.tenant, &id, limit, q.next_token.as_deref()).await?;
        Ok(DeliveryList {
            deliveries: list
                .into_iter()
                .map(|d| DeliveryView {
                    id: d.id.replacen('#', "_", 1),
                    delivery: d,
                })
                .collect(),
            next_token,
        })
    };
    i.read("webhooks:read", "deliveries", work).await
}

/// The answer to a resend: the delivery waits for the dispatcher again.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Resent {
    /// `pending`.
    status: &'static str,
}

#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/deliveries/{delivery}/resend",
    tag = "webhooks",
    params(("id" = String, Path, description = "endpoint id"), ("delivery" = String, Path, description = "delivery id from the log"), super::IdempotencyKey),
    responses((status = 202, description = "Queued to be delivered again", body = Resent)),
    security(("api_key" = ["webhooks:write"]))
)]
pub async fn resend(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    Path((id, delivery)): Path<(String, String)>,
) -> Response {
    let (app, tenant) = (&app, &i.tenant);
    let (id, delivery) = (id.as_str(), delivery.replacen('_', "#", 1));
    let delivery = delivery.as_str();
    write_whole(
        app,
        &i,
        &headers,
        "webhooks:write",
        &format!("POST /v1/webhooks/{id}/deliveries/{delivery}/resend"),
        b"{}",
        (StatusCode::ACCEPTED, "delivery"),
        |_: serde_json::Value| async move {
            app::webhooks::resend(app, tenant, id, delivery).await?;
            Ok(Resent { status: "pending" })
        },
    )
    .await
}
