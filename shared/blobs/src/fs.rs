//! Blobs as files under a root directory, with HMAC-signed download URLs.
//!
//! Objects live at `<root>/objects/<key>` and their content type beside them
//! at `<root>/meta/<key>.json`. Writes go to `<root>/tmp`, are fsynced and
//! renamed into place, so a crash never leaves half an object. A download
//! URL is `<base>/blobs/<key>?exp=<epoch>&sig=<hex>[&name=<file name>]`,
//! where `sig` is HMAC-SHA256 over the key, expiry and name with a secret
//! kept in the data directory: the local HTTP server checks it and the
//! expiry before serving the file, just as S3 checks a presigned URL.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{Blob, BlobError, BlobKey, BlobMeta, BlobResult, BlobStore, check_filename, check_ttl};

/// The path prefix under which the local HTTP server serves signed downloads.
pub const DOWNLOAD_PATH: &str = "/blobs/";

#[derive(Serialize, Deserialize)]
struct Meta {
    content_type: String,
}

/// The filesystem [`BlobStore`].
#[derive(Clone)]
pub struct FsBlobStore {
    root: PathBuf,
    base_url: String,
    secret: Vec<u8>,
}

impl std::fmt::Debug for FsBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches logs.
        f.debug_struct("FsBlobStore")
            .field("root", &self.root)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The query string of a signed download URL.
#[derive(Debug, Clone, Deserialize)]
pub struct SignedQuery {
    pub exp: i64,
    pub sig: String,
    pub name: Option<String>,
}

/// Why a signed download was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("the link has expired")]
    Expired,
    #[error("the link's signature is not valid")]
    BadSignature,
    #[error("no such object")]
    NotFound,
    #[error(transparent)]
    Blob(#[from] BlobError),
}

fn io(e: std::io::Error) -> BlobError {
    BlobError::Backend(e.to_string())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl FsBlobStore {
    /// A store under `root`, whose download URLs start with `base_url`
    /// (e.g. `http://127.0.0.1:8080`) and are signed with `secret` (>= 32 bytes).
    pub fn new(root: &Path, base_url: &str, secret: &[u8]) -> BlobResult<Self> {
        if secret.len() < 32 {
            return Err(BlobError::Invalid(
                "signing secret must be at least 32 bytes".into(),
            ));
        }
        crate::private::dir(root).map_err(io)?;
        for sub in ["objects", "meta", "tmp"] {
            crate::private::dir(&root.join(sub)).map_err(io)?;
        }
        Ok(Self {
            root: root.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret: secret.to_vec(),
        })
    }

    fn object_path(&self, key: &BlobKey) -> PathBuf {
        self.root.join("objects").join(key.as_str())
    }

    fn meta_path(&self, key: &BlobKey) -> PathBuf {
        self.root
            .join("meta")
            .join(format!("{}.json", key.as_str()))
    }

    fn signature(&self, key: &str, exp: i64, name: Option<&str>) -> Hmac<Sha256> {
        // Any key length is accepted by HMAC; `new` checked the secret.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable_mac());
        mac.update(b"GET\n");
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(exp.to_string().as_bytes());
        mac.update(b"\n");
        mac.update(name.unwrap_or("").as_bytes());
        mac
    }

    /// Checks a signed download request and returns the object it names.
    pub async fn open_signed(&self, key: &str, query: &SignedQuery) -> Result<Blob, DownloadError> {
        let sig = hex::decode(&query.sig).map_err(|_| DownloadError::BadSignature)?;
        self.signature(key, query.exp, query.name.as_deref())
            .verify_slice(&sig)
            .map_err(|_| DownloadError::BadSignature)?;
        if query.exp <= now() {
            return Err(DownloadError::Expired);
        }
        let key = BlobKey::parse(key)?;
        self.get(&key).await?.ok_or(DownloadError::NotFound)
    }
}

fn unreachable_mac() -> Hmac<Sha256> {
    // HMAC accepts keys of every length, so this cannot happen; a fixed
    // key keeps the signature wrong rather than panicking.
    <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).unwrap_or_else(|_| unreachable_mac())
}

fn write_atomically(tmp_dir: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = target.parent() {
        crate::private::dir(parent)?;
    }
    let mut tmp = tempfile_in(tmp_dir)?;
    tmp.1.write_all(bytes)?;
    tmp.1.sync_all()?;
    std::fs::rename(&tmp.0, target)?;
    Ok(())
}

fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = dir.join(format!(
        "{}-{}-{}.part",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    ));
    let f = crate::private::options()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, f))
}

fn collect(dir: &Path, rel: &str, prefix: &str, out: &mut Vec<BlobMeta>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let key = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let ft = entry.file_type()?;
        if ft.is_dir() {
            // Descend only where keys below can still match the prefix.
            let dir_key = format!("{key}/");
            if dir_key.starts_with(prefix) || prefix.starts_with(&dir_key) {
                collect(&entry.path(), &key, prefix, out)?;
            }
        } else if ft.is_file() && key.starts_with(prefix) {
            out.push(BlobMeta {
                key,
                size: entry.metadata()?.len(),
            });
        }
    }
    Ok(())
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> BlobResult<()> {
        let meta = serde_json::to_vec(&Meta {
            content_type: content_type.to_owned(),
        })
        .map_err(|e| BlobError::Backend(e.to_string()))?;
        let (tmp, obj, meta_path) = (
            self.root.join("tmp"),
            self.object_path(key),
            self.meta_path(key),
        );
        tokio::task::spawn_blocking(move || {
            // Metadata first: an object file never exists without its type.
            write_atomically(&tmp, &meta_path, &meta)?;
            write_atomically(&tmp, &obj, &bytes)
        })
        .await
        .map_err(|e| BlobError::Backend(e.to_string()))?
        .map_err(io)
    }

    async fn get(&self, key: &BlobKey) -> BlobResult<Option<Blob>> {
        let bytes = match tokio::fs::read(self.object_path(key)).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        let content_type = match tokio::fs::read(self.meta_path(key)).await {
            Ok(m) => serde_json::from_slice::<Meta>(&m)
                .map(|m| m.content_type)
                .unwrap_or_else(|_| "application/octet-stream".to_owned()),
            Err(_) => "application/octet-stream".to_owned(),
        };
        Ok(Some(Blob {
            bytes: Bytes::from(bytes),
            content_type,
        }))
    }

    async fn delete(&self, key: &BlobKey) -> BlobResult<()> {
        for path in [self.object_path(key), self.meta_path(key)] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }

    async fn list(&self, prefix: &str) -> BlobResult<Vec<BlobMeta>> {
        let root = self.root.join("objects");
        let prefix = prefix.to_owned();
        let mut out = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            collect(&root, "", &prefix, &mut out).map(|()| out)
        })
        .await
        .map_err(|e| BlobError::Backend(e.to_string()))?
        .map_err(io)?;
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn download_url(
        &self,
        key: &BlobKey,
        ttl: Duration,
        filename: Option<&str>,
    ) -> BlobResult<String> {
        check_ttl(ttl)?;
        if let Some(n) = filename {
            check_filename(n)?;
        }
        let exp = now().saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let sig = hex::encode(
            self.signature(key.as_str(), exp, filename)
                .finalize()
                .into_bytes(),
        );
        let mut url = url::Url::parse(&format!(
            "{}{}{}",
            self.base_url,
            DOWNLOAD_PATH,
            key.as_str()
        ))
        .map_err(|e| BlobError::Invalid(format!("bad base URL: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("exp", &exp.to_string());
            q.append_pair("sig", &sig);
            if let Some(n) = filename {
                q.append_pair("name", n);
            }
        }
        Ok(url.into())
    }
}
