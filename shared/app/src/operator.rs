//! Platform-operator use cases: tenants, their first admin, the number pool
//! and integrator API keys. The `office` binary's commands call these; the
//! operator console of a later issue will too.

use domain::{
    Account, AccountId, AccountStatus, Email, Extension, PhoneKind, PhoneNumber, Role, Tenant,
    TenantId, parse_name,
};
use sha2::{Digest as _, Sha256};
use store::now_epoch_seconds;
use store::repo::api_keys::ApiKeyRecord;
use store::repo::numbers::Added;
use store::repo::{accounts, api_keys, numbers, tenants};

use crate::password;
use crate::state::{App, AppError};

/// The API scopes an integrator key can carry.
pub const SCOPES: &[&str] = &[
    "calls:read",
    "calls:write",
    "stats:read",
    "recordings:read",
    "sms:read",
    "sms:send",
    "callbacks:read",
    "callbacks:write",
    "cti:write",
    "monitoring:read",
    "accounts:read",
    "accounts:write",
    "hunt_groups:read",
    "hunt_groups:write",
    "ivr:read",
    "ivr:write",
    "webhooks:read",
    "webhooks:write",
    "api_keys:read",
    "api_keys:write",
];

/// The tenant's API keys (never the keys themselves), newest first.
pub async fn api_keys(app: &App, t: &TenantId) -> crate::Outcome<Vec<ApiKeyRecord>> {
    Ok(api_keys::list(&*app.store, t).await?)
}

/// Revokes a key: requests with it are refused from now on.
pub async fn revoke_api_key(app: &App, t: &TenantId, id: &str) -> crate::Outcome<()> {
    if api_keys::revoke(&*app.store, t, id).await? {
        Ok(())
    } else {
        Err(crate::Fail::not_found("API 키를 찾을 수 없습니다"))
    }
}

/// The default plan name new accounts get (as in the manual's screens).
pub const DEFAULT_PLAN: &str = "무제한PIN요금제";

fn invalid(e: impl std::fmt::Display) -> AppError {
    AppError::Invalid(e.to_string())
}

/// Input for [`create_tenant`].
#[derive(Debug, Clone, Default)]
pub struct NewTenant {
    pub id: Option<String>,
    pub name: String,
    pub representative_number: Option<String>,
    pub region: Option<String>,
}

pub async fn create_tenant(app: &App, input: NewTenant) -> Result<Tenant, AppError> {
    let id = match input.id.as_deref() {
        Some(id) => TenantId::parse(id).map_err(invalid)?,
        None => TenantId::generate(),
    };
    let name = parse_name("company name", &input.name).map_err(invalid)?;
    let representative_number = input
        .representative_number
        .as_deref()
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(|e| invalid(format!("representative number: {e}")))?;
    let t = Tenant {
        id,
        name,
        representative_number,
        region: input.region.unwrap_or_else(|| app.region.clone()),
        time_zone: domain::calendar::TimeZone::seoul(),
        join_code: join_code(),
        links: domain::TenantLinks::default(),
        created_at: now_epoch_seconds(),
    };
    tenants::create(&*app.store, &t).await?;
    Ok(t)
}

/// A code employees type in the app to join: 8 characters, no look-alikes.
fn join_code() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..8)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// Input for [`create_account`].
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub tenant: String,
    pub name: String,
    pub email: Option<String>,
    /// `None` generates one, returned once by [`create_account`].
    pub password: Option<String>,
    pub mobile: Option<String>,
    pub extension: Option<String>,
    pub role: Role,
    pub status: AccountStatus,
    pub department: Option<String>,
    pub position: Option<String>,
}

/// Creates an account; returns it and, if one was generated, its password.
pub async fn create_account(
    app: &App,
    input: NewAccount,
) -> Result<(Account, Option<String>), AppError> {
    let tenant = TenantId::parse(&input.tenant).map_err(invalid)?;
    let name = parse_name("name", &input.name).map_err(invalid)?;
    let email = input
        .email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(invalid)?;
    let mobile = input
        .mobile
        .as_deref()
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(|e| invalid(format!("mobile number: {e}")))?;
    if let Some(m) = &mobile
        && m.kind() != PhoneKind::Mobile
    {
        return Err(invalid(format!("{m} is not a mobile number")));
    }
    let extension = input
        .extension
        .as_deref()
        .map(Extension::parse)
        .transpose()
        .map_err(invalid)?;
    let (password_hash, generated) = match (&email, input.password) {
        (None, _) => (None, None),
        (Some(_), Some(p)) => {
            password::check_strength(&p).map_err(invalid)?;
            (Some(password::hash(&p).map_err(invalid)?), None)
        }
        (Some(_), None) => {
            let p = password::generate();
            (Some(password::hash(&p).map_err(invalid)?), Some(p))
        }
    };
    let optional_text = |kind: &'static str, v: Option<String>| {
        v.filter(|s| !s.trim().is_empty())
            .map(|s| parse_name(kind, &s))
            .transpose()
            .map_err(invalid)
    };
    let account = Account {
        tenant,
        id: AccountId::generate(),
        name,
        email,
        mobile,
        role: input.role,
        status: input.status,
        plan: DEFAULT_PLAN.into(),
        password_hash,
        extension,
        number: None,
        department: optional_text("department", input.department)?,
        position: optional_text("position", input.position)?,
        // The operator vouches for the address of an account made here.
        email_verified: true,
        sip_username: None,
        permissions: domain::Permissions::default(),
        created_at: now_epoch_seconds(),
    };
    accounts::create(&*app.store, &account, None, None).await?;
    Ok((account, generated))
}

/// Creates a tenant's administrator, active at once; returns the account
/// and the generated password when none was given.
pub async fn create_admin(
    app: &App,
    tenant: &str,
    name: &str,
    email: &str,
    password: Option<String>,
) -> Result<(Account, Option<String>), AppError> {
    create_account(
        app,
        NewAccount {
            tenant: tenant.into(),
            name: name.into(),
            email: Some(email.into()),
            password,
            mobile: None,
            extension: None,
            role: Role::Admin,
            status: AccountStatus::Active,
            department: None,
            position: None,
        },
    )
    .await
}

/// One rejected line of a number file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub value: String,
    pub error: String,
}

/// The outcome of [`load_numbers`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadReport {
    pub added: usize,
    pub already_in_pool: usize,
    pub duplicates_in_file: usize,
}

/// Loads 070 numbers into a region's pool from CSV text (one number per
/// line in the first column; an optional header line `number`). The whole
/// file is validated first: any bad line rejects the file and loads nothing.
/// Loading the same file again adds nothing.
pub async fn load_numbers(
    app: &App,
    region: &str,
    csv_text: &str,
) -> Result<LoadReport, LoadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let mut numbers = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut report = LoadReport::default();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    line,
                    value: String::new(),
                    error: e.to_string(),
                });
                continue;
            }
        };
        let value = rec.get(0).unwrap_or("").to_owned();
        if value.is_empty() || (line == 1 && value.eq_ignore_ascii_case("number")) {
            continue;
        }
        match PhoneNumber::parse(&value) {
            Ok(n) if n.kind() == PhoneKind::Internet => {
                if seen.insert(n.clone()) {
                    numbers.push(n);
                } else {
                    report.duplicates_in_file += 1;
                }
            }
            Ok(n) => errors.push(RowError {
                line,
                value,
                error: format!("{n} is not a 070 number"),
            }),
            Err(e) => errors.push(RowError {
                line,
                value,
                error: e.to_string(),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(LoadError::Rows(errors));
    }
    for n in &numbers {
        match numbers::add(&*app.store, region, n)
            .await
            .map_err(|e| LoadError::App(e.into()))?
        {
            Added::Added => report.added += 1,
            Added::AlreadyInPool => report.already_in_pool += 1,
        }
    }
    Ok(report)
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the file has {} bad line(s); nothing was loaded", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    App(#[from] AppError),
}

/// A new API key: the secret (shown once) and what is stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub secret: String,
    pub record: ApiKeyRecord,
}

/// The stored form of an API key secret.
pub fn api_key_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub async fn create_api_key(
    app: &App,
    tenant: &str,
    name: &str,
    scopes: &[String],
) -> Result<NewApiKey, AppError> {
    let tenant = TenantId::parse(tenant).map_err(invalid)?;
    if tenants::get(&*app.store, &tenant).await?.is_none() {
        return Err(invalid(format!("tenant {tenant} does not exist")));
    }
    let name = parse_name("key name", name).map_err(invalid)?;
    if scopes.is_empty() {
        return Err(invalid("an API key needs at least one scope"));
    }
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(invalid(format!(
            "unknown scope {bad}; known: {}",
            SCOPES.join(", ")
        )));
    }
    let secret = format!("mto_{}", hex::encode(password::random_bytes(24)));
    let record = ApiKeyRecord {
        tenant,
        name,
        scopes: scopes.to_vec(),
        prefix: secret[..12].to_owned(),
        created_at: now_epoch_seconds(),
        last_used_at: 0,
        id: api_key_hash(&secret)[..16].to_owned(),
    };
    api_keys::create(&*app.store, &api_key_hash(&secret), &record).await?;
    Ok(NewApiKey { secret, record })
}
