//! The portals through the Router (U1 login, U2 my info, A2 accounts,
//! A6 URLs, API keys), with the CSRF, throttling and tenant rules.

mod common;

use axum::http::StatusCode;
use common::{Client, api, user, world};
use domain::AccountStatus;

#[tokio::test]
async fn admin_logs_in_with_a_secure_session_cookie() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    let page = c.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("이메일로그인"));
    let resp = c.login(&w.admin_a.0, &w.admin_a.1).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(resp.location(), "/admin/accounts");
    let cookie = resp
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .find(|v| v.starts_with("office_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http on localhost");
    let list = c.get("/admin/accounts").await;
    assert_eq!(list.status, StatusCode::OK);
    for column in ["이름", "번호", "휴대폰번호", "상태", "요금제", "수정"] {
        assert!(
            list.body.contains(&format!("<th>{column}</th>")),
            "column {column}"
        );
    }
}

#[tokio::test]
async fn login_without_the_csrf_token_is_refused() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    c.get("/login").await;
    let resp = c
        .post_form(
            "/login",
            &[("email", &w.admin_a.0), ("password", &w.admin_a.1)],
        )
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
    assert!(!c.cookies.contains_key("office_session"));
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    let wrong = c.login(&w.admin_a.0, "not-the-password").await;
    let unknown = c.login("nobody@tenant-a.example", "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    assert!(
        wrong
            .body
            .contains("이메일 또는 비밀번호가 올바르지 않습니다")
    );
    assert!(
        unknown
            .body
            .contains("이메일 또는 비밀번호가 올바르지 않습니다")
    );
}

#[tokio::test]
async fn ten_wrong_passwords_lock_the_email_for_a_while() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    for _ in 0..10 {
        assert_eq!(
            c.login(&w.admin_a.0, "wrong-password!").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = c.login(&w.admin_a.0, &w.admin_a.1).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains("잠시 후 다시 시도해 주세요"));
    // An unknown address locks the same way: the lock reveals nothing.
    for _ in 0..10 {
        c.login("ghost@tenant-a.example", "wrong-password!").await;
    }
    assert_eq!(
        c.login("ghost@tenant-a.example", "x").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another account behind the same address still logs in.
    assert_eq!(
        c.login(&w.admin_b.0, &w.admin_b.1).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn suspended_or_unverified_accounts_cannot_log_in() {
    let w = world().await;
    user(
        &w,
        "tenant-a",
        "정지된사람",
        "stopped@tenant-a.example",
        None,
        AccountStatus::Suspended,
    )
    .await;
    let mut c = Client::new(&w.app);
    let r = c.login("stopped@tenant-a.example", "user-password-1").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("정지된 계정입니다"));
}

#[tokio::test]
async fn logout_ends_the_session_and_expired_sessions_do_not_work() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let page = c.get("/admin/accounts").await;
    let csrf = page.csrf();
    let token = c.cookies["office_session"].clone();
    let out = c.post_form("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(out.location(), "/login");
    // Even replaying the old cookie does not work: the session is gone.
    c.cookies.insert("office_session".into(), token);
    assert_eq!(c.get("/admin/accounts").await.location(), "/login");

    // A session past its expiry is not found.
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let token = c.cookies["office_session"].clone();
    let key = store::keys::session(&app::auth::sha256_hex(&token));
    w.app
        .store
        .update(
            &key,
            store::Update::new().set("expires_at", store::now_epoch_seconds() - 1),
            None,
        )
        .await
        .expect("expire");
    assert_eq!(c.get("/me").await.location(), "/login");
}

#[tokio::test]
async fn a_form_without_the_session_csrf_token_changes_nothing() {
    let w = world().await;
    let u = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        Some("1001"),
        AccountStatus::Active,
    )
    .await;
    let mut c = Client::new(&w.app);
    c.login("kim@tenant-a.example", "user-password-1").await;
    let r = c
        .post_form(
            "/me",
            &[
                ("department", "해킹팀"),
                ("position", ""),
                ("extension", "9999"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .post_form(
            "/me",
            &[
                ("_csrf", "forged"),
                ("department", "해킹팀"),
                ("extension", "9999"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let after = app::admin::account(&w.app, &u.tenant, u.id.as_str())
        .await
        .expect("account");
    assert_eq!(after.department, u.department);
    assert_eq!(after.extension.map(|e| e.to_string()), Some("1001".into()));
}

#[tokio::test]
async fn user_changes_extension_and_a_duplicate_is_refused_clearly() {
    let w = world().await;
    user(
        &w,
        "tenant-a",
        "이서연",
        "lee@tenant-a.example",
        Some("1002"),
        AccountStatus::Active,
    )
    .await;
    let kim = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        Some("1001"),
        AccountStatus::Active,
    )
    .await;
    let mut c = Client::new(&w.app);
    assert_eq!(
        c.login("kim@tenant-a.example", "user-password-1")
            .await
            .location(),
        "/me"
    );
    let me = c.get("/me").await;
    for label in [
        "070번호",
        "내번호",
        "내상품",
        "추천인",
        "부서",
        "직책",
        "내선번호",
    ] {
        assert!(me.body.contains(label), "{label}");
    }
    let csrf = me.csrf();
    let ok = c
        .post_form(
            "/me",
            &[
                ("_csrf", &csrf),
                ("department", "경영지원팀"),
                ("position", "대리"),
                ("extension", "2001"),
            ],
        )
        .await;
    assert_eq!(ok.location(), "/me?saved=1");
    let dup = c
        .post_form(
            "/me",
            &[
                ("_csrf", &csrf),
                ("department", "다른팀"),
                ("position", "대리"),
                ("extension", "1002"),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.body.contains("이미 사용 중인 내선번호입니다"));
    let bad = c
        .post_form(
            "/me",
            &[
                ("_csrf", &csrf),
                ("department", "다른팀"),
                ("extension", "12a"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("4자리 숫자"));
    let after = app::admin::account(&w.app, &kim.tenant, kim.id.as_str())
        .await
        .expect("account");
    assert_eq!(after.extension.map(|e| e.to_string()), Some("2001".into()));
    assert_eq!(
        after.department.as_deref(),
        Some("경영지원팀"),
        "the refused updates changed nothing"
    );
    // The old extension is free again; the new one is taken.
    let lee = user(
        &w,
        "tenant-a",
        "박지훈",
        "park@tenant-a.example",
        Some("1001"),
        AccountStatus::Active,
    )
    .await;
    assert_eq!(lee.extension.map(|e| e.to_string()), Some("1001".into()));
}

#[tokio::test]
async fn users_cannot_open_admin_pages() {
    let w = world().await;
    user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    let mut c = Client::new(&w.app);
    c.login("kim@tenant-a.example", "user-password-1").await;
    let r = c.get("/admin/accounts").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("관리자만"));
}

#[tokio::test]
async fn admin_activates_assigns_changes_and_reclaims_a_number() {
    let w = world().await;
    let u = user(
        &w,
        "tenant-a",
        "신규가입자",
        "new@tenant-a.example",
        None,
        AccountStatus::Suspended,
    )
    .await;
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let edit = c.get(&format!("/admin/accounts/{}", u.id)).await;
    assert!(edit.body.contains("상태값 옵션") && edit.body.contains("번호 조회"));
    let csrf = edit.csrf();
    let free = c.get("/admin/numbers/free").await;
    assert!(free.body.contains("070-5000-0001"));

    let r = c
        .post_form(
            &format!("/admin/accounts/{}", u.id),
            &[
                ("_csrf", &csrf),
                ("status", "active"),
                ("number", "+827050000001"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/admin/accounts?saved=1");
    let a = app::admin::account(&w.app, &u.tenant, u.id.as_str())
        .await
        .expect("account");
    assert_eq!(a.status, AccountStatus::Active);
    assert_eq!(
        a.number.as_ref().map(ToString::to_string),
        Some("070-5000-0001".into())
    );
    assert!(
        !c.get("/admin/numbers/free")
            .await
            .body
            .contains("070-5000-0001"),
        "assigned numbers leave the pool"
    );
    // The user can log in at once.
    assert_eq!(
        Client::new(&w.app)
            .login("new@tenant-a.example", "user-password-1")
            .await
            .location(),
        "/me"
    );

    // Change: the new number is claimed, the old one returns.
    let r = c
        .post_form(
            &format!("/admin/accounts/{}", u.id),
            &[
                ("_csrf", &csrf),
                ("status", "active"),
                ("number", "070-5000-0002"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/admin/accounts?saved=1");
    let free = c.get("/admin/numbers/free").await.body;
    assert!(free.contains("070-5000-0001") && !free.contains("070-5000-0002"));

    // Reclaim.
    let r = c
        .post_form(
            &format!("/admin/accounts/{}", u.id),
            &[("_csrf", &csrf), ("status", "active"), ("reclaim", "1")],
        )
        .await;
    assert_eq!(r.location(), "/admin/accounts?saved=1");
    let a = app::admin::account(&w.app, &u.tenant, u.id.as_str())
        .await
        .expect("account");
    assert_eq!(a.number, None);
    assert!(
        c.get("/admin/numbers/free")
            .await
            .body
            .contains("070-5000-0002")
    );

    // A number another account holds cannot be taken: clear message, nothing changes.
    let other = user(
        &w,
        "tenant-a",
        "다른사람",
        "other@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    c.post_form(
        &format!("/admin/accounts/{}", other.id),
        &[
            ("_csrf", &csrf),
            ("status", "active"),
            ("number", "070-5000-0003"),
        ],
    )
    .await;
    let taken = c
        .post_form(
            &format!("/admin/accounts/{}", u.id),
            &[
                ("_csrf", &csrf),
                ("status", "active"),
                ("number", "070-5000-0003"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(taken.body.contains("이미 할당되었습니다"));
    assert_eq!(
        app::admin::account(&w.app, &u.tenant, u.id.as_str())
            .await
            .expect("account")
            .number,
        None
    );
}

#[tokio::test]
async fn admin_creates_a_sip_account_and_resets_its_password() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let csrf = c.get("/admin/accounts/new").await.csrf();
    let r = c
        .post_form(
            "/admin/accounts",
            &[
                ("_csrf", &csrf),
                ("name", "최현우"),
                ("mobile", "010-7777-8888"),
                ("extension", "3001"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("한 번만 표시됩니다"));
    let username = between(&r.body, "id=\"sip-username\">", "<");
    let password = between(&r.body, "id=\"sip-password\">", "<");
    let sip = store::repo::accounts::sip_user(&*w.app.store, &username)
        .await
        .expect("read")
        .expect("sip user");
    assert_eq!(
        sip.digests,
        app::sip::digests(&username, "office", &password),
        "only digests of that password are stored"
    );
    let item = w
        .app
        .store
        .get(&store::keys::sip_user(&username))
        .await
        .expect("get")
        .expect("item");
    assert!(
        !format!("{item:?}").contains(&password),
        "the password itself is never stored"
    );

    let reset = c
        .post_form(
            &format!("/admin/accounts/{}/sip-reset", sip.account),
            &[("_csrf", &csrf)],
        )
        .await;
    let new_password = between(&reset.body, "id=\"sip-password\">", "<");
    assert_ne!(new_password, password);
    let after = store::repo::accounts::sip_user(&*w.app.store, &username)
        .await
        .expect("read")
        .expect("sip user");
    assert_eq!(
        after.digests,
        app::sip::digests(&username, "office", &new_password)
    );
}

fn between(s: &str, start: &str, end: &str) -> String {
    let at = s
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in page"))
        + start.len();
    s[at..at + s[at..].find(end).expect("end")].to_owned()
}

#[tokio::test]
async fn url_management_takes_https_only_and_the_app_sees_it() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let csrf = c.get("/admin/urls").await.csrf();
    let bad = c
        .post_form(
            "/admin/urls",
            &[
                ("_csrf", &csrf),
                ("ci_url", "http://company.co.kr/logo.png"),
                ("notice_name", "공지사항"),
                ("notice_url", ""),
                ("other_name", "기타"),
                ("other_url", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("https://"));
    // The refused field is named, marked, and keeps what was typed.
    assert!(bad.body.contains("CI URL: "), "{}", bad.body);
    assert!(bad.body.contains("value=\"http://company.co.kr/logo.png\""));
    assert!(bad.body.contains("aria-invalid=\"true\""));
    let ok = c
        .post_form(
            "/admin/urls",
            &[
                ("_csrf", &csrf),
                ("ci_url", "https://company.co.kr/logo.png"),
                ("notice_name", "공지"),
                ("notice_url", "https://company.co.kr/notice"),
                ("other_name", "뉴스"),
                ("other_url", "https://company.co.kr/news"),
            ],
        )
        .await;
    assert_eq!(ok.location(), "/admin/urls?saved=1");

    let tenant = domain::TenantId::parse("tenant-a").expect("id");
    let u = user(
        &w,
        "tenant-a",
        "앱사용자",
        "app@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    let token = app::signup::issue_app_token(&w.app, &u)
        .await
        .expect("token");
    let conf = api(&w.app, "GET", "/v1/app/config", Some(&token), None, &[]).await;
    assert_eq!(conf.status, StatusCode::OK);
    let v = conf.json();
    assert_eq!(v["ci_url"], "https://company.co.kr/logo.png");
    assert_eq!(v["menus"][0]["name"], "공지");
    assert_eq!(v["menus"][1]["url"], "https://company.co.kr/news");
    assert_eq!(
        app::admin::tenant(&w.app, &tenant)
            .await
            .expect("tenant")
            .links
            .notice_name,
        "공지"
    );
    assert_eq!(
        api(&w.app, "GET", "/v1/app/config", Some("bogus"), None, &[])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn api_keys_are_shown_once_and_stored_hashed() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let csrf = c.get("/admin/apikeys").await.csrf();
    let r = c
        .post_form(
            "/admin/apikeys",
            &[
                ("_csrf", &csrf),
                ("name", "CRM"),
                ("scope", "accounts:read"),
            ],
        )
        .await;
    let key = between(&r.body, "id=\"api-key\">", "<");
    assert!(key.starts_with("mto_"));
    assert!(
        w.app
            .store
            .get(&store::keys::api_key(&app::auth::sha256_hex(&key)))
            .await
            .expect("get")
            .is_some()
    );
    let list = api(&w.app, "GET", "/v1/accounts", Some(&key), None, &[]).await;
    assert_eq!(list.status, StatusCode::OK);
    let write = api(
        &w.app,
        "POST",
        "/v1/accounts",
        Some(&key),
        Some(serde_json::json!({"name": "x"})),
        &[],
    )
    .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    assert_eq!(write.json()["code"], "insufficient_scope");
}

/// Every portal URL and API resource of tenant B answers 404 to tenant A.
#[tokio::test]
async fn an_admin_of_one_tenant_never_reaches_another_tenants_accounts() {
    let w = world().await;
    let b_user = user(
        &w,
        "tenant-b",
        "비사람",
        "person@tenant-b.example",
        Some("1001"),
        AccountStatus::Active,
    )
    .await;
    let id = b_user.id.to_string();
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let csrf = c.get("/admin/accounts").await.csrf();
    assert!(!c.get("/admin/accounts").await.body.contains("비사람"));
    assert_eq!(
        c.get(&format!("/admin/accounts/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    for path in ["", "/permissions", "/sip-reset", "/delete"] {
        let r = c
            .post_form(
                &format!("/admin/accounts/{id}{path}"),
                &[
                    ("_csrf", &csrf),
                    ("status", "suspended"),
                    ("role", "admin"),
                    ("reclaim", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {path}");
    }
    for (method, path, body) in [
        ("GET", format!("/v1/accounts/{id}"), None),
        (
            "PATCH",
            format!("/v1/accounts/{id}"),
            Some(serde_json::json!({"status": "suspended"})),
        ),
        ("DELETE", format!("/v1/accounts/{id}"), None),
        ("POST", format!("/v1/accounts/{id}/sip-credentials"), None),
        (
            "PUT",
            format!("/v1/accounts/{id}/number"),
            Some(serde_json::json!({"number": "070-5000-0001"})),
        ),
        ("DELETE", format!("/v1/accounts/{id}/number"), None),
    ] {
        let r = api(&w.app, method, &path, Some(&w.key_a), body, &[]).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            r.body
        );
    }
    let list = api(&w.app, "GET", "/v1/accounts", Some(&w.key_a), None, &[]).await;
    assert!(!list.body.contains(&id));
    // Tenant B's data is untouched and visible to B.
    let mine = api(
        &w.app,
        "GET",
        &format!("/v1/accounts/{id}"),
        Some(&w.key_b),
        None,
        &[],
    )
    .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.json()["status"], "active");
}

#[tokio::test]
async fn one_address_failing_a_hundred_times_is_slowed_down() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    for i in 0..100 {
        // Different e-mails, so the per-e-mail lock never triggers.
        let r = c
            .login(&format!("guess{i}@tenant-a.example"), "wrong-password!")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = c.login(&w.admin_b.0, &w.admin_b.1).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is throttled"
    );
}

#[tokio::test]
async fn session_cookies_are_secure_when_served_over_https() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app::App::over(
        std::sync::Arc::new(store::embedded::EmbeddedStore::in_memory().expect("store")),
        dir.path(),
        "https://office.example.com",
    )
    .expect("app");
    let mut c = Client::new(&app);
    let page = c.get("/login").await;
    let cookie = page.headers["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}
