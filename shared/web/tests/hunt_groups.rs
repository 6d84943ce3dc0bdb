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
    assert_eq!(list.json()["hunt_group"].as_array().map(Vec::len), Some(1));
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
    assert_eq!(empty.json()["hunt_group"].as_array().map(Vec::len), Some(0));
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
    assert_eq!(list.json()["hunt_group"].as_array().map(Vec::len), Some(0));
}
