//! 통화이력조회 in headless Chromium: a recorded call (two sipp phones
//! through the edge, the callee's account recording) is listed in the
//! callee's history and its recording plays in the page's `<audio>`.

use std::time::Duration;

use e2e::sipp::{Phone, Ports, callee, caller, register};
use e2e::{Chromedriver, Office, screenshot};
use fantoccini::Locator;
use serde_json::{Value, json};

async fn api(base: &str, key: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let mut r = reqwest::Client::new()
        .request(method.parse().expect("method"), format!("{base}{path}"))
        .bearer_auth(key);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send()
        .await
        .expect("api")
        .json()
        .await
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_call_plays_in_the_history_page() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let (base, key) = (
        office.base.clone(),
        office.info["api_key"].as_str().expect("key").to_owned(),
    );
    let edge = office.info["sip"]["port"].as_u64().expect("sip");
    let u = |i: usize, f: &str| office.info["users"][i][f].as_str().expect(f).to_owned();
    let accounts = api(&base, &key, "GET", "/v1/accounts?limit=50", None).await;
    let callee_id = accounts["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["extension"] == u(1, "extension").as_str())
        .and_then(|a| a["id"].as_str())
        .expect("callee")
        .to_owned();
    api(
        &base,
        &key,
        "PATCH",
        &format!("/v1/accounts/{callee_id}"),
        Some(json!({"permissions": {"outbound": true, "international": false, "recording_access": true, "auto_record": true}})),
    )
    .await;

    let phone = |i: usize| Phone {
        user: u(i, "sip_username"),
        password: u(i, "sip_password"),
        extension: u(i, "extension"),
        ports: Ports::new(edge),
    };
    let (a, b) = (phone(0), phone(1));
    let work = tempfile::tempdir().expect("work");
    let w = work.path().to_owned();
    let ext = b.extension.clone();
    tokio::task::spawn_blocking(move || {
        register(&w, &a);
        register(&w, &b);
        let mut uas = callee(
            &w,
            &b,
            "answer",
            &["uas_ring", "uas_answer", "uas_wait_bye"],
            0,
        );
        let mut uac = caller(
            &w,
            &a,
            "talk",
            &ext,
            "uac_talk_and_hang_up",
            &[("talk_ms", "4000")],
        );
        assert!(uac.wait(Duration::from_secs(40)), "{}", uac.log());
        assert!(uas.wait(Duration::from_secs(10)), "{}", uas.log());
    })
    .await
    .expect("calls");
    let mut recorded = false;
    for _ in 0..100 {
        let list = api(&base, &key, "GET", "/v1/calls?limit=5", None).await;
        if list["calls"][0]["recordings"].as_u64() == Some(1) {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recorded, "the call's recording was uploaded");

    let driver = Chromedriver::start().expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile");
    let c = driver.browser(profile.path()).await.expect("browser");
    e2e::log_in(&c, &base, &u(1, "email"), &u(1, "password")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.goto(&format!("{base}/calls")).await.expect("calls");
    let row = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#calls tr.call"))
        .await
        .expect("a call row")
        .text()
        .await
        .expect("text");
    assert!(
        row.contains("착신"),
        "the callee sees an incoming call: {row}"
    );
    assert!(row.contains(&u(0, "extension")), "{row}");
    let played = c
        .execute_async(
            r"const done = arguments[arguments.length - 1];
              const a = document.querySelector('#calls audio');
              a.muted = true;
              a.play()
                .then(() => setTimeout(() => done({t: a.currentTime, d: a.duration, err: null}), 1500))
                .catch(e => done({t: 0, d: a.duration, err: String(e)}));",
            vec![],
        )
        .await
        .expect("play");
    screenshot(&c, "user-call-history").await.expect("shot");
    assert_eq!(played["err"], Value::Null, "{played}");
    let (t, d) = (
        played["t"].as_f64().expect("t"),
        played["d"].as_f64().expect("d"),
    );
    assert!(t > 0.5, "the recording plays: {played}");
    assert!(
        (3.0..6.0).contains(&d),
        "it lasts as the 4 s call: {played}"
    );
    c.close().await.expect("close");
    assert!(office.stop().expect("stop"));
}
