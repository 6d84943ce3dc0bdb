//! Call history through the router: the user's 통화이력조회 sees only their
//! calls (from their side), the admin's 통화기록 searches the company, the
//! Excel export holds every row, `/v1/calls` pages with a cursor and answers
//! XML, recordings need the permission, and another tenant sees nothing.

mod common;

use axum::http::StatusCode;
use common::{Client, api, user, world};
use domain::AccountStatus;
use store::repo::calls::{self, CallRecord, Direction, Party, Recording};

fn party(a: &domain::Account) -> Party {
    Party {
        number: a
            .extension
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        account: Some(a.id.clone()),
        name: Some(a.name.clone()),
    }
}

fn outside(n: &str) -> Party {
    Party {
        number: n.into(),
        account: None,
        name: None,
    }
}

async fn save(app: &app::App, r: &CallRecord) {
    calls::save_open(&*app.store, r).await.expect("open");
    calls::close(&*app.store, r).await.expect("close");
}

fn call(
    t: &str,
    started_ms: i64,
    direction: Direction,
    caller: Party,
    callee: Party,
    answered: bool,
) -> CallRecord {
    CallRecord {
        tenant: domain::TenantId::parse(t).expect("t"),
        id: calls::new_id(started_ms),
        direction,
        caller,
        callee,
        started_ms,
        answered_ms: answered.then_some(started_ms + 3_000),
        ended_ms: Some(started_ms + 65_000),
        disposition: if answered {
            calls::Disposition::Answered
        } else {
            calls::Disposition::NoAnswer
        },
        cause: None,
        recordings: Vec::new(),
        quality: [None, None],
        edge: "kr".into(),
        previous: None,
        hunt_group: None,
        ivr: None,
        line: None,
        queued_ms: None,
    }
}

#[tokio::test]
async fn histories_exports_and_the_api_show_each_viewer_their_calls() {
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
    let lee = user(
        &w,
        "tenant-a",
        "이서연",
        "lee@a.example",
        Some("1002"),
        AccountStatus::Active,
    )
    .await;
    let now = store::now_epoch_ms();
    // Kim called Lee (answered), an outside caller missed Lee, Kim called out,
    // and 120 more calls between outside numbers and Lee for paging.
    let internal = call(
        "tenant-a",
        now - 3_600_000,
        Direction::Internal,
        party(&kim),
        party(&lee),
        true,
    );
    let missed = call(
        "tenant-a",
        now - 3_000_000,
        Direction::Missed,
        outside("010-9999-0000"),
        party(&lee),
        false,
    );
    let mut out = call(
        "tenant-a",
        now - 2_000_000,
        Direction::Outgoing,
        party(&kim),
        outside("02-555-0101"),
        true,
    );
    out.recordings.push(Recording {
        key: "recordings/tenant-a/x/out-1.wav".into(),
        started_ms: out.started_ms + 4_000,
        duration_ms: 60_000,
    });
    for r in [&internal, &missed, &out] {
        save(&w.app, r).await;
    }
    w.app
        .blobs
        .put(
            &blobs::BlobKey::parse("recordings/tenant-a/x/out-1.wav").expect("key"),
            bytes::Bytes::from_static(b"RIFF....WAVE"),
            "audio/wav",
        )
        .await
        .expect("blob");
    for i in 0..120 {
        save(
            &w.app,
            &call(
                "tenant-a",
                now - 86_400_000 - i * 60_000,
                Direction::Incoming,
                outside(&format!("010-7000-{i:04}")),
                party(&lee),
                true,
            ),
        )
        .await;
    }
    // Another tenant's call.
    let other = call(
        "tenant-b",
        now - 1_000_000,
        Direction::Outgoing,
        outside("1001"),
        outside("02-777-0000"),
        true,
    );
    save(&w.app, &other).await;

    // Lee sees the internal call as 착신 and the missed one as 부재중; not Kim's outside call.
    let mut c = Client::new(&w.app);
    c.login("lee@a.example", "user-password-1").await;
    let page = c.get("/calls").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("착신") && page.body.contains("부재중"),
        "{}",
        page.body
    );
    assert!(page.body.contains("010-9999-0000"));
    assert!(!page.body.contains("02-555-0101"), "not Lee's call");
    assert!(
        page.body.contains("id=\"next-page\""),
        "50 per page, more to come"
    );
    let missed_only = c.get("/calls?direction=missed").await;
    assert!(missed_only.body.contains("010-9999-0000"));
    assert!(!missed_only.body.contains("010-7000-0001"));

    // Kim's own history: 발신 both, with the recording playable (no permission yet: not offered).
    let mut k = Client::new(&w.app);
    k.login("kim@a.example", "user-password-1").await;
    let mine = k.get("/calls").await;
    assert!(mine.body.contains("02-555-0101") && mine.body.contains("발신"));
    assert!(!mine.body.contains("<audio"), "no 녹취 청취 permission");
    let refused = k.get(&format!("/calls/{}/recordings/1", out.id)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut perms = kim.permissions;
    perms.recording_access = true;
    store::repo::accounts::set_permissions(&*w.app.store, &kim.tenant, &kim.id, kim.role, perms)
        .await
        .expect("perms");
    let mine = k.get("/calls").await;
    assert!(mine.body.contains("<audio"), "{}", mine.body);
    let link = k.get(&format!("/calls/{}/recordings/1", out.id)).await;
    assert_eq!(link.status, StatusCode::SEE_OTHER, "{}", link.body);
    let wav = k.get(link.location()).await;
    assert_eq!(wav.bytes, b"RIFF....WAVE");
    // Lee, without the permission, is refused before anything is looked up;
    // with it, a call he was not on does not exist for him.
    let theirs = c.get(&format!("/calls/{}/recordings/1", out.id)).await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    let mut lee_perms = lee.permissions;
    lee_perms.recording_access = true;
    store::repo::accounts::set_permissions(
        &*w.app.store,
        &lee.tenant,
        &lee.id,
        lee.role,
        lee_perms,
    )
    .await
    .expect("perms");
    let theirs = c.get(&format!("/calls/{}/recordings/1", out.id)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // The admin searches the company: by extension, by caller.
    let mut admin = Client::new(&w.app);
    admin.login(&w.admin_a.0, &w.admin_a.1).await;
    let by_ext = admin.get("/admin/calls?number=1001").await;
    assert!(by_ext.body.contains("02-555-0101") && by_ext.body.contains("내선"));
    assert!(!by_ext.body.contains("010-7000-0001"));
    let by_caller = admin.get("/admin/calls?caller=01099990000").await;
    assert!(
        by_caller.body.contains("010-9999-0000"),
        "digits find dashed numbers"
    );
    assert!(!by_caller.body.contains("02-555-0101"));
    assert!(
        !admin.get("/admin/calls").await.body.contains("02-777-0000"),
        "tenant B's call"
    );
    assert_eq!(
        c.get("/admin/calls").await.status,
        StatusCode::FORBIDDEN,
        "users are not admins"
    );

    // The export holds every row of the search, not one page.
    let xlsx = admin.get("/admin/calls/export").await;
    assert_eq!(xlsx.status, StatusCode::OK, "{}", xlsx.body);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes.clone())).expect("xlsx");
    use calamine::Reader as _;
    let sheet = book.worksheet_range("통화이력").expect("sheet");
    assert_eq!(sheet.height(), 1 + 123, "header + every call of tenant A");
    let bad = admin.get("/admin/calls/export?from=2026-13-01").await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a date that does not exist"
    );

    // The API: cursor pages cover everything once; XML; one call; isolation.
    let mut seen = std::collections::HashSet::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(t) => format!("/v1/calls?limit=50&next_token={t}"),
            None => "/v1/calls?limit=50".into(),
        };
        let r = api(&w.app, "GET", &path, Some(&w.key_a), None, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j = r.json();
        for c in j["calls"].as_array().expect("calls") {
            assert!(
                seen.insert(c["id"].as_str().expect("id").to_owned()),
                "once"
            );
        }
        match j["next_token"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 123);
    let xml = api(
        &w.app,
        "GET",
        "/v1/calls?limit=1",
        Some(&w.key_a),
        None,
        &[("accept", "application/xml")],
    )
    .await;
    assert!(
        xml.body.starts_with("<?xml") && xml.body.contains("<call>"),
        "{}",
        xml.body
    );
    let one = api(
        &w.app,
        "GET",
        &format!("/v1/calls/{}", out.id),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(
        one.json()["recording_files"][0]["href"],
        format!("/v1/calls/{}/recordings/1", out.id)
    );
    let url = api(
        &w.app,
        "GET",
        &format!("/v1/calls/{}/recordings/1", out.id),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert!(
        url.json()["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http")),
        "{}",
        url.body
    );
    let isolated = api(
        &w.app,
        "GET",
        &format!("/v1/calls/{}", out.id),
        Some(&w.key_b),
        None,
        &[],
    )
    .await;
    assert_eq!(isolated.status, StatusCode::NOT_FOUND);
    let bad = api(
        &w.app,
        "GET",
        "/v1/calls?direction=sideways",
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(
        (bad.status, bad.json()["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_direction"))
    );
}
