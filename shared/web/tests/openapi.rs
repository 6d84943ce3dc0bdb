//! The API as a product (T9): the OpenAPI document covers every `/v1`
//! route the router answers and nothing it does not, is served with its
//! viewer, and (in `common::openapi`) every answer the tests see matches it.

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::{Client, world};

fn documented() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(web::api::openapi::json()).expect("document");
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let routes: BTreeSet<(String, String)> = web::api::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_owned()))
        .collect();
    let doc = documented();
    let missing: Vec<_> = routes.difference(&doc).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    let ghosts: Vec<_> = doc.difference(&routes).collect();
    assert!(ghosts.is_empty(), "documented but not routed: {ghosts:?}");
    assert!(routes.len() >= 60, "{}", routes.len());
    assert!(routes.iter().all(|(_, p)| p.starts_with("/v1/")));
}

#[test]
fn the_document_is_openapi_3_1_with_schemas_and_security() {
    let doc: serde_json::Value = serde_json::from_str(web::api::openapi::json()).expect("document");
    assert_eq!(doc["openapi"], "3.1.0");
    for s in ["api_key", "app_token", "cti_token", "carrier_signature"] {
        assert!(doc["components"]["securitySchemes"][s].is_object(), "{s}");
    }
    for name in [
        "Problem",
        "Account",
        "CallList",
        "Call",
        "HuntGroup",
        "Scenario",
        "Webhook",
    ] {
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "schema {name}"
        );
    }
    // Every operation says what refusals look like, and writes that take
    // an Idempotency-Key say so.
    let create = &doc["paths"]["/v1/accounts"]["post"];
    assert!(create["responses"]["default"]["content"]["application/problem+json"].is_object());
    assert!(
        create["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
    );
    // Scopes are named per operation.
    assert_eq!(
        doc["paths"]["/v1/calls"]["get"]["security"][0]["api_key"][0],
        "calls:read"
    );
    // Lists page with limit and next_token, and answer next_token.
    for path in [
        "/v1/accounts",
        "/v1/hunt-groups",
        "/v1/ivr",
        "/v1/callbacks",
        "/v1/webhooks",
        "/v1/api-keys",
    ] {
        let params: Vec<&str> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} parameters"))
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(
            params.contains(&"limit") && params.contains(&"next_token"),
            "{path}: {params:?}"
        );
    }
}

#[tokio::test]
async fn the_document_and_its_viewer_are_served() {
    let w = world().await;
    let mut c = Client::new(&w.app);
    let r = c.get("/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/json");
    let doc: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");

    let page = c.get("/docs").await;
    assert_eq!(page.status, StatusCode::OK);
    for asset in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/init.js",
    ] {
        assert!(page.body.contains(asset), "{asset}");
    }
    // Gzip as stored for browsers, inflated for a client that takes none.
    let gz = c
        .send(
            axum::http::Request::get("/docs/swagger-ui-bundle.js")
                .header("accept-encoding", "gzip, deflate, br")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(gz.status, StatusCode::OK);
    assert_eq!(gz.headers["content-encoding"], "gzip");
    assert_eq!(&gz.bytes[..2], &[0x1f, 0x8b]);
    let plain = c.get("/docs/swagger-ui.css").await;
    assert!(plain.headers.get("content-encoding").is_none());
    assert!(plain.body.contains(".swagger-ui"), "{}", &plain.body[..100]);
    let init = c.get("/docs/init.js").await;
    assert!(init.body.contains("/v1/openapi.json"));
}

#[tokio::test]
async fn lists_page_with_next_token() {
    let w = world().await;
    for i in 0..3 {
        let r = common::api(
            &w.app,
            "POST",
            "/v1/webhooks",
            Some(&w.key_a),
            Some(serde_json::json!({"url": format!("https://hooks{i}.example.com/in"), "events": ["call.ended"]})),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(t) => format!("/v1/webhooks?limit=2&next_token={t}"),
            None => "/v1/webhooks?limit=2".to_owned(),
        };
        let r = common::api(&w.app, "GET", &path, Some(&w.key_a), None, &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let j: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        for e in j["webhooks"].as_array().expect("webhooks") {
            seen.push(e["id"].as_str().expect("id").to_owned());
        }
        match j["next_token"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3);
    for bad in [
        "/v1/webhooks?limit=0",
        "/v1/webhooks?next_token=zz",
        "/v1/hunt-groups?limit=500",
    ] {
        let r = common::api(&w.app, "GET", bad, Some(&w.key_a), None, &[]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        let j: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        assert!(
            j["code"] == "invalid_limit" || j["code"] == "invalid_next_token",
            "{bad}: {}",
            r.body
        );
    }
}

#[test]
fn answers_that_stray_from_the_document_are_caught() {
    let ok = r#"{"api_keys":[],"next_token":null}"#;
    common::openapi::check("GET", "/v1/api-keys", 200, "application/json", ok);
    for bad in [
        // A property the document does not name.
        r#"{"api_keys":[],"next_token":null,"extra":1}"#,
        // A required property missing, and one of the wrong type.
        r#"{"next_token":null}"#,
        r#"{"api_keys":[{"id":1}],"next_token":null}"#,
    ] {
        let caught = std::panic::catch_unwind(|| {
            common::openapi::check("GET", "/v1/api-keys", 200, "application/json", bad)
        });
        assert!(caught.is_err(), "{bad} passed");
    }
    // An undocumented status, and a route the document lacks.
    assert!(
        std::panic::catch_unwind(|| {
            common::openapi::check("GET", "/v1/api-keys", 201, "application/json", ok)
        })
        .is_err()
    );
    assert!(
        std::panic::catch_unwind(|| {
            common::openapi::check("GET", "/v1/nowhere", 200, "application/json", "{}")
        })
        .is_err()
    );
}
