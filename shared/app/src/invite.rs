//! Inviting a user to the portal: an account an admin made (계정 추가) has
//! no password, so its user could never log in. The admin gives an e-mail;
//! the user gets a link (`/invite/<token>`, valid 7 days, used once) where
//! they choose their password. Accepting sets the login e-mail (unique
//! across the platform), the password hash and marks the e-mail verified
//! (the link reached that mailbox).

use domain::{AccountId, Email, TenantId};
use serde::{Deserialize, Serialize};
use store::now_epoch_seconds;
use store::repo::accounts;
use store::repo::verifications::{self, Verification};

use crate::fail::{Fail, FailKind, Outcome};
use crate::password;
use crate::state::App;

/// How long an invitation link works.
pub const INVITE_TTL_SECS: i64 = 7 * 86_400;

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    tenant: String,
    account: String,
    email: String,
}

/// A sent invitation: where it went and its link (also shown to the admin,
/// who may pass it on another way).
#[derive(Debug, Clone)]
pub struct Invited {
    pub email: Email,
    pub link: String,
}

fn parse_email(raw: &str) -> Outcome<Email> {
    Email::parse(raw.trim()).map_err(|e| {
        Fail::bad(
            "invalid_email",
            "email",
            format!(
                "이메일 형식이 올바르지 않습니다: {}",
                crate::labels::email_error(&e)
            ),
        )
    })
}

fn taken() -> Fail {
    Fail {
        field: Some("email"),
        ..Fail::new(
            FailKind::Conflict,
            "email_taken",
            "이미 사용 중인 이메일입니다",
        )
    }
}

/// Invites the account's user at `email`; `base` is the portal's address
/// (`https://office.example.com`).
pub async fn invite(
    app: &App,
    t: &TenantId,
    account: &AccountId,
    email: &str,
    base: &str,
) -> Outcome<Invited> {
    let email = parse_email(email)?;
    let a = accounts::get(&*app.store, t, account)
        .await?
        .ok_or_else(|| Fail::not_found("계정을 찾을 수 없습니다"))?;
    if let Some(other) = accounts::find_by_email(&*app.store, &email).await?
        && other.id != a.id
    {
        return Err(taken());
    }
    let tenant = store::repo::tenants::get(&*app.store, t)
        .await?
        .map_or_else(|| t.to_string(), |x| x.name);
    let token = crate::auth::token();
    let payload = serde_json::to_string(&Payload {
        tenant: t.to_string(),
        account: a.id.to_string(),
        email: email.to_string(),
    })
    .map_err(|e| Fail::internal(&e))?;
    verifications::create(
        &*app.store,
        &Verification {
            id: token.clone(),
            purpose: "invite".into(),
            code_hash: String::new(),
            payload,
            attempts: 0,
            expires_at: now_epoch_seconds() + INVITE_TTL_SECS,
        },
    )
    .await?;
    let link = format!("{}/invite/{token}", base.trim_end_matches('/'));
    app.mail
        .send_mail(
            &email,
            &format!("[말톡오피스] {tenant}에서 초대했습니다"),
            &format!(
                "{}님, {tenant}의 말톡오피스 계정이 준비되었습니다.\n아래 링크에서 비밀번호를 정하면 로그인할 수 있습니다 (7일 동안 한 번 쓸 수 있습니다).\n\n{link}\n",
                a.name
            ),
        )
        .await
        .map_err(|e| {
            Fail::new(
                FailKind::Unavailable,
                "mail_failed",
                format!("초대 메일을 보내지 못했습니다: {e}"),
            )
        })?;
    Ok(Invited { email, link })
}

/// Who an open invitation is for: (name, e-mail).
pub async fn pending(app: &App, token: &str) -> Outcome<(String, String)> {
    let (p, a) = open(app, token).await?;
    Ok((a.name, p.email))
}

async fn open(app: &App, token: &str) -> Outcome<(Payload, domain::Account)> {
    let gone = || {
        Fail::new(
            FailKind::NotFound,
            "invite_invalid",
            "초대 링크가 올바르지 않거나 만료되었습니다. 관리자에게 다시 요청해 주세요",
        )
    };
    if token.is_empty() || token.len() > 100 {
        return Err(gone());
    }
    let v = verifications::get(&*app.store, token)
        .await?
        .filter(|v| v.purpose == "invite" && v.expires_at > now_epoch_seconds())
        .ok_or_else(gone)?;
    let p: Payload = serde_json::from_str(&v.payload).map_err(|e| Fail::internal(&e))?;
    let t = TenantId::parse(&p.tenant).map_err(|e| Fail::internal(&e))?;
    let id = AccountId::parse(&p.account).map_err(|e| Fail::internal(&e))?;
    let a = accounts::get(&*app.store, &t, &id)
        .await?
        .ok_or_else(gone)?;
    Ok((p, a))
}

/// Accepts an invitation with the user's chosen password: they can log in.
pub async fn accept(app: &App, token: &str, password_input: &str) -> Outcome<domain::Account> {
    let (p, a) = open(app, token).await?;
    password::check_strength(password_input).map_err(|_| {
        Fail::bad(
            "weak_password",
            "password",
            "비밀번호는 10자 이상이어야 하며 숫자만으로 만들 수 없습니다",
        )
    })?;
    let email = parse_email(&p.email)?;
    let hash = password::hash(password_input).map_err(|e| Fail::internal(&e))?;
    let account = accounts::set_login(&*app.store, &a, &email, &hash)
        .await
        .map_err(|e| match e {
            store::repo::RepoError::EmailTaken(_) => taken(),
            other => other.into(),
        })?;
    // Used once; a second click finds nothing.
    verifications::consume(&*app.store, token).await?;
    Ok(account)
}
