//! `/v1/calls` (T1 for integrators): the call records of the company,
//! searched and paged, one call with its recordings and quality, and a
//! short-lived download URL per recording.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::calendar::Date;
use serde::{Deserialize, Serialize};

use super::Integrator;
use super::reply::Reply;
use crate::ApiError;
use app::calls::{CallRow, Search, Viewer};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallsQuery {
    from: Option<String>,
    to: Option<String>,
    direction: Option<String>,
    caller: Option<String>,
    callee: Option<String>,
    number: Option<String>,
    limit: Option<usize>,
    next_token: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallList {
    calls: Vec<CallRow>,
    next_token: Option<String>,
}

fn bad(i: &Integrator, code: &'static str, field: &'static str, message: &str) -> ApiError {
    let mut e = ApiError::new(StatusCode::BAD_REQUEST, code, message).in_format(i.format);
    e.field = Some(field);
    e
}

#[utoipa::path(
    get,
    path = "/v1/calls",
    tag = "calls",
    params(CallsQuery),
    responses((status = 200, description = "OK", body = CallList)),
    security(("api_key" = ["calls:read"]))
)]
pub async fn list(
    State(app): State<app::App>,
    i: Integrator,
    Query(q): Query<CallsQuery>,
) -> Result<Reply<CallList>, ApiError> {
    i.require("calls:read")?;
    let limit = super::page::limit_of(q.limit).map_err(|f| i.fail(f))?;
    let date = |v: &Option<String>, field: &'static str| {
        v.as_deref()
            .map(|s| {
                Date::parse(s).map_err(|_| {
                    bad(
                        &i,
                        "invalid_date",
                        field,
                        &format!("{field} must be YYYY-MM-DD"),
                    )
                })
            })
            .transpose()
    };
    let search = Search {
        from: date(&q.from, "from")?,
        to: date(&q.to, "to")?,
        direction: q.direction.clone(),
        caller: q.caller.clone(),
        callee: q.callee.clone(),
        number: q.number.clone(),
    };
    let (calls, next_token) = app::calls::search(
        &app,
        &i.tenant,
        &Viewer::Company,
        &search,
        limit,
        q.next_token.as_deref(),
    )
    .await
    .map_err(|f| ApiError::from(f).in_format(i.format))?;
    Ok(Reply::ok(i.format, "calls", CallList { calls, next_token }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RecordingFile)]
pub struct RecordingView {
    n: usize,
    started_ms: i64,
    duration_ms: i64,
    /// `/v1/calls/{id}/recordings/{n}` gives a download URL.
    href: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = CallQuality)]
pub struct QualityView {
    leg: &'static str,
    packets: i64,
    lost: i64,
    jitter_ms: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Call)]
pub struct CallView {
    #[serde(flatten)]
    row: CallRow,
    /// The recordings' download links (`recordings` is how many).
    recording_files: Vec<RecordingView>,
    quality: Vec<QualityView>,
}

#[utoipa::path(
    get,
    path = "/v1/calls/{id}",
    tag = "calls",
    params(("id" = String, Path, description = "call id")),
    responses((status = 200, description = "OK", body = CallView)),
    security(("api_key" = ["calls:read"]))
)]
pub async fn get_one(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<CallView>, ApiError> {
    i.require("calls:read")?;
    let r = app::calls::get(&app, &i.tenant, &Viewer::Company, &id)
        .await
        .map_err(|f| ApiError::from(f).in_format(i.format))?;
    let tz = app::admin::time_zone(&app, &i.tenant)
        .await
        .map_err(|f| ApiError::from(f).in_format(i.format))?;
    let recordings = r
        .recordings
        .iter()
        .enumerate()
        .map(|(k, x)| RecordingView {
            n: k + 1,
            started_ms: x.started_ms,
            duration_ms: x.duration_ms,
            href: format!("/v1/calls/{}/recordings/{}", r.id, k + 1),
        })
        .collect();
    let quality = r
        .quality
        .iter()
        .zip(["caller", "callee"])
        .filter_map(|(q, leg)| {
            q.map(|q| QualityView {
                leg,
                packets: q.packets,
                lost: q.lost,
                jitter_ms: q.jitter_tenth_ms as f64 / 10.0,
            })
        })
        .collect();
    Ok(Reply::ok(
        i.format,
        "call",
        CallView {
            row: CallRow::of(&r, &Viewer::Company, &tz),
            recording_files: recordings,
            quality,
        },
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RecordingDownload)]
pub struct DownloadView {
    url: String,
    expires_in: u64,
}

#[utoipa::path(
    get,
    path = "/v1/calls/{id}/recordings/{n}",
    tag = "calls",
    params(("id" = String, Path, description = "call id"), ("n" = usize, Path, description = "recording number, from 1")),
    responses((status = 200, description = "OK", body = DownloadView)),
    security(("api_key" = ["recordings:read"]))
)]
pub async fn recording(
    State(app): State<app::App>,
    i: Integrator,
    Path((id, n)): Path<(String, usize)>,
) -> Result<Reply<DownloadView>, ApiError> {
    i.require("recordings:read")?;
    let url = app::calls::recording_url(&app, &i.tenant, &Viewer::Company, None, &id, n, true)
        .await
        .map_err(|f| ApiError::from(f).in_format(i.format))?;
    Ok(Reply::ok(
        i.format,
        "recording",
        DownloadView {
            url,
            expires_in: 3600,
        },
    ))
}

/// `POST /v1/calls` (click-to-call, T6): the user's phones ring, then the
/// target is dialled; the answer (202) names the call id its events and
/// record carry. Takes an `Idempotency-Key` (a retried request places one call).
#[utoipa::path(
    post,
    path = "/v1/calls",
    tag = "calls",
    params(super::IdempotencyKey),
    request_body = app::dial::DialForm,
    responses((status = 202, description = "The user's phones are ringing; progress arrives as call events", body = app::dial::Placed)),
    security(("api_key" = ["calls:write"]))
)]
pub async fn create(
    State(app): State<app::App>,
    i: Integrator,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let (app, tenant) = (&app, &i.tenant);
    super::accounts::write_whole(
        app,
        &i,
        &headers,
        "calls:write",
        "POST /v1/calls",
        &body,
        (StatusCode::ACCEPTED, "call"),
        |f: app::dial::DialForm| async move { app::dial::click_to_call(app, tenant, &f).await },
    )
    .await
}
