//! Screen pop (T5): `POST /v1/cti/tokens` mints a user's stream token (an
//! integrator's server does this with its API key and gives the token to
//! its web page); `GET /v1/cti/stream` is that user's call events as
//! server-sent events; `GET /cti.js` is the page's library (no build step).
//!
//! The stream answers any origin (the customer's page is elsewhere) and
//! takes the token in the query string, as `EventSource` cannot send
//! headers; tokens are short-lived and for one user's events only.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as Sse, KeepAlive};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use serde::Deserialize;

use super::Integrator;
use super::accounts::write_whole;
use crate::ApiError;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = CtiTokenRequest)]
#[serde(deny_unknown_fields)]
pub struct MintBody {
    account: String,
    ttl_secs: Option<i64>,
}

#[utoipa::path(
    post,
    path = "/v1/cti/tokens",
    tag = "cti",
    params(super::IdempotencyKey),
    request_body = MintBody,
    responses((status = 201, description = "A stream token for one user", body = app::cti::Minted)),
    security(("api_key" = ["cti:write"]))
)]
pub async fn mint(
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
        "cti:write",
        "POST /v1/cti/tokens",
        &body,
        (StatusCode::CREATED, "token"),
        |b: MintBody| async move { app::cti::mint(app, tenant, &b.account, b.ttl_secs).await },
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    token: Option<String>,
    /// For clients that cannot send `Last-Event-ID`.
    last_event_id: Option<String>,
}

/// How often the log is read when no in-process feed says when (AWS).
const POLL: Duration = Duration::from_secs(1);
/// How long a browser waits before reconnecting.
const RETRY: Duration = Duration::from_secs(1);

#[utoipa::path(
    get,
    path = "/v1/cti/stream",
    tag = "cti",
    params(StreamQuery),
    responses((status = 200, description = "The user's call events as server-sent events (`id`, `event`, JSON `data`)", content_type = "text/event-stream", body = String)),
    security(("cti_token" = []))
)]
pub async fn stream(
    State(app): State<app::App>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token = q.token.as_deref().or(bearer).unwrap_or_default();
    let (tenant, account) = match app::cti::open(&app, token).await {
        Ok(who) => who,
        Err(f) => return cors(ApiError::from(f).into_response()),
    };
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(q.last_event_id);
    let reader = app::cti::Reader::new(
        tenant,
        Some(account),
        last.as_deref(),
        store::now_epoch_ms(),
    );
    let sse = axum::response::Sse::new(events(app, reader)).keep_alive(KeepAlive::default());
    cors(sse.into_response())
}

/// The SSE stream over a reader: first the reconnect delay, then events
/// as the log gets them, woken by the in-process feed or each second.
pub fn events(
    app: app::App,
    reader: app::cti::Reader,
) -> impl Stream<Item = Result<Sse, Infallible>> {
    let live = app.live.subscribe();
    let fed = app.live_fed;
    let start = Sse::default().retry(RETRY).comment("office cti");
    let state = (
        app,
        reader,
        live,
        (fed, false),
        std::collections::VecDeque::from([start]),
    );
    stream::unfold(
        state,
        |(app, mut reader, mut live, (fed, mut caught_up), mut queue)| async move {
            loop {
                if let Some(next) = queue.pop_front() {
                    return Some((Ok(next), (app, reader, live, (fed, caught_up), queue)));
                }
                if !caught_up || !fed {
                    // Catching up (opened, resumed, fell behind), or polling.
                    caught_up = true;
                    match reader.next(&app, store::now_epoch_ms(), !fed).await {
                        Ok(batch) => queue.extend(batch.into_iter().map(sse)),
                        Err(f) => tracing::warn!(error = %f.message, "event stream read failed"),
                    }
                    if !queue.is_empty() {
                        continue;
                    }
                }
                match wait(&reader, &mut live, fed).await {
                    Woke::Event(e) => queue.extend(reader.offer(&e).map(sse)),
                    Woke::Behind => caught_up = false,
                    Woke::Idle => {}
                }
            }
        },
    )
}

fn sse((pos, e): (String, domain::event::Event)) -> Sse {
    let data = serde_json::to_string(&e).unwrap_or_default();
    Sse::default().id(pos).event(e.type_name()).data(data)
}

/// What ended a wait.
enum Woke {
    /// An event for this stream was announced.
    Event(std::sync::Arc<domain::event::Event>),
    /// The stream fell behind the feed (or has none): read the log.
    Behind,
    /// Nothing for a while.
    Idle,
}

/// Until something for this stream happens.
async fn wait(
    reader: &app::cti::Reader,
    live: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<domain::event::Event>>,
    fed: bool,
) -> Woke {
    if !fed {
        tokio::time::sleep(POLL).await;
        return Woke::Behind;
    }
    loop {
        match tokio::time::timeout(Duration::from_secs(30), live.recv()).await {
            Ok(Ok(e)) if reader.wants(&e) => return Woke::Event(e),
            Ok(Ok(_)) => {}
            // Fell behind the feed, or it closed: the log has it all.
            Ok(Err(_)) => return Woke::Behind,
            Err(_) => return Woke::Idle,
        }
    }
}

fn cors(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The page library.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        include_str!("../../assets/cti.js"),
    )
        .into_response()
}

/// `GET /v1/monitoring`: registered phones and live calls, now.
#[utoipa::path(
    get,
    path = "/v1/monitoring",
    tag = "monitoring",
    responses((status = 200, description = "OK", body = app::monitoring::Snapshot)),
    security(("api_key" = ["monitoring:read"]))
)]
pub async fn monitoring(
    State(app): State<app::App>,
    i: Integrator,
) -> Result<super::Reply<app::monitoring::Snapshot>, ApiError> {
    i.read(
        "monitoring:read",
        "monitoring",
        app::monitoring::snapshot(&app, &i.tenant),
    )
    .await
}

/// `GET /v1/monitoring/stream`: every event of the tenant, as server-sent
/// events (what keeps a snapshot current).
#[utoipa::path(
    get,
    path = "/v1/monitoring/stream",
    tag = "monitoring",
    params(StreamQuery),
    responses((status = 200, description = "Every event of the company as server-sent events", content_type = "text/event-stream", body = String)),
    security(("api_key" = ["monitoring:read"]))
)]
pub async fn monitoring_stream(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Response, ApiError> {
    i.require("monitoring:read")?;
    Ok(tenant_stream(app, i.tenant, &headers, q.last_event_id))
}

/// A tenant-wide event stream (the API's and the portal's 모니터링).
pub fn tenant_stream(
    app: app::App,
    tenant: domain::TenantId,
    headers: &HeaderMap,
    last_event_id: Option<String>,
) -> Response {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(last_event_id);
    let reader = app::cti::Reader::new(tenant, None, last.as_deref(), store::now_epoch_ms());
    let sse = axum::response::Sse::new(events(app, reader)).keep_alive(KeepAlive::default());
    let mut r = sse.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
