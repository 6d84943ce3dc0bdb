//! Departments of a tenant's org chart, one item each, keyed by name (names
//! are unique in a tenant).

use domain::{Department, TenantId};

use super::{RepoError, RepoResult, corrupt};
use crate::{Condition, Item, Key, Query, SortKey, Store, StoreError, TxOp, keys};

const PREFIX: &str = "DEPT#";

fn key(t: &TenantId, name: &str) -> Key {
    Key::new(keys::tenant_pk(t), format!("{PREFIX}{name}"))
}

pub async fn all(store: &dyn Store, t: &TenantId) -> RepoResult<Vec<Department>> {
    let q = Query::partition(keys::tenant_pk(t))
        .sk(SortKey::BeginsWith(PREFIX.into()))
        .limit(1000);
    super::every(store, q, |i| {
        Ok(Department {
            name: i
                .s("name")
                .ok_or_else(|| corrupt("department without name"))?
                .to_owned(),
            parent: i.s("parent").map(str::to_owned),
        })
    })
    .await
}

/// The operations that create `d` (if its name is free) under its parent
/// (which must exist), to run inside a larger transaction.
pub fn create_ops(t: &TenantId, d: &Department) -> Vec<TxOp> {
    let mut ops = vec![TxOp::Put {
        item: Item::new(&key(t, &d.name))
            .with("type", "department")
            .with("name", d.name.as_str())
            .with_opt("parent", d.parent.as_deref()),
        condition: Some(Condition::absent()),
    }];
    if let Some(p) = &d.parent {
        ops.push(TxOp::Check {
            key: key(t, p),
            condition: Condition::present(),
        });
    }
    ops
}

/// Creates a department under `parent` (which must exist), if the name is free.
pub async fn create(store: &dyn Store, t: &TenantId, d: &Department) -> RepoResult<()> {
    match store.transact_write(create_ops(t, d)).await {
        Ok(()) => Ok(()),
        Err(StoreError::TransactionCanceled { failed }) if failed == [0] => {
            Err(RepoError::DepartmentExists(d.name.clone()))
        }
        Err(StoreError::TransactionCanceled { .. }) => Err(RepoError::NoSuchDepartment(
            d.parent.clone().unwrap_or_default(),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(store: &dyn Store, t: &TenantId, name: &str) -> RepoResult<()> {
    match store
        .delete(&key(t, name), Some(Condition::present()))
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(RepoError::NoSuchDepartment(name.to_owned())),
        Err(e) => Err(e.into()),
    }
}
