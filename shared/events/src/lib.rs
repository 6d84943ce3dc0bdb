//! The events port: where the edge's call and device events go once they
//! are safely in the outbox (`app::events`).
//!
//! A [`Publisher`] returns only when the events are durable downstream:
//! on AWS when SNS accepted them ([`sns::SnsPublisher`], fanning out to
//! SQS queues the webhooks and statistics functions consume); locally
//! when every attached [`Consumer`] took them ([`Local`]). Until then the
//! outbox keeps them and publishes again, so every consumer sees each
//! event at least once and deduplicates by its id.
//!
//! [`Local`] also fans events out live (screen-pop streams, monitoring)
//! to whoever [`Local::subscribe`]s; a live subscriber that falls behind
//! misses events (and reads them back from the table's event log).

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use domain::event::Event;
use tokio::sync::broadcast;

#[cfg(feature = "aws")]
pub mod sns;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// Nothing (or not everything) was taken; publish again later.
    #[error("events not published: {0}")]
    Unavailable(String),
}

/// Takes events durably; idempotent by event id (they may come twice).
#[async_trait]
pub trait Publisher: Send + Sync + std::fmt::Debug {
    async fn publish(&self, events: &[Event]) -> Result<(), PublishError>;
}

/// A durable consumer of events (webhook deliveries, statistics): by the
/// time `accept` returns Ok it has stored what it needs. It is called
/// again with the same events after an error or a crash.
#[async_trait]
pub trait Consumer: Send + Sync + std::fmt::Debug {
    async fn accept(&self, events: &[Event]) -> Result<(), String>;
}

/// An event as a queue subscribed to the events topic carries it: the
/// event's JSON itself (raw message delivery), or SNS's envelope around it.
pub fn from_queue_body(body: &str) -> Option<Event> {
    #[derive(serde::Deserialize)]
    struct SnsEnvelope {
        #[serde(rename = "Message")]
        message: String,
    }
    serde_json::from_str::<Event>(body).ok().or_else(|| {
        let env: SnsEnvelope = serde_json::from_str(body).ok()?;
        serde_json::from_str(&env.message).ok()
    })
}

/// How many live events a slow subscriber may lag behind.
pub const LIVE_BUFFER: usize = 4_096;

/// In-process events: durable consumers first, then live subscribers.
#[derive(Clone)]
pub struct Local {
    consumers: Arc<RwLock<Vec<Arc<dyn Consumer>>>>,
    live: broadcast::Sender<Arc<Event>>,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("live_subscribers", &self.live.receiver_count())
            .finish_non_exhaustive()
    }
}

impl Default for Local {
    fn default() -> Self {
        Self::new()
    }
}

impl Local {
    pub fn new() -> Self {
        Self {
            consumers: Arc::default(),
            live: broadcast::channel(LIVE_BUFFER).0,
        }
    }

    /// Adds a durable consumer: every event published from now on reaches it.
    pub fn attach(&self, c: Arc<dyn Consumer>) {
        self.consumers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push(c);
    }

    /// Events as they are published (for streams; no durability).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.live.subscribe()
    }

    /// Hands events to the live subscribers only (what the table's event
    /// log already holds, e.g. when a stream catches up).
    pub fn announce(&self, events: &[Event]) {
        for e in events {
            // No subscriber is not an error.
            let _ = self.live.send(Arc::new(e.clone()));
        }
    }
}

#[async_trait]
impl Publisher for Local {
    async fn publish(&self, events: &[Event]) -> Result<(), PublishError> {
        let consumers = self
            .consumers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for c in consumers {
            c.accept(events).await.map_err(PublishError::Unavailable)?;
        }
        self.announce(events);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::event::{Device, Kind};
    use std::sync::Mutex;

    #[derive(Debug, Default)]
    struct Flaky {
        fail_first: Mutex<bool>,
        seen: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl Consumer for Flaky {
        async fn accept(&self, events: &[Event]) -> Result<(), String> {
            let mut fail = self.fail_first.lock().expect("lock");
            if *fail {
                *fail = false;
                return Err("down".into());
            }
            let mut seen = self.seen.lock().expect("lock");
            seen.extend(events.iter().map(|e| e.id.clone()));
            Ok(())
        }
    }

    fn event(subject: &str) -> Event {
        let device = Device {
            account: domain::AccountId::parse(&"a".repeat(32)).expect("account"),
            contact: "sip:1001@127.0.0.1:5062".into(),
            source: "127.0.0.1:5062".into(),
            transport: "udp".into(),
            user_agent: None,
            edge: "e1".into(),
            expires_ms: None,
        };
        Event::new(
            domain::TenantId::parse("acme").expect("tenant"),
            subject,
            1,
            0,
            Kind::Registered(device),
        )
    }

    #[tokio::test]
    async fn a_consumer_that_fails_fails_the_publish_and_live_subscribers_wait_for_success() {
        let local = Local::new();
        let flaky = Arc::new(Flaky {
            fail_first: Mutex::new(true),
            ..Flaky::default()
        });
        local.attach(flaky.clone());
        let mut live = local.subscribe();
        let events = [event("d1")];
        assert!(local.publish(&events).await.is_err());
        assert!(
            live.try_recv().is_err(),
            "not announced before it is durable"
        );
        local.publish(&events).await.expect("second try");
        assert_eq!(
            live.try_recv().map(|e| e.id.clone()).ok(),
            Some("d1.1".into())
        );
        assert_eq!(*flaky.seen.lock().expect("lock"), ["d1.1"]);
    }
}
