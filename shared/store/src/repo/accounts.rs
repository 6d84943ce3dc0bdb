//! Accounts (subscribers) of a tenant, with their unique login e-mail and
//! extension markers.

use domain::{Account, AccountId, AccountStatus, Email, Extension, PhoneNumber, Role, TenantId};

use super::{RepoError, RepoResult, corrupt};
use crate::{Condition, Cursor, Item, Key, Query, SortKey, Store, StoreError, TxOp, keys};

pub(crate) fn to_item(a: &Account) -> Item {
    Item::new(&keys::account(&a.tenant, &a.id))
        .with("type", "account")
        .with("tenant_id", a.tenant.as_str())
        .with("account_id", a.id.as_str())
        .with("name", a.name.as_str())
        .with_opt("email", a.email.as_ref().map(Email::as_str))
        .with_opt("mobile", a.mobile.as_ref().map(PhoneNumber::e164))
        .with("role", a.role.as_str())
        .with("status", a.status.as_str())
        .with("plan", a.plan.as_str())
        .with_opt("password_hash", a.password_hash.as_deref())
        .with_opt("extension", a.extension.as_ref().map(Extension::as_str))
        .with_opt("number", a.number.as_ref().map(PhoneNumber::e164))
        .with_opt("department", a.department.as_deref())
        .with_opt("position", a.position.as_deref())
        .with("created_at", a.created_at)
}

pub(crate) fn from_item(i: &Item) -> RepoResult<Account> {
    let s = |n: &str| {
        i.s(n)
            .ok_or_else(|| corrupt(format!("account without {n}")))
    };
    let bad = |e: &dyn std::fmt::Display| corrupt(e.to_string());
    Ok(Account {
        tenant: TenantId::parse(s("tenant_id")?).map_err(|e| bad(&e))?,
        id: AccountId::parse(s("account_id")?).map_err(|e| bad(&e))?,
        name: s("name")?.to_owned(),
        email: i
            .s("email")
            .map(Email::parse)
            .transpose()
            .map_err(|e| bad(&e))?,
        mobile: i
            .s("mobile")
            .map(PhoneNumber::from_e164)
            .transpose()
            .map_err(|e| bad(&e))?,
        role: Role::parse(s("role")?).ok_or_else(|| corrupt("unknown role"))?,
        status: AccountStatus::parse(s("status")?).ok_or_else(|| corrupt("unknown status"))?,
        plan: s("plan")?.to_owned(),
        password_hash: i.s("password_hash").map(str::to_owned),
        extension: i
            .s("extension")
            .map(Extension::parse)
            .transpose()
            .map_err(|e| bad(&e))?,
        number: i
            .s("number")
            .map(PhoneNumber::from_e164)
            .transpose()
            .map_err(|e| bad(&e))?,
        department: i.s("department").map(str::to_owned),
        position: i.s("position").map(str::to_owned),
        created_at: i.n("created_at").unwrap_or(0),
    })
}

fn login_marker_item(a: &Account, email: &Email) -> Item {
    Item::new(&keys::login_marker(email))
        .with("type", "login")
        .with("tenant_id", a.tenant.as_str())
        .with("account_id", a.id.as_str())
}

fn extension_marker_item(a: &Account, ext: &Extension) -> Item {
    Item::new(&keys::extension_marker(&a.tenant, ext))
        .with("type", "extension")
        .with("account_id", a.id.as_str())
}

/// Creates an account together with its login and extension markers, in
/// one transaction, only if the tenant exists.
pub async fn create(store: &dyn Store, a: &Account) -> RepoResult<()> {
    let mut ops = vec![
        TxOp::Check {
            key: keys::tenant(&a.tenant),
            condition: Condition::present(),
        },
        TxOp::Put {
            item: to_item(a),
            condition: Some(Condition::absent()),
        },
    ];
    let mut email_op = None;
    let mut ext_op = None;
    if let Some(email) = &a.email {
        email_op = Some(ops.len());
        ops.push(TxOp::Put {
            item: login_marker_item(a, email),
            condition: Some(Condition::absent()),
        });
    }
    if let Some(ext) = &a.extension {
        ext_op = Some(ops.len());
        ops.push(TxOp::Put {
            item: extension_marker_item(a, ext),
            condition: Some(Condition::absent()),
        });
    }
    match store.transact_write(ops).await {
        Ok(()) => Ok(()),
        Err(StoreError::TransactionCanceled { failed }) => Err(match failed.first() {
            Some(0) => RepoError::NoSuchTenant(a.tenant.to_string()),
            Some(i) if Some(*i) == email_op => RepoError::EmailTaken(
                a.email
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ),
            Some(i) if Some(*i) == ext_op => {
                RepoError::ExtensionTaken(a.extension.map(|e| e.to_string()).unwrap_or_default())
            }
            _ => RepoError::Store(StoreError::ConditionFailed),
        }),
        Err(e) => Err(e.into()),
    }
}

pub async fn get(store: &dyn Store, t: &TenantId, id: &AccountId) -> RepoResult<Option<Account>> {
    store
        .get(&keys::account(t, id))
        .await?
        .as_ref()
        .map(from_item)
        .transpose()
}

/// The account that logs in with `email`, in whichever tenant it is.
pub async fn find_by_email(store: &dyn Store, email: &Email) -> RepoResult<Option<Account>> {
    let Some(marker) = store.get(&keys::login_marker(email)).await? else {
        return Ok(None);
    };
    let t = marker
        .s("tenant_id")
        .and_then(|s| TenantId::parse(s).ok())
        .ok_or_else(|| corrupt("login marker without tenant"))?;
    let a = marker
        .s("account_id")
        .and_then(|s| AccountId::parse(s).ok())
        .ok_or_else(|| corrupt("login marker without account"))?;
    get(store, &t, &a).await
}

/// One page of a tenant's accounts, oldest first.
pub async fn page(
    store: &dyn Store,
    t: &TenantId,
    limit: usize,
    cursor: Option<Cursor>,
) -> RepoResult<(Vec<Account>, Option<Cursor>)> {
    let q = Query::partition(keys::tenant_pk(t))
        .sk(SortKey::BeginsWith(keys::ACCOUNT_PREFIX.into()))
        .limit(limit)
        .after(cursor);
    let page = store.query(&q).await?;
    let accounts = page
        .items
        .iter()
        .map(from_item)
        .collect::<RepoResult<_>>()?;
    Ok((accounts, page.next))
}

/// Replaces the stored password hash (e.g. the operator resets an admin).
pub async fn set_password_hash(
    store: &dyn Store,
    t: &TenantId,
    id: &AccountId,
    hash: &str,
) -> RepoResult<()> {
    let key: Key = keys::account(t, id);
    match store
        .update(
            &key,
            crate::Update::new().set("password_hash", hash),
            Some(Condition::present()),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(StoreError::ConditionFailed) => Err(RepoError::NoSuchAccount),
        Err(e) => Err(e.into()),
    }
}
