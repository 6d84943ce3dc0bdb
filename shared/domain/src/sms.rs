//! Korean business messaging rules (A3, U5, C6): bytes counted as carriers
//! count them, SMS / LMS / MMS limits, the live counter label, JPEG checks
//! for MMS, and prices in tenths of a won (never floating point).
//!
//! Carriers count bytes in EUC-KR (in practice CP949, its superset with all
//! 11,172 Hangul syllables): Hangul and other double-byte characters are 2,
//! ASCII is 1. A character CP949 cannot carry (emoji, most non-Korean
//! scripts) cannot be sent; the error names it and where it is.

use std::fmt;

use serde::{Deserialize, Serialize};

/// SMS holds up to 90 bytes.
pub const SMS_MAX_BYTES: usize = 90;
/// LMS and MMS text hold up to 2,000 bytes.
pub const LMS_MAX_BYTES: usize = 2000;
/// LMS / MMS subject, in bytes.
pub const SUBJECT_MAX_BYTES: usize = 40;
/// At most three images per MMS.
pub const MMS_MAX_IMAGES: usize = 3;
/// Carriers refuse images larger than this.
pub const MMS_MAX_IMAGE_BYTES: usize = 300 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MessageKind {
    Sms,
    Lms,
    Mms,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Lms => "LMS",
            Self::Mms => "MMS",
        }
    }
    /// The byte limit of the text.
    pub fn max_bytes(self) -> usize {
        match self {
            Self::Sms => SMS_MAX_BYTES,
            Self::Lms | Self::Mms => LMS_MAX_BYTES,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    #[error("message is empty")]
    Empty,
    #[error("character {ch:?} (U+{code:04X}) at position {position} cannot be sent by SMS")]
    Unsupported {
        ch: char,
        code: u32,
        position: usize,
    },
    #[error("message is {bytes} bytes; the limit is {max}")]
    TooLong { bytes: usize, max: usize },
    #[error("subject is {bytes} bytes; the limit is {max}")]
    SubjectTooLong { bytes: usize, max: usize },
    #[error("an MMS carries at most {max} images; got {got}")]
    TooManyImages { got: usize, max: usize },
}

/// Bytes of `text` as carriers count them, or the first character they cannot carry.
pub fn byte_len(text: &str) -> Result<usize, SmsError> {
    let mut total = 0;
    let mut buf = [0u8; 4];
    for (i, ch) in text.chars().enumerate() {
        let (bytes, _, unmappable) = encoding_rs::EUC_KR.encode(ch.encode_utf8(&mut buf));
        if unmappable {
            return Err(SmsError::Unsupported {
                ch,
                code: u32::from(ch),
                position: i + 1,
            });
        }
        total += bytes.len();
    }
    Ok(total)
}

/// What a message will be sent as, and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Composition {
    pub kind: MessageKind,
    pub bytes: usize,
}

impl Composition {
    /// The counter the forms show, e.g. `19 / SMS 90byte`.
    pub fn label(&self) -> String {
        format!(
            "{} / {} {}byte",
            self.bytes,
            self.kind.as_str(),
            self.kind.max_bytes()
        )
    }
}

/// Decides SMS, LMS or MMS: over 90 bytes, or with a subject, is LMS; any
/// image makes it MMS.
pub fn compose(text: &str, subject: Option<&str>, images: usize) -> Result<Composition, SmsError> {
    if text.trim().is_empty() && images == 0 {
        return Err(SmsError::Empty);
    }
    let bytes = byte_len(text)?;
    if let Some(s) = subject.filter(|s| !s.is_empty()) {
        let sb = byte_len(s)?;
        if sb > SUBJECT_MAX_BYTES {
            return Err(SmsError::SubjectTooLong {
                bytes: sb,
                max: SUBJECT_MAX_BYTES,
            });
        }
    }
    if images > MMS_MAX_IMAGES {
        return Err(SmsError::TooManyImages {
            got: images,
            max: MMS_MAX_IMAGES,
        });
    }
    let has_subject = subject.is_some_and(|s| !s.is_empty());
    let kind = if images > 0 {
        MessageKind::Mms
    } else if bytes > SMS_MAX_BYTES || has_subject {
        MessageKind::Lms
    } else {
        MessageKind::Sms
    };
    if bytes > kind.max_bytes() {
        return Err(SmsError::TooLong {
            bytes,
            max: kind.max_bytes(),
        });
    }
    Ok(Composition { kind, bytes })
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("image is {bytes} bytes; carriers accept at most {max}")]
    TooLarge { bytes: usize, max: usize },
    #[error("not a JPEG image")]
    NotJpeg,
    #[error("JPEG is truncated or corrupt")]
    Corrupt,
}

/// A checked MMS image and whether it fits the recommended 320x240.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct JpegInfo {
    pub width: u16,
    pub height: u16,
    /// Far from 320x240 (more than twice or less than half either way).
    pub unusual_size: bool,
}

/// Reads a JPEG's frame header (SOF0..SOF15 except DHT/JPG/DAC) for its size.
pub fn check_jpeg(bytes: &[u8]) -> Result<JpegInfo, ImageError> {
    if bytes.len() > MMS_MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge {
            bytes: bytes.len(),
            max: MMS_MAX_IMAGE_BYTES,
        });
    }
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return Err(ImageError::NotJpeg);
    }
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return Err(ImageError::Corrupt);
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xD9 || marker == 0xDA {
            break;
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if len < 2 || i + 2 + len > bytes.len() {
            return Err(ImageError::Corrupt);
        }
        let is_sof = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            if len < 7 {
                return Err(ImageError::Corrupt);
            }
            let height = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]);
            let width = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]);
            if width == 0 || height == 0 {
                return Err(ImageError::Corrupt);
            }
            let off = |v: u16, r: u16| v > r * 2 || v < r / 2;
            return Ok(JpegInfo {
                width,
                height,
                unusual_size: off(width, 320) || off(height, 240),
            });
        }
        i += 2 + len;
    }
    Err(ImageError::Corrupt)
}

/// Money in tenths of a won: 31.2원 is `Won10(312)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Won10(pub i64);

impl Won10 {
    /// Parses "31.2", "31", "0.5" (at most one decimal).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().trim_end_matches('원');
        let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
        if int.is_empty()
            || frac.len() != 1
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let i: i64 = int.parse().ok()?;
        let f: i64 = frac.parse().ok()?;
        i.checked_mul(10)?.checked_add(f).map(Won10)
    }
    pub fn times(self, n: u64) -> Option<Won10> {
        self.0.checked_mul(i64::try_from(n).ok()?).map(Won10)
    }
}

impl fmt::Display for Won10 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        let (i, d) = (v / 10, v % 10);
        // Thousands separators, as invoices show them.
        let digits = i.to_string();
        let mut grouped = String::new();
        for (n, c) in digits.chars().enumerate() {
            if n > 0 && (digits.len() - n) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if d == 0 {
            write!(f, "{sign}{grouped}원")
        } else {
            write!(f, "{sign}{grouped}.{d}원")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_counts_two_bytes_and_ascii_one() {
        assert_eq!(
            byte_len("테스트 문자 입니다."),
            Ok(19),
            "the manual's example shows 19"
        );
        assert_eq!(byte_len("abc"), Ok(3));
        assert_eq!(byte_len("가"), Ok(2));
        assert_eq!(
            byte_len("똠방각하"),
            Ok(8),
            "CP949 extended syllables count 2"
        );
        assert_eq!(byte_len(""), Ok(0));
        assert_eq!(byte_len("①★※"), Ok(6), "KS X 1001 symbols are 2 bytes");
        assert_eq!(byte_len("漢字"), Ok(4));
    }

    #[test]
    fn emoji_are_named_with_their_position() {
        assert_eq!(
            byte_len("안녕😀"),
            Err(SmsError::Unsupported {
                ch: '😀',
                code: 0x1F600,
                position: 3
            })
        );
        assert!(matches!(
            byte_len("ทดสอบ"),
            Err(SmsError::Unsupported { position: 1, .. })
        ));
    }

    #[test]
    fn ninety_bytes_is_an_sms_and_ninety_one_an_lms() {
        let ninety = "가".repeat(45);
        assert_eq!(
            compose(&ninety, None, 0),
            Ok(Composition {
                kind: MessageKind::Sms,
                bytes: 90
            })
        );
        let more = format!("{ninety}a");
        assert_eq!(
            compose(&more, None, 0).map(|c| c.kind),
            Ok(MessageKind::Lms)
        );
        assert_eq!(
            compose("짧은 글", Some("제목"), 0).map(|c| c.kind),
            Ok(MessageKind::Lms),
            "a subject makes it LMS"
        );
    }

    #[test]
    fn lms_stops_at_two_thousand_bytes() {
        assert_eq!(
            compose(&"가".repeat(1000), None, 0).map(|c| c.bytes),
            Ok(2000)
        );
        assert_eq!(
            compose(&"가".repeat(1001), None, 0),
            Err(SmsError::TooLong {
                bytes: 2002,
                max: 2000
            })
        );
    }

    #[test]
    fn images_make_an_mms_up_to_three() {
        assert_eq!(
            compose("사진", None, 1).map(|c| c.kind),
            Ok(MessageKind::Mms)
        );
        assert_eq!(compose("", None, 2).map(|c| c.kind), Ok(MessageKind::Mms));
        assert_eq!(
            compose("x", None, 4),
            Err(SmsError::TooManyImages { got: 4, max: 3 })
        );
    }

    #[test]
    fn empty_messages_and_long_subjects_are_refused() {
        assert_eq!(compose("  ", None, 0), Err(SmsError::Empty));
        assert_eq!(
            compose("x", Some(&"가".repeat(21)), 0),
            Err(SmsError::SubjectTooLong { bytes: 42, max: 40 })
        );
    }

    #[test]
    fn the_counter_reads_like_the_manual() {
        assert_eq!(
            compose("테스트 문자 입니다.", None, 0).map(|c| c.label()),
            Ok("19 / SMS 90byte".into())
        );
        assert_eq!(
            compose(&"a".repeat(100), None, 0).map(|c| c.label()),
            Ok("100 / LMS 2000byte".into())
        );
    }

    fn jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        v.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        v.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&[0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        v.extend_from_slice(&[0xFF, 0xD9]);
        v
    }

    #[test]
    fn jpeg_headers_give_the_size() {
        assert_eq!(
            check_jpeg(&jpeg(320, 240)),
            Ok(JpegInfo {
                width: 320,
                height: 240,
                unusual_size: false
            })
        );
        assert_eq!(
            check_jpeg(&jpeg(1920, 1080)).map(|i| i.unusual_size),
            Ok(true)
        );
    }

    #[test]
    fn non_jpegs_and_oversized_images_are_refused() {
        assert_eq!(check_jpeg(b"\x89PNG\r\n\x1a\n"), Err(ImageError::NotJpeg));
        assert_eq!(check_jpeg(&jpeg(320, 240)[..12]), Err(ImageError::Corrupt));
        let mut big = jpeg(320, 240);
        big.resize(MMS_MAX_IMAGE_BYTES + 1, 0);
        assert!(matches!(check_jpeg(&big), Err(ImageError::TooLarge { .. })));
    }

    #[test]
    fn money_is_kept_in_tenths_of_a_won() {
        assert_eq!(Won10::parse("31.2"), Some(Won10(312)));
        assert_eq!(Won10::parse("31.2원"), Some(Won10(312)));
        assert_eq!(Won10::parse("30"), Some(Won10(300)));
        assert_eq!(Won10::parse("31.25"), None, "one decimal at most");
        assert_eq!(Won10::parse("-1"), None);
        assert_eq!(Won10(312).to_string(), "31.2원");
        assert_eq!(Won10(0).to_string(), "0원");
        assert_eq!(
            Won10(312).times(1000).map(|w| w.to_string()),
            Some("31,200원".into())
        );
    }
}
