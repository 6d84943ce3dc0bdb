//! `Idempotency-Key` bookkeeping: the first request with a key claims it,
//! does its work and stores its response; repeats get that response back
//! (or 409 while the first is still running). Kept for 24 hours.

use domain::TenantId;

use super::{RepoResult, corrupt};
use crate::{Condition, Item, Store, StoreError, Update, keys, now_epoch_seconds};

pub const KEEP_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request owns the key: do the work, then [`finish`] or [`abandon`].
    Claimed,
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key has not finished yet.
    InProgress,
    /// The first request finished: answer with its response.
    Done(Stored),
}

pub async fn claim(
    store: &dyn Store,
    t: &TenantId,
    key: &str,
    fingerprint: &str,
) -> RepoResult<Claim> {
    let item = Item::new(&keys::idempotency(t, key))
        .with("type", "idempotency")
        .with("fingerprint", fingerprint)
        .with("state", "pending")
        .with(crate::ATTR_EXPIRES_AT, now_epoch_seconds() + KEEP_SECS);
    match store.put(item, Some(Condition::absent())).await {
        Ok(()) => return Ok(Claim::Claimed),
        Err(StoreError::ConditionFailed) => {}
        Err(e) => return Err(e.into()),
    }
    let Some(i) = store.get(&keys::idempotency(t, key)).await? else {
        // Expired between the two reads: treat as in progress; the client retries.
        return Ok(Claim::InProgress);
    };
    if i.s("fingerprint") != Some(fingerprint) {
        return Ok(Claim::Mismatch);
    }
    if i.s("state") != Some("done") {
        return Ok(Claim::InProgress);
    }
    Ok(Claim::Done(Stored {
        status: u16::try_from(i.n("status").unwrap_or(200)).map_err(|e| corrupt(e.to_string()))?,
        content_type: i.s("content_type").unwrap_or("application/json").to_owned(),
        body: i.s("body").unwrap_or_default().to_owned(),
    }))
}

pub async fn finish(store: &dyn Store, t: &TenantId, key: &str, r: &Stored) -> RepoResult<()> {
    store
        .update(
            &keys::idempotency(t, key),
            Update::new()
                .set("state", "done")
                .set("status", i64::from(r.status))
                .set("content_type", r.content_type.as_str())
                .set("body", r.body.as_str()),
            Some(Condition::present()),
        )
        .await?;
    Ok(())
}

/// Releases a claim whose work failed, so a retry can run it.
pub async fn abandon(store: &dyn Store, t: &TenantId, key: &str) -> RepoResult<()> {
    store
        .delete(
            &keys::idempotency(t, key),
            Some(Condition::eq("state", "pending")),
        )
        .await
        .or_else(|e| {
            if e == StoreError::ConditionFailed {
                Ok(())
            } else {
                Err(e)
            }
        })?;
    Ok(())
}
