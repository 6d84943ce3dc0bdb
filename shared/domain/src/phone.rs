//! Korean telephone numbers: parsed from what people type, stored as E.164,
//! shown the way Koreans write them.
//!
//! Accepted input: digits with hyphens, spaces, dots or parentheses between
//! them, optionally in international form (`+82 10-1234-5678`,
//! `0082-2-123-4567`, `82 70 1234 5678`). The national plan rules decide
//! which prefixes exist and how many subscriber digits follow them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What sort of number this is; decides where it may be used (a user's
/// assigned number must be [`PhoneKind::Internet`], SMS recipients must be
/// [`PhoneKind::Mobile`] or able to receive text, and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// 010 (and the legacy 011, 016, 017, 018, 019) mobile numbers.
    Mobile,
    /// 070 internet-telephony numbers: what this platform assigns.
    Internet,
    /// Geographic numbers: 02 (Seoul) and the 0NN area codes.
    Geographic,
    /// Nationwide representative numbers such as 1588-1234 (15xx, 16xx, 18xx).
    Representative,
    /// 080 free-phone numbers.
    TollFree,
    /// 050x personal (safe) numbers.
    Personal,
}

/// A valid Korean telephone number.
///
/// Stored as its national significant digits (without the trunk `0`), which
/// gives the E.164 form `+82<nsn>`; [`fmt::Display`] prints the usual hyphenated
/// national form, e.g. `070-1234-5678`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber {
    /// National significant number: digits after `+82`, e.g. `7012345678`.
    nsn: String,
}

/// Why a string is not a [`PhoneNumber`]. Each variant says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error(
        "phone number contains {ch:?} at position {position}; use digits, spaces, hyphens or a leading +82"
    )]
    InvalidCharacter { ch: char, position: usize },
    #[error("only Korean numbers (+82) are accepted; got country code +{0}")]
    ForeignCountryCode(String),
    #[error(
        "a national number starts with 0 (e.g. 010, 02, 070) or is a 15xx/16xx/18xx representative number"
    )]
    MissingTrunkPrefix,
    #[error(
        "unknown prefix {0}: not a Korean mobile, 070, area code, 080, 050x or representative number"
    )]
    UnknownPrefix(String),
    #[error("{prefix} numbers have {expected} digits after the prefix; got {got}")]
    WrongLength {
        prefix: String,
        expected: &'static str,
        got: usize,
    },
    #[error("subscriber number cannot start with {0}")]
    InvalidSubscriber(char),
}

const AREA_CODES: [&str; 16] = [
    "31", "32", "33", "41", "42", "43", "44", "51", "52", "53", "54", "55", "61", "62", "63", "64",
];

impl PhoneNumber {
    /// Parses a number as typed by a person or exported by a spreadsheet.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut digits = String::with_capacity(trimmed.len());
        let mut plus = false;
        for (i, ch) in trimmed.chars().enumerate() {
            match ch {
                '0'..='9' => digits.push(ch),
                '+' if i == 0 => plus = true,
                ' ' | '-' | '.' | '(' | ')' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' => {
                }
                _ => {
                    return Err(PhoneError::InvalidCharacter {
                        ch,
                        position: i + 1,
                    });
                }
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        let national = if plus {
            strip_country(&digits)?
        } else if let Some(rest) = digits.strip_prefix("0082") {
            rest.trim_start_matches('0').to_owned()
        } else if digits.starts_with("82") && digits.len() >= 10 && !digits.starts_with("820") {
            // "82 10 1234 5678" typed without the plus.
            digits[2..].to_owned()
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest.to_owned()
        } else if digits.starts_with("15") || digits.starts_with("16") || digits.starts_with("18") {
            digits.clone()
        } else {
            return Err(PhoneError::MissingTrunkPrefix);
        };
        let nsn = national;
        classify(&nsn)?;
        Ok(Self { nsn })
    }

    /// Parses an E.164 string (`+827012345678`) as stored in the table.
    pub fn from_e164(e164: &str) -> Result<Self, PhoneError> {
        if !e164.starts_with('+') {
            return Err(PhoneError::MissingTrunkPrefix);
        }
        Self::parse(e164)
    }

    /// `+82` followed by the national significant number.
    pub fn e164(&self) -> String {
        format!("+82{}", self.nsn)
    }

    /// The number as dialled inside Korea, without separators: `07012345678`,
    /// `15881234`. This is what carriers and SMS providers expect.
    pub fn national_digits(&self) -> String {
        match self.kind() {
            PhoneKind::Representative => self.nsn.clone(),
            _ => format!("0{}", self.nsn),
        }
    }

    pub fn kind(&self) -> PhoneKind {
        // Only classified numbers are constructed.
        classify(&self.nsn)
            .map(|(k, _)| k)
            .unwrap_or(PhoneKind::Geographic)
    }

    /// Hyphenated national form: `070-1234-5678`, `02-123-4567`, `1588-1234`.
    pub fn display(&self) -> String {
        self.to_string()
    }
}

fn strip_country(digits: &str) -> Result<String, PhoneError> {
    match digits.strip_prefix("82") {
        // "+82 010..." is a common mistake; the 0 is the trunk prefix and is dropped.
        Some(rest) => Ok(rest.strip_prefix('0').unwrap_or(rest).to_owned()),
        None => {
            let cc: String = digits.chars().take(3).collect();
            Err(PhoneError::ForeignCountryCode(cc))
        }
    }
}

/// Returns the kind and the length of the prefix (in NSN digits).
fn classify(nsn: &str) -> Result<(PhoneKind, usize), PhoneError> {
    let len_err = |prefix: &str, expected: &'static str, got: usize| PhoneError::WrongLength {
        prefix: prefix.to_owned(),
        expected,
        got,
    };
    let subscriber_check = |sub: &str| -> Result<(), PhoneError> {
        match sub.chars().next() {
            Some('0') => Err(PhoneError::InvalidSubscriber('0')),
            _ => Ok(()),
        }
    };
    let b = nsn.as_bytes();
    if b.len() < 2 {
        return Err(PhoneError::UnknownPrefix(format!("0{nsn}")));
    }
    // 15xx/16xx/18xx representative numbers have 8 digits and no trunk
    // prefix; the legacy 016/018 mobiles share the leading digits but are longer.
    if b.len() == 8 && b[0] == b'1' && matches!(b[1], b'5' | b'6' | b'8') {
        return Ok((PhoneKind::Representative, 4));
    }
    match (b[0], b[1]) {
        (b'1', b'0') => {
            let sub = &nsn[2..];
            if sub.len() != 8 {
                return Err(len_err("010", "8", sub.len()));
            }
            subscriber_check(sub)?;
            Ok((PhoneKind::Mobile, 2))
        }
        (b'1', b'1' | b'6' | b'7' | b'8' | b'9') => {
            let sub = &nsn[2..];
            if !(7..=8).contains(&sub.len()) {
                return Err(len_err(&format!("0{}", &nsn[..2]), "7 or 8", sub.len()));
            }
            subscriber_check(sub)?;
            Ok((PhoneKind::Mobile, 2))
        }
        (b'1', b'5') => Err(len_err(
            &nsn[..nsn.len().min(4)],
            "4",
            nsn.len().saturating_sub(4),
        )),
        (b'7', b'0') => {
            let sub = &nsn[2..];
            if sub.len() != 8 {
                return Err(len_err("070", "8", sub.len()));
            }
            subscriber_check(sub)?;
            Ok((PhoneKind::Internet, 2))
        }
        (b'8', b'0') => {
            let sub = &nsn[2..];
            if !(7..=8).contains(&sub.len()) {
                return Err(len_err("080", "7 or 8", sub.len()));
            }
            Ok((PhoneKind::TollFree, 2))
        }
        (b'5', b'0') if b.len() >= 3 && (b'2'..=b'8').contains(&b[2]) => {
            let sub = &nsn[3..];
            if !(7..=8).contains(&sub.len()) {
                return Err(len_err(&format!("0{}", &nsn[..3]), "7 or 8", sub.len()));
            }
            Ok((PhoneKind::Personal, 3))
        }
        (b'2', _) => {
            let sub = &nsn[1..];
            if !(7..=8).contains(&sub.len()) {
                return Err(len_err("02", "7 or 8", sub.len()));
            }
            subscriber_check(sub)?;
            Ok((PhoneKind::Geographic, 1))
        }
        _ if AREA_CODES.contains(&&nsn[..2]) => {
            let sub = &nsn[2..];
            if !(7..=8).contains(&sub.len()) {
                return Err(len_err(&format!("0{}", &nsn[..2]), "7 or 8", sub.len()));
            }
            subscriber_check(sub)?;
            Ok((PhoneKind::Geographic, 2))
        }
        _ => Err(PhoneError::UnknownPrefix(format!("0{}", &nsn[..2]))),
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, prefix_len) = classify(&self.nsn).map_err(|_| fmt::Error)?;
        let (prefix, sub) = self.nsn.split_at(prefix_len);
        match kind {
            PhoneKind::Representative => write!(f, "{prefix}-{sub}"),
            _ => {
                // The last four digits are the line number; what is left is the exchange.
                let (exchange, line) = sub.split_at(sub.len() - 4);
                write!(f, "0{prefix}-{exchange}-{line}")
            }
        }
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Serialized as E.164, the storage form.
impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.e164())
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> PhoneNumber {
        PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
    }

    #[test]
    fn internet_numbers_are_stored_as_e164_and_shown_hyphenated() {
        for input in [
            "070-1234-5678",
            "07012345678",
            "070 1234 5678",
            "+82 70-1234-5678",
            "+82 070 1234 5678",
            "0082 70 1234 5678",
            "82 70 1234 5678",
        ] {
            let n = ok(input);
            assert_eq!(n.e164(), "+827012345678", "{input}");
            assert_eq!(n.to_string(), "070-1234-5678", "{input}");
            assert_eq!(n.kind(), PhoneKind::Internet);
            assert_eq!(n.national_digits(), "07012345678");
        }
    }

    #[test]
    fn mobile_numbers_parse_in_every_common_spelling() {
        for input in [
            "010-9876-5432",
            "01098765432",
            "+821098765432",
            "(010) 9876.5432",
        ] {
            let n = ok(input);
            assert_eq!(n.e164(), "+821098765432");
            assert_eq!(n.to_string(), "010-9876-5432");
            assert_eq!(n.kind(), PhoneKind::Mobile);
        }
        assert_eq!(ok("011-234-5678").to_string(), "011-234-5678");
    }

    #[test]
    fn seoul_numbers_have_three_or_four_digit_exchanges() {
        assert_eq!(ok("02-123-4567").to_string(), "02-123-4567");
        assert_eq!(ok("0212345678").to_string(), "02-1234-5678");
        assert_eq!(ok("+82 2 1234 5678").e164(), "+82212345678");
        assert_eq!(ok("02-1234-5678").kind(), PhoneKind::Geographic);
    }

    #[test]
    fn provincial_area_codes_are_known() {
        assert_eq!(ok("031-123-4567").to_string(), "031-123-4567");
        assert_eq!(ok("064 7123 4567").to_string(), "064-7123-4567");
        assert_eq!(ok("051-234-5678").e164(), "+82512345678");
    }

    #[test]
    fn representative_numbers_have_no_trunk_prefix() {
        let n = ok("1588-1234");
        assert_eq!(n.e164(), "+8215881234");
        assert_eq!(n.to_string(), "1588-1234");
        assert_eq!(n.national_digits(), "15881234");
        assert_eq!(n.kind(), PhoneKind::Representative);
        assert_eq!(ok("+82 1644 0000").to_string(), "1644-0000");
        assert_eq!(ok("18001234").to_string(), "1800-1234");
    }

    #[test]
    fn toll_free_and_personal_numbers_are_recognised() {
        assert_eq!(ok("080-123-4567").kind(), PhoneKind::TollFree);
        assert_eq!(ok("0505-123-4567").to_string(), "0505-123-4567");
        assert_eq!(ok("0505-123-4567").kind(), PhoneKind::Personal);
    }

    #[test]
    fn e164_round_trips() {
        for input in [
            "070-1234-5678",
            "02-123-4567",
            "1588-1234",
            "010-2222-3333",
            "031-1234-5678",
        ] {
            let n = ok(input);
            assert_eq!(PhoneNumber::from_e164(&n.e164()), Ok(n.clone()));
            let json = serde_json::to_string(&n).expect("serialize");
            assert_eq!(
                serde_json::from_str::<PhoneNumber>(&json).expect("deserialize"),
                n
            );
        }
    }

    #[test]
    fn empty_input_is_rejected() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse(" - "), Err(PhoneError::Empty));
    }

    #[test]
    fn letters_are_rejected_with_their_position() {
        assert_eq!(
            PhoneNumber::parse("010-12a4-5678"),
            Err(PhoneError::InvalidCharacter {
                ch: 'a',
                position: 7
            })
        );
        assert!(matches!(
            PhoneNumber::parse("010+1234"),
            Err(PhoneError::InvalidCharacter { ch: '+', .. })
        ));
    }

    #[test]
    fn foreign_numbers_are_rejected() {
        assert_eq!(
            PhoneNumber::parse("+1 415 555 0100"),
            Err(PhoneError::ForeignCountryCode("141".into()))
        );
    }

    #[test]
    fn wrong_lengths_name_the_prefix_and_expected_digits() {
        assert_eq!(
            PhoneNumber::parse("070-123-4567"),
            Err(PhoneError::WrongLength {
                prefix: "070".into(),
                expected: "8",
                got: 7
            })
        );
        assert_eq!(
            PhoneNumber::parse("010-1234-56789"),
            Err(PhoneError::WrongLength {
                prefix: "010".into(),
                expected: "8",
                got: 9
            })
        );
        assert!(matches!(
            PhoneNumber::parse("02-12-3456"),
            Err(PhoneError::WrongLength { .. })
        ));
        assert!(matches!(
            PhoneNumber::parse("1588-123"),
            Err(PhoneError::WrongLength { .. })
        ));
    }

    #[test]
    fn unknown_prefixes_are_rejected() {
        assert_eq!(
            PhoneNumber::parse("090-123-4567"),
            Err(PhoneError::UnknownPrefix("090".into()))
        );
        assert_eq!(
            PhoneNumber::parse("1234-5678"),
            Err(PhoneError::MissingTrunkPrefix)
        );
    }

    #[test]
    fn subscriber_numbers_cannot_start_with_zero_or_one() {
        assert_eq!(
            PhoneNumber::parse("070-0123-4567"),
            Err(PhoneError::InvalidSubscriber('0'))
        );
        assert_eq!(
            PhoneNumber::parse("02-123-4567").map(|n| n.kind()),
            Ok(PhoneKind::Geographic)
        );
        assert_eq!(
            PhoneNumber::parse("02-023-4567"),
            Err(PhoneError::InvalidSubscriber('0'))
        );
    }
}
