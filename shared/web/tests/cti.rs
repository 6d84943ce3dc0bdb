//! Screen pop through the router: an integrator mints a user's stream
//! token; the stream (server-sent events) carries that user's call events
//! as the edge's outbox stages them, with their log positions as ids, and
//! nobody else's; a stream reopened with `Last-Event-ID` resumes after it;
//! missing or bad tokens and bad mint requests are refused with a code.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{api, user, world};
use domain::call::{CallRecord, Direction, Party};
use domain::event::Tracker;
use domain::{AccountStatus, TenantId};
use http_body_util::BodyExt as _;
use serde_json::json;
use tower::ServiceExt as _;

async fn open(app: &app::App, path: &str, last: Option<&str>) -> (StatusCode, Body) {
    let mut b = Request::builder().uri(path);
    if let Some(l) = last {
        b = b.header("last-event-id", l);
    }
    let r = web::router(app.clone())
        .oneshot(b.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    (r.status(), r.into_body())
}

/// Reads the stream until `n` events came (or 5 s passed): (id, type, data).
async fn read(body: &mut Body, n: usize) -> Vec<(String, String, serde_json::Value)> {
    let mut text = String::new();
    let mut out = Vec::new();
    let end = tokio::time::Instant::now() + Duration::from_secs(5);
    while out.len() < n {
        let Ok(Some(Ok(frame))) = tokio::time::timeout_at(end, body.frame()).await else {
            break;
        };
        if let Ok(bytes) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
        while let Some(i) = text.find("\n\n") {
            let block: String = text.drain(..i + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(str::to_owned)
            };
            if let (Some(id), Some(ev), Some(data)) =
                (field("id: "), field("event: "), field("data: "))
            {
                out.push((id, ev, serde_json::from_str(&data).expect("json")));
            }
        }
    }
    out
}

fn ringing(t: &TenantId, callee: &domain::Account) -> Vec<domain::event::Event> {
    let now = store::now_epoch_ms();
    let r = CallRecord::starting(
        t.clone(),
        Direction::Incoming,
        Party {
            number: "01055556666".into(),
            ..Party::default()
        },
        Party {
            number: callee.extension.map(|e| e.to_string()).unwrap_or_default(),
            account: Some(callee.id.clone()),
            name: Some(callee.name.clone()),
        },
        now,
        "e1",
    );
    Tracker::default().observe(&r, false, now)
}

#[tokio::test]
async fn a_users_stream_carries_their_calls_and_resumes_after_the_last_id() {
    let w = world().await;
    let kim = common::kim(&w).await;
    let lee = user(
        &w,
        "tenant-a",
        "이영희",
        "lee@tenant-a.example",
        Some("2002"),
        AccountStatus::Active,
    )
    .await;
    let t = TenantId::parse("tenant-a").expect("tenant");
    let r = api(
        &w.app,
        "POST",
        "/v1/cti/tokens",
        Some(&w.key_a),
        Some(json!({"account": kim.id.as_str(), "ttl_secs": 3600})),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_owned();

    let (status, mut body) = open(&w.app, &format!("/v1/cti/stream?token={token}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let outbox = app::events::Outbox::start(w.app.store.clone(), w.app.events.clone(), "edge-t");
    outbox.emit(ringing(&t, &lee));
    outbox.emit(ringing(&t, &kim));
    let got = read(&mut body, 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (first_id, kind, data) = &got[0];
    assert_eq!(kind, "call.ringing");
    assert_eq!(data["data"]["callee"]["name"], "김민수", "only Kim's call");
    assert_eq!(data["data"]["caller"]["number"], "01055556666");

    // Dropped; meanwhile another call for Kim. Reopened after the first id.
    drop(body);
    outbox.emit(ringing(&t, &kim));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, mut again) = open(
        &w.app,
        &format!("/v1/cti/stream?token={token}"),
        Some(first_id),
    )
    .await;
    let resumed = read(&mut again, 1).await;
    assert_eq!(resumed.len(), 1, "the call made while away");
    assert!(resumed[0].0 > *first_id);
    assert_ne!(resumed[0].2["id"], data["id"]);
}

#[tokio::test]
async fn streams_and_tokens_refuse_what_is_wrong() {
    let w = world().await;
    let kim = common::kim(&w).await;
    for path in [
        "/v1/cti/stream",
        "/v1/cti/stream?token=ctk_nope",
        "/v1/cti/stream?token=x",
    ] {
        let (status, _) = open(&w.app, path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    for (body, code) in [
        (json!({"account": "nobody"}), "account"),
        (
            json!({"account": kim.id.as_str(), "ttl_secs": 10}),
            "invalid_ttl",
        ),
    ] {
        let r = api(
            &w.app,
            "POST",
            "/v1/cti/tokens",
            Some(&w.key_a),
            Some(body),
            &[],
        )
        .await;
        assert_eq!(r.json()["code"], code, "{}", r.body);
    }
    // Another tenant's key cannot mint for Kim.
    let r = api(
        &w.app,
        "POST",
        "/v1/cti/tokens",
        Some(&w.key_b),
        Some(json!({"account": kim.id.as_str()})),
        &[],
    )
    .await;
    assert_eq!(r.json()["code"], "account", "{}", r.body);
    let r = api(&w.app, "GET", "/cti.js", None, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("OfficeCti"));
}
