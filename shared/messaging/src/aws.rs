//! SNS (SMS) and SES v2 (mail) adapters.

use async_trait::async_trait;
use domain::Email;

use domain::sms::MessageKind;

use crate::{Mailer, Outbound, SendError, SmsSender};

pub use aws_sdk_sesv2::Client as SesClient;
pub use aws_sdk_sns::Client as SnsClient;

fn classify<E: std::fmt::Display + aws_sdk_sns::error::ProvideErrorMetadata>(e: &E) -> SendError {
    match e.code() {
        Some(
            "InvalidParameter"
            | "InvalidParameterValue"
            | "OptedOut"
            | "MessageRejected"
            | "AccountSuspendedException"
            | "BadRequestException"
            | "NotFoundException",
        ) => SendError::Rejected(e.to_string()),
        _ => SendError::Unavailable(e.to_string()),
    }
}

/// SMS through SNS `Publish` to a phone number. The sender id shown to
/// Korean carriers is the registered number; `from` is sent as an
/// origination attribute.
#[derive(Debug, Clone)]
pub struct SnsSms {
    client: aws_sdk_sns::Client,
}

impl SnsSms {
    pub fn new(client: aws_sdk_sns::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl SmsSender for SnsSms {
    async fn send(&self, m: Outbound<'_>) -> Result<String, SendError> {
        if m.kind == MessageKind::Mms {
            // SNS carries text only; MMS needs a Korean carrier gateway adapter.
            return Err(SendError::Rejected("MMS cannot be sent through SNS".into()));
        }
        let attr = |v: &str| {
            aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .map_err(|e| SendError::Rejected(e.to_string()))
        };
        let body = match m.subject {
            Some(s) => format!("[{s}]\n{}", m.body),
            None => m.body.to_owned(),
        };
        let out = self
            .client
            .publish()
            .phone_number(m.to.e164())
            .message(body)
            .message_attributes("AWS.SNS.SMS.SMSType", attr("Transactional")?)
            .message_attributes("AWS.MM.SMS.OriginationNumber", attr(&m.from.e164())?)
            .send()
            .await
            .map_err(|e| classify(&e.into_service_error()))?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}

/// Mail through SES v2 `SendEmail` from a verified sender address.
#[derive(Debug, Clone)]
pub struct SesMail {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl SesMail {
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self {
            client,
            from: from.into(),
        }
    }
}

#[async_trait]
impl Mailer for SesMail {
    async fn send_mail(&self, to: &Email, subject: &str, body: &str) -> Result<String, SendError> {
        use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
        let content = |s: &str| {
            Content::builder()
                .data(s)
                .charset("UTF-8")
                .build()
                .map_err(|e| SendError::Rejected(e.to_string()))
        };
        let message = Message::builder()
            .subject(content(subject)?)
            .body(Body::builder().text(content(body)?).build())
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to.as_str()).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| {
                let se = e.into_service_error();
                match aws_sdk_sesv2::error::ProvideErrorMetadata::code(&se) {
                    Some(
                        "MessageRejected"
                        | "BadRequestException"
                        | "AccountSuspendedException"
                        | "NotFoundException",
                    ) => SendError::Rejected(se.to_string()),
                    _ => SendError::Unavailable(se.to_string()),
                }
            })?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}

/// Wakes the SMS dispatcher Lambda through its SQS queue.
#[derive(Debug, Clone)]
pub struct SqsKick {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

pub use aws_sdk_sqs::Client as SqsClient;

impl SqsKick {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl crate::Kick for SqsKick {
    async fn kick(&self, batch: &str) -> Result<(), SendError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(format!("{{\"batch\":\"{batch}\"}}"))
            .send()
            .await
            .map_err(|e| SendError::Unavailable(e.to_string()))?;
        Ok(())
    }
}
