//! The tenant admin's use cases (A2 accounts, T10 SIP accounts, A6 links).
//!
//! Every function takes the caller's tenant from its authenticated
//! principal, never from input, and every key it touches is built from that
//! tenant: another tenant's account is simply not found.

use domain::calendar::TimeZone;
use domain::{
    Account, AccountId, AccountStatus, Email, Extension, HttpsUrl, Permissions, PhoneKind,
    PhoneNumber, Role, TenantId, TenantLinks, parse_name,
};
use store::Cursor;
use store::now_epoch_seconds;
use store::repo::{accounts, numbers, tenants};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

pub async fn tenant(app: &App, t: &TenantId) -> Outcome<domain::Tenant> {
    tenants::get(&*app.store, t)
        .await?
        .ok_or_else(|| Fail::not_found("회사를 찾을 수 없습니다"))
}

/// The company's time zone (business-hour defaults, statistics, the
/// times its admins and integrators see).
pub async fn time_zone(app: &App, t: &TenantId) -> Outcome<TimeZone> {
    Ok(tenant(app, t).await?.time_zone)
}

/// An IANA zone name as typed into a form or a request (`time_zone`).
pub fn parse_time_zone(name: &str) -> Outcome<TimeZone> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Fail::bad(
            "invalid_time_zone",
            "time_zone",
            "시간대를 입력해 주세요 (예: Asia/Seoul)",
        ));
    }
    TimeZone::parse(name).map_err(|_| {
        Fail::bad(
            "invalid_time_zone",
            "time_zone",
            format!(
                "알 수 없는 시간대입니다: {name} (예: Asia/Seoul, America/Los_Angeles, Asia/Ho_Chi_Minh)"
            ),
        )
    })
}

/// Moves the company to the zone `name` names. Statistics keep hours in
/// UTC, so nothing is recounted: the new zone's days and months are read
/// from its own buckets once every aggregator counts in it, and from the
/// hours before. Setting the current zone again changes nothing.
pub async fn set_time_zone(app: &App, t: &TenantId, name: &str) -> Outcome<domain::Tenant> {
    let tz = parse_time_zone(name)?;
    let current = tenant(app, t).await?;
    if current.time_zone == tz {
        return Ok(current);
    }
    let settled = store::now_epoch_ms() + crate::stats::aggregate::ZONE_SETTLE_MS;
    // The mark first: a retry after a failure in between does it again.
    store::repo::stats::restart_zone(&*app.store, t, tz.name(), settled).await?;
    tenants::set_time_zone(&*app.store, t, &tz).await?;
    tracing::info!(tenant = %t, from = current.time_zone.name(), to = tz.name(), "time zone changed");
    Ok(domain::Tenant {
        time_zone: tz,
        ..current
    })
}

pub async fn account(app: &App, t: &TenantId, id: &str) -> Outcome<Account> {
    let id = AccountId::parse(id).map_err(|_| Fail::not_found("계정을 찾을 수 없습니다"))?;
    accounts::get(&*app.store, t, &id)
        .await?
        .ok_or_else(|| Fail::not_found("계정을 찾을 수 없습니다"))
}

/// One page of the account list, filtered by a search over name, 070
/// number, mobile and e-mail (digits match with or without hyphens).
#[derive(Debug, Clone)]
pub struct AccountPage {
    pub accounts: Vec<Account>,
    pub page: usize,
    pub pages: usize,
    pub total: usize,
}

pub async fn list_accounts(
    app: &App,
    t: &TenantId,
    search: &str,
    page: usize,
    per_page: usize,
) -> Outcome<AccountPage> {
    let all = accounts::all(&*app.store, t).await?;
    let q = search.trim().to_lowercase();
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    // Numbers are searched only for a query that is a number: "테스트1"
    // looks for a name, not for every number holding a 1.
    let is_number = !digits.is_empty()
        && q.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' ' | '.' | '(' | ')'));
    let matches = |a: &Account| {
        if q.is_empty() {
            return true;
        }
        let num = |n: &Option<PhoneNumber>| {
            n.as_ref()
                .map(PhoneNumber::national_digits)
                .unwrap_or_default()
        };
        a.name.to_lowercase().contains(&q)
            || a.email.as_ref().is_some_and(|e| e.as_str().contains(&q))
            || (is_number && (num(&a.number).contains(&digits) || num(&a.mobile).contains(&digits)))
            || a.extension.is_some_and(|e| e.as_str() == q)
    };
    let filtered: Vec<Account> = all.into_iter().filter(|a| matches(a)).collect();
    let per_page = per_page.clamp(1, 100);
    let total = filtered.len();
    let pages = total.div_ceil(per_page).max(1);
    let page = page.clamp(1, pages);
    let accounts = filtered
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    Ok(AccountPage {
        accounts,
        page,
        pages,
        total,
    })
}

/// Free numbers of the tenant's region, for 번호 조회.
pub async fn free_numbers(
    app: &App,
    t: &TenantId,
    limit: usize,
    cursor: Option<Cursor>,
) -> Outcome<(Vec<PhoneNumber>, Option<Cursor>)> {
    let tenant = tenant(app, t).await?;
    Ok(numbers::available(&*app.store, &tenant.region, limit.clamp(1, 100), cursor).await?)
}

/// What to do with an account's number when saving the edit dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberChoice {
    Keep,
    /// Assign this free number (or change to it).
    Set(String),
    /// Give the number back to the pool (회수).
    Reclaim,
}

/// Saves the edit dialog (상태 수정): status, then the number.
pub async fn edit_account(
    app: &App,
    t: &TenantId,
    id: &str,
    status: AccountStatus,
    number: NumberChoice,
) -> Outcome<Account> {
    let current = account(app, t, id).await?;
    let tenant = tenant(app, t).await?;
    if current.status != status {
        accounts::set_status(&*app.store, t, &current.id, status).await?;
    }
    match number {
        NumberChoice::Keep => {}
        NumberChoice::Set(raw) => {
            let n = PhoneNumber::parse(&raw).map_err(|e| {
                Fail::bad(
                    "invalid_number",
                    "number",
                    format!(
                        "번호 형식이 올바르지 않습니다: {}",
                        crate::labels::phone_error(&e)
                    ),
                )
            })?;
            if n.kind() != PhoneKind::Internet {
                return Err(Fail::bad(
                    "invalid_number",
                    "number",
                    "070 번호만 할당할 수 있습니다",
                ));
            }
            match &current.number {
                None => numbers::assign(&*app.store, &tenant.region, t, &current.id, &n).await?,
                Some(old) => {
                    numbers::change(&*app.store, &tenant.region, t, &current.id, old, &n).await?
                }
            }
        }
        NumberChoice::Reclaim => {
            if let Some(old) = &current.number {
                numbers::reclaim(&*app.store, &tenant.region, t, &current.id, old).await?;
            }
        }
    }
    account(app, t, id).await
}

/// Input for a new member account created by the admin (T10).
#[derive(Debug, Clone, Default)]
pub struct NewMember {
    pub name: String,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub extension: Option<String>,
    pub role: Option<Role>,
    pub status: Option<AccountStatus>,
    pub permissions: Option<Permissions>,
    pub department: Option<String>,
    pub position: Option<String>,
    /// A chosen SIP password (the demo reuses its own); generated when `None`.
    pub sip_password: Option<String>,
}

/// A created account and its SIP password, shown once.
#[derive(Debug, Clone)]
pub struct Created {
    pub account: Account,
    pub sip_password: String,
}

fn opt_text(kind: &'static str, field: &'static str, v: Option<String>) -> Outcome<Option<String>> {
    v.filter(|s| !s.trim().is_empty())
        .map(|s| {
            parse_name(kind, &s)
                .map_err(|e| Fail::bad("invalid_text", field, crate::labels::name_error(&e)))
        })
        .transpose()
}

pub fn parse_extension(raw: Option<&str>) -> Outcome<Option<Extension>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Extension::parse(s).map(Some).map_err(|_| {
            Fail::bad(
                "invalid_extension",
                "extension",
                "내선번호는 4자리 숫자여야 합니다",
            )
        }),
    }
}

pub async fn create_member(app: &App, t: &TenantId, m: NewMember) -> Outcome<Created> {
    tenant(app, t).await?;
    let name = parse_name("name", &m.name)
        .map_err(|_| Fail::bad("invalid_name", "name", "이름을 입력해 주세요 (100자 이내)"))?;
    let mobile = m
        .mobile
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(|e| {
            Fail::bad(
                "invalid_mobile",
                "mobile",
                format!(
                    "휴대폰 번호가 올바르지 않습니다: {}",
                    crate::labels::phone_error(&e)
                ),
            )
        })?;
    if mobile
        .as_ref()
        .is_some_and(|n| n.kind() != PhoneKind::Mobile)
    {
        return Err(Fail::bad(
            "invalid_mobile",
            "mobile",
            "휴대폰 번호(010...)를 입력해 주세요",
        ));
    }
    let email = m
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Email::parse)
        .transpose()
        .map_err(|e| {
            Fail::bad(
                "invalid_email",
                "email",
                format!(
                    "이메일 형식이 올바르지 않습니다: {}",
                    crate::labels::email_error(&e)
                ),
            )
        })?;
    let extension = parse_extension(m.extension.as_deref())?;
    let permissions = m.permissions.unwrap_or_default();
    if permissions.international && !permissions.outbound {
        return Err(Fail::bad(
            "invalid_permissions",
            "international",
            "국제전화는 외부 발신 권한이 있어야 합니다",
        ));
    }
    let (department, new_department) =
        match opt_text("department", "department", m.department.clone())? {
            Some(d) => {
                let (name, new) = crate::org::resolve_department(app, t, &d, None).await?;
                (Some(name), new)
            }
            None => (None, None),
        };
    let sip_password = m
        .sip_password
        .clone()
        .unwrap_or_else(crate::sip::generate_password);
    // A user name collision is astronomically rare; a retry with a new one is cheap.
    for _ in 0..3 {
        let username = crate::sip::generate_username();
        let account = Account {
            tenant: t.clone(),
            id: AccountId::generate(),
            name: name.clone(),
            email: email.clone(),
            mobile: mobile.clone(),
            role: m.role.unwrap_or(Role::User),
            status: m.status.unwrap_or(AccountStatus::Active),
            plan: crate::operator::DEFAULT_PLAN.into(),
            password_hash: None,
            extension,
            number: None,
            department: department.clone(),
            position: opt_text("position", "position", m.position.clone())?,
            email_verified: false,
            sip_username: Some(username.clone()),
            permissions,
            created_at: now_epoch_seconds(),
        };
        let digests = crate::sip::digests(&username, &app.sip_realm, &sip_password);
        match accounts::create(
            &*app.store,
            &account,
            Some(&digests),
            new_department.as_ref(),
        )
        .await
        {
            Ok(()) => {
                return Ok(Created {
                    account,
                    sip_password,
                });
            }
            Err(store::repo::RepoError::SipUsernameTaken) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(Fail::new(
        FailKind::Unavailable,
        "retry",
        "잠시 후 다시 시도해 주세요",
    ))
}

/// Issues new SIP credentials (the old password stops working at once).
pub async fn reset_sip(app: &App, t: &TenantId, id: &str) -> Outcome<(Account, String)> {
    let a = account(app, t, id).await?;
    let password = crate::sip::generate_password();
    match &a.sip_username {
        Some(u) => {
            accounts::reset_sip(
                &*app.store,
                &a,
                &crate::sip::digests(u, &app.sip_realm, &password),
            )
            .await?;
        }
        None => {
            let u = crate::sip::generate_username();
            accounts::add_sip(
                &*app.store,
                &a,
                &u,
                &crate::sip::digests(&u, &app.sip_realm, &password),
            )
            .await?;
        }
    }
    Ok((account(app, t, id).await?, password))
}

pub async fn set_permissions(
    app: &App,
    t: &TenantId,
    actor: &AccountId,
    id: &str,
    role: Role,
    p: Permissions,
) -> Outcome<Account> {
    let a = account(app, t, id).await?;
    if &a.id == actor && a.role == Role::Admin && role != Role::Admin {
        return Err(Fail::new(
            FailKind::Conflict,
            "own_role",
            "자신의 관리자 권한은 해제할 수 없습니다",
        ));
    }
    if p.international && !p.outbound {
        return Err(Fail::bad(
            "invalid_permissions",
            "international",
            "국제전화는 외부 발신 권한이 있어야 합니다",
        ));
    }
    Ok(accounts::set_permissions(&*app.store, t, &a.id, role, p).await?)
}

pub async fn delete_account(app: &App, t: &TenantId, actor: &AccountId, id: &str) -> Outcome<()> {
    let a = account(app, t, id).await?;
    if &a.id == actor {
        return Err(Fail::new(
            FailKind::Conflict,
            "own_account",
            "자신의 계정은 삭제할 수 없습니다",
        ));
    }
    let tenant = tenant(app, t).await?;
    Ok(accounts::delete(&*app.store, &a, &tenant.region).await?)
}

/// Input of the URL 관리 form.
#[derive(Debug, Clone, Default)]
pub struct LinksForm {
    pub ci_url: String,
    pub notice_url: String,
    pub notice_name: String,
    pub other_url: String,
    pub other_name: String,
}

pub async fn set_links(app: &App, t: &TenantId, f: LinksForm) -> Outcome<TenantLinks> {
    let url = |field: &'static str, v: &str| -> Outcome<Option<HttpsUrl>> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        HttpsUrl::parse(v)
            .map(Some)
            .map_err(|e| Fail::bad("invalid_url", field, crate::labels::link_error(&e)))
    };
    let name = |field: &'static str, v: &str, default: &str| -> Outcome<String> {
        if v.trim().is_empty() {
            return Ok(default.to_owned());
        }
        domain::links::parse_menu_name(v).map_err(|_| {
            Fail::bad(
                "invalid_menu_name",
                field,
                "메뉴명은 1~20자로 입력해 주세요",
            )
        })
    };
    let links = TenantLinks {
        ci_url: url("ci_url", &f.ci_url)?,
        notice_url: url("notice_url", &f.notice_url)?,
        notice_name: name(
            "notice_name",
            &f.notice_name,
            domain::links::DEFAULT_NOTICE_NAME,
        )?,
        other_url: url("other_url", &f.other_url)?,
        other_name: name(
            "other_name",
            &f.other_name,
            domain::links::DEFAULT_OTHER_NAME,
        )?,
    };
    tenants::set_links(&*app.store, t, &links).await?;
    Ok(links)
}

/// U2 / C2: a user's own department, position and extension.
pub async fn update_profile(
    app: &App,
    t: &TenantId,
    id: &AccountId,
    department: Option<String>,
    position: Option<String>,
    extension: Option<&str>,
) -> Outcome<Account> {
    update_profile_in(app, t, id, department, None, position, extension).await
}

/// [`update_profile`], where a department new to the org chart is created
/// under `parent` (the company when `None`) in the same transaction.
pub async fn update_profile_in(
    app: &App,
    t: &TenantId,
    id: &AccountId,
    department: Option<String>,
    parent: Option<&str>,
    position: Option<String>,
    extension: Option<&str>,
) -> Outcome<Account> {
    let current = account(app, t, id.as_str()).await?;
    let (department, new_department) = match opt_text("department", "department", department)? {
        Some(d) => {
            let (name, new) = crate::org::resolve_department(app, t, &d, parent).await?;
            (Some(name), new)
        }
        None => (None, None),
    };
    let position = opt_text("position", "position", position)?;
    let extension = parse_extension(extension)?;
    Ok(accounts::set_profile(
        &*app.store,
        &current,
        department,
        position,
        extension,
        new_department.as_ref(),
    )
    .await?)
}
