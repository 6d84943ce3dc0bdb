//! `/v1/accounts` and `/v1/numbers`: SIP account management for integrators (T10).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{Account, AccountStatus, Permissions, Role};
use serde::{Deserialize, Serialize};

use super::reply::{Reply, render, respond};
use super::{Format, Integrator};
use crate::ApiError;

/// An account as the API shows it (never a password or digest).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Account)]
pub struct AccountView {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub role: &'static str,
    pub plan: String,
    pub number: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub extension: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub sip_username: Option<String>,
    pub permissions: Permissions,
    pub created_at: i64,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            status: a.status.as_str(),
            role: a.role.as_str(),
            plan: a.plan.clone(),
            number: a.number.as_ref().map(|n| n.to_string()),
            mobile: a.mobile.as_ref().map(|n| n.to_string()),
            email: a.email.as_ref().map(ToString::to_string),
            extension: a.extension.map(|e| e.to_string()),
            department: a.department.clone(),
            position: a.position.clone(),
            sip_username: a.sip_username.clone(),
            permissions: a.permissions,
            created_at: a.created_at,
        }
    }
}

fn fail(f: app::Fail, format: Format) -> ApiError {
    ApiError::from(f).in_format(format)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountList {
    pub accounts: Vec<AccountView>,
    pub next_token: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/accounts",
    tag = "accounts",
    params(super::page::PageQuery),
    responses((status = 200, description = "OK", body = AccountList)),
    security(("api_key" = ["accounts:read"]))
)]
pub async fn list(
    State(app): State<app::App>,
    i: Integrator,
    Query(q): Query<super::page::PageQuery>,
) -> Result<Reply<AccountList>, ApiError> {
    i.require("accounts:read")?;
    let limit = q.limit().map_err(|f| fail(f, i.format))?;
    let (accounts, next) = store::repo::accounts::page(
        &*app.store,
        &i.tenant,
        limit,
        q.next_token.map(store::Cursor),
    )
    .await
    .map_err(|e| fail(e.into(), i.format))?;
    Ok(Reply::ok(
        i.format,
        "accounts",
        AccountList {
            accounts: accounts.iter().map(AccountView::from).collect(),
            next_token: next.map(|c| c.0),
        },
    ))
}

#[utoipa::path(
    get,
    path = "/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "account id")),
    responses((status = 200, description = "OK", body = AccountView)),
    security(("api_key" = ["accounts:read"]))
)]
pub async fn get_one(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<AccountView>, ApiError> {
    i.require("accounts:read")?;
    let a = app::admin::account(&app, &i.tenant, &id)
        .await
        .map_err(|f| fail(f, i.format))?;
    Ok(Reply::ok(i.format, "account", AccountView::from(&a)))
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = AccountCreate)]
pub struct CreateBody {
    name: String,
    mobile: Option<String>,
    email: Option<String>,
    extension: Option<String>,
    status: Option<String>,
    role: Option<String>,
    permissions: Option<Permissions>,
    department: Option<String>,
    position: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AccountCreated)]
pub struct CreatedView {
    #[serde(flatten)]
    account: AccountView,
    /// Shown once: only digests are stored.
    sip_password: String,
    sip_realm: String,
}

pub(super) fn bad_json(format: Format, e: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_body",
        format!("request body is not valid JSON for this operation: {e}"),
    )
    .in_format(format)
}

/// A write of a whole resource from a JSON body: the scope is checked, the
/// body read as `B`, and `work` runs once per idempotency key; its result
/// is the answer (element `root`, status `status`). `what` is the method
/// and path, for the key's fingerprint.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_whole<B, T, F, Fut>(
    app: &app::App,
    i: &Integrator,
    headers: &HeaderMap,
    scope: &str,
    what: &str,
    body: &[u8],
    (status, root): (StatusCode, &'static str),
    work: F,
) -> Response
where
    B: serde::de::DeserializeOwned,
    T: Serialize,
    F: FnOnce(B) -> Fut,
    Fut: std::future::Future<Output = Result<T, app::Fail>>,
{
    if let Err(e) = i.require(scope) {
        return e.into_response();
    }
    let parsed: B = match serde_json::from_slice(body) {
        Ok(b) => b,
        Err(e) => return bad_json(i.format, &e).into_response(),
    };
    let fingerprint = format!("{what} {}", String::from_utf8_lossy(body));
    idempotent(app, i, headers, &fingerprint, || async {
        let v = work(parsed).await.map_err(|f| fail(f, i.format))?;
        Ok((status, root, serde_json::to_value(v).unwrap_or_default()))
    })
    .await
}

/// Runs a write once per `Idempotency-Key` (when given): a repeat returns
/// the first response; the same key with another body is refused.
pub(super) async fn idempotent<F, Fut>(
    app: &app::App,
    i: &Integrator,
    headers: &HeaderMap,
    fingerprint: &str,
    work: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<
            Output = Result<(StatusCode, &'static str, serde_json::Value), ApiError>,
        >,
{
    use store::repo::idempotency::{self, Claim, Stored};
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let Some(key) = key else {
        return match work().await {
            Ok((status, root, body)) => {
                let (text, ctype) = render(i.format, root, &body);
                respond(status, ctype, text)
            }
            Err(e) => e.into_response(),
        };
    };
    if key.len() > 200 || key.contains('#') {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "Idempotency-Key must be at most 200 characters without '#'",
        )
        .in_format(i.format)
        .into_response();
    }
    let fp = app::auth::sha256_hex(fingerprint);
    match idempotency::claim(&*app.store, &i.tenant, key, &fp).await {
        Err(e) => fail(e.into(), i.format).into_response(),
        Ok(Claim::Done(s)) => respond(
            StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK),
            &s.content_type,
            s.body,
        ),
        Ok(Claim::InProgress) => ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_in_progress",
            "a request with this Idempotency-Key is still being processed",
        )
        .in_format(i.format)
        .into_response(),
        Ok(Claim::Mismatch) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request",
        )
        .in_format(i.format)
        .into_response(),
        Ok(Claim::Claimed) => match work().await {
            Ok((status, root, body)) => {
                let (text, ctype) = render(i.format, root, &body);
                let stored = Stored {
                    status: status.as_u16(),
                    content_type: ctype.to_owned(),
                    body: text.clone(),
                };
                if let Err(e) = idempotency::finish(&*app.store, &i.tenant, key, &stored).await {
                    tracing::warn!(error = %e, "could not remember an idempotent response");
                }
                respond(status, ctype, text)
            }
            Err(e) => {
                // Only successes are remembered: a corrected retry may run.
                let _ = idempotency::abandon(&*app.store, &i.tenant, key).await;
                e.into_response()
            }
        },
    }
}

#[utoipa::path(
    post,
    path = "/v1/accounts",
    tag = "accounts",
    params(super::IdempotencyKey),
    request_body = CreateBody,
    responses((status = 201, description = "Created; the SIP password is shown this once", body = CreatedView)),
    security(("api_key" = ["accounts:write"]))
)]
pub async fn create(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = i.require("accounts:write") {
        return e.into_response();
    }
    let parsed: CreateBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return bad_json(i.format, &e).into_response(),
    };
    let fingerprint = format!("POST /v1/accounts {}", String::from_utf8_lossy(&body));
    idempotent(&app, &i, &headers, &fingerprint, || async {
        let status = parsed
            .status
            .as_deref()
            .map(|s| {
                AccountStatus::parse(s).ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_status",
                        "status is active or suspended",
                    )
                })
            })
            .transpose()
            .map_err(|e| e.in_format(i.format))?;
        let role = parsed
            .role
            .as_deref()
            .map(|s| {
                Role::parse(s).ok_or_else(|| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_role",
                        "role is admin or user",
                    )
                })
            })
            .transpose()
            .map_err(|e| e.in_format(i.format))?;
        let created = app::admin::create_member(
            &app,
            &i.tenant,
            app::admin::NewMember {
                name: parsed.name.clone(),
                mobile: parsed.mobile.clone(),
                email: parsed.email.clone(),
                extension: parsed.extension.clone(),
                role,
                status,
                permissions: parsed.permissions,
                department: parsed.department.clone(),
                position: parsed.position.clone(),
                sip_password: None,
            },
        )
        .await
        .map_err(|f| fail(f, i.format))?;
        let view = CreatedView {
            account: AccountView::from(&created.account),
            sip_password: created.sip_password,
            sip_realm: app.sip_realm.clone(),
        };
        Ok((
            StatusCode::CREATED,
            "account",
            serde_json::to_value(view).unwrap_or_default(),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = AccountPatch)]
pub struct PatchBody {
    status: Option<String>,
    role: Option<String>,
    permissions: Option<Permissions>,
    department: Option<String>,
    position: Option<String>,
    extension: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "account id")),
    request_body = PatchBody,
    responses((status = 200, description = "OK", body = AccountView)),
    security(("api_key" = ["accounts:write"]))
)]
pub async fn patch(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Reply<AccountView>, ApiError> {
    i.require("accounts:write")?;
    let b: PatchBody = serde_json::from_slice(&body).map_err(|e| bad_json(i.format, &e))?;
    let a = app::admin::account(&app, &i.tenant, &id)
        .await
        .map_err(|f| fail(f, i.format))?;
    if let Some(s) = &b.status {
        let s = AccountStatus::parse(s).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_status",
                "status is active or suspended",
            )
            .in_format(i.format)
        })?;
        app::admin::edit_account(&app, &i.tenant, &id, s, app::admin::NumberChoice::Keep)
            .await
            .map_err(|f| fail(f, i.format))?;
    }
    if b.role.is_some() || b.permissions.is_some() {
        let role = match &b.role {
            Some(r) => Role::parse(r).ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_role",
                    "role is admin or user",
                )
                .in_format(i.format)
            })?,
            None => a.role,
        };
        // Integrators act for the tenant, not as one of its accounts.
        let nobody = domain::AccountId::generate();
        app::admin::set_permissions(
            &app,
            &i.tenant,
            &nobody,
            &id,
            role,
            b.permissions.unwrap_or(a.permissions),
        )
        .await
        .map_err(|f| fail(f, i.format))?;
    }
    if b.department.is_some() || b.position.is_some() || b.extension.is_some() {
        let ext = b
            .extension
            .clone()
            .or_else(|| a.extension.map(|e| e.to_string()));
        app::admin::update_profile(
            &app,
            &i.tenant,
            &a.id,
            b.department.clone().or(a.department.clone()),
            b.position.clone().or(a.position.clone()),
            ext.as_deref(),
        )
        .await
        .map_err(|f| fail(f, i.format))?;
    }
    let a = app::admin::account(&app, &i.tenant, &id)
        .await
        .map_err(|f| fail(f, i.format))?;
    Ok(Reply::ok(i.format, "account", AccountView::from(&a)))
}

#[utoipa::path(
    delete,
    path = "/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "account id")),
    responses((status = 204, description = "Done")),
    security(("api_key" = ["accounts:write"]))
)]
pub async fn delete(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    i.require("accounts:write")?;
    let nobody = domain::AccountId::generate();
    app::admin::delete_account(&app, &i.tenant, &nobody, &id)
        .await
        .map_err(|f| fail(f, i.format))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SipCredentials)]
pub struct SipView {
    sip_username: String,
    sip_password: String,
    sip_realm: String,
}

#[utoipa::path(
    post,
    path = "/v1/accounts/{id}/sip-credentials",
    tag = "accounts",
    params(("id" = String, Path, description = "account id"), super::IdempotencyKey),
    responses((status = 200, description = "New SIP credentials, shown this once", body = SipView)),
    security(("api_key" = ["accounts:write"]))
)]
pub async fn reset_sip(
    State(app): State<app::App>,
    i: Integrator,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = i.require("accounts:write") {
        return e.into_response();
    }
    let fingerprint = format!("POST /v1/accounts/{id}/sip-credentials");
    idempotent(&app, &i, &headers, &fingerprint, || async {
        let (a, password) = app::admin::reset_sip(&app, &i.tenant, &id)
            .await
            .map_err(|f| fail(f, i.format))?;
        let view = SipView {
            sip_username: a.sip_username.unwrap_or_default(),
            sip_password: password,
            sip_realm: app.sip_realm.clone(),
        };
        Ok((
            StatusCode::OK,
            "sip_credentials",
            serde_json::to_value(view).unwrap_or_default(),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = NumberAssign)]
pub struct NumberBody {
    number: String,
}

/// Applies a number change to an account, keeping its status.
async fn number_op(
    app: &app::App,
    i: &Integrator,
    id: &str,
    choice: app::admin::NumberChoice,
) -> Result<Reply<AccountView>, ApiError> {
    i.require("accounts:write")?;
    let a = app::admin::account(app, &i.tenant, id)
        .await
        .map_err(|f| fail(f, i.format))?;
    let a = app::admin::edit_account(app, &i.tenant, id, a.status, choice)
        .await
        .map_err(|f| fail(f, i.format))?;
    Ok(Reply::ok(i.format, "account", AccountView::from(&a)))
}

#[utoipa::path(
    put,
    path = "/v1/accounts/{id}/number",
    tag = "accounts",
    params(("id" = String, Path, description = "account id")),
    request_body = NumberBody,
    responses((status = 200, description = "OK", body = AccountView)),
    security(("api_key" = ["accounts:write"]))
)]
pub async fn set_number(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
    Json(b): Json<NumberBody>,
) -> Result<Reply<AccountView>, ApiError> {
    number_op(&app, &i, &id, app::admin::NumberChoice::Set(b.number)).await
}

#[utoipa::path(
    delete,
    path = "/v1/accounts/{id}/number",
    tag = "accounts",
    params(("id" = String, Path, description = "account id")),
    responses((status = 200, description = "OK", body = AccountView)),
    security(("api_key" = ["accounts:write"]))
)]
pub async fn reclaim_number(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<AccountView>, ApiError> {
    number_op(&app, &i, &id, app::admin::NumberChoice::Reclaim).await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NumberList {
    numbers: Vec<String>,
    next_token: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/numbers/available",
    tag = "accounts",
    params(super::page::PageQuery),
    responses((status = 200, description = "OK", body = NumberList)),
    security(("api_key" = ["accounts:read"]))
)]
pub async fn available(
    State(app): State<app::App>,
    i: Integrator,
    Query(q): Query<super::page::PageQuery>,
) -> Result<Reply<NumberList>, ApiError> {
    i.require("accounts:read")?;
    let limit = q.limit().map_err(|f| fail(f, i.format))?;
    let (numbers, next) =
        app::admin::free_numbers(&app, &i.tenant, limit, q.next_token.map(store::Cursor))
            .await
            .map_err(|f| fail(f, i.format))?;
    Ok(Reply::ok(
        i.format,
        "numbers",
        NumberList {
            numbers: numbers.iter().map(ToString::to_string).collect(),
            next_token: next.map(|c| c.0),
        },
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Hours)]
pub struct HoursView {
    /// Whether a call now would ring (C7).
    open_now: bool,
    /// Why not, when closed.
    closed_reason: Option<String>,
    settings: app::hours::HoursForm,
}

async fn hours_view(app: &app::App, i: &Integrator, id: &str) -> Result<HoursView, ApiError> {
    let a = app::admin::account(app, &i.tenant, id)
        .await
        .map_err(|f| fail(f, i.format))?;
    let h = app::hours::get(app, &i.tenant, &a.id)
        .await
        .map_err(|f| fail(f, i.format))?;
    let now = app::hours::open_at_instant(app, &i.tenant, &a.id, store::now_epoch_seconds())
        .await
        .map_err(|f| fail(f, i.format))?;
    Ok(HoursView {
        open_now: now.is_open(),
        closed_reason: match now {
            domain::hours::Openness::Open => None,
            domain::hours::Openness::Closed(r) => Some(format!("{r:?}")),
        },
        settings: app::hours::form_of(&h),
    })
}

/// `GET /v1/accounts/{id}/hours`: the user's business hours and whether calls ring now.
#[utoipa::path(
    get,
    path = "/v1/accounts/{id}/hours",
    tag = "accounts",
    params(("id" = String, Path, description = "account id")),
    responses((status = 200, description = "OK", body = HoursView)),
    security(("api_key" = ["accounts:read"]))
)]
pub async fn hours(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
) -> Result<Reply<HoursView>, ApiError> {
    i.require("accounts:read")?;
    Ok(Reply::ok(
        i.format,
        "hours",
        hours_view(&app, &i, &id).await?,
    ))
}

/// `PUT /v1/accounts/{id}/hours`: replaces them (the 통화시간설정 form as JSON).
#[utoipa::path(
    put,
    path = "/v1/accounts/{id}/hours",
    tag = "accounts",
    params(("id" = String, Path, description = "account id")),
    request_body = app::hours::HoursForm,
    responses((status = 200, description = "OK", body = HoursView)),
    security(("api_key" = ["accounts:write"]))
)]
pub async fn set_hours(
    State(app): State<app::App>,
    i: Integrator,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Reply<HoursView>, ApiError> {
    i.require("accounts:write")?;
    let form: app::hours::HoursForm = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("request body is not valid JSON for this operation: {e}"),
        )
        .in_format(i.format)
    })?;
    let a = app::admin::account(&app, &i.tenant, &id)
        .await
        .map_err(|f| fail(f, i.format))?;
    app::hours::save(&app, &i.tenant, &a.id, &form)
        .await
        .map_err(|f| fail(f, i.format))?;
    Ok(Reply::ok(
        i.format,
        "hours",
        hours_view(&app, &i, &id).await?,
    ))
}
