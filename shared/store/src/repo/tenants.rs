//! Tenants (customer companies).

use domain::calendar::TimeZone;
use domain::{HttpsUrl, PhoneNumber, Tenant, TenantId, TenantLinks};

use super::{RepoError, RepoResult, corrupt};
use crate::{Condition, Index, Item, Query, Store, StoreError, TxOp, Update, keys};

fn to_item(t: &Tenant) -> Item {
    Item::new(&keys::tenant(&t.id))
        .with("type", "tenant")
        .with("tenant_id", t.id.as_str())
        .with("name", t.name.as_str())
        .with_opt(
            "representative",
            t.representative_number.as_ref().map(PhoneNumber::e164),
        )
        .with("region", t.region.as_str())
        .with("time_zone", t.time_zone.name())
        .with("join_code", t.join_code.as_str())
        .with_opt("ci_url", t.links.ci_url.as_ref().map(HttpsUrl::as_str))
        .with_opt(
            "notice_url",
            t.links.notice_url.as_ref().map(HttpsUrl::as_str),
        )
        .with("notice_name", t.links.notice_name.as_str())
        .with_opt(
            "other_url",
            t.links.other_url.as_ref().map(HttpsUrl::as_str),
        )
        .with("other_name", t.links.other_name.as_str())
        .with("created_at", t.created_at)
        .with(Index::Gsi1.pk_attr(), keys::TENANTS_INDEX)
        .with(Index::Gsi1.sk_attr(), t.id.as_str())
}

fn from_item(i: &Item) -> RepoResult<Tenant> {
    let s = |n: &str| i.s(n).ok_or_else(|| corrupt(format!("tenant without {n}")));
    Ok(Tenant {
        id: TenantId::parse(s("tenant_id")?).map_err(|e| corrupt(e.to_string()))?,
        name: s("name")?.to_owned(),
        representative_number: i
            .s("representative")
            .map(PhoneNumber::from_e164)
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?,
        region: s("region")?.to_owned(),
        time_zone: TimeZone::parse(s("time_zone")?).map_err(|e| corrupt(e.to_string()))?,
        join_code: s("join_code")?.to_owned(),
        links: TenantLinks {
            ci_url: url(i, "ci_url")?,
            notice_url: url(i, "notice_url")?,
            notice_name: s("notice_name")?.to_owned(),
            other_url: url(i, "other_url")?,
            other_name: s("other_name")?.to_owned(),
        },
        created_at: i.n("created_at").unwrap_or(0),
    })
}

fn url(i: &Item, name: &str) -> RepoResult<Option<HttpsUrl>> {
    i.s(name)
        .map(HttpsUrl::parse)
        .transpose()
        .map_err(|e| corrupt(e.to_string()))
}

fn join_marker(t: &Tenant) -> Item {
    Item::new(&keys::join_code(&t.join_code))
        .with("type", "join_code")
        .with("tenant_id", t.id.as_str())
}

/// Creates a tenant with its join-code marker; fails with
/// [`RepoError::TenantExists`] if the id is taken.
pub async fn create(store: &dyn Store, t: &Tenant) -> RepoResult<()> {
    let ops = vec![
        TxOp::Put {
            item: to_item(t),
            condition: Some(Condition::absent()),
        },
        TxOp::Put {
            item: join_marker(t),
            condition: Some(Condition::absent()),
        },
    ];
    match store.transact_write(ops).await {
        Err(StoreError::TransactionCanceled { failed }) if failed.contains(&0) => {
            Err(RepoError::TenantExists(t.id.to_string()))
        }
        Err(StoreError::TransactionCanceled { .. }) => {
            Err(RepoError::Corrupt("join code collision; try again".into()))
        }
        other => Ok(other?),
    }
}

/// The tenant a join code belongs to.
pub async fn by_join_code(store: &dyn Store, code: &str) -> RepoResult<Option<Tenant>> {
    let Some(m) = store.get(&keys::join_code(code)).await? else {
        return Ok(None);
    };
    let id = m
        .s("tenant_id")
        .and_then(|s| TenantId::parse(s).ok())
        .ok_or_else(|| corrupt("join marker without tenant"))?;
    get(store, &id).await
}

/// Applies `u` to an existing tenant (a missing one is `NoSuchTenant`,
/// never created by the update).
async fn change(store: &dyn Store, id: &TenantId, u: Update) -> RepoResult<()> {
    match store
        .update(&keys::tenant(id), u, Some(Condition::present()))
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(RepoError::NoSuchTenant(id.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// Sets the company's time zone.
pub async fn set_time_zone(store: &dyn Store, id: &TenantId, tz: &TimeZone) -> RepoResult<()> {
    change(store, id, Update::new().set("time_zone", tz.name())).await
}

/// Replaces the tenant's app links (URL 관리).
pub async fn set_links(store: &dyn Store, id: &TenantId, links: &TenantLinks) -> RepoResult<()> {
    let mut u = Update::new()
        .set("notice_name", links.notice_name.as_str())
        .set("other_name", links.other_name.as_str());
    for (name, v) in [
        ("ci_url", &links.ci_url),
        ("notice_url", &links.notice_url),
        ("other_url", &links.other_url),
    ] {
        u = match v {
            Some(url) => u.set(name, url.as_str()),
            None => u.remove(name),
        };
    }
    change(store, id, u).await
}

pub async fn get(store: &dyn Store, id: &TenantId) -> RepoResult<Option<Tenant>> {
    store
        .get(&keys::tenant(id))
        .await?
        .as_ref()
        .map(from_item)
        .transpose()
}

/// Every tenant, ordered by id.
pub async fn list(store: &dyn Store) -> RepoResult<Vec<Tenant>> {
    super::every(
        store,
        Query::index(Index::Gsi1, keys::TENANTS_INDEX),
        from_item,
    )
    .await
}

/// Unit prices (SMS, LMS, MMS) in tenths of a won; zero until the operator sets them.
pub async fn rates(
    store: &dyn Store,
    id: &TenantId,
) -> RepoResult<(domain::sms::Won10, domain::sms::Won10, domain::sms::Won10)> {
    let i = store
        .get(&keys::tenant(id))
        .await?
        .ok_or_else(|| RepoError::NoSuchTenant(id.to_string()))?;
    let w = |n: &str| domain::sms::Won10(i.n(n).unwrap_or(0));
    Ok((w("rate_sms"), w("rate_lms"), w("rate_mms")))
}

pub async fn set_rates(
    store: &dyn Store,
    id: &TenantId,
    sms: domain::sms::Won10,
    lms: domain::sms::Won10,
    mms: domain::sms::Won10,
) -> RepoResult<()> {
    let u = Update::new()
        .set("rate_sms", sms.0)
        .set("rate_lms", lms.0)
        .set("rate_mms", mms.0);
    change(store, id, u).await
}

/// The tenant's Kakao business-message provider account, if set.
pub async fn kakao(
    store: &dyn Store,
    id: &TenantId,
) -> RepoResult<Option<(String, String, String)>> {
    let i = store
        .get(&keys::tenant(id))
        .await?
        .ok_or_else(|| RepoError::NoSuchTenant(id.to_string()))?;
    Ok(
        match (
            i.s("kakao_endpoint"),
            i.s("kakao_sender_key"),
            i.s("kakao_api_key"),
        ) {
            (Some(e), Some(s), Some(k)) => Some((e.to_owned(), s.to_owned(), k.to_owned())),
            _ => None,
        },
    )
}

pub async fn set_kakao(
    store: &dyn Store,
    id: &TenantId,
    endpoint: &str,
    sender_key: &str,
    api_key: &str,
) -> RepoResult<()> {
    let u = Update::new()
        .set("kakao_endpoint", endpoint)
        .set("kakao_sender_key", sender_key)
        .set("kakao_api_key", api_key);
    change(store, id, u).await
}

fn template_key(id: &TenantId, code: &str) -> crate::Key {
    crate::Key::new(keys::tenant_pk(id), format!("KTPL#{code}"))
}

/// Registers (or replaces) an approved Alimtalk template's text.
pub async fn put_template(
    store: &dyn Store,
    id: &TenantId,
    code: &str,
    text: &str,
) -> RepoResult<()> {
    store
        .put(
            Item::new(&template_key(id, code))
                .with("type", "kakao_template")
                .with("text", text),
            None,
        )
        .await?;
    Ok(())
}

pub async fn template(store: &dyn Store, id: &TenantId, code: &str) -> RepoResult<Option<String>> {
    Ok(store
        .get(&template_key(id, code))
        .await?
        .and_then(|i| i.s("text").map(str::to_owned)))
}
