//! The first run, as a newcomer walks it in headless Chromium: the
//! landing page (standards mode) leads to the login; the demo admin opens
//! every admin menu from the side bar and each page renders in Korean
//! without an error; 회사 설정 shows the join code and moves the company
//! to Los Angeles (통화기록 then reads its times there, and a zone that
//! does not exist is refused in Korean); the API docs open from the
//! landing page; a demo user opens each of their menus; an unknown page is
//! a Korean 404. Screenshots land in `target/artifacts/screenshots`.

use std::time::Duration;

use e2e::{Chromedriver, Office, screenshot};
use fantoccini::{Client, Locator};

/// `document.compatMode`: `CSS1Compat` is standards mode, `BackCompat` quirks.
async fn mode(c: &Client) -> String {
    c.execute("return document.compatMode;", vec![])
        .await
        .expect("script")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// The side bar's links, in order (href, label).
async fn menu(c: &Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in c.find_all(Locator::Css("nav a")).await.expect("nav") {
        let href = a.attr("href").await.expect("href").unwrap_or_default();
        out.push((href, a.text().await.expect("label")));
    }
    out
}

/// Opens each menu entry by clicking it; each page has its title and no
/// error box, in standards mode.
async fn js(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, vec![]).await.expect("script")
}

async fn walk(c: &Client, who: &str) -> Vec<String> {
    let entries = menu(c).await;
    assert!(!entries.is_empty(), "{who} has a menu");
    let mut visited = Vec::new();
    for (href, label) in &entries {
        c.find(Locator::Css(&format!("nav a[href='{href}']")))
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"))
            .click()
            .await
            .expect("click");
        let mut waited = 0;
        while c.current_url().await.expect("url").path() != href {
            waited += 1;
            assert!(waited < 100, "{who} → {label} ({href}) never loaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("nav"))
            .await
            .unwrap_or_else(|e| panic!("{who} → {label}: {e}"));
        let title = c.title().await.expect("title");
        assert!(
            title.contains("말톡오피스") && !title.starts_with("오류"),
            "{who} → {label}: {title}"
        );
        assert_eq!(mode(c).await, "CSS1Compat", "{label} starts with a doctype");
        let errors = c
            .find_all(Locator::Css(".error[role='alert']"))
            .await
            .expect("errors");
        assert!(errors.is_empty(), "{who} → {label} shows an error");
        visited.push(label.clone());
    }
    visited
}

/// Types `zone` into 회사 설정's time-zone field and saves.
async fn save_zone(c: &Client, zone: &str) {
    let field = c.find(Locator::Id("time_zone")).await.expect("zone field");
    field.clear().await.expect("clear");
    field.send_keys(zone).await.expect("type");
    c.find(Locator::Id("save-company"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newcomer_walks_from_the_landing_page_through_both_portals() {
    let data = tempfile::tempdir().expect("tempdir");
    // As a newcomer gets it: with the demo's finished calls.
    let office =
        Office::start_with_env(data.path(), &[], &[("OFFICE_DEMO_NO_CALLS", "0")]).expect("office");
    let base = office.base.clone();
    let admin = &office.info["admin"];
    let user = &office.info["users"][0];
    let driver = Chromedriver::start().expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile");
    let c = driver.browser(profile.path()).await.expect("browser");

    // The landing page, in standards mode, leads to the login.
    c.goto(&format!("{base}/")).await.expect("landing");
    assert_eq!(c.title().await.expect("title"), "말톡오피스");
    assert_eq!(mode(&c).await, "CSS1Compat");
    assert!(
        !c.source().await.expect("source").contains("준비 중"),
        "no card is a dead end"
    );
    screenshot(&c, "first-run-landing").await.expect("shot");
    c.find(Locator::Id("admin-portal"))
        .await
        .expect("admin card")
        .click()
        .await
        .expect("click");
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#email"))
        .await
        .expect("the login form");

    // The demo admin logs in and opens every menu.
    for (css, value) in [
        ("#email", admin["email"].as_str().expect("email")),
        ("#password", admin["password"].as_str().expect("password")),
    ] {
        c.find(Locator::Css(css))
            .await
            .expect(css)
            .send_keys(value)
            .await
            .expect("type");
    }
    c.find(Locator::Css("#login"))
        .await
        .expect("login")
        .click()
        .await
        .expect("click");
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("nav a[href='/admin/company']"))
        .await
        .expect("the admin's menu");
    let seen = walk(&c, "admin").await;
    for must in [
        "계정관리",
        "통화기록",
        "회사 설정",
        "통계",
        "모니터링",
        "나의정보",
    ] {
        assert!(seen.iter().any(|s| s == must), "{must} in {seen:?}");
    }

    // 통화기록 has the demo's finished calls, two of them recorded, to play.
    c.goto(&format!("{base}/admin/calls")).await.expect("calls");
    let players = js(
        &c,
        "return document.querySelectorAll('.recording audio').length;",
    )
    .await;
    assert!(
        players.as_i64().is_some_and(|n| n >= 2),
        "players: {players}"
    );
    // Numbers keep to one line in tables (a narrow window wraps words, not numbers).
    c.goto(&format!("{base}/admin/accounts"))
        .await
        .expect("accounts");
    let wrap = js(
        &c,
        "return getComputedStyle(document.querySelector('td.number')).whiteSpace;",
    )
    .await;
    assert_eq!(wrap, "nowrap");

    // 회사 설정: the join code, a refused zone, then Los Angeles.
    c.goto(&format!("{base}/admin/company"))
        .await
        .expect("company");
    let code = text(&c, "#join-code").await;
    assert_eq!(
        code,
        office.info["join_code"].as_str().expect("join code"),
        "the code the app asks for"
    );
    save_zone(&c, "Seoul/Gangnam").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".error"))
        .await
        .expect("the refusal");
    let refused = text(&c, ".error").await;
    assert!(
        refused.contains("알 수 없는 시간대입니다") && refused.contains("Seoul/Gangnam"),
        "Korean, names what was typed: {refused}"
    );
    save_zone(&c, "America/Los_Angeles").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("saved"))
        .await
        .expect("saved");
    screenshot(&c, "first-run-company").await.expect("shot");
    let key = office.info["api_key"].as_str().expect("key");
    let company: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/v1/company"))
        .bearer_auth(key)
        .send()
        .await
        .expect("company")
        .json()
        .await
        .expect("json");
    assert_eq!(company["time_zone"], "America/Los_Angeles");

    // The API docs open from the landing page.
    c.goto(&format!("{base}/")).await.expect("landing");
    c.find(Locator::LinkText("API 문서"))
        .await
        .expect("docs link")
        .click()
        .await
        .expect("click");
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".swagger-ui .opblock"))
        .await
        .expect("the operations listed");
    screenshot(&c, "first-run-docs").await.expect("shot");

    // An unknown page is a Korean 404 page.
    c.goto(&format!("{base}/admin/nowhere")).await.expect("404");
    let body = text(&c, "body").await;
    assert!(body.contains("찾을 수 없습니다"), "{body}");

    // A demo user: their own four menus, no admin menu.
    c.goto(&format!("{base}/login")).await.expect("login");
    c.delete_all_cookies().await.expect("log out");
    e2e::log_in(
        &c,
        &base,
        user["email"].as_str().expect("email"),
        user["password"].as_str().expect("password"),
    )
    .await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("nav a[href='/me']"))
        .await
        .expect("the user's menu");
    let seen = walk(&c, "user").await;
    assert_eq!(
        seen,
        [
            "나의정보",
            "통화이력조회",
            "통화시간설정",
            "메시지조회(발송)"
        ],
        "users see only theirs"
    );
    screenshot(&c, "first-run-user").await.expect("shot");

    // 통화시간설정: unticking 공휴일 자동 설정 hides the public holidays at
    // once; 일괄적용 fills the days and says so, and saves nothing.
    c.goto(&format!("{base}/hours")).await.expect("hours");
    let hidden = "return document.getElementById('public-holidays').hidden;";
    assert_eq!(js(&c, hidden).await, false);
    c.find(Locator::Id("mode-on"))
        .await
        .expect("ON")
        .click()
        .await
        .expect("click");
    c.find(Locator::Id("auto"))
        .await
        .expect("자동 설정")
        .click()
        .await
        .expect("click");
    assert_eq!(js(&c, hidden).await, true, "unticked: the list goes");
    let before = js(&c, "return document.forms['hours-form']['d1_ws'].value;").await;
    js(
        &c,
        "document.forms['hours-form']['tpl_ws'].value = '07:30'; return 0;",
    )
    .await;
    c.find(Locator::Id("apply-all"))
        .await
        .expect("일괄적용")
        .click()
        .await
        .expect("click");
    assert_eq!(
        js(&c, "return document.forms['hours-form']['d1_ws'].value;").await,
        "07:30",
        "the days take the template"
    );
    assert_eq!(
        js(&c, "return document.getElementById('apply-note').hidden;").await,
        false,
        "and the page says it is not saved yet"
    );
    c.goto(&format!("{base}/hours")).await.expect("hours again");
    assert_eq!(
        js(&c, "return document.forms['hours-form']['d1_ws'].value;").await,
        before,
        "nothing was saved"
    );
    c.close().await.expect("close");
}
