//! Webhooks (T9, T5): endpoints a tenant registers to receive call events,
//! and the rules of delivering to them: where they may point, when a
//! failed delivery is tried again, and when an endpoint is given up on.
//!
//! Deliveries are signed (`X-Office-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256
//! of `"<t>." + body` with the endpoint's secret; the app crate signs).

use serde::{Deserialize, Serialize};

use crate::event::Filter;
use crate::links::LinkError;

/// The most endpoints a tenant may have.
pub const MAX_ENDPOINTS: usize = 10;
/// How long a delivery is tried before it is given up (and its endpoint disabled).
pub const RETRY_WINDOW_MS: i64 = 24 * 3_600_000;
/// The first wait after a failed attempt; each further one doubles...
pub const FIRST_BACKOFF_MS: i64 = 10_000;
/// ...up to this.
pub const MAX_BACKOFF_MS: i64 = 3_600_000;

/// Where deliveries go: `https://` anywhere public, or `http://` to this
/// machine's loopback when the deployment allows it (the local product
/// and tests). Private and link-local address literals are refused: an
/// endpoint must not reach the platform's own network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String")]
pub struct WebhookUrl(String);

impl From<WebhookUrl> for String {
    fn from(u: WebhookUrl) -> Self {
        u.0
    }
}

impl WebhookUrl {
    pub fn parse(input: &str, allow_loopback: bool) -> Result<Self, LinkError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(LinkError::Empty);
        }
        if s.len() > 2000 {
            return Err(LinkError::TooLong);
        }
        let u = url::Url::parse(s).map_err(|e| LinkError::Malformed(e.to_string()))?;
        if !u.username().is_empty() || u.password().is_some() {
            return Err(LinkError::Malformed("no user name or password".into()));
        }
        let loopback = match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => {
                if ip.is_private() || ip.is_link_local() || ip.is_unspecified() {
                    return Err(LinkError::Malformed("a private address".into()));
                }
                ip.is_loopback()
            }
            Some(url::Host::Ipv6(ip)) => {
                let local = (ip.segments()[0] & 0xfe00) == 0xfc00
                    || (ip.segments()[0] & 0xffc0) == 0xfe80
                    || ip.is_unspecified();
                if local {
                    return Err(LinkError::Malformed("a private address".into()));
                }
                ip.is_loopback()
            }
            None => return Err(LinkError::Malformed("needs a host".into())),
        };
        if loopback && !allow_loopback {
            return Err(LinkError::Malformed("this machine's own address".into()));
        }
        match u.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(LinkError::NotHttps),
        }
        Ok(Self(u.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Endpoint {
    pub id: String,
    pub url: WebhookUrl,
    /// Event types delivered (empty: all).
    pub events: Filter,
    #[serde(default)]
    pub description: Option<String>,
    /// Signs deliveries; shown to the tenant.
    pub secret: String,
    pub enabled: bool,
    /// Why deliveries stopped, when the platform disabled the endpoint.
    #[serde(default)]
    pub disabled_reason: Option<String>,
    pub created_ms: i64,
}

/// When to try a delivery again after attempt number `attempts` (1 for the
/// first) failed at `now_ms`; `None` once the 24-hour window since the
/// event (`since_ms`) is over: the delivery is given up.
pub fn next_attempt(since_ms: i64, attempts: u32, now_ms: i64) -> Option<i64> {
    let wait = FIRST_BACKOFF_MS
        .saturating_mul(1i64 << attempts.saturating_sub(1).min(20))
        .min(MAX_BACKOFF_MS);
    let at = now_ms + wait;
    (at <= since_ms + RETRY_WINDOW_MS).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_or_loopback_when_allowed() {
        assert!(WebhookUrl::parse("https://crm.example.com/hook", false).is_ok());
        assert_eq!(
            WebhookUrl::parse("http://crm.example.com/hook", true),
            Err(LinkError::NotHttps)
        );
        assert!(WebhookUrl::parse("http://127.0.0.1:8080/h", true).is_ok());
        assert!(WebhookUrl::parse("http://localhost:8080/h", true).is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.1:8080/h", false).is_err());
        assert!(WebhookUrl::parse("https://localhost/h", false).is_err());
    }

    #[test]
    fn private_and_link_local_addresses_are_refused() {
        for u in [
            "https://10.0.0.1/h",
            "https://192.168.1.1/h",
            "https://169.254.169.254/latest",
            "https://[fe80::1]/h",
            "https://[fd00::1]/h",
            "https://0.0.0.0/h",
        ] {
            assert!(WebhookUrl::parse(u, true).is_err(), "{u}");
        }
        assert!(WebhookUrl::parse("https://user:pw@example.com/", false).is_err());
    }

    #[test]
    fn retries_back_off_doubling_to_an_hour_and_stop_after_a_day() {
        let t0 = 0;
        assert_eq!(next_attempt(t0, 1, 0), Some(10_000));
        assert_eq!(next_attempt(t0, 2, 10_000), Some(30_000));
        assert_eq!(next_attempt(t0, 3, 30_000), Some(70_000));
        assert_eq!(
            next_attempt(t0, 12, 1_000_000),
            Some(1_000_000 + MAX_BACKOFF_MS)
        );
        assert_eq!(next_attempt(t0, 30, RETRY_WINDOW_MS - 1_000), None);
        // About 30 attempts fit in the day.
        let (mut at, mut n) = (0, 1);
        while let Some(next) = next_attempt(t0, n, at) {
            at = next;
            n += 1;
        }
        assert!((25..40).contains(&n), "{n} attempts");
    }
}
