//! The webhook sender as a Lambda. Two kinds of invocation:
//!
//! - **SQS records** from the queue subscribed to the events topic (raw
//!   message delivery: each body is one event's JSON; an SNS envelope is
//!   read too). The events become deliveries (once each, however often
//!   they come), then everything due is sent. A record that is not an
//!   event is reported failed, so after five tries it rests in the
//!   dead-letter queue for someone to look at; if the table is down, the
//!   whole batch is reported failed and SQS brings it back.
//! - **The one-minute schedule** (an EventBridge event, no records):
//!   sends what is due, i.e. retries coming up with their backoff.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsMessage};
use serde::Deserialize;

/// What the function is invoked with: SQS records, or a scheduled event
/// (whose fields are not needed).
#[derive(Debug, Default, Deserialize)]
pub struct Input {
    #[serde(rename = "Records", default)]
    pub records: Vec<SqsMessage>,
}

pub async fn handle(app: &app::App, input: Input) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    let mut events = Vec::new();
    let mut ids = Vec::new();
    for r in &input.records {
        let id = r.message_id.clone().unwrap_or_default();
        match r.body.as_deref().and_then(events::from_queue_body) {
            Some(e) => {
                events.push(e);
                ids.push(id);
            }
            None => {
                tracing::error!(message = %id, "an SQS message that is not a call event");
                response.add_failure(id);
            }
        }
    }
    if !events.is_empty() {
        let intake = app::webhooks::Intake::new(app.store.clone(), app.webhook_kick.clone());
        match intake.take(&events).await {
            Ok(n) => tracing::info!(events = events.len(), deliveries = n, "events taken"),
            Err(e) => {
                tracing::error!(error = %e, "events not taken; SQS redelivers them");
                for id in ids {
                    response.add_failure(id);
                }
                return response;
            }
        }
    }
    match app::webhooks::run_once(app, now_ms(), 100).await {
        Ok(stats) => tracing::info!(?stats, "webhooks sent"),
        // Deliveries are safe in the table; the next run sends them.
        Err(f) => tracing::warn!(error = %f.message, "sending webhooks failed"),
    }
    response
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
