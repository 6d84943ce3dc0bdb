//! Errors look the same everywhere. Handlers answer their own failures
//! well (problem details under `/v1`, Korean pages in the portal); what
//! axum answers before a handler runs (a query or JSON body that does not
//! parse, a body over its limit, an unknown route, a wrong method) is plain
//! text. This layer turns those into the same shapes: under `/v1` problem
//! details with a stable `code`, in the client's format (so too signed
//! download links and the health check); elsewhere a Korean page. A body over its limit says what the limit is.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::ApiError;
use crate::api::Format;

/// Bodies the router takes when a route does not say otherwise (axum's).
pub const DEFAULT_BODY: usize = 2 * 1024 * 1024;
/// Uploads of spreadsheets (SMS recipients, the org chart).
pub const SHEET_BODY: usize = 20 * 1024 * 1024;
/// An uploaded ARS prompt recording, as the API takes it.
pub const PROMPT_BODY: usize = app::ivr::MAX_UPLOAD_BYTES;
/// ... and as the portal's form takes it (with the form around it).
pub const PROMPT_FORM_BODY: usize = app::ivr::MAX_UPLOAD_BYTES + 64 * 1024;

/// The body limit of the route at `path` (for saying it when exceeded).
fn body_limit(path: &str) -> usize {
    match path {
        "/sms" | "/admin/sms" | "/sms/bulk" | "/admin/sms/bulk" | "/admin/org/upload" => SHEET_BODY,
        "/v1/ivr/prompts" => PROMPT_BODY,
        "/admin/ivr/prompts" => PROMPT_FORM_BODY,
        _ => DEFAULT_BODY,
    }
}

fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb.fract() < 0.05 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

/// The stable code for a status axum answered with itself.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// The Korean words for a status axum answered with itself.
fn korean(status: StatusCode, limit: usize) -> String {
    match status {
        StatusCode::NOT_FOUND => "페이지를 찾을 수 없습니다. 주소를 확인해 주세요".into(),
        StatusCode::METHOD_NOT_ALLOWED => "이 주소에서는 할 수 없는 요청입니다".into(),
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "보낸 내용이 너무 큽니다. 최대 {}까지 올릴 수 있습니다",
            megabytes(limit)
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "지원하지 않는 형식의 요청입니다".into(),
        s if s.is_server_error() => {
            "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요".into()
        }
        _ => "요청을 처리할 수 없습니다. 입력한 내용을 확인해 주세요".into(),
    }
}

/// The layer: responses that are errors but not yet in the house shape.
pub async fn errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let format = Format::of(req.headers());
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let ctype = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Download links and the health check answer machines too.
    let api = path == "/v1"
        || path.starts_with("/v1/")
        || path.starts_with("/blobs/")
        || path == "/health";
    let shaped = if api {
        ctype.starts_with("application/problem")
    } else {
        ctype.starts_with("text/html")
    };
    if shaped {
        return res;
    }
    let limit = body_limit(&path);
    if api {
        let detail = match status {
            StatusCode::PAYLOAD_TOO_LARGE => format!(
                "the body is larger than this route takes ({limit} bytes, {})",
                megabytes(limit)
            ),
            StatusCode::NOT_FOUND => format!("no resource at {path}"),
            StatusCode::METHOD_NOT_ALLOWED => format!("{path} does not take this method"),
            _ => body_text(res).await,
        };
        return ApiError::new(status, code_for(status), detail)
            .in_format(format)
            .into_response();
    }
    let page = crate::portal::layout::bare(
        "오류",
        html! {
            main class="main narrow" {
                h1 { "오류" }
                div class="error" role="alert" { (korean(status, limit)) }
                p { a href="/" { "← 처음으로" } }
            }
        },
    );
    (status, axum::response::Html(page.into_string())).into_response()
}

/// What axum said (its rejection text), for the problem's detail.
async fn body_text(res: Response) -> String {
    let bytes = axum::body::to_bytes(Body::new(res.into_body()), 4096)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    if text.is_empty() {
        "the request could not be read".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_said_in_megabytes() {
        assert_eq!(megabytes(DEFAULT_BODY), "2 MB");
        assert_eq!(megabytes(SHEET_BODY), "20 MB");
        assert!(korean(StatusCode::PAYLOAD_TOO_LARGE, SHEET_BODY).contains("최대 20 MB"));
        assert_eq!(body_limit("/admin/org/upload"), SHEET_BODY);
        assert_eq!(
            code_for(StatusCode::METHOD_NOT_ALLOWED),
            "method_not_allowed"
        );
    }
}
