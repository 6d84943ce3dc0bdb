//! 계정관리's search: a name query finds names (and e-mails), not every
//! account whose number happens to hold one of its digits; a number query
//! (digits, with or without separators) finds numbers; an extension is
//! matched whole.

mod common;

use app::admin::{NewMember, create_member, list_accounts};

#[tokio::test]
async fn a_name_with_a_digit_matches_names_and_a_number_matches_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, t) = common::acme(dir.path()).await;
    for (name, mobile, ext) in [
        ("테스트1", "010-1111-2222", "1001"),
        ("테스트2", "010-3333-1444", "1002"),
        ("김민수", "010-5555-6661", "2001"),
    ] {
        create_member(
            &app,
            &t,
            NewMember {
                name: name.into(),
                mobile: Some(mobile.into()),
                extension: Some(ext.into()),
                ..Default::default()
            },
        )
        .await
        .expect("member");
    }
    let names = |q: &'static str| {
        let app = app.clone();
        let t = t.clone();
        async move {
            let page = list_accounts(&app, &t, q, 1, 50).await.expect("search");
            let mut n: Vec<String> = page.accounts.into_iter().map(|a| a.name).collect();
            n.sort();
            n
        }
    };
    assert_eq!(names("테스트1").await, ["테스트1"]);
    assert_eq!(names("테스트").await, ["테스트1", "테스트2"]);
    assert_eq!(names("6661").await, ["김민수"]);
    assert_eq!(names("010-3333").await, ["테스트2"]);
    assert_eq!(names("2001").await, ["김민수"], "an extension, whole");
    assert_eq!(names("1").await.len(), 3, "a bare digit is a number query");
}
