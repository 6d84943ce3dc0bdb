//! The local sinks: messages are recorded in the store instead of sent.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use domain::Email;
use store::Store;
use store::repo::sink::{self, SinkMessage};

use domain::sms::MessageKind;

use crate::{Mailer, Outbound, SendError, SmsSender};

/// Records SMS in the store (channel `sms`), once per idempotency key.
///
/// It can be told to fail chosen numbers, for tests and demos: numbers in
/// `reject` fail permanently (as a carrier refusing them would), numbers in
/// `flaky` fail as "unavailable" their first `flaky_times` attempts.
#[derive(Debug, Clone)]
pub struct SmsSink {
    store: Arc<dyn Store>,
    reject: HashSet<String>,
    flaky: HashSet<String>,
    flaky_times: u32,
    attempts: Arc<Mutex<HashMap<String, u32>>>,
}

/// Records mail in the store (channel `mail`).
#[derive(Debug, Clone)]
pub struct MailSink {
    store: Arc<dyn Store>,
    from: String,
}

impl SmsSink {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            reject: HashSet::new(),
            flaky: HashSet::new(),
            flaky_times: 0,
            attempts: Arc::default(),
        }
    }

    /// Numbers (E.164) the sink refuses permanently.
    #[must_use]
    pub fn rejecting(mut self, numbers: impl IntoIterator<Item = String>) -> Self {
        self.reject.extend(numbers);
        self
    }

    /// Numbers (E.164) that fail transiently `times` times before going through.
    #[must_use]
    pub fn flaky(mut self, numbers: impl IntoIterator<Item = String>, times: u32) -> Self {
        self.flaky.extend(numbers);
        self.flaky_times = times;
        self
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
    async fn send(&self, m: Outbound<'_>) -> Result<String, SendError> {
        let to = m.to.e164();
        let told = sink::failing(&*self.store)
            .await
            .map_err(|e| SendError::Unavailable(e.to_string()))?;
        if self.reject.contains(&to) || told.contains(&to) {
            return Err(SendError::Rejected(format!(
                "{} refused by the carrier (sink)",
                m.to
            )));
        }
        if self.flaky.contains(&to) {
            let mut attempts = self
                .attempts
                .lock()
                .map_err(|_| SendError::Unavailable("sink poisoned".into()))?;
            let n = attempts.entry(m.idempotency_key.to_owned()).or_insert(0);
            *n += 1;
            if *n <= self.flaky_times {
                return Err(SendError::Unavailable(format!(
                    "carrier busy for {} (sink)",
                    m.to
                )));
            }
        }
        // Once per key: a second send with the same key returns the first id.
        let marker = store::Key::new("SINKKEY#sms", m.idempotency_key);
        let id = uuid::Uuid::now_v7().simple().to_string();
        let claim = store::Item::new(&marker).with("id", id.as_str()).with(
            store::ATTR_EXPIRES_AT,
            store::now_epoch_seconds() + 7 * 24 * 3600,
        );
        match self
            .store
            .put(claim, Some(store::Condition::absent()))
            .await
        {
            Ok(()) => {}
            Err(store::StoreError::ConditionFailed) => {
                let first = self
                    .store
                    .get(&marker)
                    .await
                    .map_err(|e| SendError::Unavailable(e.to_string()))?;
                return Ok(first
                    .and_then(|i| i.s("id").map(str::to_owned))
                    .unwrap_or_default());
            }
            Err(e) => return Err(SendError::Unavailable(e.to_string())),
        }
        let body = match m.kind {
            MessageKind::Mms => format!("{} [이미지 {}개]", m.body, m.images.len()),
            _ => m.body.to_owned(),
        };
        let msg = SinkMessage {
            id,
            channel: "sms".into(),
            from: m.from.to_string(),
            to: m.to.to_string(),
            subject: m.subject.map(str::to_owned),
            body,
            at_ms: now_ms(),
        };
        record(&*self.store, msg).await
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
