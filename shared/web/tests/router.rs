//! The router through `tower::ServiceExt::oneshot`, over an in-memory app.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use blobs::BlobKey;
use bytes_body::body_bytes;
use tower::ServiceExt as _;

mod bytes_body {
    use http_body_util::BodyExt as _;

    pub async fn body_bytes(resp: axum::response::Response) -> Vec<u8> {
        resp.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec()
    }
}

fn app(dir: &tempfile::TempDir) -> app::App {
    app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app")
}

async fn get(app: &app::App, uri: &str) -> axum::response::Response {
    web::router(app.clone())
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response")
}

#[tokio::test]
async fn health_reports_ok_when_the_store_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let resp = get(&app(&dir), "/health").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(&body_bytes(resp).await).expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"], "ok");
}

#[tokio::test]
async fn landing_page_is_korean_html() {
    let dir = tempfile::tempdir().expect("tempdir");
    let resp = get(&app(&dir), "/").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let html = String::from_utf8(body_bytes(resp).await).expect("utf-8");
    assert!(html.contains("<html lang=\"ko\">"));
    assert!(html.contains("말톡오피스"));
    assert!(html.contains("href=\"/health\""));
}

#[tokio::test]
async fn unknown_paths_get_problem_json_under_v1_and_a_korean_page_elsewhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let resp = get(&app(&dir), "/v1/nothing/here").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = serde_json::from_slice(&body_bytes(resp).await).expect("json");
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["status"], 404);
    let resp = get(&app(&dir), "/nothing/here").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let html = String::from_utf8(body_bytes(resp).await).expect("utf-8");
    assert!(html.contains("페이지를 찾을 수 없습니다"), "{html}");
}

#[tokio::test]
async fn signed_blob_links_serve_until_they_expire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(&dir);
    let key = BlobKey::parse("recordings/demo/call-1.wav").expect("key");
    app.blobs
        .put(&key, bytes::Bytes::from_static(b"RIFFdata"), "audio/wav")
        .await
        .expect("put");
    let url = app
        .blobs
        .download_url(&key, Duration::from_secs(1), Some("통화-1.wav"))
        .await
        .expect("url");
    let path = url.strip_prefix("http://127.0.0.1:9").expect("local url");

    let resp = get(&app, path).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "audio/wav");
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''%ED%86%B5%ED%99%94-1.wav"),
        "{disposition}"
    );
    assert_eq!(body_bytes(resp).await, b"RIFFdata");

    let tampered = path.replace("call-1", "call-2");
    assert_eq!(get(&app, &tampered).await.status(), StatusCode::FORBIDDEN);
    let unsigned = path.split('?').next().expect("path");
    assert_eq!(get(&app, unsigned).await.status(), StatusCode::FORBIDDEN);

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let resp = get(&app, path).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = serde_json::from_slice(&body_bytes(resp).await).expect("json");
    assert_eq!(body["code"], "link_expired");
}
