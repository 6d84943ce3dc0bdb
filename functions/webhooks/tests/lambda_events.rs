//! Real SQS and EventBridge event fixtures through the handler: events
//! (raw and in an SNS envelope) become signed deliveries to a local
//! receiver, a message that is not an event is reported failed (to reach
//! the dead-letter queue), a redelivered batch delivers nothing twice, and
//! the one-minute schedule parses and sends what is due.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use domain::TenantId;

fn fixture(name: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    std::fs::read_to_string(format!("{dir}/fixtures/{name}")).expect("fixture")
}

async fn receiver(bodies: Arc<Mutex<Vec<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let route = axum::routing::post(
        |axum::extract::State(b): axum::extract::State<Arc<Mutex<Vec<String>>>>, body: String| async move {
            b.lock().expect("lock").push(body);
            StatusCode::OK
        },
    );
    let router = axum::Router::new().route("/h", route).with_state(bodies);
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}/h")
}

#[tokio::test]
async fn sqs_events_become_deliveries_once_and_a_stray_message_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app::App::in_memory(dir.path(), "https://example.com").expect("app");
    app::operator::create_tenant(
        &app,
        app::operator::NewTenant {
            id: Some("acme".into()),
            name: "Acme".into(),
            representative_number: None,
            region: None,
        },
    )
    .await
    .expect("tenant");
    let t = TenantId::parse("acme").expect("tenant");
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let url = receiver(bodies.clone()).await;
    app::webhooks::create(
        &app,
        &t,
        &app::webhooks::Form {
            url: Some(url),
            events: Some(vec!["call.*".into()]),
            ..Default::default()
        },
    )
    .await
    .expect("endpoint");

    let input: webhooks::Input =
        serde_json::from_str(&fixture("sqs-events.json")).expect("SQS event");
    assert_eq!(input.records.len(), 3);
    let response = webhooks::handle(&app, input).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, ["7d3c9a1e-0003-4b8e-9f00-000000000003"]);
    let got = bodies.lock().expect("lock").clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().any(|b| b.contains("\"call.ended\"")));
    assert!(
        got.iter().any(|b| b.contains("\"call.ringing\"")),
        "from the SNS envelope"
    );

    // SQS delivers the same batch again: nothing is sent twice.
    let again: webhooks::Input =
        serde_json::from_str(&fixture("sqs-events.json")).expect("SQS event");
    webhooks::handle(&app, again).await;
    assert_eq!(bodies.lock().expect("lock").len(), 2);

    // The schedule's event has no records; it parses and sends what is due.
    let tick: webhooks::Input = serde_json::from_str(&fixture("schedule.json")).expect("schedule");
    assert!(tick.records.is_empty());
    let r = webhooks::handle(&app, tick).await;
    assert!(r.batch_item_failures.is_empty());
}
