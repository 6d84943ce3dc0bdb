//! The portals in a real headless Chromium (Debian `chromium` through
//! `chromedriver`, driven with fantoccini) against the real `office`
//! process. Screenshots of each page land in `target/artifacts/screenshots`.

use std::time::Duration;

use e2e::{Chromedriver, Office, screenshot};
use fantoccini::{Client, Locator};

async fn login(c: &Client, base: &str, email: &str, password: &str) {
    e2e::log_in(c, base, email, password).await;
}

async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_activates_a_suspended_account_assigns_and_reclaims_a_number() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let base = office.base.clone();
    let admin = &office.info["admin"];
    let driver = Chromedriver::start().expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile");
    let c = driver.browser(profile.path()).await.expect("browser");

    c.goto(&format!("{base}/login")).await.expect("login page");
    screenshot(&c, "login").await.expect("shot");
    login(
        &c,
        &base,
        admin["email"].as_str().expect("email"),
        admin["password"].as_str().expect("pw"),
    )
    .await;
    text(&c, "#accounts").await;
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/admin/accounts")
    );
    screenshot(&c, "admin-accounts").await.expect("shot");

    // A new member arrives suspended (as a sign-up would).
    c.goto(&format!("{base}/admin/accounts/new"))
        .await
        .expect("new");
    c.find(Locator::Css("#name"))
        .await
        .expect("name")
        .send_keys("정지된 신입")
        .await
        .expect("type");
    c.find(Locator::Css("#mobile"))
        .await
        .expect("mobile")
        .send_keys("010-9999-0001")
        .await
        .expect("type");
    c.find(Locator::Css("#status"))
        .await
        .expect("status")
        .select_by_value("suspended")
        .await
        .expect("select");
    screenshot(&c, "admin-account-new").await.expect("shot");
    c.find(Locator::Css("#create"))
        .await
        .expect("create")
        .click()
        .await
        .expect("click");
    assert_eq!(
        text(&c, "#sip-password").await.len(),
        20,
        "the SIP password is shown once"
    );
    let edit_url = c.current_url().await.expect("url");
    let _ = edit_url;

    // Back to the list: open the new account's edit dialog.
    c.goto(&format!("{base}/admin/accounts?q=정지된"))
        .await
        .expect("search");
    assert_eq!(text(&c, "#accounts tbody tr td.status").await, "정지");
    c.find(Locator::Css("#accounts a.edit"))
        .await
        .expect("edit link")
        .click()
        .await
        .expect("click");
    text(&c, "#edit-form").await;
    c.find(Locator::Css("#status"))
        .await
        .expect("status")
        .select_by_value("active")
        .await
        .expect("select");
    c.find(Locator::Css("#lookup"))
        .await
        .expect("lookup")
        .click()
        .await
        .expect("click");
    // htmx loads the free numbers into the dialog.
    let first = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#free-numbers input[type=radio]"))
        .await
        .expect("free numbers appear");
    let number = first.attr("value").await.expect("attr").expect("value");
    first.click().await.expect("pick");
    screenshot(&c, "admin-account-edit").await.expect("shot");
    c.find(Locator::Css("#save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    assert_eq!(text(&c, "div.notice").await, "수정되었습니다");

    c.goto(&format!("{base}/admin/accounts?q=정지된"))
        .await
        .expect("search");
    assert_eq!(text(&c, "#accounts tbody tr td.status").await, "활성");
    let shown = text(&c, "#accounts tbody tr td.number").await;
    let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(
        format!("+82{}", &digits[1..]),
        number,
        "the picked number is assigned"
    );

    // Reclaim it.
    c.find(Locator::Css("#accounts a.edit"))
        .await
        .expect("edit link")
        .click()
        .await
        .expect("click");
    c.find(Locator::Css("#reclaim"))
        .await
        .expect("reclaim")
        .click()
        .await
        .expect("tick");
    c.find(Locator::Css("#save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    text(&c, "div.notice").await;
    c.goto(&format!("{base}/admin/accounts?q=정지된"))
        .await
        .expect("search");
    assert_eq!(text(&c, "#accounts tbody tr td.number").await, "");

    // 조직도: clicking a department shows its members (htmx).
    c.goto(&format!("{base}/admin/org")).await.expect("org");
    c.find(Locator::Css("ul.org a.dept"))
        .await
        .expect("department")
        .click()
        .await
        .expect("click");
    let members = text(&c, "#members table.members tbody").await;
    assert!(members.contains("김민수"), "{members}");
    screenshot(&c, "admin-org").await.expect("shot");

    for (page, name) in [
        ("/admin/urls", "admin-urls"),
        ("/admin/apikeys", "admin-apikeys"),
        ("/me", "admin-me"),
    ] {
        c.goto(&format!("{base}{page}")).await.expect("page");
        text(&c, "h1").await;
        screenshot(&c, name).await.expect("shot");
    }
    c.close().await.expect("close");
    assert!(office.stop().expect("stop"));
}

#[tokio::test(flavor = "multi_thread")]
async fn user_changes_extension_and_sees_the_duplicate_error() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let base = office.base.clone();
    let users = office.info["users"].as_array().expect("users").clone();
    let driver = Chromedriver::start().expect("chromedriver");
    let profile = tempfile::tempdir().expect("profile");
    let c = driver.browser(profile.path()).await.expect("browser");

    login(
        &c,
        &base,
        users[0]["email"].as_str().expect("email"),
        users[0]["password"].as_str().expect("pw"),
    )
    .await;
    assert_eq!(text(&c, "#my-extension").await, "1001");
    assert_eq!(text(&c, "#my-number").await, "070-4000-0001");
    screenshot(&c, "user-me").await.expect("shot");

    let ext = c.find(Locator::Css("#extension")).await.expect("extension");
    ext.clear().await.expect("clear");
    ext.send_keys(users[1]["extension"].as_str().expect("ext"))
        .await
        .expect("type");
    c.find(Locator::Css("#update"))
        .await
        .expect("update")
        .click()
        .await
        .expect("click");
    assert_eq!(text(&c, "div.error").await, "이미 사용 중인 내선번호입니다");
    screenshot(&c, "user-me-duplicate").await.expect("shot");
    assert_eq!(text(&c, "#my-extension").await, "1001", "nothing changed");

    let ext = c.find(Locator::Css("#extension")).await.expect("extension");
    ext.clear().await.expect("clear");
    ext.send_keys("1099").await.expect("type");
    c.find(Locator::Css("#update"))
        .await
        .expect("update")
        .click()
        .await
        .expect("click");
    assert_eq!(text(&c, "div.notice").await, "저장되었습니다");
    assert_eq!(text(&c, "#my-extension").await, "1099");

    // 통화시간설정: a Saturday shift, saved from the page.
    c.goto(&format!("{base}/hours")).await.expect("hours");
    text(&c, "#week").await;
    screenshot(&c, "user-hours").await.expect("shot");
    c.find(Locator::Css("#mode-on"))
        .await
        .expect("on")
        .click()
        .await
        .expect("click");
    c.find(Locator::Css("input[name=d5_off]"))
        .await
        .expect("saturday off")
        .click()
        .await
        .expect("untick");
    c.find(Locator::Css("input[name=d5_ws]"))
        .await
        .expect("start")
        .send_keys("10:00")
        .await
        .expect("type");
    c.find(Locator::Css("input[name=d5_we]"))
        .await
        .expect("end")
        .send_keys("14:00")
        .await
        .expect("type");
    c.find(Locator::Css("#save-hours"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    assert_eq!(
        text(&c, "div.notice").await,
        "설정되었습니다. 다음 전화부터 바로 적용됩니다."
    );
    let saturday = c
        .find(Locator::Css("input[name=d5_ws]"))
        .await
        .expect("start")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        saturday.as_deref(),
        Some("10:00"),
        "the saved shift is shown"
    );
    // A bad range is refused with a Korean message.
    let end = c
        .find(Locator::Css("input[name=d5_we]"))
        .await
        .expect("end");
    end.clear().await.expect("clear");
    end.send_keys("09:00").await.expect("type");
    c.find(Locator::Css("#save-hours"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    assert!(text(&c, "div.error").await.contains("토요일"));
    screenshot(&c, "user-hours-error").await.expect("shot");

    // A user is kept out of the admin pages.
    c.goto(&format!("{base}/admin/accounts"))
        .await
        .expect("admin");
    assert!(text(&c, "div.error").await.contains("관리자만"));
    c.close().await.expect("close");
    assert!(office.stop().expect("stop"));
}

/// Forms posted without the CSRF token (as a foreign site would) are refused.
#[tokio::test(flavor = "multi_thread")]
async fn csrf_less_posts_are_refused() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let base = office.base.clone();
    let user = &office.info["users"][0];
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let no_token = http
        .post(format!("{base}/login"))
        .form(&[
            ("email", user["email"].as_str().expect("email")),
            ("password", user["password"].as_str().expect("pw")),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(no_token.status(), 403);

    // Log in properly, then post a profile change without the token.
    let page = http.get(format!("{base}/login")).send().await.expect("get");
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("cookie")
        .to_owned();
    let html = page.text().await.expect("html");
    let at = html.find("name=\"_csrf\" value=\"").expect("csrf field") + 20;
    let csrf = &html[at..at + html[at..].find('"').expect("quote")];
    let ok = http
        .post(format!("{base}/login"))
        .header("cookie", &cookie)
        .form(&[
            ("_csrf", csrf),
            ("email", user["email"].as_str().expect("email")),
            ("password", user["password"].as_str().expect("pw")),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(ok.status(), 303);
    let session = ok
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("office_session="))
        .and_then(|v| v.split(';').next())
        .expect("session")
        .to_owned();
    let forged = http
        .post(format!("{base}/me"))
        .header("cookie", &session)
        .form(&[
            ("department", "x"),
            ("position", "y"),
            ("extension", "4321"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403);
    let me = http
        .get(format!("{base}/me"))
        .header("cookie", &session)
        .send()
        .await
        .expect("me")
        .text()
        .await
        .expect("html");
    assert!(
        me.contains("1001") && !me.contains("4321"),
        "nothing changed"
    );
    assert!(office.stop().expect("stop"));
}
