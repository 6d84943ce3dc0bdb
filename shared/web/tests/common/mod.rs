//! Shared helpers for the router tests: an app over a chosen store with two
//! tenants, and a tiny cookie-keeping client driving the Router in-process.
#![allow(dead_code)]

pub mod openapi;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

pub struct World {
    pub app: app::App,
    pub admin_a: (String, String),
    pub admin_b: (String, String),
    pub key_a: String,
    pub key_b: String,
    _dir: tempfile::TempDir,
}

pub async fn world_on(store: Arc<dyn store::Store>) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app::App::over(store, dir.path(), "http://127.0.0.1:8080").expect("app");
    let mut admins = Vec::new();
    let mut keys = Vec::new();
    for (id, name) in [("tenant-a", "(주)에이"), ("tenant-b", "(주)비")] {
        app::operator::create_tenant(
            &app,
            app::operator::NewTenant {
                id: Some(id.into()),
                name: name.into(),
                representative_number: Some("02-1234-5678".into()),
                region: None,
            },
        )
        .await
        .expect("tenant");
        let email = format!("admin@{id}.example");
        let password = "admin-password-1".to_owned();
        app::operator::create_account(
            &app,
            app::operator::NewAccount {
                tenant: id.into(),
                name: "관리자".into(),
                email: Some(email.clone()),
                password: Some(password.clone()),
                mobile: None,
                extension: None,
                role: domain::Role::Admin,
                status: domain::AccountStatus::Active,
                department: None,
                position: None,
            },
        )
        .await
        .expect("admin");
        admins.push((email, password));
        let scopes: Vec<String> = app::operator::SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        keys.push(
            app::operator::create_api_key(&app, id, "test", &scopes)
                .await
                .expect("key")
                .secret,
        );
    }
    let csv: String = (1..=10).map(|i| format!("070-5000-{i:04}\n")).collect();
    app::operator::load_numbers(&app, "kr", &csv)
        .await
        .expect("numbers");
    World {
        app,
        admin_a: admins[0].clone(),
        admin_b: admins[1].clone(),
        key_a: keys[0].clone(),
        key_b: keys[1].clone(),
        _dir: dir,
    }
}

pub async fn world() -> World {
    world_on(Arc::new(
        store::embedded::EmbeddedStore::in_memory().expect("store"),
    ))
    .await
}

/// A user of tenant `t` with a confirmed login, created as an admin would.
pub async fn user(
    w: &World,
    t: &str,
    name: &str,
    email: &str,
    ext: Option<&str>,
    status: domain::AccountStatus,
) -> domain::Account {
    let tenant = domain::TenantId::parse(t).expect("tenant");
    let created = app::admin::create_member(
        &w.app,
        &tenant,
        app::admin::NewMember {
            name: name.into(),
            mobile: Some("010-3000-0001".into()),
            extension: ext.map(str::to_owned),
            status: Some(status),
            ..Default::default()
        },
    )
    .await
    .expect("member");
    let hash = app::password::hash("user-password-1").expect("hash");
    store::repo::accounts::set_login(
        &*w.app.store,
        &created.account,
        &domain::Email::parse(email).expect("email"),
        &hash,
    )
    .await
    .expect("login")
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as sent (for binary downloads).
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
    /// The value of the first hidden `_csrf` field in the page.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"_csrf\" value=\"")
            .expect("page has a CSRF field");
        let rest = &self.body[at + "name=\"_csrf\" value=\"".len()..];
        rest[..rest.find('"').expect("closing quote")].to_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A browser-like client: keeps cookies, sends forms.
pub struct Client {
    pub app: app::App,
    pub cookies: HashMap<String, String>,
}

impl Client {
    pub fn new(app: &app::App) -> Self {
        Self {
            app: app.clone(),
            cookies: HashMap::new(),
        }
    }

    pub async fn send(&mut self, req: Request<Body>) -> Resp {
        let mut req = req;
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req.headers_mut()
                .insert(header::COOKIE, c.join("; ").parse().expect("cookie header"));
        }
        let (method, path) = (req.method().to_string(), req.uri().path().to_owned());
        let resp = web::router(self.app.clone())
            .oneshot(req)
            .await
            .expect("response");
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().expect("ascii");
            let (kv, _) = v.split_once(';').unwrap_or((v, ""));
            if let Some((k, val)) = kv.split_once('=') {
                if val.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), val.to_owned());
                }
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let ctype = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        openapi::check(&method, &path, status.as_u16(), ctype, &body);
        Resp {
            status,
            headers,
            body,
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Resp {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        self.post_form(
            "/login",
            &[("_csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

/// An API call with a bearer token and JSON body.
pub async fn api(
    app: &app::App,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<serde_json::Value>,
    extra: &[(&str, &str)],
) -> Resp {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = bearer {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request");
    let mut c = Client::new(app);
    c.send(req).await
}

/// 김민수 (extension 2001), an active user of tenant A who can log in.
pub async fn kim(w: &World) -> domain::Account {
    user(
        w,
        "tenant-a",
        "김민수",
        "kim@tenant-a.example",
        Some("2001"),
        domain::AccountStatus::Active,
    )
    .await
}

/// A phone of `a` registered at edge `kr` from `source` for the next hour,
/// since `since` (Unix seconds).
pub async fn register(
    w: &World,
    a: &domain::Account,
    source: std::net::SocketAddr,
    user_agent: Option<&str>,
    since: i64,
) {
    store::repo::registrations::put(
        &*w.app.store,
        &domain::Registration {
            tenant: a.tenant.clone(),
            account: a.id.clone(),
            sip_username: "phone".into(),
            contact: format!("sip:phone@{source}"),
            source,
            transport: domain::Transport::Udp,
            edge: domain::EdgeId::parse("kr").expect("edge"),
            edge_addr: std::net::SocketAddr::from(([203, 0, 113, 1], 5060)),
            user_agent: user_agent.map(str::to_owned),
            expires_at: store::now_epoch_seconds() + 3600,
            since,
        },
    )
    .await
    .expect("registration");
}
