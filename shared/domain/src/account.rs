//! Tenants and accounts: the people and companies the platform serves.

use serde::{Deserialize, Serialize};

use crate::links::{DEFAULT_NOTICE_NAME, DEFAULT_OTHER_NAME, HttpsUrl};
use crate::{AccountId, Email, Extension, PhoneNumber, TenantId};

/// An account's subscription state (상태). New sign-ups start suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// 정지: cannot register a phone or log in to the portal.
    Suspended,
    /// 활성: works at once.
    Active,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suspended => "suspended",
            Self::Active => "active",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "suspended" => Some(Self::Suspended),
            "active" => Some(Self::Active),
            _ => None,
        }
    }
    /// The label the portal shows.
    pub fn label_ko(self) -> &'static str {
        match self {
            Self::Suspended => "정지",
            Self::Active => "활성",
        }
    }
}

/// What an account may do in the portals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 관리자: runs the tenant.
    Admin,
    /// 사용자: an employee.
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::User => "user",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "user" => Some(Self::User),
            _ => None,
        }
    }
}

/// A customer company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    pub id: TenantId,
    /// Company name as shown in the portals, e.g. (주)다이얼커뮤니케이션즈.
    pub name: String,
    /// 대표번호: the sender of admin SMS.
    pub representative_number: Option<PhoneNumber>,
    /// Number-pool region its numbers come from.
    pub region: String,
    /// The company's time zone (Asia/Seoul unless set): business-hour
    /// defaults, statistics buckets, and the times its admins and the API see.
    pub time_zone: crate::calendar::TimeZone,
    /// Code employees type in the app to join this tenant.
    pub join_code: String,
    /// URL 관리 (A6): what the app shows.
    pub links: TenantLinks,
    pub created_at: i64,
}

/// A tenant's app links (URL 관리).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantLinks {
    pub ci_url: Option<HttpsUrl>,
    pub notice_url: Option<HttpsUrl>,
    pub notice_name: String,
    pub other_url: Option<HttpsUrl>,
    pub other_name: String,
}

impl Default for TenantLinks {
    fn default() -> Self {
        Self {
            ci_url: None,
            notice_url: None,
            notice_name: DEFAULT_NOTICE_NAME.into(),
            other_url: None,
            other_name: DEFAULT_OTHER_NAME.into(),
        }
    }
}

/// What an account may do beyond calling colleagues (T10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Permissions {
    /// Calls to numbers outside the company.
    pub outbound: bool,
    /// Calls abroad (needs `outbound`).
    pub international: bool,
    /// May listen to and download recordings.
    pub recording_access: bool,
    /// Every answered call of this account is recorded (C3 auto-record).
    #[serde(default)]
    pub auto_record: bool,
}

impl Default for Permissions {
    fn default() -> Self {
        Self {
            outbound: true,
            international: false,
            recording_access: false,
            auto_record: false,
        }
    }
}

/// A subscriber of a tenant: an employee with (eventually) a 070 number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub tenant: TenantId,
    pub id: AccountId,
    pub name: String,
    pub email: Option<Email>,
    pub mobile: Option<PhoneNumber>,
    pub role: Role,
    pub status: AccountStatus,
    /// 요금제, e.g. 무제한PIN요금제.
    pub plan: String,
    /// argon2id PHC string; never leaves the server.
    #[serde(skip_serializing)]
    pub password_hash: Option<String>,
    pub extension: Option<Extension>,
    /// The assigned 070 number.
    pub number: Option<PhoneNumber>,
    pub department: Option<String>,
    pub position: Option<String>,
    /// Portal login needs a confirmed e-mail.
    pub email_verified: bool,
    /// The SIP user name phones register with (T10).
    pub sip_username: Option<String>,
    pub permissions: Permissions,
    pub created_at: i64,
}

/// Checks a display name (company or person): trimmed, 1 to 100 characters,
/// no control characters.
pub fn parse_name(kind: &'static str, input: &str) -> Result<String, NameError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(NameError::Empty(kind));
    }
    if s.chars().count() > 100 {
        return Err(NameError::TooLong(kind));
    }
    if s.chars().any(char::is_control) {
        return Err(NameError::Control(kind));
    }
    Ok(s.to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("{0} is longer than 100 characters")]
    TooLong(&'static str),
    #[error("{0} contains control characters")]
    Control(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("name", "  김민수 "), Ok("김민수".into()));
        assert_eq!(parse_name("name", " "), Err(NameError::Empty("name")));
        assert_eq!(
            parse_name("name", &"가".repeat(101)),
            Err(NameError::TooLong("name"))
        );
        assert_eq!(parse_name("name", "a\nb"), Err(NameError::Control("name")));
    }

    #[test]
    fn status_and_role_round_trip_through_their_codes() {
        for s in [AccountStatus::Suspended, AccountStatus::Active] {
            assert_eq!(AccountStatus::parse(s.as_str()), Some(s));
        }
        for r in [Role::Admin, Role::User] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(AccountStatus::Suspended.label_ko(), "정지");
        assert_eq!(AccountStatus::parse("deleted"), None);
    }
}
