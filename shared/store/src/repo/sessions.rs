//! Sessions: portal cookies and app bearer tokens. Only the SHA-256 of the
//! token is a key, so a copy of the table holds no usable session. Expiry is
//! `expires_at`, so an expired session is simply not found.

use domain::{AccountId, Role, TenantId};

use super::{RepoResult, corrupt};
use crate::{Condition, Item, Key, Store, StoreError, Update};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub tenant: TenantId,
    pub account: AccountId,
    pub role: Role,
    /// The anti-CSRF token forms of this session must carry.
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn create(store: &dyn Store, key: &Key, s: &Session) -> RepoResult<()> {
    let item = Item::new(key)
        .with("type", "session")
        .with("tenant_id", s.tenant.as_str())
        .with("account_id", s.account.as_str())
        .with("role", s.role.as_str())
        .with("csrf", s.csrf.as_str())
        .with("created_at", s.created_at)
        .with(crate::ATTR_EXPIRES_AT, s.expires_at);
    store.put(item, Some(Condition::absent())).await?;
    Ok(())
}

pub async fn get(store: &dyn Store, key: &Key) -> RepoResult<Option<Session>> {
    let Some(i) = store.get(key).await? else {
        return Ok(None);
    };
    let s = |n: &str| {
        i.s(n)
            .ok_or_else(|| corrupt(format!("session without {n}")))
    };
    Ok(Some(Session {
        tenant: TenantId::parse(s("tenant_id")?).map_err(|e| corrupt(e.to_string()))?,
        account: AccountId::parse(s("account_id")?).map_err(|e| corrupt(e.to_string()))?,
        role: Role::parse(s("role")?).ok_or_else(|| corrupt("session role"))?,
        csrf: s("csrf")?.to_owned(),
        created_at: i.n("created_at").unwrap_or(0),
        expires_at: i.n(crate::ATTR_EXPIRES_AT).unwrap_or(0),
    }))
}

/// Moves the expiry of a live session (sliding sessions).
pub async fn extend(store: &dyn Store, key: &Key, expires_at: i64) -> RepoResult<()> {
    match store
        .update(
            key,
            Update::new().set(crate::ATTR_EXPIRES_AT, expires_at),
            Some(Condition::present()),
        )
        .await
    {
        Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(store: &dyn Store, key: &Key) -> RepoResult<()> {
    store.delete(key, None).await?;
    Ok(())
}
