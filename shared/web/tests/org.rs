//! 조직도 (A5) through the portal, and the app's org chart (C5).

mod common;

use axum::http::StatusCode;
use common::{Client, api, user, world};
use domain::AccountStatus;

#[tokio::test]
async fn admin_builds_a_nested_chart_and_the_app_sees_it() {
    let w = world().await;
    let kim = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        Some("1001"),
        AccountStatus::Active,
    )
    .await;
    let lee = user(
        &w,
        "tenant-a",
        "이서연",
        "lee@tenant-a.example",
        Some("1002"),
        AccountStatus::Active,
    )
    .await;
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let page = c.get("/admin/org").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("조직도 직원검색") && page.body.contains("부서원 추가/수정"));
    let csrf = page.csrf();

    let r = c
        .post_form(
            "/admin/org/member",
            &[
                ("_csrf", &csrf),
                ("account", kim.id.as_str()),
                ("parent", ""),
                ("department", "마케팅팀"),
                ("position", "차장"),
                ("extension", "1001"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/admin/org?saved=1", "{}", r.body);
    let r = c
        .post_form(
            "/admin/org/member",
            &[
                ("_csrf", &csrf),
                ("account", lee.id.as_str()),
                ("parent", "마케팅팀"),
                ("department", "디자인파트"),
                ("position", "대리"),
                ("extension", "1002"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/admin/org?saved=1", "{}", r.body);

    let members = c
        .get("/admin/org/members?dept=%EB%94%94%EC%9E%90%EC%9D%B8%ED%8C%8C%ED%8A%B8")
        .await;
    assert!(
        members.body.contains("이서연")
            && members.body.contains("대리")
            && !members.body.contains("김민수")
    );
    let search = c.get("/admin/org?q=%EA%B9%80").await;
    assert!(
        search.body.contains("차장"),
        "search by name finds 김민수 with position"
    );

    // A duplicate extension is refused and changes nothing.
    let dup = c
        .post_form(
            "/admin/org/member",
            &[
                ("_csrf", &csrf),
                ("account", lee.id.as_str()),
                ("parent", ""),
                ("department", "경영지원팀"),
                ("position", "과장"),
                ("extension", "1001"),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.body.contains("이미 사용 중인 내선번호입니다"));
    let after = app::admin::account(&w.app, &lee.tenant, lee.id.as_str())
        .await
        .expect("account");
    assert_eq!(after.department.as_deref(), Some("디자인파트"));
    assert_eq!(after.position.as_deref(), Some("대리"));
    // A department cannot be its own parent; another tenant's account is not found.
    let cycle = c
        .post_form(
            "/admin/org/member",
            &[
                ("_csrf", &csrf),
                ("account", lee.id.as_str()),
                ("parent", "새부서"),
                ("department", "새부서"),
                ("position", ""),
                ("extension", ""),
            ],
        )
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    let b = user(
        &w,
        "tenant-b",
        "비사람",
        "b@tenant-b.example",
        None,
        AccountStatus::Active,
    )
    .await;
    let other = c
        .post_form(
            "/admin/org/member",
            &[
                ("_csrf", &csrf),
                ("account", b.id.as_str()),
                ("parent", ""),
                ("department", "마케팅팀"),
                ("position", ""),
                ("extension", ""),
            ],
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    let token = app::signup::issue_app_token(&w.app, &kim)
        .await
        .expect("token");
    let org = api(&w.app, "GET", "/v1/app/org", Some(&token), None, &[]).await;
    assert_eq!(org.status, StatusCode::OK, "{}", org.body);
    let v = org.json();
    assert_eq!(v["company"], "(주)에이");
    let marketing = &v["departments"][0];
    assert_eq!(marketing["name"], "마케팅팀");
    assert_eq!(marketing["members"][0]["name"], "김민수");
    assert_eq!(marketing["departments"][0]["name"], "디자인파트");
    assert_eq!(
        marketing["departments"][0]["members"][0]["extension"],
        "1002"
    );
    let xml = api(
        &w.app,
        "GET",
        "/v1/app/org",
        Some(&token),
        None,
        &[("accept", "application/xml")],
    )
    .await;
    assert!(xml.body.contains("<name>디자인파트</name>"), "{}", xml.body);
}

async fn upload(c: &mut Client, csrf: &str, file: &[u8]) -> common::Resp {
    let (ctype, body) = multipart(csrf, file);
    let req = axum::http::Request::post("/admin/org/upload")
        .header("content-type", ctype)
        .body(axum::body::Body::from(body))
        .expect("request");
    c.send(req).await
}

fn multipart(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----officeboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"org.xlsx\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_sample_downloads_and_uploads_through_the_portal() {
    let w = world().await;
    let kim = user(
        &w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        Some("1001"),
        AccountStatus::Active,
    )
    .await;
    let mut c = Client::new(&w.app);
    c.login(&w.admin_a.0, &w.admin_a.1).await;
    let csrf = c.get("/admin/org").await.csrf();
    let sample = c.get("/admin/org/sample").await;
    assert_eq!(
        sample.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        sample.headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("attachment")
    );

    let t = domain::TenantId::parse("tenant-a").expect("id");
    let good = app::orgfile::sample(&w.app, &t).await.expect("sample");
    let r = upload(&mut c, &csrf, &good).await;
    assert_eq!(r.location(), "/admin/org?imported=2", "{}", r.body);
    let forged = upload(&mut c, "forged", &good).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let junk = upload(&mut c, &csrf, b"not a spreadsheet").await;
    assert_eq!(junk.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(junk.body.contains("엑셀(.xlsx) 파일이 아닙니다"));
    let after = app::admin::account(&w.app, &kim.tenant, kim.id.as_str())
        .await
        .expect("account");
    assert_eq!(after.extension.map(|e| e.to_string()), Some("1001".into()));
}
