//! `/v1/ivr`: ARS scenarios (T4) for integrators, read and written whole
//! (`PUT` replaces the scenario). A refused scenario gets the problem's
//! stable code and a message naming the step. Writes take an
//! `Idempotency-Key`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::ivr::Scenario;
use serde::Serialize;

use super::Integrator;
use super::accounts::{bad_json, idempotent};
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

fn form(i: &Integrator, body: &[u8]) -> Result<app::ivr::ScenarioForm, ApiError> {
    serde_json::from_slice(body).map_err(|e| bad_json(i.format, &e))
}

fn created(status: StatusCode, s: &Scenario) -> (StatusCode, &'static str, serde_json::Value) {
    (status, "ivr", serde_json::to_value(s).unwrap_or_default())
}

pub async fn create(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = i.require("ivr:write") {
        return e.into_response();
    }
    let f = match form(&i, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let fingerprint = format!("POST /v1/ivr {}", String::from_utf8_lossy(&body));
    idempotent(&app, &i, &headers, &fingerprint, || async {
        let s = app::ivr::create(&app, &i.tenant, &f)
            .await
            .map_err(|e| fail(e, &i))?;
        Ok(created(StatusCode::CREATED, &s))
    })
    .await
}

pub async fn replace(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = i.require("ivr:write") {
        return e.into_response();
    }
    let f = match form(&i, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let fingerprint = format!("PUT /v1/ivr/{id} {}", String::from_utf8_lossy(&body));
    idempotent(&app, &i, &headers, &fingerprint, || async {
        let s = app::ivr::update(&app, &i.tenant, &id, &f)
            .await
            .map_err(|e| fail(e, &i))?;
        Ok(created(StatusCode::OK, &s))
    })
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
