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
    for r in &input.records {
        let id = r.message_id.clone().unwrap_or_default();
        let Some(e) = r.body.as_deref().and_then(events::from_queue_body) else {
            tracing::error!(message = %id, "an SQS message that is not a call event");
            tally.failed += 1;
            response.add_failure(id);
            continue;
        };
        let Kind::Ended(ended) = &e.kind else {
            tally.ignored += 1;
            continue;
        };
        match aggregator.count(&e.tenant, ended).await {
            Ok(app::stats::Applied::Counted) => tally.counted += 1,
            Ok(app::stats::Applied::AlreadyCounted) => tally.already += 1,
            Err(err) => {
                tracing::error!(message = %id, error = %err, "not counted; SQS redelivers it");
                tally.failed += 1;
                response.add_failure(id);
            }
        }
    }
    tracing::info!(?tally, "call ends counted");
    (response, tally)
}
