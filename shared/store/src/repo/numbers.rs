//! The pool of 070 numbers per region, and claiming one for an account.
//!
//! A free number carries the sparse GSI2 key `AVAIL#<region>`; claiming it
//! removes that key under the condition that it is still there, and in the
//! same transaction writes the tenant's DID marker and sets the account's
//! number (if the account has none). Two admins racing: one transaction wins.

use domain::{AccountId, PhoneNumber, TenantId};

use super::{RepoError, RepoResult, accounts};
use crate::{
    Condition, Cursor, Index, Item, Query, Store, StoreError, TxOp, Update, keys, now_epoch_seconds,
};

/// What happened to one number offered to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Added,
    AlreadyInPool,
}

/// Adds a free number to a region's pool; adding it again changes nothing.
pub async fn add(store: &dyn Store, region: &str, n: &PhoneNumber) -> RepoResult<Added> {
    let item = Item::new(&keys::pool_number(region, n))
        .with("type", "pool_number")
        .with("number", n.e164())
        .with("region", region)
        .with("added_at", now_epoch_seconds())
        .with(Index::Gsi2.pk_attr(), keys::pool_available(region))
        .with(Index::Gsi2.sk_attr(), n.e164());
    match store.put(item, Some(Condition::absent())).await {
        Ok(()) => Ok(Added::Added),
        Err(StoreError::ConditionFailed) => Ok(Added::AlreadyInPool),
        Err(e) => Err(e.into()),
    }
}

/// One page of a region's free numbers, in number order.
pub async fn available(
    store: &dyn Store,
    region: &str,
    limit: usize,
    cursor: Option<Cursor>,
) -> RepoResult<(Vec<PhoneNumber>, Option<Cursor>)> {
    let q = Query::index(Index::Gsi2, keys::pool_available(region))
        .limit(limit)
        .after(cursor);
    let page = store.query(&q).await?;
    let numbers = page
        .items
        .iter()
        .filter_map(|i| i.s("number").and_then(|s| PhoneNumber::from_e164(s).ok()))
        .collect();
    Ok((numbers, page.next))
}

/// Counts a region's free numbers.
pub async fn count_available(store: &dyn Store, region: &str) -> RepoResult<usize> {
    let mut q = Query::index(Index::Gsi2, keys::pool_available(region)).limit(1000);
    let mut n = 0;
    loop {
        let page = store.query(&q).await?;
        n += page.items.len();
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return Ok(n),
        }
    }
}

/// Gives a free number of `region` to an account that has none.
pub async fn assign(
    store: &dyn Store,
    region: &str,
    tenant: &TenantId,
    account: &AccountId,
    n: &PhoneNumber,
) -> RepoResult<()> {
    let mut ops = claim_ops(region, tenant, account, n);
    ops.push(TxOp::Update {
        key: keys::account(tenant, account),
        update: Update::new().set("number", n.e164()),
        condition: Some(Condition::present().and(Condition::not_exists("number"))),
    });
    match store.transact_write(ops).await {
        Ok(()) => super::directory::changed(store, tenant).await,
        Err(StoreError::TransactionCanceled { failed }) => {
            if failed.contains(&2) {
                let exists = accounts::get(store, tenant, account).await?.is_some();
                return Err(if exists {
                    RepoError::AccountHasNumber
                } else {
                    RepoError::NoSuchAccount
                });
            }
            Err(RepoError::NumberNotFree(n.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

/// The operations that return `n`, held by `account`, to the pool.
pub(crate) fn release_ops(
    region: &str,
    tenant: &TenantId,
    account: &AccountId,
    n: &PhoneNumber,
) -> Vec<TxOp> {
    vec![
        TxOp::Update {
            key: keys::pool_number(region, n),
            update: Update::new()
                .set(Index::Gsi2.pk_attr(), keys::pool_available(region))
                .set(Index::Gsi2.sk_attr(), n.e164())
                .remove("tenant_id")
                .remove("account_id")
                .remove("assigned_at"),
            condition: Some(Condition::eq("account_id", account.as_str())),
        },
        TxOp::Delete {
            key: keys::did(tenant, n),
            condition: Some(Condition::eq("account_id", account.as_str())),
        },
    ]
}

fn claim_ops(region: &str, tenant: &TenantId, account: &AccountId, n: &PhoneNumber) -> Vec<TxOp> {
    vec![
        TxOp::Update {
            key: keys::pool_number(region, n),
            update: Update::new()
                .remove(Index::Gsi2.pk_attr())
                .remove(Index::Gsi2.sk_attr())
                .set("tenant_id", tenant.as_str())
                .set("account_id", account.as_str())
                .set("assigned_at", now_epoch_seconds()),
            condition: Some(Condition::exists(Index::Gsi2.pk_attr())),
        },
        TxOp::Put {
            item: Item::new(&keys::did(tenant, n))
                .with("type", "did")
                .with("number", n.e164())
                .with("region", region)
                .with("account_id", account.as_str()),
            condition: Some(Condition::absent()),
        },
    ]
}

/// Changes an account's number from `old` to `new` in one transaction:
/// `new` is claimed, `old` goes back to the pool. Fails without a trace if
/// `new` is taken or the account's number is no longer `old`.
pub async fn change(
    store: &dyn Store,
    region: &str,
    tenant: &TenantId,
    account: &AccountId,
    old: &PhoneNumber,
    new: &PhoneNumber,
) -> RepoResult<()> {
    if old == new {
        return Ok(());
    }
    let mut ops = claim_ops(region, tenant, account, new);
    ops.push(TxOp::Update {
        key: keys::account(tenant, account),
        update: Update::new().set("number", new.e164()),
        condition: Some(Condition::eq("number", old.e164())),
    });
    ops.extend(release_ops(region, tenant, account, old));
    match store.transact_write(ops).await {
        Ok(()) => super::directory::changed(store, tenant).await,
        Err(StoreError::TransactionCanceled { failed }) => {
            if failed.contains(&0) || failed.contains(&1) {
                Err(RepoError::NumberNotFree(new.to_string()))
            } else {
                Err(RepoError::Stale)
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Takes an account's number back into the pool (회수).
pub async fn reclaim(
    store: &dyn Store,
    region: &str,
    tenant: &TenantId,
    account: &AccountId,
    n: &PhoneNumber,
) -> RepoResult<()> {
    let mut ops = vec![TxOp::Update {
        key: keys::account(tenant, account),
        update: Update::new().remove("number"),
        condition: Some(Condition::eq("number", n.e164())),
    }];
    ops.extend(release_ops(region, tenant, account, n));
    match store.transact_write(ops).await {
        Ok(()) => super::directory::changed(store, tenant).await,
        Err(StoreError::TransactionCanceled { .. }) => Err(RepoError::Stale),
        Err(e) => Err(e.into()),
    }
}
