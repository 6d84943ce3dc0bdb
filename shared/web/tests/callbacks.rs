//! 콜백 요청 through the router: the API creates (and merges) requests,
//! lists them by status, assigns and completes them, refuses bad input with
//! a stable code and changes nothing, and keeps tenants apart; the portal
//! page lists them with their actions, and its forms assign, refuse a call
//! back to an agent without a registered phone in Korean, and complete.

mod common;

use axum::http::StatusCode;
use common::{Client, api, user, world};
use domain::AccountStatus;
use serde_json::json;

#[tokio::test]
async fn callback_requests_through_the_api_and_the_portal() {
    let w = world().await;
    let kim = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        Some("2001"),
        AccountStatus::Active,
    )
    .await;
    let post = |body| {
        api(
            &w.app,
            "POST",
            "/v1/callbacks",
            Some(&w.key_a),
            Some(body),
            &[],
        )
    };
    let r = post(json!({"number": "010-1234-5678", "name": "홍길동"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let first = r.json();
    assert_eq!(first["merged"], false);
    let id = first["id"].as_str().expect("id").to_owned();
    let r = post(json!({"number": "01012345678"})).await;
    let again = r.json();
    assert_eq!(
        (
            again["merged"].as_bool(),
            again["id"].as_str(),
            again["times"].as_u64()
        ),
        (Some(true), Some(id.as_str()), Some(2))
    );
    // Bad input: a clear code, nothing filed.
    let r = post(json!({"number": "anonymous"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["code"], "callback_number");
    let r = api(
        &w.app,
        "GET",
        "/v1/callbacks?status=nope",
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(r.json()["code"], "callback_status", "{}", r.body);
    let r = api(&w.app, "GET", "/v1/callbacks", Some(&w.key_a), None, &[]).await;
    assert_eq!(
        r.json()["callbacks"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.body
    );
    // Another tenant sees nothing of it.
    let r = api(
        &w.app,
        "GET",
        &format!("/v1/callbacks/{id}"),
        Some(&w.key_b),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Assign through the API; a stranger can't be assigned.
    let path = format!("/v1/callbacks/{id}");
    let patch = |body| api(&w.app, "PATCH", &path, Some(&w.key_a), Some(body), &[]);
    let r = patch(json!({"assignee": "nobody"})).await;
    assert_eq!(r.json()["code"], "callback_agent", "{}", r.body);
    let r = patch(json!({"assignee": kim.id.to_string()})).await;
    assert_eq!(r.json()["assignee"], kim.id.to_string(), "{}", r.body);
    // Calling back without a registered phone: refused, nothing recorded.
    let r = api(
        &w.app,
        "POST",
        &format!("/v1/callbacks/{id}/call"),
        Some(&w.key_a),
        Some(json!({"agent": kim.id.to_string()})),
        &[],
    )
    .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (StatusCode::CONFLICT, Some("agent_unregistered")),
        "{}",
        r.body
    );

    // The portal: the open request with its actions.
    let mut c = Client::new(&w.app);
    let (email, password) = w.admin_a.clone();
    c.login(&email, &password).await;
    let page = c.get("/admin/callbacks").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("콜백 요청"), "{}", page.body);
    assert!(page.body.contains("010-1234-5678"));
    assert!(page.body.contains("홍길동"));
    assert!(page.body.contains("2회"));
    assert!(page.body.contains("전화 걸기"));
    let csrf = page.csrf();
    let r = c
        .post_form(
            &format!("/admin/callbacks/{id}/call"),
            &[("_csrf", &csrf), ("agent", kim.id.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("전화기가 등록되어 있지 않아"), "{}", r.body);
    let r = c
        .post_form("/admin/callbacks", &[("_csrf", &csrf), ("number", "12")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("전화번호가 올바르지 않습니다"),
        "{}",
        r.body
    );
    let r = c
        .post_form(&format!("/admin/callbacks/{id}/done"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let open = c.get("/admin/callbacks").await;
    assert!(open.body.contains("id=\"no-callbacks\""), "{}", open.body);
    let done = c.get("/admin/callbacks?status=done").await;
    assert!(done.body.contains("010-1234-5678"));
    // Without the CSRF token nothing changes.
    let r = c
        .post_form("/admin/callbacks", &[("number", "010-5555-6666")])
        .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    let r = api(
        &w.app,
        "GET",
        "/v1/callbacks?status=open",
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(
        r.json()["callbacks"].as_array().map_or(0, Vec::len),
        0,
        "{}",
        r.body
    );
}
