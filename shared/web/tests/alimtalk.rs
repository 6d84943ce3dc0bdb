//! Kakao Alimtalk against a local HTTP server that behaves like the
//! provider: delivered as Alimtalk when possible, otherwise the same text
//! goes out by SMS/LMS automatically, and the history shows both.

mod common;

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::{api, world};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Provider {
    calls: Arc<Mutex<Vec<Value>>>,
    down: Arc<Mutex<bool>>,
}

async fn send(
    State(p): State<Provider>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    p.calls.lock().expect("lock").push(body.clone());
    if *p.down.lock().expect("lock") {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer provider-key") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": "UNAUTHORIZED"})),
        )
            .into_response();
    }
    if body["template_code"] == "BAD" {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": "TEMPLATE_REJECTED", "message": "not approved"})),
        )
            .into_response();
    }
    if body["to"] == "01080000002" {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": "NOT_KAKAO_USER"})),
        )
            .into_response();
    }
    Json(json!({"message_id": format!("kakao-{}", body["idempotency_key"].as_str().unwrap_or_default())})).into_response()
}

async fn provider() -> (Provider, String) {
    let p = Provider::default();
    let app = axum::Router::new()
        .route("/v2/alimtalk/send", axum::routing::post(send))
        .with_state(p.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (p, url)
}

fn now_ms() -> i64 {
    store::now_epoch_seconds() * 1000
}

#[tokio::test]
async fn alimtalk_falls_back_to_sms_for_those_it_cannot_reach() {
    let w = world().await;
    let (p, url) = provider().await;
    let t = domain::TenantId::parse("tenant-a").expect("id");
    store::repo::tenants::set_kakao(&*w.app.store, &t, &url, "sender-1", "provider-key")
        .await
        .expect("kakao");
    store::repo::tenants::put_template(
        &*w.app.store,
        &t,
        "ORDER",
        "#{name}님, 주문 #{no}이(가) 접수되었습니다.",
    )
    .await
    .expect("template");
    store::repo::tenants::put_template(&*w.app.store, &t, "BAD", "#{name}님 안녕하세요")
        .await
        .expect("template");

    let missing = api(
        &w.app,
        "POST",
        "/v1/alimtalk",
        Some(&w.key_a),
        Some(
            json!({"template_code": "ORDER", "to": ["010-8000-0001"], "variables": {"name": "김"}}),
        ),
        &[],
    )
    .await;
    assert_eq!(missing.json()["code"], "invalid_variables");
    let unknown = api(
        &w.app,
        "POST",
        "/v1/alimtalk",
        Some(&w.key_a),
        Some(json!({"template_code": "NOPE", "to": ["010-8000-0001"]})),
        &[],
    )
    .await;
    assert_eq!(unknown.json()["code"], "unknown_template");

    let r = api(
        &w.app,
        "POST",
        "/v1/alimtalk",
        Some(&w.key_a),
        Some(json!({"template_code": "ORDER", "to": ["010-8000-0001", "010-8000-0002"], "variables": {"name": "김민수", "no": "A-1"}})),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    // A second later: a fallback created during the drain may fall in the next second.
    app::dispatch::drain(&w.app, now_ms() + 1_000)
        .await
        .expect("drain");
    let status = api(
        &w.app,
        "GET",
        &format!("/v1/messages/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await
    .json();
    assert_eq!(status["kind"], "ALIMTALK");
    assert_eq!(
        (status["delivered"].as_i64(), status["failed"].as_i64()),
        (Some(1), Some(1))
    );
    let failed = status["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["status"] == "failed")
        .expect("one failed")
        .clone();
    assert!(
        failed["error"]
            .as_str()
            .expect("error")
            .contains("문자로 대체발송")
    );
    // The fallback went out as SMS with the same text, to that recipient only.
    let sms = store::repo::sink::recent(&*w.app.store, "sms", 10)
        .await
        .expect("sink");
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].to, "010-8000-0002");
    assert_eq!(sms[0].body, "김민수님, 주문 A-1이(가) 접수되었습니다.");
    // The history shows both attempts, the SMS linked to the Alimtalk.
    let today = domain::calendar::TimeZone::seoul()
        .to_local(store::now_epoch_seconds())
        .expect("now")
        .date;
    let h = api(
        &w.app,
        "GET",
        &format!("/v1/messages?from={today}&to={today}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await
    .json();
    let kinds: Vec<String> = h["messages"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        kinds.contains(&"ALIMTALK".to_owned()) && kinds.contains(&"SMS".to_owned()),
        "{kinds:?}"
    );
    let sms_batch = h["messages"]
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["kind"] == "SMS")
        .expect("sms")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let fb = api(
        &w.app,
        "GET",
        &format!("/v1/messages/{sms_batch}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await
    .json();
    assert_eq!(fb["fallback_of"], id.as_str());
    // Running the dispatcher again sends nothing more.
    app::dispatch::drain(&w.app, now_ms() + 60_000)
        .await
        .expect("drain");
    assert_eq!(
        store::repo::sink::recent(&*w.app.store, "sms", 10)
            .await
            .expect("sink")
            .len(),
        1
    );
    assert_eq!(p.calls.lock().expect("lock").len(), 2);
}

#[tokio::test]
async fn a_rejected_template_or_a_provider_that_stays_down_falls_back_too() {
    let w = world().await;
    let (p, url) = provider().await;
    let t = domain::TenantId::parse("tenant-a").expect("id");
    store::repo::tenants::set_kakao(&*w.app.store, &t, &url, "sender-1", "provider-key")
        .await
        .expect("kakao");
    store::repo::tenants::put_template(&*w.app.store, &t, "BAD", "#{name}님 안녕하세요")
        .await
        .expect("template");
    store::repo::tenants::put_template(&*w.app.store, &t, "OK", "안내: #{text}")
        .await
        .expect("template");

    api(
        &w.app,
        "POST",
        "/v1/alimtalk",
        Some(&w.key_a),
        Some(json!({"template_code": "BAD", "to": ["010-8100-0001"], "variables": {"name": "이"}})),
        &[],
    )
    .await;
    // A second later: a fallback created during the drain may fall in the next second.
    app::dispatch::drain(&w.app, now_ms() + 1_000)
        .await
        .expect("drain");
    assert_eq!(
        store::repo::sink::recent(&*w.app.store, "sms", 10)
            .await
            .expect("sink")
            .len(),
        1,
        "template rejected: SMS instead"
    );

    *p.down.lock().expect("lock") = true;
    api(
        &w.app,
        "POST",
        "/v1/alimtalk",
        Some(&w.key_a),
        Some(
            json!({"template_code": "OK", "to": ["010-8100-0002"], "variables": {"text": "점검"}}),
        ),
        &[],
    )
    .await;
    let t0 = now_ms();
    for step in 0..6 {
        app::dispatch::drain(&w.app, t0 + step * 60_000)
            .await
            .expect("drain");
    }
    let sms = store::repo::sink::recent(&*w.app.store, "sms", 10)
        .await
        .expect("sink");
    assert_eq!(
        sms.len(),
        2,
        "after retries the provider outage falls back to SMS"
    );
    assert_eq!(sms[0].to, "010-8100-0002");
    assert_eq!(sms[0].body, "안내: 점검");
}
