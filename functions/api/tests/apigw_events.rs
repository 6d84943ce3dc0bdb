//! The Lambda path: real API Gateway (HTTP API, payload 2.0) events, parsed
//! by lambda_http exactly as the runtime does, through the same router.

use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

async fn invoke(fixture: &str) -> (u16, String, String) {
    let path = format!(
        "{}/fixtures/{fixture}",
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
    );
    let event = std::fs::read_to_string(&path).expect("fixture");
    let request = lambda_http::request::from_str(&event).expect("API Gateway v2 event");
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app::App::in_memory(
        dir.path(),
        "https://abcdef1234.execute-api.ap-northeast-2.amazonaws.com",
    )
    .expect("app");
    let resp = web::router(app).oneshot(request).await.expect("response");
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        ctype,
        String::from_utf8(body.to_vec()).expect("utf-8"),
    )
}

#[tokio::test]
async fn health_event_is_answered_by_the_router() {
    let (status, ctype, body) = invoke("apigw-v2-health.json").await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "application/json");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["status"], "ok");
}

#[tokio::test]
async fn landing_event_with_query_and_cookies_gets_the_page() {
    let (status, ctype, body) = invoke("apigw-v2-landing.json").await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"));
    assert!(body.contains("말톡오피스"));
}

#[tokio::test]
async fn unknown_route_event_gets_problem_json() {
    let (status, ctype, body) = invoke("apigw-v2-missing.json").await;
    assert_eq!(status, 404);
    assert_eq!(ctype, "application/problem+json");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["code"], "not_found");
    assert!(
        v["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("/v1/no/such/thing")
    );
}
