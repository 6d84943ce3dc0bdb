//! Message batches and their deliveries (the SMS outbox, A3/U5).
//!
//! A batch is one send: `TENANT#<t>#MSG#<yyyymm> / B#<created_ms>#<batch>`,
//! with counters of delivered and failed recipients. Each recipient is a
//! delivery `MSGB#<batch> / D#<n>`; while it waits to be sent it carries the
//! sparse GSI2 key `OUTBOX#<shard>` / `<due_ms>#<batch>#<n>`, which is the work
//! queue. Claiming a delivery moves its due time past a lease, so a
//! dispatcher that dies mid-send leaves it to be picked up again.

use domain::TenantId;
use serde::{Deserialize, Serialize};

use super::{RepoError, RepoResult, corrupt};
use crate::{
    Condition, Cursor, Index, Item, Key, Query, SortKey, Store, StoreError, TxOp, Update, keys,
};

/// Queue shards: keeps the outbox from being one hot partition on DynamoDB.
pub const SHARDS: u32 = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub tenant: TenantId,
    pub id: String,
    pub created_ms: i64,
    /// Account that sent it (admin or user).
    pub sender_account: String,
    /// Whether an admin sent it from the representative number.
    pub as_admin: bool,
    pub from: String,
    pub kind: String,
    pub subject: Option<String>,
    pub body: String,
    pub bytes: i64,
    pub images: Vec<String>,
    pub recipients: i64,
    pub delivered: i64,
    pub failed: i64,
    /// The batch whose failures this one resends.
    pub resend_of: Option<String>,
    /// The Alimtalk batch this SMS/LMS replaces for its recipient.
    pub fallback_of: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub batch: String,
    pub n: u32,
    pub to: String,
    /// queued, sending, delivered, failed
    pub status: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub provider_id: Option<String>,
    pub done_ms: Option<i64>,
}

fn month_pk(t: &TenantId, yyyymm: &str) -> String {
    format!("{}#MSG#{yyyymm}", keys::tenant_pk(t))
}

fn batch_key(t: &TenantId, yyyymm: &str, created_ms: i64, id: &str) -> Key {
    Key::new(month_pk(t, yyyymm), format!("B#{created_ms:015}#{id}"))
}

pub fn delivery_key(batch: &str, n: u32) -> Key {
    Key::new(format!("MSGB#{batch}"), format!("D#{n:05}"))
}

pub fn shard_pk(batch: &str, n: u32) -> String {
    let h = batch
        .bytes()
        .fold(n, |acc, b| acc.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("OUTBOX#{}", h % SHARDS)
}

pub fn queue_sk(due_ms: i64, batch: &str, n: u32) -> String {
    format!("{due_ms:015}#{batch}#{n:05}")
}

fn batch_item(b: &Batch, yyyymm: &str) -> Item {
    Item::new(&batch_key(&b.tenant, yyyymm, b.created_ms, &b.id))
        .with("type", "message_batch")
        .with("tenant_id", b.tenant.as_str())
        .with("batch_id", b.id.as_str())
        .with("yyyymm", yyyymm)
        .with("created_ms", b.created_ms)
        .with("sender_account", b.sender_account.as_str())
        .with("as_admin", b.as_admin)
        .with("from", b.from.as_str())
        .with("kind", b.kind.as_str())
        .with_opt("subject", b.subject.as_deref())
        .with("body", b.body.as_str())
        .with("bytes", b.bytes)
        .with("images", b.images.join(" "))
        .with("recipients", b.recipients)
        .with("delivered", 0i64)
        .with("failed", 0i64)
        .with_opt("resend_of", b.resend_of.as_deref())
        .with(
            Index::Gsi1.pk_attr(),
            format!("MSGBY#{}#{}", b.tenant, b.sender_account),
        )
        .with(
            Index::Gsi1.sk_attr(),
            format!("{:015}#{}", b.created_ms, b.id),
        )
}

fn batch_from(i: &Item) -> RepoResult<Batch> {
    let s = |n: &str| {
        i.s(n)
            .map(str::to_owned)
            .ok_or_else(|| corrupt(format!("batch without {n}")))
    };
    Ok(Batch {
        tenant: TenantId::parse(&s("tenant_id")?).map_err(|e| corrupt(e.to_string()))?,
        id: s("batch_id")?,
        created_ms: i.n("created_ms").unwrap_or(0),
        sender_account: s("sender_account")?,
        as_admin: i.bool("as_admin").unwrap_or(false),
        from: s("from")?,
        kind: s("kind")?,
        subject: i.s("subject").map(str::to_owned),
        body: s("body")?,
        bytes: i.n("bytes").unwrap_or(0),
        images: i
            .s("images")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        recipients: i.n("recipients").unwrap_or(0),
        delivered: i.n("delivered").unwrap_or(0),
        failed: i.n("failed").unwrap_or(0),
        resend_of: i.s("resend_of").map(str::to_owned),
        fallback_of: i.s("fallback_of").map(str::to_owned),
    })
}

fn delivery_from(i: &Item) -> RepoResult<Delivery> {
    let sk = i.s("sk").unwrap_or_default();
    Ok(Delivery {
        batch: i
            .s("batch_id")
            .ok_or_else(|| corrupt("delivery without batch"))?
            .to_owned(),
        n: sk
            .trim_start_matches("D#")
            .parse()
            .map_err(|_| corrupt("delivery number"))?,
        to: i
            .s("to")
            .ok_or_else(|| corrupt("delivery without recipient"))?
            .to_owned(),
        status: i.s("status").unwrap_or("queued").to_owned(),
        attempts: i.n("attempts").unwrap_or(0),
        error: i.s("error").map(str::to_owned),
        provider_id: i.s("provider_id").map(str::to_owned),
        done_ms: i.n("done_ms"),
    })
}

/// Writes a batch and its deliveries (queued, due now). Keys are derived
/// from the batch id, so writing the same batch again (a retried request)
/// changes nothing that was already written.
pub async fn accept(
    store: &dyn Store,
    b: &Batch,
    yyyymm: &str,
    recipients: &[String],
) -> RepoResult<Batch> {
    // The first attempt fixes when the batch was created; a retry (same id)
    // finds that here and completes the same batch instead of starting a
    // second one at a later time.
    let marker = Key::new(format!("MSGID#{}", b.id), "#B");
    let claim = Item::new(&marker)
        .with("type", "message_batch_id")
        .with("created_ms", b.created_ms)
        .with("yyyymm", yyyymm);
    let (b, yyyymm) = match store.put(claim, Some(Condition::absent())).await {
        Ok(()) => (b.clone(), yyyymm.to_owned()),
        Err(StoreError::ConditionFailed) => {
            let first = store
                .get(&marker)
                .await?
                .ok_or_else(|| corrupt("batch id marker vanished"))?;
            let mut again = b.clone();
            again.created_ms = first.n("created_ms").unwrap_or(b.created_ms);
            (again, first.s("yyyymm").unwrap_or(yyyymm).to_owned())
        }
        Err(e) => return Err(e.into()),
    };
    let b = &b;
    let yyyymm = yyyymm.as_str();
    let batch_item = batch_item(b, yyyymm);
    match store.put(batch_item, Some(Condition::absent())).await {
        Ok(()) | Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e.into()),
    }
    let mut ops = Vec::with_capacity(100);
    for (n, to) in recipients.iter().enumerate() {
        let n = u32::try_from(n).map_err(|_| corrupt("too many recipients"))?;
        let item = Item::new(&delivery_key(&b.id, n))
            .with("type", "delivery")
            .with("tenant_id", b.tenant.as_str())
            .with("batch_id", b.id.as_str())
            .with("batch_pk", month_pk(&b.tenant, yyyymm))
            .with("batch_sk", format!("B#{:015}#{}", b.created_ms, b.id))
            .with("to", to.as_str())
            .with("status", "queued")
            .with("attempts", 0i64)
            .with(Index::Gsi2.pk_attr(), shard_pk(&b.id, n))
            .with(Index::Gsi2.sk_attr(), queue_sk(b.created_ms, &b.id, n));
        ops.push(TxOp::Put {
            item,
            condition: Some(Condition::absent()),
        });
        if ops.len() == 100 {
            put_new(store, std::mem::take(&mut ops)).await?;
        }
    }
    if !ops.is_empty() {
        put_new(store, ops).await?;
    }
    Ok(b.clone())
}

/// Puts items that may already exist from an earlier attempt: the ones that
/// do are skipped, the rest written.
async fn put_new(store: &dyn Store, ops: Vec<TxOp>) -> RepoResult<()> {
    match store.transact_write(ops.clone()).await {
        Ok(()) => Ok(()),
        Err(StoreError::TransactionCanceled { failed }) => {
            let rest: Vec<TxOp> = ops
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !failed.contains(i))
                .map(|(_, op)| op)
                .collect();
            if rest.is_empty() {
                return Ok(());
            }
            match store.transact_write(rest).await {
                Ok(()) | Err(StoreError::TransactionCanceled { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// A tenant's batches of one month created in `[from_ms, to_ms]`, newest first.
pub async fn batches_in(
    store: &dyn Store,
    t: &TenantId,
    yyyymm: &str,
    from_ms: i64,
    to_ms: i64,
) -> RepoResult<Vec<Batch>> {
    let mut q = Query::partition(month_pk(t, yyyymm))
        .sk(SortKey::Between(
            format!("B#{from_ms:015}"),
            format!("B#{to_ms:015}#~"),
        ))
        .descending()
        .limit(1000);
    let mut out = Vec::new();
    loop {
        let page = store.query(&q).await?;
        for i in &page.items {
            out.push(batch_from(i)?);
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// One batch by its month and sort key parts (as found through a delivery or a list).
pub async fn batch(store: &dyn Store, t: &TenantId, id: &str) -> RepoResult<Option<Batch>> {
    // The first delivery knows where the batch lives.
    let Some(d) = store.get(&delivery_key(id, 0)).await? else {
        return Ok(None);
    };
    if d.s("tenant_id") != Some(t.as_str()) {
        return Ok(None);
    }
    let (Some(pk), Some(sk)) = (d.s("batch_pk"), d.s("batch_sk")) else {
        return Err(corrupt("delivery without its batch"));
    };
    store
        .get(&Key::new(pk, sk))
        .await?
        .as_ref()
        .map(batch_from)
        .transpose()
}

/// Every delivery of a batch, in recipient order.
pub async fn deliveries(store: &dyn Store, batch: &str) -> RepoResult<Vec<Delivery>> {
    let mut q = Query::partition(format!("MSGB#{batch}")).limit(1000);
    let mut out = Vec::new();
    loop {
        let page = store.query(&q).await?;
        for i in &page.items {
            out.push(delivery_from(i)?);
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Deliveries due at or before `now_ms` in one shard (oldest first).
pub async fn due(
    store: &dyn Store,
    shard: u32,
    now_ms: i64,
    limit: usize,
) -> RepoResult<Vec<(Item, String)>> {
    let q = Query::index(Index::Gsi2, format!("OUTBOX#{shard}"))
        .sk(SortKey::Le(format!("{now_ms:015}#~")))
        .limit(limit);
    let page = store.query(&q).await?;
    Ok(page
        .items
        .into_iter()
        .filter_map(|i| {
            let sk = i.s(Index::Gsi2.sk_attr())?.to_owned();
            Some((i, sk))
        })
        .collect())
}

/// A delivery's key, batch and number: what its queue key is built from.
fn queue_position(item: &Item) -> RepoResult<(Key, String, u32)> {
    let key = item.key().ok_or_else(|| corrupt("delivery without key"))?;
    let batch = item.s("batch_id").unwrap_or_default().to_owned();
    let n = key.sk.trim_start_matches("D#").parse::<u32>().unwrap_or(0);
    Ok((key, batch, n))
}

/// Claims a due delivery for sending until `lease_ms`: succeeds for exactly
/// one dispatcher (the queue key must still be what it saw).
pub async fn claim(
    store: &dyn Store,
    item: &Item,
    seen_sk: &str,
    lease_ms: i64,
) -> RepoResult<Option<Item>> {
    let (key, batch, n) = queue_position(item)?;
    match store
        .update(
            &key,
            Update::new()
                .set("status", "sending")
                .set(Index::Gsi2.sk_attr(), queue_sk(lease_ms, &batch, n))
                .add("attempts", 1),
            Some(Condition::eq(Index::Gsi2.sk_attr(), seen_sk)),
        )
        .await
    {
        Ok(i) => Ok(Some(i)),
        Err(StoreError::ConditionFailed) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Ends a delivery (delivered or failed) and counts it on its batch, once.
pub async fn finish(
    store: &dyn Store,
    item: &Item,
    delivered: bool,
    provider_id: Option<&str>,
    error: Option<&str>,
    now_ms: i64,
) -> RepoResult<()> {
    let key = item.key().ok_or_else(|| corrupt("delivery without key"))?;
    let mut u = Update::new()
        .set("status", if delivered { "delivered" } else { "failed" })
        .set("done_ms", now_ms)
        .remove(Index::Gsi2.pk_attr())
        .remove(Index::Gsi2.sk_attr());
    if let Some(p) = provider_id {
        u = u.set("provider_id", p);
    }
    if let Some(e) = error {
        u = u.set("error", e);
    }
    let batch_key = Key::new(
        item.s("batch_pk").unwrap_or_default(),
        item.s("batch_sk").unwrap_or_default(),
    );
    let ops = vec![
        // Only a delivery still in flight is finished: a repeat changes nothing.
        TxOp::Update {
            key,
            update: u,
            condition: Some(Condition::eq("status", "sending")),
        },
        TxOp::Update {
            key: batch_key,
            update: Update::new().add(if delivered { "delivered" } else { "failed" }, 1),
            condition: Some(Condition::present()),
        },
    ];
    match store.transact_write(ops).await {
        Ok(()) | Err(StoreError::TransactionCanceled { .. }) => Ok(()),
        Err(e) => Err(RepoError::Store(e)),
    }
}

/// Puts a delivery back in the queue for another try at `due_ms`.
pub async fn retry_at(
    store: &dyn Store,
    item: &Item,
    due_ms: i64,
    error: &str,
    count_attempt: bool,
) -> RepoResult<()> {
    let (key, batch, n) = queue_position(item)?;
    let mut u = Update::new()
        .set("status", "queued")
        .set("error", error)
        .set(Index::Gsi2.sk_attr(), queue_sk(due_ms, &batch, n));
    if !count_attempt {
        u = u.add("attempts", -1);
    }
    match store
        .update(&key, u, Some(Condition::eq("status", "sending")))
        .await
    {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Batches an account sent, newest first (a user's own history).
pub async fn by_sender(
    store: &dyn Store,
    t: &TenantId,
    account: &str,
    limit: usize,
    cursor: Option<Cursor>,
) -> RepoResult<(Vec<Batch>, Option<Cursor>)> {
    let q = Query::index(Index::Gsi1, format!("MSGBY#{t}#{account}"))
        .descending()
        .limit(limit)
        .after(cursor);
    let page = store.query(&q).await?;
    Ok((
        page.items
            .iter()
            .map(batch_from)
            .collect::<RepoResult<_>>()?,
        page.next,
    ))
}

/// Links a resend batch to the batch whose failures it resends.
pub async fn mark_resend(store: &dyn Store, b: &Batch, original: &str) -> RepoResult<()> {
    link(store, b, "resend_of", original).await
}

/// Sets a link attribute on a batch item (found through its first delivery).
async fn link(store: &dyn Store, b: &Batch, attr: &str, to: &str) -> RepoResult<()> {
    let d = store
        .get(&delivery_key(&b.id, 0))
        .await?
        .ok_or_else(|| corrupt("batch without deliveries"))?;
    let key = Key::new(
        d.s("batch_pk").unwrap_or_default(),
        d.s("batch_sk").unwrap_or_default(),
    );
    store
        .update(
            &key,
            Update::new().set(attr, to),
            Some(Condition::present()),
        )
        .await?;
    Ok(())
}

/// Links an SMS/LMS fallback batch to the Alimtalk batch it replaces.
pub async fn mark_fallback(store: &dyn Store, b: &Batch, alimtalk: &str) -> RepoResult<()> {
    link(store, b, "fallback_of", alimtalk).await
}
