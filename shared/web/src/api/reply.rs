//! Content negotiation: one serializable value, answered as JSON or XML.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Xml,
}

impl Format {
    /// XML when the client prefers it (`Accept: application/xml` or `text/xml`).
    pub fn of(headers: &HeaderMap) -> Self {
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let xml = accept
            .find("application/xml")
            .or_else(|| accept.find("text/xml"));
        let json = accept.find("application/json");
        match (xml, json) {
            (Some(x), Some(j)) if x < j => Format::Xml,
            (Some(_), None) => Format::Xml,
            _ => Format::Json,
        }
    }
}

/// A successful API answer.
#[derive(Debug)]
pub struct Reply<T> {
    pub status: StatusCode,
    /// Root element name for XML.
    pub root: &'static str,
    pub body: T,
    pub format: Format,
}

impl<T: Serialize> Reply<T> {
    pub fn ok(format: Format, root: &'static str, body: T) -> Self {
        Self {
            status: StatusCode::OK,
            root,
            body,
            format,
        }
    }
    pub fn created(format: Format, root: &'static str, body: T) -> Self {
        Self {
            status: StatusCode::CREATED,
            root,
            body,
            format,
        }
    }
    /// The body as text and its content type.
    pub fn render(&self) -> (String, &'static str) {
        render(self.format, self.root, &self.body)
    }
}

pub fn render<T: Serialize>(format: Format, root: &str, body: &T) -> (String, &'static str) {
    match format {
        Format::Json => (
            serde_json::to_string(body).unwrap_or_else(|_| "{}".into()),
            "application/json",
        ),
        Format::Xml => {
            let xml = quick_xml::se::to_string_with_root(root, body).unwrap_or_default();
            (
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{xml}"),
                "application/xml",
            )
        }
    }
}

pub fn respond(status: StatusCode, content_type: &str, body: String) -> Response {
    let mut resp = (status, body).into_response();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        let (body, ctype) = self.render();
        respond(self.status, ctype, body)
    }
}
