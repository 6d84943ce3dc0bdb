//! The HTTP surface: one axum [`Router`] served by the local all-in-one and,
//! unchanged, by the `api` Lambda behind API Gateway.
//!
//! Today it has the health check, the landing page and local signed blob
//! downloads; the portals and the `/v1` API join it in later issues.

pub mod api;
mod blobs_route;
mod docs;
pub mod error;
mod health;
mod landing;
pub mod portal;
mod uniform;

use axum::Router;
use axum::routing::get;

pub use error::ApiError;

/// Builds the router over the app's ports.
pub fn router(app: app::App) -> Router {
    Router::new()
        .merge(portal::routes())
        .merge(api::routes())
        .route("/", get(landing::page))
        .route("/health", get(health::check))
        .route("/docs", get(docs::page))
        .route("/docs/init.js", get(docs::init))
        .route("/docs/swagger-ui-bundle.js", get(docs::bundle))
        .route("/docs/swagger-ui.css", get(docs::css))
        .route("/blobs/{*key}", get(blobs_route::download))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(uniform::errors))
        .with_state(app)
}
