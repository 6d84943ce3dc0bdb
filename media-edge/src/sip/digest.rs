//! Digest authentication (RFC 2617, RFC 7616 / RFC 8760 for SHA-256):
//! parsing `Authorization` and checking a response against a stored HA1.

use md5::Md5;
use sha2::{Digest as _, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA-256",
        }
    }
    fn hash(self, s: &str) -> String {
        match self {
            Self::Md5 => hex::encode(Md5::digest(s.as_bytes())),
            Self::Sha256 => hex::encode(Sha256::digest(s.as_bytes())),
        }
    }
}

/// The fields of an `Authorization: Digest ...` header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
}

impl Credentials {
    pub fn parse(header: &str) -> Option<Self> {
        let rest = header.trim().strip_prefix("Digest")?.trim();
        let mut c = Credentials::default();
        for part in crate::sip::message::split_list(rest) {
            let (k, v) = part.split_once('=')?;
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "username" => c.username = v,
                "realm" => c.realm = v,
                "nonce" => c.nonce = v,
                "uri" => c.uri = v,
                "response" => c.response = v.to_ascii_lowercase(),
                "algorithm" => c.algorithm = Some(v),
                "qop" => c.qop = Some(v),
                "nc" => c.nc = Some(v),
                "cnonce" => c.cnonce = Some(v),
                _ => {}
            }
        }
        (!c.username.is_empty() && !c.nonce.is_empty() && !c.response.is_empty()).then_some(c)
    }

    pub fn algorithm(&self) -> Option<Algorithm> {
        match self
            .algorithm
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            None | Some("MD5") => Some(Algorithm::Md5),
            Some("SHA-256") => Some(Algorithm::Sha256),
            _ => None,
        }
    }

    /// Whether the response proves knowledge of the password behind `ha1`.
    pub fn verify(&self, method: &str, ha1: &str) -> bool {
        let Some(alg) = self.algorithm() else {
            return false;
        };
        let ha2 = alg.hash(&format!("{method}:{}", self.uri));
        let expected = match (&self.qop, &self.nc, &self.cnonce) {
            (Some(qop), Some(nc), Some(cnonce)) if qop == "auth" => {
                alg.hash(&format!("{ha1}:{}:{nc}:{cnonce}:{qop}:{ha2}", self.nonce))
            }
            (None, _, _) => alg.hash(&format!("{ha1}:{}:{ha2}", self.nonce)),
            _ => return false,
        };
        constant_eq(expected.as_bytes(), self.response.as_bytes())
    }
}

/// The `Authorization` value answering a `WWW-Authenticate` /
/// `Proxy-Authenticate` challenge, as a client (towards a SIP trunk).
/// `None` for a challenge that is not Digest or names an unknown algorithm.
pub fn challenge_response(
    challenge: &str,
    method: &str,
    uri: &str,
    username: &str,
    password: &str,
) -> Option<String> {
    let rest = challenge.trim().strip_prefix("Digest")?.trim();
    let (mut realm, mut nonce, mut opaque, mut qop, mut algorithm) =
        (String::new(), String::new(), None, None, None);
    for part in crate::sip::message::split_list(rest) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_owned();
        match k.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = v,
            "nonce" => nonce = v,
            "opaque" => opaque = Some(v),
            "qop" => qop = Some(v),
            "algorithm" => algorithm = Some(v),
            _ => {}
        }
    }
    let alg = match algorithm.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("MD5") => Algorithm::Md5,
        Some("SHA-256") => Algorithm::Sha256,
        _ => return None,
    };
    if nonce.is_empty() {
        return None;
    }
    let ha1 = alg.hash(&format!("{username}:{realm}:{password}"));
    let ha2 = alg.hash(&format!("{method}:{uri}"));
    let wants_auth = qop
        .as_deref()
        .is_some_and(|q| q.split(',').any(|x| x.trim() == "auth"));
    let mut out = format!(
        "Digest username=\"{username}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm={}",
        alg.name()
    );
    if wants_auth {
        let cnonce = format!("{:016x}", rand::random::<u64>());
        let response = alg.hash(&format!("{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}"));
        out.push_str(&format!(
            ", qop=auth, nc=00000001, cnonce=\"{cnonce}\", response=\"{response}\""
        ));
    } else {
        let response = alg.hash(&format!("{ha1}:{nonce}:{ha2}"));
        out.push_str(&format!(", response=\"{response}\""));
    }
    if let Some(o) = opaque {
        out.push_str(&format!(", opaque=\"{o}\""));
    }
    Some(out)
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7616_sha256_example_verifies() {
        let header = r#"Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
        let c = Credentials::parse(header).expect("parse");
        let ha1 = hex::encode(Sha256::digest(
            b"Mufasa:http-auth@example.org:Circle of Life",
        ));
        assert!(c.verify("GET", &ha1));
        let wrong = hex::encode(Sha256::digest(b"Mufasa:http-auth@example.org:wrong"));
        assert!(!c.verify("GET", &wrong));
        assert!(!c.verify("POST", &ha1), "the method is part of the proof");
    }

    #[test]
    fn the_rfc_2617_md5_example_verifies() {
        let header = r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;
        let c = Credentials::parse(header).expect("parse");
        let ha1 = hex::encode(Md5::digest(b"Mufasa:testrealm@host.com:Circle Of Life"));
        assert!(c.verify("GET", &ha1));
    }

    #[test]
    fn our_client_answers_verify_on_the_server_side() {
        for alg in ["MD5", "SHA-256"] {
            for qop in ["", ", qop=\"auth\""] {
                let ch = format!(r#"Digest realm="trunk", nonce="abc123", algorithm={alg}{qop}"#);
                let v = challenge_response(&ch, "INVITE", "sip:0212345678@trunk", "acct", "pw")
                    .expect("answer");
                let c = Credentials::parse(&v).expect("parse");
                let ha1 = c.algorithm().expect("alg").hash("acct:trunk:pw");
                assert!(c.verify("INVITE", &ha1), "{alg}{qop}: {v}");
            }
        }
        assert!(challenge_response("Basic x", "INVITE", "sip:a", "u", "p").is_none());
    }

    #[test]
    fn unknown_algorithms_and_malformed_headers_fail() {
        assert!(Credentials::parse("Basic abc").is_none());
        assert!(Credentials::parse(r#"Digest username="a""#).is_none());
        let c = Credentials::parse(
            r#"Digest username="a", nonce="n", response="r", algorithm=SHA-512"#,
        )
        .expect("parse");
        assert!(!c.verify("REGISTER", "x"));
    }
}
