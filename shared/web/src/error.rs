//! API errors as RFC 9457 problem details (`application/problem+json`)
//! with a stable `code` clients can match on. 5xx causes are logged here and
//! never shown: the client gets an opaque message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error the API answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `not_found`.
    pub code: &'static str,
    /// Human-readable explanation of this occurrence.
    pub detail: String,
    /// The input field at fault, when there is one.
    pub field: Option<&'static str>,
    pub format: crate::api::Format,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            field: None,
            format: crate::api::Format::Json,
        }
    }

    /// Answers in the client's format (JSON or XML).
    #[must_use]
    pub fn in_format(mut self, format: crate::api::Format) -> Self {
        self.format = format;
        self
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// A server-side failure: logs the cause chain, tells the client nothing of it.
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        let mut chain = cause.to_string();
        let mut src = cause.source();
        while let Some(s) = src {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            src = s.source();
        }
        tracing::error!(error = %chain, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; it has been logged",
        )
    }

    pub fn unavailable(cause: &dyn std::error::Error) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "a backing service is unavailable; try again shortly",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = Problem {
            kind: format!("urn:office:problem:{}", self.code),
            title,
            status: self.status.as_u16(),
            code: self.code,
            detail: &self.detail,
            field: self.field,
        };
        let (text, ctype) = crate::api::reply::render(self.format, "problem", &body);
        let ctype = if ctype == "application/xml" {
            "application/problem+xml"
        } else {
            "application/problem+json"
        };
        crate::api::reply::respond(self.status, ctype, text)
    }
}

impl From<app::Fail> for ApiError {
    fn from(f: app::Fail) -> Self {
        let status = crate::portal::status_for(f.kind);
        Self {
            status,
            code: f.code,
            detail: f.message,
            field: f.field,
            format: crate::api::Format::Json,
        }
    }
}

/// No route: a problem in the client's format (the portal's pages get a
/// Korean page from `uniform`).
pub(crate) async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> ApiError {
    ApiError::not_found(format!("no resource at {}", uri.path()))
        .in_format(crate::api::Format::of(&headers))
}
