//! ARS scenarios (T4). Each scenario is one item holding the domain's
//! validated JSON. Each number it answers has a marker (`IVRNUM#<digits>`)
//! written in the same transaction, so a number answers at most one
//! scenario and the edge finds the scenario for a dialled number in one
//! read.

use domain::ivr::Scenario;
use domain::{IvrId, PhoneNumber, TenantId};

use super::{RepoError, RepoResult, corrupt, every, from_json, json_item};
use crate::{Condition, Item, Key, Query, SortKey, Store, StoreError, TxOp, keys};

const PREFIX: &str = "IVR#";

fn key(t: &TenantId, id: &IvrId) -> Key {
    Key::new(keys::tenant_pk(t), format!("{PREFIX}{id}"))
}

fn number_key(n: &PhoneNumber) -> Key {
    Key::new(format!("IVRNUM#{}", n.national_digits()), keys::UNIQUE)
}

fn item(s: &Scenario) -> RepoResult<Item> {
    json_item(&key(&s.tenant, &s.id), "ivr", s)
}

fn from_item(i: &Item) -> RepoResult<Scenario> {
    from_json(i, "ivr scenario")
}

fn number_marker(s: &Scenario, n: &PhoneNumber) -> TxOp {
    TxOp::Put {
        item: Item::new(&number_key(n))
            .with("type", "ivr_number")
            .with("tenant_id", s.tenant.as_str())
            .with("ivr_id", s.id.as_str()),
        condition: Some(Condition::absent()),
    }
}

/// The numbers of `failed` operations that were number markers (`first`
/// is the index of the first marker, in `numbers`' order).
fn taken(failed: &[usize], first: usize, numbers: &[&PhoneNumber]) -> Option<String> {
    failed
        .iter()
        .find_map(|&i| i.checked_sub(first).and_then(|k| numbers.get(k)))
        .map(|n| n.to_string())
}

pub async fn create(store: &dyn Store, s: &Scenario) -> RepoResult<()> {
    let mut ops = vec![
        TxOp::Check {
            key: keys::tenant(&s.tenant),
            condition: Condition::present(),
        },
        TxOp::Put {
            item: item(s)?,
            condition: Some(Condition::absent()),
        },
    ];
    let numbers: Vec<&PhoneNumber> = s.numbers.iter().collect();
    ops.extend(numbers.iter().map(|n| number_marker(s, n)));
    match store.transact_write(ops).await {
        // The edge's cached view of the tenant learns of the new scenario.
        Ok(()) => super::directory::changed(store, &s.tenant).await,
        Err(StoreError::TransactionCanceled { failed }) if failed.first() == Some(&0) => {
            Err(RepoError::NoSuchTenant(s.tenant.to_string()))
        }
        Err(StoreError::TransactionCanceled { failed }) => {
            Err(taken(&failed, 2, &numbers).map_or(RepoError::Stale, RepoError::NumberNotFree))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn get(store: &dyn Store, t: &TenantId, id: &IvrId) -> RepoResult<Option<Scenario>> {
    store
        .get(&key(t, id))
        .await?
        .as_ref()
        .map(from_item)
        .transpose()
}

pub async fn all(store: &dyn Store, t: &TenantId) -> RepoResult<Vec<Scenario>> {
    let q = Query::partition(keys::tenant_pk(t))
        .sk(SortKey::BeginsWith(PREFIX.into()))
        .limit(1000);
    every(store, q, from_item).await
}

/// Replaces `before` by `after`, moving number markers as the numbers
/// changed; stale when the stored scenario is no longer `before`.
pub async fn update(store: &dyn Store, before: &Scenario, after: &Scenario) -> RepoResult<()> {
    let old = item(before)?;
    let mut ops = vec![TxOp::Put {
        item: item(after)?,
        condition: Some(Condition::eq("json", old.s("json").unwrap_or_default())),
    }];
    let added: Vec<&PhoneNumber> = after
        .numbers
        .iter()
        .filter(|n| !before.numbers.contains(n))
        .collect();
    ops.extend(added.iter().map(|n| number_marker(after, n)));
    for n in before.numbers.iter().filter(|n| !after.numbers.contains(n)) {
        ops.push(TxOp::Delete {
            key: number_key(n),
            condition: Some(Condition::eq("ivr_id", before.id.as_str())),
        });
    }
    match store.transact_write(ops).await {
        Ok(()) => super::directory::changed(store, &after.tenant).await,
        Err(StoreError::TransactionCanceled { failed }) if failed.contains(&0) => {
            Err(RepoError::Stale)
        }
        Err(StoreError::TransactionCanceled { failed }) => {
            Err(taken(&failed, 1, &added).map_or(RepoError::Stale, RepoError::NumberNotFree))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(store: &dyn Store, s: &Scenario) -> RepoResult<()> {
    let mut ops = vec![TxOp::Delete {
        key: key(&s.tenant, &s.id),
        condition: Some(Condition::present()),
    }];
    for n in &s.numbers {
        ops.push(TxOp::Delete {
            key: number_key(n),
            condition: Some(Condition::eq("ivr_id", s.id.as_str())),
        });
    }
    store.transact_write(ops).await.map_err(|e| match e {
        StoreError::TransactionCanceled { .. } => RepoError::Stale,
        e => e.into(),
    })?;
    super::directory::changed(store, &s.tenant).await
}

/// The scenario that answers calls to `n`, if any.
pub async fn answering(
    store: &dyn Store,
    n: &PhoneNumber,
) -> RepoResult<Option<(TenantId, IvrId)>> {
    let Some(i) = store.get(&number_key(n)).await? else {
        return Ok(None);
    };
    match (i.s("tenant_id"), i.s("ivr_id")) {
        (Some(t), Some(id)) => Ok(Some((
            TenantId::parse(t).map_err(|e| corrupt(e.to_string()))?,
            IvrId::parse(id).map_err(|e| corrupt(e.to_string()))?,
        ))),
        _ => Err(corrupt("ivr number marker without its scenario")),
    }
}
