//! ARS 설정 in the portal, through the router: the scenario is drawn from
//! its start with each step's job, prompt and keys in Korean; a step edit
//! the rules refuse shows the Korean reason with the form as typed and
//! changes nothing; a valid one is saved; steps are added and deleted;
//! prompts are heard and uploaded.

mod common;

use axum::http::StatusCode;
use common::{Client, api, user, world};
use domain::AccountStatus;
use serde_json::json;

async fn setup() -> (common::World, Client, String) {
    let w = world().await;
    let kim = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        Some("2001"),
        AccountStatus::Active,
    )
    .await;
    let body = json!({
        "name": "대표번호 안내",
        "numbers": ["02-1234-5678"],
        "start": "welcome",
        "nodes": [
            {"id": "welcome", "label": "인사말", "action": {"kind": "play",
                "prompt": {"kind": "tts", "text": "안녕하세요."}, "next": "main"}},
            {"id": "main", "label": "주 메뉴", "action": {"kind": "menu",
                "prompt": {"kind": "tts", "text": "김민수 님은 1번, 콜백은 0번을 누르세요."},
                "options": [{"key": "1", "next": "kim"}, {"key": "0", "next": "callback"}],
                "timeout_secs": 5, "retries": 2,
                "invalid": {"kind": "tts", "text": "잘못 누르셨습니다."}, "fallback": "bye"}},
            {"id": "kim", "action": {"kind": "route", "to": {"kind": "user", "account": kim.id.to_string()}}},
            {"id": "callback", "label": "콜백 요청", "action": {"kind": "route", "to": {"kind": "callback"}}},
            {"id": "bye", "label": "종료", "action": {"kind": "hang_up", "prompt": {"kind": "tts", "text": "감사합니다."}}}
        ]
    });
    let r = api(&w.app, "POST", "/v1/ivr", Some(&w.key_a), Some(body), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let mut c = Client::new(&w.app);
    let (email, password) = w.admin_a.clone();
    c.login(&email, &password).await;
    (w, c, id)
}

/// The step form's fields as the page has them (text inputs, textareas
/// and selected options), for posting back with changes.
fn form_fields(html: &str) -> Vec<(String, String)> {
    let form = &html[html.find("id=\"node-form\"").expect("node form")..];
    let form = &form[..form.find("</form>").expect("end")];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].to_owned())
    };
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let end = rest.find('>').expect("tag end");
        let tag = &rest[..end];
        if tag.starts_with("input") {
            let kind = attr(tag, "type").unwrap_or_default();
            if let Some(name) = attr(tag, "name")
                && (kind != "checkbox" || tag.contains(" checked"))
            {
                out.push((name, unescape(&attr(tag, "value").unwrap_or_default())));
            }
        } else if tag.starts_with("textarea") {
            let name = attr(tag, "name").expect("name");
            let body = &rest[end + 1..];
            let text = &body[..body.find("</textarea>").expect("end")];
            out.push((name, unescape(text)));
        } else if tag.starts_with("select") {
            let name = attr(tag, "name").expect("name");
            let body = &rest[end + 1..];
            let body = &body[..body.find("</select>").expect("end")];
            let value = body
                .split("<option")
                .find(|o| o.contains(" selected"))
                .or_else(|| body.split("<option").nth(1))
                .and_then(|o| attr(o, "value"))
                .unwrap_or_default();
            out.push((name, unescape(&value)));
        }
    }
    out
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let f = fields
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no field {name}"));
    f.1 = value.to_owned();
}

async fn post(c: &mut Client, path: &str, fields: &[(String, String)]) -> common::Resp {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &pairs).await
}

#[tokio::test]
async fn the_scenario_is_drawn_from_its_start_in_korean() {
    let (_w, mut c, id) = setup().await;
    let list = c.get("/admin/ivr").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("ARS 설정"), "menu item");
    assert!(list.body.contains("대표번호 안내") && list.body.contains("02-1234-5678"));
    assert!(list.body.contains("5단계"), "{}", list.body);
    let page = c.get(&format!("/admin/ivr/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    let at = |s: &str| b.find(s).unwrap_or_else(|| panic!("{s} not on the page"));
    // From the start, in the order a caller meets them.
    assert!(at("id=\"node-welcome\"") < at("id=\"node-main\""));
    assert!(at("id=\"node-main\"") < at("id=\"node-kim\""));
    assert!(at("id=\"node-kim\"") < at("id=\"node-bye\""));
    for says in [
        "안내 멘트 재생",
        "메뉴 (키 입력 대기 5초, 재시도 2회)",
        "연결: 사용자 김민수",
        "연결: 콜백 요청",
        "“김민수 님은 1번, 콜백은 0번을 누르세요.”",
        "잘못 누르셨습니다.",
        "입력 없음·잘못 누름 2회 후",
        "종료",
    ] {
        assert!(b.contains(says), "{says}");
    }
    assert!(
        b.contains(r##"<span class="key">1</span> → <a href="#node-kim""##),
        "key 1 leads to kim's card"
    );
    assert!(b.contains("/admin/ivr/preview?text="), "미리 듣기 links");
}

#[tokio::test]
async fn a_refused_step_edit_shows_why_and_changes_nothing_a_valid_one_saves() {
    let (w, mut c, id) = setup().await;
    let form = c.get(&format!("/admin/ivr/{id}/nodes/main")).await;
    assert_eq!(form.status, StatusCode::OK);
    let mut fields = form_fields(&form.body);
    set(&mut fields, "options", "1=kim\n0=callback\n2=nowhere");
    let refused = post(&mut c, &format!("/admin/ivr/{id}/nodes/main"), &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("단계 main: 다음 단계 nowhere가 없습니다"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("2=nowhere"), "the form as typed");
    let stored = app::ivr::get(&w.app, &"tenant-a".parse().expect("t"), &id)
        .await
        .expect("scenario");
    let before = serde_json::to_value(&stored.nodes).expect("json");

    // Removing the only way out of a loop is refused too.
    let welcome = c.get(&format!("/admin/ivr/{id}/nodes/welcome")).await;
    let mut fields = form_fields(&welcome.body);
    set(&mut fields, "next", "welcome");
    let looped = post(&mut c, &format!("/admin/ivr/{id}/nodes/welcome"), &fields).await;
    assert_eq!(looped.status, StatusCode::UNPROCESSABLE_ENTITY);
    let after = app::ivr::get(&w.app, &"tenant-a".parse().expect("t"), &id)
        .await
        .expect("scenario");
    assert_eq!(serde_json::to_value(&after.nodes).expect("json"), before);

    // A valid edit: a new prompt and a key to the goodbye.
    let mut fields = form_fields(&form.body);
    set(&mut fields, "options", "1=kim\n0=callback\n9=bye");
    set(&mut fields, "prompt_text", "새 안내입니다. 1번을 누르세요.");
    set(&mut fields, "timeout_secs", "7");
    let saved = post(&mut c, &format!("/admin/ivr/{id}/nodes/main"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = c.get(&format!("/admin/ivr/{id}")).await;
    assert!(page.body.contains("새 안내입니다."));
    assert!(page.body.contains("메뉴 (키 입력 대기 7초, 재시도 2회)"));
    assert!(
        page.body
            .contains(r##"<span class="key">9</span> → <a href="#node-bye""##)
    );
    assert!(
        page.body.contains("잘못 누르셨습니다."),
        "the invalid-key prompt kept"
    );
}

#[tokio::test]
async fn steps_are_added_renamed_and_deleted() {
    let (w, mut c, id) = setup().await;
    let t: domain::TenantId = "tenant-a".parse().expect("t");
    let add = c.get(&format!("/admin/ivr/{id}/add-node")).await;
    let mut fields = form_fields(&add.body);
    set(&mut fields, "link", "main:key");
    set(&mut fields, "link_key", "5");
    set(&mut fields, "id", "hours");
    set(&mut fields, "label", "업무시간 확인");
    set(&mut fields, "kind", "hours");
    set(&mut fields, "open", "kim");
    set(&mut fields, "closed", "bye");
    let r = post(&mut c, &format!("/admin/ivr/{id}/add-node"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get(&format!("/admin/ivr/{id}")).await;
    assert!(page.body.contains("업무시간 분기"));
    assert!(
        page.body
            .contains(r##"<span class="key">5</span> → <a href="#node-hours""##)
    );
    assert!(page.body.contains("월 09:00~18:00"), "{}", page.body);

    // Renaming a step renames what leads to it.
    let edit = c.get(&format!("/admin/ivr/{id}/nodes/hours")).await;
    let mut fields = form_fields(&edit.body);
    set(&mut fields, "id", "office-hours");
    let r = post(&mut c, &format!("/admin/ivr/{id}/nodes/hours"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = app::ivr::get(&w.app, &t, &id).await.expect("s");
    assert!(s.node("office-hours").is_some() && s.node("hours").is_none());

    // Deleting it takes its menu key along; deleting the goodbye is refused.
    let csrf = page.csrf();
    let r = c
        .post_form(
            &format!("/admin/ivr/{id}/nodes/office-hours/delete"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = app::ivr::get(&w.app, &t, &id).await.expect("s");
    assert_eq!(s.nodes.len(), 5);
    let r = c
        .post_form(
            &format!("/admin/ivr/{id}/nodes/bye/delete"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("다음 단계 bye가 없습니다"), "{}", r.body);
    assert_eq!(
        app::ivr::get(&w.app, &t, &id).await.expect("s").nodes.len(),
        5
    );
}

#[tokio::test]
async fn settings_and_json_edits_are_validated_like_steps() {
    let (w, mut c, id) = setup().await;
    let page = c.get(&format!("/admin/ivr/{id}")).await;
    let csrf = page.csrf();
    let r = c
        .post_form(
            &format!("/admin/ivr/{id}"),
            &[
                ("_csrf", &csrf),
                ("name", "새 이름"),
                ("numbers", "070-9999-9999"),
                ("start", "welcome"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("이 회사의 대표번호나 070 번호가 아닙니다"));
    assert!(r.body.contains("070-9999-9999"), "as typed");
    let r = c
        .post_form(
            &format!("/admin/ivr/{id}/json"),
            &[("_csrf", &csrf), ("json", "{\"name\": ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("JSON 형식이 올바르지 않습니다"));
    let r = c
        .post_form(
            &format!("/admin/ivr/{id}"),
            &[
                ("_csrf", &csrf),
                ("name", "새 이름"),
                ("numbers", ""),
                ("start", "main"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "welcome is now unreachable"
    );
    assert!(
        r.body
            .contains("단계 welcome: 시작에서 이 단계로 가는 길이 없습니다")
    );
    let s = app::ivr::get(&w.app, &"tenant-a".parse().expect("t"), &id)
        .await
        .expect("s");
    assert_eq!((s.name.as_str(), s.numbers.len()), ("대표번호 안내", 1));
    let r = c
        .post_form(&format!("/admin/ivr/{id}/delete"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        app::ivr::list(&w.app, &"tenant-a".parse().expect("t"))
            .await
            .expect("l")
            .is_empty()
    );
}

#[tokio::test]
async fn prompts_are_heard_and_uploaded() {
    let (_w, mut c, id) = setup().await;
    let wav = c
        .get("/admin/ivr/preview?text=%EC%95%88%EB%85%95%ED%95%98%EC%84%B8%EC%9A%94")
        .await;
    assert_eq!(wav.status, StatusCode::OK);
    assert_eq!(wav.headers["content-type"], "audio/wav");
    assert_eq!(&wav.bytes[..4], b"RIFF");
    assert!(wav.bytes.len() > 1044);
    let player = c.get("/admin/ivr/player?text=%EC%95%88%EB%85%95").await;
    assert!(player.body.contains("<audio"), "{}", player.body);
    let none = c.get("/admin/ivr/player?audio=missing").await;
    assert!(
        none.body.contains("음원 파일을 찾을 수 없습니다"),
        "{}",
        none.body
    );

    let page = c.get(&format!("/admin/ivr/{id}")).await;
    let csrf = page.csrf();
    let boundary = "----ivrboundary";
    let mut body = Vec::new();
    for (k, v) in [
        ("_csrf", csrf.as_str()),
        ("scenario", id.as_str()),
        ("node", "bye"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bye.wav\"\r\nContent-Type: audio/wav\r\n\r\n").as_bytes(),
    );
    let samples: Vec<i16> = (0..8000).map(|i| ((i % 40) * 200 - 4000) as i16).collect();
    body.extend_from_slice(&speech_wav(&samples));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = c
        .send(
            axum::http::Request::post("/admin/ivr/prompts")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(axum::body::Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let back = r.location().to_owned();
    assert!(
        back.starts_with(&format!("/admin/ivr/{id}/nodes/bye?audio=")),
        "{back}"
    );
    let form = c.get(&back).await;
    assert!(form.body.contains("음원을 올렸습니다"));
    let mut fields = form_fields(&form.body);
    assert!(
        fields
            .iter()
            .any(|(k, v)| k == "prompt_kind" && v == "audio")
    );
    set(&mut fields, "label", "끝인사 녹음");
    let saved = post(&mut c, &format!("/admin/ivr/{id}/nodes/bye"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = c.get(&format!("/admin/ivr/{id}")).await;
    assert!(page.body.contains("녹음 파일"), "{}", page.body);
    assert!(page.body.contains("/admin/ivr/preview?audio="));
}

/// An 8 kHz mono 16-bit WAV.
fn speech_wav(samples: &[i16]) -> Vec<u8> {
    let data = u32::try_from(samples.len() * 2).expect("small");
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}
