//! `/v1/callbacks`: callback requests (콜백 요청, T8) for integrators. A
//! request made for a number whose request is still open is merged into it
//! (`merged: true`, the same id). `PATCH` assigns it or marks it done;
//! `POST .../call` calls back: the agent's phones ring first, then the
//! customer. Writes take an `Idempotency-Key`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::callback::{Callback, Status};
use serde::{Deserialize, Serialize};

use super::Integrator;
use super::accounts::write_whole;
use super::reply::Reply;
use crate::ApiError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallbackList {
    pub callbacks: Vec<Callback>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CallbackAsked)]
pub struct Asked {
    #[serde(flatten)]
    callback: Callback,
    /// The number already had an open request: this ask was merged into it.
    merged: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    status: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CallbackCall)]
pub struct CallBody {
    agent: String,
}

#[utoipa::path(
    get,
    path = "/v1/callbacks",
    tag = "callbacks",
    params(ListQuery, super::page::PageQuery),
    responses((status = 200, description = "OK", body = CallbackList)),
    security(("api_key" = ["callbacks:read"]))
)]
pub async fn list(
    State(app): State<app::App>,
    i: Integrator,
    Query(q): Query<ListQuery>,
    Query(page): Query<super::page::PageQuery>,
) -> Result<Reply<CallbackList>, ApiError> {
    let work = async {
        let status = match q.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                app::Fail::bad(
                    "callback_status",
                    "status",
                    "status는 open 또는 done 입니다",
                )
            })?),
        };
        let all = app::callbacks::list(&app, &i.tenant, status).await?;
        let (callbacks, next_token) = page.cut(all)?;
        Ok(CallbackList {
            callbacks,
            next_token,
        })
    };
    i.read("callbacks:read", "callbacks", work).await
}

#[utoipa::path(
    get,
    path = "/v1/callbacks/{id}",
    tag = "callbacks",
    params(("id" = String, Path, description = "callback id")),
    responses((status = 200, description = "OK", body = Callback)),
    security(("api_key" = ["callbacks:read"]))
)]
pub async fn get_one(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<Callback>, ApiError> {
    i.read(
        "callbacks:read",
        "callback",
        app::callbacks::get(&app, &i.tenant, &id),
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/callbacks",
    tag = "callbacks",
    params(super::IdempotencyKey),
    request_body = app::callbacks::AskForm,
    responses((status = 201, description = "Created, or merged into the open request for the number", body = Asked)),
    security(("api_key" = ["callbacks:write"]))
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
        "callbacks:write",
        "POST /v1/callbacks",
        &body,
        (StatusCode::CREATED, "callback"),
        |f: app::callbacks::AskForm| async move {
            let (callback, merged) = app::callbacks::create(app, tenant, &f).await?;
            Ok(Asked { callback, merged })
        },
    )
    .await
}

#[utoipa::path(
    patch,
    path = "/v1/callbacks/{id}",
    tag = "callbacks",
    params(("id" = String, Path, description = "callback id"), super::IdempotencyKey),
    request_body = app::callbacks::ChangeForm,
    responses((status = 200, description = "OK", body = Callback)),
    security(("api_key" = ["callbacks:write"]))
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
        "callbacks:write",
        &format!("PATCH /v1/callbacks/{id}"),
        &body,
        (StatusCode::OK, "callback"),
        |f: app::callbacks::ChangeForm| async move {
            app::callbacks::apply(app, tenant, id, &f, None).await
        },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/callbacks/{id}/call",
    tag = "callbacks",
    params(("id" = String, Path, description = "callback id"), super::IdempotencyKey),
    request_body = CallBody,
    responses((status = 202, description = "The agent is being called; the customer next", body = Callback)),
    security(("api_key" = ["callbacks:write"]))
)]
pub async fn call(
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
        "callbacks:write",
        &format!("POST /v1/callbacks/{id}/call"),
        &body,
        (StatusCode::ACCEPTED, "callback"),
        |b: CallBody| async move { app::callbacks::call_back(app, tenant, id, &b.agent).await },
    )
    .await
}
