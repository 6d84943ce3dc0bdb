//! Calls the edge is asked to place (a one-click callback; click-to-call
//! next). The portal or the API (a Lambda on AWS, not the edge's process)
//! writes an order into the partition of the edge where the agent's phone
//! is registered; that edge reads its partition twice a second and takes
//! each order by deleting it (conditionally: one taker), then places the
//! call. An order no edge takes within [`STALE_MS`] is dropped unplaced:
//! an agent who clicked a minute ago no longer waits for their phone.

use domain::{AccountId, EdgeId, PhoneNumber, TenantId};
use serde::{Deserialize, Serialize};

use super::{RepoResult, corrupt};
use crate::{Condition, Item, Key, Query, Store, StoreError};

/// Orders older than this are dropped, not placed.
pub const STALE_MS: i64 = 30_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origination {
    pub tenant: TenantId,
    /// Whose phones ring first.
    pub agent: AccountId,
    /// Then this number is dialled (an extension or a phone number).
    pub dial: String,
    /// Shown to the agent's phone while it rings (the customer's number).
    pub display: String,
    /// The callback request this places, if any.
    #[serde(default)]
    pub callback: Option<String>,
    pub ordered_ms: i64,
    /// The id the call's record and events get (click-to-call answers
    /// with it at once); a fresh one when absent.
    #[serde(default)]
    pub call_id: Option<String>,
}

fn pk(edge: &EdgeId) -> String {
    format!("EDGE-ORDERS#{edge}")
}

/// Leaves an order for `edge`.
pub async fn order(store: &dyn Store, edge: &EdgeId, o: &Origination) -> RepoResult<()> {
    let json = serde_json::to_string(o).map_err(|e| corrupt(e.to_string()))?;
    // Time-ordered and unique: the oldest order is placed first.
    let sk = domain::call::new_id(o.ordered_ms);
    let item = Item::new(&Key::new(pk(edge), sk))
        .with("type", "origination")
        .with("json", json)
        // The table's TTL sweeps orders nobody took.
        .with(crate::ATTR_EXPIRES_AT, o.ordered_ms / 1000 + 3600);
    Ok(store.put(item, Some(Condition::absent())).await?)
}

/// Takes the orders waiting for `edge`, oldest first; each is taken by one
/// caller only. Stale ones are dropped.
pub async fn take(store: &dyn Store, edge: &EdgeId, now_ms: i64) -> RepoResult<Vec<Origination>> {
    let page = store.query(&Query::partition(pk(edge)).limit(50)).await?;
    let mut out = Vec::new();
    for i in page.items {
        let Some(key) = i.key() else { continue };
        match store.delete(&key, Some(Condition::present())).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed) => continue, // Taken by another.
            Err(e) => return Err(e.into()),
        }
        let o: Origination = serde_json::from_str(i.s("json").unwrap_or_default())
            .map_err(|e| corrupt(format!("origination: {e}")))?;
        if now_ms - o.ordered_ms <= STALE_MS {
            out.push(o);
        }
    }
    Ok(out)
}

/// A number or extension as dialled from a phone (digits only).
pub fn dial_string(n: &PhoneNumber) -> String {
    n.national_digits()
}
