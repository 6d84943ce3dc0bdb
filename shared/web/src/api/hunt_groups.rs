//! `/v1/hunt-groups`: hunt groups (착신그룹, T11) for integrators. A group
//! is read and written whole: `PUT` replaces its settings (members left
//! out are removed). Writes take an `Idempotency-Key`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::hunt::HuntGroup;
use serde::Serialize;

use super::Integrator;
use super::accounts::{bad_json, write_whole};
use super::reply::Reply;
use crate::ApiError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HuntGroupList)]
pub struct GroupList {
    pub hunt_groups: Vec<HuntGroup>,
    pub next_token: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/hunt-groups",
    tag = "hunt_groups",
    params(super::page::PageQuery),
    responses((status = 200, description = "OK", body = GroupList)),
    security(("api_key" = ["hunt_groups:read"]))
)]
pub async fn list(
    State(app): State<app::App>,
    i: Integrator,
    Query(page): Query<super::page::PageQuery>,
) -> Result<Reply<GroupList>, ApiError> {
    let work = async {
        let all = app::hunt::list(&app, &i.tenant).await?;
        let (hunt_groups, next_token) = page.cut(all)?;
        Ok(GroupList {
            hunt_groups,
            next_token,
        })
    };
    i.read("hunt_groups:read", "hunt_groups", work).await
}

#[utoipa::path(
    get,
    path = "/v1/hunt-groups/{id}",
    tag = "hunt_groups",
    params(("id" = String, Path, description = "hunt group id")),
    responses((status = 200, description = "OK", body = HuntGroup)),
    security(("api_key" = ["hunt_groups:read"]))
)]
pub async fn get_one(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<HuntGroup>, ApiError> {
    i.read(
        "hunt_groups:read",
        "hunt_group",
        app::hunt::get(&app, &i.tenant, &id),
    )
    .await
}

#[utoipa::path(
    post,
    path = "/v1/hunt-groups",
    tag = "hunt_groups",
    params(super::IdempotencyKey),
    request_body = app::hunt::GroupForm,
    responses((status = 201, description = "Created", body = HuntGroup)),
    security(("api_key" = ["hunt_groups:write"]))
)]
pub async fn create(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (app, tenant) = (&app, &i.tenant);
    let what = "POST /v1/hunt-groups";
    let answer = (StatusCode::CREATED, "hunt_group");
    write_whole(
        app,
        &i,
        &headers,
        "hunt_groups:write",
        what,
        &body,
        answer,
        |f: app::hunt::GroupForm| async move { app::hunt::create(app, tenant, &f).await },
    )
    .await
}

#[utoipa::path(
    put,
    path = "/v1/hunt-groups/{id}",
    tag = "hunt_groups",
    params(("id" = String, Path, description = "hunt group id"), super::IdempotencyKey),
    request_body = app::hunt::GroupForm,
    responses((status = 200, description = "OK", body = HuntGroup)),
    security(("api_key" = ["hunt_groups:write"]))
)]
pub async fn replace(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (app, tenant, id) = (&app, &i.tenant, id.as_str());
    let what = format!("PUT /v1/hunt-groups/{id}");
    let answer = (StatusCode::OK, "hunt_group");
    write_whole(
        app,
        &i,
        &headers,
        "hunt_groups:write",
        &what,
        &body,
        answer,
        |f: app::hunt::GroupForm| async move { app::hunt::update(app, tenant, id, &f).await },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/v1/hunt-groups/{id}",
    tag = "hunt_groups",
    params(("id" = String, Path, description = "hunt group id")),
    responses((status = 204, description = "Done")),
    security(("api_key" = ["hunt_groups:write"]))
)]
pub async fn delete(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    i.delete("hunt_groups:write", app::hunt::delete(&app, &i.tenant, &id))
        .await
}

#[derive(Debug, serde::Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = MemberPaused)]
pub struct PausedBody {
    paused: bool,
}

/// `PUT /v1/hunt-groups/{id}/members/{account}/paused` with
/// `{"paused": true}`: the member takes no group calls until resumed.
#[utoipa::path(
    put,
    path = "/v1/hunt-groups/{id}/members/{account}/paused",
    tag = "hunt_groups",
    params(("id" = String, Path, description = "hunt group id"), ("account" = String, Path, description = "member account id")),
    request_body = PausedBody,
    responses((status = 200, description = "OK", body = PausedBody)),
    security(("api_key" = ["hunt_groups:write"]))
)]
pub async fn set_paused(
    State(app): State<app::App>,
    i: Integrator,
    Path((id, account)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Reply<PausedBody>, ApiError> {
    i.require("hunt_groups:write")?;
    let b: PausedBody = serde_json::from_slice(&body).map_err(|e| bad_json(i.format, &e))?;
    app::hunt::set_paused(&app, &i.tenant, &id, &account, b.paused)
        .await
        .map_err(|f| i.fail(f))?;
    Ok(Reply::ok(i.format, "member", b))
}
