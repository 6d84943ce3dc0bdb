//! Repositories: each entity's reads and writes over the [`Store`] port,
//! written once and used by every adapter. Multi-item invariants (a login
//! e-mail or an extension used once, a number held by one account) are
//! marker items written in the same transaction as the change.

pub mod accounts;
pub mod api_keys;
pub mod callbacks;
pub mod calls;
pub mod departments;
pub mod directory;
pub mod events;
pub mod hours;
pub mod hunt_groups;
pub mod idempotency;
pub mod inbox;
pub mod ivr;
pub mod messages;
pub mod numbers;
pub mod originations;
pub mod registrations;
pub mod sessions;
pub mod sink;
pub mod stats;
pub mod tenants;
pub mod throttle;
pub mod verifications;
pub mod webhooks;

use crate::{Item, Key, Query, Store, StoreError};

/// Errors of the repositories: the store's, plus the conflicts a user can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoError {
    #[error("tenant {0} already exists")]
    TenantExists(String),
    #[error("tenant {0} does not exist")]
    NoSuchTenant(String),
    #[error("e-mail {0} is already used by another account")]
    EmailTaken(String),
    #[error("extension {0} is already in use")]
    ExtensionTaken(String),
    #[error("number {0} is not free")]
    NumberNotFree(String),
    #[error("the account already has a number")]
    AccountHasNumber,
    #[error("no such account")]
    NoSuchAccount,
    #[error("an org-chart upload is in progress")]
    OrgLocked,
    #[error("department {0} already exists")]
    DepartmentExists(String),
    #[error("no department {0}")]
    NoSuchDepartment(String),
    #[error("the SIP user name is taken; try again")]
    SipUsernameTaken,
    #[error("the account changed meanwhile; reload and try again")]
    Stale,
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type RepoResult<T> = Result<T, RepoError>;

pub(crate) fn corrupt(what: impl Into<String>) -> RepoError {
    RepoError::Corrupt(what.into())
}

/// Every item `q` finds, page after page, each read by `read`.
pub(crate) async fn every<T>(
    store: &dyn Store,
    mut q: Query,
    read: impl Fn(&Item) -> RepoResult<T>,
) -> RepoResult<Vec<T>> {
    let mut out = Vec::new();
    loop {
        let page = store.query(&q).await?;
        for i in &page.items {
            out.push(read(i)?);
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// An item at `key` of `kind` holding `value` as JSON (`json`): for
/// entities the domain validates whole (business hours, hunt groups, ARS
/// scenarios).
pub(crate) fn json_item<T: serde::Serialize>(key: &Key, kind: &str, value: &T) -> RepoResult<Item> {
    let json = serde_json::to_string(value).map_err(|e| corrupt(e.to_string()))?;
    Ok(Item::new(key).with("type", kind).with("json", json))
}

/// The value a [`json_item`] holds (`what` names it in a corruption error).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(i: &Item, what: &str) -> RepoResult<T> {
    serde_json::from_str(i.s("json").unwrap_or_default())
        .map_err(|e| corrupt(format!("{what}: {e}")))
}
