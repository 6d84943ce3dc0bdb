//! `/v1/api-keys`: the tenant's integrator keys (never the keys
//! themselves: a name, the first characters, scopes, when made and when
//! last used), and revoking one. Keys are made in the portal (API 키),
//! where the new key is shown once.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Serialize;
use store::repo::api_keys::ApiKeyRecord;

use super::Integrator;
use super::reply::Reply;
use crate::ApiError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ApiKey)]
pub struct KeyView {
    id: String,
    name: String,
    /// The key's first characters, to recognise it.
    prefix: String,
    scopes: Vec<String>,
    created_at: i64,
    /// Unix seconds, to the minute; absent when never used.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<i64>,
}

impl From<ApiKeyRecord> for KeyView {
    fn from(k: ApiKeyRecord) -> Self {
        Self {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: (k.last_used_at > 0).then_some(k.last_used_at),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ApiKeyList)]
pub struct KeyList {
    api_keys: Vec<KeyView>,
    next_token: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/api-keys",
    tag = "api_keys",
    params(super::page::PageQuery),
    responses((status = 200, description = "OK", body = KeyList)),
    security(("api_key" = ["api_keys:read"]))
)]
pub async fn list(
    State(app): State<app::App>,
    i: Integrator,
    Query(page): Query<super::page::PageQuery>,
) -> Result<Reply<KeyList>, ApiError> {
    let work = async {
        let keys = app::operator::api_keys(&app, &i.tenant).await?;
        let (keys, next_token) = page.cut(keys)?;
        Ok(KeyList {
            api_keys: keys.into_iter().map(KeyView::from).collect(),
            next_token,
        })
    };
    i.read("api_keys:read", "api_keys", work).await
}

#[utoipa::path(
    delete,
    path = "/v1/api-keys/{id}",
    tag = "api_keys",
    params(("id" = String, Path, description = "API key id")),
    responses((status = 204, description = "Done")),
    security(("api_key" = ["api_keys:write"]))
)]
pub async fn revoke(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    i.delete(
        "api_keys:write",
        app::operator::revoke_api_key(&app, &i.tenant, &id),
    )
    .await
}
