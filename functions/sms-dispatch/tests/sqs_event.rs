//! A real SQS event fixture through the handler drains the outbox.

use aws_lambda_events::event::sqs::SqsEvent;

#[tokio::test]
async fn an_sqs_wakeup_sends_what_is_due() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = app::App::in_memory(dir.path(), "https://example.com").expect("app");
    app.sms_rate = 1_000_000;
    app::operator::create_tenant(
        &app,
        app::operator::NewTenant {
            id: Some("acme".into()),
            name: "Acme".into(),
            representative_number: Some("1588-1234".into()),
            region: None,
        },
    )
    .await
    .expect("tenant");
    let (admin, _) = app::operator::create_admin(
        &app,
        "acme",
        "관리자",
        "boss@acme.example",
        Some("admin-password-1".into()),
    )
    .await
    .expect("admin");
    let input = app::messaging::SendInput {
        recipients: vec!["010-1000-0001".into(), "010-1000-0002".into()],
        text: "안내".into(),
        ..Default::default()
    };
    let batch = app::messaging::accept(&app, &admin, true, input, None)
        .await
        .map_err(|_| "accept")
        .expect("accepted");

    let path = format!(
        "{}/fixtures/sqs-wakeup.json",
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
    );
    let event: SqsEvent =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("SQS event");
    let response = sms_dispatch::handle(&app, event).await;
    assert!(response.batch_item_failures.is_empty());
    let (b, _) = app::messaging::detail(&app, &admin, &batch.id)
        .await
        .expect("detail");
    assert_eq!(b.delivered, 2);
    assert_eq!(
        store::repo::sink::recent(&*app.store, "sms", 10)
            .await
            .expect("sink")
            .len(),
        2
    );
}
