//! The version of a tenant's routing data: `TENANT#<t>` / `#DIRECTORY`, a
//! counter every write that changes how calls reach the tenant's users
//! (accounts, their status, permissions, extensions, numbers, business
//! hours) bumps after it succeeds. The media edge caches what it routes
//! by and reads only this counter per call: when it moved, the tenant's
//! cached entries are dropped. A process that dies between its write and
//! the bump leaves the edge's cache stale until the entries' time limit.

use domain::TenantId;

use super::RepoResult;
use crate::{Key, Store, Update, keys};

fn key(t: &TenantId) -> Key {
    Key::new(keys::tenant_pk(t), "#DIRECTORY")
}

/// The tenant's current version (0 before any change was recorded).
pub async fn version(store: &dyn Store, t: &TenantId) -> RepoResult<i64> {
    Ok(store
        .get(&key(t))
        .await?
        .and_then(|i| i.n("version"))
        .unwrap_or(0))
}

/// Records that the tenant's routing data changed.
pub async fn changed(store: &dyn Store, t: &TenantId) -> RepoResult<()> {
    store
        .update(
            &key(t),
            Update::new().set("type", "directory").add("version", 1),
            None,
        )
        .await?;
    Ok(())
}
