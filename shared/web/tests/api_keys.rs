//! API keys as a product: the tenant's keys are listed (never the keys
//! themselves) with when each was last used, in the API and the portal; a
//! revoked key is refused at once; another tenant cannot revoke them; every
//! scope a key can be given is one a route asks for.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Client, api, world};

#[tokio::test]
async fn keys_are_listed_with_last_use_and_revoked_in_the_api_and_the_portal() {
    let w = world().await;
    let r = api(&w.app, "GET", "/v1/api-keys", Some(&w.key_a), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The request itself is the key's first use, noted off the request's path.
    let mut used = None;
    for _ in 0..50 {
        let list = api(&w.app, "GET", "/v1/api-keys", Some(&w.key_a), None, &[])
            .await
            .json();
        assert_eq!(list["api_keys"].as_array().map(Vec::len), Some(1), "{list}");
        assert!(!list.to_string().contains(&w.key_a), "never the key");
        assert!(
            w.key_a
                .starts_with(list["api_keys"][0]["prefix"].as_str().unwrap_or("-"))
        );
        if let Some(t) = list["api_keys"][0]["last_used_at"].as_i64() {
            used = Some((
                t,
                list["api_keys"][0]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (at, id) = used.expect("last use noted");
    assert!((store::now_epoch_seconds() - at).abs() < 60);

    // Another tenant's key cannot revoke it.
    let r = api(
        &w.app,
        "DELETE",
        &format!("/v1/api-keys/{id}"),
        Some(&w.key_b),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The portal lists a second key, and revokes it.
    let mut c = Client::new(&w.app);
    let (email, password) = w.admin_a.clone();
    c.login(&email, &password).await;
    let page = c.get("/admin/apikeys").await;
    let csrf = page.csrf();
    let made = c
        .post_form(
            "/admin/apikeys",
            &[("_csrf", &csrf), ("name", "CRM"), ("scope", "calls:read")],
        )
        .await;
    assert!(made.body.contains("id=\"api-keys\""), "{}", made.body);
    let list = api(&w.app, "GET", "/v1/api-keys", Some(&w.key_a), None, &[])
        .await
        .json();
    let crm = list["api_keys"]
        .as_array()
        .and_then(|l| l.iter().find(|k| k["name"] == "CRM"))
        .and_then(|k| k["id"].as_str())
        .expect("CRM key")
        .to_owned();
    assert!(made.body.contains(&format!("/admin/apikeys/{crm}/revoke")));
    let r = c
        .post_form(&format!("/admin/apikeys/{crm}/revoke"), &[("_csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = api(&w.app, "GET", "/v1/api-keys", Some(&w.key_a), None, &[])
        .await
        .json();
    assert_eq!(list["api_keys"].as_array().map(Vec::len), Some(1));

    // Revoked through the API: the key is refused from then on.
    let r = api(
        &w.app,
        "DELETE",
        &format!("/v1/api-keys/{id}"),
        Some(&w.key_a),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api(&w.app, "GET", "/v1/api-keys", Some(&w.key_a), None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// Each scope offered, and a route that asks for it.
const ROUTES: &[(&str, &str, &str)] = &[
    ("calls:read", "GET", "/v1/calls"),
    ("calls:write", "POST", "/v1/calls"),
    ("stats:read", "GET", "/v1/stats"),
    ("recordings:read", "GET", "/v1/calls/x/recordings/1"),
    (
        "sms:read",
        "GET",
        "/v1/messages?from=2026-01-01&to=2026-01-31",
    ),
    ("sms:send", "POST", "/v1/messages"),
    ("callbacks:read", "GET", "/v1/callbacks"),
    ("callbacks:write", "POST", "/v1/callbacks"),
    ("cti:write", "POST", "/v1/cti/tokens"),
    ("monitoring:read", "GET", "/v1/monitoring"),
    ("accounts:read", "GET", "/v1/accounts"),
    ("accounts:write", "POST", "/v1/accounts"),
    ("hunt_groups:read", "GET", "/v1/hunt-groups"),
    ("hunt_groups:write", "POST", "/v1/hunt-groups"),
    ("ivr:read", "GET", "/v1/ivr"),
    ("ivr:write", "POST", "/v1/ivr"),
    ("webhooks:read", "GET", "/v1/webhooks"),
    ("webhooks:write", "POST", "/v1/webhooks"),
    ("api_keys:read", "GET", "/v1/api-keys"),
    ("api_keys:write", "DELETE", "/v1/api-keys/0000000000000000"),
];

#[tokio::test]
async fn every_scope_offered_opens_a_route_and_is_needed_for_it() {
    let w = world().await;
    for s in app::operator::SCOPES {
        assert!(
            ROUTES.iter().any(|(scope, _, _)| scope == s),
            "scope {s} is offered but no route here asks for it"
        );
    }
    for (scope, method, path) in ROUTES {
        let with = app::operator::create_api_key(&w.app, "tenant-a", "one", &[(*scope).to_owned()])
            .await
            .expect("key")
            .secret;
        let others: Vec<String> = app::operator::SCOPES
            .iter()
            .filter(|s| *s != scope)
            .map(|s| (*s).to_owned())
            .collect();
        let without = app::operator::create_api_key(&w.app, "tenant-a", "others", &others)
            .await
            .expect("key")
            .secret;
        let body = (*method == "POST").then(|| serde_json::json!({}));
        let r = api(&w.app, method, path, Some(&with), body.clone(), &[]).await;
        assert_ne!(
            r.status,
            StatusCode::FORBIDDEN,
            "{scope} opens {method} {path}: {}",
            r.body
        );
        let r = api(&w.app, method, path, Some(&without), body, &[]).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path} needs {scope}: {}",
            r.body
        );
    }
}
