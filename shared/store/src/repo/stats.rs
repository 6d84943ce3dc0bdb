//! Statistics counters (T2), kept as calls end.
//!
//! - A bucket's counters: `TENANT#<t>#STATS#<bucket>` / `<dimension>`, where
//!   the bucket is a UTC hour (`H#…`), or a day or month of a time zone
//!   (`D#<zone>#<date>`, `M#<zone>#<yyyy-mm>`), and the dimension is
//!   `T` (the tenant), `U#<account>`, `N#<070 digits>`, `G#<group>` or
//!   `O#<scenario>#<node>#<choice>` ([`Dim::key`]), one item per flow
//!   (`<dimension>@i`, `@o`, `@n`: a call touches only its own flow's),
//!   attributes named as [`SUM_FIELDS`] and `talk_max_ms`. One partition
//!   per bucket, so a breakdown of a month is one query.
//! - `TENANT#<t>#STATSDONE` / `<call id>`: the call has been counted.
//!   Written in the same transaction as its increments, so a redelivered
//!   call end counts once. Kept for [`DONE_KEEP_SECS`], longer than any
//!   queue keeps a message.
//! - `TENANT#<t>#STATS` / `ZONE#<zone>`: since when calls are counted in
//!   the days and months of `<zone>` (`since_ms`: the first call counted
//!   in it, or the moment the company moved to it plus a settling time);
//!   before then, a query rolls up hours.
//!
//! The longest talk time is not a sum: it is set in the same transaction,
//! on condition that it is longer than the cell's (see [`apply`]).

use domain::TenantId;
use domain::stats::{Bucket, ByFlow, Counters, Dim, Flow, SUM_FIELDS};

use super::RepoResult;
use crate::{
    ATTR_EXPIRES_AT, Condition, Item, Key, Query, SortKey, Store, StoreError, TxOp, Update, Value,
    keys,
};

/// Most attempts at one call's transaction before giving up (the call
/// end then comes again from its queue).
const MAX_ROUNDS: usize = 200;

/// How long a counted call's marker stays (40 days: SQS keeps messages 14).
pub const DONE_KEEP_SECS: i64 = 40 * 86_400;

fn bucket_pk(t: &TenantId, b: &Bucket) -> String {
    format!("{}#STATS#{}", keys::tenant_pk(t), b.key())
}

/// A dimension's counters of one flow in a bucket: `<dim>@<flow code>`.
fn cell(t: &TenantId, b: &Bucket, dim: &str, flow: Flow) -> Key {
    Key::new(bucket_pk(t, b), format!("{dim}@{}", flow.code()))
}

/// The dimension and flow a cell's sort key names.
fn parse_cell(sk: &str) -> Option<(Dim, Flow)> {
    let (dim, code) = sk.rsplit_once('@')?;
    let flow = Flow::ALL.into_iter().find(|f| f.code() == code)?;
    Some((Dim::parse_key(dim)?, flow))
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
///
/// One transaction: the marker (create-only) and an increment per cell.
/// The longest talk time rides along where it beats the cell's current
/// one (read just before), guarded by a condition; if another call raised
/// it meanwhile, the transaction is cancelled and tried again.
pub async fn apply(
    store: &dyn Store,
    t: &TenantId,
    c: &Contribution,
    now_s: i64,
) -> RepoResult<Applied> {
    let cells: Vec<Key> = c
        .buckets
        .iter()
        .flat_map(|b| c.dims.iter().map(move |d| cell(t, b, &d.key(), c.flow)))
        .collect();
    // The same increments in every cell.
    let mut adds = Update::new();
    for (field, v) in SUM_FIELDS.iter().zip(c.counters.sums()) {
        if v != 0 {
            adds = adds.add(field, v);
        }
    }
    let longest = c.counters.talk_max_ms;
    let max_name = Counters::MAX_FIELD;
    // A retry means another call raised one of these cells' longest talk
    // past what was read: the maxima only grow, so this ends (each round
    // either commits or finds a larger maximum). Many answered calls of
    // one hour counted at once can take a few rounds.
    for _ in 0..MAX_ROUNDS {
        let current = if longest > 0 {
            longest_now(store, &cells, max_name).await?
        } else {
            std::collections::HashMap::new()
        };
        let mut ops = Vec::with_capacity(1 + cells.len());
        ops.push(TxOp::Put {
            item: Item::new(&done_key(t, &c.call_id))
                .with("type", "stats_done")
                .with(ATTR_EXPIRES_AT, now_s + DONE_KEEP_SECS),
            condition: Some(Condition::absent()),
        });
        for k in &cells {
            let mut u = adds.clone();
            let mut condition = None;
            if longest > current.get(k).copied().unwrap_or(0) {
                u = u.set(max_name, longest);
                condition = Some(Condition::Or(vec![
                    Condition::not_exists(max_name),
                    Condition::Lt(max_name.to_owned(), Value::N(longest)),
                ]));
            }
            ops.push(TxOp::Update {
                key: k.clone(),
                update: u,
                condition,
            });
        }
        match store.transact_write(ops).await {
            Ok(()) => return Ok(Applied::Counted),
            Err(StoreError::TransactionCanceled { failed }) if failed.contains(&0) => {
                return Ok(Applied::AlreadyCounted);
            }
            // A longer call was counted meanwhile: read again.
            Err(StoreError::TransactionCanceled { .. } | StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// The longest talk time each cell holds now (absent: none yet).
async fn longest_now(
    store: &dyn Store,
    cells: &[Key],
    name: &str,
) -> RepoResult<std::collections::HashMap<Key, i64>> {
    let mut out = std::collections::HashMap::new();
    for chunk in cells.chunks(crate::MAX_BATCH_GET) {
        for i in store.batch_get(chunk).await? {
            if let (Some(k), Some(v)) = (i.key(), i.n(name)) {
                out.insert(k, v);
            }
        }
    }
    Ok(out)
}

/// A cell's counters.
fn counters(i: &Item) -> Counters {
    let mut sums = [0; 12];
    for (s, field) in sums.iter_mut().zip(SUM_FIELDS) {
        *s = i.n(field).unwrap_or(0);
    }
    Counters::from_sums(sums, i.n(Counters::MAX_FIELD).unwrap_or(0))
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
    let cells = super::every(store, q, |i| {
        Ok(i.s(crate::ATTR_SK)
            .and_then(parse_cell)
            .map(|(d, f)| (d, f, counters(i))))
    })
    .await?;
    let mut out: std::collections::BTreeMap<Dim, ByFlow> = std::collections::BTreeMap::new();
    for (dim, flow, c) in cells.into_iter().flatten() {
        let slot = Flow::ALL.iter().position(|f| *f == flow).unwrap_or(0);
        out.entry(dim).or_default()[slot] = c;
    }
    Ok(out.into_iter().collect())
}

/// One dimension's counters in each of `buckets` (empty where none).
pub async fn cells(
    store: &dyn Store,
    t: &TenantId,
    dim: &Dim,
    buckets: &[Bucket],
) -> RepoResult<Vec<ByFlow>> {
    let dim = dim.key();
    let keys: Vec<Key> = buckets
        .iter()
        .flat_map(|b| Flow::ALL.map(|f| cell(t, b, &dim, f)))
        .collect();
    let mut found = std::collections::HashMap::new();
    for chunk in keys.chunks(crate::MAX_BATCH_GET) {
        for i in store.batch_get(chunk).await? {
            if let Some(k) = i.key() {
                found.insert(k, counters(&i));
            }
        }
    }
    Ok(keys
        .chunks(Flow::ALL.len())
        .map(|flows| {
            let mut by = ByFlow::default();
            for (slot, k) in by.iter_mut().zip(flows) {
                *slot = found.get(k).copied().unwrap_or_default();
            }
            by
        })
        .collect())
}

/// Notes, unless already noted, that calls are counted in `zone`'s days
/// and months from a call that started at `started_ms` on: the first
/// counting in a zone that was never set (a company created before
/// markers, or one counted before any change) opens it. Never moves a
/// mark: a late call end from before must not claim earlier days, which
/// may have been counted in another zone.
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
            Some(Condition::not_exists("since_ms")),
        )
        .await;
    match r {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Notes that calls starting from `from_ms` on are counted in `zone`'s
/// days and months, whatever was noted before: a company that moves to
/// `zone` (again) has its earlier days in other zones, so only days from
/// the move on may be read from `zone`'s buckets.
pub async fn restart_zone(
    store: &dyn Store,
    t: &TenantId,
    zone: &str,
    from_ms: i64,
) -> RepoResult<()> {
    store
        .update(
            &zone_key(t, zone),
            Update::new().set("since_ms", from_ms),
            None,
        )
        .await?;
    Ok(())
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
    async fn many_calls_counted_at_once_keep_every_sum_and_the_longest() {
        let s = std::sync::Arc::new(EmbeddedStore::in_memory().expect("store"));
        let t = tenant();
        let now = crate::now_epoch_seconds();
        // Rising talk times, all at once: each may find a longer one committed.
        let tasks: Vec<_> = (1..=300_i64)
            .map(|i| {
                let (s, t) = (s.clone(), t.clone());
                tokio::spawn(async move {
                    apply(&*s, &t, &contribution(&format!("c{i}"), i * 1_000), now).await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.expect("task"), Ok(Applied::Counted));
        }
        let b = &contribution("x", 1).buckets[0];
        let all = bucket(&*s, &t, b, "T").await.expect("bucket");
        let c = &all[0].1[0];
        assert_eq!(c.calls, 300);
        assert_eq!(c.talk_ms, (1..=300).sum::<i64>() * 1_000);
        assert_eq!(c.talk_max_ms, 300_000);
    }

    #[tokio::test]
    async fn the_first_call_counted_in_a_zone_marks_it_and_a_move_restarts_it() {
        let s = EmbeddedStore::in_memory().expect("store");
        let t = tenant();
        assert_eq!(zone_since(&s, &t, "Asia/Seoul").await, Ok(None));
        for ms in [500, 300, 900] {
            mark_zone(&s, &t, "Asia/Seoul", ms).await.expect("mark");
        }
        assert_eq!(zone_since(&s, &t, "Asia/Seoul").await, Ok(Some(500)));
        // The company moves back to Seoul later: only days from then on.
        restart_zone(&s, &t, "Asia/Seoul", 7_000)
            .await
            .expect("restart");
        mark_zone(&s, &t, "Asia/Seoul", 100)
            .await
            .expect("late call");
        assert_eq!(zone_since(&s, &t, "Asia/Seoul").await, Ok(Some(7_000)));
        assert_eq!(zone_since(&s, &t, "UTC").await, Ok(None));
    }
}
