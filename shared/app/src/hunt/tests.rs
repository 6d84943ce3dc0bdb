use domain::hunt::{Overflow, Strategy};
use domain::{Extension, TenantId};
use store::repo::hunt_groups::{self, ExtensionHolder, MemberStats};

use super::*;
use crate::admin::{NewMember, create_member};
use crate::fail::FailKind;

struct W {
    app: App,
    t: TenantId,
    users: Vec<domain::Account>,
    _dir: tempfile::TempDir,
}

async fn world() -> W {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    crate::operator::create_tenant(
        &app,
        crate::operator::NewTenant {
            id: Some("acme".into()),
            name: "Acme".into(),
            ..Default::default()
        },
    )
    .await
    .expect("tenant");
    let t = TenantId::parse("acme").expect("id");
    let mut users = Vec::new();
    for (name, ext) in [("김상담", "2001"), ("이상담", "2002"), ("박상담", "2003")] {
        let c = create_member(
            &app,
            &t,
            NewMember {
                name: name.into(),
                extension: Some(ext.into()),
                ..Default::default()
            },
        )
        .await
        .expect("member");
        users.push(c.account);
    }
    W {
        app,
        t,
        users,
        _dir: dir,
    }
}

fn form(w: &W, ext: &str, strategy: &str) -> GroupForm {
    GroupForm {
        name: "상담팀".into(),
        extension: Some(ext.into()),
        strategy: Some(strategy.into()),
        members: w
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| MemberForm {
                account: u.id.to_string(),
                penalty: u32::try_from(i).unwrap_or(0),
                ring_timeout_secs: None,
            })
            .collect(),
        ..GroupForm::default()
    }
}

async fn holder(w: &W, ext: &str) -> Option<ExtensionHolder> {
    let e = Extension::parse(ext).expect("ext");
    w.app
        .store
        .get(&store::keys::extension_marker(&w.t, &e))
        .await
        .expect("marker")
        .as_ref()
        .and_then(hunt_groups::holder_of)
}

#[tokio::test]
async fn a_group_is_created_with_defaults_and_owns_its_extension() {
    let w = world().await;
    let g = create(&w.app, &w.t, &form(&w, "3000", "rrordered"))
        .await
        .expect("created");
    assert_eq!(g.strategy, Strategy::RoundRobinOrdered);
    assert_eq!(g.members.len(), 3);
    assert_eq!(
        (g.ring_timeout_secs, g.max_wait_secs, g.overflow.clone()),
        (
            DEFAULT_RING_TIMEOUT_SECS,
            DEFAULT_MAX_WAIT_SECS,
            Overflow::Hangup
        )
    );
    assert_eq!(
        holder(&w, "3000").await,
        Some(ExtensionHolder::Group(g.id.clone()))
    );
    assert_eq!(list(&w.app, &w.t).await.expect("list"), vec![g.clone()]);
    assert_eq!(get(&w.app, &w.t, g.id.as_str()).await.expect("get"), g);
}

#[tokio::test]
async fn invalid_groups_are_refused_with_a_code_and_change_nothing() {
    let w = world().await;
    let mut cases: Vec<(GroupForm, &str)> = Vec::new();
    cases.push((form(&w, "2001", "linear"), "extension_taken"));
    cases.push((form(&w, "3000", "round-robin"), "hunt_group_strategy"));
    cases.push((form(&w, "30", "linear"), "invalid_extension"));
    let mut f = form(&w, "3000", "linear");
    f.members[1].account = "0".repeat(32);
    cases.push((f, "hunt_group_member"));
    let mut f = form(&w, "3000", "linear");
    f.members[1].penalty = 500;
    cases.push((f, "hunt_group_penalty"));
    let mut f = form(&w, "3000", "linear");
    f.name = String::new();
    cases.push((f, "hunt_group_name"));
    let mut f = form(&w, "3000", "linear");
    f.overflow = Some(Overflow::Group {
        group: domain::HuntGroupId::generate(),
    });
    cases.push((f, "hunt_group_overflow"));
    for (f, code) in cases {
        let e = create(&w.app, &w.t, &f).await.expect_err(code);
        assert_eq!(e.code, code, "{e:?}");
        assert!(
            !e.message.is_empty() && !e.message.is_ascii(),
            "Korean: {e:?}"
        );
    }
    assert!(list(&w.app, &w.t).await.expect("list").is_empty());
    assert_eq!(holder(&w, "3000").await, None);
}

#[tokio::test]
async fn editing_moves_the_extension_keeps_joins_and_detects_a_concurrent_save() {
    let w = world().await;
    let g = create(&w.app, &w.t, &form(&w, "3000", "rrmemory"))
        .await
        .expect("created");
    let mut f = form(&w, "3001", "rrmemory");
    f.members.remove(0);
    let after = update(&w.app, &w.t, g.id.as_str(), &f)
        .await
        .expect("updated");
    assert_eq!(after.members.len(), 2);
    assert_eq!(after.members[0].joined, g.members[1].joined, "joined kept");
    assert_eq!(holder(&w, "3000").await, None, "old extension freed");
    assert_eq!(
        holder(&w, "3001").await,
        Some(ExtensionHolder::Group(g.id.clone()))
    );
    // A save based on the old version fails as stale.
    let stale = hunt_groups::update(&*w.app.store, &g, &after).await;
    assert_eq!(stale, Err(store::repo::RepoError::Stale));
    // Taking a user's extension is refused and changes nothing.
    let e = update(&w.app, &w.t, g.id.as_str(), &form(&w, "2002", "linear"))
        .await
        .expect_err("taken");
    assert_eq!((e.code, e.kind), ("extension_taken", FailKind::Conflict));
    assert_eq!(get(&w.app, &w.t, g.id.as_str()).await.expect("get"), after);
    // Deleting frees the extension.
    delete(&w.app, &w.t, g.id.as_str()).await.expect("deleted");
    assert_eq!(holder(&w, "3001").await, None);
    let e = get(&w.app, &w.t, g.id.as_str()).await.expect_err("gone");
    assert_eq!(e.kind, FailKind::NotFound);
}

#[tokio::test]
async fn the_groups_state_survives_in_the_table() {
    let w = world().await;
    let g = create(&w.app, &w.t, &form(&w, "3000", "rrordered"))
        .await
        .expect("created");
    let s = &*w.app.store;
    let m = &w.users[1].id;
    hunt_groups::answered(s, &g, m).await.expect("answered");
    hunt_groups::call_ended(s, &g, m, 1_000)
        .await
        .expect("ended");
    hunt_groups::call_ended(s, &g, m, 2_000)
        .await
        .expect("ended");
    let state = hunt_groups::state(s, &w.t, &g.id).await.expect("state");
    assert_eq!(state.memory.last.as_ref(), Some(m));
    assert_eq!(
        state.members.get(m),
        Some(&MemberStats {
            calls: 2,
            last_call_end: Some(2_000),
            paused: false,
        })
    );
    // A member pauses: the state says so, and only members can.
    set_paused(&w.app, &w.t, g.id.as_str(), m.as_str(), true)
        .await
        .expect("paused");
    assert_eq!(paused(&w.app, &g).await.expect("paused"), vec![m.clone()]);
    let state = hunt_groups::state(s, &w.t, &g.id).await.expect("state");
    assert_eq!(
        state.members.get(m).map(|x| (x.paused, x.calls)),
        Some((true, 2))
    );
    set_paused(&w.app, &w.t, g.id.as_str(), m.as_str(), false)
        .await
        .expect("resumed");
    assert!(paused(&w.app, &g).await.expect("paused").is_empty());
    let e = set_paused(&w.app, &w.t, g.id.as_str(), &"0".repeat(32), true)
        .await
        .expect_err("not a member");
    assert_eq!(e.kind, FailKind::NotFound);
}
