//! A real SQS event fixture through the handler: call ends (raw and in an
//! SNS envelope) are counted, another event type is taken and ignored, a
//! message that is not an event is reported failed on its own; the same
//! batch again counts nothing twice; the report shows the counted calls.

use domain::TenantId;

fn fixture(name: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    std::fs::read_to_string(format!("{dir}/fixtures/{name}")).expect("fixture")
}

#[tokio::test]
async fn call_ends_from_sqs_are_counted_once_and_a_stray_message_is_reported() {
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
    let aggregator = app::stats::Aggregator::new(app.store.clone());

    let input: stats::Input = serde_json::from_str(&fixture("sqs-events.json")).expect("SQS");
    assert_eq!(input.records.len(), 4);
    let (response, tally) = stats::handle_counted(&aggregator, input).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, ["9e1f5a2b-0004-4c1d-8e00-000000000004"]);
    assert_eq!(
        tally,
        stats::Tally {
            counted: 2,
            already: 0,
            ignored: 1,
            failed: 1
        }
    );

    // SQS brings the batch again: nothing counts twice.
    let again: stats::Input = serde_json::from_str(&fixture("sqs-events.json")).expect("SQS");
    let (_, tally) = stats::handle_counted(&aggregator, again).await;
    assert_eq!((tally.counted, tally.already), (0, 2));

    let day = domain::calendar::Date::new(2026, 12, 3).expect("date");
    let q = app::stats::Question {
        period: app::stats::plan::Period { from: day, to: day },
        grain: domain::stats::Grain::Day,
        flow: None,
        dim: domain::stats::Dim::Tenant,
    };
    let r = app::stats::report(&app, &t, &q).await.expect("report");
    let f = r.subject.figures;
    assert_eq!((f.calls, f.answered, f.abandoned), (2, 1, 1), "{f:?}");
    assert_eq!((f.talk_ms, f.queued, f.queue_avg_ms), (47_000, 1, 28_000));
    assert_eq!(r.lines.len(), 2);
    assert_eq!(r.groups.len(), 1);
}
