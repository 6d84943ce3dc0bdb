//! Where each entity lives in the single table. Every key is built here and
//! nowhere else, so the layout in ARCHITECTURE.md has one implementation.

use domain::{AccountId, Email, Extension, PhoneNumber, TenantId};

use crate::Key;

/// Sort key of a tenant's own record.
pub const META: &str = "#META";
/// Sort key of marker items that only exist to make something unique.
pub const UNIQUE: &str = "#UNIQUE";
/// GSI1 partition listing every tenant (operator views).
pub const TENANTS_INDEX: &str = "TENANTS";

pub fn tenant_pk(t: &TenantId) -> String {
    format!("TENANT#{t}")
}

pub fn tenant(t: &TenantId) -> Key {
    Key::new(tenant_pk(t), META)
}

pub const ACCOUNT_PREFIX: &str = "ACCOUNT#";

pub fn account(t: &TenantId, a: &AccountId) -> Key {
    Key::new(tenant_pk(t), format!("{ACCOUNT_PREFIX}{a}"))
}

/// Makes a login e-mail unique across all tenants.
pub fn login_marker(email: &Email) -> Key {
    Key::new(format!("LOGIN#{email}"), UNIQUE)
}

/// Makes an extension unique inside a tenant.
pub fn extension_marker(t: &TenantId, ext: &Extension) -> Key {
    Key::new(tenant_pk(t), format!("EXT#{ext}"))
}

pub fn pool_pk(region: &str) -> String {
    format!("NUMPOOL#{region}")
}

/// A number of the pool, assigned or not.
pub fn pool_number(region: &str, n: &PhoneNumber) -> Key {
    Key::new(pool_pk(region), format!("NUM#{}", n.e164()))
}

/// GSI2 partition of a region's free numbers (sparse: only free ones are in it).
pub fn pool_available(region: &str) -> String {
    format!("AVAIL#{region}")
}

/// A tenant's hold on a number (DID), written with the claim.
pub fn did(t: &TenantId, n: &PhoneNumber) -> Key {
    Key::new(tenant_pk(t), format!("DID#{}", n.e164()))
}

/// An integrator API key, found by the SHA-256 of its secret.
pub fn api_key(sha256_hex: &str) -> Key {
    Key::new(format!("APIKEY#{sha256_hex}"), "#KEY")
}

/// A tenant's list of its API keys (for the admin screen), in GSI1.
pub fn api_keys_index(t: &TenantId) -> String {
    format!("TENANT#{t}#APIKEYS")
}

/// Maps a tenant's join code to the tenant.
pub fn join_code(code: &str) -> Key {
    Key::new(format!("JOIN#{code}"), UNIQUE)
}

/// A SIP user name, globally unique: the registrar finds the account by it.
pub fn sip_user(username: &str) -> Key {
    Key::new(format!("SIPUSER#{username}"), UNIQUE)
}

/// A portal session, by the SHA-256 of its cookie value.
pub fn session(sha256_hex: &str) -> Key {
    Key::new(format!("SESSION#{sha256_hex}"), "#S")
}

/// A bearer token of the softphone app, by the SHA-256 of its value.
pub fn app_token(sha256_hex: &str) -> Key {
    Key::new(format!("APPTOKEN#{sha256_hex}"), "#T")
}

/// A screen-pop stream token (a customer's web page subscribes with it),
/// by the SHA-256 of its value.
pub fn stream_token(sha256_hex: &str) -> Key {
    Key::new(format!("CTITOKEN#{sha256_hex}"), "#T")
}

/// A rate-limit counter for `subject` in time window `window`.
pub fn throttle(subject: &str, window: i64) -> Key {
    Key::new(format!("THROTTLE#{subject}"), format!("W#{window}"))
}

/// A pending verification (sign-up SMS code, e-mail confirmation).
pub fn verification(id: &str) -> Key {
    Key::new(format!("VERIFY#{id}"), "#V")
}

/// A remembered response to an `Idempotency-Key`, per tenant.
pub fn idempotency(t: &TenantId, key: &str) -> Key {
    Key::new(format!("IDEMP#{t}"), format!("K#{key}"))
}

/// Messages captured by the local sinks (SMS, mail) of the embedded product.
pub fn sink_pk(channel: &str) -> String {
    format!("SINK#{channel}")
}

/// Held while an org-chart upload rewrites a tenant's chart; profile edits
/// check it is absent. Expires by itself if its holder dies.
pub fn org_lock(t: &TenantId) -> Key {
    Key::new(tenant_pk(t), "#ORGLOCK")
}
