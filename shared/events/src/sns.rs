//! Events to an SNS topic, which fans them out to SQS queues (webhooks,
//! statistics). Each message is the event's JSON, with its type and
//! tenant as message attributes so subscriptions can filter.

use async_trait::async_trait;
use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use domain::event::Event;

use crate::{PublishError, Publisher};

pub use aws_sdk_sns::Client;

/// SNS takes at most ten messages per `PublishBatch`.
const BATCH: usize = 10;

#[derive(Debug, Clone)]
pub struct SnsPublisher {
    client: Client,
    topic_arn: String,
}

impl SnsPublisher {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

fn attr(v: &str) -> Result<MessageAttributeValue, PublishError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .map_err(|e| PublishError::Unavailable(e.to_string()))
}

#[async_trait]
impl Publisher for SnsPublisher {
    async fn publish(&self, events: &[Event]) -> Result<(), PublishError> {
        for chunk in events.chunks(BATCH) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, e) in chunk.iter().enumerate() {
                let body = serde_json::to_string(e)
                    .map_err(|err| PublishError::Unavailable(err.to_string()))?;
                entries.push(
                    PublishBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message(body)
                        .message_attributes("type", attr(e.type_name())?)
                        .message_attributes("tenant", attr(e.tenant.as_str())?)
                        .build()
                        .map_err(|err| PublishError::Unavailable(err.to_string()))?,
                );
            }
            let out = self
                .client
                .publish_batch()
                .topic_arn(&self.topic_arn)
                .set_publish_batch_request_entries(Some(entries))
                .send()
                .await
                .map_err(|e| PublishError::Unavailable(format!("{e:?}")))?;
            if let Some(failed) = out.failed.filter(|f| !f.is_empty()) {
                // The whole chunk is published again; consumers deduplicate.
                return Err(PublishError::Unavailable(format!(
                    "{} of {} events refused, first: {:?}",
                    failed.len(),
                    chunk.len(),
                    failed[0].message
                )));
            }
        }
        Ok(())
    }
}
