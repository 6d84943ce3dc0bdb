//! `/docs`: the API's OpenAPI document in a viewer (Swagger UI, vendored
//! from npm by `scripts/vendor-swagger-ui.sh`; nothing from a CDN).
//!
//! The viewer's assets are kept gzipped; a browser that takes gzip (all
//! do) gets them as they are, anything else gets them inflated.

use std::io::Read as _;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

const BUNDLE_GZ: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js.gz");
const CSS_GZ: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui.css.gz");

/// The viewer page.
pub async fn page() -> Html<&'static str> {
    Html(
        r#"<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Office API 문서</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="api"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"#,
    )
}

/// Starts the viewer on `/v1/openapi.json` (a file, not inline, so a
/// strict content security policy can keep inline scripts out).
pub async fn init() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        "window.ui = SwaggerUIBundle({ url: '/v1/openapi.json', dom_id: '#api', deepLinking: true, tryItOutEnabled: false });\n",
    )
        .into_response()
}

pub async fn bundle(headers: HeaderMap) -> Response {
    gzipped(&headers, BUNDLE_GZ, "text/javascript; charset=utf-8")
}

pub async fn css(headers: HeaderMap) -> Response {
    gzipped(&headers, CSS_GZ, "text/css; charset=utf-8")
}

fn takes_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|e| {
                let mut parts = e.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
                (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
            })
        })
}

pub(crate) fn gzipped(headers: &HeaderMap, gz: &'static [u8], ctype: &'static str) -> Response {
    let mut r = if takes_gzip(headers) {
        let mut r = gz.into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let mut plain = Vec::new();
        if flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut plain)
            .is_err()
        {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        plain.into_response()
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}
