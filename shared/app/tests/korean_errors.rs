//! What the portal shows when input is refused is Korean only: numbers in
//! SMS recipients, URL 관리's links, webhook addresses and department names
//! used to carry the domain's English reason in brackets.

mod common;

use app::admin::{LinksForm, set_links};
use domain::TenantId;

/// Latin words of three letters or more, other than `https` (what a user
/// types) and the example address: English left in a Korean message.
fn english(message: &str) -> Vec<&str> {
    message
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3 && !["https", "www", "example", "com"].contains(w))
        .collect()
}

async fn world() -> (tempfile::TempDir, app::App, TenantId) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, t) = common::acme(dir.path()).await;
    (dir, app, t)
}

#[tokio::test]
async fn refusals_of_numbers_links_webhooks_and_departments_are_korean() {
    let (_dir, app, t) = world().await;
    let mut messages: Vec<String> = Vec::new();

    let raw: Vec<String> = ["02-12", "abc", "+1 555 0100", "010-1234"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let errors = app::messaging::recipients(&raw).expect_err("refused");
    assert_eq!(errors.len(), 4);
    messages.extend(errors.into_iter().map(|e| e.message));

    for (field, url) in [
        ("ci_url", "https://exa mple.com/"),
        ("notice_url", "ftp://example.com/x"),
        (
            "other_url",
            &format!("https://example.com/{}", "a".repeat(2_100)),
        ),
    ] {
        let mut f = LinksForm::default();
        match field {
            "ci_url" => f.ci_url = url.to_owned(),
            "notice_url" => f.notice_url = url.to_owned(),
            _ => f.other_url = url.to_owned(),
        }
        let e = set_links(&app, &t, f).await.expect_err("refused");
        assert_eq!(e.field, Some(field), "the bad field is named");
        messages.push(e.message);
    }

    for url in ["not a url", "http://crm.example.com/hook", ""] {
        let f = app::webhooks::Form {
            url: Some(url.into()),
            ..Default::default()
        };
        let e = app::webhooks::create(&app, &t, &f)
            .await
            .expect_err("refused");
        messages.push(e.message);
    }

    for name in ["", "  ", &"부".repeat(51)] {
        let e = app::org::resolve_department(&app, &t, name, None)
            .await
            .expect_err("refused");
        messages.push(e.message);
    }

    for m in &messages {
        assert!(english(m).is_empty(), "English in {m:?}: {:?}", english(m));
        assert!(m.chars().any(|c| ('가'..='힣').contains(&c)), "{m:?}");
    }
}

#[test]
fn department_tree_errors_name_the_departments_in_korean() {
    use app::labels::org_error;
    use domain::OrgError;
    assert_eq!(
        org_error(&OrgError::UnknownParent {
            child: "영업1팀".into(),
            parent: "영업본부".into()
        }),
        "'영업1팀'의 상위부서 '영업본부'가 없습니다"
    );
    assert_eq!(
        org_error(&OrgError::Duplicate("개발팀".into())),
        "'개발팀' 부서가 두 번 나옵니다"
    );
    assert_eq!(
        org_error(&OrgError::Cycle(vec![
            "가".into(),
            "나".into(),
            "가".into()
        ])),
        "순환 관계입니다 (가 → 나 → 가)"
    );
}
