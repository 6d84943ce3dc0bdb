//! Call events in the table: the outbox they wait in until published, and
//! each tenant's event log (what a screen-pop stream resumes from, and
//! what monitoring reads back).
//!
//! An event is staged once, in one transaction that writes both its outbox
//! item (under the emitter's own partition, e.g. one per edge) and its log
//! item. The outbox item is deleted after the events port took the event;
//! whatever is still there after a crash is published again by the
//! emitter's relay. Log items expire after [`LOG_TTL_SECS`].
//!
//! Log positions (`<at_ms>#<event id>`, zero-padded) order a tenant's events
//! and are the `id:` of server-sent events: a stream that reconnects with
//! `Last-Event-ID` continues after that position.

use domain::TenantId;
use domain::event::Event;

use super::{RepoResult, corrupt};
use crate::{ATTR_EXPIRES_AT, Item, Key, Query, SortKey, Store, TxOp};

/// How long the event log keeps an event.
pub const LOG_TTL_SECS: i64 = 2 * 86_400;
const DAY_MS: i64 = 86_400_000;

fn outbox_pk(outbox: &str) -> String {
    format!("EVENTS-OUTBOX#{outbox}")
}

fn log_pk(t: &TenantId, day: i64) -> String {
    format!("TENANT#{t}#EVENTS#{day}")
}

/// Where an event sits in its tenant's log (and the outbox): time, then id.
pub fn position(e: &Event) -> String {
    format!("{:015}#{}", e.at_ms.max(0), e.id)
}

fn json(e: &Event) -> RepoResult<String> {
    serde_json::to_string(e).map_err(|err| corrupt(format!("event: {err}")))
}

fn read(i: &Item) -> RepoResult<Event> {
    serde_json::from_str(i.s("json").unwrap_or_default())
        .map_err(|e| corrupt(format!("event: {e}")))
}

/// Writes events into `outbox` and their tenants' logs, all or nothing per
/// transaction (50 events each). Staging the same events again rewrites
/// the same items.
pub async fn stage(store: &dyn Store, outbox: &str, events: &[Event]) -> RepoResult<()> {
    for chunk in events.chunks(crate::MAX_TRANSACT_OPS / 2) {
        let mut ops = Vec::with_capacity(chunk.len() * 2);
        for e in chunk {
            let body = json(e)?;
            let pos = position(e);
            ops.push(TxOp::Put {
                item: Item::new(&Key::new(outbox_pk(outbox), pos.clone()))
                    .with("type", "event_outbox")
                    .with("json", body.clone()),
                condition: None,
            });
            ops.push(TxOp::Put {
                item: Item::new(&Key::new(log_pk(&e.tenant, e.at_ms / DAY_MS), pos))
                    .with("type", "event")
                    .with("event_type", e.type_name())
                    .with("json", body)
                    .with(ATTR_EXPIRES_AT, e.at_ms / 1000 + LOG_TTL_SECS),
                condition: None,
            });
        }
        store.transact_write(ops).await?;
    }
    Ok(())
}

/// Events still in `outbox` that were staged at or before `before_ms`,
/// oldest first (the relay publishes these again).
pub async fn pending(
    store: &dyn Store,
    outbox: &str,
    before_ms: i64,
    limit: usize,
) -> RepoResult<Vec<Event>> {
    let q = Query::partition(outbox_pk(outbox))
        .sk(SortKey::Le(format!("{:015}#~", before_ms.max(0))))
        .limit(limit.clamp(1, crate::MAX_QUERY_LIMIT));
    let page = store.query(&q).await?;
    page.items.iter().map(read).collect()
}

/// Removes published events from `outbox`.
pub async fn published(store: &dyn Store, outbox: &str, events: &[Event]) -> RepoResult<()> {
    for chunk in events.chunks(crate::MAX_TRANSACT_OPS) {
        let ops = chunk
            .iter()
            .map(|e| TxOp::Delete {
                key: Key::new(outbox_pk(outbox), position(e)),
                condition: None,
            })
            .collect();
        store.transact_write(ops).await?;
    }
    Ok(())
}

/// A tenant's events after log position `after` (exclusive), oldest first,
/// up to `limit`, as of `now_ms`. A position older than the log keeps
/// starts at the oldest event kept.
pub async fn since(
    store: &dyn Store,
    t: &TenantId,
    after: &str,
    now_ms: i64,
    limit: usize,
) -> RepoResult<Vec<(String, Event)>> {
    let after_ms = after
        .split_once('#')
        .and_then(|(ms, _)| ms.parse::<i64>().ok())
        .unwrap_or(0);
    let oldest_day = (now_ms / 1000 - LOG_TTL_SECS) * 1000 / DAY_MS;
    let mut out = Vec::new();
    for day in (after_ms / DAY_MS).max(oldest_day)..=now_ms / DAY_MS {
        let mut q = Query::partition(log_pk(t, day)).limit(limit.clamp(1, crate::MAX_QUERY_LIMIT));
        if !after.is_empty() {
            q = q.sk(SortKey::Gt(after.to_owned()));
        }
        for i in store.query(&q).await?.items {
            if out.len() >= limit {
                return Ok(out);
            }
            let pos = i.key().map(|k| k.sk).unwrap_or_default();
            out.push((pos, read(&i)?));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::EmbeddedStore;
    use domain::call::{CallRecord, Direction, Party};
    use domain::event::Tracker;

    fn events(at_ms: i64) -> Vec<Event> {
        let t = TenantId::parse("acme").expect("tenant");
        let r = CallRecord::starting(
            t,
            Direction::Internal,
            Party::default(),
            Party::default(),
            at_ms,
            "e1",
        );
        let mut tracker = Tracker::default();
        let mut out = tracker.observe(&r, false, at_ms);
        out.extend(tracker.observe(&r, true, at_ms + 1));
        out
    }

    #[tokio::test]
    async fn staged_events_wait_in_the_outbox_until_published_and_stay_in_the_log() {
        let store = EmbeddedStore::in_memory().expect("store");
        let now = 1_800_000_000_000;
        let staged = events(now);
        stage(&store, "edge-1", &staged).await.expect("stage");
        stage(&store, "edge-1", &staged)
            .await
            .expect("again: same items");
        assert!(
            pending(&store, "edge-1", now - 1, 10)
                .await
                .expect("pending")
                .is_empty(),
            "none staged that early"
        );
        assert_eq!(
            pending(&store, "edge-1", now + 5, 10).await.expect("p"),
            staged
        );
        assert!(
            pending(&store, "edge-2", now + 5, 10)
                .await
                .expect("p")
                .is_empty()
        );
        published(&store, "edge-1", &staged)
            .await
            .expect("published");
        assert!(
            pending(&store, "edge-1", now + 5, 10)
                .await
                .expect("p")
                .is_empty()
        );
        let t = &staged[0].tenant;
        let all = since(&store, t, "", now + 10, 10).await.expect("log");
        assert_eq!(all.len(), 2);
        let after_first = since(&store, t, &all[0].0, now + 10, 10)
            .await
            .expect("log");
        assert_eq!(after_first.len(), 1);
        assert_eq!(after_first[0].1.type_name(), "call.ended");
    }

    #[tokio::test]
    async fn the_log_reads_across_days_and_forgets_what_is_older_than_its_ttl() {
        let store = EmbeddedStore::in_memory().expect("store");
        let day = 1_800_000_000_000 / DAY_MS * DAY_MS;
        let before_midnight = events(day - 1_000);
        let after_midnight = events(day + 1_000);
        stage(&store, "o", &before_midnight).await.expect("stage");
        stage(&store, "o", &after_midnight).await.expect("stage");
        let t = &before_midnight[0].tenant;
        let got = since(&store, t, &position(&before_midnight[1]), day + 2_000, 10)
            .await
            .expect("log");
        assert_eq!(got.len(), 2, "the next day's two");
        let much_later = day + 3 * DAY_MS;
        assert!(
            since(&store, t, "", much_later, 10)
                .await
                .expect("log")
                .is_empty()
        );
    }
}
