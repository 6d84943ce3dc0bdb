//! Accounts (subscribers) of a tenant, with their unique login e-mail and
//! extension markers.

use domain::{
    Account, AccountId, AccountStatus, Email, Extension, Permissions, PhoneNumber, Role, TenantId,
};

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
        .with("email_verified", a.email_verified)
        .with_opt("sip_username", a.sip_username.as_deref())
        .with("perm_outbound", a.permissions.outbound)
        .with("perm_international", a.permissions.international)
        .with("perm_recording", a.permissions.recording_access)
        .with("auto_record", a.permissions.auto_record)
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
        email_verified: i.bool("email_verified").unwrap_or(false),
        sip_username: i.s("sip_username").map(str::to_owned),
        permissions: Permissions {
            outbound: i.bool("perm_outbound").unwrap_or(true),
            international: i.bool("perm_international").unwrap_or(false),
            recording_access: i.bool("perm_recording").unwrap_or(false),
            auto_record: i.bool("auto_record").unwrap_or(false),
        },
        created_at: i.n("created_at").unwrap_or(0),
    })
}

/// The secret half of SIP credentials: digests only, never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipDigests {
    pub realm: String,
    /// MD5(username:realm:password), hex.
    pub ha1_md5: String,
    /// SHA-256(username:realm:password), hex (RFC 8760).
    pub ha1_sha256: String,
}

/// What the registrar needs to authenticate a SIP user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUser {
    pub username: String,
    pub tenant: TenantId,
    pub account: AccountId,
    pub digests: SipDigests,
}

fn sip_marker_item(a: &Account, username: &str, d: &SipDigests) -> Item {
    Item::new(&keys::sip_user(username))
        .with("type", "sip_user")
        .with("tenant_id", a.tenant.as_str())
        .with("account_id", a.id.as_str())
        .with("realm", d.realm.as_str())
        .with("ha1_md5", d.ha1_md5.as_str())
        .with("ha1_sha256", d.ha1_sha256.as_str())
}

/// Looks a SIP user up by name (the registrar's hot path: one read).
pub async fn sip_user(store: &dyn Store, username: &str) -> RepoResult<Option<SipUser>> {
    let Some(i) = store.get(&keys::sip_user(username)).await? else {
        return Ok(None);
    };
    let s = |n: &str| {
        i.s(n)
            .ok_or_else(|| corrupt(format!("sip user without {n}")))
    };
    Ok(Some(SipUser {
        username: username.to_owned(),
        tenant: TenantId::parse(s("tenant_id")?).map_err(|e| corrupt(e.to_string()))?,
        account: AccountId::parse(s("account_id")?).map_err(|e| corrupt(e.to_string()))?,
        digests: SipDigests {
            realm: s("realm")?.to_owned(),
            ha1_md5: s("ha1_md5")?.to_owned(),
            ha1_sha256: s("ha1_sha256")?.to_owned(),
        },
    }))
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

/// Creates an account together with its login, extension and SIP user
/// markers, in one transaction, only if the tenant exists.
pub async fn create(
    store: &dyn Store,
    a: &Account,
    sip: Option<&SipDigests>,
    new_department: Option<&domain::Department>,
) -> RepoResult<()> {
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
    let mut sip_op = None;
    if let (Some(username), Some(d)) = (&a.sip_username, sip) {
        sip_op = Some(ops.len());
        ops.push(TxOp::Put {
            item: sip_marker_item(a, username, d),
            condition: Some(Condition::absent()),
        });
    }
    let dept_op = new_department.map(|d| {
        let at = ops.len();
        ops.extend(super::departments::create_ops(&a.tenant, d));
        at
    });
    let lock_op = ops.len();
    ops.push(TxOp::Check {
        key: keys::org_lock(&a.tenant),
        condition: Condition::absent(),
    });
    match store.transact_write(ops).await {
        Ok(()) => super::directory::changed(store, &a.tenant).await,
        Err(StoreError::TransactionCanceled { failed }) if failed.contains(&lock_op) => {
            Err(RepoError::OrgLocked)
        }
        Err(StoreError::TransactionCanceled { failed }) => Err(match failed.first() {
            Some(0) => RepoError::NoSuchTenant(a.tenant.to_string()),
            Some(i) if Some(*i) == sip_op => RepoError::SipUsernameTaken,
            Some(i) if dept_op.is_some_and(|d| *i >= d) => RepoError::Stale,
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

/// Every account of a tenant, oldest first (portal lists search and page
/// over this; tenants have thousands of accounts, not millions).
pub async fn all(store: &dyn Store, t: &TenantId) -> RepoResult<Vec<Account>> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let (page, next) = page(store, t, 1000, cursor).await?;
        out.extend(page);
        match next {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

fn stale_or(e: StoreError) -> RepoError {
    match e {
        StoreError::ConditionFailed | StoreError::TransactionCanceled { .. } => RepoError::Stale,
        other => other.into(),
    }
}

/// Sets 정지 / 활성.
pub async fn set_status(
    store: &dyn Store,
    t: &TenantId,
    id: &AccountId,
    status: AccountStatus,
) -> RepoResult<Account> {
    let item = store
        .update(
            &keys::account(t, id),
            crate::Update::new().set("status", status.as_str()),
            Some(Condition::present()),
        )
        .await
        .map_err(|e| match e {
            StoreError::ConditionFailed => RepoError::NoSuchAccount,
            other => other.into(),
        })?;
    super::directory::changed(store, t).await?;
    from_item(&item)
}

/// Sets the portal role and call permissions.
pub async fn set_permissions(
    store: &dyn Store,
    t: &TenantId,
    id: &AccountId,
    role: Role,
    p: Permissions,
) -> RepoResult<Account> {
    let item = store
        .update(
            &keys::account(t, id),
            crate::Update::new()
                .set("role", role.as_str())
                .set("perm_outbound", p.outbound)
                .set("perm_international", p.international)
                .set("perm_recording", p.recording_access)
                .set("auto_record", p.auto_record),
            Some(Condition::present()),
        )
        .await
        .map_err(|e| match e {
            StoreError::ConditionFailed => RepoError::NoSuchAccount,
            other => other.into(),
        })?;
    super::directory::changed(store, t).await?;
    from_item(&item)
}

/// Updates 부서, 직책 and 내선번호 of `current` (as read by the caller).
/// The extension moves atomically: the new marker is created only if free,
/// the old one released, and the account changed only if nobody changed
/// its extension meanwhile.
pub async fn set_profile(
    store: &dyn Store,
    current: &Account,
    department: Option<String>,
    position: Option<String>,
    extension: Option<Extension>,
    new_department: Option<&domain::Department>,
) -> RepoResult<Account> {
    let key = keys::account(&current.tenant, &current.id);
    let mut update = crate::Update::new();
    update = match &department {
        Some(d) => update.set("department", d.as_str()),
        None => update.remove("department"),
    };
    update = match &position {
        Some(p) => update.set("position", p.as_str()),
        None => update.remove("position"),
    };
    let guard = match &current.extension {
        Some(e) => Condition::eq("extension", e.as_str()),
        None => Condition::not_exists("extension"),
    };
    let mut ops = Vec::new();
    let mut new_marker_op = None;
    if extension != current.extension {
        update = match &extension {
            Some(e) => update.set("extension", e.as_str()),
            None => update.remove("extension"),
        };
        if let Some(e) = &extension {
            new_marker_op = Some(ops.len() + 1);
            ops.push(TxOp::Put {
                item: extension_marker_item(current, e),
                condition: Some(Condition::absent()),
            });
        }
        if let Some(old) = &current.extension {
            ops.push(TxOp::Delete {
                key: keys::extension_marker(&current.tenant, old),
                condition: Some(Condition::eq("account_id", current.id.as_str())),
            });
        }
    }
    ops.insert(
        0,
        TxOp::Update {
            key: key.clone(),
            update,
            condition: Some(Condition::present().and(guard)),
        },
    );
    // A department typed for the first time is created with the change, or not at all.
    if let Some(d) = new_department {
        ops.extend(super::departments::create_ops(&current.tenant, d));
    }
    let lock_op = ops.len();
    ops.push(TxOp::Check {
        key: keys::org_lock(&current.tenant),
        condition: Condition::absent(),
    });
    match store.transact_write(ops).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { failed }) if failed.contains(&lock_op) => {
            return Err(RepoError::OrgLocked);
        }
        Err(StoreError::TransactionCanceled { failed }) => {
            return Err(match new_marker_op {
                Some(i) if failed.contains(&i) => {
                    RepoError::ExtensionTaken(extension.map(|e| e.to_string()).unwrap_or_default())
                }
                _ => RepoError::Stale,
            });
        }
        Err(e) => return Err(e.into()),
    }
    super::directory::changed(store, &current.tenant).await?;
    get(store, &current.tenant, &current.id)
        .await?
        .ok_or(RepoError::NoSuchAccount)
}

/// Replaces the SIP credentials' digests (a reset); the user name stays.
/// The tenant's directory version moves, so edges drop cached digests.
pub async fn reset_sip(store: &dyn Store, a: &Account, d: &SipDigests) -> RepoResult<()> {
    let username = a.sip_username.as_deref().ok_or(RepoError::NoSuchAccount)?;
    store
        .put(
            sip_marker_item(a, username, d),
            Some(Condition::eq("account_id", a.id.as_str())),
        )
        .await
        .map_err(stale_or)?;
    super::directory::changed(store, &a.tenant).await
}

/// Gives an account SIP credentials it did not have.
pub async fn add_sip(
    store: &dyn Store,
    a: &Account,
    username: &str,
    d: &SipDigests,
) -> RepoResult<()> {
    let ops = vec![
        TxOp::Put {
            item: sip_marker_item(a, username, d),
            condition: Some(Condition::absent()),
        },
        TxOp::Update {
            key: keys::account(&a.tenant, &a.id),
            update: crate::Update::new().set("sip_username", username),
            condition: Some(Condition::present().and(Condition::not_exists("sip_username"))),
        },
    ];
    match store.transact_write(ops).await {
        Ok(()) => super::directory::changed(store, &a.tenant).await,
        Err(StoreError::TransactionCanceled { failed }) if failed == [0] => {
            Err(RepoError::SipUsernameTaken)
        }
        Err(e) => Err(stale_or(e)),
    }
}

/// Sets (or replaces) the login e-mail and password hash, confirmed.
pub async fn set_login(
    store: &dyn Store,
    current: &Account,
    email: &Email,
    password_hash: &str,
) -> RepoResult<Account> {
    let mut ops = vec![TxOp::Update {
        key: keys::account(&current.tenant, &current.id),
        update: crate::Update::new()
            .set("email", email.as_str())
            .set("password_hash", password_hash)
            .set("email_verified", true),
        condition: Some(Condition::present()),
    }];
    if current.email.as_ref() != Some(email) {
        ops.push(TxOp::Put {
            item: login_marker_item(current, email),
            condition: Some(Condition::absent()),
        });
        if let Some(old) = &current.email {
            ops.push(TxOp::Delete {
                key: keys::login_marker(old),
                condition: Some(Condition::eq("account_id", current.id.as_str())),
            });
        }
    }
    match store.transact_write(ops).await {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { failed }) if failed.contains(&1) => {
            return Err(RepoError::EmailTaken(email.to_string()));
        }
        Err(e) => return Err(stale_or(e)),
    }
    get(store, &current.tenant, &current.id)
        .await?
        .ok_or(RepoError::NoSuchAccount)
}

/// Deletes an account with everything that hangs off it: its login,
/// extension and SIP markers, and its number (returned to the pool).
pub async fn delete(store: &dyn Store, a: &Account, region: &str) -> RepoResult<()> {
    let mut ops = vec![TxOp::Delete {
        key: keys::account(&a.tenant, &a.id),
        condition: Some(Condition::present()),
    }];
    let owned = || Some(Condition::eq("account_id", a.id.as_str()));
    if let Some(e) = &a.email {
        ops.push(TxOp::Delete {
            key: keys::login_marker(e),
            condition: owned(),
        });
    }
    if let Some(x) = &a.extension {
        ops.push(TxOp::Delete {
            key: keys::extension_marker(&a.tenant, x),
            condition: owned(),
        });
    }
    if let Some(u) = &a.sip_username {
        ops.push(TxOp::Delete {
            key: keys::sip_user(u),
            condition: owned(),
        });
    }
    if let Some(n) = &a.number {
        ops.extend(super::numbers::release_ops(region, &a.tenant, &a.id, n));
    }
    store.transact_write(ops).await.map_err(stale_or)?;
    super::directory::changed(store, &a.tenant).await
}
