//! Object keys: `/`-separated segments that are equally safe as S3 keys,
//! relative file paths and URL paths.

use std::fmt;

use crate::BlobError;

/// A validated object key such as `recordings/dial070/2026/11/call-1.wav`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn parse(key: &str) -> Result<Self, BlobError> {
        let bad = |reason| {
            Err(BlobError::InvalidKey {
                key: key.to_owned(),
                reason,
            })
        };
        if key.is_empty() || key.len() > 1024 {
            return bad("must be 1 to 1024 bytes");
        }
        for seg in key.split('/') {
            if seg.is_empty() {
                return bad("has an empty path segment");
            }
            if seg == "." || seg == ".." {
                return bad("has a . or .. segment");
            }
            if seg.starts_with('.') {
                return bad("has a segment starting with a dot");
            }
            if !seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.=+@".contains(c))
            {
                return bad("may contain only A-Z a-z 0-9 - _ . = + @ and /");
            }
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_keys_are_accepted() {
        assert!(BlobKey::parse("recordings/t1/2026/11/call-1.wav").is_ok());
        assert!(BlobKey::parse("a").is_ok());
    }

    #[test]
    fn traversal_and_empty_segments_are_rejected() {
        for k in [
            "",
            "/abs",
            "a//b",
            "a/../b",
            "..",
            "a/.",
            "a/.hidden",
            "trailing/",
        ] {
            assert!(BlobKey::parse(k).is_err(), "{k:?}");
        }
    }

    #[test]
    fn characters_outside_the_safe_set_are_rejected() {
        for k in ["a b", "a#b", "a?b", "a\\b", "한글", "a%2e"] {
            assert!(BlobKey::parse(k).is_err(), "{k:?}");
        }
    }
}
