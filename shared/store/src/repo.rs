//! Repositories: each entity's reads and writes over the [`Store`] port,
//! written once and used by every adapter. Multi-item invariants (a login
//! e-mail or an extension used once, a number held by one account) are
//! marker items written in the same transaction as the change.

pub mod accounts;
pub mod api_keys;
pub mod calls;
pub mod departments;
pub mod directory;
pub mod hours;
pub mod hunt_groups;
pub mod idempotency;
pub mod inbox;
pub mod ivr;
pub mod messages;
pub mod numbers;
pub mod registrations;
pub mod sessions;
pub mod sink;
pub mod tenants;
pub mod throttle;
pub mod verifications;

use crate::StoreError;

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
