//! Business hours (U4) per account, stored as the domain's validated JSON,
//! and the operator's one-off public holidays (elections, 임시공휴일).

use domain::calendar::Date;
use domain::hours::BusinessHours;
use domain::{AccountId, TenantId};

use super::{RepoResult, corrupt, from_json, json_item};
use crate::{Condition, Item, Key, Query, SortKey, Store, StoreError, keys};

fn key(t: &TenantId, a: &AccountId) -> Key {
    Key::new(keys::tenant_pk(t), format!("HOURS#{a}"))
}

/// The account's settings, or the default (hours off) when never saved.
pub async fn get(store: &dyn Store, t: &TenantId, a: &AccountId) -> RepoResult<BusinessHours> {
    Ok(find(store, t, a).await?.unwrap_or_default())
}

/// The user's saved settings, if they ever saved any.
pub async fn find(
    store: &dyn Store,
    t: &TenantId,
    a: &AccountId,
) -> RepoResult<Option<BusinessHours>> {
    match store.get(&key(t, a)).await? {
        Some(i) => from_json(&i, "business hours").map(Some),
        None => Ok(None),
    }
}

pub async fn put(
    store: &dyn Store,
    t: &TenantId,
    a: &AccountId,
    h: &BusinessHours,
) -> RepoResult<()> {
    store
        .put(json_item(&key(t, a), "business_hours", h)?, None)
        .await?;
    super::directory::changed(store, t).await
}

const ONE_OFF_PK: &str = "HOLIDAYS#KR";

/// Adds (or renames) an operator one-off holiday.
pub async fn add_one_off(store: &dyn Store, date: Date, name: &str) -> RepoResult<()> {
    let item = Item::new(&Key::new(ONE_OFF_PK, format!("D#{date}")))
        .with("type", "one_off_holiday")
        .with("date", date.to_string())
        .with("name", name);
    store.put(item, None).await?;
    Ok(())
}

/// Removes a one-off holiday; false when there was none.
pub async fn remove_one_off(store: &dyn Store, date: Date) -> RepoResult<bool> {
    match store
        .delete(
            &Key::new(ONE_OFF_PK, format!("D#{date}")),
            Some(Condition::present()),
        )
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// One-off holidays of a year.
pub async fn one_offs(store: &dyn Store, year: i32) -> RepoResult<Vec<(Date, String)>> {
    let q = Query::partition(ONE_OFF_PK)
        .sk(SortKey::BeginsWith(format!("D#{year:04}-")))
        .limit(1000);
    let page = store.query(&q).await?;
    page.items
        .iter()
        .map(|i| {
            let d = i
                .s("date")
                .and_then(|d| Date::parse(d).ok())
                .ok_or_else(|| corrupt("one-off holiday without date"))?;
            Ok((d, i.s("name").unwrap_or_default().to_owned()))
        })
        .collect()
}
