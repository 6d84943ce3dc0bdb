//! Kakao Alimtalk (알림톡) through a business-message provider's HTTP API.
//!
//! The provider contract: `POST {endpoint}/v2/alimtalk/send` with
//! `Authorization: Bearer <api key>` and JSON `{sender_key, template_code,
//! to, text, idempotency_key}`; `200 {"message_id"}` on success; `4xx
//! {"code"}` with `NOT_KAKAO_USER`, `TEMPLATE_REJECTED` or another code when
//! the message cannot go out as Alimtalk (the caller falls back to SMS);
//! `5xx` or no answer when the provider is down (retry, then fall back).

use std::time::Duration;

use domain::PhoneNumber;
use serde::{Deserialize, Serialize};

/// Why an Alimtalk did not go out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlimtalkError {
    #[error("the recipient does not use KakaoTalk")]
    NotKakaoUser,
    #[error("the provider rejected the template: {0}")]
    TemplateRejected(String),
    #[error("the provider refused the message: {0}")]
    Refused(String),
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
}

/// A tenant's provider account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KakaoAccount {
    pub endpoint: String,
    pub sender_key: String,
    pub api_key: String,
}

#[derive(Serialize)]
struct SendRequest<'a> {
    sender_key: &'a str,
    template_code: &'a str,
    to: String,
    text: &'a str,
    idempotency_key: &'a str,
}

#[derive(Deserialize)]
struct SendResponse {
    message_id: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

/// The HTTP client of the provider (one per process; accounts per call).
#[derive(Debug, Clone)]
pub struct KakaoHttp {
    http: reqwest::Client,
}

impl KakaoHttp {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    pub async fn send(
        &self,
        account: &KakaoAccount,
        template_code: &str,
        to: &PhoneNumber,
        text: &str,
        idempotency_key: &str,
    ) -> Result<String, AlimtalkError> {
        let url = format!(
            "{}/v2/alimtalk/send",
            account.endpoint.trim_end_matches('/')
        );
        let body = SendRequest {
            sender_key: &account.sender_key,
            template_code,
            to: to.national_digits(),
            text,
            idempotency_key,
        };
        let resp = self
            .http
            .post(&url)
            .bearer_auth(&account.api_key)
            .json(&body)
            .send()
            .await
            .map_err(|e| AlimtalkError::Unavailable(e.to_string()))?;
        let status = resp.status();
        let parsed: Option<SendResponse> = resp.json().await.ok();
        if status.is_success() {
            return parsed
                .and_then(|r| r.message_id)
                .ok_or_else(|| AlimtalkError::Unavailable("no message_id in the answer".into()));
        }
        if status.is_server_error() {
            return Err(AlimtalkError::Unavailable(format!("HTTP {status}")));
        }
        let (code, message) = parsed
            .map(|r| (r.code.unwrap_or_default(), r.message.unwrap_or_default()))
            .unwrap_or_default();
        Err(match code.as_str() {
            "NOT_KAKAO_USER" => AlimtalkError::NotKakaoUser,
            "TEMPLATE_REJECTED" => AlimtalkError::TemplateRejected(message),
            _ => AlimtalkError::Refused(format!("HTTP {status} {code} {message}")),
        })
    }
}

impl Default for KakaoHttp {
    fn default() -> Self {
        Self::new()
    }
}

/// Fills `#{name}` placeholders; a placeholder without a value is an error.
pub fn render(
    template: &str,
    vars: &std::collections::BTreeMap<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find("#{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            return Err("an unclosed #{ in the template".into());
        };
        let name = &after[..end];
        match vars.get(name) {
            Some(v) => out.push_str(v),
            None => return Err(format!("no value for #{{{name}}}")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_missing_ones_refused() {
        let vars = [
            ("name".to_owned(), "김민수".to_owned()),
            ("no".to_owned(), "A-1".to_owned()),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            render("#{name}님, 주문 #{no} 접수", &vars),
            Ok("김민수님, 주문 A-1 접수".into())
        );
        assert!(render("#{other}", &vars).is_err());
        assert!(render("#{name", &vars).is_err());
    }
}
