//! 모니터링 in a real headless Chromium against the real `office`: the
//! demo admin opens the page; two sipp phones register and appear in the
//! registered-device table without a reload; a call between them appears
//! while it rings (연결 중), turns to 통화 중 when answered, shows its
//! audio quality from the edge's sample (좋음 / 보통 / 나쁨), and
//! disappears when it ends. Screenshots land in `target/artifacts/screenshots`.

use std::time::{Duration, Instant};

use e2e::sipp::{Phone, callee_with, caller, register};
use e2e::{Chromedriver, Office, screenshot};
use fantoccini::{Client, Locator};

/// The text of the live-call rows (state column) and device rows.
async fn table(c: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tr in c.find_all(Locator::Css(css)).await.unwrap_or_default() {
        out.push(tr.text().await.unwrap_or_default());
    }
    out
}

async fn until(c: &Client, css: &str, what: &str, ok: impl Fn(&[String]) -> bool) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = table(c, css).await;
        if ok(&rows) {
            return rows;
        }
        assert!(Instant::now() < end, "{what}: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_appears_changes_state_and_disappears_on_the_monitoring_page() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let base = office.base.clone();
    let admin = &office.info["admin"];
    let driver = Chromedriver::start().expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile");
    let c = driver.browser(profile.path()).await.expect("browser");
    e2e::log_in(
        &c,
        &base,
        admin["email"].as_str().expect("email"),
        admin["password"].as_str().expect("pw"),
    )
    .await;
    c.goto(&format!("{base}/admin/monitoring"))
        .await
        .expect("page");
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let s = c
            .find(Locator::Css("#live-state"))
            .await
            .expect("state")
            .text()
            .await
            .unwrap_or_default();
        if s == "실시간 연결됨" {
            break;
        }
        assert!(Instant::now() < end, "the stream did not open: {s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        table(&c, "#devices tbody tr").await.is_empty(),
        "nobody registered yet"
    );

    let phone = |i: usize| Phone::demo_user(&office.info, i);
    let (a, b) = (phone(0), phone(1));
    let work = tempfile::tempdir().expect("work");
    let w = work.path().to_owned();
    let (a1, b1) = (a.clone(), b.clone());
    tokio::task::spawn_blocking(move || {
        register(&w, &a1);
        register(&w, &b1);
    })
    .await
    .expect("register");
    let ext = a.extension.clone();
    until(
        &c,
        "#devices tbody tr",
        "both phones listed, by name",
        |r| r.len() == 2 && r.iter().any(|t| t.contains(&ext)),
    )
    .await;

    // b rings for 3 s, then answers; a talks 12 s (sending audio) and
    // hangs up: long enough for the edge's 10-second quality sample.
    let w = work.path().to_owned();
    let call = tokio::task::spawn_blocking(move || {
        let mut uas = callee_with(
            &w,
            &b,
            "watched-callee",
            &["uas_ring", "uas_pause", "uas_answer", "uas_wait_bye"],
            &[("ring_ms", "3000"), ("talk_ms", "0")],
            true,
        );
        let mut uac = caller(
            &w,
            &a,
            "watched-caller",
            &b.extension,
            "uac_talk_and_hang_up",
            &[("talk_ms", "12000")],
        );
        e2e::sipp::both(&mut uac, &mut uas, "watched call");
    });
    let ringing = until(&c, "#live-calls tbody tr", "the call rings", |r| {
        r.iter().any(|t| t.contains("연결 중"))
    })
    .await;
    assert!(ringing[0].contains(&a_ext(&office)), "{ringing:?}");
    screenshot(&c, "admin-monitoring-ringing")
        .await
        .expect("shot");
    until(&c, "#live-calls tbody tr", "answered", |r| {
        r.iter().any(|t| t.contains("통화 중"))
    })
    .await;
    let graded = until(&c, "#live-calls tbody tr", "quality shown", |r| {
        r.iter()
            .any(|t| t.contains("손실") && ["좋음", "보통", "나쁨"].iter().any(|g| t.contains(g)))
    })
    .await;
    assert!(graded[0].contains("통화 중"), "{graded:?}");
    screenshot(&c, "admin-monitoring-talking")
        .await
        .expect("shot");
    call.await.expect("call");
    until(&c, "#live-calls tbody tr", "ended", <[String]>::is_empty).await;
    let count = c
        .find(Locator::Css("#call-count"))
        .await
        .expect("count")
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(count, "0");
    c.close().await.expect("close");
    office.stop().expect("stop");
}

fn a_ext(office: &Office) -> String {
    Phone::demo_user(&office.info, 0).extension
}
