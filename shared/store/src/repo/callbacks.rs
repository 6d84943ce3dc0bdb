//! Callback requests (T8). Each request is one item holding the domain's
//! JSON, keyed by its time-ordered id under the tenant. While a request is
//! open, a marker per number (`CALLBACK-OPEN#<digits>`) names it, written in
//! the same transaction: the same number asking again finds the open
//! request in one read and is merged into it, and two asks racing cannot
//! open two requests (one transaction loses and merges instead).

use domain::callback::Callback;
use domain::{CallbackId, PhoneNumber, TenantId};

use super::{RepoError, RepoResult, every, from_json, json_item};
use crate::{Condition, Item, Key, Query, SortKey, Store, StoreError, TxOp, keys};

const PREFIX: &str = "CALLBACK#";

fn key(t: &TenantId, id: &CallbackId) -> Key {
    Key::new(keys::tenant_pk(t), format!("{PREFIX}{id}"))
}

fn open_key(t: &TenantId, n: &PhoneNumber) -> Key {
    Key::new(
        keys::tenant_pk(t),
        format!("CALLBACK-OPEN#{}", n.national_digits()),
    )
}

fn item(c: &Callback) -> RepoResult<Item> {
    json_item(&key(&c.tenant, &c.id), "callback", c)
}

fn from_item(i: &Item) -> RepoResult<Callback> {
    from_json(i, "callback request")
}

/// How many times an ask retries when a concurrent one changed things.
const ATTEMPTS: usize = 8;

/// Files `fresh` (an open request), or merges it into the open request of
/// the same number: the stored request, and whether it was merged.
pub async fn ask(store: &dyn Store, fresh: &Callback) -> RepoResult<(Callback, bool)> {
    let marker_key = open_key(&fresh.tenant, &fresh.number);
    for _ in 0..ATTEMPTS {
        let marker = store.get(&marker_key).await?;
        let named = marker
            .as_ref()
            .and_then(|m| m.s("callback_id"))
            .map(str::to_owned);
        let open = match named.as_deref().map(CallbackId::parse) {
            Some(Ok(id)) => get(store, &fresh.tenant, &id).await?,
            _ => None,
        };
        if let Some(before) = open.filter(Callback::is_open) {
            let mut after = before.clone();
            after.again(fresh.name.clone(), fresh.last_requested_ms);
            match update(store, &before, &after).await {
                Ok(()) => return Ok((after, true)),
                Err(RepoError::Stale) => continue,
                Err(e) => return Err(e),
            }
        }
        // No open request: file this one, provided the marker is still as
        // read (absent, or naming a request that was closed).
        let marker_condition = match &named {
            Some(id) => Condition::eq("callback_id", id.as_str()),
            None => Condition::absent(),
        };
        let ops = vec![
            TxOp::Put {
                item: item(fresh)?,
                condition: Some(Condition::absent()),
            },
            TxOp::Put {
                item: Item::new(&marker_key)
                    .with("type", "callback_open")
                    .with("callback_id", fresh.id.as_str()),
                condition: Some(marker_condition),
            },
            TxOp::Check {
                key: keys::tenant(&fresh.tenant),
                condition: Condition::present(),
            },
        ];
        match store.transact_write(ops).await {
            Ok(()) => return Ok((fresh.clone(), false)),
            Err(StoreError::TransactionCanceled { failed }) if failed.contains(&2) => {
                return Err(RepoError::NoSuchTenant(fresh.tenant.to_string()));
            }
            // Another ask won the race: merge into its request.
            Err(StoreError::TransactionCanceled { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(RepoError::Stale)
}

pub async fn get(store: &dyn Store, t: &TenantId, id: &CallbackId) -> RepoResult<Option<Callback>> {
    store
        .get(&key(t, id))
        .await?
        .as_ref()
        .map(from_item)
        .transpose()
}

/// The tenant's requests, newest first.
pub async fn all(store: &dyn Store, t: &TenantId) -> RepoResult<Vec<Callback>> {
    let q = Query::partition(keys::tenant_pk(t))
        .sk(SortKey::BeginsWith(PREFIX.into()))
        .descending()
        .limit(500);
    every(store, q, from_item).await
}

/// Replaces `before` by `after` (stale if the stored one is no longer
/// `before`); a request that closes gives up its number's marker.
pub async fn update(store: &dyn Store, before: &Callback, after: &Callback) -> RepoResult<()> {
    let old = item(before)?;
    let mut ops = vec![TxOp::Put {
        item: item(after)?,
        condition: Some(Condition::eq("json", old.s("json").unwrap_or_default())),
    }];
    if before.is_open() && !after.is_open() {
        ops.push(TxOp::Delete {
            key: open_key(&after.tenant, &after.number),
            condition: Some(Condition::eq("callback_id", after.id.as_str())),
        });
    }
    match store.transact_write(ops).await {
        Ok(()) => Ok(()),
        Err(StoreError::TransactionCanceled { failed }) if failed.contains(&0) => {
            Err(RepoError::Stale)
        }
        // The marker was already gone or taken over: the request is closed.
        Err(StoreError::TransactionCanceled { .. }) => store
            .put(
                item(after)?,
                Some(Condition::eq("json", old.s("json").unwrap_or_default())),
            )
            .await
            .map_err(|e| match e {
                StoreError::ConditionFailed => RepoError::Stale,
                e => e.into(),
            }),
        Err(e) => Err(e.into()),
    }
}
