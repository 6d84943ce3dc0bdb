//! Statistics counters (T2), kept as calls end.
//!
//! - A bucket's counters: `TENANT#<t>#STATS#<bucket>` / `<dimension>`, where
//!   the bucket is a UTC hour (`H#…`), or a day or month of a time zone
//!   (`D#<zone>#<date>`, `M#<zone>#<yyyy-mm>`), and the dimension is
//!   `T` (the tenant), `U#<account>`, `N#<070 digits>`, `G#<group>` or
//!   `O#<scenario>#<node>#<choice>` ([`Dim::key`]). Attributes are
//!   `<flow>_<counter>` (`i_calls`, `o_talk_ms`, `n_talk_max_ms`...). One
//!   partition per bucket, so a breakdown of a month is one query.
//! - `TENANT#<t>#STATSDONE` / `<call id>`: the call has been counted.
//!   Written in the same transaction as its increments, so a redelivered
//!   call end counts once. Kept for [`DONE_KEEP_SECS`], longer than any
//!   queue keeps a message.
//! - `TENANT#<t>#STATS` / `ZONE#<zone>`: since when calls are counted in
//!   the days and months of `<zone>` (`since_ms`, the earliest call start
//!   counted that way); before then, a query rolls up hours.
//!
//! The longest talk time is not a sum: it is raised by a conditional
//! update after the transaction (idempotent, so it is simply done again
//! when a call end comes twice).

use domain::TenantId;
use domain::stats::{Bucket, ByFlow, Counters, Dim, Flow, SUM_FIELDS};

use super::RepoResult;
use crate::{
    ATTR_EXPIRES_AT, Condition, Item, Key, Query, SortKey, Store, StoreError, TxOp, Update, Value,
    keys,
};

/// How long a counted call's marker stays (40 days: SQS keeps messages 14).
pub const DONE_KEEP_SECS: i64 = 40 * 86_400;

fn bucket_pk(t: &TenantId, b: &Bucket) -> String {
    format!("{}#STATS#{}", keys::tenant_pk(t), b.key())
}

fn cell(t: &TenantId, b: &Bucket, dim: &str) -> Key {
    Key::new(bucket_pk(t, b), dim)
}

fn done_key(t: &TenantId, call_id: &str) -> Key {
    Key::new(format!("{}#STATSDONE", keys::tenant_pk(t)), call_id)
}

fn zone_key(t: &TenantId, zone: &str) -> Key {
    Key::new(
        format!("{}#STATS", keys::tenant_pk(t)),
        format!("ZONE#{zone}"),
    )
}

fn attr(flow: Flow, field: &str) -> String {
    format!("{}_{field}", flow.code())
}

/// Attribute names per flow: the summed counters, then the maximum
/// (built once: reading a year's buckets reads them millions of times).
static NAMES: std::sync::LazyLock<[[String; 13]; 3]> = std::sync::LazyLock::new(|| {
    Flow::ALL.map(|f| {
        std::array::from_fn(|i| attr(f, SUM_FIELDS.get(i).copied().unwrap_or(Counters::MAX_FIELD)))
    })
});

/// What one ended call adds: its counters under its flow, in each of its
/// dimensions, in each of its buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub call_id: String,
    pub flow: Flow,
    pub counters: Counters,
    pub dims: Vec<Dim>,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Counted,
    /// The call had been counted before; nothing was added.
    AlreadyCounted,
}

/// Adds a call's contribution once: a second time changes nothing.
pub async fn apply(
    store: &dyn Store,
    t: &TenantId,
    c: &Contribution,
    now_s: i64,
) -> RepoResult<Applied> {
    let mut ops = Vec::with_capacity(1 + c.dims.len() * c.buckets.len());
    ops.push(TxOp::Put {
        item: Item::new(&done_key(t, &c.call_id))
            .with("type", "stats_done")
            .with(ATTR_EXPIRES_AT, now_s + DONE_KEEP_SECS),
        condition: Some(Condition::absent()),
    });
    let sums = c.counters.sums();
    for b in &c.buckets {
        for d in &c.dims {
            let mut u = Update::new();
            for (field, v) in SUM_FIELDS.iter().zip(sums) {
                if v != 0 {
                    u = u.add(&attr(c.flow, field), v);
                }
            }
            ops.push(TxOp::Update {
                key: cell(t, b, &d.key()),
                update: u,
                condition: None,
            });
        }
    }
    let applied = match store.transact_write(ops).await {
        Ok(()) => Applied::Counted,
        Err(StoreError::TransactionCanceled { failed }) if failed == [0] => Applied::AlreadyCounted,
        Err(e) => return Err(e.into()),
    };
    if c.counters.talk_max_ms > 0 {
        raise_longest(store, t, c).await?;
    }
    Ok(applied)
}

async fn raise_longest(store: &dyn Store, t: &TenantId, c: &Contribution) -> RepoResult<()> {
    let name = &attr(c.flow, Counters::MAX_FIELD);
    let v = c.counters.talk_max_ms;
    let writes = c.buckets.iter().flat_map(|b| {
        c.dims.iter().map(move |d| async move {
            let r = store
                .update(
                    &cell(t, b, &d.key()),
                    Update::new().set(name, v),
                    Some(Condition::Or(vec![
                        Condition::not_exists(name),
                        Condition::Lt(name.clone(), Value::N(v)),
                    ])),
                )
                .await;
            match r {
                Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
                Err(e) => Err(e),
            }
        })
    });
    for r in futures::future::join_all(writes).await {
        r?;
    }
    Ok(())
}

/// Reads a cell's counters by flow.
fn by_flow(i: &Item) -> ByFlow {
    let mut out = ByFlow::default();
    for (slot, names) in out.iter_mut().zip(NAMES.iter()) {
        let mut sums = [0; 12];
        for (s, name) in sums.iter_mut().zip(names) {
            *s = i.n(name).unwrap_or(0);
        }
        *slot = Counters::from_sums(sums, i.n(&names[12]).unwrap_or(0));
    }
    out
}

/// Every dimension's counters in bucket `b` whose key starts with
/// `prefix` (`""` for all, `U#` for users...).
pub async fn bucket(
    store: &dyn Store,
    t: &TenantId,
    b: &Bucket,
    prefix: &str,
) -> RepoResult<Vec<(Dim, ByFlow)>> {
    let mut q = Query::partition(bucket_pk(t, b)).limit(crate::MAX_QUERY_LIMIT);
    if !prefix.is_empty() {
        q = q.sk(SortKey::BeginsWith(prefix.to_owned()));
    }
    super::every(store, q, |i| {
        Ok(i.s(crate::ATTR_SK)
            .and_then(Dim::parse_key)
            .map(|d| (d, by_flow(i))))
    })
    .await
    .map(|v| v.into_iter().flatten().collect())
}

/// One dimension's counters in each of `buckets` (empty where none).
pub async fn cells(
    store: &dyn Store,
    t: &TenantId,
    dim: &Dim,
    buckets: &[Bucket],
) -> RepoResult<Vec<ByFlow>> {
    let dim = dim.key();
    let keys: Vec<Key> = buckets.iter().map(|b| cell(t, b, &dim)).collect();
    let mut found = std::collections::HashMap::new();
    for chunk in keys.chunks(crate::MAX_BATCH_GET) {
        for i in store.batch_get(chunk).await? {
            if let Some(k) = i.key() {
                found.insert(k, by_flow(&i));
            }
        }
    }
    Ok(keys
        .iter()
        .map(|k| found.get(k).copied().unwrap_or_default())
        .collect())
}

/// Notes that calls are counted in `zone`'s days and months from a call
/// that started at `started_ms` on (the earliest such call wins).
pub async fn mark_zone(
    store: &dyn Store,
    t: &TenantId,
    zone: &str,
    started_ms: i64,
) -> RepoResult<()> {
    let r = store
        .update(
            &zone_key(t, zone),
            Update::new().set("since_ms", started_ms),
            Some(Condition::Or(vec![
                Condition::not_exists("since_ms"),
                Condition::Gt("since_ms".into(), Value::N(started_ms)),
            ])),
        )
        .await;
    match r {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Since when calls are counted in `zone`'s days and months (None: never).
pub async fn zone_since(store: &dyn Store, t: &TenantId, zone: &str) -> RepoResult<Option<i64>> {
    Ok(store
        .get(&zone_key(t, zone))
        .await?
        .and_then(|i| i.n("since_ms")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embedded::EmbeddedStore;
    use domain::calendar::TimeZone;

    fn tenant() -> TenantId {
        TenantId::parse("acme").expect("tenant")
    }

    fn contribution(id: &str, talk: i64) -> Contribution {
        Contribution {
            call_id: id.into(),
            flow: Flow::Inbound,
            counters: Counters {
                calls: 1,
                answered: 1,
                talk_ms: talk,
                talk_max_ms: talk,
                ..Counters::default()
            },
            dims: vec![Dim::Tenant, Dim::Line("07040000001".into())],
            buckets: Bucket::of(1_796_052_600_000, &TimeZone::seoul())
                .expect("buckets")
                .to_vec(),
        }
    }

    #[tokio::test]
    async fn a_call_counts_once_however_often_it_comes() {
        let s = EmbeddedStore::in_memory().expect("store");
        let t = tenant();
        let a = contribution("a", 5_000);
        assert_eq!(
            apply(&s, &t, &a, crate::now_epoch_seconds()).await,
            Ok(Applied::Counted)
        );
        assert_eq!(
            apply(&s, &t, &a, crate::now_epoch_seconds()).await,
            Ok(Applied::AlreadyCounted)
        );
        assert_eq!(
            apply(
                &s,
                &t,
                &contribution("b", 9_000),
                crate::now_epoch_seconds()
            )
            .await,
            Ok(Applied::Counted)
        );
        for b in &a.buckets {
            let all = bucket(&s, &t, b, "").await.expect("bucket");
            assert_eq!(all.len(), 2, "{b:?}");
            let c = &all[0].1[0];
            assert_eq!((c.calls, c.talk_ms, c.talk_max_ms), (2, 14_000, 9_000));
        }
        let lines = cells(
            &s,
            &t,
            &Dim::Line("07040000001".into()),
            &[a.buckets[1].clone(), Bucket::Hour(1)],
        )
        .await
        .expect("cells");
        assert_eq!((lines[0][0].calls, lines[1][0].calls), (2, 0));
    }

    #[tokio::test]
    async fn the_earliest_call_in_a_zone_marks_it() {
        let s = EmbeddedStore::in_memory().expect("store");
        let t = tenant();
        assert_eq!(zone_since(&s, &t, "Asia/Seoul").await, Ok(None));
        for ms in [500, 300, 900] {
            mark_zone(&s, &t, "Asia/Seoul", ms).await.expect("mark");
        }
        assert_eq!(zone_since(&s, &t, "Asia/Seoul").await, Ok(Some(300)));
    }
}
