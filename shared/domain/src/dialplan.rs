//! What a user dialled: an extension of the company, a Korean number, or a
//! number abroad. The media edge's routing decides on these types, never
//! on string prefixes.
//!
//! Korean dialling: an international call starts with a carrier's access
//! code (`001` KT, `002` LG U+, `00700` SK Telink, ...) or with `+` on a
//! mobile keypad; `+82` and `0082` are home. A SIP user part may carry
//! the same separators people type (`02-123-4567`).

use std::fmt;

use crate::{Extension, PhoneError, PhoneNumber};

/// International access codes in use in Korea, longest first so `00700`
/// wins over `007`. A bare `00` (no carrier) is accepted too.
const ACCESS_CODES: [&str; 14] = [
    "00700", "00300", "00345", "00365", "00755", "00766", "00770", "00796", "001", "002", "005",
    "006", "008", "00",
];

/// A telephone number outside Korea, as E.164 digits (country code first).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InternationalNumber {
    digits: String,
}

impl InternationalNumber {
    /// `+` and the digits: what a SIP trunk takes (RFC 3966 global number).
    pub fn e164(&self) -> String {
        format!("+{}", self.digits)
    }

    /// The digits without `+`.
    pub fn digits(&self) -> &str {
        &self.digits
    }
}

impl fmt::Display for InternationalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.digits)
    }
}

/// What a dial string means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialled {
    /// Four digits: a colleague's extension.
    Extension(Extension),
    /// A Korean number (070, mobile, landline, 15xx, ...).
    National(PhoneNumber),
    /// A number abroad.
    International(InternationalNumber),
}

/// Why a dial string is not a number anyone can be reached at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    #[error("nothing was dialled")]
    Empty,
    #[error("{0:?} is not a dial string (digits, an optional leading +, separators)")]
    NotDigits(String),
    #[error("an international number has 7 to 15 digits after the country code's start; got {0}")]
    InternationalLength(usize),
    #[error("a country code cannot start with 0")]
    CountryCode,
    #[error(transparent)]
    National(#[from] PhoneError),
}

impl Dialled {
    /// Reads the user part of a Request-URI (or a `tel:` number).
    pub fn parse(input: &str) -> Result<Self, DialError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(DialError::Empty);
        }
        let plus = s.starts_with('+');
        let mut digits = String::with_capacity(s.len());
        for (i, ch) in s.chars().enumerate() {
            match ch {
                '0'..='9' => digits.push(ch),
                '+' if i == 0 => {}
                '-' | ' ' | '.' | '(' | ')' => {}
                _ => return Err(DialError::NotDigits(s.to_owned())),
            }
        }
        if digits.is_empty() {
            return Err(DialError::Empty);
        }
        if !plus && let Ok(ext) = Extension::parse(&digits) {
            return Ok(Self::Extension(ext));
        }
        let abroad = if plus {
            Some(digits.as_str())
        } else if digits.starts_with("00") && !digits.starts_with("0082") {
            ACCESS_CODES
                .iter()
                .find_map(|code| digits.strip_prefix(code))
        } else {
            None
        };
        match abroad {
            Some(rest) if !rest.starts_with("82") => {
                if rest.starts_with('0') {
                    return Err(DialError::CountryCode);
                }
                if !(7..=15).contains(&rest.len()) {
                    return Err(DialError::InternationalLength(rest.len()));
                }
                Ok(Self::International(InternationalNumber {
                    digits: rest.to_owned(),
                }))
            }
            // `+82` or `001 82`: a home number dialled the long way.
            Some(rest) => Ok(Self::National(PhoneNumber::parse(&format!("+{rest}"))?)),
            None => Ok(Self::National(PhoneNumber::parse(&digits)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn national(s: &str) -> Dialled {
        Dialled::National(PhoneNumber::parse(s).expect("valid"))
    }

    #[test]
    fn four_digits_are_an_extension() {
        assert_eq!(
            Dialled::parse("1002"),
            Ok(Dialled::Extension(Extension::parse("1002").expect("ext")))
        );
    }

    #[test]
    fn korean_numbers_in_every_spelling_are_national() {
        for s in [
            "0212345678",
            "02-1234-5678",
            "+82212345678",
            "0082212345678",
            "001-82-2-1234-5678",
        ] {
            assert_eq!(Dialled::parse(s), Ok(national("02-1234-5678")), "{s}");
        }
        assert_eq!(Dialled::parse("15881234"), Ok(national("1588-1234")));
        assert_eq!(
            Dialled::parse("+82 70 4000 0001"),
            Ok(national("070-4000-0001"))
        );
    }

    #[test]
    fn carrier_access_codes_and_plus_are_international() {
        for (s, e164) in [
            ("001815551234", "+815551234"),
            ("00700-1-212-555-0100", "+12125550100"),
            ("002 44 20 7946 0000", "+442079460000"),
            ("+1 212 555 0100", "+12125550100"),
        ] {
            match Dialled::parse(s) {
                Ok(Dialled::International(n)) => assert_eq!(n.e164(), e164, "{s}"),
                other => panic!("{s}: {other:?}"),
            }
        }
    }

    #[test]
    fn garbage_and_impossible_numbers_are_refused_with_a_reason() {
        assert_eq!(Dialled::parse(""), Err(DialError::Empty));
        assert!(matches!(
            Dialled::parse("alice"),
            Err(DialError::NotDigits(_))
        ));
        assert_eq!(
            Dialled::parse("+123"),
            Err(DialError::InternationalLength(3))
        );
        assert_eq!(Dialled::parse("001012345678"), Err(DialError::CountryCode));
        assert!(matches!(
            Dialled::parse("12345"),
            Err(DialError::National(_))
        ));
    }
}
