//! Outbound messaging ports: [`SmsSender`] and [`Mailer`].
//!
//! On AWS, SMS goes out through SNS and mail through SES (feature `aws`).
//! In the embedded product both are *sinks*: what would have been sent is
//! recorded in the store, where the portal's outbox page and the tests read
//! it. The messaging issue grows this into the durable SMS/LMS/MMS service.

#[cfg(feature = "aws")]
pub mod aws;
pub mod sink;

use async_trait::async_trait;
use domain::{Email, PhoneNumber};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The provider refused this message (bad number, opted out...): do not retry.
    #[error("message rejected: {0}")]
    Rejected(String),
    /// The provider could not be reached or throttled us: retry later.
    #[error("messaging provider unavailable: {0}")]
    Unavailable(String),
}

/// Sends one text message; returns the provider's message id.
#[async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    async fn send_sms(
        &self,
        from: &PhoneNumber,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<String, SendError>;
}

/// Sends one plain-text e-mail; returns the provider's message id.
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    async fn send_mail(&self, to: &Email, subject: &str, body: &str) -> Result<String, SendError>;
}
