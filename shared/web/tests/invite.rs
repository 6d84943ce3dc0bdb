//! 로그인 초대: an account the admin adds with an e-mail gets an invitation
//! (mail, with a link also shown to the admin); the user opens the link,
//! chooses a password (mismatched or weak ones are refused in Korean) and
//! logs in; the link works once. An e-mail another account uses is refused.

mod common;

use axum::http::StatusCode;
use common::{Client, world};

fn link_in(body: &str) -> String {
    let at = body.find("/invite/").expect("a link");
    let rest = &body[at..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '<' || c == '"')
        .unwrap_or(rest.len());
    rest[..end].to_owned()
}

#[tokio::test]
async fn an_invited_user_sets_a_password_and_logs_in_once() {
    let w = world().await;
    let mut admin = Client::new(&w.app);
    let (email, password) = w.admin_a.clone();
    admin.login(&email, &password).await;
    let form = admin.get("/admin/accounts/new").await;
    assert!(form.body.contains("name=\"email\""));
    let csrf = form.csrf();
    let made = admin
        .post_form(
            "/admin/accounts",
            &[
                ("_csrf", &csrf),
                ("name", "박지훈"),
                ("mobile", "010-7777-8888"),
                ("extension", "2101"),
                ("status", "active"),
                ("email", "park@tenant-a.example"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(
        made.body.contains("초대 메일을 보냈습니다"),
        "{}",
        made.body
    );
    assert!(
        made.body.contains("sip-password"),
        "the SIP password is still shown once"
    );
    let link = link_in(&made.body);
    let mail = store::repo::sink::recent(&*w.app.store, "mail", 5)
        .await
        .expect("mail");
    assert!(
        mail.iter().any(|m| m.body.contains(&link)),
        "the mail carries the link: {mail:?}"
    );

    let mut user = Client::new(&w.app);
    let page = user.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("박지훈") && page.body.contains("park@tenant-a.example"));
    let r = user
        .post_form(
            &link,
            &[
                ("password", "new-password-123"),
                ("confirm", "other-password-1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("두 비밀번호가 다릅니다"));
    let r = user
        .post_form(
            &link,
            &[("password", "1234567890"), ("confirm", "1234567890")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("10자 이상"), "{}", r.body);
    let r = user
        .post_form(
            &link,
            &[
                ("password", "new-password-123"),
                ("confirm", "new-password-123"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let logged = user
        .login("park@tenant-a.example", "new-password-123")
        .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.body);
    let me = user.get("/me").await;
    assert!(me.body.contains("박지훈"), "{}", me.body);

    // Used once.
    let again = Client::new(&w.app).get(&link).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(
        again
            .body
            .contains("초대 링크가 올바르지 않거나 만료되었습니다")
    );
}

#[tokio::test]
async fn an_email_in_use_or_malformed_is_refused_and_the_account_stays_without_login() {
    let w = world().await;
    let mut admin = Client::new(&w.app);
    let (email, password) = w.admin_a.clone();
    admin.login(&email, &password).await;
    let csrf = admin.get("/admin/accounts/new").await.csrf();
    let bad = admin
        .post_form(
            "/admin/accounts",
            &[
                ("_csrf", &csrf),
                ("name", "최은지"),
                ("mobile", "010-7777-9999"),
                ("status", "active"),
                ("email", "not-an-email"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("이메일 형식이 올바르지 않습니다"));
    let made = admin
        .post_form(
            "/admin/accounts",
            &[
                ("_csrf", &csrf),
                ("name", "최은지"),
                ("mobile", "010-7777-9999"),
                ("status", "active"),
            ],
        )
        .await;
    assert!(
        made.body.contains("아직 로그인할 수 없습니다"),
        "{}",
        made.body
    );
    let id = {
        let at =
            made.body.find("/admin/accounts/").expect("form action") + "/admin/accounts/".len();
        made.body[at..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
    };
    // The admin's own e-mail belongs to another account.
    let r = admin
        .post_form(
            &format!("/admin/accounts/{id}/invite"),
            &[("_csrf", &csrf), ("email", &email)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("이미 사용 중인 이메일입니다"));
}
