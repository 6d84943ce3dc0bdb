//! `/v1/company`: the company an API key belongs to, and its time zone
//! (the zone `/v1/calls`, `/v1/messages` and `/v1/stats` read days and
//! times in). Company settings are account administration: the
//! `accounts:read` / `accounts:write` scopes.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::Integrator;
use super::accounts::write_whole;
use super::reply::Reply;
use crate::ApiError;

/// The company as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Company)]
pub struct CompanyView {
    pub id: domain::TenantId,
    pub name: String,
    /// 대표번호: the sender of the company's SMS.
    pub representative_number: Option<domain::PhoneNumber>,
    /// The IANA zone days and times are read in.
    pub time_zone: domain::calendar::TimeZone,
}

impl From<domain::Tenant> for CompanyView {
    fn from(t: domain::Tenant) -> Self {
        Self {
            id: t.id,
            name: t.name,
            representative_number: t.representative_number,
            time_zone: t.time_zone,
        }
    }
}

/// What `PATCH /v1/company` changes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyChange {
    /// Any IANA time zone name (Asia/Seoul, America/Los_Angeles, ...).
    pub time_zone: String,
}

#[utoipa::path(
    get,
    path = "/v1/company",
    tag = "company",
    responses((status = 200, description = "OK", body = CompanyView)),
    security(("api_key" = ["accounts:read"]))
)]
pub async fn get_one(
    State(app): State<app::App>,
    i: Integrator,
) -> Result<Reply<CompanyView>, ApiError> {
    let t = i.tenant.clone();
    i.read("accounts:read", "company", async {
        app::admin::tenant(&app, &t).await.map(CompanyView::from)
    })
    .await
}

#[utoipa::path(
    patch,
    path = "/v1/company",
    tag = "company",
    params(super::IdempotencyKey),
    request_body = CompanyChange,
    responses((status = 200, description = "OK (`invalid_time_zone` when the name is not an IANA zone)", body = CompanyView)),
    security(("api_key" = ["accounts:write"]))
)]
pub async fn change(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (app, tenant) = (&app, &i.tenant);
    write_whole(
        app,
        &i,
        &headers,
        "accounts:write",
        "PATCH /v1/company",
        &body,
        (StatusCode::OK, "company"),
        |c: CompanyChange| async move {
            app::admin::set_time_zone(app, tenant, &c.time_zone)
                .await
                .map(CompanyView::from)
        },
    )
    .await
}
