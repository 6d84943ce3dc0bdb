//! One-time codes (sign-up by SMS, e-mail confirmation): the code's hash,
//! what it confirms, a bounded number of attempts, and an expiry.

use super::{RepoError, RepoResult, corrupt};
use crate::{Condition, Item, Store, StoreError, Update, keys};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub id: String,
    /// What is being verified (`signup`, `email`).
    pub purpose: String,
    /// SHA-256 of the code, hex.
    pub code_hash: String,
    /// JSON of what to do once verified.
    pub payload: String,
    pub attempts: i64,
    pub expires_at: i64,
}

pub async fn create(store: &dyn Store, v: &Verification) -> RepoResult<()> {
    let item = Item::new(&keys::verification(&v.id))
        .with("type", "verification")
        .with("purpose", v.purpose.as_str())
        .with("code_hash", v.code_hash.as_str())
        .with("payload", v.payload.as_str())
        .with("attempts", v.attempts)
        .with(crate::ATTR_EXPIRES_AT, v.expires_at);
    store.put(item, Some(Condition::absent())).await?;
    Ok(())
}

pub async fn get(store: &dyn Store, id: &str) -> RepoResult<Option<Verification>> {
    let Some(i) = store.get(&keys::verification(id)).await? else {
        return Ok(None);
    };
    let s = |n: &str| {
        i.s(n)
            .ok_or_else(|| corrupt(format!("verification without {n}")))
    };
    Ok(Some(Verification {
        id: id.to_owned(),
        purpose: s("purpose")?.to_owned(),
        code_hash: s("code_hash")?.to_owned(),
        payload: s("payload")?.to_owned(),
        attempts: i.n("attempts").unwrap_or(0),
        expires_at: i.n(crate::ATTR_EXPIRES_AT).unwrap_or(0),
    }))
}

/// Counts an attempt if fewer than `max` were made; `Err(Stale)` otherwise.
pub async fn attempt(store: &dyn Store, id: &str, max: i64) -> RepoResult<i64> {
    let cond = Condition::present().and(Condition::Lt("attempts".into(), max.into()));
    match store
        .update(
            &keys::verification(id),
            Update::new().add("attempts", 1),
            Some(cond),
        )
        .await
    {
        Ok(i) => Ok(i.n("attempts").unwrap_or(max)),
        Err(StoreError::ConditionFailed) => Err(RepoError::Stale),
        Err(e) => Err(e.into()),
    }
}

/// Consumes a verification: only one caller can (the second gets `Stale`).
pub async fn consume(store: &dyn Store, id: &str) -> RepoResult<()> {
    match store
        .delete(&keys::verification(id), Some(Condition::present()))
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(RepoError::Stale),
        Err(e) => Err(e.into()),
    }
}
