//! Outbound messaging ports: [`SmsSender`] and [`Mailer`].
//!
//! On AWS, SMS goes out through SNS and mail through SES (feature `aws`).
//! In the embedded product both are *sinks*: what would have been sent is
//! recorded in the store, where the portal's outbox page and the tests read
//! it. The messaging issue grows this into the durable SMS/LMS/MMS service.

#[cfg(feature = "aws")]
pub mod aws;
pub mod kakao;
pub mod sink;

use async_trait::async_trait;
use domain::sms::MessageKind;
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

/// One outbound message to one recipient.
#[derive(Debug, Clone, Copy)]
pub struct Outbound<'a> {
    pub from: &'a PhoneNumber,
    pub to: &'a PhoneNumber,
    pub kind: MessageKind,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    /// Blob keys of MMS images.
    pub images: &'a [String],
    /// The same key is never delivered twice by providers that support it
    /// (the local sink does); one key per recipient of a batch.
    pub idempotency_key: &'a str,
}

impl<'a> Outbound<'a> {
    /// A plain SMS (verification codes and the like).
    pub fn sms(
        from: &'a PhoneNumber,
        to: &'a PhoneNumber,
        body: &'a str,
        idempotency_key: &'a str,
    ) -> Self {
        Self {
            from,
            to,
            kind: MessageKind::Sms,
            subject: None,
            body,
            images: &[],
            idempotency_key,
        }
    }
}

/// Sends one message; returns the provider's message id.
#[async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    async fn send(&self, m: Outbound<'_>) -> Result<String, SendError>;
}

/// Wakes the outbox dispatcher after a batch is accepted (SQS on AWS;
/// locally the dispatcher polls, so there is nothing to wake).
#[async_trait]
pub trait Kick: Send + Sync + std::fmt::Debug {
    async fn kick(&self, batch: &str) -> Result<(), SendError>;
}

/// Sends one plain-text e-mail; returns the provider's message id.
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    async fn send_mail(&self, to: &Email, subject: &str, body: &str) -> Result<String, SendError>;
}
