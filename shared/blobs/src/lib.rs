//! The blob port: recordings, voicemail, MMS images and exports.
//!
//! [`BlobStore`] is small on purpose: put, get, delete, list by prefix and a
//! time-limited download URL. Two adapters behave alike (one contract suite):
//!
//! - [`fs::FsBlobStore`] — files under the data directory; its download URLs
//!   are HMAC-signed, expire like presigned ones, and are served by the local
//!   HTTP server (see [`fs::FsBlobStore::open_signed`]).
//! - `s3::S3BlobStore` (feature `s3`) — aws-sdk-s3 with presigned GET URLs.

pub mod fs;
mod key;
pub mod private;
#[cfg(feature = "s3")]
pub mod s3;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

pub use key::BlobKey;

/// A stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub bytes: Bytes,
    pub content_type: String,
}

/// What a listing says of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub key: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    #[error("invalid blob key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("blob storage unavailable: {0}")]
    Unavailable(String),
    #[error("blob storage error: {0}")]
    Backend(String),
}

pub type BlobResult<T> = Result<T, BlobError>;

/// Longest lifetime of a download URL (S3's presigning limit).
pub const MAX_URL_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

#[async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores (or replaces) an object. Durable when this returns.
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> BlobResult<()>;

    /// The object, or `None` when there is none.
    async fn get(&self, key: &BlobKey) -> BlobResult<Option<Blob>>;

    /// Removes an object; removing an absent one is not an error.
    async fn delete(&self, key: &BlobKey) -> BlobResult<()>;

    /// Every object whose key starts with `prefix`, sorted by key.
    async fn list(&self, prefix: &str) -> BlobResult<Vec<BlobMeta>>;

    /// A URL anyone holding it may GET the object from until `ttl` passes.
    /// `filename`, when given, makes browsers save it under that name.
    async fn download_url(
        &self,
        key: &BlobKey,
        ttl: Duration,
        filename: Option<&str>,
    ) -> BlobResult<String>;
}

fn check_ttl(ttl: Duration) -> BlobResult<()> {
    if ttl.is_zero() || ttl > MAX_URL_TTL {
        return Err(BlobError::Invalid(format!(
            "download URL lifetime must be between 1 s and {} s",
            MAX_URL_TTL.as_secs()
        )));
    }
    Ok(())
}

/// A download file name safe for a Content-Disposition header.
fn check_filename(name: &str) -> BlobResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+=@() ".contains(c) || !c.is_ascii());
    if ok && !name.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(BlobError::Invalid(format!(
            "unsuitable download file name {name:?}"
        )))
    }
}

/// `attachment` with an RFC 6266 / RFC 5987 encoded file name (Korean names survive).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() && c != '"' { c } else { '_' })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}
