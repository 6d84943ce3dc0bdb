//! 통화시간설정 (U4) through the portal; saved settings answer the media
//! edge's "open now?" at once (C7).

mod common;

use axum::http::StatusCode;
use common::{Client, user, world};
use domain::AccountStatus;
use domain::hours::{Openness, Reason};

/// 2027-01-09 (Saturday) 10:00 KST, as Unix seconds.
const SAT_10_KST: i64 = 1_799_456_400;

fn week(c: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f = vec![
        ("_csrf".to_owned(), c.to_owned()),
        ("mode".into(), "on".into()),
        ("auto".into(), "1".into()),
    ];
    for i in 0..7 {
        if i >= 5 {
            f.push((format!("d{i}_off"), "1".into()));
        } else {
            for (k, v) in [
                ("ws", "09:00"),
                ("we", "18:00"),
                ("ls", "12:00"),
                ("le", "13:00"),
            ] {
                f.push((format!("d{i}_{k}"), v.into()));
            }
        }
    }
    for (k, v) in extra {
        f.retain(|(name, _)| name != k);
        if !v.is_empty() {
            f.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    f
}

async fn post(c: &mut Client, path: &str, f: &[(String, String)]) -> common::Resp {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    c.post_form(path, &pairs).await
}

#[tokio::test]
async fn a_saturday_shift_takes_effect_on_the_next_call() {
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
    let mut c = Client::new(&w.app);
    c.login("kim@tenant-a.example", "user-password-1").await;
    let page = c.get("/hours").await;
    assert_eq!(page.status, StatusCode::OK);
    for label in [
        "업무시간 설정",
        "공휴일설정",
        "요일별설정",
        "일괄적용",
        "공휴일 자동 설정",
    ] {
        assert!(page.body.contains(label), "{label}");
    }
    let csrf = page.csrf();
    let ask = || app::hours::open_at_instant(&w.app, &u.tenant, &u.id, SAT_10_KST);
    assert_eq!(
        ask().await.expect("open?"),
        Openness::Closed(Reason::WeeklyHoliday),
        "OFF: Saturday closed"
    );

    // Saturday 10:00–14:00.
    let r = post(
        &mut c,
        "/hours",
        &week(
            &csrf,
            &[("d5_off", ""), ("d5_ws", "10:00"), ("d5_we", "14:00")],
        ),
    )
    .await;
    assert_eq!(r.location(), "/hours?saved=1", "{}", r.body);
    assert_eq!(ask().await.expect("open?"), Openness::Open);

    // End before start: refused, in Korean, and nothing changes.
    let bad = post(
        &mut c,
        "/hours",
        &week(
            &csrf,
            &[("d5_off", ""), ("d5_ws", "14:00"), ("d5_we", "10:00")],
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("토요일: 업무 종료 시각은 시작 시각보다 늦어야 합니다"),
        "{}",
        bad.body
    );
    let lunch = post(
        &mut c,
        "/hours",
        &week(&csrf, &[("d0_ls", "08:00"), ("d0_le", "09:30")]),
    )
    .await;
    assert!(
        lunch
            .body
            .contains("점심시간은 업무시간 안에 있어야 합니다")
    );
    assert_eq!(ask().await.expect("open?"), Openness::Open);

    // 일괄적용 copies the template to every working day, Saturday included.
    let r = post(
        &mut c,
        "/hours",
        &[
            week(
                &csrf,
                &[("d5_off", ""), ("d5_ws", "10:00"), ("d5_we", "14:00")],
            ),
            vec![
                ("apply_all".into(), "1".into()),
                ("tpl_ws".into(), "11:00".into()),
                ("tpl_we".into(), "20:00".into()),
                ("tpl_ls".into(), "".into()),
                ("tpl_le".into(), "".into()),
            ],
        ]
        .concat(),
    )
    .await;
    assert_eq!(r.location(), "/hours?saved=1", "{}", r.body);
    assert_eq!(
        ask().await.expect("open?"),
        Openness::Closed(Reason::AfterHours),
        "10:00 is before 11:00 now"
    );

    // Own holiday on that Saturday.
    let r = c
        .post_form(
            "/hours/holidays",
            &[("_csrf", &csrf), ("date", "2027-01-09"), ("op", "add")],
        )
        .await;
    assert_eq!(r.location(), "/hours?saved=1");
    assert_eq!(
        ask().await.expect("open?"),
        Openness::Closed(Reason::OwnHoliday)
    );
    let bad_date = c
        .post_form(
            "/hours/holidays",
            &[("_csrf", &csrf), ("date", "2027-13-40"), ("op", "add")],
        )
        .await;
    assert_eq!(bad_date.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The day is listed with an × button that removes it; 일괄적용 only fills the form.
    let page = c.get("/hours").await;
    assert!(
        page.body.contains("name=\"remove\" value=\"2027-01-09\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("type=\"button\" class=\"secondary\" id=\"apply-all\"")
    );
    let r = c
        .post_form(
            "/hours/holidays",
            &[("_csrf", &csrf), ("remove", "2027-01-09")],
        )
        .await;
    assert_eq!(r.location(), "/hours?saved=1");
    assert_ne!(
        ask().await.expect("open?"),
        Openness::Closed(Reason::OwnHoliday)
    );
    c.post_form(
        "/hours/holidays",
        &[("_csrf", &csrf), ("date", "2027-01-09"), ("op", "add")],
    )
    .await;

    // Back to OFF: the standard week and public holidays (2027-02-09 is 대체공휴일).
    post(
        &mut c,
        "/hours",
        &[
            ("_csrf".to_owned(), csrf.clone()),
            ("mode".into(), "off".into()),
        ],
    )
    .await;
    let holiday = app::hours::open_at_instant(&w.app, &u.tenant, &u.id, 1_802_134_800)
        .await
        .expect("open?");
    assert_eq!(
        holiday,
        Openness::Closed(Reason::PublicHoliday("대체공휴일".into()))
    );
    let forged = c.post_form("/hours", &[("mode", "on")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// A branch in Los Angeles keeps 09:00–18:00 there, summer and winter.
#[tokio::test]
async fn a_user_abroad_keeps_hours_in_their_own_time_zone() {
    // Wednesdays: 10:00 PDT (17:00 UTC, 02:00 Thursday in Seoul), 10:00
    // PST (18:00 UTC) and 08:30 PST (16:30 UTC).
    const SUMMER_10_LA: i64 = 1_814_979_600;
    const WINTER_10_LA: i64 = 1_799_258_400;
    const WINTER_0830_LA: i64 = 1_799_253_000;
    let w = world().await;
    let u = user(
        &w,
        "tenant-a",
        "박지사",
        "park@tenant-a.example",
        None,
        AccountStatus::Active,
    )
    .await;
    let mut c = Client::new(&w.app);
    c.login("park@tenant-a.example", "user-password-1").await;
    let page = c.get("/hours").await;
    assert!(page.body.contains("시간대") && page.body.contains("value=\"Asia/Seoul\""));
    let csrf = page.csrf();
    let open = |at: i64| {
        let (app, u) = (w.app.clone(), u.clone());
        async move {
            app::hours::open_at_instant(&app, &u.tenant, &u.id, at)
                .await
                .expect("open?")
                .is_open()
        }
    };
    // Saved in Seoul's zone: 02:00 on Thursday is closed.
    let r = post(&mut c, "/hours", &week(&csrf, &[])).await;
    assert_eq!(r.location(), "/hours?saved=1", "{}", r.body);
    assert!(!open(SUMMER_10_LA).await);

    // An unknown zone is refused by name and changes nothing.
    let bad = post(
        &mut c,
        "/hours",
        &week(&csrf, &[("time_zone", "Mars/Olympus")]),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("알 수 없는 시간대입니다: Mars/Olympus"),
        "{}",
        bad.body
    );
    assert!(!open(SUMMER_10_LA).await);

    let r = post(
        &mut c,
        "/hours",
        &week(&csrf, &[("time_zone", "America/Los_Angeles")]),
    )
    .await;
    assert_eq!(r.location(), "/hours?saved=1", "{}", r.body);
    assert!(open(SUMMER_10_LA).await, "10:00 PDT");
    assert!(open(WINTER_10_LA).await, "10:00 PST");
    assert!(!open(WINTER_0830_LA).await, "08:30 PST");
    assert!(
        c.get("/hours")
            .await
            .body
            .contains("value=\"America/Los_Angeles\"")
    );

    // The API shows and takes the zone too.
    let path = format!("/v1/accounts/{}/hours", u.id);
    let got = common::api(&w.app, "GET", &path, Some(&w.key_a), None, &[]).await;
    let mut settings = got.json()["settings"].clone();
    assert_eq!(settings["time_zone"], "America/Los_Angeles", "{}", got.body);
    settings["time_zone"] = "Asia/Ho_Chi_Minh".into();
    let put = common::api(&w.app, "PUT", &path, Some(&w.key_a), Some(settings), &[]).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.json()["settings"]["time_zone"], "Asia/Ho_Chi_Minh");
}
