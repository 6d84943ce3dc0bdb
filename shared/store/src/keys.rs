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
