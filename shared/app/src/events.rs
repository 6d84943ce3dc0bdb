//! The event outbox: how an emitter (an edge) gets its events to the
//! events port at least once.
//!
//! [`Outbox::emit`] never waits: events go to a writer task that stages
//! them in the table (outbox + tenant log, one transaction per batch),
//! then publishes them and removes them from the outbox. A publish that
//! fails leaves them staged; the relay publishes whatever has been staged
//! longer than [`RELAY_AFTER`] again, also after a crash and restart.
//! So an event is published at least once after it is staged, and
//! consumers deduplicate by its id. Events still in memory when the
//! process dies are lost: staging takes milliseconds, and the call record
//! itself (the source of truth for statistics) is written separately.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use domain::event::Event;
use events::Publisher;
use store::Store;
use store::repo::events as repo;
use tokio::sync::mpsc;

/// Events staged longer than this without being published are published again.
pub const RELAY_AFTER: Duration = Duration::from_secs(3);
/// The most events staged in one go.
const BATCH: usize = 200;

#[derive(Debug, Default)]
pub struct Counters {
    pub staged: AtomicU64,
    pub published: AtomicU64,
    pub relayed: AtomicU64,
    pub stage_failures: AtomicU64,
}

/// An emitter's handle on its outbox. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Vec<Event>>,
    pub counters: Arc<Counters>,
}

impl Outbox {
    /// Starts the writer and the relay for outbox `name` (the edge's id:
    /// each emitter relays only its own). Needs a tokio runtime.
    pub fn start(store: Arc<dyn Store>, publisher: Arc<dyn Publisher>, name: &str) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let name: Arc<str> = name.into();
        tokio::spawn(write(
            store.clone(),
            publisher.clone(),
            name.clone(),
            rx,
            counters.clone(),
        ));
        tokio::spawn(relay(store, publisher, name, counters.clone()));
        Self { tx, counters }
    }

    /// Hands events over; returns at once.
    pub fn emit(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        if self.tx.send(events).is_err() {
            tracing::error!("the event writer has stopped; events dropped");
        }
    }
}

async fn write(
    store: Arc<dyn Store>,
    publisher: Arc<dyn Publisher>,
    name: Arc<str>,
    mut rx: mpsc::UnboundedReceiver<Vec<Event>>,
    counters: Arc<Counters>,
) {
    while let Some(mut batch) = rx.recv().await {
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(more) => batch.extend(more),
                Err(_) => break,
            }
        }
        let mut wait = Duration::from_millis(50);
        while let Err(e) = repo::stage(&*store, &name, &batch).await {
            // Kept in memory and tried again: the table may be throttling.
            counters.stage_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, events = batch.len(), "staging events failed; retrying");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
        }
        counters
            .staged
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        publish(&*store, &*publisher, &name, &batch, &counters.published).await;
    }
}

/// Publishes staged events and takes them out of the outbox.
async fn publish(
    store: &dyn Store,
    publisher: &dyn Publisher,
    name: &str,
    events: &[Event],
    count: &AtomicU64,
) -> bool {
    if let Err(e) = publisher.publish(events).await {
        tracing::warn!(error = %e, events = events.len(), "publishing events failed; the relay retries");
        return false;
    }
    count.fetch_add(events.len() as u64, Ordering::Relaxed);
    if let Err(e) = repo::published(store, name, events).await {
        // They will be published once more; consumers deduplicate.
        tracing::warn!(error = %e, "published events stay in the outbox");
    }
    true
}

async fn relay(
    store: Arc<dyn Store>,
    publisher: Arc<dyn Publisher>,
    name: Arc<str>,
    counters: Arc<Counters>,
) {
    let mut tick = tokio::time::interval(RELAY_AFTER);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let before = store::now_epoch_ms() - RELAY_AFTER.as_millis() as i64;
        loop {
            let stale = match repo::pending(&*store, &name, before, BATCH).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the event outbox failed");
                    break;
                }
            };
            if stale.is_empty() {
                break;
            }
            let n = stale.len();
            if !publish(&*store, &*publisher, &name, &stale, &counters.relayed).await || n < BATCH {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use domain::call::{CallRecord, Direction, Party};
    use domain::event::Tracker;
    use events::{Consumer, Local, PublishError};

    use super::*;

    #[derive(Debug, Default)]
    struct Seen(Mutex<Vec<String>>);

    #[async_trait]
    impl Consumer for Seen {
        async fn accept(&self, events: &[Event]) -> Result<(), String> {
            let mut seen = self.0.lock().map_err(|e| e.to_string())?;
            seen.extend(events.iter().map(|e| e.id.clone()));
            Ok(())
        }
    }

    /// Refuses everything until told otherwise.
    #[derive(Debug)]
    struct Down(Local, Mutex<bool>);

    #[async_trait]
    impl Publisher for Down {
        async fn publish(&self, events: &[Event]) -> Result<(), PublishError> {
            if *self
                .1
                .lock()
                .map_err(|e| PublishError::Unavailable(e.to_string()))?
            {
                return Err(PublishError::Unavailable("down".into()));
            }
            self.0.publish(events).await
        }
    }

    fn call_events() -> Vec<Event> {
        let t = domain::TenantId::parse("acme").expect("tenant");
        let r = CallRecord::starting(
            t,
            Direction::Internal,
            Party::default(),
            Party::default(),
            store::now_epoch_ms(),
            "e1",
        );
        let mut tracker = Tracker::default();
        let now = store::now_epoch_ms();
        let mut out = tracker.observe(&r, false, now);
        out.extend(tracker.observe(&r, true, now));
        out
    }

    async fn until(what: impl Fn() -> bool) {
        for _ in 0..200 {
            if what() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn emitted_events_reach_consumers_and_leave_the_outbox() {
        let store: Arc<dyn Store> =
            Arc::new(store::embedded::EmbeddedStore::in_memory().expect("store"));
        let local = Local::new();
        let seen = Arc::new(Seen::default());
        local.attach(seen.clone());
        let outbox = Outbox::start(store.clone(), Arc::new(local), "edge-a");
        let events = call_events();
        outbox.emit(events.clone());
        until(|| seen.0.lock().map(|s| s.len()).unwrap_or(0) == 2).await;
        assert_eq!(
            *seen.0.lock().expect("lock"),
            events.iter().map(|e| e.id.clone()).collect::<Vec<_>>()
        );
        let left = repo::pending(&*store, "edge-a", i64::MAX / 2, 10)
            .await
            .expect("pending");
        assert!(left.is_empty(), "{left:?}");
    }

    #[tokio::test]
    async fn events_staged_while_the_port_is_down_are_relayed_when_it_is_back() {
        let store: Arc<dyn Store> =
            Arc::new(store::embedded::EmbeddedStore::in_memory().expect("store"));
        let local = Local::new();
        let seen = Arc::new(Seen::default());
        local.attach(seen.clone());
        let down = Arc::new(Down(local, Mutex::new(true)));
        let outbox = Outbox::start(store.clone(), down.clone(), "edge-b");
        outbox.emit(call_events());
        until(|| outbox.counters.staged.load(Ordering::Relaxed) == 2).await;
        assert_eq!(
            repo::pending(&*store, "edge-b", i64::MAX / 2, 10)
                .await
                .expect("pending")
                .len(),
            2,
            "kept in the outbox"
        );
        *down.1.lock().expect("lock") = false;
        until(|| seen.0.lock().map(|s| s.len()).unwrap_or(0) == 2).await;
        assert_eq!(outbox.counters.relayed.load(Ordering::Relaxed), 2);
    }
}
