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
            let value = singular_lists(serde_json::to_value(body).unwrap_or_default());
            let xml = quick_xml::se::to_string_with_root(root, &value).unwrap_or_default();
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

/// XML names each item of a list: JSON's `"calls": [...]` is a run of
/// `<call>` elements, `"deliveries"` of `<delivery>`.
fn singular_lists(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match v {
                    Value::Array(items) => (
                        singular(&k),
                        Value::Array(items.into_iter().map(singular_lists).collect()),
                    ),
                    v => (k, singular_lists(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(singular_lists).collect()),
        v => v,
    }
}

fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if name.ends_with("ss") {
        name.to_owned()
    } else if let Some(stem) = name.strip_suffix('s') {
        stem.to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_lists_repeat_the_singular() {
        let body = serde_json::json!({
            "calls": [{"id": "a", "recording_files": [{"n": 1}]}, {"id": "b"}],
            "deliveries": [],
            "next_token": "o2",
            "address": "x",
        });
        let (xml, ctype) = render(Format::Xml, "calls", &body);
        assert_eq!(ctype, "application/xml");
        assert!(xml.contains("<call><id>a</id><recording_file><n>1</n></recording_file></call><call><id>b</id></call>"), "{xml}");
        assert!(
            xml.contains("<next_token>o2</next_token>") && xml.contains("<address>x</address>"),
            "{xml}"
        );
        assert!(
            !xml.contains("<calls><calls>") && !xml.contains("deliver"),
            "{xml}"
        );
    }
}
