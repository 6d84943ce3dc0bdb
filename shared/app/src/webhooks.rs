//! Webhooks (T9, T5): a tenant's endpoints, the intake that turns call
//! events into deliveries, and the dispatcher that sends them.
//!
//! - **Intake** ([`Intake`], an events consumer): each event becomes one
//!   delivery per enabled endpoint of its tenant whose filter matches,
//!   written once (a redelivered event adds nothing).
//! - **Dispatch** ([`run_once`]): due deliveries are claimed (a lease, so
//!   two dispatchers never send one twice at once), POSTed with the event
//!   as the body and signed, and finished on a 2xx. Anything else is tried
//!   again with exponential backoff (`domain::webhook::next_attempt`) for
//!   24 hours; then the delivery fails and the endpoint is disabled with a
//!   reason the tenant sees (and can re-enable). Each attempt's response
//!   code, latency and error stay on the delivery for the log.
//!
//! Locally `office` runs the dispatcher in-process, woken by the intake;
//! on AWS `functions/webhooks` does both (SQS from the events topic, and a
//! one-minute schedule for retries).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::TenantId;
use domain::event::{Event, Filter};
use domain::webhook::{Endpoint, MAX_ENDPOINTS, WebhookUrl, next_attempt};
use serde::Deserialize;
use store::Store;
use store::repo::webhooks::{self as repo, Attempt, Delivery, SHARDS};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

/// How long a claimed delivery is ours.
pub const LEASE_MS: i64 = 30_000;
/// How long an endpoint has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client deliveries go out with: no redirects (an endpoint
/// cannot bounce a signed delivery elsewhere), a timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("office-webhooks/1")
        .build()
        .unwrap_or_default()
}

/// A new endpoint, or changes to one (absent fields stay as they are).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub url: Option<String>,
    /// Event types (`call.answered`, `call.*`); empty or absent: all.
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// Re-enables a disabled endpoint (or pauses one).
    pub enabled: Option<bool>,
}

fn new_secret() -> String {
    use rand::RngCore as _;
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    format!("whsec_{}", hex::encode(b))
}

fn read_url(app: &App, raw: &str) -> Outcome<WebhookUrl> {
    WebhookUrl::parse(raw, app.webhooks_loopback).map_err(|e| {
        Fail::bad(
            "webhook_url",
            "url",
            format!(
                "웹훅 주소가 올바르지 않습니다: {}",
                crate::labels::link_error(&e)
            ),
        )
    })
}

fn read_events(types: &[String]) -> Outcome<Filter> {
    Filter::parse(types).map_err(|e| Fail::bad("event_type", "events", e.to_string()))
}

fn read_description(d: Option<&str>) -> Outcome<Option<String>> {
    let d = d.map(str::trim).filter(|d| !d.is_empty());
    if d.is_some_and(|d| d.chars().count() > 100) {
        return Err(Fail::bad(
            "description",
            "description",
            "설명은 100자 이내로 입력해 주세요",
        ));
    }
    Ok(d.map(str::to_owned))
}

pub async fn list(app: &App, t: &TenantId) -> Outcome<Vec<Endpoint>> {
    Ok(repo::endpoints(&*app.store, t).await?)
}

pub async fn get(app: &App, t: &TenantId, id: &str) -> Outcome<Endpoint> {
    repo::endpoint(&*app.store, t, id)
        .await?
        .ok_or_else(|| Fail::not_found("웹훅을 찾을 수 없습니다"))
}

pub async fn create(app: &App, t: &TenantId, f: &Form) -> Outcome<Endpoint> {
    let url = read_url(
        app,
        f.url
            .as_deref()
            .ok_or_else(|| Fail::bad("webhook_url", "url", "웹훅 주소(url)를 입력해 주세요"))?,
    )?;
    let events = read_events(f.events.as_deref().unwrap_or_default())?;
    let description = read_description(f.description.as_deref())?;
    if repo::endpoints(&*app.store, t).await?.len() >= MAX_ENDPOINTS {
        return Err(Fail::new(
            FailKind::Conflict,
            "webhook_limit",
            format!("웹훅은 {MAX_ENDPOINTS}개까지 등록할 수 있습니다"),
        ));
    }
    let e = Endpoint {
        id: uuid::Uuid::now_v7().simple().to_string(),
        url,
        events,
        description,
        secret: new_secret(),
        enabled: f.enabled.unwrap_or(true),
        disabled_reason: None,
        created_ms: store::now_epoch_ms(),
    };
    if !repo::save_endpoint(&*app.store, t, &e, true).await? {
        return Err(Fail::internal(&"webhook id collision"));
    }
    Ok(e)
}

pub async fn change(app: &App, t: &TenantId, id: &str, f: &Form) -> Outcome<Endpoint> {
    let mut e = get(app, t, id).await?;
    if let Some(u) = &f.url {
        e.url = read_url(app, u)?;
    }
    if let Some(types) = &f.events {
        e.events = read_events(types)?;
    }
    if f.description.is_some() {
        e.description = read_description(f.description.as_deref())?;
    }
    if let Some(on) = f.enabled {
        e.enabled = on;
        if on {
            e.disabled_reason = None;
        }
    }
    if !repo::save_endpoint(&*app.store, t, &e, false).await? {
        return Err(Fail::not_found("웹훅을 찾을 수 없습니다"));
    }
    Ok(e)
}

pub async fn delete(app: &App, t: &TenantId, id: &str) -> Outcome<()> {
    if repo::delete_endpoint(&*app.store, t, id).await? {
        Ok(())
    } else {
        Err(Fail::not_found("웹훅을 찾을 수 없습니다"))
    }
}

/// An endpoint's deliveries, newest first; `next_token` continues a list.
pub async fn deliveries(
    app: &App,
    t: &TenantId,
    id: &str,
    limit: usize,
    next_token: Option<&str>,
) -> Outcome<(Vec<Delivery>, Option<String>)> {
    get(app, t, id).await?;
    let cursor = next_token.map(|c| store::Cursor(c.to_owned()));
    let (list, next) = repo::deliveries(&*app.store, t, id, limit, cursor).await?;
    Ok((list, next.map(|c| c.0)))
}

/// Sends a delivery again (its endpoint must be enabled).
pub async fn resend(app: &App, t: &TenantId, id: &str, delivery: &str) -> Outcome<()> {
    let e = get(app, t, id).await?;
    if !e.enabled {
        return Err(Fail::new(
            FailKind::Conflict,
            "webhook_disabled",
            "사용 중지된 웹훅입니다. 먼저 사용으로 바꿔 주세요",
        ));
    }
    if !repo::resend(&*app.store, t, id, delivery, store::now_epoch_ms()).await? {
        return Err(Fail::not_found("전송 기록을 찾을 수 없습니다"));
    }
    app.webhook_kick.notify_one();
    Ok(())
}

/// Turns events into deliveries (an events consumer).
#[derive(Debug, Clone)]
pub struct Intake {
    store: Arc<dyn Store>,
    /// Wakes the local dispatcher.
    kick: Arc<tokio::sync::Notify>,
}

impl Intake {
    pub fn new(store: Arc<dyn Store>, kick: Arc<tokio::sync::Notify>) -> Self {
        Self { store, kick }
    }

    /// Queues `events` for their tenants' endpoints; the number queued.
    pub async fn take(&self, events: &[Event]) -> store::repo::RepoResult<usize> {
        let mut endpoints: HashMap<&TenantId, Vec<Endpoint>> = HashMap::new();
        let now = store::now_epoch_ms();
        let mut queued = 0;
        for e in events {
            if !endpoints.contains_key(&e.tenant) {
                let list = repo::endpoints(&*self.store, &e.tenant).await?;
                endpoints.insert(&e.tenant, list);
            }
            for ep in endpoints.get(&e.tenant).into_iter().flatten() {
                if ep.enabled
                    && ep.events.matches(e.type_name())
                    && repo::enqueue(&*self.store, &e.tenant, &ep.id, e, now).await?
                {
                    queued += 1;
                }
            }
        }
        if queued > 0 {
            self.kick.notify_one();
        }
        Ok(queued)
    }
}

#[async_trait]
impl events::Consumer for Intake {
    async fn accept(&self, events: &[Event]) -> Result<(), String> {
        self.take(events)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Sends what is due at `now_ms` (up to `limit` a shard).
pub async fn run_once(app: &App, now_ms: i64, limit: usize) -> Outcome<Stats> {
    let store = &*app.store;
    let mut stats = Stats::default();
    let mut endpoints: HashMap<(TenantId, String), Option<Endpoint>> = HashMap::new();
    for shard in 0..SHARDS {
        let due = repo::due(store, shard, now_ms, limit).await?;
        let mut sends = Vec::new();
        for (d, seen) in due {
            let Some(d) = repo::claim(store, &d, &seen, now_ms + LEASE_MS).await? else {
                continue; // Another dispatcher has it.
            };
            let Some(t) = d.tenant.clone() else { continue };
            let key = (t.clone(), d.endpoint.clone());
            if !endpoints.contains_key(&key) {
                let e = repo::endpoint(store, &t, &d.endpoint).await?;
                endpoints.insert(key.clone(), e);
            }
            match endpoints.get(&key).cloned().flatten() {
                Some(e) if e.enabled => sends.push((d, e)),
                found => {
                    let why = if found.is_some() {
                        "endpoint disabled"
                    } else {
                        "endpoint deleted"
                    };
                    let a = Attempt {
                        at_ms: now_ms,
                        error: Some(why.into()),
                        ..Attempt::default()
                    };
                    repo::finish(store, &d, false, &a).await?;
                    stats.failed += 1;
                }
            }
        }
        // One endpoint's slowness does not hold up the others' deliveries.
        let results =
            futures::future::join_all(sends.iter().map(|(d, e)| send(&app.webhook_http, e, d)))
                .await;
        for ((d, e), a) in sends.iter().zip(results) {
            let ok = a.response_code.is_some_and(|c| (200..300).contains(&c));
            if ok {
                repo::finish(store, d, true, &a).await?;
                stats.delivered += 1;
                continue;
            }
            let attempts = u32::try_from(d.attempts).unwrap_or(u32::MAX);
            match next_attempt(d.window_ms, attempts, now_ms) {
                Some(at) => {
                    repo::retry_at(store, d, at, &a).await?;
                    stats.retried += 1;
                }
                None => {
                    repo::finish(store, d, false, &a).await?;
                    stats.failed += 1;
                    let reason = format!(
                        "24시간 동안 전달하지 못해 사용을 중지했습니다 (마지막 오류: {})",
                        a.error
                            .clone()
                            .or(a.response_code.map(|c| format!("HTTP {c}")))
                            .unwrap_or_default()
                    );
                    if let Some(t) = &d.tenant
                        && repo::disable(store, t, &e.id, &reason).await?
                    {
                        tracing::warn!(tenant = %t, endpoint = %e.id, "webhook endpoint disabled");
                        endpoints.insert((t.clone(), e.id.clone()), None);
                    }
                }
            }
        }
    }
    Ok(stats)
}

/// One POST of a delivery.
async fn send(http: &reqwest::Client, e: &Endpoint, d: &Delivery) -> Attempt {
    let now = store::now_epoch_seconds();
    let signature = crate::messaging::sign(e.secret.as_bytes(), d.event_json.as_bytes(), now);
    let started = Instant::now();
    let sent = http
        .post(e.url.as_str())
        .header("content-type", "application/json")
        .header("x-office-event", d.event_type.as_str())
        .header("x-office-event-id", d.event_id.as_str())
        .header("x-office-delivery", d.id.as_str())
        .header("x-office-signature", signature)
        .body(d.event_json.clone())
        .send()
        .await;
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let at_ms = store::now_epoch_ms();
    match sent {
        Ok(r) => {
            let code = i64::from(r.status().as_u16());
            Attempt {
                at_ms,
                response_code: Some(code),
                latency_ms,
                error: (!r.status().is_success()).then(|| format!("HTTP {code}")),
            }
        }
        Err(err) => Attempt {
            at_ms,
            response_code: None,
            latency_ms,
            error: Some(if err.is_timeout() {
                "timed out".into()
            } else if err.is_connect() {
                "could not connect".into()
            } else {
                "request failed".into()
            }),
        },
    }
}

/// Runs the dispatcher in this process until the runtime stops: on every
/// intake, and each second for retries.
pub async fn dispatch_forever(app: App) {
    loop {
        let kicked = app.webhook_kick.notified();
        match run_once(&app, store::now_epoch_ms(), 100).await {
            Ok(s) if s != Stats::default() => tracing::debug!(?s, "webhooks dispatched"),
            Ok(_) => {}
            Err(f) => tracing::warn!(error = %f.message, "webhook dispatch failed"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), kicked).await;
    }
}
