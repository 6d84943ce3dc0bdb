//! 관리자 페이지: 계정관리 (A2 + T10), URL 관리 (A6), API 키.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use domain::{Account, AccountStatus, Permissions, Role};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Menu, csrf, error_box, ok, page, render_fail, status_for};
use super::{Admin, Portal, csrf_refusal};

const PER_PAGE: usize = 10;

fn status_cell(s: AccountStatus) -> Markup {
    let class = match s {
        AccountStatus::Active => "status-active",
        AccountStatus::Suspended => "status-suspended",
    };
    html! { span class=(class) { (s.label_ko()) } }
}

fn num(n: &Option<domain::PhoneNumber>) -> String {
    n.as_ref().map(ToString::to_string).unwrap_or_default()
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<usize>,
    saved: Option<String>,
}

pub async fn accounts(
    State(app): State<app::App>,
    Admin(p): Admin,
    Query(q): Query<ListQuery>,
) -> Response {
    let list = match app::admin::list_accounts(
        &app,
        &p.session.tenant,
        &q.q,
        q.page.unwrap_or(1),
        PER_PAGE,
    )
    .await
    {
        Ok(l) => l,
        Err(f) => return render_fail(Some(&p), &f),
    };
    let link = |n: usize| format!("/admin/accounts?page={n}&q={}", url_escape(&q.q));
    ok(page(
        &p,
        Menu::Accounts,
        "계정관리",
        html! {
            @if q.saved.is_some() { div class="notice" role="status" { "수정되었습니다" } }
            div class="row" style="margin-bottom:12px" {
                form method="get" action="/admin/accounts" class="row" {
                    input type="text" name="q" value=(q.q) placeholder="이름, 번호, 휴대폰번호 검색" style="width:260px";
                    button type="submit" class="secondary" { "검색" }
                }
                a class="btn" href="/admin/accounts/new" { "+ 계정 추가" }
            }
            p class="muted" { "같은 그룹으로 가입된 가입자 목록입니다. 최초 가입시 '정지' 상태이며, '활성'으로 바꾸면 즉시 이용할 수 있습니다." }
            table id="accounts" {
                thead { tr { th { "이름" } th { "번호" } th { "휴대폰번호" } th { "상태" } th { "요금제" } th { "수정" } } }
                tbody {
                    @for a in &list.accounts {
                        tr data-account=(a.id) {
                            td { (a.name) }
                            td class="number" { (num(&a.number)) }
                            td class="number" { (num(&a.mobile)) }
                            td class="status" { (status_cell(a.status)) }
                            td { (a.plan) }
                            td { a href=(format!("/admin/accounts/{}", a.id)) class="edit" { "수정" } }
                        }
                    }
                    @if list.accounts.is_empty() {
                        tr { td colspan="6" class="muted" { "계정이 없습니다" } }
                    }
                }
            }
            div class="pager" {
                @if list.page > 1 { a href=(link(list.page - 1)) { "<" } " " }
                (list.page) " / " (list.pages) " 페이지"
                @if list.page < list.pages { " " a href=(link(list.page + 1)) { ">" } }
                span class="muted" { " (" (list.total) "명)" }
            }
        },
    ))
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn edit_page(p: &Portal, a: &Account, error: Option<&str>, secret: Option<(&str, &str)>) -> Markup {
    edit_page_with(p, a, error, secret, None)
}

/// 상태 수정, with a notice (an invitation sent) when there is one.
pub(super) fn edit_page_with(
    p: &Portal,
    a: &Account,
    error: Option<&str>,
    secret: Option<(&str, &str)>,
    notice: Option<&str>,
) -> Markup {
    let can_log_in = a.email.is_some() && a.password_hash.is_some() && a.email_verified;
    page(
        p,
        Menu::Accounts,
        "상태 수정",
        html! {
            (error_box(error))
            @if let Some(n) = notice { div class="notice" role="status" id="invited" { (n) } }
            @if let Some((username, password)) = secret {
                div class="notice" role="status" {
                    "새 SIP 계정 정보입니다. 이 비밀번호는 지금 한 번만 표시됩니다." br;
                    "사용자명 " span class="secret" id="sip-username" { (username) }
                    " 비밀번호 " span class="secret" id="sip-password" { (password) }
                }
            }
            div class="card" {
                p { strong { (a.name) } " " span class="muted" { (num(&a.mobile)) " · " (a.email.as_ref().map(ToString::to_string).unwrap_or_default()) } }
                form method="post" action=(format!("/admin/accounts/{}", a.id)) id="edit-form" {
                    (csrf(p))
                    label for="status" { "상태값 옵션" }
                    select id="status" name="status" {
                        option value="suspended" selected[a.status == AccountStatus::Suspended] { "정지" }
                        option value="active" selected[a.status == AccountStatus::Active] { "활성" }
                    }
                    label { "번호 할당" }
                    div class="row" {
                        span id="current-number" { @if let Some(n) = &a.number { (n) } @else { span class="muted" { "할당된 번호 없음" } } }
                        button type="button" class="secondary" id="lookup"
                            hx-get="/admin/numbers/free" hx-target="#free-numbers" hx-swap="innerHTML" { "번호 조회" }
                    }
                    div id="free-numbers" {}
                    @if a.number.is_some() {
                        label class="row" style="font-weight:400" {
                            input type="checkbox" name="reclaim" value="1" id="reclaim";
                            " 번호 회수 (풀로 반환)"
                        }
                    }
                    p class="row" {
                        a class="btn secondary" href="/admin/accounts" { "취소하기" }
                        button type="submit" id="save" { "수정하기" }
                    }
                }
            }
            div class="card" {
                h2 { "포털 로그인" }
                p id="login-state" {
                    @if can_log_in { "로그인할 수 있습니다 (" (a.email.as_ref().map(ToString::to_string).unwrap_or_default()) ")." }
                    @else { span class="muted" { "아직 로그인할 수 없습니다. 이메일로 초대하면 사용자가 비밀번호를 정합니다." } }
                }
                form method="post" action=(format!("/admin/accounts/{}/invite", a.id)) id="invite-form" class="row" {
                    (csrf(p))
                    input type="email" name="email" required placeholder="user@example.com"
                        value=(a.email.as_ref().map(ToString::to_string).unwrap_or_default());
                    button type="submit" class="secondary" id="invite" { @if can_log_in { "재설정 메일 보내기" } @else { "초대 메일 보내기" } }
                }
            }
            div class="card" {
                h2 { "SIP 계정 · 권한" }
                p { "SIP 사용자명: " code { (a.sip_username.clone().unwrap_or_else(|| "-".into())) } }
                form method="post" action=(format!("/admin/accounts/{}/permissions", a.id)) {
                    (csrf(p))
                    label for="role" { "포털 권한" }
                    select id="role" name="role" {
                        option value="user" selected[a.role == Role::User] { "사용자" }
                        option value="admin" selected[a.role == Role::Admin] { "관리자" }
                    }
                    label class="row" style="font-weight:400" { input type="checkbox" name="outbound" value="1" checked[a.permissions.outbound]; " 외부 발신" }
                    label class="row" style="font-weight:400" { input type="checkbox" name="international" value="1" checked[a.permissions.international]; " 국제전화" }
                    label class="row" style="font-weight:400" { input type="checkbox" name="recording_access" value="1" checked[a.permissions.recording_access]; " 녹취 청취" }
                    label class="row" style="font-weight:400" { input type="checkbox" name="auto_record" value="1" checked[a.permissions.auto_record]; " 자동 녹취" }
                    p { button type="submit" class="secondary" { "권한 저장" } }
                }
                form method="post" action=(format!("/admin/accounts/{}/sip-reset", a.id)) {
                    (csrf(p))
                    button type="submit" class="secondary" id="sip-reset" { "SIP 비밀번호 재발급" }
                }
                form method="post" action=(format!("/admin/accounts/{}/delete", a.id)) onsubmit="return confirm('계정을 삭제할까요? 번호는 풀로 반환됩니다.')" {
                    (csrf(p))
                    p { button type="submit" class="danger" { "계정 삭제" } }
                }
            }
        },
    )
}

pub async fn edit_form(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
) -> Response {
    match app::admin::account(&app, &p.session.tenant, &id).await {
        Ok(a) => ok(edit_page(&p, &a, None, None)),
        Err(f) => render_fail(Some(&p), &f),
    }
}

#[derive(Debug, Deserialize)]
pub struct EditForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    status: String,
    number: Option<String>,
    reclaim: Option<String>,
}

pub async fn edit(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<EditForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    let Some(status) = AccountStatus::parse(&f.status) else {
        return render_fail(
            Some(&p),
            &app::Fail::bad("invalid_status", "status", "상태값을 선택해 주세요"),
        );
    };
    let choice = match (f.number.filter(|n| !n.is_empty()), f.reclaim.is_some()) {
        (Some(n), _) => app::admin::NumberChoice::Set(n),
        (None, true) => app::admin::NumberChoice::Reclaim,
        (None, false) => app::admin::NumberChoice::Keep,
    };
    match app::admin::edit_account(&app, &p.session.tenant, &id, status, choice).await {
        Ok(_) => Redirect::to("/admin/accounts?saved=1").into_response(),
        Err(fail) => match app::admin::account(&app, &p.session.tenant, &id).await {
            Ok(a) => (
                status_for(fail.kind),
                ok(edit_page(&p, &a, Some(&fail.message), None)),
            )
                .into_response(),
            Err(f2) => render_fail(Some(&p), &f2),
        },
    }
}

#[derive(Debug, Deserialize)]
pub struct FreeQuery {
    next: Option<String>,
}

/// 번호 조회: free numbers as radio buttons (an htmx fragment, or a page).
pub async fn free_numbers(
    State(app): State<app::App>,
    Admin(p): Admin,
    headers: HeaderMap,
    Query(q): Query<FreeQuery>,
) -> Response {
    let cursor = q.next.map(store::Cursor);
    let (numbers, next) = match app::admin::free_numbers(&app, &p.session.tenant, 20, cursor).await
    {
        Ok(x) => x,
        Err(f) => return render_fail(Some(&p), &f),
    };
    let fragment = html! {
        div class="numbers" {
            @if numbers.is_empty() { p class="muted" { "할당할 수 있는 번호가 없습니다" } }
            @for n in &numbers {
                label class="row" { input type="radio" name="number" value=(n.e164()); " " (n) }
            }
            @if let Some(c) = &next {
                button type="button" class="secondary" hx-get=(format!("/admin/numbers/free?next={}", c.0)) hx-target="closest #free-numbers" hx-swap="innerHTML" { "더 보기" }
            }
        }
    };
    if headers.contains_key("hx-request") {
        ok(fragment)
    } else {
        ok(page(&p, Menu::Accounts, "번호 조회", fragment))
    }
}

#[derive(Debug, Deserialize)]
pub struct PermissionsForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    role: String,
    outbound: Option<String>,
    international: Option<String>,
    recording_access: Option<String>,
    auto_record: Option<String>,
}

pub async fn permissions(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<PermissionsForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    let Some(role) = Role::parse(&f.role) else {
        return render_fail(
            Some(&p),
            &app::Fail::bad("invalid_role", "role", "권한을 선택해 주세요"),
        );
    };
    let perms = Permissions {
        outbound: f.outbound.is_some(),
        international: f.international.is_some(),
        recording_access: f.recording_access.is_some(),
        auto_record: f.auto_record.is_some(),
    };
    match app::admin::set_permissions(&app, &p.session.tenant, &p.account.id, &id, role, perms)
        .await
    {
        Ok(a) => Redirect::to(&format!("/admin/accounts/{}", a.id)).into_response(),
        Err(f) => render_fail(Some(&p), &f),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn sip_reset(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    match app::admin::reset_sip(&app, &p.session.tenant, &id).await {
        Ok((a, password)) => {
            let user = a.sip_username.clone().unwrap_or_default();
            ok(edit_page(&p, &a, None, Some((&user, &password))))
        }
        Err(f) => render_fail(Some(&p), &f),
    }
}

pub async fn delete(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    match app::admin::delete_account(&app, &p.session.tenant, &p.account.id, &id).await {
        Ok(()) => Redirect::to("/admin/accounts?saved=1").into_response(),
        Err(f) => render_fail(Some(&p), &f),
    }
}

fn new_page(p: &Portal, error: Option<&str>, f: &NewForm) -> Markup {
    page(
        p,
        Menu::Accounts,
        "계정 추가",
        html! {
            (error_box(error))
            div class="card" {
                form method="post" action="/admin/accounts" {
                    (csrf(p))
                    label for="name" { "이름" }
                    input type="text" id="name" name="name" value=(f.name) required;
                    label for="mobile" { "휴대폰번호" }
                    input type="text" id="mobile" name="mobile" value=(f.mobile) placeholder="010-0000-0000";
                    label for="extension" { "내선번호 (4자리)" }
                    input type="text" id="extension" name="extension" value=(f.extension) maxlength="4";
                    label for="email" { "이메일 (선택: 포털 로그인 초대를 보냅니다)" }
                    input type="email" id="email" name="email" value=(f.email) placeholder="user@example.com";
                    label for="status" { "상태" }
                    select id="status" name="status" {
                        option value="active" { "활성" }
                        option value="suspended" selected[f.status == "suspended"] { "정지" }
                    }
                    p class="row" {
                        a class="btn secondary" href="/admin/accounts" { "취소하기" }
                        button type="submit" id="create" { "추가하기" }
                    }
                }
            }
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct NewForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    extension: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    email: String,
}

pub async fn new_form(Admin(p): Admin) -> Response {
    ok(new_page(&p, None, &NewForm::default()))
}

pub async fn create(
    State(app): State<app::App>,
    Admin(p): Admin,
    headers: HeaderMap,
    Form(f): Form<NewForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    let member = app::admin::NewMember {
        name: f.name.clone(),
        mobile: Some(f.mobile.clone()),
        extension: Some(f.extension.clone()),
        status: AccountStatus::parse(&f.status),
        ..Default::default()
    };
    let email = f.email.trim();
    if !email.is_empty()
        && let Err(e) = domain::Email::parse(email)
    {
        let message = format!(
            "이메일 형식이 올바르지 않습니다: {}",
            app::labels::email_error(&e)
        );
        return (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            ok(new_page(&p, Some(&message), &f)),
        )
            .into_response();
    }
    match app::admin::create_member(&app, &p.session.tenant, member).await {
        Ok(c) => {
            let user = c.account.sip_username.clone().unwrap_or_default();
            let (notice, error) = if email.is_empty() {
                (None, None)
            } else {
                let base = super::invite::base_url(&app, &headers);
                match app::invite::invite(&app, &p.session.tenant, &c.account.id, email, &base)
                    .await
                {
                    Ok(sent) => (
                        Some(format!(
                            "{}로 초대 메일을 보냈습니다. 링크: {}",
                            sent.email, sent.link
                        )),
                        None,
                    ),
                    Err(fail) => (None, Some(fail.message)),
                }
            };
            ok(edit_page_with(
                &p,
                &c.account,
                error.as_deref(),
                Some((&user, &c.sip_password)),
                notice.as_deref(),
            ))
        }
        Err(fail) => (
            status_for(fail.kind),
            ok(new_page(&p, Some(&fail.message), &f)),
        )
            .into_response(),
    }
}

/// The five fields of URL 관리 as typed (a refused value is shown again,
/// not cleared).
#[derive(Debug, Default)]
struct TypedLinks {
    ci_url: String,
    notice_url: String,
    notice_name: String,
    other_url: String,
    other_name: String,
}

impl From<&domain::TenantLinks> for TypedLinks {
    fn from(l: &domain::TenantLinks) -> Self {
        let v = |u: &Option<domain::HttpsUrl>| {
            u.as_ref()
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default()
        };
        Self {
            ci_url: v(&l.ci_url),
            notice_url: v(&l.notice_url),
            notice_name: l.notice_name.clone(),
            other_url: v(&l.other_url),
            other_name: l.other_name.clone(),
        }
    }
}

fn url_label(field: &str) -> &'static str {
    match field {
        "ci_url" => "CI URL",
        "notice_name" => "메뉴명 1",
        "notice_url" => "공지URL",
        "other_name" => "메뉴명 2",
        "other_url" => "기타URL",
        _ => "",
    }
}

fn urls_page(
    p: &Portal,
    l: &TypedLinks,
    error: Option<(&str, Option<&str>)>,
    saved: bool,
) -> Markup {
    let bad = error.and_then(|(_, f)| f);
    let message = error.map(|(m, f)| match f.map(url_label).filter(|l| !l.is_empty()) {
        Some(label) => format!("{label}: {m}"),
        None => m.to_owned(),
    });
    let field = |name: &'static str, kind: &'static str, value: &str, placeholder: &'static str| {
        let wrong = bad == Some(name);
        html! {
            input type=(kind) id=(name) name=(name) value=(value) placeholder=(placeholder)
                class=[wrong.then_some("invalid")] aria-invalid=[wrong.then_some("true")] autofocus[wrong];
        }
    };
    page(
        p,
        Menu::Urls,
        "URL 관리",
        html! {
            @if saved { div class="notice" role="status" { "저장되었습니다. 앱을 다시 실행하면 반영됩니다." } }
            (error_box(message.as_deref()))
            p class="muted" { "말톡 오피스 APP → 설정 상단의 메뉴 정보를 정의합니다 (최대 2개)." }
            div class="card" {
                form method="post" action="/admin/urls" {
                    (csrf(p))
                    label for="ci_url" { "CI URL" }
                    (field("ci_url", "url", &l.ci_url, "https://"))
                    div class="row" {
                        div { label for="notice_name" { "메뉴명 1" } (field("notice_name", "text", &l.notice_name, "")) }
                        div style="flex:1" { label for="notice_url" { "공지URL" } (field("notice_url", "url", &l.notice_url, "https://")) }
                    }
                    div class="row" {
                        div { label for="other_name" { "메뉴명 2" } (field("other_name", "text", &l.other_name, "")) }
                        div style="flex:1" { label for="other_url" { "기타URL" } (field("other_url", "url", &l.other_url, "https://")) }
                    }
                    p { button type="submit" id="save-urls" { "수정" } }
                }
            }
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct SavedOnly {
    saved: Option<String>,
}

pub async fn urls(Admin(p): Admin, Query(q): Query<SavedOnly>) -> Response {
    ok(urls_page(
        &p,
        &TypedLinks::from(&p.tenant.links),
        None,
        q.saved.is_some(),
    ))
}

#[derive(Debug, Deserialize)]
pub struct UrlsForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    #[serde(default)]
    ci_url: String,
    #[serde(default)]
    notice_url: String,
    #[serde(default)]
    notice_name: String,
    #[serde(default)]
    other_url: String,
    #[serde(default)]
    other_name: String,
}

pub async fn save_urls(
    State(app): State<app::App>,
    Admin(p): Admin,
    Form(f): Form<UrlsForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    let form = app::admin::LinksForm {
        ci_url: f.ci_url.clone(),
        notice_url: f.notice_url.clone(),
        notice_name: f.notice_name.clone(),
        other_url: f.other_url.clone(),
        other_name: f.other_name.clone(),
    };
    match app::admin::set_links(&app, &p.session.tenant, form).await {
        Ok(_) => Redirect::to("/admin/urls?saved=1").into_response(),
        Err(fail) => {
            // What was typed stays, the wrong field is named and marked.
            let typed = TypedLinks {
                ci_url: f.ci_url,
                notice_url: f.notice_url,
                notice_name: f.notice_name,
                other_url: f.other_url,
                other_name: f.other_name,
            };
            (
                status_for(fail.kind),
                ok(urls_page(
                    &p,
                    &typed,
                    Some((&fail.message, fail.field)),
                    false,
                )),
            )
                .into_response()
        }
    }
}

fn keys_page(
    p: &Portal,
    keys: &[store::repo::api_keys::ApiKeyRecord],
    shown: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let when = |secs: i64| {
        if secs > 0 {
            p.tenant.time_zone.wall_clock(secs * 1000)
        } else {
            "사용 기록 없음".to_owned()
        }
    };
    page(
        p,
        Menu::ApiKeys,
        "API 키",
        html! {
            (error_box(error))
            @if let Some(k) = shown {
                div class="notice" role="status" { "새 API 키입니다. 지금 한 번만 표시됩니다: " span class="secret" id="api-key" { (k) } }
            }
            p class="muted" { "연동 시스템이 HTTP API(/v1)를 호출할 때 Authorization: Bearer <키> 로 사용합니다." }
            @if !keys.is_empty() {
                table id="api-keys" {
                    thead { tr { th { "이름" } th { "키" } th { "권한" } th { "만든 날" } th { "마지막 사용" } th {} } }
                    tbody {
                        @for k in keys {
                            tr data-key=(k.id) {
                                td { (k.name) }
                                td { code { (k.prefix) "…" } }
                                td { @for s in &k.scopes { code { (s) } " " } }
                                td { (when(k.created_at)) }
                                td class="last-used" { (when(k.last_used_at)) }
                                td {
                                    form method="post" action=(format!("/admin/apikeys/{}/revoke", k.id)) onsubmit="return confirm('이 키를 폐기할까요? 이 키를 쓰는 연동은 즉시 멈춥니다.')" {
                                        (csrf(p))
                                        button type="submit" class="secondary revoke" { "폐기" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div class="card" {
                form method="post" action="/admin/apikeys" {
                    (csrf(p))
                    label for="key-name" { "이름" }
                    input type="text" id="key-name" name="name" required placeholder="예: CRM 연동";
                    label { "권한 (scope)" }
                    @for s in app::operator::SCOPES {
                        label class="row" style="font-weight:400" { input type="checkbox" name="scope" value=(s) checked[s.ends_with(":read")]; " " code { (s) } }
                    }
                    p { button type="submit" id="create-key" { "키 만들기" } }
                }
            }
        },
    )
}

async fn keys_of(app: &app::App, p: &Portal) -> Vec<store::repo::api_keys::ApiKeyRecord> {
    app::operator::api_keys(app, &p.session.tenant)
        .await
        .unwrap_or_default()
}

pub async fn api_keys(State(app): State<app::App>, Admin(p): Admin) -> Response {
    ok(keys_page(&p, &keys_of(&app, &p).await, None, None))
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn revoke_api_key(
    State(app): State<app::App>,
    Admin(p): Admin,
    Path(id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&p, f.csrf.as_deref()) {
        return r;
    }
    match app::operator::revoke_api_key(&app, &p.session.tenant, &id).await {
        Ok(()) => Redirect::to("/admin/apikeys").into_response(),
        Err(fail) => (
            status_for(fail.kind),
            ok(keys_page(
                &p,
                &keys_of(&app, &p).await,
                None,
                Some(&fail.message),
            )),
        )
            .into_response(),
    }
}

pub async fn create_api_key(
    State(app): State<app::App>,
    Admin(p): Admin,
    body: axum::body::Bytes,
) -> Response {
    // Repeated `scope` fields: parse the form by hand.
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Some(r) = csrf_refusal(&p, get("_csrf")) {
        return r;
    }
    let scopes: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "scope")
        .map(|(_, v)| v.clone())
        .collect();
    match app::operator::create_api_key(
        &app,
        p.session.tenant.as_str(),
        get("name").unwrap_or_default(),
        &scopes,
    )
    .await
    {
        Ok(k) => ok(keys_page(
            &p,
            &keys_of(&app, &p).await,
            Some(&k.secret),
            None,
        )),
        Err(e) => {
            let f: app::Fail = e.into();
            (
                status_for(f.kind),
                ok(keys_page(
                    &p,
                    &keys_of(&app, &p).await,
                    None,
                    Some(&f.message),
                )),
            )
                .into_response()
        }
    }
}
