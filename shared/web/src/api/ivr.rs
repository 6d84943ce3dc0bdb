//! `/v1/ivr`: ARS scenarios (T4) for integrators, read and written whole
//! (`PUT` replaces the scenario). A refused scenario gets the problem's
//! stable code and a message naming the step. Writes take an
//! `Idempotency-Key`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::ivr::Scenario;
use serde::Serialize;

use super::Integrator;
use super::accounts::write_whole;
use super::reply::Reply;
use crate::ApiError;

#[derive(Debug, Serialize)]
pub struct ScenarioList {
    #[serde(rename = "ivr")]
    pub scenarios: Vec<Scenario>,
}

fn fail(f: app::Fail, i: &Integrator) -> ApiError {
    ApiError::from(f).in_format(i.format)
}

pub async fn list(
    State(app): State<app::App>,
    i: Integrator,
) -> Result<Reply<ScenarioList>, ApiError> {
    i.require("ivr:read")?;
    let scenarios = app::ivr::list(&app, &i.tenant)
        .await
        .map_err(|f| fail(f, &i))?;
    Ok(Reply::ok(i.format, "ivrs", ScenarioList { scenarios }))
}

pub async fn get_one(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<Scenario>, ApiError> {
    i.require("ivr:read")?;
    let s = app::ivr::get(&app, &i.tenant, &id)
        .await
        .map_err(|f| fail(f, &i))?;
    Ok(Reply::ok(i.format, "ivr", s))
}

pub async fn create(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (app, tenant) = (&app, &i.tenant);
    let what = "POST /v1/ivr";
    let answer = (StatusCode::CREATED, "ivr");
    write_whole(
        app,
        &i,
        &headers,
        "ivr:write",
        what,
        &body,
        answer,
        |f: app::ivr::ScenarioForm| async move { app::ivr::create(app, tenant, &f).await },
    )
    .await
}

pub async fn replace(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (app, tenant, id) = (&app, &i.tenant, id.as_str());
    let what = format!("PUT /v1/ivr/{id}");
    let answer = (StatusCode::OK, "ivr");
    write_whole(
        app,
        &i,
        &headers,
        "ivr:write",
        &what,
        &body,
        answer,
        |f: app::ivr::ScenarioForm| async move { app::ivr::update(app, tenant, id, &f).await },
    )
    .await
}

pub async fn delete(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    i.require("ivr:write")?;
    app::ivr::delete(&app, &i.tenant, &id)
        .await
        .map_err(|f| fail(f, &i))?;
    Ok(StatusCode::NO_CONTENT)
}
