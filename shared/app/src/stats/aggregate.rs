//! The aggregator: counts each ended call once into the statistics
//! counters. A durable events consumer (attached to the in-process events
//! locally; the `stats` Lambda on the events queue on AWS): it returns Ok
//! only when every call end it was given is counted, and a call end given
//! again is not counted again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::TenantId;
use domain::calendar::TimeZone;
use domain::event::{Ended, Event, Kind};
use domain::stats::{Bucket, Counters, Dim, Flow};
use store::Store;
use store::repo::stats::{self as repo, Applied, Contribution};

/// How long a company's time zone is trusted before it is read again.
const ZONE_TTL: Duration = Duration::from_secs(60);
/// After a company changes its zone, how long until every aggregator
/// counts in the new one: the cache above, plus room for a replica that
/// lags. Days in the new zone are read from its buckets only after this.
pub const ZONE_SETTLE_MS: i64 = 5 * 60 * 1000;
/// Call ends counted at the same time (the embedded store commits the
/// writes waiting together in one transaction, so more is cheaper).
const CONCURRENCY: usize = 256;

#[derive(Debug)]
struct Zone {
    tz: TimeZone,
    read_at: Instant,
}

#[derive(Debug)]
pub struct Aggregator {
    store: Arc<dyn Store>,
    zones: Mutex<HashMap<TenantId, Zone>>,
}

/// What a call end adds, in a company's zone.
pub fn contribution(e: &Ended, tz: &TimeZone) -> Option<Contribution> {
    Some(Contribution {
        call_id: e.call.call_id.clone(),
        flow: Flow::of(e.call.direction),
        counters: Counters::of(e),
        dims: Dim::of(e),
        buckets: Bucket::of(e.call.started_ms, tz)?.to_vec(),
    })
}

impl Aggregator {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            zones: Mutex::default(),
        }
    }

    /// The company's zone (read again after [`ZONE_TTL`]). Each read
    /// also opens the zone's days and months from this call on, if no
    /// count or move has opened them yet.
    async fn zone(&self, t: &TenantId, started_ms: i64) -> Result<TimeZone, String> {
        let cached = {
            let zones = self.zones.lock().unwrap_or_else(|p| p.into_inner());
            zones
                .get(t)
                .filter(|z| z.read_at.elapsed() < ZONE_TTL)
                .map(|z| z.tz.clone())
        };
        if let Some(tz) = cached {
            return Ok(tz);
        }
        let tenant = store::repo::tenants::get(&*self.store, t)
            .await
            .map_err(|e| e.to_string())?;
        // A tenant since deleted still had its calls: count them in Seoul.
        let tz = tenant.map(|x| x.time_zone).unwrap_or_default();
        repo::mark_zone(&*self.store, t, tz.name(), started_ms)
            .await
            .map_err(|e| e.to_string())?;
        let zone = Zone {
            tz: tz.clone(),
            read_at: Instant::now(),
        };
        self.zones
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(t.clone(), zone);
        Ok(tz)
    }

    /// Counts one call end (once, however often it comes).
    pub async fn count(&self, t: &TenantId, e: &Ended) -> Result<Applied, String> {
        let tz = self.zone(t, e.call.started_ms).await?;
        let Some(c) = contribution(e, &tz) else {
            tracing::warn!(call = %e.call.call_id, "a call outside the calendar; not counted");
            return Ok(Applied::AlreadyCounted);
        };
        repo::apply(&*self.store, t, &c, store::now_epoch_seconds())
            .await
            .map_err(|e| e.to_string())
    }
}

#[async_trait]
impl events::Consumer for Aggregator {
    async fn accept(&self, events: &[Event]) -> Result<(), String> {
        let ends: Vec<(&TenantId, &Ended)> = events
            .iter()
            .filter_map(|e| match &e.kind {
                Kind::Ended(x) => Some((&e.tenant, x)),
                _ => None,
            })
            .collect();
        for chunk in ends.chunks(CONCURRENCY) {
            let results =
                futures::future::join_all(chunk.iter().map(|(t, e)| self.count(t, e))).await;
            for r in results {
                r?;
            }
        }
        Ok(())
    }
}
