//! The demo tenant: a company with an admin, three employees with
//! extensions and 070 numbers, a pool of free numbers and an API key, so a
//! newcomer can try every screen at once.
//!
//! Seeding is idempotent: the generated credentials are kept in
//! `<data dir>/demo.json` (mode 0600) and a second run reuses them, creating
//! only what is missing from the store.

use std::io::Write as _;
use std::path::Path;

use domain::{AccountStatus, Email, PhoneNumber, Role, TenantId};
use serde::{Deserialize, Serialize};
use store::repo::{accounts, api_keys, numbers, tenants};

use crate::operator::{self, NewAccount, NewTenant, api_key_hash};
use crate::password;
use crate::state::{App, AppError};

pub const DEMO_TENANT: &str = "demo";
const DEMO_POOL_SIZE: u32 = 20;

/// Credentials and identifiers of the demo, as printed by `office --demo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoInfo {
    pub tenant_id: String,
    pub tenant_name: String,
    pub admin: DemoLogin,
    pub users: Vec<DemoUser>,
    pub api_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoLogin {
    pub name: String,
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoUser {
    pub name: String,
    pub email: String,
    pub password: String,
    pub extension: String,
    /// Assigned 070 number, as shown (070-4000-0001).
    pub number: String,
    pub mobile: String,
}

fn fresh() -> DemoInfo {
    let user = |i: u32, name: &str, mobile: &str| DemoUser {
        name: name.into(),
        email: format!("user{i}@demo.example"),
        password: password::generate(),
        extension: format!("{}", 1000 + i),
        number: format!("070-4000-{i:04}"),
        mobile: mobile.into(),
    };
    DemoInfo {
        tenant_id: DEMO_TENANT.into(),
        tenant_name: "(주)데모커뮤니케이션즈".into(),
        admin: DemoLogin {
            name: "관리자".into(),
            email: "admin@demo.example".into(),
            password: password::generate(),
        },
        users: vec![
            user(1, "김민수", "010-2000-0001"),
            user(2, "이서연", "010-2000-0002"),
            user(3, "박지훈", "010-2000-0003"),
        ],
        api_key: String::new(),
    }
}

fn load(path: &Path) -> Result<Option<DemoInfo>, AppError> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            AppError::Invalid(format!(
                "{} is corrupt ({e}); delete it to reseed",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(AppError::Io {
            context: format!("reading {}", path.display()),
            source,
        }),
    }
}

fn save(path: &Path, info: &DemoInfo) -> Result<(), AppError> {
    let io = |source| AppError::Io {
        context: format!("writing {}", path.display()),
        source,
    };
    let tmp = path.with_extension("json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(io)?;
    let json = serde_json::to_vec_pretty(info).map_err(|e| AppError::Invalid(e.to_string()))?;
    f.write_all(&json).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Creates whatever part of the demo is missing and returns its credentials.
pub async fn seed(app: &App, data_dir: &Path) -> Result<DemoInfo, AppError> {
    std::fs::create_dir_all(data_dir).map_err(|source| AppError::Io {
        context: "creating the data directory".into(),
        source,
    })?;
    let path = data_dir.join("demo.json");
    let mut info = match load(&path)? {
        Some(i) => i,
        None => fresh(),
    };
    let store = &*app.store;
    let tenant = TenantId::parse(&info.tenant_id).map_err(|e| AppError::Invalid(e.to_string()))?;

    if tenants::get(store, &tenant).await?.is_none() {
        operator::create_tenant(
            app,
            NewTenant {
                id: Some(info.tenant_id.clone()),
                name: info.tenant_name.clone(),
                representative_number: Some("02-1234-5678".into()),
                region: None,
            },
        )
        .await?;
    }

    let pool: String = (1..=DEMO_POOL_SIZE)
        .map(|i| format!("070-4000-{i:04}\n"))
        .collect();
    operator::load_numbers(app, &app.region, &pool)
        .await
        .map_err(|e| match e {
            operator::LoadError::App(a) => a,
            rows => AppError::Invalid(rows.to_string()),
        })?;

    ensure_account(
        app,
        &info.tenant_id,
        &info.admin.name,
        &info.admin.email,
        &info.admin.password,
        None,
        None,
        Role::Admin,
    )
    .await?;
    for u in &info.users {
        let account = ensure_account(
            app,
            &info.tenant_id,
            &u.name,
            &u.email,
            &u.password,
            Some(&u.extension),
            Some(&u.mobile),
            Role::User,
        )
        .await?;
        if account.number.is_none() {
            let n = PhoneNumber::parse(&u.number).map_err(|e| AppError::Invalid(e.to_string()))?;
            numbers::assign(store, &app.region, &tenant, &account.id, &n).await?;
        }
    }

    let key_present = !info.api_key.is_empty()
        && api_keys::find(store, &api_key_hash(&info.api_key))
            .await?
            .is_some();
    if !key_present {
        let scopes: Vec<String> = operator::SCOPES.iter().map(|s| (*s).to_owned()).collect();
        info.api_key = operator::create_api_key(app, &info.tenant_id, "demo", &scopes)
            .await?
            .secret;
    }
    save(&path, &info)?;
    Ok(info)
}

#[allow(clippy::too_many_arguments)]
async fn ensure_account(
    app: &App,
    tenant: &str,
    name: &str,
    email: &str,
    password: &str,
    extension: Option<&str>,
    mobile: Option<&str>,
    role: Role,
) -> Result<domain::Account, AppError> {
    let parsed = Email::parse(email).map_err(|e| AppError::Invalid(e.to_string()))?;
    if let Some(a) = accounts::find_by_email(&*app.store, &parsed).await? {
        return Ok(a);
    }
    let (account, _) = operator::create_account(
        app,
        NewAccount {
            tenant: tenant.into(),
            name: name.into(),
            email: Some(email.into()),
            password: Some(password.into()),
            mobile: mobile.map(str::to_owned),
            extension: extension.map(str::to_owned),
            role,
            status: AccountStatus::Active,
            department: None,
            position: None,
        },
    )
    .await?;
    Ok(account)
}
