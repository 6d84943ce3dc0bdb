//! Portal login throttling that slows a guesser without locking the owner
//! out: guesses spread over many addresses stop the e-mail everywhere but
//! at the owner's own address, and an e-mail nobody has behaves the same.

use app::auth::{MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_EMAIL_ANYWHERE, login};

const PASSWORD: &str = "correct horse battery 9";

async fn app_with_admin() -> (app::App, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tmp");
    let app = app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    app::operator::create_tenant(
        &app,
        app::operator::NewTenant {
            id: Some("acme".into()),
            name: "Acme".into(),
            ..Default::default()
        },
    )
    .await
    .expect("tenant");
    app::operator::create_admin(
        &app,
        "acme",
        "관리자",
        "boss@acme.example",
        Some(PASSWORD.into()),
    )
    .await
    .expect("admin");
    (app, dir)
}

#[tokio::test]
async fn guesses_from_many_addresses_do_not_lock_the_owner_out_at_their_desk() {
    let (app, _dir) = app_with_admin().await;
    let email = "boss@acme.example";
    // The owner logs in from their desk: that address is now theirs.
    login(&app, email, PASSWORD, "10.1.1.1")
        .await
        .expect("owner logs in");
    // A guesser at one address gets ten tries there...
    for _ in 0..MAX_FAILURES_PER_EMAIL {
        let f = login(&app, email, "guess", "203.0.113.7")
            .await
            .expect_err("wrong");
        assert_eq!(f.code, "invalid_credentials");
    }
    let f = login(&app, email, PASSWORD, "203.0.113.7")
        .await
        .expect_err("locked there");
    assert_eq!(f.code, "too_many_attempts");
    // ...and moving from address to address buys only up to the limit for the e-mail.
    let mut tried = MAX_FAILURES_PER_EMAIL;
    let mut host = 1;
    while tried < MAX_FAILURES_PER_EMAIL_ANYWHERE {
        for _ in 0..5 {
            let _ = login(&app, email, "guess", &format!("198.51.100.{host}")).await;
            tried += 1;
        }
        host += 1;
    }
    let f = login(&app, email, PASSWORD, "192.0.2.99")
        .await
        .expect_err("a new address is held back now");
    assert_eq!(f.code, "too_many_attempts");
    // The owner at their desk is not.
    login(&app, email, PASSWORD, "10.1.1.1")
        .await
        .expect("the owner still logs in");

    // An e-mail nobody has answers exactly the same way.
    let ghost = "ghost@acme.example";
    for i in 0..MAX_FAILURES_PER_EMAIL_ANYWHERE {
        let f = login(&app, ghost, "guess", &format!("198.51.101.{}", i / 5))
            .await
            .expect_err("no such user");
        assert_eq!(f.code, "invalid_credentials");
    }
    let f = login(&app, ghost, "guess", "192.0.2.99")
        .await
        .expect_err("held back");
    assert_eq!(f.code, "too_many_attempts");
}
