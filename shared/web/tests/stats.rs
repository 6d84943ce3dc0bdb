//! 통계 through the router: call ends published in-process are counted;
//! `/v1/stats` answers them in JSON and XML, filtered by period, unit,
//! direction, extension or number, to its own tenant only; bad questions
//! are refused with a stable code and a key without `stats:read` is
//! refused; the admin's page draws the charts' data and tables and
//! exports the same as .xlsx; users are refused the page.

mod common;

use axum::http::StatusCode;
use common::{Client, api, world};
use domain::TenantId;
use domain::call::{CallRecord, Direction, Disposition, Party};
use domain::event::{Ended, Event, Kind};

/// 2026-11-10 10:00 in Seoul.
const NOV_10: i64 = 1_794_272_400_000;

fn ended(
    t: &str,
    direction: Direction,
    user: &domain::Account,
    at: i64,
    talk_ms: Option<i64>,
) -> Event {
    let outside = Party {
        number: "01098765432".into(),
        ..Party::default()
    };
    let me = Party {
        number: "2001".into(),
        account: Some(user.id.clone()),
        name: Some(user.name.clone()),
    };
    let (caller, callee) = match direction {
        Direction::Outgoing => (me, outside),
        _ => (outside, me),
    };
    let mut r = CallRecord::starting(
        TenantId::parse(t).expect("tenant"),
        direction,
        caller,
        callee,
        at,
        "kr",
    );
    r.line = Some("07050000001".into());
    match talk_ms {
        Some(ms) => {
            r.answered_ms = Some(at + 5_000);
            r.ended_ms = Some(at + 5_000 + ms);
            r.disposition = Disposition::Answered;
        }
        None => {
            r.ended_ms = Some(at + 20_000);
            r.disposition = Disposition::NoAnswer;
        }
    }
    Event::new(r.tenant.clone(), &r.id, 1, at, Kind::Ended(Ended::of(&r)))
}

const PERIOD: &str = "from=2026-11-01&to=2026-11-30";

#[tokio::test]
async fn statistics_are_counted_answered_filtered_exported_and_kept_to_their_tenant() {
    let w = world().await;
    let kim = common::kim(&w).await;
    let events = vec![
        ended("tenant-a", Direction::Incoming, &kim, NOV_10, Some(60_000)),
        ended(
            "tenant-a",
            Direction::Missed,
            &kim,
            NOV_10 + 3_600_000,
            None,
        ),
        ended(
            "tenant-a",
            Direction::Outgoing,
            &kim,
            NOV_10 + 86_400_000,
            Some(120_000),
        ),
    ];
    w.app.events.publish(&events).await.expect("publish");
    // Delivered twice: counted once.
    w.app.events.publish(&events).await.expect("again");

    let get = |path: String, key: String| {
        let app = w.app.clone();
        async move { api(&app, "GET", &path, Some(&key), None, &[]).await }
    };
    let r = get(format!("/v1/stats?{PERIOD}"), w.key_a.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();
    assert_eq!(s["time_zone"], "Asia/Seoul");
    assert_eq!(s["subject"]["figures"]["calls"], 3, "{s}");
    assert_eq!(s["subject"]["figures"]["answered"], 2);
    assert_eq!(s["subject"]["figures"]["missed"], 1);
    assert_eq!(s["subject"]["figures"]["talk_ms"], 180_000);
    assert_eq!(s["subject"]["figures"]["talk_max_ms"], 120_000);
    assert_eq!(s["points"].as_array().map(Vec::len), Some(30));
    assert_eq!(s["points"][9]["label"], "2026-11-10");
    assert_eq!(s["points"][9]["figures"]["calls"], 2);
    assert_eq!(s["users"][0]["label"], "김민수 (2001)");
    assert_eq!(s["users"][0]["figures"]["calls"], 3);
    assert_eq!(s["lines"][0]["label"], "070-5000-0001");

    // Filters: the extension, one direction, by the hour.
    let r = get(
        format!("/v1/stats?{PERIOD}&extension=2001&flow=outbound&grain=month"),
        w.key_a.clone(),
    )
    .await;
    let s = r.json();
    assert_eq!(s["subject"]["label"], "김민수 (2001)", "{s}");
    assert_eq!(s["subject"]["figures"]["calls"], 1);
    assert_eq!(s["points"][0]["label"], "2026-11");
    let r = get(
        "/v1/stats?from=2026-11-10&to=2026-11-10&grain=hour&line=070-5000-0001".into(),
        w.key_a.clone(),
    )
    .await;
    let s = r.json();
    assert_eq!(s["points"].as_array().map(Vec::len), Some(24), "{s}");
    assert_eq!(s["points"][10]["label"], "2026-11-10 10:00");
    assert_eq!(s["points"][10]["figures"]["calls"], 1);
    assert_eq!(s["points"][11]["figures"]["missed"], 1);

    // XML names each item.
    let r = api(
        &w.app,
        "GET",
        &format!("/v1/stats?{PERIOD}"),
        Some(&w.key_a),
        None,
        &[("accept", "application/xml")],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.starts_with("<?xml"), "{}", r.body);
    assert!(r.body.contains("<stats>") && r.body.contains("<point>") && r.body.contains("<user>"));

    // Tenant B sees none of it.
    let r = get(format!("/v1/stats?{PERIOD}"), w.key_b.clone()).await;
    assert_eq!(r.json()["subject"]["figures"]["calls"], 0);
    assert_eq!(r.json()["users"].as_array().map(Vec::len), Some(0));

    // Bad questions: a stable code each, nothing else.
    for (query, status, code) in [
        ("from=2026-13-01", StatusCode::BAD_REQUEST, "invalid_date"),
        ("grain=week", StatusCode::BAD_REQUEST, "invalid_grain"),
        ("flow=sideways", StatusCode::BAD_REQUEST, "invalid_flow"),
        (
            "from=2026-11-30&to=2026-11-01",
            StatusCode::BAD_REQUEST,
            "invalid_period",
        ),
        (
            "from=2025-01-01&to=2026-11-30",
            StatusCode::BAD_REQUEST,
            "period_too_long",
        ),
        (
            "from=2026-10-01&to=2026-11-30&grain=hour",
            StatusCode::BAD_REQUEST,
            "period_too_long",
        ),
        (
            "extension=2001&line=070-5000-0001",
            StatusCode::BAD_REQUEST,
            "one_subject",
        ),
        (
            "extension=9999",
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_extension",
        ),
        (
            "user=nobody",
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_user",
        ),
    ] {
        let r = get(format!("/v1/stats?{query}"), w.key_a.clone()).await;
        assert_eq!(r.status, status, "{query}: {}", r.body);
        assert_eq!(r.json()["code"], code, "{query}");
    }
    let narrow =
        app::operator::create_api_key(&w.app, "tenant-a", "narrow", &["calls:read".into()])
            .await
            .expect("key")
            .secret;
    let r = get(format!("/v1/stats?{PERIOD}"), narrow).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The admin's page: filters, summary, chart data, tables.
    let mut c = Client::new(&w.app);
    let (email, password) = w.admin_a.clone();
    c.login(&email, &password).await;
    let page = c.get(&format!("/admin/stats?{PERIOD}&chart=pie")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for needle in [
        "통계",
        "id=\"chart\"",
        "data-chart=\"pie\"",
        "/assets/echarts.min.js",
        "/assets/stats.js",
        "id=\"stats-data\"",
        "김민수 (2001)",
        "66.7%",
        "사용자별",
        "엑셀 다운로드",
    ] {
        assert!(page.body.contains(needle), "{needle}");
    }
    let bad = c.get("/admin/stats?from=2026-13-01").await;
    assert_eq!(bad.status, StatusCode::OK, "the form stays to be fixed");
    assert!(
        bad.body.contains("날짜는 YYYY-MM-DD 형식으로"),
        "{}",
        bad.body
    );

    // The export: the same figures in a workbook.
    let xlsx = c.get(&format!("/admin/stats/export?{PERIOD}")).await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.body);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes.clone())).expect("xlsx");
    use calamine::Reader as _;
    assert_eq!(
        book.sheet_names(),
        ["기간별", "사용자별", "번호별", "그룹별", "ARS 옵션별"]
    );
    let days = book.worksheet_range("기간별").expect("sheet");
    assert_eq!(days.height(), 1 + 30 + 1, "header, 30 days, total");
    let total = days.get((31, 1)).map(ToString::to_string);
    assert_eq!(total.as_deref(), Some("3"));
    let bad = c.get("/admin/stats/export?grain=week").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // The chart library, gzipped for browsers that take it.
    let mut plain = Client::new(&w.app);
    let js = plain.get("/assets/echarts.min.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.body.contains("echarts"),
        "inflated for a client without gzip"
    );
    assert!(
        c.get("/assets/stats.js")
            .await
            .body
            .contains("echarts.init")
    );

    // A user is not an admin.
    let mut u = Client::new(&w.app);
    u.login("kim@tenant-a.example", "user-password-1").await;
    assert_eq!(u.get("/admin/stats").await.status, StatusCode::FORBIDDEN);
}
