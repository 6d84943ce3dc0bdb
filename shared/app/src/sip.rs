//! SIP credentials (T10): user names, generated passwords, and the digests
//! (RFC 2617 MD5 and RFC 8760 SHA-256 HA1) that are all the server keeps.

use md5::Md5;
use rand::Rng as _;
use rand::rngs::OsRng;
use sha2::{Digest as _, Sha256};
use store::repo::accounts::SipDigests;

/// HA1 = H(username ":" realm ":" password) for both algorithms.
pub fn digests(username: &str, realm: &str, password: &str) -> SipDigests {
    let input = format!("{username}:{realm}:{password}");
    SipDigests {
        realm: realm.to_owned(),
        ha1_md5: hex::encode(Md5::digest(input.as_bytes())),
        ha1_sha256: hex::encode(Sha256::digest(input.as_bytes())),
    }
}

/// A fresh numeric user name (softphones handle digits everywhere).
pub fn generate_username() -> String {
    let n: u64 = OsRng.gen_range(1_000_000_000..10_000_000_000);
    format!("{n}")
}

/// A strong SIP password: 20 characters, digest-safe (no `:` or quotes).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| char::from(ALPHABET[OsRng.gen_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_ha1_matches_rfc_2617_example() {
        // RFC 2617 section 3.5: Mufasa / testrealm@host.com / Circle Of Life.
        let d = digests("Mufasa", "testrealm@host.com", "Circle Of Life");
        assert_eq!(d.ha1_md5, "939e7578ed9e3c518a452acee763bce9");
    }

    #[test]
    fn sha256_ha1_gives_the_rfc_7616_response() {
        // RFC 7616 section 3.9.1: the stored HA1 must reproduce the
        // published SHA-256 response for that request.
        let d = digests("Mufasa", "http-auth@example.org", "Circle of Life");
        let ha2 = hex::encode(Sha256::digest(b"GET:/dir/index.html"));
        let response = hex::encode(Sha256::digest(
            format!(
                "{}:7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v:00000001:f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ:auth:{ha2}",
                d.ha1_sha256
            )
            .as_bytes(),
        ));
        assert_eq!(
            response,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn generated_credentials_have_the_promised_shape() {
        let u = generate_username();
        assert_eq!(u.len(), 10);
        assert!(u.chars().all(|c| c.is_ascii_digit()));
        let p = generate_password();
        assert_eq!(p.len(), 20);
        assert_ne!(p, generate_password());
    }
}
