//! Webhooks end to end inside the app: events published through the
//! in-process port become deliveries, which are POSTed, signed, to a real
//! local HTTP receiver that fails on purpose. Transient failures are tried
//! again with backoff until delivered; an endpoint that fails for 24 hours
//! is disabled with a reason; redelivered events are delivered once;
//! filters choose the types; bad endpoints are refused and change nothing.

mod common;

use std::sync::{Arc, Mutex};

use app::webhooks::{self, Form};
use app::{FailKind, messaging::verify_signature};
use axum::http::{HeaderMap, StatusCode};
use domain::TenantId;
use domain::call::{CallRecord, Direction, Disposition, Party};
use domain::event::{Event, Tracker};

#[derive(Debug, Default)]
struct Received {
    /// (event id header, signature header, body)
    hits: Vec<(String, String, String)>,
    /// Answer with this status this many more times, then 200.
    fail: Vec<u16>,
    always: Option<u16>,
}

type Shared = Arc<Mutex<Received>>;

/// A receiver on 127.0.0.1 that answers as told; its URL.
async fn receiver(state: Shared) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let route = axum::routing::post(
        |axum::extract::State(s): axum::extract::State<Shared>,
         headers: HeaderMap,
         body: String| async move {
            let mut r = s.lock().expect("lock");
            let h = |n: &str| {
                headers
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            r.hits
                .push((h("x-office-event-id"), h("x-office-signature"), body));
            let code = match r.always {
                Some(c) => c,
                None if r.fail.is_empty() => 200,
                None => r.fail.remove(0),
            };
            StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
        },
    );
    let router = axum::Router::new().route("/hook", route).with_state(state);
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/hook")
}

struct W {
    app: app::App,
    t: TenantId,
    _dir: tempfile::TempDir,
}

async fn world() -> W {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, t) = common::acme(dir.path()).await;
    W { app, t, _dir: dir }
}

/// A call that rang, was answered and ended: three events.
fn call(t: &TenantId) -> Vec<Event> {
    let now = store::now_epoch_ms();
    let caller = Party {
        number: "01012345678".into(),
        ..Party::default()
    };
    let mut r = CallRecord::starting(
        t.clone(),
        Direction::Incoming,
        caller,
        Party::default(),
        now,
        "e1",
    );
    let mut tracker = Tracker::default();
    let mut out = tracker.observe(&r, false, now);
    r.answered_ms = Some(now + 1);
    r.disposition = Disposition::Answered;
    out.extend(tracker.observe(&r, false, now + 1));
    r.ended_ms = Some(now + 2);
    r.disposition = Disposition::Answered;
    out.extend(tracker.observe(&r, true, now + 2));
    out
}

fn form(url: &str, events: &[&str]) -> Form {
    Form {
        url: Some(url.into()),
        events: Some(events.iter().map(|s| (*s).to_owned()).collect()),
        ..Form::default()
    }
}

#[tokio::test]
async fn a_delivery_that_fails_twice_is_retried_with_backoff_signed_and_logged() {
    let w = world().await;
    let state = Shared::default();
    state.lock().expect("lock").fail = vec![500, 503];
    let url = receiver(state.clone()).await;
    let ep = webhooks::create(&w.app, &w.t, &form(&url, &["call.ended"]))
        .await
        .expect("create");
    let events = call(&w.t);
    w.app.events.publish(&events).await.expect("publish");
    // Published again (the outbox's at-least-once): still one delivery.
    w.app.events.publish(&events).await.expect("publish again");

    let now = store::now_epoch_ms();
    let s1 = webhooks::run_once(&w.app, now, 100).await.expect("run");
    assert_eq!((s1.delivered, s1.retried), (0, 1));
    let s_early = webhooks::run_once(&w.app, now + 5_000, 100)
        .await
        .expect("run");
    assert_eq!(s_early, webhooks::Stats::default(), "not due before 10 s");
    let s2 = webhooks::run_once(&w.app, now + 10_000, 100)
        .await
        .expect("run");
    assert_eq!(s2.retried, 1);
    let s3 = webhooks::run_once(&w.app, now + 30_000, 100)
        .await
        .expect("run");
    assert_eq!(s3.delivered, 1);

    let hits = state.lock().expect("lock").hits.clone();
    assert_eq!(hits.len(), 3, "only call.ended, three attempts");
    let (id, signature, body) = &hits[2];
    assert_eq!(id, &events[2].id);
    assert!(verify_signature(
        ep.secret.as_bytes(),
        signature,
        body.as_bytes(),
        store::now_epoch_seconds()
    ));
    assert!(!verify_signature(
        b"another secret",
        signature,
        body.as_bytes(),
        store::now_epoch_seconds()
    ));
    let sent: Event = serde_json::from_str(body).expect("the event's JSON");
    assert_eq!(sent, events[2]);

    let (log, _) = webhooks::deliveries(&w.app, &w.t, &ep.id, 10, None)
        .await
        .expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, "delivered");
    assert_eq!((log[0].attempts, log[0].response_code), (3, Some(200)));
    assert!(log[0].latency_ms.is_some());
}

#[tokio::test]
async fn an_endpoint_failing_for_a_day_is_disabled_and_can_be_re_enabled_and_resent() {
    let w = world().await;
    let state = Shared::default();
    state.lock().expect("lock").always = Some(500);
    let url = receiver(state.clone()).await;
    let ep = webhooks::create(&w.app, &w.t, &form(&url, &["call.answered"]))
        .await
        .expect("create");
    w.app.events.publish(&call(&w.t)).await.expect("publish");
    let mut now = store::now_epoch_ms();
    let mut attempts = 0;
    while attempts < 100 {
        let s = webhooks::run_once(&w.app, now, 100).await.expect("run");
        attempts += s.retried + s.failed;
        if s.failed > 0 {
            break;
        }
        now += 3_600_000;
    }
    assert!(attempts < 100, "gave up within the day");
    let after = webhooks::get(&w.app, &w.t, &ep.id).await.expect("get");
    assert!(!after.enabled);
    assert!(
        after
            .disabled_reason
            .as_deref()
            .is_some_and(|r| r.contains("24시간") && r.contains("HTTP 500")),
        "{after:?}"
    );
    let (log, _) = webhooks::deliveries(&w.app, &w.t, &ep.id, 10, None)
        .await
        .expect("log");
    assert_eq!(log[0].status, "failed");

    // While disabled: new events make no deliveries, and resend is refused.
    w.app.events.publish(&call(&w.t)).await.expect("publish");
    let (log2, _) = webhooks::deliveries(&w.app, &w.t, &ep.id, 10, None)
        .await
        .expect("log");
    assert_eq!(log2.len(), 1);
    let refused = webhooks::resend(&w.app, &w.t, &ep.id, &log[0].id).await;
    assert_eq!(refused.map_err(|f| f.kind), Err(FailKind::Conflict));

    // Fixed and re-enabled: resend delivers.
    state.lock().expect("lock").always = None;
    let on = Form {
        enabled: Some(true),
        ..Form::default()
    };
    let back = webhooks::change(&w.app, &w.t, &ep.id, &on)
        .await
        .expect("enable");
    assert!(back.enabled && back.disabled_reason.is_none());
    webhooks::resend(&w.app, &w.t, &ep.id, &log[0].id)
        .await
        .expect("resend");
    let s = webhooks::run_once(&w.app, store::now_epoch_ms(), 100)
        .await
        .expect("run");
    assert_eq!(s.delivered, 1);
}

#[tokio::test]
async fn bad_endpoints_are_refused_and_change_nothing() {
    let w = world().await;
    for (f, code) in [
        (form("http://crm.example.com/hook", &[]), "webhook_url"),
        (form("https://10.1.2.3/hook", &[]), "webhook_url"),
        (form("not a url", &[]), "webhook_url"),
        (
            form("https://crm.example.com/hook", &["call.rang"]),
            "event_type",
        ),
        (Form::default(), "webhook_url"),
    ] {
        let e = webhooks::create(&w.app, &w.t, &f)
            .await
            .expect_err("refused");
        assert_eq!((e.kind, e.code), (FailKind::BadInput, code), "{f:?}");
    }
    assert!(webhooks::list(&w.app, &w.t).await.expect("list").is_empty());
    for _ in 0..domain::webhook::MAX_ENDPOINTS {
        webhooks::create(
            &w.app,
            &w.t,
            &form("https://crm.example.com/h", &["call.*"]),
        )
        .await
        .expect("create");
    }
    let e = webhooks::create(&w.app, &w.t, &form("https://crm.example.com/h", &[]))
        .await
        .expect_err("limit");
    assert_eq!(e.code, "webhook_limit");
    let other = TenantId::parse("other").expect("id");
    let first = &webhooks::list(&w.app, &w.t).await.expect("list")[0];
    let hidden = webhooks::get(&w.app, &other, &first.id).await;
    assert_eq!(hidden.map_err(|f| f.kind), Err(FailKind::NotFound));
}

#[test]
fn the_signature_matches_the_documented_example() {
    // docs/integrations.md: "Verifying a delivery".
    let header = app::messaging::sign(b"whsec_test", br#"{"id":"x.1"}"#, 1_700_000_000);
    assert_eq!(
        header,
        "t=1700000000,v1=1856715f32210fff5dceb5633749d7b3bc5c9fd8759ea44896529e9f54859bab"
    );
    assert!(verify_signature(
        b"whsec_test",
        &header,
        br#"{"id":"x.1"}"#,
        1_700_000_100
    ));
    assert!(
        !verify_signature(b"whsec_test", &header, br#"{"id":"x.1"}"#, 1_700_000_301),
        "outside the replay window"
    );
}
