//! The local sinks: messages are recorded in the store instead of sent.

use std::sync::Arc;

use async_trait::async_trait;
use domain::{Email, PhoneNumber};
use store::Store;
use store::repo::sink::{self, SinkMessage};

use crate::{Mailer, SendError, SmsSender};

/// Records SMS in the store (channel `sms`).
#[derive(Debug, Clone)]
pub struct SmsSink {
    store: Arc<dyn Store>,
}

/// Records mail in the store (channel `mail`).
#[derive(Debug, Clone)]
pub struct MailSink {
    store: Arc<dyn Store>,
    from: String,
}

impl SmsSink {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

impl MailSink {
    pub fn new(store: Arc<dyn Store>, from: impl Into<String>) -> Self {
        Self {
            store,
            from: from.into(),
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

async fn record(store: &dyn Store, m: SinkMessage) -> Result<String, SendError> {
    sink::record(store, &m)
        .await
        .map_err(|e| SendError::Unavailable(e.to_string()))?;
    tracing::info!(channel = %m.channel, to = %m.to, "message recorded by the local sink");
    Ok(m.id)
}

#[async_trait]
impl SmsSender for SmsSink {
    async fn send_sms(
        &self,
        from: &PhoneNumber,
        to: &PhoneNumber,
        body: &str,
    ) -> Result<String, SendError> {
        let m = SinkMessage {
            id: uuid::Uuid::now_v7().simple().to_string(),
            channel: "sms".into(),
            from: from.to_string(),
            to: to.to_string(),
            subject: None,
            body: body.to_owned(),
            at_ms: now_ms(),
        };
        record(&*self.store, m).await
    }
}

#[async_trait]
impl Mailer for MailSink {
    async fn send_mail(&self, to: &Email, subject: &str, body: &str) -> Result<String, SendError> {
        let m = SinkMessage {
            id: uuid::Uuid::now_v7().simple().to_string(),
            channel: "mail".into(),
            from: self.from.clone(),
            to: to.to_string(),
            subject: Some(subject.to_owned()),
            body: body.to_owned(),
            at_ms: now_ms(),
        };
        record(&*self.store, m).await
    }
}
