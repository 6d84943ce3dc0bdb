//! E-mail addresses used as login names: validated and normalised so that
//! uniqueness checks compare like with like.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A syntactically valid e-mail address, lower-cased.
///
/// Lower-casing the local part is stricter than RFC 5321 but matches every
/// mail provider our users have, and makes `Kim@X.kr` and `kim@x.kr` one login.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail address is empty")]
    Empty,
    #[error("e-mail address is longer than 254 characters")]
    TooLong,
    #[error("e-mail address needs exactly one @")]
    At,
    #[error("the part before @ is empty or longer than 64 characters")]
    LocalPartLength,
    #[error("the part before @ contains {0:?}, which is not allowed")]
    LocalPartCharacter(char),
    #[error("the part before @ cannot start or end with a dot or contain two dots in a row")]
    LocalPartDots,
    #[error("the domain {0:?} is not a valid internet domain")]
    Domain(String),
}

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let mut parts = s.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::At);
        };
        if local.is_empty() || local.len() > 64 {
            return Err(EmailError::LocalPartLength);
        }
        if let Some(c) = local
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(*c)))
        {
            return Err(EmailError::LocalPartCharacter(c));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(EmailError::LocalPartDots);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let tld_ok = labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
        if labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
            return Err(EmailError::Domain(domain.to_owned()));
        }
        Ok(Self(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Email {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_is_lower_cased_and_trimmed() {
        assert_eq!(
            Email::parse("  Kim.MinSu@Dial070.Co.KR ").map(|e| e.to_string()),
            Ok("kim.minsu@dial070.co.kr".into())
        );
    }

    #[test]
    fn plus_addressing_is_accepted() {
        assert!(Email::parse("ops+alerts@example.com").is_ok());
    }

    #[test]
    fn missing_or_double_at_is_rejected() {
        assert_eq!(Email::parse("kim.example.com"), Err(EmailError::At));
        assert_eq!(Email::parse("a@b@example.com"), Err(EmailError::At));
    }

    #[test]
    fn domain_without_a_dot_is_rejected() {
        assert_eq!(
            Email::parse("kim@localhost"),
            Err(EmailError::Domain("localhost".into()))
        );
        assert_eq!(
            Email::parse("kim@-bad.com"),
            Err(EmailError::Domain("-bad.com".into()))
        );
        assert_eq!(
            Email::parse("kim@example.c"),
            Err(EmailError::Domain("example.c".into()))
        );
    }

    #[test]
    fn local_part_rules_are_enforced() {
        assert_eq!(
            Email::parse("@example.com"),
            Err(EmailError::LocalPartLength)
        );
        assert_eq!(
            Email::parse("kim..lee@example.com"),
            Err(EmailError::LocalPartDots)
        );
        assert_eq!(
            Email::parse("김@example.com"),
            Err(EmailError::LocalPartCharacter('김'))
        );
        assert_eq!(
            Email::parse(&format!("{}@example.com", "a".repeat(65))),
            Err(EmailError::LocalPartLength)
        );
    }

    #[test]
    fn empty_address_is_rejected() {
        assert_eq!(Email::parse(" "), Err(EmailError::Empty));
    }
}
