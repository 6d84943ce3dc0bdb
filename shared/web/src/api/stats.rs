//! `/v1/stats` (T2 for integrators): the company's call statistics for a
//! period in its time zone, by hour, day or month, for the company or one
//! user, extension, number or hunt group, with breakdowns per user,
//! number, group and ARS option. JSON, or XML on `Accept: application/xml`.

use axum::extract::{Query, State};

use super::Integrator;
use super::reply::Reply;
use crate::ApiError;
use app::stats::{Report, StatsForm};

#[utoipa::path(
    get,
    path = "/v1/stats",
    tag = "stats",
    params(StatsForm),
    responses((status = 200, description = "OK", body = Report)),
    security(("api_key" = ["stats:read"]))
)]
pub async fn report(
    State(app): State<app::App>,
    i: Integrator,
    Query(f): Query<StatsForm>,
) -> Result<Reply<Report>, ApiError> {
    let t = i.tenant.clone();
    i.read(
        "stats:read",
        "stats",
        app::stats::ask(&app, &t, &f, store::now_epoch_ms()),
    )
    .await
}
