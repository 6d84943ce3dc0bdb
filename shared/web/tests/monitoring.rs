//! 모니터링 through the router: the API snapshot lists registered phones
//! (who, software, address, edge, since) and calls in progress (parties,
//! direction, state), a call leaves it when it ends, and another tenant
//! sees none of it; the admin's page shows the same and subscribes to the
//! stream; users are refused the page.

mod common;

use std::net::SocketAddr;

use axum::http::StatusCode;
use common::{Client, api, world};
use domain::TenantId;
use domain::call::{CallRecord, Direction, Disposition, Party};

#[tokio::test]
async fn the_snapshot_shows_phones_and_live_calls_of_the_tenant_only() {
    let w = world().await;
    let kim = common::kim(&w).await;
    let t = TenantId::parse("tenant-a").expect("tenant");
    let now = store::now_epoch_seconds();
    common::register(
        &w,
        &kim,
        SocketAddr::from(([192, 0, 2, 7], 5062)),
        Some("baresip 3.10"),
        now - 60,
    )
    .await;
    let mut call = CallRecord::starting(
        t.clone(),
        Direction::Incoming,
        Party {
            number: "01012345678".into(),
            ..Party::default()
        },
        Party {
            number: "2001".into(),
            account: Some(kim.id.clone()),
            name: Some("김민수".into()),
        },
        store::now_epoch_ms(),
        "kr",
    );
    store::repo::calls::save_open(&*w.app.store, &call)
        .await
        .expect("open");

    let r = api(&w.app, "GET", "/v1/monitoring", Some(&w.key_a), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let snap = r.json();
    assert_eq!(snap["devices"][0]["name"], "김민수", "{snap}");
    assert_eq!(snap["devices"][0]["user_agent"], "baresip 3.10");
    assert_eq!(snap["devices"][0]["address"], "192.0.2.7:5062");
    assert_eq!(snap["devices"][0]["since"], now - 60);
    assert_eq!(snap["calls"][0]["state"], "ringing");
    assert_eq!(snap["calls"][0]["caller"]["number"], "01012345678");

    let other = api(&w.app, "GET", "/v1/monitoring", Some(&w.key_b), None, &[]).await;
    assert_eq!(other.json()["devices"].as_array().map(Vec::len), Some(0));
    assert_eq!(other.json()["calls"].as_array().map(Vec::len), Some(0));

    // The admin's page shows both, and follows the stream.
    let mut c = Client::new(&w.app);
    let (email, password) = w.admin_a.clone();
    c.login(&email, &password).await;
    let page = c.get("/admin/monitoring").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("baresip 3.10") && page.body.contains("01012345678"));
    assert!(page.body.contains("연결 중"));
    assert!(page.body.contains("/assets/monitoring.js"));
    let js = c.get("/assets/monitoring.js").await;
    assert!(js.body.contains("/admin/monitoring/stream"));

    // Ended: gone from the snapshot.
    call.answered_ms = Some(call.started_ms + 1000);
    call.ended_ms = Some(call.started_ms + 5000);
    call.disposition = Disposition::Answered;
    store::repo::calls::close(&*w.app.store, &call)
        .await
        .expect("close");
    let r = api(&w.app, "GET", "/v1/monitoring", Some(&w.key_a), None, &[]).await;
    assert_eq!(r.json()["calls"].as_array().map(Vec::len), Some(0));

    // A user is not an admin: no page.
    let mut u = Client::new(&w.app);
    u.login("kim@tenant-a.example", "user-password-1").await;
    let refused = u.get("/admin/monitoring").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}
