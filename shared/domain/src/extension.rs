//! Internal extension numbers (내선번호): exactly four ASCII digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A four-digit internal extension such as `0001` or `2045`.
///
/// Leading zeros are significant (`0001` and `1` are different inputs; only
/// the first is valid), matching how the manual's screens show extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Extension([u8; 4]);

/// Why a string is not an [`Extension`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    #[error("extension is empty")]
    Empty,
    #[error("extension must contain digits only; found {ch:?} at position {position}")]
    NotADigit { ch: char, position: usize },
    #[error("extension must be exactly 4 digits; got {len}")]
    WrongLength { len: usize },
}

impl Extension {
    /// Parses an extension, trimming surrounding white space only.
    pub fn parse(input: &str) -> Result<Self, ExtensionError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ExtensionError::Empty);
        }
        if let Some((i, ch)) = s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(ExtensionError::NotADigit {
                ch,
                position: i + 1,
            });
        }
        let bytes = s.as_bytes();
        let digits: [u8; 4] = bytes
            .try_into()
            .map_err(|_| ExtensionError::WrongLength { len: bytes.len() })?;
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("0000")
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Extension {
    type Err = ExtensionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Extension {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Extension {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_digits_are_accepted_with_leading_zeros_kept() {
        assert_eq!(
            Extension::parse("0001").map(|e| e.to_string()),
            Ok("0001".into())
        );
        assert_eq!(
            Extension::parse(" 2045 ").map(|e| e.to_string()),
            Ok("2045".into())
        );
    }

    #[test]
    fn extension_with_three_digits_is_rejected() {
        assert_eq!(
            Extension::parse("123"),
            Err(ExtensionError::WrongLength { len: 3 })
        );
    }

    #[test]
    fn extension_with_five_digits_is_rejected() {
        assert_eq!(
            Extension::parse("12345"),
            Err(ExtensionError::WrongLength { len: 5 })
        );
    }

    #[test]
    fn extension_with_a_letter_names_the_letter_and_position() {
        assert_eq!(
            Extension::parse("12a4"),
            Err(ExtensionError::NotADigit {
                ch: 'a',
                position: 3
            })
        );
    }

    #[test]
    fn non_ascii_digits_are_rejected() {
        assert!(matches!(
            Extension::parse("١٢٣٤"),
            Err(ExtensionError::NotADigit { .. })
        ));
    }

    #[test]
    fn empty_extension_is_rejected() {
        assert_eq!(Extension::parse("  "), Err(ExtensionError::Empty));
    }

    #[test]
    fn extension_round_trips_through_json() {
        let e = Extension::parse("0420").expect("valid");
        let json = serde_json::to_string(&e).expect("serialize");
        assert_eq!(json, "\"0420\"");
        assert_eq!(
            serde_json::from_str::<Extension>(&json).expect("deserialize"),
            e
        );
        assert!(serde_json::from_str::<Extension>("\"42\"").is_err());
    }
}
