//! ARS 설정 in a real headless Chromium against the real `office`: the demo
//! admin opens the demo scenario (대표번호 안내), reads its call flow (the
//! main menu's keys and where they lead, in Korean), makes an edit the
//! rules refuse (a key to a step that does not exist) and sees why with
//! nothing changed, then makes a valid edit and sees it saved; prompts
//! are heard (the preview is a WAV, and plays in the page) and a
//! recording is uploaded. Screenshots land in `target/artifacts/screenshots`.

use std::time::Duration;

use e2e::{Chromedriver, Office, screenshot};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

async fn click(c: &Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Sets a form field's value as if typed (Korean included).
async fn fill(c: &Client, css: &str, value: &str) {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![json!(css), json!(value)],
    )
    .await
    .unwrap_or_else(|e| panic!("fill {css}: {e}"));
}

/// A 1.5 s 440 Hz tone as a 44.1 kHz 16-bit mono WAV.
fn tone_wav() -> Vec<u8> {
    let rate = 44_100u32;
    let n = rate * 3 / 2;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + n * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(n * 2).to_le_bytes());
    for i in 0..n {
        let x = (f64::from(i) * 440.0 * std::f64::consts::TAU / f64::from(rate)).sin();
        out.extend_from_slice(&((x * 8000.0) as i16).to_le_bytes());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_reads_refuses_and_saves_the_demo_ars_scenario() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let base = office.base.clone();
    let admin = &office.info["admin"];
    let driver = Chromedriver::start().expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile");
    let c = driver.browser(profile.path()).await.expect("browser");

    let (email, password) = (
        admin["email"].as_str().expect("email"),
        admin["password"].as_str().expect("pw"),
    );
    e2e::log_in(&c, &base, email, password).await;
    text(&c, "#accounts").await;

    // ARS 설정 from the side menu, then the demo scenario.
    click(&c, "nav a[href='/admin/ivr']").await;
    let list = text(&c, "#scenarios").await;
    assert!(
        list.contains("대표번호 안내") && list.contains("02-1234-5678"),
        "{list}"
    );
    screenshot(&c, "admin-ivr-list").await.expect("shot");
    click(&c, "#scenarios a").await;
    let main = text(&c, "#node-main").await;
    for says in [
        "주 메뉴",
        "메뉴 (키 입력 대기 5초, 재시도 2회)",
        "1 → 상담팀",
        "2 → 김민수",
        "0 → 콜백 요청",
        "9 → 내선 연결",
        "잘못 누르셨습니다.",
    ] {
        assert!(main.contains(says), "{says}: {main}");
    }
    assert!(
        text(&c, "#node-team")
            .await
            .contains("연결: 착신그룹 상담팀"),
        "the team card says where the call goes"
    );
    assert!(text(&c, "#node-welcome").await.contains("안내 멘트 재생"));
    assert!(
        text(&c, "#node-extension")
            .await
            .contains("번호 입력 (최대 4자리)")
    );
    let scenario_url = c.current_url().await.expect("url").to_string();
    screenshot(&c, "admin-ivr-graph").await.expect("shot");

    // 미리 듣기 plays in the page (htmx puts an <audio> after the link).
    click(&c, "#node-welcome a.listen").await;
    let audio = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#play-welcome-prompt audio"))
        .await
        .expect("a player");
    let src = audio.attr("src").await.expect("attr").expect("src");
    assert!(src.starts_with("/admin/ivr/preview?text="), "{src}");
    // The preview route answers a WAV (fetched with the page's session).
    let fetched = c
        .execute_async(
            r"const done = arguments[arguments.length - 1];
              fetch(arguments[0]).then(r => r.arrayBuffer().then(b => {
                const h = new Uint8Array(b.slice(0, 4));
                done({status: r.status, type: r.headers.get('content-type'),
                      magic: String.fromCharCode(...h), len: b.byteLength});
              })).catch(e => done({err: String(e)}));",
            vec![json!(src)],
        )
        .await
        .expect("fetch");
    assert_eq!(fetched["status"], 200, "{fetched}");
    assert_eq!(fetched["type"], "audio/wav", "{fetched}");
    assert_eq!(fetched["magic"], "RIFF", "{fetched}");
    assert!(fetched["len"].as_u64().unwrap_or(0) > 44, "{fetched}");

    // An edit the rules refuse: key 9 to a step that does not exist.
    click(&c, "#node-main a.edit").await;
    text(&c, "#node-form").await;
    fill(&c, "#options", "1=team\n2=user\n0=callback\n9=nowhere").await;
    click(&c, "#save-node").await;
    let error = text(&c, "div.error").await;
    assert!(
        error.contains("단계 main: 다음 단계 nowhere가 없습니다"),
        "{error}"
    );
    let typed: Value = c
        .execute("return document.querySelector('#options').value;", vec![])
        .await
        .expect("options");
    assert!(
        typed.as_str().unwrap_or_default().contains("9=nowhere"),
        "the form as typed: {typed}"
    );
    screenshot(&c, "admin-ivr-refused").await.expect("shot");
    c.goto(&scenario_url).await.expect("reload");
    let main = text(&c, "#node-main").await;
    assert!(
        main.contains("9 → 내선 연결") && !main.contains("nowhere"),
        "nothing changed: {main}"
    );

    // A valid edit: a new greeting.
    click(&c, "#node-welcome a.edit").await;
    text(&c, "#node-form").await;
    fill(&c, "#prompt_text", "안녕하세요, 새 인사말입니다.").await;
    // The form's 미리 듣기 speaks the text as typed, before it is saved.
    click(&c, "#node-form button.listen").await;
    let heard = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#play-form-prompt audio"))
        .await
        .expect("a player for the typed text")
        .attr("src")
        .await
        .expect("attr")
        .expect("src");
    assert!(heard.contains("text=%EC%95%88%EB%85%95"), "{heard}");
    click(&c, "#save-node").await;
    assert!(text(&c, "#saved").await.contains("저장되었습니다"));
    let welcome = text(&c, "#node-welcome").await;
    assert!(
        welcome.contains("안녕하세요, 새 인사말입니다."),
        "{welcome}"
    );
    screenshot(&c, "admin-ivr-saved").await.expect("shot");

    // A recording (44.1 kHz WAV) is uploaded and its id shown.
    let work = tempfile::tempdir().expect("work");
    let wav = work.path().join("greeting.wav");
    std::fs::write(&wav, tone_wav()).expect("write");
    c.find(Locator::Css("#file"))
        .await
        .expect("file input")
        .send_keys(&wav.display().to_string())
        .await
        .expect("choose");
    click(&c, "#upload").await;
    let uploaded = text(&c, "#uploaded").await;
    assert!(uploaded.contains("1.5초"), "{uploaded}");
    let id = text(&c, "#uploaded-id").await;
    assert!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    screenshot(&c, "admin-ivr-uploaded").await.expect("shot");

    c.close().await.expect("close");
    drop(office);
}
