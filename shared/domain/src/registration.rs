//! Registrations (RFC 3261 §10): where a user's phones can be reached, and
//! which edge holds each one. Shared state: any process reading the table
//! finds a user's phones and the edge to reach them through.

use std::net::SocketAddr;

use crate::{AccountId, EdgeId, TenantId};

/// How a phone's connection reaches its edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    /// SIP over TLS (RFC 3261 §26).
    Tls,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "udp" => Some(Self::Udp),
            "tcp" => Some(Self::Tcp),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }
}

/// One registered contact of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub tenant: TenantId,
    pub account: AccountId,
    pub sip_username: String,
    /// The Contact URI the phone registered.
    pub contact: String,
    /// Where its REGISTER came from (what the edge sends to: NAT-safe).
    pub source: SocketAddr,
    pub transport: Transport,
    /// The edge the phone registered with, and that edge's SIP address.
    pub edge: EdgeId,
    pub edge_addr: SocketAddr,
    pub user_agent: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    /// When the phone registered this contact (Unix seconds; refreshes
    /// keep it; 0 when not known).
    pub since: i64,
}

impl Registration {
    pub fn is_live(&self, now: i64) -> bool {
        self.expires_at > now
    }
}
