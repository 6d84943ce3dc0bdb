//! 문자발송 in headless Chromium: the live byte counter switches to LMS past
//! 90 bytes, the send is accepted and appears in the history.

use std::time::Duration;

use e2e::{Chromedriver, Office, screenshot};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread")]
async fn the_counter_counts_korean_bytes_and_the_history_lists_the_send() {
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
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#accounts"))
        .await
        .expect("logged in");

    c.goto(&format!("{base}/admin/sms")).await.expect("sms");
    let counter = || async {
        c.find(Locator::Css("#counter"))
            .await
            .expect("counter")
            .text()
            .await
            .expect("text")
    };
    assert_eq!(counter().await, "0 / SMS 90byte");
    let text = c.find(Locator::Css("#text")).await.expect("text");
    text.send_keys("테스트 문자 입니다.").await.expect("type");
    assert_eq!(
        counter().await,
        "19 / SMS 90byte",
        "Hangul counts 2 bytes, like the manual's example"
    );
    text.send_keys(&"가".repeat(40)).await.expect("type more");
    assert_eq!(counter().await, "99 / LMS 2000byte");
    let note = c
        .find(Locator::Css("#kind-note"))
        .await
        .expect("note")
        .text()
        .await
        .expect("text");
    assert_eq!(note, "90byte를 넘어 LMS로 발송됩니다");
    screenshot(&c, "admin-sms-counter").await.expect("shot");

    c.find(Locator::Css("#recipients"))
        .await
        .expect("to")
        .send_keys("010-2000-0001")
        .await
        .expect("type");
    c.find(Locator::Css("#send"))
        .await
        .expect("send")
        .click()
        .await
        .expect("click");
    let notice = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#sent"))
        .await
        .expect("accepted");
    assert!(
        notice
            .text()
            .await
            .expect("text")
            .contains("발송을 접수했습니다")
    );
    // The office dispatcher sends it within a second or two; the history shows the batch.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.refresh().await.expect("refresh");
    let row = c
        .find(Locator::Css("#history tbody tr"))
        .await
        .expect("row")
        .text()
        .await
        .expect("text");
    assert!(
        row.contains("010-2000-0001") && row.contains("LMS") && row.contains("100%"),
        "{row}"
    );
    screenshot(&c, "admin-sms-history").await.expect("shot");
    c.close().await.expect("close");
    assert!(office.stop().expect("stop"));
}
