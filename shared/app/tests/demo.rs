//! The demo company a newcomer starts with: seeding twice changes nothing
//! it made, and it has unit prices, so 정산관리 shows real sums.

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
    let again = app::demo::seed(&app, dir.path()).await.expect("seed again");
    assert_eq!(again.api_key, info.api_key, "the same demo");
    let rates = store::repo::tenants::rates(&*app.store, &t)
        .await
        .expect("rates");
    assert_eq!(rates.0.0, 120);
}
