//! 문자발송 through the portal and the API, the carrier's inbound webhook,
//! and 정산관리.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{Client, api, user, world};
use domain::AccountStatus;
use serde_json::json;

fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----officesms0123456789";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(c: &mut Client, path: &str, fields: &[(&str, &str)]) -> common::Resp {
    let (ctype, body) = multipart(fields);
    c.send(
        axum::http::Request::post(path)
            .header("content-type", ctype)
            .body(axum::body::Body::from(body))
            .expect("request"),
    )
    .await
}

fn now_ms() -> i64 {
    store::now_epoch_seconds() * 1000
}

#[tokio::test]
async fn admin_sends_from_the_portal_and_resends_the_failed_ones() {
    let mut w = world().await;
    w.app.sms = Arc::new(
        messaging::sink::SmsSink::new(w.app.store.clone()).rejecting(["+821055550002".to_owned()]),
    );
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let page = c.get("/admin/sms").await;
    for label in [
        "검색조건",
        "메시지 발송",
        "받는사람",
        "일괄등록",
        "검색결과",
        "0 / SMS 90byte",
        "회사 대표번호",
    ] {
        assert!(page.body.contains(label), "{label}");
    }
    let csrf = page.csrf();
    let bad = post_multipart(
        &mut c,
        "/admin/sms",
        &[
            ("_csrf", &csrf),
            ("_form", "f0"),
            ("recipients", "010-5555-0001\n02-12"),
            ("text", "테스트 문자 입니다."),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("recipient-errors") && bad.body.contains("02-12"));
    // What was typed is still there to fix.
    assert!(
        bad.body.contains(">테스트 문자 입니다.</textarea>"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("010-5555-0001\n02-12</textarea>"));

    let ok = post_multipart(
        &mut c,
        "/admin/sms",
        &[
            ("_csrf", &csrf),
            ("_form", "f1"),
            ("recipients", "010-5555-0001, 010-5555-0002"),
            ("text", "테스트 문자 입니다."),
        ],
    )
    .await;
    assert_eq!(ok.location(), "/admin/sms?sent=1", "{}", ok.body);
    let again = post_multipart(
        &mut c,
        "/admin/sms",
        &[
            ("_csrf", &csrf),
            ("_form", "f1"),
            ("recipients", "010-5555-0001, 010-5555-0002"),
            ("text", "테스트 문자 입니다."),
        ],
    )
    .await;
    assert_eq!(
        again.location(),
        "/admin/sms?sent=1",
        "a resubmitted form is accepted..."
    );
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    assert_eq!(
        store::repo::sink::recent(&*w.app.store, "sms", 100)
            .await
            .expect("sink")
            .len(),
        1,
        "...and sends once"
    );

    let list = c.get("/admin/sms").await;
    assert!(list.body.contains("1건 검색완료"), "{}", list.body);
    assert!(list.body.contains("010-5555-0001 외 1명") && list.body.contains("50%"));
    let marker = "class=\"btn secondary detail\" href=\"";
    let at = list.body.find(marker).expect("detail link") + marker.len();
    let detail_path = list.body[at..at + list.body[at..].find('"').expect("quote")].to_owned();
    let detail = c.get(&detail_path).await;
    assert!(detail.body.contains("19 / SMS 90byte"));
    assert!(detail.body.contains("메시지 성공 <strong id=\"ok-count\">1</strong>건 실패 <strong id=\"fail-count\">1</strong>건"), "{}", detail.body);
    // Each recipient's own outcome.
    assert!(detail.body.contains("수신자별 결과"));
    assert!(
        detail.body.contains("class=\"delivery delivered\""),
        "{}",
        detail.body
    );
    assert!(detail.body.contains("class=\"delivery failed\""));
    let resent = c
        .post_form(&format!("{detail_path}/resend"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER);
    let new = c.get(resent.location()).await;
    assert!(new.body.contains("재전송"), "linked to the original");
    assert!(
        new.body.contains("010-5555-0002") && !new.body.contains("010-5555-0001"),
        "only the failed recipient"
    );
}

#[tokio::test]
async fn users_send_from_their_own_number_and_see_only_their_messages() {
    let w = world().await;
    let u = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    app::admin::edit_account(
        &w.app,
        &u.tenant,
        u.id.as_str(),
        AccountStatus::Active,
        app::admin::NumberChoice::Set("070-5000-0001".into()),
    )
    .await
    .expect("number");
    let mut c = Client::new(&w.app);
    c.login("kim@tenant-a.example", "user-password-1").await;
    let csrf = c.get("/sms").await.csrf();
    let r = post_multipart(
        &mut c,
        "/sms",
        &[
            ("_csrf", &csrf),
            ("_form", "u1"),
            ("recipients", "010-6666-0001"),
            ("text", "안녕하세요"),
        ],
    )
    .await;
    assert_eq!(r.location(), "/sms?sent=1", "{}", r.body);
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    let sent = store::repo::sink::recent(&*w.app.store, "sms", 10)
        .await
        .expect("sink");
    assert_eq!(sent[0].from, "070-5000-0001");
    assert!(c.get("/sms").await.body.contains("010-6666-0001"));
    // The admin's company history does not list a user's own sends.
    let mut admin = Client::new(&w.app);
    admin.login(&w.admin_a.0, &w.admin_a.1).await;
    assert!(!admin.get("/admin/sms").await.body.contains("010-6666-0001"));
    assert_eq!(c.get("/admin/sms").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn integrators_send_check_status_and_list_with_idempotency() {
    let w = world().await;
    let body =
        json!({"to": ["010-7000-0001", "010-7000-0002"], "text": "[에이] 주문이 접수되었습니다"});
    let a = api(
        &w.app,
        "POST",
        "/v1/messages",
        Some(&w.key_a),
        Some(body.clone()),
        &[("idempotency-key", "order-1")],
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let id = a.json()["id"].as_str().expect("id").to_owned();
    let b = api(
        &w.app,
        "POST",
        "/v1/messages",
        Some(&w.key_a),
        Some(body),
        &[("idempotency-key", "order-1")],
    )
    .await;
    assert_eq!(b.json()["id"], id.as_str(), "same key, same message");
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    let s = api(
        &w.app,
        "GET",
        &format!("/v1/messages/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    let v = s.json();
    assert_eq!(v["delivered"], 2);
    assert_eq!(v["deliveries"][0]["status"], "delivered");
    let xml = api(
        &w.app,
        "GET",
        &format!("/v1/messages/{id}"),
        Some(&w.key_a),
        None,
        &[("accept", "application/xml")],
    )
    .await;
    assert!(xml.body.contains("<status>delivered</status>"));
    assert_eq!(
        store::repo::sink::recent(&*w.app.store, "sms", 10)
            .await
            .expect("sink")
            .len(),
        2
    );
    let bad = api(
        &w.app,
        "POST",
        "/v1/messages",
        Some(&w.key_a),
        Some(json!({"to": ["010-7000-0003"], "text": "😀"})),
        &[],
    )
    .await;
    assert_eq!(bad.json()["code"], "invalid_message");
    let other = api(
        &w.app,
        "GET",
        &format!("/v1/messages/{id}"),
        Some(&w.key_b),
        None,
        &[],
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::NOT_FOUND,
        "another tenant cannot see it"
    );
    let today = domain::calendar::TimeZone::seoul()
        .to_local(store::now_epoch_seconds())
        .expect("now")
        .date;
    let h = api(
        &w.app,
        "GET",
        &format!("/v1/messages?from={today}&to={today}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(h.json()["messages"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn inbound_sms_is_signed_stored_once_and_reaches_the_app() {
    let w = world().await;
    let u = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    app::admin::edit_account(
        &w.app,
        &u.tenant,
        u.id.as_str(),
        AccountStatus::Active,
        app::admin::NumberChoice::Set("070-5000-0001".into()),
    )
    .await
    .expect("number");
    let body = json!({"message_id": "carrier-1", "from": "010-1234-5678", "to": "070-5000-0001", "text": "회의 10분 늦어요"}).to_string();
    let now = store::now_epoch_seconds();
    let post = |sig: String, body: String| {
        let app = w.app.clone();
        async move {
            let mut c = Client::new(&app);
            c.send(
                axum::http::Request::post("/v1/inbound/sms")
                    .header("content-type", "application/json")
                    .header("x-office-signature", sig)
                    .body(axum::body::Body::from(body))
                    .expect("req"),
            )
            .await
        }
    };
    let sig = app::messaging::sign(&w.app.inbound_secret, body.as_bytes(), now);
    assert_eq!(
        post(sig.clone(), body.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        post(sig, body.clone()).await.status,
        StatusCode::OK,
        "a redelivery is accepted once"
    );
    assert_eq!(
        post("t=1,v1=00".into(), body.clone()).await.status,
        StatusCode::UNAUTHORIZED
    );
    let stale = app::messaging::sign(&w.app.inbound_secret, body.as_bytes(), now - 3600);
    assert_eq!(post(stale, body).await.status, StatusCode::UNAUTHORIZED);
    let nobody = json!({"message_id": "carrier-2", "from": "010-1234-5678", "to": "070-5000-0009", "text": "x"}).to_string();
    assert_eq!(
        post(
            app::messaging::sign(&w.app.inbound_secret, nobody.as_bytes(), now),
            nobody
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let token = app::signup::issue_app_token(&w.app, &u)
        .await
        .expect("token");
    let inbox = api(&w.app, "GET", "/v1/app/inbox", Some(&token), None, &[]).await;
    let v = inbox.json();
    assert_eq!(v["messages"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["messages"][0]["text"], "회의 10분 늦어요");
    assert_eq!(v["messages"][0]["from"], "010-1234-5678");
    let list = api(&w.app, "GET", "/v1/inbound/sms", Some(&w.key_a), None, &[]).await;
    let list = list.json();
    assert_eq!(list["messages"][0]["account_id"], u.id.as_str());
    assert_eq!(list["messages"][0]["text"], "회의 10분 늦어요");
    let other = api(&w.app, "GET", "/v1/inbound/sms", Some(&w.key_b), None, &[])
        .await
        .json();
    assert_eq!(
        other["messages"].as_array().map(Vec::len),
        Some(0),
        "tenant B sees none of it"
    );
}

#[tokio::test]
async fn settlement_page_shows_charges_in_won() {
    let w = world().await;
    let t = domain::TenantId::parse("tenant-a").expect("id");
    store::repo::tenants::set_rates(
        &*w.app.store,
        &t,
        domain::sms::Won10(312),
        domain::sms::Won10(0),
        domain::sms::Won10(0),
    )
    .await
    .expect("rates");
    api(
        &w.app,
        "POST",
        "/v1/messages",
        Some(&w.key_a),
        Some(json!({"to": ["010-7100-0001"], "text": "정산 테스트"})),
        &[],
    )
    .await;
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let page = c.get("/admin/settlement").await;
    for label in [
        "SMS 요금",
        "LMS 요금",
        "MMS 요금",
        "총 문자 이용료",
        "31.2원",
    ] {
        assert!(page.body.contains(label), "{label}");
    }
}

#[tokio::test]
async fn ten_thousand_recipients_from_an_excel_file_are_sent_end_to_end() {
    let mut w = world().await;
    // The per-tenant rate limit would spread this over 50 s of real time.
    w.app.sms_rate = 1_000_000;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "수신번호").expect("header");
    for i in 0..10_000u32 {
        sheet
            .write_string(
                i + 1,
                0,
                format!("010-{:04}-{:04}", 3000 + i / 10_000, i % 10_000),
            )
            .expect("cell");
    }
    let xlsx = book.save_to_buffer().expect("xlsx");
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let csrf = c.get("/admin/sms").await.csrf();
    let boundary = "----officebulk42";
    let mut body = Vec::new();
    for (k, v) in [
        ("_csrf", csrf.as_str()),
        ("_form", "bulk-1"),
        ("recipients", ""),
        ("text", "[에이] 대량 안내"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"bulk\"; filename=\"list.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(&xlsx);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = c
        .send(
            axum::http::Request::post("/admin/sms")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(axum::body::Body::from(body))
                .expect("req"),
        )
        .await;
    assert_eq!(r.location(), "/admin/sms?sent=1", "{}", r.body);
    let stats = app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    assert_eq!(stats.delivered, 10_000);
    let page = c.get("/admin/sms").await;
    assert!(
        page.body.contains("외 9999명") && page.body.contains("100%"),
        "history shows the batch"
    );
}

fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    v.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    v.extend_from_slice(&h.to_be_bytes());
    v.extend_from_slice(&w.to_be_bytes());
    v.extend_from_slice(&[0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    v
}

async fn post_files(
    c: &mut Client,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, Vec<u8>)],
) -> common::Resp {
    let boundary = "----officefiles99";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, filename, bytes) in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    c.send(
        axum::http::Request::post(path)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(axum::body::Body::from(body))
            .expect("req"),
    )
    .await
}

#[tokio::test]
async fn bad_excel_rows_are_reported_by_row_and_large_images_are_flagged() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let csrf = c.get("/admin/sms").await.csrf();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, v) in ["수신번호", "010-1111-0001", "02-12", "010-1111-0003"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string(u32::try_from(r).expect("row"), 0, *v)
            .expect("cell");
    }
    let xlsx = book.save_to_buffer().expect("xlsx");
    let r = post_files(
        &mut c,
        "/admin/sms",
        &[("_csrf", &csrf), ("_form", "x1"), ("text", "안내")],
        &[("bulk", "list.xlsx", xlsx.clone())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("엑셀 3행"),
        "the bad row is named by its Excel row"
    );
    assert!(
        r.body
            .contains("010-1111-0001\n02-12\n010-1111-0003</textarea>"),
        "the file's numbers are in 받는사람 to fix: {}",
        r.body
    );
    // Choosing the file fills 받는사람 before sending.
    let filled = post_files(
        &mut c,
        "/admin/sms/bulk",
        &[("_csrf", &csrf), ("recipients", "010-2222-0000")],
        &[("bulk", "list.xlsx", xlsx.clone())],
    )
    .await;
    assert_eq!(filled.status, StatusCode::OK);
    assert!(
        filled
            .body
            .contains("010-2222-0000\n010-1111-0001\n02-12\n010-1111-0003</textarea>"),
        "{}",
        filled.body
    );
    let broken = post_files(
        &mut c,
        "/admin/sms/bulk",
        &[("_csrf", &csrf), ("recipients", "010-2222-0000")],
        &[("bulk", "list.xlsx", b"not a workbook".to_vec())],
    )
    .await;
    assert!(broken.body.contains("bulk-error") && broken.body.contains("010-2222-0000</textarea>"));
    assert!(
        store::repo::sink::recent(&*w.app.store, "sms", 10)
            .await
            .expect("sink")
            .is_empty()
    );

    let r = post_files(
        &mut c,
        "/admin/sms",
        &[
            ("_csrf", &csrf),
            ("_form", "x2"),
            ("recipients", "010-1111-0009"),
            ("text", "사진"),
        ],
        &[("images", "big.jpg", jpeg(1920, 1080))],
    )
    .await;
    assert_eq!(r.location(), "/admin/sms?sent=1&image_size=1", "{}", r.body);
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    let sent = store::repo::sink::recent(&*w.app.store, "sms", 10)
        .await
        .expect("sink");
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].body.contains("[이미지 1개]"),
        "sent as MMS with its image"
    );
    assert!(
        c.get("/admin/sms?sent=1&image_size=1")
            .await
            .body
            .contains("권장 크기(320X240)")
    );
}

#[tokio::test]
async fn the_app_sends_text_from_the_users_number_and_lists_it() {
    let w = world().await;
    let u = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    app::admin::edit_account(
        &w.app,
        &u.tenant,
        u.id.as_str(),
        AccountStatus::Active,
        app::admin::NumberChoice::Set("070-5000-0003".into()),
    )
    .await
    .expect("number");
    let token = app::signup::issue_app_token(&w.app, &u)
        .await
        .expect("token");
    let r = api(
        &w.app,
        "POST",
        "/v1/app/sms",
        Some(&token),
        Some(json!({"to": ["010-4444-0001"], "text": "앱에서 보냅니다"})),
        &[("idempotency-key", "a1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let again = api(
        &w.app,
        "POST",
        "/v1/app/sms",
        Some(&token),
        Some(json!({"to": ["010-4444-0001"], "text": "앱에서 보냅니다"})),
        &[("idempotency-key", "a1")],
    )
    .await;
    assert_eq!(again.json()["id"], r.json()["id"]);
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    let sent = store::repo::sink::recent(&*w.app.store, "sms", 10)
        .await
        .expect("sink");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].from, "070-5000-0003");
    let today = domain::calendar::TimeZone::seoul()
        .to_local(store::now_epoch_seconds())
        .expect("now")
        .date;
    let h = api(
        &w.app,
        "GET",
        &format!("/v1/app/sms?from={today}&to={today}"),
        Some(&token),
        None,
        &[],
    )
    .await
    .json();
    assert_eq!(h["messages"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        api(
            &w.app,
            "POST",
            "/v1/app/sms",
            Some("bogus"),
            Some(json!({"to": [], "text": "x"})),
            &[]
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_admin_tells_the_local_sink_which_numbers_fail_and_resends_them() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let page = c.get("/admin/sms").await;
    assert!(
        page.body.contains("테스트 발송 (로컬 설치)"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let bad = c
        .post_form(
            "/admin/sms/sink",
            &[("_csrf", &csrf), ("numbers", "010-12")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let saved = c
        .post_form(
            "/admin/sms/sink",
            &[("_csrf", &csrf), ("numbers", "010-4444-0002")],
        )
        .await;
    assert_eq!(saved.location(), "/admin/sms?sink=1");
    assert!(
        c.get("/admin/sms?sink=1")
            .await
            .body
            .contains("010-4444-0002")
    );
    let sent = post_multipart(
        &mut c,
        "/admin/sms",
        &[
            ("_csrf", &csrf),
            ("_form", "s1"),
            ("recipients", "010-4444-0001\n010-4444-0002"),
            ("text", "테스트"),
        ],
    )
    .await;
    assert_eq!(sent.location(), "/admin/sms?sent=1", "{}", sent.body);
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    let list = c.get("/admin/sms").await;
    assert!(
        list.body.contains("50%"),
        "one of two failed: {}",
        list.body
    );
    // Fixed: nothing fails any more; the resend of the failed one goes through.
    c.post_form("/admin/sms/sink", &[("_csrf", &csrf), ("numbers", "")])
        .await;
    let marker = "class=\"btn secondary detail\" href=\"";
    let at = list.body.find(marker).expect("detail link") + marker.len();
    let detail = list.body[at..at + list.body[at..].find('"').expect("quote")].to_owned();
    let resent = c
        .post_form(&format!("{detail}/resend"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER);
    app::dispatch::drain(&w.app, now_ms()).await.expect("drain");
    let sink = store::repo::sink::recent(&*w.app.store, "sms", 10)
        .await
        .expect("sink");
    assert_eq!(sink.len(), 2, "the second number, after the resend");
}
