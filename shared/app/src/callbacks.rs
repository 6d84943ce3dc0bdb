//! 콜백 요청 (T8): callback requests. Callers leave them in the ARS or when
//! a queue overflows (the edge files them), integrators and admins create
//! them by hand; admins assign them to an agent and mark them done, and
//! one click calls back: the agent's phones ring first, then the customer
//! is dialled and the two are bridged (the edge holding the agent's phone
//! places the call, see `store::repo::originations`). The same number
//! asking again while its request is open is merged into it.

use domain::callback::{Attempt, Callback, Source, Status};
use domain::{AccountId, AccountStatus, CallbackId, EdgeId, PhoneNumber, TenantId};
use serde::Deserialize;
use store::repo::{accounts, callbacks, originations, registrations};

use crate::fail::{Fail, FailKind, Outcome};
use crate::state::App;

/// A change to a request (portal or API): assign it (`assignee`, `""` for
/// nobody) and / or mark it done (`status: "done"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ChangeForm {
    pub assignee: Option<String>,
    pub status: Option<String>,
}

/// Applies a [`ChangeForm`] (`by`: who, when a person).
pub async fn apply(
    app: &App,
    t: &TenantId,
    id: &str,
    f: &ChangeForm,
    by: Option<&AccountId>,
) -> Outcome<Callback> {
    let done = match f.status.as_deref() {
        None | Some("open") => false,
        Some("done") => true,
        Some(_) => {
            return Err(Fail::bad(
                "callback_status",
                "status",
                "상태는 open 또는 done 이어야 합니다",
            ));
        }
    };
    let mut c = get(app, t, id).await?;
    if let Some(a) = &f.assignee {
        c = assign(app, t, id, Some(a.as_str())).await?;
    }
    if done {
        c = finish(app, t, id, by).await?;
    }
    Ok(c)
}

/// A request created by hand (portal or API).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AskForm {
    pub number: String,
    pub name: Option<String>,
}

fn no_such_request() -> Fail {
    Fail::not_found("콜백 요청을 찾을 수 없습니다")
}

fn number(raw: &str) -> Outcome<PhoneNumber> {
    PhoneNumber::parse(raw.trim()).map_err(|_| {
        Fail::bad(
            "callback_number",
            "number",
            "다시 걸 전화번호가 올바르지 않습니다 (발신번호가 없는 전화는 콜백을 남길 수 없습니다)",
        )
    })
}

/// Files a request for `number` (merged into its open one, if any): the
/// request, and whether it was merged.
pub async fn ask(
    app: &App,
    t: &TenantId,
    raw_number: &str,
    name: Option<String>,
    source: Source,
    via: Option<String>,
    call_id: Option<String>,
) -> Outcome<(Callback, bool)> {
    let n = number(raw_number)?;
    let name = name
        .map(|s| s.trim().chars().take(60).collect::<String>())
        .filter(|s| !s.is_empty());
    let mut c = Callback::new(t.clone(), n, source, store::now_epoch_ms());
    c.name = name;
    c.via = via;
    c.call_id = call_id;
    Ok(callbacks::ask(&*app.store, &c).await?)
}

/// A request created by hand.
pub async fn create(app: &App, t: &TenantId, f: &AskForm) -> Outcome<(Callback, bool)> {
    ask(
        app,
        t,
        &f.number,
        f.name.clone(),
        Source::Manual,
        None,
        None,
    )
    .await
}

pub async fn get(app: &App, t: &TenantId, id: &str) -> Outcome<Callback> {
    let id = CallbackId::parse(id).map_err(|_| no_such_request())?;
    callbacks::get(&*app.store, t, &id)
        .await?
        .ok_or_else(no_such_request)
}

/// The tenant's requests, newest first; only those of `status` if given.
pub async fn list(app: &App, t: &TenantId, status: Option<Status>) -> Outcome<Vec<Callback>> {
    let mut all = callbacks::all(&*app.store, t).await?;
    all.retain(|c| status.is_none_or(|s| c.status == s));
    Ok(all)
}

/// An active member of the tenant, for assigning and calling back.
async fn agent(app: &App, t: &TenantId, raw: &str) -> Outcome<domain::Account> {
    let bad = || {
        Fail::bad(
            "callback_agent",
            "assignee",
            "이 회사의 활성 사용자가 아닙니다",
        )
    };
    let id = AccountId::parse(raw.trim()).map_err(|_| bad())?;
    accounts::get(&*app.store, t, &id)
        .await?
        .filter(|a| a.status == AccountStatus::Active)
        .ok_or_else(bad)
}

/// Applies `change` to request `id` and stores it (retried when another
/// change came first).
async fn change(
    app: &App,
    t: &TenantId,
    id: &str,
    mut change: impl FnMut(&mut Callback) -> Outcome<()>,
) -> Outcome<Callback> {
    for _ in 0..5 {
        let before = get(app, t, id).await?;
        let mut after = before.clone();
        change(&mut after)?;
        if after == before {
            return Ok(after);
        }
        match callbacks::update(&*app.store, &before, &after).await {
            Ok(()) => return Ok(after),
            Err(store::repo::RepoError::Stale) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Fail::new(
        FailKind::Conflict,
        "stale",
        "그사이 요청이 바뀌었습니다. 새로고침 후 다시 시도해 주세요",
    ))
}

fn still_open(c: &Callback) -> Outcome<()> {
    if c.is_open() {
        Ok(())
    } else {
        Err(Fail::new(
            FailKind::Conflict,
            "callback_done",
            "이미 처리가 끝난 콜백 요청입니다",
        ))
    }
}

/// Gives the request to an agent (or to nobody).
pub async fn assign(app: &App, t: &TenantId, id: &str, to: Option<&str>) -> Outcome<Callback> {
    let who = match to.filter(|s| !s.trim().is_empty()) {
        Some(raw) => Some(agent(app, t, raw).await?.id),
        None => None,
    };
    change(app, t, id, |c| {
        still_open(c)?;
        c.assignee.clone_from(&who);
        Ok(())
    })
    .await
}

/// Marks the request done (done twice is done once).
pub async fn finish(
    app: &App,
    t: &TenantId,
    id: &str,
    by: Option<&AccountId>,
) -> Outcome<Callback> {
    let now = store::now_epoch_ms();
    change(app, t, id, |c| {
        c.finish(by.cloned(), now);
        Ok(())
    })
    .await
}

/// One click calls back: `agent`'s phones ring, then the customer is
/// dialled. Refused when the request is done or the agent has no phone
/// registered. The request is assigned to the agent and the attempt kept.
pub async fn call_back(app: &App, t: &TenantId, id: &str, agent_id: &str) -> Outcome<Callback> {
    let agent = agent(app, t, agent_id).await?;
    let c = get(app, t, id).await?;
    still_open(&c)?;
    let now = store::now_epoch_ms();
    let edge = phone_edge(app, t, &agent.id).await?;
    let order = originations::Origination {
        tenant: t.clone(),
        agent: agent.id.clone(),
        dial: originations::dial_string(&c.number),
        display: c.number.display(),
        callback: Some(c.id.to_string()),
        ordered_ms: now,
        call_id: None,
    };
    originations::order(&*app.store, &edge, &order).await?;
    change(app, t, id, |c| {
        still_open(c)?;
        c.assignee = Some(agent.id.clone());
        c.attempts.push(Attempt {
            at: now,
            by: agent.id.clone(),
        });
        Ok(())
    })
    .await
}

/// The edge holding the agent's most recently registered phone.
pub(crate) async fn phone_edge(app: &App, t: &TenantId, a: &AccountId) -> Outcome<EdgeId> {
    registrations::of_account(&*app.store, t, a, store::now_epoch_seconds())
        .await?
        .into_iter()
        .max_by_key(|r| r.expires_at)
        .map(|r| r.edge)
        .ok_or_else(|| {
            Fail::new(
                FailKind::Conflict,
                "agent_unregistered",
                "상담원의 전화기가 등록되어 있지 않아 걸 수 없습니다. 앱이나 전화기를 켜 주세요",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn app() -> (App, TenantId, AccountId, tempfile::TempDir) {
        let tmp = tempfile::tempdir().expect("tmp");
        let app = App::in_memory(tmp.path(), "http://127.0.0.1:9").expect("app");
        let t = TenantId::parse("acme").expect("t");
        crate::operator::create_tenant(
            &app,
            crate::operator::NewTenant {
                id: Some("acme".into()),
                name: "acme".into(),
                ..Default::default()
            },
        )
        .await
        .expect("tenant");
        let a = crate::admin::create_member(
            &app,
            &t,
            crate::admin::NewMember {
                name: "김민수".into(),
                extension: Some("1001".into()),
                status: Some(AccountStatus::Active),
                ..Default::default()
            },
        )
        .await
        .expect("member")
        .account
        .id;
        (app, t, a, tmp)
    }

    #[tokio::test]
    async fn the_same_number_asking_again_while_open_is_merged() {
        let (app, t, a, _tmp) = app().await;
        let (first, merged) = ask(&app, &t, "010-1234-5678", None, Source::Manual, None, None)
            .await
            .expect("ask");
        assert!(!merged);
        let (again, merged) = ask(
            &app,
            &t,
            "01012345678",
            Some("홍길동".into()),
            Source::Manual,
            None,
            None,
        )
        .await
        .expect("again");
        assert!(merged);
        assert_eq!((again.id.clone(), again.times), (first.id.clone(), 2));
        assert_eq!(again.name.as_deref(), Some("홍길동"));
        // Done: the next ask opens a new request.
        finish(&app, &t, first.id.as_str(), Some(&a))
            .await
            .expect("done");
        let (third, merged) = ask(&app, &t, "010-1234-5678", None, Source::Manual, None, None)
            .await
            .expect("third");
        assert!(!merged);
        assert_ne!(third.id, first.id);
        let open = list(&app, &t, Some(Status::Open)).await.expect("list");
        assert_eq!(
            open.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            [third.id]
        );
        assert_eq!(list(&app, &t, None).await.expect("all").len(), 2);
    }

    #[tokio::test]
    async fn concurrent_asks_from_one_number_open_one_request() {
        let (app, t, _a, _tmp) = app().await;
        let asks = (0..8).map(|_| {
            let (app, t) = (app.clone(), t.clone());
            tokio::spawn(async move {
                ask(&app, &t, "010-9999-0000", None, Source::Manual, None, None).await
            })
        });
        for h in asks {
            h.await.expect("join").expect("ask");
        }
        let all = list(&app, &t, None).await.expect("list");
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].times, 8);
    }

    #[tokio::test]
    async fn bad_input_changes_nothing() {
        let (app, t, a, _tmp) = app().await;
        for bad in ["", "anonymous", "12"] {
            let f = ask(&app, &t, bad, None, Source::Manual, None, None)
                .await
                .expect_err("refused");
            assert_eq!(f.code, "callback_number");
        }
        assert!(list(&app, &t, None).await.expect("list").is_empty());
        let (c, _) = create(
            &app,
            &t,
            &AskForm {
                number: "02-555-1234".into(),
                name: None,
            },
        )
        .await
        .expect("create");
        let f = assign(&app, &t, c.id.as_str(), Some("nobody"))
            .await
            .expect_err("nobody");
        assert_eq!(f.code, "callback_agent");
        let f = call_back(&app, &t, c.id.as_str(), a.as_str())
            .await
            .expect_err("no phone");
        assert_eq!(f.code, "agent_unregistered");
        assert_eq!(
            get(&app, &t, c.id.as_str()).await.expect("get"),
            c,
            "unchanged"
        );
        let done = finish(&app, &t, c.id.as_str(), Some(&a))
            .await
            .expect("done");
        assert_eq!(done.status, Status::Done);
        let f = assign(&app, &t, c.id.as_str(), Some(a.as_str()))
            .await
            .expect_err("closed");
        assert_eq!(f.code, "callback_done");
        let f = get(&app, &t, "x").await.expect_err("no such");
        assert_eq!(f.code, "not_found");
    }
}
