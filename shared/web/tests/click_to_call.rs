//! Click-to-call through the router: `POST /v1/calls` leaves an order for
//! the edge holding the user's phone and answers with the call id; what
//! can be refused at once is, with a stable code, and orders nothing (an
//! unknown user, a bad target, no phone, a number the user may not call);
//! a retried request places one call. In the portal, numbers in the call
//! history and the org chart have a 통화 button that does the same for
//! the logged-in user and says so on the page.

mod common;

use std::net::SocketAddr;

use axum::http::StatusCode;
use common::{Client, api, world};
use domain::EdgeId;
use serde_json::json;
use store::repo::originations;

async fn orders(w: &common::World) -> Vec<originations::Origination> {
    originations::take(
        &*w.app.store,
        &EdgeId::parse("kr").expect("edge"),
        store::now_epoch_ms(),
    )
    .await
    .expect("orders")
}

#[tokio::test]
async fn click_to_call_orders_the_edge_or_says_why_not() {
    let w = world().await;
    let kim = common::kim(&w).await;
    let post = |body: serde_json::Value, key: Option<&'static str>| {
        let app = w.app.clone();
        let k = w.key_a.clone();
        async move {
            let extra: Vec<(&str, &str)> =
                key.map(|v| ("idempotency-key", v)).into_iter().collect();
            api(&app, "POST", "/v1/calls", Some(&k), Some(body), &extra).await
        }
    };
    for (body, status, code) in [
        (
            json!({"user": "9999", "target": "2002"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "user",
        ),
        (
            json!({"user": "2001", "target": "two"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "target",
        ),
        (
            json!({"user": "2001", "target": "2002"}),
            StatusCode::CONFLICT,
            "agent_unregistered",
        ),
        (
            json!({"user": "2001"}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
    ] {
        let r = post(body.clone(), None).await;
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (status, Some(code)),
            "{body}: {}",
            r.body
        );
    }
    common::register(
        &w,
        &kim,
        SocketAddr::from(([192, 0, 2, 9], 5062)),
        None,
        store::now_epoch_seconds(),
    )
    .await;
    // Not allowed to call outside: refused at once.
    let mut p = kim.permissions;
    p.outbound = false;
    store::repo::accounts::set_permissions(&*w.app.store, &kim.tenant, &kim.id, kim.role, p)
        .await
        .expect("permissions");
    let r = post(json!({"user": "2001", "target": "010-1234-5678"}), None).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_permitted")),
        "{}",
        r.body
    );
    assert!(orders(&w).await.is_empty(), "nothing ordered so far");

    let r = post(
        json!({"user": kim.id.as_str(), "target": "2002"}),
        Some("c-1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.json()["call_id"].as_str().expect("id").to_owned();
    let again = post(
        json!({"user": kim.id.as_str(), "target": "2002"}),
        Some("c-1"),
    )
    .await;
    assert_eq!(again.json()["call_id"], id.as_str(), "replayed");
    let placed = orders(&w).await;
    assert_eq!(placed.len(), 1, "one call: {placed:?}");
    assert_eq!(
        (
            placed[0].agent.as_str(),
            placed[0].dial.as_str(),
            placed[0].call_id.as_deref()
        ),
        (kim.id.as_str(), "2002", Some(id.as_str()))
    );
    let other = api(
        &w.app,
        "POST",
        "/v1/calls",
        Some(&w.key_b),
        Some(json!({"user": kim.id.as_str(), "target": "2002"})),
        &[],
    )
    .await;
    assert_eq!(
        other.json()["code"],
        "user",
        "another tenant's user: {}",
        other.body
    );
}

#[tokio::test]
async fn the_portal_call_button_rings_the_logged_in_users_phone() {
    let w = world().await;
    let kim = common::kim(&w).await;
    let mut c = Client::new(&w.app);
    c.login("kim@tenant-a.example", "user-password-1").await;
    let page = c.get("/calls").await;
    let csrf = page.csrf();
    // Without a phone: a Korean refusal, nothing ordered.
    let r = c
        .post_form("/dial", &[("_csrf", &csrf), ("number", "01012345678")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("전화기가 등록되어 있지 않아"), "{}", r.body);
    common::register(
        &w,
        &kim,
        SocketAddr::from(([192, 0, 2, 9], 5062)),
        None,
        store::now_epoch_seconds(),
    )
    .await;
    let r = c
        .send(
            axum::http::Request::post("/dial")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("referer", "http://127.0.0.1:8080/calls?direction=incoming")
                .body(axum::body::Body::from(format!(
                    "_csrf={csrf}&number=01012345678"
                )))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(to, "/calls?direction=incoming&dialing=01012345678");
    let back = c.get(&to).await;
    assert!(
        back.body.contains("전화기를 울리고 있습니다"),
        "{}",
        back.body
    );
    let placed = orders(&w).await;
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].agent, kim.id);
    // A forged form (no CSRF token) is refused.
    let r = c.post_form("/dial", &[("number", "01012345678")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
