//! What the app's integration tests share: a company to test in.

use domain::TenantId;

/// An app over an in-memory store in `dir` with one company, (주)애크미
/// (`acme`, 대표번호 02-555-1234).
pub async fn acme(dir: &std::path::Path) -> (app::App, TenantId) {
    let app = app::App::in_memory(dir, "http://127.0.0.1:9").expect("app");
    app::operator::create_tenant(
        &app,
        app::operator::NewTenant {
            id: Some("acme".into()),
            name: "(주)애크미".into(),
            representative_number: Some("02-555-1234".into()),
            region: None,
        },
    )
    .await
    .expect("tenant");
    (app, TenantId::parse("acme").expect("id"))
}
