//! The company's time zone (회사 설정, `/v1/company`) and what reads it:
//! an unknown name is refused and changes nothing; after a move, the
//! admin's 통화기록, its Excel export and `/v1/calls` show and search days
//! and times in the new zone, a user with their own zone sees theirs, and
//! the SMS history's days follow the zone.

mod common;

use axum::http::StatusCode;
use common::{Client, api, user, world};
use domain::AccountStatus;
use domain::calendar::TimeZone;
use serde_json::json;
use store::repo::calls::{self, CallRecord, Direction, Disposition, Party};

/// 2026-07-02 03:00 UTC: 20:00 on 1 July in Los Angeles (PDT), noon on
/// 2 July in Seoul, 10:00 on 2 July in Ho Chi Minh City.
const CALL_MS: i64 = 1_782_961_200_000;

async fn company_zone(w: &common::World) -> serde_json::Value {
    let r = api(&w.app, "GET", "/v1/company", Some(&w.key_a), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["time_zone"].clone()
}

#[tokio::test]
async fn a_company_moves_to_los_angeles_and_reads_its_calls_there() {
    let w = world().await;
    let kim = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@a.example",
        Some("1001"),
        AccountStatus::Active,
    )
    .await;
    let mut r = CallRecord::starting(
        kim.tenant.clone(),
        Direction::Outgoing,
        Party {
            number: "1001".into(),
            account: Some(kim.id.clone()),
            name: Some(kim.name.clone()),
        },
        Party {
            number: "02-555-0101".into(),
            account: None,
            name: None,
        },
        CALL_MS,
        "kr",
    );
    r.answered_ms = Some(CALL_MS + 3_000);
    r.ended_ms = Some(CALL_MS + 63_000);
    r.disposition = Disposition::Answered;
    calls::save_open(&*w.app.store, &r).await.expect("open");
    calls::close(&*w.app.store, &r).await.expect("close");

    let mut admin = Client::new(&w.app);
    admin.login(&w.admin_a.0, &w.admin_a.1).await;
    let page = admin.get("/admin/company").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"Asia/Seoul\""), "{}", page.body);
    assert!(
        page.body.contains("id=\"join-code\""),
        "employees join with it"
    );
    let csrf = page.csrf();
    let seoul_day = admin
        .get("/admin/calls?from=2026-07-02&to=2026-07-02")
        .await;
    assert!(
        seoul_day.body.contains("2026-07-02 12:00:00"),
        "{}",
        seoul_day.body
    );

    // Unknown or empty names: refused in Korean, the typed value kept, nothing changed.
    for (typed, says) in [
        ("Mars/Olympus", "알 수 없는 시간대입니다: Mars/Olympus"),
        ("  ", "시간대를 입력해 주세요"),
    ] {
        let bad = admin
            .post_form("/admin/company", &[("_csrf", &csrf), ("time_zone", typed)])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.body.contains(says), "{}", bad.body);
        assert!(bad.body.contains("aria-invalid=\"true\""));
        assert_eq!(company_zone(&w).await, "Asia/Seoul");
    }
    let no_csrf = admin
        .post_form("/admin/company", &[("time_zone", "UTC")])
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert_eq!(company_zone(&w).await, "Asia/Seoul");

    let saved = admin
        .post_form(
            "/admin/company",
            &[("_csrf", &csrf), ("time_zone", "america/los_angeles")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        company_zone(&w).await,
        "America/Los_Angeles",
        "as the tz database spells it"
    );

    // The call is on 1 July now, at 20:00, in the page, the export and the API.
    let la_day = admin
        .get("/admin/calls?from=2026-07-01&to=2026-07-01")
        .await;
    assert!(
        la_day.body.contains("2026-07-01 20:00:00"),
        "{}",
        la_day.body
    );
    let next_day = admin
        .get("/admin/calls?from=2026-07-02&to=2026-07-02")
        .await;
    assert!(
        !next_day.body.contains("02-555-0101"),
        "not on 2 July in Los Angeles"
    );
    let xlsx = admin
        .get("/admin/calls/export?from=2026-07-01&to=2026-07-01")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.body);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes.clone())).expect("xlsx");
    use calamine::Reader as _;
    let sheet = book.worksheet_range("통화이력").expect("sheet");
    assert_eq!(sheet.height(), 2);
    assert_eq!(
        sheet.get((1, 5)).map(ToString::to_string).as_deref(),
        Some("2026-07-01 20:00:00")
    );
    let listed = api(
        &w.app,
        "GET",
        "/v1/calls?from=2026-07-01&to=2026-07-01",
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(
        listed.json()["calls"][0]["started_at"],
        "2026-07-01 20:00:00"
    );
    let one = api(
        &w.app,
        "GET",
        &format!("/v1/calls/{}", r.id),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(
        one.json()["started_at"],
        "2026-07-01 20:00:00",
        "{}",
        one.body
    );

    // Kim works from Ho Chi Minh City: his own history is in his zone.
    let hours = api(
        &w.app,
        "PUT",
        &format!("/v1/accounts/{}/hours", kim.id),
        Some(&w.key_a),
        Some(json!({"on": false, "auto_public_holidays": true, "time_zone": "Asia/Ho_Chi_Minh"})),
        &[],
    )
    .await;
    assert_eq!(hours.status, StatusCode::OK, "{}", hours.body);
    let mut k = Client::new(&w.app);
    k.login("kim@a.example", "user-password-1").await;
    let mine = k.get("/calls?from=2026-07-02&to=2026-07-02").await;
    assert!(mine.body.contains("2026-07-02 10:00:00"), "{}", mine.body);
    assert!(
        !k.get("/calls?from=2026-07-01&to=2026-07-01")
            .await
            .body
            .contains("02-555-0101")
    );
}

#[tokio::test]
async fn the_api_moves_the_company_and_refuses_what_is_not_a_zone() {
    let w = world().await;
    let got = api(&w.app, "GET", "/v1/company", Some(&w.key_a), None, &[]).await;
    assert_eq!(got.json()["name"], "(주)에이");
    assert_eq!(got.json()["time_zone"], "Asia/Seoul");

    for (body, code) in [
        (json!({"time_zone": "Nowhere/Else"}), "invalid_time_zone"),
        (json!({"time_zone": ""}), "invalid_time_zone"),
        (json!({"time_zone": 9}), "invalid_body"),
        (json!({"zone": "UTC"}), "invalid_body"),
    ] {
        let r = api(
            &w.app,
            "PATCH",
            "/v1/company",
            Some(&w.key_a),
            Some(body),
            &[],
        )
        .await;
        assert_eq!(r.status.as_u16() / 100, 4, "{}", r.body);
        assert_eq!(r.json()["code"], code, "{}", r.body);
        assert_eq!(company_zone(&w).await, "Asia/Seoul");
    }
    let read_only =
        app::operator::create_api_key(&w.app, "tenant-a", "read", &["accounts:read".to_owned()])
            .await
            .expect("key")
            .secret;
    let r = api(
        &w.app,
        "PATCH",
        "/v1/company",
        Some(&read_only),
        Some(json!({"time_zone": "UTC"})),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A retry with the same key is answered once; the other tenant is untouched.
    for _ in 0..2 {
        let r = api(
            &w.app,
            "PATCH",
            "/v1/company",
            Some(&w.key_a),
            Some(json!({"time_zone": "Pacific/Kiritimati"})),
            &[("idempotency-key", "move-1")],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.json()["time_zone"], "Pacific/Kiritimati");
    }
    let b = api(&w.app, "GET", "/v1/company", Some(&w.key_b), None, &[]).await;
    assert_eq!(b.json()["time_zone"], "Asia/Seoul");

    // SMS history days follow the zone. Kiritimati (UTC+14) and Pago Pago
    // (UTC-11) are 25 hours apart: a message sent now is on different
    // dates in the two, and found on its own date in each.
    let sent = api(
        &w.app,
        "POST",
        "/v1/messages",
        Some(&w.key_a),
        Some(json!({"to": ["010-7000-0001"], "text": "시간대 확인"})),
        &[],
    )
    .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.body);
    let now = store::now_epoch_ms();
    let count_on = |day: String| {
        let app = w.app.clone();
        let key = w.key_a.clone();
        async move {
            let h = api(
                &app,
                "GET",
                &format!("/v1/messages?from={day}&to={day}"),
                Some(&key),
                None,
                &[],
            )
            .await;
            assert_eq!(h.status, StatusCode::OK, "{}", h.body);
            h.json()["messages"].as_array().map_or(0, Vec::len)
        }
    };
    let kiritimati = TimeZone::parse("Pacific/Kiritimati").expect("zone");
    let pago = TimeZone::parse("Pacific/Pago_Pago").expect("zone");
    let (k_day, p_day) = (
        kiritimati.date_of_ms(now).expect("day"),
        pago.date_of_ms(now).expect("day"),
    );
    assert_ne!(k_day, p_day);
    assert_eq!(count_on(k_day.to_string()).await, 1);
    assert_eq!(count_on(p_day.to_string()).await, 0);
    let moved = api(
        &w.app,
        "PATCH",
        "/v1/company",
        Some(&w.key_a),
        Some(json!({"time_zone": "Pacific/Pago_Pago"})),
        &[],
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(count_on(p_day.to_string()).await, 1);
    assert_eq!(count_on(k_day.to_string()).await, 0);
}
