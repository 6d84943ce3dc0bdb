//! SIP over TLS (RFC 3261 §26; port 5061 by default): the server side of
//! the handshake from a PEM certificate chain and private key, TLS 1.2 and
//! 1.3 only (rustls offers nothing older), and for the local default a
//! self-signed pair made once in the data directory.
//!
//! The crypto provider is named (ring) rather than left to rustls' process
//! default: the AWS SDK in the same binary brings aws-lc-rs too, and with
//! two providers compiled in rustls will not pick one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// Why TLS could not be set up; each says where the bad part came from
/// (a file, or an environment variable holding PEM) and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("SIP TLS certificate ({from}): {why}")]
    Certificate { from: String, why: String },
    #[error("SIP TLS private key ({from}): {why}")]
    Key { from: String, why: String },
    #[error("SIP TLS certificate and key do not go together: {0}")]
    Mismatch(String),
    #[error("cannot write the self-signed SIP TLS pair into {dir}: {why}")]
    Generate { dir: PathBuf, why: String },
}

/// The acceptor for the certificate chain in the file `cert` and the key
/// in the file `key` (PEM; the key PKCS#8, PKCS#1 or SEC1).
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsSetupError> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| (p.display().to_string(), e.to_string()));
    let cert_pem = read(cert).map_err(|(from, why)| TlsSetupError::Certificate { from, why })?;
    let key_pem = read(key).map_err(|(from, why)| TlsSetupError::Key { from, why })?;
    acceptor_pem(
        (&cert.display().to_string(), &cert_pem),
        (&key.display().to_string(), &key_pem),
    )
}

/// The acceptor for PEM text held elsewhere (a secret in the environment,
/// say); each part comes with a name for the errors.
pub fn acceptor_pem(
    (cert_from, cert_pem): (&str, &[u8]),
    (key_from, key_pem): (&str, &[u8]),
) -> Result<TlsAcceptor, TlsSetupError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsSetupError::Certificate {
            from: cert_from.to_owned(),
            why: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsSetupError::Certificate {
            from: cert_from.to_owned(),
            why: "no CERTIFICATE block in it".into(),
        });
    }
    let private = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsSetupError::Key {
        from: key_from.to_owned(),
        why: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsSetupError::Mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| TlsSetupError::Mismatch(e.to_string()))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The file names of the local default's pair in a data directory.
pub const SELF_SIGNED: (&str, &str) = ("sip-tls.crt", "sip-tls.key");

/// A self-signed certificate for `names` (host names or IP addresses) and
/// its key in `dir`, made the first time and kept after (phones that
/// pinned it keep trusting it across restarts). The key is 0600.
pub fn self_signed(dir: &Path, names: &[String]) -> Result<(PathBuf, PathBuf), TlsSetupError> {
    let (cert, key) = (dir.join(SELF_SIGNED.0), dir.join(SELF_SIGNED.1));
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    let failed = |why: String| TlsSetupError::Generate {
        dir: dir.to_owned(),
        why,
    };
    let made =
        rcgen::generate_simple_self_signed(names.to_vec()).map_err(|e| failed(e.to_string()))?;
    write_private(&key, made.signing_key.serialize_pem().as_bytes())
        .map_err(|e| failed(e.to_string()))?;
    std::fs::write(&cert, made.cert.pem()).map_err(|e| failed(e.to_string()))?;
    Ok((cert, key))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_pair_is_made_once_private_and_serves() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let (cert, key) = self_signed(dir.path(), &names).expect("pair");
        let first = std::fs::read(&cert).expect("cert");
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = self_signed(dir.path(), &names).expect("again");
        assert_eq!(again, (cert.clone(), key.clone()));
        assert_eq!(
            std::fs::read(&cert).expect("cert"),
            first,
            "kept, not remade"
        );
        acceptor(&cert, &key).expect("acceptor");
    }

    fn refusal(r: Result<TlsAcceptor, TlsSetupError>) -> String {
        match r {
            Ok(_) => panic!("accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn missing_or_mismatched_files_name_what_is_wrong() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = refusal(acceptor(
            &dir.path().join("none.crt"),
            &dir.path().join("none.key"),
        ));
        assert!(e.contains("none.crt"), "{e}");
        let (cert, _) = self_signed(dir.path(), &["a.example".into()]).expect("pair");
        let other = tempfile::tempdir().expect("tempdir");
        let (_, key) = self_signed(other.path(), &["b.example".into()]).expect("pair");
        let e = refusal(acceptor(&cert, &key));
        assert!(e.contains("do not go together"), "{e}");
        std::fs::write(dir.path().join("empty.crt"), "").expect("write");
        let e = refusal(acceptor(&dir.path().join("empty.crt"), &key));
        assert!(e.contains("no CERTIFICATE"), "{e}");
    }
}
