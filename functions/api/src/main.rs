//! Lambda entry point: the shared router behind API Gateway (HTTP API).
//! Clients are built once per cold start, before the first event.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = app::App::for_lambda().await?;
    // Warm the connection (TLS handshake) during init, not on the first request.
    if let Err(e) = app.check_store().await {
        tracing::warn!(error = %e, "store not reachable at start-up");
    }
    lambda_http::run(web::router(app)).await
}
