//! Nonces without server state: `<unix time>.<random>.<mac>`, authentic for
//! [`NONCE_TTL_SECS`]; a nonce past its time is answered with `stale=true`.
//! Replays are stopped by remembering the highest nonce-count seen per
//! nonce (and single use for clients that send no count).

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

pub const NONCE_TTL_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    Fresh,
    /// Ours, but too old: challenge again with `stale=true`.
    Stale,
    /// Not ours, or a replayed nonce-count.
    Invalid,
}

pub struct Nonces {
    key: Vec<u8>,
    seen: Mutex<HashMap<String, (u32, i64)>>,
    pruned: Mutex<i64>,
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nonces").finish_non_exhaustive()
    }
}

impl Nonces {
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: key.to_vec(),
            seen: Mutex::new(HashMap::new()),
            pruned: Mutex::new(0),
        }
    }

    fn mac(&self, body: &str) -> String {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| fallback_mac());
        m.update(body.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&m.finalize().into_bytes()[..16])
    }

    pub fn issue(&self, now: i64) -> String {
        let mut r = [0u8; 9];
        rand::rngs::OsRng.fill_bytes(&mut r);
        let body = format!(
            "{now}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r)
        );
        format!("{body}.{}", self.mac(&body))
    }

    /// Checks a nonce and its count (hex `nc`, or `None` without qop).
    pub fn check(&self, nonce: &str, nc: Option<&str>, now: i64) -> NonceCheck {
        let Some((body, mac)) = nonce.rsplit_once('.') else {
            return NonceCheck::Invalid;
        };
        if mac != self.mac(body) {
            return NonceCheck::Invalid;
        }
        let Some(ts) = body.split('.').next().and_then(|t| t.parse::<i64>().ok()) else {
            return NonceCheck::Invalid;
        };
        if now - ts > NONCE_TTL_SECS || ts > now + 60 {
            return NonceCheck::Stale;
        }
        let count = match nc {
            Some(h) => match u32::from_str_radix(h, 16) {
                Ok(n) if n > 0 => n,
                _ => return NonceCheck::Invalid,
            },
            None => 1,
        };
        let Ok(mut seen) = self.seen.lock() else {
            return NonceCheck::Invalid;
        };
        // Forget expired nonces once a second at most (not on every request).
        if let Ok(mut pruned) = self.pruned.lock()
            && *pruned != now
        {
            *pruned = now;
            seen.retain(|_, (_, t)| now - *t <= NONCE_TTL_SECS);
        }
        match seen.get(nonce) {
            Some((last, _)) if count <= *last => NonceCheck::Invalid,
            _ => {
                seen.insert(nonce.to_owned(), (count, ts));
                NonceCheck::Fresh
            }
        }
    }
}

fn fallback_mac() -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).unwrap_or_else(|_| fallback_mac())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_nonce_works_once_per_count() {
        let n = Nonces::new(b"k");
        let nonce = n.issue(1000);
        assert_eq!(n.check(&nonce, Some("00000001"), 1001), NonceCheck::Fresh);
        assert_eq!(
            n.check(&nonce, Some("00000001"), 1001),
            NonceCheck::Invalid,
            "replay"
        );
        assert_eq!(n.check(&nonce, Some("00000002"), 1002), NonceCheck::Fresh);
        let single = n.issue(1000);
        assert_eq!(n.check(&single, None, 1001), NonceCheck::Fresh);
        assert_eq!(
            n.check(&single, None, 1001),
            NonceCheck::Invalid,
            "no count: single use"
        );
    }

    #[test]
    fn old_nonces_are_stale_and_forged_ones_invalid() {
        let n = Nonces::new(b"k");
        let nonce = n.issue(1000);
        assert_eq!(
            n.check(&nonce, None, 1000 + NONCE_TTL_SECS + 1),
            NonceCheck::Stale
        );
        assert_eq!(
            Nonces::new(b"other").check(&nonce, None, 1001),
            NonceCheck::Invalid
        );
        assert_eq!(n.check("1000.abc.def", None, 1001), NonceCheck::Invalid);
    }
}
