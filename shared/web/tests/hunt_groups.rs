//! `/v1/hunt-groups`: create, read, replace and delete hunt groups as JSON
//! or XML; invalid groups get a stable code and change nothing; one tenant
//! never sees another's; a write repeated with its idempotency key happens once.

mod common;

use axum::http::StatusCode;
use common::{api, user, world};
use domain::AccountStatus;
use serde_json::json;

#[tokio::test]
async fn a_group_is_created_read_replaced_and_deleted() {
    let w = world().await;
    let a = user(
        &w,
        "tenant-a",
        "상담원1",
        "c1@tenant-a.example",
        Some("2001"),
        AccountStatus::Active,
    )
    .await;
    let b = user(
        &w,
        "tenant-a",
        "상담원2",
        "c2@tenant-a.example",
        Some("2002"),
        AccountStatus::Active,
    )
    .await;
    let body = json!({
        "name": "상담팀",
        "extension": "3000",
        "strategy": "rrmemory",
        "members": [{"account": a.id.to_string()}, {"account": b.id.to_string(), "penalty": 1, "ring_timeout_secs": 30}],
        "wrapup_secs": 10,
        "overflow": {"kind": "voicemail", "account": a.id.to_string()}
    });
    let key = [("idempotency-key", "group-1")];
    let created = api(
        &w.app,
        "POST",
        "/v1/hunt-groups",
        Some(&w.key_a),
        Some(body.clone()),
        &key,
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let g = created.json();
    let id = g["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (
            g["strategy"].as_str(),
            g["members"][1]["penalty"].as_u64(),
            g["ring_timeout_secs"].as_u64()
        ),
        (Some("rrmemory"), Some(1), Some(20))
    );
    // The same request again: the same group, not a second one.
    let again = api(
        &w.app,
        "POST",
        "/v1/hunt-groups",
        Some(&w.key_a),
        Some(body),
        &key,
    )
    .await;
    assert_eq!(again.json()["id"], g["id"]);
    let list = api(&w.app, "GET", "/v1/hunt-groups", Some(&w.key_a), None, &[]).await;
    assert_eq!(list.json()["hunt_groups"].as_array().map(Vec::len), Some(1));
    // XML on request.
    let xml = api(
        &w.app,
        "GET",
        &format!("/v1/hunt-groups/{id}"),
        Some(&w.key_a),
        None,
        &[("accept", "application/xml")],
    )
    .await;
    assert_eq!(xml.status, StatusCode::OK);
    assert!(
        xml.body.contains("<strategy>rrmemory</strategy>"),
        "{}",
        xml.body
    );
    // Another tenant sees nothing.
    let theirs = api(
        &w.app,
        "GET",
        &format!("/v1/hunt-groups/{id}"),
        Some(&w.key_b),
        None,
        &[],
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let empty = api(&w.app, "GET", "/v1/hunt-groups", Some(&w.key_b), None, &[]).await;
    assert_eq!(
        empty.json()["hunt_groups"].as_array().map(Vec::len),
        Some(0)
    );
    // A member pauses and resumes; someone outside the group cannot.
    let pause = |who: String, paused: bool| {
        let (app, key, id) = (w.app.clone(), w.key_a.clone(), id.clone());
        async move {
            api(
                &app,
                "PUT",
                &format!("/v1/hunt-groups/{id}/members/{who}/paused"),
                Some(&key),
                Some(json!({ "paused": paused })),
                &[],
            )
            .await
        }
    };
    let r = pause(b.id.to_string(), true).await;
    assert_eq!(
        (r.status, r.json()["paused"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{}",
        r.body
    );
    let r = pause("0".repeat(32), true).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // Replace: one member, ring all.
    let put = api(
        &w.app,
        "PUT",
        &format!("/v1/hunt-groups/{id}"),
        Some(&w.key_a),
        Some(json!({"name": "상담1팀", "extension": "3000", "strategy": "ringall", "members": [{"account": b.id.to_string()}]})),
        &[],
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.json()["members"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        put.json()["overflow"]["kind"],
        "voicemail",
        "kept when left out"
    );
    let gone = api(
        &w.app,
        "DELETE",
        &format!("/v1/hunt-groups/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let after = api(
        &w.app,
        "GET",
        &format!("/v1/hunt-groups/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invalid_groups_get_a_stable_code_and_change_nothing() {
    let w = world().await;
    let a = user(
        &w,
        "tenant-a",
        "상담원1",
        "c1@tenant-a.example",
        Some("2001"),
        AccountStatus::Active,
    )
    .await;
    let other = user(
        &w,
        "tenant-b",
        "남",
        "x@tenant-b.example",
        Some("2001"),
        AccountStatus::Active,
    )
    .await;
    let member = |id: &domain::AccountId| json!([{"account": id.to_string()}]);
    for (body, status, code) in [
        (
            json!({"name": "팀", "extension": "2001", "members": member(&a.id)}),
            StatusCode::CONFLICT,
            "extension_taken",
        ),
        (
            json!({"name": "팀", "strategy": "roundrobin", "members": member(&a.id)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "hunt_group_strategy",
        ),
        (
            json!({"name": "팀", "members": member(&other.id)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "hunt_group_member",
        ),
        (
            json!({"name": "팀", "members": member(&a.id), "wrapup_secs": 99999}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "hunt_group_wrapup",
        ),
        (
            json!({"name": "", "members": member(&a.id)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "hunt_group_name",
        ),
        (
            json!({"name": "팀", "members": "everyone"}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
    ] {
        let r = api(
            &w.app,
            "POST",
            "/v1/hunt-groups",
            Some(&w.key_a),
            Some(body),
            &[],
        )
        .await;
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (status, Some(code)),
            "{}",
            r.body
        );
    }
    let list = api(&w.app, "GET", "/v1/hunt-groups", Some(&w.key_a), None, &[]).await;
    assert_eq!(list.json()["hunt_groups"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn the_admin_sets_up_a_group_in_the_portal_and_sees_errors_in_korean() {
    let w = world().await;
    let kim = user(
        &w,
        "tenant-a",
        "김상담",
        "kim@tenant-a.example",
        Some("2001"),
        AccountStatus::Active,
    )
    .await;
    let lee = user(
        &w,
        "tenant-a",
        "이상담",
        "lee@tenant-a.example",
        Some("2002"),
        AccountStatus::Active,
    )
    .await;
    let mut c = common::Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let empty = c.get("/admin/hunt-groups").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("착신그룹이 없습니다"), "{}", empty.body);
    let csrf = c.get("/admin/hunt-groups/new").await.csrf();
    let (mk, ml) = (format!("member_{}", kim.id), format!("member_{}", lee.id));
    let (pl, tl) = (format!("penalty_{}", lee.id), format!("timeout_{}", lee.id));
    // A user's extension: refused, in Korean, the form kept as typed.
    let taken = c
        .post_form(
            "/admin/hunt-groups",
            &[
                ("_csrf", &csrf),
                ("name", "상담팀"),
                ("extension", "2001"),
                ("strategy", "linear"),
                (&mk, "1"),
                (&ml, "1"),
                (&pl, "2"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(
        taken.body.contains("이미 사용 중인 내선번호입니다"),
        "{}",
        taken.body
    );
    assert!(taken.body.contains("value=\"상담팀\""), "kept as typed");
    // A ring time out of range.
    let short = c
        .post_form(
            "/admin/hunt-groups",
            &[
                ("_csrf", &csrf),
                ("name", "상담팀"),
                ("extension", "3000"),
                (&mk, "1"),
                (&ml, "1"),
                (&tl, "2"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.body.contains("호출 시간은 5~300초 사이여야 합니다"),
        "{}",
        short.body
    );
    assert!(
        c.get("/admin/hunt-groups")
            .await
            .body
            .contains("착신그룹이 없습니다")
    );
    // Saved: the list reads as the group rings.
    let saved = c
        .post_form(
            "/admin/hunt-groups",
            &[
                ("_csrf", &csrf),
                ("name", "상담팀"),
                ("extension", "3000"),
                ("strategy", "linear"),
                (&mk, "1"),
                (&ml, "1"),
                (&pl, "2"),
                (&tl, "30"),
                ("wrapup_secs", "15"),
                ("overflow", &format!("voicemail:{}", kim.id)),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let list = c.get("/admin/hunt-groups?saved=1").await;
    for text in [
        "상담팀",
        "내선 3000",
        "순차 호출 (항상 처음부터)",
        "이상담 · 우선순위 2 · 30초 호출",
        "김상담 · 20초 호출",
        "후처리 15초",
        "김상담의 음성사서함",
    ] {
        assert!(list.body.contains(text), "{text}: {}", list.body);
    }
    let g = app::hunt::list(&w.app, &kim.tenant).await.expect("list");
    assert_eq!(g.len(), 1);
    // 일시정지 from the list, then 재개.
    let pause_url = format!("/admin/hunt-groups/{}/members/{}/pause", g[0].id, lee.id);
    let r = c
        .post_form(&pause_url, &[("_csrf", &csrf), ("paused", "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = c.get("/admin/hunt-groups").await;
    assert!(
        list.body.contains("<strong>일시정지</strong>") && list.body.contains("재개"),
        "{}",
        list.body
    );
    assert_eq!(
        app::hunt::paused(&w.app, &g[0]).await.expect("paused"),
        vec![lee.id.clone()]
    );
    c.post_form(&pause_url, &[("_csrf", &csrf), ("paused", "0")])
        .await;
    assert!(
        app::hunt::paused(&w.app, &g[0])
            .await
            .expect("paused")
            .is_empty()
    );
    // Edit shows it; another tenant's admin gets nothing; delete removes it.
    let edit = c.get(&format!("/admin/hunt-groups/{}", g[0].id)).await;
    assert!(edit.body.contains("value=\"3000\""), "{}", edit.body);
    let mut other = common::Client::new(&w.app);
    other.login(&w.admin_b.0, &w.admin_b.1).await;
    let theirs = other.get(&format!("/admin/hunt-groups/{}", g[0].id)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert!(
        !other
            .get("/admin/hunt-groups")
            .await
            .body
            .contains("상담팀")
    );
    let gone = c
        .post_form(
            &format!("/admin/hunt-groups/{}/delete", g[0].id),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(
        app::hunt::list(&w.app, &kim.tenant)
            .await
            .expect("list")
            .is_empty()
    );
}
