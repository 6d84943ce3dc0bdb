//! The demo company a newcomer starts with: seeding twice changes nothing
//! it made; it has unit prices, so 정산관리 shows real sums, and a few
//! finished calls in the history, two of them with a recording to play.

#[tokio::test]
async fn the_demo_has_unit_prices_and_seeding_again_keeps_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    let info = app::demo::seed(&app, dir.path()).await.expect("seed");
    let t = domain::TenantId::parse(&info.tenant_id).expect("tenant");
    let rates = store::repo::tenants::rates(&*app.store, &t)
        .await
        .expect("rates");
    assert_eq!(
        (rates.0.0, rates.1.0, rates.2.0),
        (99, 290, 600),
        "9.9원, 29원, 60원"
    );
    // An operator's own prices survive another start.
    store::repo::tenants::set_rates(
        &*app.store,
        &t,
        domain::sms::Won10(120),
        domain::sms::Won10(300),
        domain::sms::Won10(700),
    )
    .await
    .expect("set");
    let calls = || async {
        // The default period (this month) may not reach back to the
        // demo's days; ask for the last week.
        let today = domain::calendar::TimeZone::seoul()
            .to_local(store::now_epoch_seconds())
            .expect("today")
            .date;
        let search = app::calls::Search {
            from: Some(today.add_days(-7)),
            to: Some(today),
            ..Default::default()
        };
        app::calls::search(&app, &t, &app::calls::Viewer::Company, &search, 50, None)
            .await
            .expect("calls")
            .0
    };
    let first = calls().await;
    assert!(first.len() > 4, "examples and a history: {}", first.len());
    assert_eq!(first.iter().filter(|c| c.recordings > 0).count(), 2);
    // Statistics count the same calls as the history lists.
    let today = app::stats::today(&app, &t, store::now_epoch_ms())
        .await
        .expect("today");
    let week = app::stats::Question {
        period: app::stats::plan::Period {
            from: today.add_days(-7),
            to: today,
        },
        grain: domain::stats::Grain::Day,
        flow: None,
        dim: domain::stats::Dim::Tenant,
    };
    let report = app::stats::report(&app, &t, &week).await.expect("report");
    assert_eq!(report.subject.figures.calls, first.len() as i64);
    let again = app::demo::seed(&app, dir.path()).await.expect("seed again");
    assert_eq!(calls().await.len(), first.len(), "seeded once");
    assert_eq!(again.api_key, info.api_key, "the same demo");
    let rates = store::repo::tenants::rates(&*app.store, &t)
        .await
        .expect("rates");
    assert_eq!(rates.0.0, 120);
}
