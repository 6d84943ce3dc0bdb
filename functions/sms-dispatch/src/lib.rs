//! The SMS dispatcher as a Lambda: each SQS message (sent when a batch is
//! accepted, or by the one-minute schedule) is a wake-up; the handler sends
//! everything due in the outbox. If draining fails, every message of the
//! batch is reported failed so SQS redelivers it (and, after five tries,
//! moves it to the dead-letter queue); the outbox itself loses nothing.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

/// Drains the outbox for one SQS batch of wake-ups.
pub async fn handle(app: &app::App, event: SqsEvent) -> SqsBatchResponse {
    let now_ms = store_now_ms();
    let mut response = SqsBatchResponse::default();
    match app::dispatch::drain(app, now_ms).await {
        Ok(stats) => tracing::info!(?stats, wakeups = event.records.len(), "outbox drained"),
        Err(e) => {
            tracing::error!(error = %e, "outbox drain failed; the wake-ups will be retried");
            for r in &event.records {
                if let Some(id) = &r.message_id {
                    response.add_failure(id.clone());
                }
            }
        }
    }
    response
}

fn store_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
