//! Integrator API keys. Only the SHA-256 of a key is stored; the key itself
//! is shown once, when it is made.

use domain::TenantId;

use super::{RepoResult, corrupt};
use crate::{Condition, Index, Item, Store, keys};

/// What is stored about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub tenant: TenantId,
    pub name: String,
    pub scopes: Vec<String>,
    /// The first characters of the key, to recognise it in lists.
    pub prefix: String,
    pub created_at: i64,
}

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
    let s = |n: &str| {
        i.s(n)
            .ok_or_else(|| corrupt(format!("api key without {n}")))
    };
    Ok(Some(ApiKeyRecord {
        tenant: TenantId::parse(s("tenant_id")?).map_err(|e| corrupt(e.to_string()))?,
        name: s("name")?.to_owned(),
        scopes: s("scopes")?.split_whitespace().map(str::to_owned).collect(),
        prefix: s("prefix")?.to_owned(),
        created_at: i.n("created_at").unwrap_or(0),
    }))
}
