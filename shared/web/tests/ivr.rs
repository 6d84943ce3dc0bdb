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
    assert_eq!(list.json()["ivrs"].as_array().map(Vec::len), Some(0));
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
    assert_eq!(list.json()["ivrs"].as_array().map(Vec::len), Some(0));
}

/// A 16-bit PCM mono WAV of a 440 Hz tone at `rate`.
fn tone(rate: u32, millis: u32) -> Vec<u8> {
    let n = rate * millis / 1000;
    let data = n * 2;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for i in 0..n {
        let x = (f64::from(i) * 440.0 * std::f64::consts::TAU / f64::from(rate)).sin();
        out.extend_from_slice(&((x * 8000.0) as i16).to_le_bytes());
    }
    out
}

fn rate_of(wav: &[u8]) -> u32 {
    assert_eq!(&wav[..4], b"RIFF", "a WAV");
    u32::from_le_bytes(wav[24..28].try_into().expect("four bytes"))
}

async fn upload(
    w: &common::World,
    bytes: Vec<u8>,
    ctype: &str,
    extra: &[(&str, &str)],
) -> common::Resp {
    let mut b = axum::http::Request::post("/v1/ivr/prompts")
        .header("authorization", format!("Bearer {}", w.key_a))
        .header("content-type", ctype);
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    common::Client::new(&w.app)
        .send(b.body(axum::body::Body::from(bytes)).expect("request"))
        .await
}

#[tokio::test]
async fn an_uploaded_44k1_wav_comes_back_as_an_8k_wav() {
    let w = world().await;
    let key = [("idempotency-key", "prompt-1")];
    let r = upload(&w, tone(44_100, 1200), "audio/wav", &key).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let ms = r.json()["duration_ms"].as_u64().expect("duration");
    assert!((1190..=1210).contains(&ms), "{}", r.body);
    let again = upload(&w, tone(44_100, 1200), "audio/wav", &key).await;
    assert_eq!(
        again.json()["id"],
        id.as_str(),
        "replayed, not stored twice"
    );
    let other = upload(&w, tone(44_100, 900), "audio/x-wav", &key).await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    let xml = upload(
        &w,
        tone(16_000, 500),
        "audio/wav",
        &[("accept", "application/xml")],
    )
    .await;
    assert!(
        xml.body.contains("<duration_ms>500</duration_ms>"),
        "{}",
        xml.body
    );

    let got = api(
        &w.app,
        "GET",
        &format!("/v1/ivr/prompts/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.headers["content-type"], "audio/wav");
    assert_eq!(rate_of(&got.bytes), 8000);
    assert_eq!(got.bytes.len(), 44 + 2 * 8000 * 1200 / 1000);
    let theirs = api(
        &w.app,
        "GET",
        &format!("/v1/ivr/prompts/{id}"),
        Some(&w.key_b),
        None,
        &[],
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "another tenant's");

    // A scenario may now name it.
    let mut body = scenario(&"0".repeat(32), &[]);
    body["nodes"] = json!([{"id": "bye", "action": {"kind": "hang_up", "prompt": {"kind": "audio", "id": id}}}]);
    body["start"] = json!("bye");
    let r = api(&w.app, "POST", "/v1/ivr", Some(&w.key_a), Some(body), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn garbage_is_a_400_with_audio_format_and_stores_nothing() {
    let w = world().await;
    let r = upload(&w, b"GIF89a not a recording".repeat(50), "audio/mpeg", &[]).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("audio_format")),
        "{}",
        r.body
    );
    assert!(r.body.contains("WAV 또는 MP3"), "{}", r.body);
    let short = upload(&w, tone(8000, 50), "audio/wav", &[]).await;
    assert_eq!(
        (short.status, short.json()["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("audio_empty")),
        "{}",
        short.body
    );
    let json_body = upload(&w, tone(8000, 500), "application/json", &[]).await;
    assert_eq!(json_body.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = upload(
        &w,
        vec![0; app::ivr::MAX_UPLOAD_BYTES + 1],
        "audio/wav",
        &[],
    )
    .await;
    assert_eq!(
        (big.status, big.json()["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("audio_too_large")),
        "{}",
        big.body
    );
    let listed = w.app.blobs.list("ivr-prompts/").await.expect("list");
    assert!(listed.is_empty(), "{listed:?}");
}

#[tokio::test]
async fn prompts_need_the_ivr_scopes() {
    let w = world().await;
    let t = domain::TenantId::parse("tenant-a").expect("tenant");
    let read_only = app::operator::create_api_key(&w.app, t.as_str(), "ro", &["ivr:read".into()])
        .await
        .expect("key")
        .secret;
    let mut c = common::Client::new(&w.app);
    let r = c
        .send(
            axum::http::Request::post("/v1/ivr/prompts")
                .header("authorization", format!("Bearer {read_only}"))
                .header("content-type", "audio/wav")
                .body(axum::body::Body::from(tone(8000, 500)))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let p = api(
        &w.app,
        "POST",
        "/v1/ivr/preview",
        Some(&read_only),
        Some(json!({"text": "안녕하세요"})),
        &[],
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(p.headers["content-type"], "audio/wav");
    assert_eq!(rate_of(&p.bytes), 8000);
    assert!(p.bytes.len() > 1044, "{} bytes", p.bytes.len());
    let empty = api(
        &w.app,
        "POST",
        "/v1/ivr/preview",
        Some(&read_only),
        Some(json!({"text": ""})),
        &[],
    )
    .await;
    assert_eq!(empty.json()["code"], "ivr_prompt", "{}", empty.body);
    let missing = api(
        &w.app,
        "GET",
        "/v1/ivr/prompts/nope",
        Some(&read_only),
        None,
        &[],
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_scenario_naming_a_missing_recording_is_refused() {
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
    let mut body = scenario(kim.id.as_str(), &[]);
    body["nodes"][2]["action"]["prompt"] = json!({"kind": "audio", "id": "deadbeef"});
    let r = api(&w.app, "POST", "/v1/ivr", Some(&w.key_a), Some(body), &[]).await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("ivr_audio_missing")),
        "{}",
        r.body
    );
    assert!(r.body.contains("단계 bye"), "{}", r.body);
    let list = api(&w.app, "GET", "/v1/ivr", Some(&w.key_a), None, &[]).await;
    assert_eq!(list.json()["ivrs"].as_array().map(Vec::len), Some(0));
}
