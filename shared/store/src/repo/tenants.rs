//! Tenants (customer companies).

use domain::{PhoneNumber, Tenant, TenantId};

use super::{RepoError, RepoResult, corrupt};
use crate::{Condition, Index, Item, Query, Store, StoreError, keys};

fn to_item(t: &Tenant) -> Item {
    Item::new(&keys::tenant(&t.id))
        .with("type", "tenant")
        .with("tenant_id", t.id.as_str())
        .with("name", t.name.as_str())
        .with_opt(
            "representative",
            t.representative_number.as_ref().map(PhoneNumber::e164),
        )
        .with("region", t.region.as_str())
        .with("time_zone", t.time_zone.as_str())
        .with("created_at", t.created_at)
        .with(Index::Gsi1.pk_attr(), keys::TENANTS_INDEX)
        .with(Index::Gsi1.sk_attr(), t.id.as_str())
}

fn from_item(i: &Item) -> RepoResult<Tenant> {
    let s = |n: &str| i.s(n).ok_or_else(|| corrupt(format!("tenant without {n}")));
    Ok(Tenant {
        id: TenantId::parse(s("tenant_id")?).map_err(|e| corrupt(e.to_string()))?,
        name: s("name")?.to_owned(),
        representative_number: i
            .s("representative")
            .map(PhoneNumber::from_e164)
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?,
        region: s("region")?.to_owned(),
        time_zone: s("time_zone")?.to_owned(),
        created_at: i.n("created_at").unwrap_or(0),
    })
}

/// Creates a tenant; fails with [`RepoError::TenantExists`] if the id is taken.
pub async fn create(store: &dyn Store, t: &Tenant) -> RepoResult<()> {
    match store.put(to_item(t), Some(Condition::absent())).await {
        Err(StoreError::ConditionFailed) => Err(RepoError::TenantExists(t.id.to_string())),
        other => Ok(other?),
    }
}

pub async fn get(store: &dyn Store, id: &TenantId) -> RepoResult<Option<Tenant>> {
    store
        .get(&keys::tenant(id))
        .await?
        .as_ref()
        .map(from_item)
        .transpose()
}

/// Every tenant, ordered by id.
pub async fn list(store: &dyn Store) -> RepoResult<Vec<Tenant>> {
    let mut q = Query::index(Index::Gsi1, keys::TENANTS_INDEX);
    let mut out = Vec::new();
    loop {
        let page = store.query(&q).await?;
        for i in &page.items {
            out.push(from_item(i)?);
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}
