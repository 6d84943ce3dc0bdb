//! Registrations: `TENANT#<t>` / `REG#<account>#<hash of contact>`, one item
//! per registered contact, with the edge holding it and `expires_at` (the
//! table's TTL removes lapsed ones; reads skip them before that). Any
//! process finds a user's phones, and which edge to reach them through,
//! with one query on the account's prefix.

use std::net::SocketAddr;

use domain::{AccountId, EdgeId, Registration, TenantId, Transport};
use sha2::{Digest as _, Sha256};

use super::{RepoResult, corrupt};
use crate::{ATTR_EXPIRES_AT, Item, Key, Query, SortKey, Store, keys};

fn prefix(a: &AccountId) -> String {
    format!("REG#{a}#")
}

/// The key of one contact of an account.
pub fn key(t: &TenantId, a: &AccountId, contact: &str) -> Key {
    let hash = hex::encode(Sha256::digest(contact.as_bytes()));
    Key::new(keys::tenant_pk(t), format!("{}{}", prefix(a), &hash[..16]))
}

fn to_item(r: &Registration) -> Item {
    Item::new(&key(&r.tenant, &r.account, &r.contact))
        .with("type", "registration")
        .with("account_id", r.account.as_str())
        .with("sip_username", r.sip_username.as_str())
        .with("contact", r.contact.as_str())
        .with("source", r.source.to_string())
        .with("transport", r.transport.as_str())
        .with("edge", r.edge.as_str())
        .with("edge_addr", r.edge_addr.to_string())
        .with_opt("user_agent", r.user_agent.as_deref())
        .with(ATTR_EXPIRES_AT, r.expires_at)
        .with("since", r.since)
}

fn from_item(t: &TenantId, i: &Item) -> RepoResult<Registration> {
    let s = |n: &str| {
        i.s(n)
            .ok_or_else(|| corrupt(format!("registration without {n}")))
    };
    let addr = |n: &str| -> RepoResult<SocketAddr> {
        s(n)?
            .parse()
            .map_err(|_| corrupt(format!("registration with a bad {n}")))
    };
    Ok(Registration {
        tenant: t.clone(),
        account: AccountId::parse(s("account_id")?).map_err(|e| corrupt(e.to_string()))?,
        sip_username: s("sip_username")?.to_owned(),
        contact: s("contact")?.to_owned(),
        source: addr("source")?,
        // Items written before transports were recorded came over UDP.
        transport: i
            .s("transport")
            .and_then(Transport::parse)
            .unwrap_or(Transport::Udp),
        edge: EdgeId::parse(s("edge")?).map_err(|e| corrupt(e.to_string()))?,
        // Older items lack the edge's address; nothing better is known.
        edge_addr: i
            .s("edge_addr")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
        user_agent: i.s("user_agent").map(str::to_owned),
        expires_at: i.n(ATTR_EXPIRES_AT).unwrap_or(0),
        since: i.n("since").unwrap_or(0),
    })
}

/// Stores (or refreshes) one contact.
pub async fn put(store: &dyn Store, r: &Registration) -> RepoResult<()> {
    store.put(to_item(r), None).await?;
    Ok(())
}

/// Removes one contact (unregistered). Removing one that is gone is fine.
pub async fn remove(
    store: &dyn Store,
    t: &TenantId,
    a: &AccountId,
    contact: &str,
) -> RepoResult<()> {
    store.delete(&key(t, a, contact), None).await?;
    Ok(())
}

/// Every live contact of the tenant's accounts (monitoring), by account.
pub async fn of_tenant(store: &dyn Store, t: &TenantId, now: i64) -> RepoResult<Vec<Registration>> {
    let q = Query::partition(keys::tenant_pk(t)).sk(SortKey::BeginsWith("REG#".into()));
    let all = super::every(store, q, |i| from_item(t, i)).await?;
    Ok(all.into_iter().filter(|r| r.is_live(now)).collect())
}

/// Every live contact of an account, wherever it registered.
pub async fn of_account(
    store: &dyn Store,
    t: &TenantId,
    a: &AccountId,
    now: i64,
) -> RepoResult<Vec<Registration>> {
    let mut q = Query::partition(keys::tenant_pk(t)).sk(SortKey::BeginsWith(prefix(a)));
    let mut out = Vec::new();
    loop {
        let page = store.query(&q).await?;
        for i in &page.items {
            let r = from_item(t, i)?;
            if r.is_live(now) {
                out.push(r);
            }
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}
