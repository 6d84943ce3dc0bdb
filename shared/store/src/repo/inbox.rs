//! Inbound SMS (C6): messages received on a tenant's 070 numbers, kept per
//! account, once per provider message id.

use domain::{AccountId, PhoneNumber, TenantId};
use serde::Serialize;

use super::{RepoResult, corrupt};
use crate::{Condition, Item, Key, Query, Store, StoreError, keys};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Received {
    pub id: String,
    pub from: String,
    pub to: String,
    pub text: String,
    pub received_ms: i64,
}

fn pk(t: &TenantId, a: &AccountId) -> String {
    format!("{}#INBOX#{a}", keys::tenant_pk(t))
}

/// The tenant and account holding a number (from the pool), if assigned.
pub async fn owner_of(
    store: &dyn Store,
    region: &str,
    n: &PhoneNumber,
) -> RepoResult<Option<(TenantId, AccountId)>> {
    let Some(i) = store.get(&keys::pool_number(region, n)).await? else {
        return Ok(None);
    };
    match (i.s("tenant_id"), i.s("account_id")) {
        (Some(t), Some(a)) => Ok(Some((
            TenantId::parse(t).map_err(|e| corrupt(e.to_string()))?,
            AccountId::parse(a).map_err(|e| corrupt(e.to_string()))?,
        ))),
        _ => Ok(None),
    }
}

/// Stores a received message; a redelivery (same provider id) is a no-op.
/// Returns whether it was new.
pub async fn store_received(
    store: &dyn Store,
    t: &TenantId,
    a: &AccountId,
    m: &Received,
) -> RepoResult<bool> {
    let marker = Key::new(format!("INBOUND#{}", m.id), keys::UNIQUE);
    let item = Item::new(&Key::new(
        pk(t, a),
        format!("{:015}#{}", m.received_ms, m.id),
    ))
    .with("type", "inbound_sms")
    .with("id", m.id.as_str())
    .with("from", m.from.as_str())
    .with("to", m.to.as_str())
    .with("text", m.text.as_str())
    .with("received_ms", m.received_ms)
    .with("account_id", a.as_str())
    .with(
        crate::Index::Gsi1.pk_attr(),
        format!("{}#INBOX", keys::tenant_pk(t)),
    )
    .with(
        crate::Index::Gsi1.sk_attr(),
        format!("{:015}#{}", m.received_ms, m.id),
    );
    let ops = vec![
        crate::TxOp::Put {
            item: Item::new(&marker).with("tenant_id", t.as_str()),
            condition: Some(Condition::absent()),
        },
        crate::TxOp::Put {
            item,
            condition: None,
        },
    ];
    match store.transact_write(ops).await {
        Ok(()) => Ok(true),
        Err(StoreError::TransactionCanceled { failed }) if failed == [0] => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// An account's received messages, newest first.
pub async fn received(
    store: &dyn Store,
    t: &TenantId,
    a: &AccountId,
    limit: usize,
) -> RepoResult<Vec<Received>> {
    Ok(received_page(store, t, a, limit, None).await?.0)
}

/// One page of an account's received messages, newest first, and where
/// the next page starts.
pub async fn received_page(
    store: &dyn Store,
    t: &TenantId,
    a: &AccountId,
    limit: usize,
    cursor: Option<crate::Cursor>,
) -> RepoResult<(Vec<Received>, Option<crate::Cursor>)> {
    let page = store
        .query(
            &Query::partition(pk(t, a))
                .descending()
                .limit(limit)
                .after(cursor),
        )
        .await?;
    let items = page
        .items
        .iter()
        .map(received_of)
        .collect::<RepoResult<_>>()?;
    Ok((items, page.next))
}

fn received_of(i: &crate::Item) -> RepoResult<Received> {
    let s = |n: &str| {
        i.s(n)
            .map(str::to_owned)
            .ok_or_else(|| corrupt(format!("inbound sms without {n}")))
    };
    Ok(Received {
        id: s("id")?,
        from: s("from")?,
        to: s("to")?,
        text: s("text")?,
        received_ms: i.n("received_ms").unwrap_or(0),
    })
}

/// A tenant's received messages across its accounts, newest first (integrators).
pub async fn tenant_received(
    store: &dyn Store,
    t: &TenantId,
    limit: usize,
    cursor: Option<crate::Cursor>,
) -> RepoResult<(Vec<(String, Received)>, Option<crate::Cursor>)> {
    let q = Query::index(crate::Index::Gsi1, format!("{}#INBOX", keys::tenant_pk(t)))
        .descending()
        .limit(limit)
        .after(cursor);
    let page = store.query(&q).await?;
    let items = page
        .items
        .iter()
        .map(|i| {
            let account = i
                .s("account_id")
                .map(str::to_owned)
                .ok_or_else(|| corrupt("inbound sms without account_id".to_owned()))?;
            Ok((account, received_of(i)?))
        })
        .collect::<RepoResult<_>>()?;
    Ok((items, page.next))
}
