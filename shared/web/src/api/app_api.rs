//! `/v1/app/...`: what the softphone app calls — joining a tenant, its
//! launch configuration (C1), the profile (C2), the portal e-mail.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::reply::Reply;
use super::{AppUser, Format};
use crate::ApiError;

fn parse<T: serde::de::DeserializeOwned>(format: Format, body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("request body is not valid JSON for this operation: {e}"),
        )
        .in_format(format)
    })
}

fn fail(f: app::Fail, format: Format) -> ApiError {
    ApiError::from(f).in_format(format)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = AppSignup)]
pub struct SignupBody {
    join_code: String,
    name: String,
    mobile: String,
    plan: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/app/signup",
    tag = "app",
    request_body = SignupBody,
    responses((status = 201, description = "A code was sent to the mobile number", body = app::signup::Started))
)]
pub async fn signup(
    State(app): State<app::App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Reply<app::signup::Started>, ApiError> {
    let format = Format::of(&headers);
    let b: SignupBody = parse(format, &body)?;
    let started = app::signup::start(&app, &b.join_code, &b.name, &b.mobile, b.plan.as_deref())
        .await
        .map_err(|f| fail(f, format))?;
    Ok(Reply::created(format, "verification", started))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = AppSignupVerify)]
pub struct VerifyBody {
    verification_id: String,
    code: String,
}

#[utoipa::path(
    post,
    path = "/v1/app/signup/verify",
    tag = "app",
    request_body = VerifyBody,
    responses((status = 201, description = "Joined: the app token and SIP settings", body = app::signup::Joined))
)]
pub async fn verify(
    State(app): State<app::App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Reply<app::signup::Joined>, ApiError> {
    let format = Format::of(&headers);
    let b: VerifyBody = parse(format, &body)?;
    let joined = app::signup::verify(&app, &b.verification_id, &b.code)
        .await
        .map_err(|f| fail(f, format))?;
    Ok(Reply::created(format, "signup", joined))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AppMenuLink)]
pub struct MenuView {
    name: String,
    url: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AppConfig)]
pub struct ConfigView {
    company: String,
    ci_url: Option<String>,
    menus: Vec<MenuView>,
    status: &'static str,
}

/// C1: the tenant's CI URL and up to two named menu links.
#[utoipa::path(
    get,
    path = "/v1/app/config",
    tag = "app",
    responses((status = 200, description = "OK", body = ConfigView)),
    security(("app_token" = []))
)]
pub async fn config(
    State(app): State<app::App>,
    u: AppUser,
) -> Result<Reply<ConfigView>, ApiError> {
    let t = app::admin::tenant(&app, &u.account.tenant)
        .await
        .map_err(|f| fail(f, u.format))?;
    let l = &t.links;
    let menus = [
        (&l.notice_name, &l.notice_url),
        (&l.other_name, &l.other_url),
    ]
    .into_iter()
    .filter_map(|(name, url)| {
        url.as_ref().map(|u| MenuView {
            name: name.clone(),
            url: u.as_str().to_owned(),
        })
    })
    .collect();
    Ok(Reply::ok(
        u.format,
        "config",
        ConfigView {
            company: t.name,
            ci_url: l.ci_url.as_ref().map(|u| u.as_str().to_owned()),
            menus,
            status: u.account.status.as_str(),
        },
    ))
}

#[utoipa::path(
    get,
    path = "/v1/app/profile",
    tag = "app",
    responses((status = 200, description = "OK", body = super::accounts::AccountView)),
    security(("app_token" = []))
)]
pub async fn profile(u: AppUser) -> Reply<super::accounts::AccountView> {
    Reply::ok(
        u.format,
        "account",
        super::accounts::AccountView::from(&u.account),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = AppProfilePatch)]
pub struct ProfileBody {
    department: Option<String>,
    position: Option<String>,
    extension: Option<String>,
}

/// C2: department, position and extension (same rules as the portal, U2).
#[utoipa::path(
    patch,
    path = "/v1/app/profile",
    tag = "app",
    request_body = ProfileBody,
    responses((status = 200, description = "OK", body = super::accounts::AccountView)),
    security(("app_token" = []))
)]
pub async fn update_profile(
    State(app): State<app::App>,
    u: AppUser,
    body: axum::body::Bytes,
) -> Result<Reply<super::accounts::AccountView>, ApiError> {
    let b: ProfileBody = parse(u.format, &body)?;
    let a = &u.account;
    let ext = b.extension.or_else(|| a.extension.map(|e| e.to_string()));
    let updated = app::admin::update_profile(
        &app,
        &a.tenant,
        &a.id,
        b.department.or(a.department.clone()),
        b.position.or(a.position.clone()),
        ext.as_deref(),
    )
    .await
    .map_err(|f| fail(f, u.format))?;
    Ok(Reply::ok(
        u.format,
        "account",
        super::accounts::AccountView::from(&updated),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = AppEmail)]
pub struct EmailBody {
    email: String,
    password: String,
}

#[utoipa::path(
    post,
    path = "/v1/app/email",
    tag = "app",
    request_body = EmailBody,
    responses((status = 201, description = "A code was sent to the e-mail address", body = app::signup::Started)),
    security(("app_token" = []))
)]
pub async fn set_email(
    State(app): State<app::App>,
    u: AppUser,
    body: axum::body::Bytes,
) -> Result<Reply<app::signup::Started>, ApiError> {
    let b: EmailBody = parse(u.format, &body)?;
    let started = app::signup::set_email(&app, &u.account, &b.email, &b.password)
        .await
        .map_err(|f| fail(f, u.format))?;
    Ok(Reply::created(u.format, "verification", started))
}

#[utoipa::path(
    post,
    path = "/v1/app/email/confirm",
    tag = "app",
    request_body = VerifyBody,
    responses((status = 200, description = "OK", body = super::accounts::AccountView)),
    security(("app_token" = []))
)]
pub async fn confirm_email(
    State(app): State<app::App>,
    u: AppUser,
    body: axum::body::Bytes,
) -> Result<Reply<super::accounts::AccountView>, ApiError> {
    let b: VerifyBody = parse(u.format, &body)?;
    let a = app::signup::confirm_email(&app, &u.account, &b.verification_id, &b.code)
        .await
        .map_err(|f| fail(f, u.format))?;
    Ok(Reply::ok(
        u.format,
        "account",
        super::accounts::AccountView::from(&a),
    ))
}

/// C5: the org chart with members, for the app.
#[utoipa::path(
    get,
    path = "/v1/app/org",
    tag = "app",
    responses((status = 200, description = "OK", body = app::org::OrgChart)),
    security(("app_token" = []))
)]
pub async fn org(
    State(app): State<app::App>,
    u: AppUser,
) -> Result<Reply<app::org::OrgChart>, ApiError> {
    let chart = app::org::chart(&app, &u.account.tenant)
        .await
        .map_err(|f| fail(f, u.format))?;
    Ok(Reply::ok(u.format, "org", chart))
}
