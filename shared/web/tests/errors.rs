//! Every rejection in the house shape: under `/v1` problem details with a
//! stable code (unknown route, wrong method, a query or body that does not
//! parse, a body over the limit, which it names); elsewhere a Korean page.

mod common;

use axum::http::StatusCode;
use common::{Client, api, world};

#[tokio::test]
async fn rejections_before_any_handler_are_problems_under_v1_and_korean_pages_elsewhere() {
    let w = world().await;
    let key = Some(w.key_a.as_str());
    let problem = |r: &common::Resp, status: StatusCode, code: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        let ctype = r
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            ctype.starts_with("application/problem+json"),
            "{ctype}: {}",
            r.body
        );
        assert_eq!(r.json()["code"], code, "{}", r.body);
    };
    let r = api(&w.app, "GET", "/v1/nothing-here", key, None, &[]).await;
    problem(&r, StatusCode::NOT_FOUND, "not_found");
    let r = api(&w.app, "DELETE", "/v1/calls", key, None, &[]).await;
    problem(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let r = api(&w.app, "GET", "/v1/calls?limit=lots", key, None, &[]).await;
    problem(&r, StatusCode::BAD_REQUEST, "bad_request");
    let big = "x".repeat(3 * 1024 * 1024);
    let r = api(
        &w.app,
        "POST",
        "/v1/messages",
        key,
        Some(serde_json::json!({ "text": big })),
        &[],
    )
    .await;
    problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    assert!(
        r.json()["detail"].as_str().unwrap_or("").contains("2 MB"),
        "{}",
        r.body
    );
    // XML clients get XML problems.
    let r = api(
        &w.app,
        "GET",
        "/v1/nothing-here",
        key,
        None,
        &[("accept", "application/xml")],
    )
    .await;
    assert!(r.body.contains("<code>not_found</code>"), "{}", r.body);

    // The portal: Korean pages, never JSON.
    let mut c = Client::new(&w.app);
    let r = c.get("/no-such-page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("페이지를 찾을 수 없습니다"), "{}", r.body);
    assert!(
        r.body.starts_with("<!DOCTYPE html>") || r.body.contains("<html"),
        "{}",
        r.body
    );
    let (email, password) = w.admin_a.clone();
    c.login(&email, &password).await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = c
        .post_form("/admin/callbacks", &[("name", huge.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.body.contains("최대 2 MB"),
        "{}",
        &r.body[..r.body.len().min(500)]
    );
}
