//! The statistics aggregator as a Lambda: SQS records from the queue
//! subscribed to the events topic (only `call.ended` is sent to it; any
//! other event is taken and ignored). Each call end is counted once, so a
//! batch that comes again counts nothing twice. A record that is not an
//! event, or whose counting failed (the table is down), is reported failed
//! on its own: SQS brings back just those, and after five tries a message
//! rests in the dead-letter queue for someone to look at.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsMessage};
use domain::event::Kind;
use serde::Deserialize;

/// What the function is invoked with.
#[derive(Debug, Default, Deserialize)]
pub struct Input {
    #[serde(rename = "Records", default)]
    pub records: Vec<SqsMessage>,
}

/// What a batch came to (for the log and the tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub counted: usize,
    pub already: usize,
    pub ignored: usize,
    pub failed: usize,
}

pub async fn handle(aggregator: &app::stats::Aggregator, input: Input) -> SqsBatchResponse {
    handle_counted(aggregator, input).await.0
}

pub async fn handle_counted(
    aggregator: &app::stats::Aggregator,
    input: Input,
) -> (SqsBatchResponse, Tally) {
    let mut response = SqsBatchResponse::default();
    let mut tally = Tally::default();
    let mut ends = Vec::new();
    for r in &input.records {
        let id = r.message_id.clone().unwrap_or_default();
        match r.body.as_deref().and_then(events::from_queue_body) {
            None => {
                tracing::error!(message = %id, "an SQS message that is not a call event");
                tally.failed += 1;
                response.add_failure(id);
            }
            Some(e) if matches!(e.kind, Kind::Ended(_)) => ends.push((id, e)),
            Some(_) => tally.ignored += 1,
        }
    }
    // The batch's call ends at once: each is its own transaction.
    let counted = futures::future::join_all(ends.iter().map(|(_, e)| async move {
        match &e.kind {
            Kind::Ended(ended) => aggregator.count(&e.tenant, ended).await,
            _ => Ok(app::stats::Applied::AlreadyCounted),
        }
    }))
    .await;
    for ((id, _), result) in ends.iter().zip(counted) {
        match result {
            Ok(app::stats::Applied::Counted) => tally.counted += 1,
            Ok(app::stats::Applied::AlreadyCounted) => tally.already += 1,
            Err(err) => {
                tracing::error!(message = %id, error = %err, "not counted; SQS redelivers it");
                tally.failed += 1;
                response.add_failure(id.clone());
            }
        }
    }
    tracing::info!(?tally, "call ends counted");
    (response, tally)
}
