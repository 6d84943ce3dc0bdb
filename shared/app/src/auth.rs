//! Portal login (U1): e-mail + password (argon2id), sessions that expire,
//! throttling per e-mail and per client address, and CSRF tokens.
//!
//! Unknown e-mail and wrong password get the same answer and take the same
//! time (a dummy hash is verified). Failures are counted so that a guesser
//! is slowed without the owner being locked out:
//!
//! - ten failures for one e-mail from one client address within the window
//!   stop that e-mail at that address until the window ends;
//! - fifty for one e-mail from anywhere stop it everywhere *except* at
//!   addresses its owner logged in from lately ([`KNOWN_ADDRESS_SECS`]),
//!   so spreading guesses over many addresses buys an attacker little and
//!   costs the owner nothing at their desk;
//! - a hundred from one address (for any e-mails) stop that address, again
//!   except for its known owners (a company NAT shares one address).
//!
//! Every limit counts whether or not the account exists, and the known
//! addresses are only those of real logins, so no answer reveals which
//! e-mails exist.

use domain::{Account, AccountStatus, Email};
use sha2::{Digest as _, Sha256};
use store::now_epoch_seconds;
use store::repo::sessions::{self, Session};
use store::repo::{accounts, throttle};

use crate::fail::{Fail, FailKind, Outcome};
use crate::password;
use crate::state::App;

/// A session lasts this long after its last use.
pub const SESSION_IDLE_SECS: i64 = 2 * 3600;
/// ... and never longer than this after login.
pub const SESSION_MAX_SECS: i64 = 12 * 3600;
pub const LOCKOUT_WINDOW_SECS: i64 = 15 * 60;
/// Failures for one e-mail from one address.
pub const MAX_FAILURES_PER_EMAIL: i64 = 10;
/// Failures for one e-mail from all addresses (not holding back its known ones).
pub const MAX_FAILURES_PER_EMAIL_ANYWHERE: i64 = 50;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 100;
/// How long an address the owner logged in from counts as theirs.
pub const KNOWN_ADDRESS_SECS: i64 = 30 * 24 * 3600;

/// A fresh random token (session id, CSRF token), URL-safe.
pub fn token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(password::random_bytes(32))
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn invalid_credentials() -> Fail {
    Fail::new(
        FailKind::Unauthenticated,
        "invalid_credentials",
        "이메일 또는 비밀번호가 올바르지 않습니다",
    )
}

fn locked() -> Fail {
    Fail::new(
        FailKind::TooMany,
        "too_many_attempts",
        "로그인 시도가 너무 많습니다. 잠시 후 다시 시도해 주세요",
    )
}

/// A password hash to verify against when the e-mail is unknown, so both
/// paths cost one argon2 verification.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| password::hash("dummy password for timing").unwrap_or_default())
}

/// What a successful login returns: the cookie value and the session.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub token: String,
    pub session: Session,
    pub account: Account,
}

pub async fn login(
    app: &App,
    email: &str,
    password_input: &str,
    client: &str,
) -> Outcome<LoggedIn> {
    let store = &*app.store;
    let addr_subject = format!("LOGINIP#{client}");
    let Ok(email) = Email::parse(email) else {
        throttle::hit(store, &addr_subject, LOCKOUT_WINDOW_SECS).await?;
        return Err(invalid_credentials());
    };
    let email_key = hash(email.as_str());
    let known_subject = format!("LOGINOK#{email_key}#{client}");
    let known = throttle::count_recent(store, &known_subject, KNOWN_ADDRESS_SECS).await? > 0;
    let pair_subject = format!("LOGIN#{email_key}#{client}");
    let email_subject = format!("LOGIN#{email_key}");
    let over = |subject: String, max: i64| async move {
        let (n, _) = throttle::count(store, &subject, LOCKOUT_WINDOW_SECS).await?;
        Ok::<bool, store::repo::RepoError>(n >= max)
    };
    if over(pair_subject.clone(), MAX_FAILURES_PER_EMAIL).await?
        || (!known && over(email_subject.clone(), MAX_FAILURES_PER_EMAIL_ANYWHERE).await?)
        || (!known && over(addr_subject.clone(), MAX_FAILURES_PER_ADDRESS).await?)
    {
        return Err(locked());
    }
    let account = accounts::find_by_email(store, &email).await?;
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let pw = password_input.to_owned();
    let ok = tokio::task::spawn_blocking(move || {
        let h = stored.as_deref().unwrap_or_else(|| dummy_hash());
        password::verify(&pw, h)
    })
    .await
    .map_err(|e| Fail::internal(&e))?;
    let account = match account {
        Some(a) if ok => a,
        _ => {
            for subject in [&pair_subject, &email_subject, &addr_subject] {
                throttle::hit(store, subject, LOCKOUT_WINDOW_SECS).await?;
            }
            return Err(invalid_credentials());
        }
    };
    if !account.email_verified {
        return Err(Fail::new(
            FailKind::Forbidden,
            "email_not_verified",
            "이메일 인증 후 로그인할 수 있습니다. 앱의 설정 → 나의정보에서 인증해 주세요",
        ));
    }
    if account.status != AccountStatus::Active {
        return Err(Fail::new(
            FailKind::Forbidden,
            "account_suspended",
            "정지된 계정입니다. 관리자에게 문의해 주세요",
        ));
    }
    // The owner's own failures at this address are forgiven; those from
    // elsewhere (a guesser's) keep counting. This address is now theirs.
    throttle::clear(store, &pair_subject, LOCKOUT_WINDOW_SECS).await?;
    throttle::hit(store, &known_subject, KNOWN_ADDRESS_SECS).await?;
    let now = now_epoch_seconds();
    let token = token();
    let session = Session {
        tenant: account.tenant.clone(),
        account: account.id.clone(),
        role: account.role,
        csrf: self::token(),
        created_at: now,
        expires_at: now + SESSION_IDLE_SECS,
    };
    sessions::create(store, &store::keys::session(&hash(&token)), &session).await?;
    Ok(LoggedIn {
        token,
        session,
        account,
    })
}

/// The live session behind a cookie value, extended on use (sliding, capped).
pub async fn session(app: &App, token: &str) -> Outcome<Option<Session>> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let key = store::keys::session(&hash(token));
    let Some(mut s) = sessions::get(&*app.store, &key).await? else {
        return Ok(None);
    };
    let now = now_epoch_seconds();
    let wanted = (now + SESSION_IDLE_SECS).min(s.created_at + SESSION_MAX_SECS);
    // Write only when a good part of the idle time has passed.
    if wanted - s.expires_at > SESSION_IDLE_SECS / 4 {
        sessions::extend(&*app.store, &key, wanted).await?;
        s.expires_at = wanted;
    }
    Ok(Some(s))
}

pub async fn logout(app: &App, token: &str) -> Outcome<()> {
    sessions::delete(&*app.store, &store::keys::session(&hash(token))).await?;
    Ok(())
}

/// Constant-time comparison of a submitted CSRF token with the expected one.
pub fn csrf_ok(expected: &str, submitted: Option<&str>) -> bool {
    let Some(got) = submitted else { return false };
    let (a, b) = (expected.as_bytes(), got.as_bytes());
    !a.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The stored hash of an app bearer token.
pub fn app_token_key(token: &str) -> store::Key {
    store::keys::app_token(&hash(token))
}

/// The SHA-256 of a secret, hex (API keys and app tokens are stored this way).
pub fn sha256_hex(s: &str) -> String {
    hash(s)
}
