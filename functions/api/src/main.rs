//! Lambda entry point: the shared router behind API Gateway (HTTP API).
//! Clients are built once per cold start, before the first event.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .without_time()
        .init();
    let cfg = app::Config::from_env()?;
    let public_url = cfg.public_url.clone().unwrap_or_default();
    let app = app::App::open(&cfg, &public_url).await?;
    // Warm the connection (TLS handshake) during init, not on the first request.
    if let Err(e) = app.check_store().await {
        tracing::warn!(error = %e, "store not reachable at start-up");
    }
    lambda_http::run(web::router(app)).await
}
