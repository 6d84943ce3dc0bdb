//! Identifiers of tenants and accounts. They become parts of table keys, so
//! they can never contain the `#` key separator or anything outside a small
//! ASCII alphabet.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} is empty")]
    Empty { kind: &'static str },
    #[error("{kind} must be {min} to {max} characters; got {len}")]
    Length {
        kind: &'static str,
        min: usize,
        max: usize,
        len: usize,
    },
    #[error("{kind} may contain only a-z, 0-9 and '-' (not at either end); found {ch:?}")]
    Character { kind: &'static str, ch: char },
}

fn check_slug(kind: &'static str, s: &str, min: usize, max: usize) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if let Some(ch) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(IdError::Character { kind, ch });
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err(IdError::Character { kind, ch: '-' });
    }
    if !(min..=max).contains(&s.len()) {
        return Err(IdError::Length {
            kind,
            min,
            max,
            len: s.len(),
        });
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(input: &str) -> Result<Self, IdError> {
                check_slug($kind, input, $min, $max)?;
                Ok(Self(input.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A tenant (customer company): a short slug chosen by the operator,
    /// e.g. `dial070`, or generated.
    TenantId,
    "tenant id",
    3,
    40
);

id_type!(
    /// An account (subscriber) inside a tenant: a time-ordered UUID in simple form.
    AccountId,
    "account id",
    32,
    32
);

id_type!(
    /// A media edge: one running edge process (container) in a region, e.g.
    /// `seoul-1`. Registrations and open calls belong to an edge.
    EdgeId,
    "edge id",
    1,
    40
);

id_type!(
    /// A hunt group (착신그룹) inside a tenant: a time-ordered UUID in simple form.
    HuntGroupId,
    "hunt group id",
    32,
    32
);

id_type!(
    /// An ARS scenario (자동응답) inside a tenant: a time-ordered UUID in simple form.
    IvrId,
    "ivr id",
    32,
    32
);

id_type!(
    /// A callback request (콜백 요청) inside a tenant: a time-ordered UUID in
    /// simple form (newer requests sort after older ones).
    CallbackId,
    "callback id",
    32,
    32
);

impl CallbackId {
    /// A fresh, time-ordered request id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }
}

impl IvrId {
    /// A fresh, time-ordered scenario id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }
}

impl HuntGroupId {
    /// A fresh, time-ordered hunt group id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }
}

impl TenantId {
    /// A fresh random tenant id (`t-` followed by 16 hex digits of a UUIDv7).
    pub fn generate() -> Self {
        let u = uuid::Uuid::now_v7().simple().to_string();
        Self(format!("t-{}", &u[16..]))
    }
}

impl AccountId {
    /// A fresh, time-ordered account id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_slugs_are_accepted() {
        assert_eq!(
            TenantId::parse("dial070").map(|t| t.to_string()),
            Ok("dial070".into())
        );
        assert!(TenantId::parse("acme-korea").is_ok());
    }

    #[test]
    fn tenant_id_with_key_separator_is_rejected() {
        assert_eq!(
            TenantId::parse("a#b"),
            Err(IdError::Character {
                kind: "tenant id",
                ch: '#'
            })
        );
    }

    #[test]
    fn tenant_id_with_upper_case_or_edge_hyphen_is_rejected() {
        assert!(matches!(
            TenantId::parse("Acme"),
            Err(IdError::Character { ch: 'A', .. })
        ));
        assert!(matches!(
            TenantId::parse("-acme"),
            Err(IdError::Character { ch: '-', .. })
        ));
    }

    #[test]
    fn tenant_id_length_is_bounded() {
        assert!(matches!(
            TenantId::parse("ab"),
            Err(IdError::Length { len: 2, .. })
        ));
        assert!(matches!(
            TenantId::parse(&"a".repeat(41)),
            Err(IdError::Length { len: 41, .. })
        ));
        assert_eq!(
            TenantId::parse(""),
            Err(IdError::Empty { kind: "tenant id" })
        );
    }

    #[test]
    fn generated_ids_parse_and_differ() {
        let a = AccountId::generate();
        let b = AccountId::generate();
        assert_ne!(a, b);
        assert_eq!(AccountId::parse(a.as_str()), Ok(a.clone()));
        let t = TenantId::generate();
        assert_eq!(TenantId::parse(t.as_str()), Ok(t));
    }

    #[test]
    fn account_id_must_be_32_characters() {
        assert!(matches!(
            AccountId::parse("abc"),
            Err(IdError::Length { len: 3, .. })
        ));
    }
}
