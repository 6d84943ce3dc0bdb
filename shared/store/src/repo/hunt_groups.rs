//! Hunt groups (T11). Each group is one item holding the domain's
//! validated JSON. Its extension's marker is the one accounts use (with
//! `group_id` instead of `account_id`), so an extension reaches exactly
//! one user or one group. The group's state is a second item that the
//! edge updates as members answer: the round-robin memory and each
//! member's calls and last call end. It survives a restart of the edge.
//! Every change bumps the tenant's directory version (the edge routes by it).

use std::collections::HashMap;

use domain::hunt::{HuntGroup, Memory};
use domain::{AccountId, Extension, HuntGroupId, TenantId};

use super::{RepoError, RepoResult, every, from_json, json_item};
use crate::{Condition, Item, Key, Query, SortKey, Store, StoreError, TxOp, Update, keys};

const PREFIX: &str = "HUNT#";
const STATE_PREFIX: &str = "HUNTSTATE#";

fn key(t: &TenantId, id: &HuntGroupId) -> Key {
    Key::new(keys::tenant_pk(t), format!("{PREFIX}{id}"))
}

fn state_key(t: &TenantId, id: &HuntGroupId) -> Key {
    Key::new(keys::tenant_pk(t), format!("{STATE_PREFIX}{id}"))
}

fn item(g: &HuntGroup) -> RepoResult<Item> {
    json_item(&key(&g.tenant, &g.id), "hunt_group", g)
}

fn from_item(i: &Item) -> RepoResult<HuntGroup> {
    from_json(i, "hunt group")
}

fn marker(g: &HuntGroup, ext: &Extension) -> Item {
    Item::new(&keys::extension_marker(&g.tenant, ext))
        .with("type", "extension")
        .with("group_id", g.id.as_str())
}

/// Who an extension marker points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionHolder {
    Account(AccountId),
    Group(HuntGroupId),
}

/// Reads an extension marker item (an account's or a group's).
pub fn holder_of(marker: &Item) -> Option<ExtensionHolder> {
    if let Some(a) = marker.s("account_id") {
        return AccountId::parse(a).ok().map(ExtensionHolder::Account);
    }
    marker
        .s("group_id")
        .and_then(|g| HuntGroupId::parse(g).ok())
        .map(ExtensionHolder::Group)
}

/// Maps a cancelled transaction: its first operation (the group's own
/// condition) failing means stale, `ext_op` failing means the extension is taken.
fn taken_or(e: StoreError, ext_op: Option<usize>, ext: Option<Extension>) -> RepoError {
    match e {
        StoreError::TransactionCanceled { failed } if failed.contains(&0) => RepoError::Stale,
        StoreError::TransactionCanceled { failed }
            if ext_op.is_some_and(|i| failed.contains(&i)) =>
        {
            RepoError::ExtensionTaken(ext.map(|e| e.to_string()).unwrap_or_default())
        }
        e => e.into(),
    }
}

/// Creates a group (and its extension marker, if the extension is free).
pub async fn create(store: &dyn Store, g: &HuntGroup) -> RepoResult<()> {
    let mut ops = vec![
        TxOp::Check {
            key: keys::tenant(&g.tenant),
            condition: Condition::present(),
        },
        TxOp::Put {
            item: item(g)?,
            condition: Some(Condition::absent()),
        },
    ];
    let ext_op = g.extension.map(|ext| {
        ops.push(TxOp::Put {
            item: marker(g, &ext),
            condition: Some(Condition::absent()),
        });
        ops.len() - 1
    });
    match store.transact_write(ops).await {
        Ok(()) => super::directory::changed(store, &g.tenant).await,
        Err(StoreError::TransactionCanceled { failed }) if failed.first() == Some(&0) => {
            Err(RepoError::NoSuchTenant(g.tenant.to_string()))
        }
        Err(e) => Err(taken_or(e, ext_op, g.extension)),
    }
}

pub async fn get(
    store: &dyn Store,
    t: &TenantId,
    id: &HuntGroupId,
) -> RepoResult<Option<HuntGroup>> {
    store
        .get(&key(t, id))
        .await?
        .as_ref()
        .map(from_item)
        .transpose()
}

/// Every group of the tenant, by creation (ids are time-ordered).
pub async fn all(store: &dyn Store, t: &TenantId) -> RepoResult<Vec<HuntGroup>> {
    let q = Query::partition(keys::tenant_pk(t))
        .sk(SortKey::BeginsWith(PREFIX.into()))
        .limit(1000);
    every(store, q, from_item).await
}

/// Replaces `before` by `after` (same tenant and id), moving the extension
/// marker when the extension changed. Fails as stale when the stored group
/// is no longer `before` (someone saved meanwhile).
pub async fn update(store: &dyn Store, before: &HuntGroup, after: &HuntGroup) -> RepoResult<()> {
    let old = item(before)?;
    let mut ops = vec![TxOp::Put {
        item: item(after)?,
        condition: Some(Condition::eq("json", old.s("json").unwrap_or_default())),
    }];
    let mut ext_op = None;
    if before.extension != after.extension {
        if let Some(ext) = after.extension {
            ext_op = Some(ops.len());
            ops.push(TxOp::Put {
                item: marker(after, &ext),
                condition: Some(Condition::absent()),
            });
        }
        if let Some(ext) = before.extension {
            ops.push(TxOp::Delete {
                key: keys::extension_marker(&before.tenant, &ext),
                condition: Some(Condition::eq("group_id", before.id.as_str())),
            });
        }
    }
    store
        .transact_write(ops)
        .await
        .map_err(|e| taken_or(e, ext_op, after.extension))?;
    super::directory::changed(store, &after.tenant).await
}

/// Deletes the group, its extension marker and its state.
pub async fn delete(store: &dyn Store, g: &HuntGroup) -> RepoResult<()> {
    let mut ops = vec![
        TxOp::Delete {
            key: key(&g.tenant, &g.id),
            condition: Some(Condition::present()),
        },
        TxOp::Delete {
            key: state_key(&g.tenant, &g.id),
            condition: None,
        },
    ];
    if let Some(ext) = g.extension {
        ops.push(TxOp::Delete {
            key: keys::extension_marker(&g.tenant, &ext),
            condition: Some(Condition::eq("group_id", g.id.as_str())),
        });
    }
    store.transact_write(ops).await.map_err(|e| match e {
        StoreError::TransactionCanceled { .. } => RepoError::Stale,
        e => e.into(),
    })?;
    super::directory::changed(store, &g.tenant).await
}

/// A member's record in the group: calls answered, when the last ended,
/// and whether they paused taking the group's calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberStats {
    pub calls: u32,
    pub last_call_end: Option<i64>,
    pub paused: bool,
}

/// What the group remembers between calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupState {
    pub memory: Memory,
    pub members: HashMap<AccountId, MemberStats>,
}

const CALLS: &str = "calls_";
const LAST: &str = "last_";
const PAUSED: &str = "paused_";

pub async fn state(store: &dyn Store, t: &TenantId, id: &HuntGroupId) -> RepoResult<GroupState> {
    let Some(i) = store.get(&state_key(t, id)).await? else {
        return Ok(GroupState::default());
    };
    let mut s = GroupState {
        memory: Memory {
            last: i.s("rr_last").and_then(|a| AccountId::parse(a).ok()),
        },
        members: HashMap::new(),
    };
    for (name, _) in i.0.iter() {
        let Some(a) = [CALLS, PAUSED]
            .iter()
            .find_map(|p| name.strip_prefix(p))
            .and_then(|a| AccountId::parse(a).ok())
        else {
            continue;
        };
        s.members.insert(
            a.clone(),
            MemberStats {
                calls: u32::try_from(i.n(&format!("{CALLS}{a}")).unwrap_or(0)).unwrap_or(u32::MAX),
                last_call_end: i.n(&format!("{LAST}{a}")),
                paused: i.n(&format!("{PAUSED}{a}")) == Some(1),
            },
        );
    }
    Ok(s)
}

/// Records that `member` answered a call of the group: a round-robin
/// group's rotation goes on after them.
pub async fn answered(store: &dyn Store, g: &HuntGroup, member: &AccountId) -> RepoResult<()> {
    if !g.strategy.rotates() {
        return Ok(());
    }
    let u = Update::new()
        .set("type", "hunt_group_state")
        .set("rr_last", member.as_str());
    store.update(&state_key(&g.tenant, &g.id), u, None).await?;
    Ok(())
}

/// Records that a group call `member` answered ended at `at`: one more
/// call for fewest-calls, and the end that least-recent and wrap-up count
/// from.
pub async fn call_ended(
    store: &dyn Store,
    g: &HuntGroup,
    member: &AccountId,
    at: i64,
) -> RepoResult<()> {
    let u = Update::new()
        .set("type", "hunt_group_state")
        .add(&format!("{CALLS}{member}"), 1)
        .set(&format!("{LAST}{member}"), at);
    store.update(&state_key(&g.tenant, &g.id), u, None).await?;
    Ok(())
}

/// Pauses (or resumes) `member`'s taking of the group's calls.
pub async fn set_paused(
    store: &dyn Store,
    g: &HuntGroup,
    member: &AccountId,
    paused: bool,
) -> RepoResult<()> {
    let u = Update::new()
        .set("type", "hunt_group_state")
        .set(&format!("{PAUSED}{member}"), i64::from(paused));
    store.update(&state_key(&g.tenant, &g.id), u, None).await?;
    Ok(())
}
