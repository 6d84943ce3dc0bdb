//! `/v1/webhooks` through the router: an integrator registers an endpoint
//! (the secret is shown on create and on read, never in the list), call
//! events published in-process become signed deliveries to a real local
//! receiver, the delivery log shows each one's status, response code and
//! latency, and "resend" sends one again. Bad input gets a stable code and
//! creates nothing; tenants never see each other's endpoints; a reused
//! Idempotency-Key with another body is refused.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::{api, world};
use domain::TenantId;
use domain::call::{CallRecord, Direction, Disposition, Party};
use domain::event::Tracker;
use serde_json::json;

type Hits = Arc<Mutex<Vec<(String, String)>>>;

/// A receiver on 127.0.0.1 recording (signature, body) of each POST.
async fn receiver(hits: Hits) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let route = axum::routing::post(
        |axum::extract::State(h): axum::extract::State<Hits>,
         headers: axum::http::HeaderMap,
         body: String| async move {
            let sig = headers
                .get("x-office-signature")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            h.lock().expect("lock").push((sig, body));
            StatusCode::NO_CONTENT
        },
    );
    let router = axum::Router::new().route("/in", route).with_state(hits);
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/in")
}

fn ended_call(t: &str) -> Vec<domain::event::Event> {
    let now = store::now_epoch_ms();
    let mut r = CallRecord::starting(
        TenantId::parse(t).expect("tenant"),
        Direction::Incoming,
        Party {
            number: "01099998888".into(),
            ..Party::default()
        },
        Party::default(),
        now,
        "e1",
    );
    let mut tracker = Tracker::default();
    let mut out = tracker.observe(&r, false, now);
    r.ended_ms = Some(now + 1_000);
    r.disposition = Disposition::NoAnswer;
    out.extend(tracker.observe(&r, true, now + 1_000));
    out
}

#[tokio::test]
async fn webhooks_are_managed_delivered_signed_logged_and_resent_through_the_api() {
    let w = world().await;
    let hits = Hits::default();
    let url = receiver(hits.clone()).await;
    let r = api(
        &w.app,
        "POST",
        "/v1/webhooks",
        Some(&w.key_a),
        Some(json!({"url": url, "events": ["call.ended"], "description": "CRM"})),
        &[("idempotency-key", "wh-1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    let id = created["id"].as_str().expect("id").to_owned();
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));

    // The same key with another body is a conflict, and creates nothing.
    let r = api(
        &w.app,
        "POST",
        "/v1/webhooks",
        Some(&w.key_a),
        Some(json!({"url": "https://other.example.com/h"})),
        &[("idempotency-key", "wh-1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let r = api(&w.app, "GET", "/v1/webhooks", Some(&w.key_a), None, &[]).await;
    let list = r.json();
    assert_eq!(
        list["webhooks"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.body
    );
    assert!(
        list["webhooks"][0].get("secret").is_none(),
        "no secret in lists"
    );
    let r = api(
        &w.app,
        "GET",
        &format!("/v1/webhooks/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(r.json()["secret"], secret.as_str());
    let r = api(
        &w.app,
        "GET",
        &format!("/v1/webhooks/{id}"),
        Some(&w.key_b),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "other tenants see nothing");

    // Events for both tenants: only tenant A's call.ended reaches A's endpoint.
    w.app
        .events
        .publish(&ended_call("tenant-a"))
        .await
        .expect("publish");
    w.app
        .events
        .publish(&ended_call("tenant-b"))
        .await
        .expect("publish");
    let s = app::webhooks::run_once(&w.app, store::now_epoch_ms(), 100)
        .await
        .expect("dispatch");
    assert_eq!(s.delivered, 1);
    let got = hits.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    assert!(app::messaging::verify_signature(
        secret.as_bytes(),
        &got[0].0,
        got[0].1.as_bytes(),
        store::now_epoch_seconds()
    ));
    let body: serde_json::Value = serde_json::from_str(&got[0].1).expect("json");
    assert_eq!(body["type"], "call.ended");
    assert_eq!(body["data"]["call"]["caller"]["number"], "01099998888");
    assert_eq!(body["data"]["disposition"], "no_answer");

    let r = api(
        &w.app,
        "GET",
        &format!("/v1/webhooks/{id}/deliveries"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let log = r.json();
    let d = &log["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["response_code"].as_i64()),
        (Some("delivered"), Some(204))
    );
    assert!(d["latency_ms"].as_i64().is_some());
    let did = d["id"].as_str().expect("delivery id").to_owned();

    let r = api(
        &w.app,
        "POST",
        &format!("/v1/webhooks/{id}/deliveries/{did}/resend"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    app::webhooks::run_once(&w.app, store::now_epoch_ms(), 100)
        .await
        .expect("dispatch");
    assert_eq!(hits.lock().expect("lock").len(), 2, "sent again");
    let r = api(
        &w.app,
        "POST",
        &format!("/v1/webhooks/{id}/deliveries/0_nope.1/resend"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Pause, then delete.
    let r = api(
        &w.app,
        "PATCH",
        &format!("/v1/webhooks/{id}"),
        Some(&w.key_a),
        Some(json!({"enabled": false})),
        &[],
    )
    .await;
    assert_eq!(r.json()["enabled"], false, "{}", r.body);
    let r = api(
        &w.app,
        "DELETE",
        &format!("/v1/webhooks/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api(
        &w.app,
        "DELETE",
        &format!("/v1/webhooks/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_webhooks_get_a_stable_code_and_create_nothing() {
    let w = world().await;
    for (body, status, code) in [
        (
            json!({"url": "http://crm.example.com/h"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "webhook_url",
        ),
        (
            json!({"url": "https://crm.example.com/h", "events": ["call.rang"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "event_type",
        ),
        (
            json!({"url": "https://crm.example.com/h", "colour": "red"}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"events": ["call.*"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "webhook_url",
        ),
    ] {
        let r = api(
            &w.app,
            "POST",
            "/v1/webhooks",
            Some(&w.key_a),
            Some(body.clone()),
            &[],
        )
        .await;
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (status, Some(code)),
            "{body}: {}",
            r.body
        );
    }
    let r = api(&w.app, "GET", "/v1/webhooks", Some(&w.key_a), None, &[]).await;
    assert_eq!(r.json()["webhooks"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn the_portal_manages_webhooks_and_shows_their_log_and_why_one_stopped() {
    let w = world().await;
    let hits = Hits::default();
    let url = receiver(hits.clone()).await;
    let mut c = common::Client::new(&w.app);
    let (email, password) = w.admin_a.clone();
    c.login(&email, &password).await;
    let page = c.get("/admin/webhooks").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("등록된 웹훅이 없습니다"));
    let csrf = page.csrf();
    // A plain-http outside address is refused, in Korean, and nothing is saved.
    let bad = c
        .post_form(
            "/admin/webhooks",
            &[("_csrf", &csrf), ("url", "http://crm.example.com/h")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("웹훅 주소가 올바르지 않습니다"),
        "{}",
        bad.body
    );
    let made = c
        .post_form(
            "/admin/webhooks",
            &[
                ("_csrf", &csrf),
                ("url", &url),
                ("event", "call.ended"),
                ("event", "call.ringing"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let list = app::webhooks::list(&w.app, &TenantId::parse("tenant-a").expect("t"))
        .await
        .expect("list");
    assert_eq!(list[0].events.types(), ["call.ended", "call.ringing"]);
    let id = list[0].id.clone();

    w.app
        .events
        .publish(&ended_call("tenant-a"))
        .await
        .expect("publish");
    app::webhooks::run_once(&w.app, store::now_epoch_ms(), 100)
        .await
        .expect("dispatch");
    let log = c.get(&format!("/admin/webhooks?log={id}")).await;
    assert_eq!(
        log.body.matches("class=\"delivery\"").count(),
        2,
        "{}",
        log.body
    );
    assert!(log.body.contains("전달됨") && log.body.contains("204"));

    // Stopped by the platform: the page says why; switching it back on clears it.
    store::repo::webhooks::disable(
        &*w.app.store,
        &TenantId::parse("tenant-a").expect("t"),
        &id,
        "24시간 동안 전달하지 못해 사용을 중지했습니다 (마지막 오류: HTTP 500)",
    )
    .await
    .expect("disable");
    let page = c.get("/admin/webhooks").await;
    assert!(page.body.contains("disabled-reason") && page.body.contains("HTTP 500"));
    let r = c
        .post_form(
            &format!("/admin/webhooks/{id}/enabled"),
            &[("_csrf", &csrf), ("enabled", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = c.get("/admin/webhooks").await;
    assert!(!page.body.contains("disabled-reason"));
    let r = c
        .post_form(&format!("/admin/webhooks/{id}/delete"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        c.get("/admin/webhooks")
            .await
            .body
            .contains("등록된 웹훅이 없습니다")
    );
}
