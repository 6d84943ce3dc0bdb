//! The `/v1` API through the Router: keys and scopes, JSON and XML,
//! idempotency, the app's sign-up, and races run on every store adapter.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{World, api, user, world, world_on};
use domain::AccountStatus;
use serde_json::json;

#[tokio::test]
async fn requests_without_a_valid_key_are_refused_in_the_asked_format() {
    let w = world().await;
    let none = api(&w.app, "GET", "/v1/accounts", None, None, &[]).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers["content-type"], "application/problem+json");
    assert_eq!(none.json()["code"], "unauthenticated");
    let xml = api(
        &w.app,
        "GET",
        "/v1/accounts",
        Some("mto_nope"),
        None,
        &[("accept", "application/xml")],
    )
    .await;
    assert_eq!(xml.status, StatusCode::UNAUTHORIZED);
    assert_eq!(xml.headers["content-type"], "application/problem+xml");
    assert!(
        xml.body.contains("<code>unauthenticated</code>"),
        "{}",
        xml.body
    );
}

#[tokio::test]
async fn accounts_are_listed_as_json_or_xml_with_cursor_pages() {
    let w = world().await;
    for i in 0..5 {
        user(
            &w,
            "tenant-a",
            &format!("사람{i}"),
            &format!("p{i}@tenant-a.example"),
            None,
            AccountStatus::Active,
        )
        .await;
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(t) => format!("/v1/accounts?limit=2&next_token={t}"),
            None => "/v1/accounts?limit=2".to_owned(),
        };
        let r = api(&w.app, "GET", &path, Some(&w.key_a), None, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let v = r.json();
        for a in v["accounts"].as_array().expect("accounts") {
            assert!(
                seen.insert(a["id"].as_str().expect("id").to_owned()),
                "no account twice"
            );
            assert!(a.get("password_hash").is_none());
        }
        match v["next_token"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "five users and the admin");
    let xml = api(
        &w.app,
        "GET",
        "/v1/accounts?limit=50",
        Some(&w.key_a),
        None,
        &[("accept", "application/xml")],
    )
    .await;
    assert_eq!(xml.headers["content-type"], "application/xml");
    assert!(xml.body.starts_with("<?xml"));
    assert_eq!(xml.body.matches("<account>").count(), 6, "{}", xml.body);
    let bad = api(
        &w.app,
        "GET",
        "/v1/accounts?limit=0",
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let foreign = api(
        &w.app,
        "GET",
        "/v1/accounts?next_token=garbage",
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn creating_an_account_twice_with_one_idempotency_key_creates_one() {
    let w = world().await;
    let body = json!({"name": "홍길동", "mobile": "010-1111-2222", "extension": "4001"});
    let first = api(
        &w.app,
        "POST",
        "/v1/accounts",
        Some(&w.key_a),
        Some(body.clone()),
        &[("idempotency-key", "req-1")],
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let v = first.json();
    assert_eq!(v["sip_password"].as_str().map(str::len), Some(20));
    assert_eq!(v["status"], "active");
    let again = api(
        &w.app,
        "POST",
        "/v1/accounts",
        Some(&w.key_a),
        Some(body),
        &[("idempotency-key", "req-1")],
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body, "the repeat gets the first answer");
    let other = api(
        &w.app,
        "POST",
        "/v1/accounts",
        Some(&w.key_a),
        Some(json!({"name": "다른사람"})),
        &[("idempotency-key", "req-1")],
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.json()["code"], "idempotency_key_reused");
    let list = api(&w.app, "GET", "/v1/accounts", Some(&w.key_a), None, &[]).await;
    assert_eq!(list.body.matches("홍길동").count(), 1);
    // A failed request does not burn its key: the corrected retry runs.
    let dup_ext = api(
        &w.app,
        "POST",
        "/v1/accounts",
        Some(&w.key_a),
        Some(json!({"name": "중복", "extension": "4001"})),
        &[("idempotency-key", "req-2")],
    )
    .await;
    assert_eq!(dup_ext.status, StatusCode::CONFLICT);
    assert_eq!(dup_ext.json()["code"], "extension_taken");
    assert_eq!(dup_ext.json()["field"], "extension");
    let fixed = api(
        &w.app,
        "POST",
        "/v1/accounts",
        Some(&w.key_a),
        Some(json!({"name": "중복", "extension": "4001"})),
        &[("idempotency-key", "req-2")],
    )
    .await;
    assert_eq!(
        fixed.status,
        StatusCode::CONFLICT,
        "same request, same answer: nothing was remembered for a failure"
    );
}

#[tokio::test]
async fn bad_input_gets_a_stable_code_and_changes_nothing() {
    let w = world().await;
    for (body, code) in [
        (json!({"name": ""}), "invalid_name"),
        (
            json!({"name": "x", "mobile": "02-123-4567"}),
            "invalid_mobile",
        ),
        (json!({"name": "x", "extension": "12"}), "invalid_extension"),
        (json!({"name": "x", "status": "deleted"}), "invalid_status"),
        (
            json!({"name": "x", "permissions": {"outbound": false, "international": true, "recording_access": false}}),
            "invalid_permissions",
        ),
    ] {
        let r = api(
            &w.app,
            "POST",
            "/v1/accounts",
            Some(&w.key_a),
            Some(body.clone()),
            &[],
        )
        .await;
        assert!(r.status.is_client_error(), "{body}: {}", r.status);
        assert_eq!(r.json()["code"], code, "{body}");
    }
    let garbage = api(&w.app, "POST", "/v1/accounts", Some(&w.key_a), None, &[]).await;
    assert_eq!(garbage.json()["code"], "invalid_body");
    let list = api(&w.app, "GET", "/v1/accounts", Some(&w.key_a), None, &[]).await;
    assert_eq!(
        list.json()["accounts"].as_array().map(Vec::len),
        Some(1),
        "only the admin exists"
    );
}

#[tokio::test]
async fn app_signup_verifies_the_mobile_then_the_email_before_portal_login() {
    let w = world().await;
    let tenant = app::admin::tenant(&w.app, &domain::TenantId::parse("tenant-a").expect("id"))
        .await
        .expect("tenant");
    let bad = api(
        &w.app,
        "POST",
        "/v1/app/signup",
        None,
        Some(json!({"join_code": "WRONG123", "name": "김", "mobile": "010-5555-6666"})),
        &[],
    )
    .await;
    assert_eq!(bad.json()["code"], "invalid_join_code");
    let start = api(
        &w.app,
        "POST",
        "/v1/app/signup",
        None,
        Some(json!({"join_code": tenant.join_code, "name": "김신입", "mobile": "010-5555-6666"})),
        &[],
    )
    .await;
    assert_eq!(start.status, StatusCode::CREATED, "{}", start.body);
    let vid = start.json()["verification_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let sms = store::repo::sink::recent(&*w.app.store, "sms", 1)
        .await
        .expect("sink");
    assert_eq!(sms[0].to, "010-5555-6666");
    assert_eq!(
        sms[0].from, "02-1234-5678",
        "sent from the tenant's representative number"
    );
    let code: String = sms[0].body.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6);

    let wrong = api(
        &w.app,
        "POST",
        "/v1/app/signup/verify",
        None,
        Some(json!({"verification_id": vid, "code": "000000"})),
        &[],
    )
    .await;
    assert_eq!(wrong.json()["code"], "invalid_code");
    let ok = api(
        &w.app,
        "POST",
        "/v1/app/signup/verify",
        None,
        Some(json!({"verification_id": vid, "code": code})),
        &[],
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let joined = ok.json();
    assert_eq!(joined["status"], "suspended", "new sign-ups start 정지");
    let token = joined["app_token"].as_str().expect("token").to_owned();
    let reuse = api(
        &w.app,
        "POST",
        "/v1/app/signup/verify",
        None,
        Some(json!({"verification_id": vid, "code": code})),
        &[],
    )
    .await;
    assert_eq!(reuse.json()["code"], "invalid_code", "a code works once");

    let email = api(
        &w.app,
        "POST",
        "/v1/app/email",
        Some(&token),
        Some(json!({"email": "shin@tenant-a.example", "password": "new-user-pass-1"})),
        &[],
    )
    .await;
    assert_eq!(email.status, StatusCode::CREATED, "{}", email.body);
    let evid = email.json()["verification_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mail = store::repo::sink::recent(&*w.app.store, "mail", 1)
        .await
        .expect("sink");
    assert_eq!(mail[0].to, "shin@tenant-a.example");
    let ecode: String = mail[0]
        .body
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();

    // Not confirmed yet: no portal login.
    let mut c = common::Client::new(&w.app);
    assert_eq!(
        c.login("shin@tenant-a.example", "new-user-pass-1")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let confirmed = api(
        &w.app,
        "POST",
        "/v1/app/email/confirm",
        Some(&token),
        Some(json!({"verification_id": evid, "code": ecode})),
        &[],
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    // Confirmed but still suspended.
    let r = c.login("shin@tenant-a.example", "new-user-pass-1").await;
    assert!(r.body.contains("정지된 계정입니다"));
    // The admin activates: it works at once.
    let id = joined["account_id"].as_str().expect("id");
    let patch = api(
        &w.app,
        "PATCH",
        &format!("/v1/accounts/{id}"),
        Some(&w.key_a),
        Some(json!({"status": "active"})),
        &[],
    )
    .await;
    assert_eq!(patch.json()["status"], "active");
    assert_eq!(
        c.login("shin@tenant-a.example", "new-user-pass-1")
            .await
            .location(),
        "/me"
    );

    // C2: the app edits the profile under the same rules.
    let prof = api(
        &w.app,
        "PATCH",
        "/v1/app/profile",
        Some(&token),
        Some(json!({"department": "개발팀", "extension": "7001"})),
        &[],
    )
    .await;
    assert_eq!(prof.json()["extension"], "7001");
    let bad_ext = api(
        &w.app,
        "PATCH",
        "/v1/app/profile",
        Some(&token),
        Some(json!({"extension": "70011"})),
        &[],
    )
    .await;
    assert_eq!(bad_ext.json()["code"], "invalid_extension");
}

async fn races(w: &World) {
    let t = domain::TenantId::parse("tenant-a").expect("id");
    // Two admins assign one number to two accounts at the same moment.
    for round in 0..3 {
        let a = user(
            w,
            "tenant-a",
            "A",
            &format!("ra{round}@tenant-a.example"),
            None,
            AccountStatus::Active,
        )
        .await;
        let b = user(
            w,
            "tenant-a",
            "B",
            &format!("rb{round}@tenant-a.example"),
            None,
            AccountStatus::Active,
        )
        .await;
        let number = format!("070-5000-{:04}", round + 1);
        let (ra, rb) = tokio::join!(
            app::admin::edit_account(
                &w.app,
                &t,
                a.id.as_str(),
                AccountStatus::Active,
                app::admin::NumberChoice::Set(number.clone())
            ),
            app::admin::edit_account(
                &w.app,
                &t,
                b.id.as_str(),
                AccountStatus::Active,
                app::admin::NumberChoice::Set(number.clone())
            ),
        );
        assert_eq!(
            usize::from(ra.is_ok()) + usize::from(rb.is_ok()),
            1,
            "exactly one admin wins {number}"
        );
        let loser = if ra.is_ok() { rb } else { ra };
        assert!(
            matches!(loser, Err(ref f) if f.code == "number_taken"),
            "{loser:?}"
        );
    }
    // One account, two numbers at once: it ends with exactly one.
    let c = user(
        w,
        "tenant-a",
        "C",
        "rc@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    let (r1, r2) = tokio::join!(
        app::admin::edit_account(
            &w.app,
            &t,
            c.id.as_str(),
            AccountStatus::Active,
            app::admin::NumberChoice::Set("070-5000-0007".into())
        ),
        app::admin::edit_account(
            &w.app,
            &t,
            c.id.as_str(),
            AccountStatus::Active,
            app::admin::NumberChoice::Set("070-5000-0008".into())
        ),
    );
    assert!(r1.is_ok() || r2.is_ok());
    let held: Vec<String> = store::repo::numbers::available(&*w.app.store, "kr", 100, None)
        .await
        .expect("pool")
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    let both_taken =
        !held.contains(&"070-5000-0007".to_owned()) && !held.contains(&"070-5000-0008".to_owned());
    assert!(!both_taken, "one account never holds two numbers: {held:?}");
    // Two users claim one extension at once.
    let d = user(
        w,
        "tenant-a",
        "D",
        "rd@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    let e = user(
        w,
        "tenant-a",
        "E",
        "re@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    let (x, y) = tokio::join!(
        app::admin::update_profile(&w.app, &t, &d.id, None, None, Some("5555")),
        app::admin::update_profile(&w.app, &t, &e.id, None, None, Some("5555")),
    );
    assert_eq!(
        usize::from(x.is_ok()) + usize::from(y.is_ok()),
        1,
        "exactly one gets extension 5555"
    );
    let loser = if x.is_ok() { y } else { x };
    assert!(
        matches!(loser, Err(ref f) if f.message == "이미 사용 중인 내선번호입니다"),
        "{loser:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn races_on_the_embedded_store_have_one_winner() {
    races(&world().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn races_on_dynamodb_have_one_winner() {
    let moto = testkit::Moto::shared().expect("moto");
    let conf = testkit::aws_config_for(&moto.endpoint()).await;
    let client = aws_sdk_dynamodb::Client::new(&conf);
    let table = testkit::unique_name("web-races");
    store::dynamodb::DynamoStore::create_table(&client, &table)
        .await
        .expect("table");
    let w = world_on(Arc::new(store::dynamodb::DynamoStore::new(client, table))).await;
    races(&w).await;
}
