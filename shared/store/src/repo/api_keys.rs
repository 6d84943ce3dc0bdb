//! Integrator API keys. Only the SHA-256 of a key is stored; the key itself
//! is shown once, when it is made. A key's id (for lists and revoking) is
//! the start of that hash; a tenant's keys are listed through GSI1. When a
//! key was last used is kept to the minute ([`touch`]).

use domain::TenantId;

use super::{RepoResult, corrupt};
use crate::{Condition, Index, Item, Query, Store, keys};

/// What is stored about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub tenant: TenantId,
    pub name: String,
    pub scopes: Vec<String>,
    /// The first characters of the key, to recognise it in lists.
    pub prefix: String,
    pub created_at: i64,
    /// Unix seconds; 0 when never used.
    pub last_used_at: i64,
    /// The first 16 hex digits of the key's SHA-256.
    pub id: String,
}

/// How often `last_used_at` is written at most.
pub const TOUCH_EVERY_SECS: i64 = 60;

pub async fn create(store: &dyn Store, sha256_hex: &str, rec: &ApiKeyRecord) -> RepoResult<()> {
    let item = Item::new(&keys::api_key(sha256_hex))
        .with("type", "api_key")
        .with("tenant_id", rec.tenant.as_str())
        .with("name", rec.name.as_str())
        .with("scopes", rec.scopes.join(" "))
        .with("prefix", rec.prefix.as_str())
        .with("created_at", rec.created_at)
        .with(Index::Gsi1.pk_attr(), keys::api_keys_index(&rec.tenant))
        .with(Index::Gsi1.sk_attr(), rec.prefix.as_str());
    store.put(item, Some(Condition::absent())).await?;
    Ok(())
}

pub async fn find(store: &dyn Store, sha256_hex: &str) -> RepoResult<Option<ApiKeyRecord>> {
    let Some(i) = store.get(&keys::api_key(sha256_hex)).await? else {
        return Ok(None);
    };
    read(&i).map(Some)
}

fn read(i: &Item) -> RepoResult<ApiKeyRecord> {
    let s = |n: &str| {
        i.s(n)
            .ok_or_else(|| corrupt(format!("api key without {n}")))
    };
    Ok(ApiKeyRecord {
        tenant: TenantId::parse(s("tenant_id")?).map_err(|e| corrupt(e.to_string()))?,
        name: s("name")?.to_owned(),
        scopes: s("scopes")?.split_whitespace().map(str::to_owned).collect(),
        prefix: s("prefix")?.to_owned(),
        created_at: i.n("created_at").unwrap_or(0),
        last_used_at: i.n("last_used_at").unwrap_or(0),
        id: i
            .key()
            .and_then(|k| {
                k.pk.strip_prefix("APIKEY#")
                    .map(|h| h.chars().take(16).collect())
            })
            .unwrap_or_default(),
    })
}

/// A tenant's keys, newest first.
pub async fn list(store: &dyn Store, t: &TenantId) -> RepoResult<Vec<ApiKeyRecord>> {
    let q = Query::index(Index::Gsi1, keys::api_keys_index(t));
    let mut all = super::every(store, q, read).await?;
    all.sort_by_key(|k| std::cmp::Reverse(k.created_at));
    Ok(all)
}

/// Revokes the tenant's key with this id; `Ok(false)` when there is none.
pub async fn revoke(store: &dyn Store, t: &TenantId, id: &str) -> RepoResult<bool> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let q = Query::index(Index::Gsi1, keys::api_keys_index(t));
    let items = super::every(store, q, |i| Ok(i.key())).await?;
    let Some(key) = items.into_iter().flatten().find(|k| {
        k.pk.strip_prefix("APIKEY#")
            .is_some_and(|h| h.starts_with(id))
    }) else {
        return Ok(false);
    };
    match store
        .delete(&key, Some(Condition::eq("tenant_id", t.as_str())))
        .await
    {
        Ok(()) => Ok(true),
        Err(crate::StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Notes that a key was used at `now` (written at most once a minute).
pub async fn touch(
    store: &dyn Store,
    sha256_hex: &str,
    rec: &ApiKeyRecord,
    now: i64,
) -> RepoResult<()> {
    if now - rec.last_used_at < TOUCH_EVERY_SECS {
        return Ok(());
    }
    match store
        .update(
            &keys::api_key(sha256_hex),
            crate::Update::new().set("last_used_at", now),
            Some(Condition::present()),
        )
        .await
    {
        // Revoked meanwhile: nothing to note.
        Ok(_) | Err(crate::StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
