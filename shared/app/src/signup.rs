//! Joining a tenant from the app (signup) and confirming the portal e-mail.
//!
//! 1. `start`: join code + name + mobile + plan; a 6-digit code goes to the
//!    mobile by SMS. 2. `verify`: the code creates the account — suspended
//!    (정지) until an admin activates it — with SIP credentials and an app
//!    token. 3. `set_email` / `confirm_email`: the e-mail and password for
//!    the portal, confirmed by a code sent by mail; login needs that.

use domain::{
    Account, AccountId, AccountStatus, Email, PhoneKind, PhoneNumber, Role, TenantId, parse_name,
};
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use store::now_epoch_seconds;
use store::repo::verifications::{self, Verification};
use store::repo::{accounts, sessions, tenants};

use crate::auth::{sha256_hex, token};
use crate::fail::{Fail, FailKind, Outcome};
use crate::password;
use crate::state::App;

const CODE_TTL_SECS: i64 = 10 * 60;
const MAX_ATTEMPTS: i64 = 5;
/// App tokens last 90 days.
pub const APP_TOKEN_SECS: i64 = 90 * 24 * 3600;

fn code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000))
}

#[derive(Serialize, Deserialize)]
struct SignupPayload {
    tenant: String,
    name: String,
    mobile: String,
    plan: String,
}

#[derive(Serialize, Deserialize)]
struct EmailPayload {
    tenant: String,
    account: String,
    email: String,
    password_hash: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Started {
    pub verification_id: String,
    pub expires_in: i64,
}

pub async fn start(
    app: &App,
    join_code: &str,
    name: &str,
    mobile: &str,
    plan: Option<&str>,
) -> Outcome<Started> {
    let tenant = tenants::by_join_code(&*app.store, join_code.trim())
        .await?
        .ok_or_else(|| {
            Fail::bad(
                "invalid_join_code",
                "join_code",
                "회사 코드가 올바르지 않습니다",
            )
        })?;
    let name = parse_name("name", name)
        .map_err(|_| Fail::bad("invalid_name", "name", "이름을 입력해 주세요"))?;
    let mobile = PhoneNumber::parse(mobile)
        .ok()
        .filter(|n| n.kind() == PhoneKind::Mobile)
        .ok_or_else(|| {
            Fail::bad(
                "invalid_mobile",
                "mobile",
                "휴대폰 번호(010...)를 입력해 주세요",
            )
        })?;
    let plan = plan
        .map(|p| {
            parse_name("plan", p)
                .map_err(|_| Fail::bad("invalid_plan", "plan", "요금제를 확인해 주세요"))
        })
        .transpose()?
        .unwrap_or_else(|| crate::operator::DEFAULT_PLAN.into());
    let code = code();
    let id = token();
    let payload = serde_json::to_string(&SignupPayload {
        tenant: tenant.id.to_string(),
        name,
        mobile: mobile.e164(),
        plan,
    })
    .map_err(|e| Fail::internal(&e))?;
    verifications::create(
        &*app.store,
        &Verification {
            id: id.clone(),
            purpose: "signup".into(),
            code_hash: sha256_hex(&format!("{id}:{code}")),
            payload,
            attempts: 0,
            expires_at: now_epoch_seconds() + CODE_TTL_SECS,
        },
    )
    .await?;
    let from = tenant
        .representative_number
        .clone()
        .unwrap_or_else(|| app.sms_sender.clone());
    let body = format!("[말톡오피스] 인증번호 [{code}]를 입력해 주세요.");
    app.sms
        .send(messaging::Outbound::sms(&from, &mobile, &body, &id))
        .await
        .map_err(|e| {
            Fail::new(
                FailKind::Unavailable,
                "sms_failed",
                format!("인증 문자를 보내지 못했습니다: {e}"),
            )
        })?;
    Ok(Started {
        verification_id: id,
        expires_in: CODE_TTL_SECS,
    })
}

/// Checks a code for a verification of `purpose`; consumes it on success.
async fn check_code(app: &App, id: &str, purpose: &str, code: &str) -> Outcome<Verification> {
    let wrong = || {
        Fail::bad(
            "invalid_code",
            "code",
            "인증번호가 올바르지 않거나 만료되었습니다",
        )
    };
    let v = verifications::get(&*app.store, id)
        .await?
        .filter(|v| v.purpose == purpose)
        .ok_or_else(wrong)?;
    verifications::attempt(&*app.store, id, MAX_ATTEMPTS)
        .await
        .map_err(|_| {
            Fail::new(
                FailKind::TooMany,
                "too_many_attempts",
                "인증 시도 횟수를 초과했습니다. 처음부터 다시 진행해 주세요",
            )
        })?;
    if !crate::auth::csrf_ok(
        &v.code_hash,
        Some(&sha256_hex(&format!("{id}:{}", code.trim()))),
    ) {
        return Err(wrong());
    }
    verifications::consume(&*app.store, id)
        .await
        .map_err(|_| wrong())?;
    Ok(v)
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Joined {
    pub account_id: String,
    pub tenant_id: String,
    pub status: &'static str,
    pub app_token: String,
    pub sip_username: String,
    pub sip_password: String,
    pub sip_realm: String,
}

pub async fn verify(app: &App, id: &str, code: &str) -> Outcome<Joined> {
    let v = check_code(app, id, "signup", code).await?;
    let p: SignupPayload = serde_json::from_str(&v.payload).map_err(|e| Fail::internal(&e))?;
    let tenant = TenantId::parse(&p.tenant).map_err(|e| Fail::internal(&e))?;
    let mobile = PhoneNumber::from_e164(&p.mobile).map_err(|e| Fail::internal(&e))?;
    let created = crate::admin::create_member(
        app,
        &tenant,
        crate::admin::NewMember {
            name: p.name,
            mobile: Some(mobile.to_string()),
            status: Some(AccountStatus::Suspended),
            role: Some(Role::User),
            ..Default::default()
        },
    )
    .await?;
    let token = issue_app_token(app, &created.account).await?;
    Ok(Joined {
        account_id: created.account.id.to_string(),
        tenant_id: tenant.to_string(),
        status: created.account.status.as_str(),
        app_token: token,
        sip_username: created.account.sip_username.clone().unwrap_or_default(),
        sip_password: created.sip_password,
        sip_realm: app.sip_realm.clone(),
    })
}

pub async fn issue_app_token(app: &App, a: &Account) -> Outcome<String> {
    let t = token();
    let now = now_epoch_seconds();
    sessions::create(
        &*app.store,
        &crate::auth::app_token_key(&t),
        &sessions::Session {
            tenant: a.tenant.clone(),
            account: a.id.clone(),
            role: a.role,
            csrf: String::new(),
            created_at: now,
            expires_at: now + APP_TOKEN_SECS,
        },
    )
    .await?;
    Ok(t)
}

/// The account an app bearer token belongs to.
pub async fn app_account(app: &App, bearer: &str) -> Outcome<Account> {
    let unauth = || {
        Fail::new(
            FailKind::Unauthenticated,
            "unauthenticated",
            "다시 로그인해 주세요",
        )
    };
    let s = sessions::get(&*app.store, &crate::auth::app_token_key(bearer))
        .await?
        .ok_or_else(unauth)?;
    accounts::get(&*app.store, &s.tenant, &s.account)
        .await?
        .ok_or_else(unauth)
}

pub async fn set_email(
    app: &App,
    a: &Account,
    email: &str,
    password_input: &str,
) -> Outcome<Started> {
    let email = Email::parse(email).map_err(|e| {
        Fail::bad(
            "invalid_email",
            "email",
            format!(
                "이메일 형식이 올바르지 않습니다: {}",
                crate::labels::email_error(&e)
            ),
        )
    })?;
    password::check_strength(password_input).map_err(|_| {
        Fail::bad(
            "weak_password",
            "password",
            "비밀번호는 10자 이상이어야 하며 숫자만으로 만들 수 없습니다",
        )
    })?;
    if let Some(other) = accounts::find_by_email(&*app.store, &email).await?
        && other.id != a.id
    {
        return Err(Fail {
            field: Some("email"),
            ..Fail::new(
                FailKind::Conflict,
                "email_taken",
                "이미 사용 중인 이메일입니다",
            )
        });
    }
    let hash = password::hash(password_input).map_err(|e| Fail::internal(&e))?;
    let code = code();
    let id = token();
    let payload = serde_json::to_string(&EmailPayload {
        tenant: a.tenant.to_string(),
        account: a.id.to_string(),
        email: email.to_string(),
        password_hash: hash,
    })
    .map_err(|e| Fail::internal(&e))?;
    verifications::create(
        &*app.store,
        &Verification {
            id: id.clone(),
            purpose: "email".into(),
            code_hash: sha256_hex(&format!("{id}:{code}")),
            payload,
            attempts: 0,
            expires_at: now_epoch_seconds() + CODE_TTL_SECS,
        },
    )
    .await?;
    app.mail
        .send_mail(
            &email,
            "[말톡오피스] 이메일 인증",
            &format!("이메일 인증번호: {code}\n10분 안에 앱에 입력해 주세요."),
        )
        .await
        .map_err(|e| {
            Fail::new(
                FailKind::Unavailable,
                "mail_failed",
                format!("인증 메일을 보내지 못했습니다: {e}"),
            )
        })?;
    Ok(Started {
        verification_id: id,
        expires_in: CODE_TTL_SECS,
    })
}

pub async fn confirm_email(app: &App, a: &Account, id: &str, code: &str) -> Outcome<Account> {
    let v = check_code(app, id, "email", code).await?;
    let p: EmailPayload = serde_json::from_str(&v.payload).map_err(|e| Fail::internal(&e))?;
    if p.account != a.id.as_str() {
        return Err(Fail::bad(
            "invalid_code",
            "code",
            "인증번호가 올바르지 않거나 만료되었습니다",
        ));
    }
    let email = Email::parse(&p.email).map_err(|e| Fail::internal(&e))?;
    let current = accounts::get(
        &*app.store,
        &a.tenant,
        &AccountId::parse(&p.account).map_err(|e| Fail::internal(&e))?,
    )
    .await?
    .ok_or_else(|| Fail::not_found("계정을 찾을 수 없습니다"))?;
    Ok(accounts::set_login(&*app.store, &current, &email, &p.password_hash).await?)
}
