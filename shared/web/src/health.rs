//! `GET /health`: 200 when the store answers, 503 when it does not.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::ApiError;

pub(crate) async fn check(State(app): State<app::App>) -> Result<Json<Value>, ApiError> {
    app.check_store()
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    Ok(Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "store": "ok",
    })))
}
