//! Webhook endpoints and their deliveries.
//!
//! Endpoints sit in the tenant's partition (`WEBHOOK#<id>`). Each delivery
//! (one event to one endpoint) is an item in the endpoint's log partition,
//! keyed by the event's time and id so a redelivered event makes no second
//! delivery. While a delivery waits to be sent it is also in a due queue:
//! the sparse GSI2 `WEBHOOK-DUE#<shard>`, sorted by when it is due. A
//! dispatcher claims a due delivery by moving it a lease ahead in the
//! queue (conditionally: one claimer), then finishes it or queues it again.

use domain::TenantId;
use domain::event::Event;
use domain::webhook::Endpoint;
use serde::Serialize;

use super::{RepoResult, corrupt};
use crate::{Condition, Cursor, Index, Item, Key, Query, SortKey, Store, StoreError, Update};

pub const SHARDS: u32 = 4;
/// How long the delivery log keeps a delivery.
pub const LOG_TTL_SECS: i64 = 30 * 86_400;

fn endpoint_key(t: &TenantId, id: &str) -> Key {
    Key::new(format!("TENANT#{t}"), format!("WEBHOOK#{id}"))
}

fn log_pk(t: &TenantId, endpoint: &str) -> String {
    format!("TENANT#{t}#WEBHOOK-LOG#{endpoint}")
}

fn delivery_sk(e: &Event) -> String {
    format!("{:015}#{}", e.at_ms.max(0), e.id)
}

fn shard_of(endpoint: &str, event: &str) -> u32 {
    let h = endpoint
        .bytes()
        .chain(event.bytes())
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    h % SHARDS
}

fn due_sk(due_ms: i64, key: &Key) -> String {
    format!("{due_ms:015}#{}#{}", key.pk, key.sk)
}

fn read_endpoint(i: &Item) -> RepoResult<Endpoint> {
    serde_json::from_str(i.s("json").unwrap_or_default())
        .map_err(|e| corrupt(format!("webhook endpoint: {e}")))
}

fn endpoint_item(t: &TenantId, e: &Endpoint) -> RepoResult<Item> {
    let json = serde_json::to_string(e).map_err(|err| corrupt(err.to_string()))?;
    Ok(Item::new(&endpoint_key(t, &e.id))
        .with("type", "webhook")
        .with("json", json))
}

pub async fn endpoints(store: &dyn Store, t: &TenantId) -> RepoResult<Vec<Endpoint>> {
    let q = Query::partition(format!("TENANT#{t}")).sk(SortKey::BeginsWith("WEBHOOK#".into()));
    super::every(store, q, read_endpoint).await
}

pub async fn endpoint(store: &dyn Store, t: &TenantId, id: &str) -> RepoResult<Option<Endpoint>> {
    store
        .get(&endpoint_key(t, id))
        .await?
        .as_ref()
        .map(read_endpoint)
        .transpose()
}

/// Creates (`new`) or replaces an endpoint; `Ok(false)` when creating an id
/// that exists or replacing one that does not.
pub async fn save_endpoint(
    store: &dyn Store,
    t: &TenantId,
    e: &Endpoint,
    new: bool,
) -> RepoResult<bool> {
    let cond = if new {
        Condition::absent()
    } else {
        Condition::present()
    };
    match store.put(endpoint_item(t, e)?, Some(cond)).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

pub async fn delete_endpoint(store: &dyn Store, t: &TenantId, id: &str) -> RepoResult<bool> {
    match store
        .delete(&endpoint_key(t, id), Some(Condition::present()))
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// How a delivery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = WebhookDelivery))]
pub struct Delivery {
    /// `<at_ms>#<event id>`: unique within the endpoint.
    #[serde(skip)]
    pub id: String,
    pub endpoint: String,
    pub event_id: String,
    pub event_type: String,
    /// `pending` (due), `sending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub created_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_attempt_ms: Option<i64>,
    /// The HTTP status the endpoint answered the last attempt with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Retries stop 24 hours after this (the event, or the last resend).
    #[serde(skip)]
    pub window_ms: i64,
    #[serde(skip)]
    pub tenant: Option<TenantId>,
    #[serde(skip)]
    pub key: Option<Key>,
    #[serde(skip)]
    pub event_json: String,
}

fn read_delivery(i: &Item) -> RepoResult<Delivery> {
    let key = i.key().ok_or_else(|| corrupt("delivery without key"))?;
    let next = i
        .s(Index::Gsi2.sk_attr())
        .and_then(|s| s.split('#').next())
        .and_then(|ms| ms.parse().ok());
    Ok(Delivery {
        id: key.sk.clone(),
        endpoint: i.s("endpoint").unwrap_or_default().to_owned(),
        event_id: i.s("event_id").unwrap_or_default().to_owned(),
        event_type: i.s("event_type").unwrap_or_default().to_owned(),
        status: i.s("status").unwrap_or_default().to_owned(),
        attempts: i.n("attempts").unwrap_or(0),
        created_ms: i.n("created_ms").unwrap_or(0),
        next_attempt_ms: next,
        last_attempt_ms: i.n("last_attempt_ms"),
        response_code: i.n("response_code"),
        latency_ms: i.n("latency_ms"),
        error: i.s("error").map(str::to_owned),
        window_ms: i.n("window_ms").unwrap_or(0),
        tenant: i.s("tenant_id").and_then(|t| TenantId::parse(t).ok()),
        key: Some(key),
        event_json: i.s("json").unwrap_or_default().to_owned(),
    })
}

/// Queues `event` for `endpoint`, due at `due_ms`, unless it already was
/// (`Ok(false)`).
pub async fn enqueue(
    store: &dyn Store,
    t: &TenantId,
    endpoint: &str,
    event: &Event,
    due_ms: i64,
) -> RepoResult<bool> {
    let json = serde_json::to_string(event).map_err(|e| corrupt(e.to_string()))?;
    let key = Key::new(log_pk(t, endpoint), delivery_sk(event));
    let item = Item::new(&key)
        .with("type", "webhook_delivery")
        .with("tenant_id", t.as_str())
        .with("endpoint", endpoint)
        .with("event_id", event.id.as_str())
        .with("event_type", event.type_name())
        .with("json", json)
        .with("status", "pending")
        .with("attempts", 0i64)
        .with("created_ms", event.at_ms)
        .with("window_ms", event.at_ms)
        .with(
            Index::Gsi2.pk_attr(),
            format!("WEBHOOK-DUE#{}", shard_of(endpoint, &event.id)),
        )
        .with(Index::Gsi2.sk_attr(), due_sk(due_ms, &key))
        .with(crate::ATTR_EXPIRES_AT, event.at_ms / 1000 + LOG_TTL_SECS);
    match store.put(item, Some(Condition::absent())).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Deliveries due at `now_ms` in one shard, each with the queue position it
/// was seen at (what [`claim`] checks).
pub async fn due(
    store: &dyn Store,
    shard: u32,
    now_ms: i64,
    limit: usize,
) -> RepoResult<Vec<(Delivery, String)>> {
    let q = Query::index(Index::Gsi2, format!("WEBHOOK-DUE#{shard}"))
        .sk(SortKey::Le(format!("{now_ms:015}#~")))
        .limit(limit.clamp(1, crate::MAX_QUERY_LIMIT));
    let page = store.query(&q).await?;
    page.items
        .iter()
        .map(|i| {
            let seen = i.s(Index::Gsi2.sk_attr()).unwrap_or_default().to_owned();
            Ok((read_delivery(i)?, seen))
        })
        .collect()
}

/// Takes a due delivery for `lease_until`; `None` when another took it.
pub async fn claim(
    store: &dyn Store,
    d: &Delivery,
    seen: &str,
    lease_until: i64,
) -> RepoResult<Option<Delivery>> {
    let key = d
        .key
        .clone()
        .ok_or_else(|| corrupt("delivery without key"))?;
    let u = Update::new()
        .set("status", "sending")
        .set(Index::Gsi2.sk_attr(), due_sk(lease_until, &key))
        .add("attempts", 1);
    match store
        .update(&key, u, Some(Condition::eq(Index::Gsi2.sk_attr(), seen)))
        .await
    {
        Ok(i) => Ok(Some(read_delivery(&i)?)),
        Err(StoreError::ConditionFailed) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What an attempt got back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attempt {
    pub at_ms: i64,
    pub response_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

fn attempt_update(a: &Attempt) -> Update {
    let mut u = Update::new()
        .set("last_attempt_ms", a.at_ms)
        .set("latency_ms", a.latency_ms);
    u = match a.response_code {
        Some(c) => u.set("response_code", c),
        None => u.remove("response_code"),
    };
    match &a.error {
        Some(e) => u.set("error", e.as_str()),
        None => u.remove("error"),
    }
}

/// Records an attempt that ends the delivery (`delivered` or `failed`).
pub async fn finish(
    store: &dyn Store,
    d: &Delivery,
    delivered: bool,
    a: &Attempt,
) -> RepoResult<()> {
    let key = d
        .key
        .clone()
        .ok_or_else(|| corrupt("delivery without key"))?;
    let u = attempt_update(a)
        .set("status", if delivered { "delivered" } else { "failed" })
        .remove(Index::Gsi2.pk_attr())
        .remove(Index::Gsi2.sk_attr());
    match store
        .update(&key, u, Some(Condition::eq("status", "sending")))
        .await
    {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Records a failed attempt and queues the delivery again for `due_ms`.
pub async fn retry_at(store: &dyn Store, d: &Delivery, due_ms: i64, a: &Attempt) -> RepoResult<()> {
    let key = d
        .key
        .clone()
        .ok_or_else(|| corrupt("delivery without key"))?;
    let u = attempt_update(a)
        .set("status", "pending")
        .set(Index::Gsi2.sk_attr(), due_sk(due_ms, &key));
    match store
        .update(&key, u, Some(Condition::eq("status", "sending")))
        .await
    {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Queues a finished delivery again (the tenant's "resend"), due now;
/// `Ok(false)` when there is no such delivery.
pub async fn resend(
    store: &dyn Store,
    t: &TenantId,
    endpoint: &str,
    id: &str,
    now_ms: i64,
) -> RepoResult<bool> {
    let key = Key::new(log_pk(t, endpoint), id);
    let event = id.split_once('#').map(|(_, e)| e).unwrap_or_default();
    let u = Update::new()
        .set("status", "pending")
        .set("attempts", 0i64)
        .set(
            Index::Gsi2.pk_attr(),
            format!("WEBHOOK-DUE#{}", shard_of(endpoint, event)),
        )
        .set(Index::Gsi2.sk_attr(), due_sk(now_ms, &key))
        // A resent delivery gets a fresh retry window.
        .set("window_ms", now_ms);
    match store.update(&key, u, Some(Condition::present())).await {
        Ok(_) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// An endpoint's deliveries, newest first, a page at a time.
pub async fn deliveries(
    store: &dyn Store,
    t: &TenantId,
    endpoint: &str,
    limit: usize,
    cursor: Option<Cursor>,
) -> RepoResult<(Vec<Delivery>, Option<Cursor>)> {
    let q = Query::partition(log_pk(t, endpoint))
        .descending()
        .limit(limit.clamp(1, crate::MAX_QUERY_LIMIT))
        .after(cursor);
    let page = store.query(&q).await?;
    let list = page
        .items
        .iter()
        .map(read_delivery)
        .collect::<RepoResult<_>>()?;
    Ok((list, page.next))
}

/// Disables an endpoint with a reason (deliveries to it stop), if it is
/// still enabled.
pub async fn disable(store: &dyn Store, t: &TenantId, id: &str, reason: &str) -> RepoResult<bool> {
    let Some(mut e) = endpoint(store, t, id).await? else {
        return Ok(false);
    };
    if !e.enabled {
        return Ok(false);
    }
    e.enabled = false;
    e.disabled_reason = Some(reason.to_owned());
    save_endpoint(store, t, &e, false).await
}
