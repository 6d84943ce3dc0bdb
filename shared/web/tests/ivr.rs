//! `/v1/ivr`: ARS scenarios through the API. A valid scenario on the
//! tenant's 대표번호 is stored and read back as JSON or XML; a graph
//! problem gets its code and a Korean message naming the step; numbers
//! must be the tenant's and answer one scenario; destinations must exist.

mod common;

use axum::http::StatusCode;
use common::{api, user, world};
use domain::AccountStatus;
use serde_json::{Value, json};

fn scenario(kim: &str, numbers: &[&str]) -> Value {
    json!({
        "name": "대표번호 안내",
        "numbers": numbers,
        "start": "main",
        "nodes": [
            {"id": "main", "action": {
                "kind": "menu",
                "prompt": {"kind": "tts", "text": "김상담 님은 1번을 누르세요."},
                "options": [{"key": "1", "next": "kim"}],
                "timeout_secs": 5, "retries": 2, "fallback": "bye"}},
            {"id": "kim", "action": {"kind": "route", "to": {"kind": "user", "account": kim}}},
            {"id": "bye", "action": {"kind": "hang_up", "prompt": {"kind": "tts", "text": "감사합니다."}}}
        ]
    })
}

#[tokio::test]
async fn a_scenario_is_stored_read_replaced_and_deleted() {
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
    let kim = kim.id.to_string();
    let body = scenario(&kim, &["02-1234-5678"]);
    let r = api(
        &w.app,
        "POST",
        "/v1/ivr",
        Some(&w.key_a),
        Some(body.clone()),
        &[("idempotency-key", "ivr-1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let again = api(
        &w.app,
        "POST",
        "/v1/ivr",
        Some(&w.key_a),
        Some(body),
        &[("idempotency-key", "ivr-1")],
    )
    .await;
    assert_eq!(
        again.json()["id"],
        id.as_str(),
        "replayed, not created twice"
    );
    let xml = api(
        &w.app,
        "GET",
        &format!("/v1/ivr/{id}"),
        Some(&w.key_a),
        None,
        &[("accept", "application/xml")],
    )
    .await;
    assert!(
        xml.body.contains("<name>대표번호 안내</name>"),
        "{}",
        xml.body
    );
    // The number answers one scenario: another tenant cannot take it.
    let theirs = user(
        &w,
        "tenant-b",
        "남",
        "n@tenant-b.example",
        Some("2001"),
        AccountStatus::Active,
    )
    .await;
    let taken = api(
        &w.app,
        "POST",
        "/v1/ivr",
        Some(&w.key_b),
        Some(scenario(theirs.id.as_str(), &["02-1234-5678"])),
        &[],
    )
    .await;
    assert_eq!(
        (taken.status, taken.json()["code"].as_str()),
        (StatusCode::CONFLICT, Some("ivr_number_taken")),
        "{}",
        taken.body
    );
    assert_eq!(
        api(
            &w.app,
            "GET",
            &format!("/v1/ivr/{id}"),
            Some(&w.key_b),
            None,
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // Replace: no number; then delete frees nothing else.
    let put = api(
        &w.app,
        "PUT",
        &format!("/v1/ivr/{id}"),
        Some(&w.key_a),
        Some(scenario(&kim, &[])),
        &[],
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let now_free = api(
        &w.app,
        "POST",
        "/v1/ivr",
        Some(&w.key_b),
        Some(scenario(theirs.id.as_str(), &["02-1234-5678"])),
        &[],
    )
    .await;
    assert_eq!(
        now_free.status,
        StatusCode::CREATED,
        "the number was let go: {}",
        now_free.body
    );
    let gone = api(
        &w.app,
        "DELETE",
        &format!("/v1/ivr/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let list = api(&w.app, "GET", "/v1/ivr", Some(&w.key_a), None, &[]).await;
    assert_eq!(list.json()["ivr"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn invalid_scenarios_get_a_code_and_a_korean_message_and_change_nothing() {
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
    let kim = kim.id.to_string();
    let mut dead_end = scenario(&kim, &[]);
    dead_end["nodes"][2] = json!({"id": "bye", "action": {"kind": "play", "prompt": {"kind": "tts", "text": "잠시만요"}, "next": "bye"}});
    let mut unknown = scenario(&kim, &[]);
    unknown["nodes"][0]["action"]["options"][0]["next"] = json!("sales");
    let mut nobody = scenario(&"0".repeat(32), &[]);
    nobody["name"] = json!("없는 사람");
    for (body, status, code, says) in [
        (
            dead_end,
            StatusCode::UNPROCESSABLE_ENTITY,
            "ivr_dead_end",
            "단계 bye",
        ),
        (
            unknown,
            StatusCode::UNPROCESSABLE_ENTITY,
            "ivr_unknown_target",
            "다음 단계 sales",
        ),
        (
            nobody,
            StatusCode::UNPROCESSABLE_ENTITY,
            "ivr_destination",
            "단계 kim",
        ),
        (
            scenario(&kim, &["070-9999-9999"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ivr_number",
            "070-9999-9999",
        ),
        (
            scenario(&kim, &["hello"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "ivr_number",
            "전화번호 형식",
        ),
    ] {
        let r = api(&w.app, "POST", "/v1/ivr", Some(&w.key_a), Some(body), &[]).await;
        assert_eq!(
            (r.status, r.json()["code"].as_str()),
            (status, Some(code)),
            "{}",
            r.body
        );
        assert!(r.body.contains(says), "{says}: {}", r.body);
    }
    let list = api(&w.app, "GET", "/v1/ivr", Some(&w.key_a), None, &[]).await;
    assert_eq!(list.json()["ivr"].as_array().map(Vec::len), Some(0));
}
