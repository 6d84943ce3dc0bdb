//! The registrar with literal REGISTER messages over the embedded store.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use md5::{Digest as _, Md5};
use std::sync::Arc;

use media_edge::location::Location;
use media_edge::registrar::Registrar;
use media_edge::sip::message::Request;
use sha2::Sha256;

struct W {
    app: app::App,
    reg: Registrar,
    user: String,
    account: domain::Account,
    _dir: tempfile::TempDir,
}

const PASSWORD: &str = "s3cretPassw0rd2345";

async fn world() -> W {
    let dir = tempfile::tempdir().expect("tempdir");
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
    let t = domain::TenantId::parse("acme").expect("id");
    let c = app::admin::create_member(
        &app,
        &t,
        app::admin::NewMember {
            name: "김민수".into(),
            sip_password: Some(PASSWORD.into()),
            ..Default::default()
        },
    )
    .await
    .expect("member");
    let reg = registrar(&app);
    W {
        user: c.account.sip_username.clone().expect("sip user"),
        account: c.account,
        app,
        reg,
        _dir: dir,
    }
}

/// A registrar of that edge, with its own (empty) caches.
fn registrar(app: &app::App) -> Registrar {
    let directory = media_edge::directory::StoreDirectory::new(app.clone(), location(app));
    Registrar::new(app.sip_realm.clone(), b"nonce-key", Arc::new(directory))
}

/// The location service of an edge `kr` at 203.0.113.1:5060 over the app's table.
fn location(app: &app::App) -> Arc<Location> {
    Arc::new(Location::new(
        app.store.clone(),
        domain::EdgeId::parse("kr").expect("edge id"),
        "203.0.113.1:5060".parse().expect("addr"),
    ))
}

async fn bound(reg: &Registrar, a: &domain::Account, now: i64) -> Vec<domain::Registration> {
    reg.location()
        .lookup(&a.tenant, &a.id, now)
        .await
        .expect("lookup")
}

/// A new member of acme with the test password: their SIP user name.
async fn member(app: &app::App, name: &str) -> String {
    let t = domain::TenantId::parse("acme").expect("id");
    let c = app::admin::create_member(
        app,
        &t,
        app::admin::NewMember {
            name: name.into(),
            sip_password: Some(PASSWORD.into()),
            ..Default::default()
        },
    )
    .await
    .expect("member");
    c.account.sip_username.expect("sip user")
}

/// REGISTERs `user` from `from` and answers the MD5 challenge with
/// `password` (CSeq `cseq`, then `cseq + 1`): whether a challenge came
/// (no lockout refused it first), and the final answer.
async fn register_as(
    reg: &Registrar,
    user: &str,
    password: &str,
    cseq: u32,
    from: SocketAddr,
    now: i64,
) -> (bool, String) {
    let ch = text(
        reg.handle(&msg(user, cseq, "", "<sip:u@h>"), from, now)
            .await,
    );
    if !ch.starts_with("SIP/2.0 401") {
        return (false, ch);
    }
    let nonce = nonce_of(&ch, "MD5");
    let a = auth(user, password, &nonce, "00000001", false);
    let answer = text(
        reg.handle(&msg(user, cseq + 1, &a, "<sip:u@h>"), from, now)
            .await,
    );
    (true, answer)
}

fn msg(user: &str, cseq: u32, extra: &str, contact: &str) -> Request {
    let text = format!(
        "REGISTER sip:office SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK{cseq};rport\r\nFrom: <sip:{user}@office>;tag=77\r\nTo: <sip:{user}@office>\r\nCall-ID: reg-1@10.0.0.5\r\nCSeq: {cseq} REGISTER\r\nContact: {contact}\r\n{extra}Content-Length: 0\r\n\r\n"
    );
    Request::parse(text.as_bytes()).expect("literal message parses")
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8(b).expect("utf-8")
}

fn nonce_of(challenge: &str, alg: &str) -> String {
    let line = challenge
        .lines()
        .find(|l| l.starts_with("WWW-Authenticate") && l.contains(&format!("algorithm={alg}")))
        .expect("challenge");
    let at = line.find("nonce=\"").expect("nonce") + 7;
    line[at..at + line[at..].find('"').expect("quote")].to_owned()
}

fn auth(user: &str, password: &str, nonce: &str, nc: &str, sha: bool) -> String {
    let h = |s: String| {
        if sha {
            hex::encode(Sha256::digest(s.as_bytes()))
        } else {
            hex::encode(Md5::digest(s.as_bytes()))
        }
    };
    let ha1 = h(format!("{user}:office:{password}"));
    let ha2 = h("REGISTER:sip:office".to_owned());
    let response = h(format!("{ha1}:{nonce}:{nc}:abcdef:auth:{ha2}"));
    let alg = if sha { "SHA-256" } else { "MD5" };
    format!(
        "Authorization: Digest username=\"{user}\", realm=\"office\", nonce=\"{nonce}\", uri=\"sip:office\", response=\"{response}\", algorithm={alg}, qop=auth, nc={nc}, cnonce=\"abcdef\"\r\n"
    )
}

fn src(last: u8) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, last], 5062))
}

#[tokio::test]
async fn a_register_is_challenged_with_md5_and_sha256() {
    let w = world().await;
    let r = text(
        w.reg
            .handle(&msg(&w.user, 1, "", "<sip:u@10.0.0.5:5062>"), src(1), 1000)
            .await,
    );
    assert!(r.starts_with("SIP/2.0 401 Unauthorized\r\n"), "{r}");
    let md5 = r.find("algorithm=MD5").expect("md5");
    let sha = r.find("algorithm=SHA-256").expect("sha");
    assert!(
        md5 < sha,
        "MD5 first for clients that take the first challenge"
    );
    assert!(r.contains("qop=\"auth\"") && r.contains("realm=\"office\""));
}

#[tokio::test]
async fn old_libre_clients_are_challenged_with_md5_alone() {
    let w = world().await;
    let r = text(
        w.reg
            .handle(
                &msg(
                    &w.user,
                    1,
                    "User-Agent: baresip v1.0.0 (x86_64/linux)\r\n",
                    "<sip:u@10.0.0.5:5062>",
                ),
                src(1),
                1000,
            )
            .await,
    );
    assert!(r.contains("algorithm=MD5"), "{r}");
    assert!(
        !r.contains("SHA-256"),
        "libre before 2.0 fails on a list holding SHA-256: {r}"
    );
}

#[tokio::test]
async fn sha256_credentials_register_and_the_binding_is_stored() {
    let w = world().await;
    // Real time: the table hides registrations past their expiry.
    let t0 = store::now_epoch_seconds();
    let ch = text(
        w.reg
            .handle(&msg(&w.user, 1, "", "<sip:u@10.0.0.5:5062>"), src(1), t0)
            .await,
    );
    let nonce = nonce_of(&ch, "SHA-256");
    let ok = text(
        w.reg
            .handle(
                &msg(
                    &w.user,
                    2,
                    &auth(&w.user, PASSWORD, &nonce, "00000001", true),
                    "<sip:u@10.0.0.5:5062>;expires=600",
                ),
                src(1),
                t0 + 1,
            )
            .await,
    );
    assert!(ok.starts_with("SIP/2.0 200 OK\r\n"), "{ok}");
    assert!(
        ok.contains("Contact: <sip:u@10.0.0.5:5062>;expires=600"),
        "{ok}"
    );
    let b = bound(&w.reg, &w.account, t0 + 1).await;
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].source, b[0].edge.as_str(), b[0].transport),
        (src(1), "kr", domain::Transport::Udp)
    );
    // An edge started afresh over the same table (a restart, or another
    // process) finds the phone, and which edge holds it.
    let again = registrar(&w.app);
    let b = bound(&again, &w.account, t0 + 1).await;
    assert_eq!(
        (b.len(), b[0].contact.as_str(), b[0].source),
        (1, "sip:u@10.0.0.5:5062", src(1))
    );
    let page = w
        .app
        .store
        .query(
            &store::Query::partition("TENANT#acme").sk(store::SortKey::BeginsWith("REG#".into())),
        )
        .await
        .expect("query");
    assert_eq!(page.items.len(), 1, "the registration is in the table");
    assert_eq!(page.items[0].n("expires_at"), Some(t0 + 601));
    // The same nonce count again is a replay: challenged afresh.
    let replay = text(
        w.reg
            .handle(
                &msg(
                    &w.user,
                    3,
                    &auth(&w.user, PASSWORD, &nonce, "00000001", true),
                    "<sip:u@10.0.0.5:5062>",
                ),
                src(1),
                t0 + 2,
            )
            .await,
    );
    assert!(replay.starts_with("SIP/2.0 401"), "{replay}");
    // Unregister everything.
    let n2 = nonce_of(&replay, "MD5");
    let gone = text(
        w.reg
            .handle(
                &msg(
                    &w.user,
                    4,
                    &format!(
                        "{}Expires: 0\r\n",
                        auth(&w.user, PASSWORD, &n2, "00000001", false)
                    ),
                    "*",
                ),
                src(1),
                t0 + 3,
            )
            .await,
    );
    assert!(gone.starts_with("SIP/2.0 200"), "{gone}");
    assert!(bound(&w.reg, &w.account, t0 + 3).await.is_empty());
    let again = registrar(&w.app);
    assert!(
        bound(&again, &w.account, t0 + 3).await.is_empty(),
        "the table forgot it too"
    );
}

#[tokio::test]
async fn wrong_password_unknown_user_and_suspended_accounts_get_the_same_403() {
    let w = world().await;
    let mut answers = Vec::new();
    for (user, password) in [
        (w.user.clone(), "wrong".to_owned()),
        ("1000000001".to_owned(), PASSWORD.to_owned()),
    ] {
        let ch = text(
            w.reg
                .handle(&msg(&user, 1, "", "<sip:u@h>"), src(2), 1000)
                .await,
        );
        let nonce = nonce_of(&ch, "MD5");
        answers.push(text(
            w.reg
                .handle(
                    &msg(
                        &user,
                        2,
                        &auth(&user, &password, &nonce, "00000001", false),
                        "<sip:u@h>",
                    ),
                    src(2),
                    1001,
                )
                .await,
        ));
    }
    store::repo::accounts::set_status(
        &*w.app.store,
        &w.account.tenant,
        &w.account.id,
        domain::AccountStatus::Suspended,
    )
    .await
    .expect("suspend");
    let ch = text(
        w.reg
            .handle(&msg(&w.user, 1, "", "<sip:u@h>"), src(3), 1000)
            .await,
    );
    let nonce = nonce_of(&ch, "MD5");
    answers.push(text(
        w.reg
            .handle(
                &msg(
                    &w.user,
                    2,
                    &auth(&w.user, PASSWORD, &nonce, "00000001", false),
                    "<sip:u@h>",
                ),
                src(3),
                1001,
            )
            .await,
    ));
    for a in &answers {
        assert!(a.starts_with("SIP/2.0 403 Forbidden\r\n"), "{a}");
    }
}

#[tokio::test]
async fn too_short_expiry_is_refused_and_a_stale_nonce_is_marked_stale() {
    let w = world().await;
    let ch = text(
        w.reg
            .handle(&msg(&w.user, 1, "", "<sip:u@h>"), src(4), 1000)
            .await,
    );
    let nonce = nonce_of(&ch, "MD5");
    let brief = text(
        w.reg
            .handle(
                &msg(
                    &w.user,
                    2,
                    &auth(&w.user, PASSWORD, &nonce, "00000001", false),
                    "<sip:u@h>;expires=30",
                ),
                src(4),
                1001,
            )
            .await,
    );
    assert!(
        brief.starts_with("SIP/2.0 423 Interval Too Brief\r\n")
            && brief.contains("Min-Expires: 60"),
        "{brief}"
    );
    let stale = text(
        w.reg
            .handle(
                &msg(
                    &w.user,
                    3,
                    &auth(&w.user, PASSWORD, &nonce, "00000002", false),
                    "<sip:u@h>",
                ),
                src(4),
                1000 + 301,
            )
            .await,
    );
    assert!(
        stale.starts_with("SIP/2.0 401") && stale.contains("stale=true"),
        "{stale}"
    );
}

#[tokio::test]
async fn one_bad_phone_locks_only_itself_not_its_office() {
    let w = world().await;
    for i in 0..10u32 {
        let ch = text(
            w.reg
                .handle(&msg(&w.user, 1, "", "<sip:u@h>"), src(5), 1000)
                .await,
        );
        let nonce = nonce_of(&ch, "MD5");
        w.reg
            .handle(
                &msg(
                    &w.user,
                    2 + i,
                    &auth(&w.user, "wrong", &nonce, "00000001", false),
                    "<sip:u@h>",
                ),
                src(5),
                1001,
            )
            .await;
    }
    // Locked from that address, even with the right password...
    let locked = text(
        w.reg
            .handle(&msg(&w.user, 50, "", "<sip:u@h>"), src(5), 1002)
            .await,
    );
    assert!(locked.starts_with("SIP/2.0 403"), "{locked}");
    // ...but the same account registers from another address.
    let ch = text(
        w.reg
            .handle(&msg(&w.user, 1, "", "<sip:u@h>"), src(6), 1002)
            .await,
    );
    let nonce = nonce_of(&ch, "MD5");
    let ok = text(
        w.reg
            .handle(
                &msg(
                    &w.user,
                    2,
                    &auth(&w.user, PASSWORD, &nonce, "00000001", false),
                    "<sip:u@h>",
                ),
                src(6),
                1003,
            )
            .await,
    );
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
}

/// Challenge, then answer it with `password`: the registrar's final answer.
async fn register_with(w: &W, password: &str, from: SocketAddr, now: i64) -> String {
    let ch = text(
        w.reg
            .handle(&msg(&w.user, 1, "", "<sip:u@h>"), from, now)
            .await,
    );
    let nonce = nonce_of(&ch, "MD5");
    let auth = auth(&w.user, password, &nonce, "00000001", false);
    text(
        w.reg
            .handle(&msg(&w.user, 2, &auth, "<sip:u@h>"), from, now)
            .await,
    )
}

#[tokio::test]
async fn credentials_are_cached_yet_a_reset_or_a_suspension_takes_effect() {
    let w = world().await;
    let reset = || async {
        let (_, p) = app::admin::reset_sip(&w.app, &w.account.tenant, w.account.id.as_str())
            .await
            .expect("reset");
        p
    };
    let ok = register_with(&w, PASSWORD, src(7), 1000).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    // Refreshes find the credentials and the account in the cache.
    let reads = w.reg.directory().reads();
    for _ in 0..5 {
        let ok = register_with(&w, PASSWORD, src(7), 1000).await;
        assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    }
    assert_eq!(w.reg.directory().reads(), reads, "no directory read");
    // A reset: the old password is refused once the tenant's version is
    // read again (at most CREDENTIALS_RECHECK later)...
    let second = reset().await;
    tokio::time::sleep(media_edge::directory::CREDENTIALS_RECHECK).await;
    let old = register_with(&w, PASSWORD, src(8), 1001).await;
    assert!(old.starts_with("SIP/2.0 403"), "{old}");
    // ...and a new password works at once: a mismatch with the cached
    // digests reads the table again.
    let third = reset().await;
    let ok = register_with(&w, &third, src(7), 1002).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    let old = register_with(&w, &second, src(7), 1002).await;
    assert!(old.starts_with("SIP/2.0 403"), "{old}");
    // A suspension takes effect within the same time.
    store::repo::accounts::set_status(
        &*w.app.store,
        &w.account.tenant,
        &w.account.id,
        domain::AccountStatus::Suspended,
    )
    .await
    .expect("suspend");
    tokio::time::sleep(media_edge::directory::CREDENTIALS_RECHECK).await;
    let refused = register_with(&w, &third, src(9), 1003).await;
    assert!(refused.starts_with("SIP/2.0 403"), "{refused}");
}

#[tokio::test]
async fn a_flood_of_wrong_passwords_from_an_office_address_does_not_lock_its_phones_out() {
    let w = world().await;
    // A colleague behind the same NAT, registered there earlier today.
    let colleague = member(&w.app, "이영희").await;
    let office = src(9);
    let register = |user: String, password: &'static str, cseq: u32, now: i64| {
        let reg = &w.reg;
        async move { register_as(reg, &user, password, cseq, office, now).await.1 }
    };
    assert!(
        register(colleague.clone(), PASSWORD, 1, 1000)
            .await
            .starts_with("SIP/2.0 200")
    );
    // Ten wrong passwords for w.user lock w.user out there, then 20,000
    // wrong REGISTERs for made-up users, within a few seconds.
    for _ in 0..10 {
        register(w.user.clone(), "wrong", 10, 1001).await;
    }
    let mut answers: HashMap<u16, u32> = HashMap::new();
    for i in 0..20_000u32 {
        let user = format!("guess{i}");
        let now = 1001 + i64::from(i / 5000);
        let r = register(user, "wrong", 10, now).await;
        let code = r[8..11].parse().expect("status");
        *answers.entry(code).or_default() += 1;
    }
    let checked = answers.get(&403).copied().unwrap_or(0);
    assert!(
        answers.get(&503).copied().unwrap_or(0) > 19_000,
        "the flood is rate-limited: {answers:?}"
    );
    assert!(
        checked < 600,
        "few credential checks reach the store: {answers:?}"
    );
    // The colleague who registered from there goes on registering.
    let ok = register(colleague, PASSWORD, 30, 1005).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    // A phone new to that address still gets in once the flood stops, with the right password...
    let ok = register(w.user.clone(), PASSWORD, 40, 1008).await;
    assert!(
        ok.starts_with("SIP/2.0 403"),
        "...unless it is the account the guesses were for (locked there): {ok}"
    );
    let newcomer = member(&w.app, "박철수").await;
    let ok = register(newcomer, PASSWORD, 50, 1008).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
}

#[tokio::test]
async fn a_new_binding_is_announced_and_one_that_lapses_is_announced_gone() {
    let w = world().await;
    w.reg.location().emit_to(app::events::Outbox::start(
        w.app.store.clone(),
        w.app.events.clone(),
        "edge-kr",
    ));
    let mut live = w.app.live.subscribe();
    let t0 = store::now_epoch_seconds();
    let ch = text(
        w.reg
            .handle(&msg(&w.user, 1, "", "<sip:u@10.0.0.5:5062>"), src(1), t0)
            .await,
    );
    let nonce = nonce_of(&ch, "SHA-256");
    let register = |cseq: u32, nc: &str| {
        msg(
            &w.user,
            cseq,
            &auth(&w.user, PASSWORD, &nonce, nc, true),
            "<sip:u@10.0.0.5:5062>;expires=600",
        )
    };
    let ok = text(w.reg.handle(&register(2, "00000001"), src(1), t0).await);
    assert!(ok.starts_with("SIP/2.0 200 OK\r\n"), "{ok}");
    let e = next(&mut live).await;
    assert_eq!(e.type_name(), "device.registered");
    // A refresh says nothing new.
    let again = text(w.reg.handle(&register(3, "00000002"), src(1), t0 + 1).await);
    assert!(again.starts_with("SIP/2.0 200 OK\r\n"), "{again}");
    // The phone vanishes; its binding lapses.
    assert_eq!(w.reg.location().expire(t0 + 601), 1);
    let gone = next(&mut live).await;
    assert_eq!(gone.type_name(), "device.unregistered", "{gone:?}");
    assert_eq!(w.reg.location().expire(t0 + 700), 0, "once");
}

async fn next(
    live: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<domain::event::Event>>,
) -> std::sync::Arc<domain::event::Event> {
    tokio::time::timeout(Duration::from_secs(5), live.recv())
        .await
        .expect("an event")
        .expect("received")
}

#[tokio::test]
async fn the_binding_records_the_connection_it_came_over_not_the_via() {
    let w = world().await;
    let t0 = store::now_epoch_seconds();
    // A client behind a TLS tunnel (stunnel) writes its Via as UDP or TCP:
    // the connection says TLS, and that is what routing trusts with keys.
    let over = (src(3), domain::Transport::Tls);
    let ch = text(
        w.reg
            .handle_over(&msg(&w.user, 1, "", "<sip:u@10.0.0.5:5062>"), over, t0)
            .await,
    );
    let nonce = nonce_of(&ch, "MD5");
    let ok = text(
        w.reg
            .handle_over(
                &msg(
                    &w.user,
                    2,
                    &auth(&w.user, PASSWORD, &nonce, "00000001", false),
                    "<sip:u@10.0.0.5:5062>",
                ),
                over,
                t0,
            )
            .await,
    );
    assert!(ok.starts_with("SIP/2.0 200 OK\r\n"), "{ok}");
    let b = bound(&w.reg, &w.account, t0).await;
    assert_eq!(
        (b.len(), b[0].source, b[0].transport),
        (1, src(3), domain::Transport::Tls)
    );
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_are_capped_per_account_and_the_owner_keeps_working() {
    let w = world().await;
    let register = |user: String, password: &'static str, from: SocketAddr, now: i64| {
        let reg = &w.reg;
        async move { register_as(reg, &user, password, 1, from, now).await }
    };
    let somewhere = |i: u32| SocketAddr::from(([10, 9, (i / 250) as u8, (i % 250) as u8], 5062));
    // The owner's phone registered at their desk this morning.
    let desk = src(7);
    let (_, ok) = register(w.user.clone(), PASSWORD, desk, 1000).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    // A guesser with 300 addresses, one guess from each: no address ever
    // reaches its own limit of ten.
    let mut checked = 0;
    for i in 0..300 {
        let (challenged, answer) = register(w.user.clone(), "wrong", somewhere(i), 1001).await;
        assert!(answer.starts_with("SIP/2.0 403"), "{answer}");
        checked += u32::from(challenged);
    }
    assert_eq!(
        checked,
        media_edge::registrar::MAX_FAILURES_PER_USER,
        "guesses per account per window, whatever the addresses"
    );
    // The right password from an address the account never used is refused
    // too (a guess that happened to be right looks the same)...
    let (_, answer) = register(w.user.clone(), PASSWORD, somewhere(999), 1002).await;
    assert!(answer.starts_with("SIP/2.0 403"), "{answer}");
    // ...while the owner's desk phone goes on registering,
    let (_, ok) = register(w.user.clone(), PASSWORD, desk, 1003).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    // other accounts are not touched,
    let other = member(&w.app, "이영희").await;
    let (_, ok) = register(other, PASSWORD, somewhere(999), 1003).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    // and once the window has passed, a new address works again.
    let later = 1001 + media_edge::registrar::LOCKOUT_SECS;
    let (_, ok) = register(w.user.clone(), PASSWORD, somewhere(999), later).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
}
