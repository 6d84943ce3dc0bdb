//! `/v1/ivr`: ARS scenarios (T4) for integrators, read and written whole
//! (`PUT` replaces the scenario). A refused scenario gets the problem's
//! stable code and a message naming the step. Writes take an
//! `Idempotency-Key`.
//!
//! Prompts: `POST /v1/ivr/prompts` takes a recording as the raw body
//! (`audio/wav`, `audio/x-wav` or `audio/mpeg`, at most 10 MB) and answers
//! its id for `{"kind": "audio", "id": ...}`; a retry with the same
//! `Idempotency-Key` and the same file answers the first id instead of
//! storing a second copy. `GET /v1/ivr/prompts/{id}` gives the stored
//! 8 kHz WAV, `POST /v1/ivr/preview` speaks a text as the ARS would.
//! A file that is not audio we read is a 400 (`audio_format`,
//! `audio_corrupt`); audio of the wrong length a 422.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::ivr::{Prompt, Scenario};
use serde::{Deserialize, Serialize};

use super::Integrator;
use super::accounts::{bad_json, idempotent, write_whole};
use super::reply::Reply;
use crate::ApiError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = IvrList)]
pub struct ScenarioList {
    pub ivrs: Vec<Scenario>,
    pub next_token: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/ivr",
    tag = "ivr",
    params(super::page::PageQuery),
    responses((status = 200, description = "OK", body = ScenarioList)),
    security(("api_key" = ["ivr:read"]))
)]
pub async fn list(
    State(app): State<app::App>,
    i: Integrator,
    Query(page): Query<super::page::PageQuery>,
) -> Result<Reply<ScenarioList>, ApiError> {
    let work = async {
        let all = app::ivr::list(&app, &i.tenant).await?;
        let (ivrs, next_token) = page.cut(all)?;
        Ok(ScenarioList { ivrs, next_token })
    };
    i.read("ivr:read", "ivrs", work).await
}

#[utoipa::path(
    get,
    path = "/v1/ivr/{id}",
    tag = "ivr",
    params(("id" = String, Path, description = "scenario id")),
    responses((status = 200, description = "OK", body = Scenario)),
    security(("api_key" = ["ivr:read"]))
)]
pub async fn get_one(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<Scenario>, ApiError> {
    i.read("ivr:read", "ivr", app::ivr::get(&app, &i.tenant, &id))
        .await
}

#[utoipa::path(
    post,
    path = "/v1/ivr",
    tag = "ivr",
    params(super::IdempotencyKey),
    request_body = app::ivr::ScenarioForm,
    responses((status = 201, description = "Created", body = Scenario)),
    security(("api_key" = ["ivr:write"]))
)]
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

#[utoipa::path(
    put,
    path = "/v1/ivr/{id}",
    tag = "ivr",
    params(("id" = String, Path, description = "scenario id"), super::IdempotencyKey),
    request_body = app::ivr::ScenarioForm,
    responses((status = 200, description = "OK", body = Scenario)),
    security(("api_key" = ["ivr:write"]))
)]
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

#[utoipa::path(
    delete,
    path = "/v1/ivr/{id}",
    tag = "ivr",
    params(("id" = String, Path, description = "scenario id")),
    responses((status = 204, description = "Done")),
    security(("api_key" = ["ivr:write"]))
)]
pub async fn delete(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    i.delete("ivr:write", app::ivr::delete(&app, &i.tenant, &id))
        .await
}

/// The media types a recording may be sent as.
const AUDIO_TYPES: [&str; 5] = [
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/vnd.wave",
    "audio/mpeg",
];

/// An upload refused by the app; a body that is not audio we can read is
/// a malformed request (400), audio of the wrong length a 422.
fn audio_fail(f: app::Fail, i: &Integrator) -> ApiError {
    let malformed = matches!(f.code, "audio_format" | "audio_corrupt");
    let mut e = i.fail(f);
    if malformed {
        e.status = StatusCode::BAD_REQUEST;
    }
    e
}

#[utoipa::path(
    post,
    path = "/v1/ivr/prompts",
    tag = "ivr",
    params(super::IdempotencyKey),
    request_body(content = Vec<u8>, description = "The recording as the body: audio/wav, audio/x-wav or audio/mpeg, at most 10 MB", content_type = "audio/wav"),
    responses((status = 201, description = "Stored; a scenario plays it as a prompt of kind audio with this id", body = app::ivr::PromptInfo)),
    security(("api_key" = ["ivr:write"]))
)]
pub async fn upload_prompt(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(e) = i.require("ivr:write") {
        return e.into_response();
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !AUDIO_TYPES.contains(&ctype.as_str()) {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the recording as the request body with Content-Type audio/wav, audio/x-wav or audio/mpeg",
        )
        .in_format(i.format)
        .into_response();
    }
    let body = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "audio_too_large",
                "10MB보다 큰 파일은 올릴 수 없습니다",
            )
            .in_format(i.format)
            .into_response();
        }
        Err(r) => {
            return ApiError::new(r.status(), "invalid_body", r.body_text())
                .in_format(i.format)
                .into_response();
        }
    };
    let fingerprint = format!(
        "POST /v1/ivr/prompts {}",
        app::ivr::upload_fingerprint(&body)
    );
    let (app, i) = (&app, &i);
    idempotent(app, i, &headers, &fingerprint, || async move {
        let info = app::ivr::upload_prompt(app, &i.tenant, body.to_vec())
            .await
            .map_err(|f| audio_fail(f, i))?;
        Ok((
            StatusCode::CREATED,
            "prompt",
            serde_json::to_value(info).unwrap_or_default(),
        ))
    })
    .await
}

fn wav(bytes: Vec<u8>, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/v1/ivr/prompts/{id}",
    tag = "ivr",
    params(("id" = String, Path, description = "prompt id")),
    responses((status = 200, description = "The prompt as 8 kHz WAV", content_type = "audio/wav", body = Vec<u8>)),
    security(("api_key" = ["ivr:read"]))
)]
pub async fn prompt(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    i.require("ivr:read")?;
    let bytes = app::ivr::prompt_audio(&app, &i.tenant, &Prompt::Audio { id })
        .await
        .map_err(|f| i.fail(f))?;
    // An id names one upload for good: its content never changes.
    Ok(wav(bytes, "private, max-age=86400, immutable"))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = PromptPreview)]
pub struct PreviewBody {
    pub text: String,
}

#[utoipa::path(
    post,
    path = "/v1/ivr/preview",
    tag = "ivr",
    request_body = PreviewBody,
    responses((status = 200, description = "The text spoken as the ARS would, 8 kHz WAV", content_type = "audio/wav", body = Vec<u8>)),
    security(("api_key" = ["ivr:read"]))
)]
pub async fn preview(
    State(app): State<app::App>,
    i: Integrator,
    body: Bytes,
) -> Result<Response, ApiError> {
    i.require("ivr:read")?;
    let b: PreviewBody = serde_json::from_slice(&body).map_err(|e| bad_json(i.format, &e))?;
    let bytes = app::ivr::prompt_audio(&app, &i.tenant, &Prompt::Tts { text: b.text })
        .await
        .map_err(|f| i.fail(f))?;
    Ok(wav(bytes, "private, max-age=3600"))
}
