//! What an incoming INVITE gets: the dial plan, as a decision over the
//! [`Directory`] port. No sockets, no store: the I/O layer authenticates
//! the caller, asks [`route`], and carries the answer out.
//!
//! A call is either refused with a SIP status ([`Refusal`]) or accepted as
//! a [`Decision`]: the call record it starts, leg B's identities, and a
//! [`Route`]: ring targets by a [`ForkPlan`] (with voicemail or failure
//! when nobody answers), forward to the edge a user is registered at, or
//! answer at the edge and run an [`Application`].

use std::net::SocketAddr;
use std::time::Duration;

use domain::call::{CallRecord, Direction, Party};
use domain::{Account, AccountStatus, Dialled, EdgeId, PhoneNumber, Registration, TenantId};

use store::repo::hunt_groups::ExtensionHolder;

use crate::directory::{Directory, Unavailable};
use crate::fork::{ForkPlan, Target, TrunkAuth};
use crate::prompts::Greeting;

pub mod hunt;
pub mod ivr;

pub use ivr::{HandOff, Handoff, IvrSpec, IvrTarget};

/// A SIP trunk to the telephone network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trunk {
    /// Where its INVITEs come from and ours go.
    pub addr: SocketAddr,
    pub auth: Option<TrunkAuth>,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Origin {
    /// The carrier, on behalf of `caller` (the From user: a number or `anonymous`).
    Trunk { caller: String },
    /// A user whose phone authenticated as this account.
    User {
        tenant: TenantId,
        account: domain::AccountId,
    },
}

/// The edge's side of the decision.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub edge: &'a EdgeId,
    pub realm: &'a str,
    pub trunk: Option<&'a Trunk>,
    pub ring_timeout: Duration,
    /// Unix seconds and milliseconds.
    pub now: i64,
    pub now_ms: i64,
}

/// What the edge runs itself, on a call it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Application {
    /// The greeting, a beep, then the caller's message is recorded.
    Voicemail(Greeting),
    /// The caller waits in a hunt group's queue.
    Queue(QueueSpec),
    /// An ARS scenario answers.
    Ivr(Box<IvrSpec>),
}

/// A caller's wait in a hunt group's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub group: domain::HuntGroupId,
    /// The longest wait.
    pub max_wait: Duration,
    /// Whose voicemail takes the caller when the wait runs out (else the
    /// call ends).
    pub overflow: Option<Party>,
    /// Without a mailbox: the caller leaves a callback request instead.
    pub callback: bool,
    /// Without either: the group the caller moves on to.
    pub spill_to: Option<domain::HuntGroupId>,
}

/// What happens when every stage of a fork plan failed or timed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// The caller gets the failure (busy, no answer, ...).
    Fail,
    /// The callee's voicemail answers instead.
    Voicemail,
    /// This party's voicemail answers (a hunt group's overflow): the
    /// record's callee becomes them.
    Mailbox(Party),
    /// The caller, who missed the group's agents, leaves a callback request
    /// (a caller from outside, answered by the edge; others get the failure).
    Callback(domain::HuntGroupId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Ring {
        forks: ForkPlan,
        fallback: Fallback,
    },
    /// The callee is registered only at another edge.
    Forward {
        edge: EdgeId,
        addr: SocketAddr,
    },
    Run(Application),
}

/// An accepted call.
#[derive(Debug, Clone)]
pub struct Decision {
    pub record: CallRecord,
    /// From and To of leg B (name-addrs without tags).
    pub b_from: String,
    pub b_to: String,
    pub auto_record: bool,
    pub route: Route,
}

/// A refused call: the status the caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub reason: &'static str,
}

const NOT_FOUND: Refusal = Refusal {
    code: 404,
    reason: "Not Found",
};
const FORBIDDEN: Refusal = Refusal {
    code: 403,
    reason: "Forbidden",
};
const UNAVAILABLE: Refusal = Refusal {
    code: 480,
    reason: "Temporarily Unavailable",
};
const BUSY: Refusal = Refusal {
    code: 486,
    reason: "Busy Here",
};
const NO_TRUNK: Refusal = Refusal {
    code: 503,
    reason: "Service Unavailable",
};
const BROKEN: Refusal = Refusal {
    code: 500,
    reason: "Server Internal Error",
};

impl From<Unavailable> for Refusal {
    fn from(e: Unavailable) -> Self {
        tracing::warn!(error = %e, "routing without a directory");
        BROKEN
    }
}

/// How a user appears on a call record: extension first, else 070 number.
pub fn party_of(a: &Account) -> Party {
    Party {
        number: a
            .extension
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .or_else(|| a.number.as_ref().map(PhoneNumber::display))
            .unwrap_or_default(),
        account: Some(a.id.clone()),
        name: Some(a.name.clone()),
    }
}

/// The account, if it exists and is active (suspended ones take no calls).
async fn active_account(
    dir: &dyn Directory,
    t: &TenantId,
    a: &domain::AccountId,
) -> Result<Option<Account>, Unavailable> {
    Ok(dir
        .account(t, a)
        .await?
        .filter(|a| a.status == AccountStatus::Active))
}

/// Decides what the INVITE for `dialled` (the Request-URI's user) gets.
pub async fn route(
    origin: &Origin,
    dialled: &str,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<Decision, Refusal> {
    match origin {
        Origin::Trunk { caller } => {
            let mut d = from_trunk(caller, dialled, dir, cx).await?;
            if let Ok(Dialled::National(n)) = Dialled::parse(dialled) {
                // The company number the call came in on (statistics per 070 number).
                d.record.line = Some(n.national_digits());
            }
            Ok(d)
        }
        Origin::User { tenant, account } => {
            dir.refresh(tenant).await?;
            let caller = active_account(dir, tenant, account)
                .await?
                .ok_or(FORBIDDEN)?;
            from_user(&caller, dialled, dir, cx).await
        }
    }
}

/// Leg B's From for a call a user places inside the tenant: their name and
/// extension (or number).
fn user_from(caller: &Account, cx: &Context<'_>) -> String {
    format!(
        "\"{}\" <sip:{}@{}>",
        caller.name.replace('"', ""),
        party_of(caller).number.replace([' ', '-'], ""),
        cx.realm
    )
}

/// The phones of `callee` this edge can ring, or the edge to forward to.
pub(crate) fn reach(
    callee_regs: &[Registration],
    cx: &Context<'_>,
) -> Result<Vec<Target>, (EdgeId, SocketAddr)> {
    let here: Vec<Target> = callee_regs
        .iter()
        .filter(|r| &r.edge == cx.edge)
        .map(|r| Target {
            uri: r.contact.clone(),
            dest: r.source,
            auth: None,
            answers_as: None,
            secure: r.transport == domain::Transport::Tls,
        })
        .collect();
    match callee_regs.iter().find(|r| &r.edge != cx.edge) {
        Some(r) if here.is_empty() => Err((r.edge.clone(), r.edge_addr)),
        _ => Ok(here),
    }
}

async fn from_trunk(
    caller: &str,
    dialled: &str,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<Decision, Refusal> {
    let Ok(Dialled::National(n)) = Dialled::parse(dialled) else {
        return Err(NOT_FOUND);
    };
    let mut owner = dir.number_holder(&n).await?;
    if let Some((t, _)) = &owner
        && dir.refresh(t).await?
    {
        // The tenant's data changed: the number may have moved too.
        owner = dir.number_holder(&n).await?;
        if let Some((t, _)) = &owner {
            dir.refresh(t).await?;
        }
    }
    // An ARS scenario on the number answers before its holder's phones.
    if let Some(scenario) = dir.ivr(&n, owner.as_ref().map(|(t, _)| t)).await? {
        return ivr::answer(caller, &n, scenario, dir, cx).await;
    }
    let owner = owner.ok_or(NOT_FOUND)?;
    let (tenant, aid) = owner;
    let callee = active_account(dir, &tenant, &aid)
        .await?
        .ok_or(UNAVAILABLE)?;
    let caller_display =
        PhoneNumber::parse(caller).map_or_else(|_| caller.to_owned(), |p| p.display());
    let record = CallRecord::starting(
        tenant.clone(),
        Direction::Incoming,
        Party {
            number: caller_display,
            account: None,
            name: None,
        },
        party_of(&callee),
        cx.now_ms,
        cx.edge.as_str(),
    );
    // Outside the user's business hours the phone does not ring: the
    // caller hears the after-hours greeting and may leave a message.
    let open = dir
        .is_open(&tenant, &aid, cx.now)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "business hours unknown; ringing");
            true
        });
    let route = if !open {
        Route::Run(Application::Voicemail(Greeting::AfterHours))
    } else {
        match reach(&dir.registrations(&tenant, &aid).await?, cx) {
            Ok(targets) if targets.is_empty() => {
                Route::Run(Application::Voicemail(Greeting::Unavailable))
            }
            Ok(targets) => Route::Ring {
                forks: ForkPlan::parallel(targets, cx.ring_timeout),
                fallback: Fallback::Voicemail,
            },
            Err((edge, addr)) => Route::Forward { edge, addr },
        }
    };
    Ok(Decision {
        record,
        b_from: format!("<sip:{caller}@{}>", cx.realm),
        b_to: format!("<sip:{}@{}>", n.national_digits(), cx.realm),
        auto_record: callee.permissions.auto_record,
        route,
    })
}

async fn from_user(
    caller: &Account,
    dialled: &str,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<Decision, Refusal> {
    let t = &caller.tenant;
    let number = Dialled::parse(dialled).map_err(|_| NOT_FOUND)?;
    // Inside the tenant: an extension, or one of its 070 numbers.
    let callee_id = match &number {
        Dialled::Extension(e) => match dir.extension_holder(t, e).await?.ok_or(NOT_FOUND)? {
            ExtensionHolder::Account(a) => Some(a),
            ExtensionHolder::Group(g) => {
                return hunt::to_group(caller, dialled, &g, dir, cx).await;
            }
        },
        Dialled::National(n) => dir
            .number_holder(n)
            .await?
            .filter(|(owner, _)| owner == t)
            .map(|(_, a)| a),
        Dialled::International(_) => None,
    };
    let caller_party = party_of(caller);
    let record = |direction, callee: Party| {
        CallRecord::starting(
            t.clone(),
            direction,
            caller_party.clone(),
            callee,
            cx.now_ms,
            cx.edge.as_str(),
        )
    };
    if let Some(id) = callee_id {
        let callee = dir.account(t, &id).await?.ok_or(NOT_FOUND)?;
        if callee.id == caller.id {
            return Err(BUSY);
        }
        if callee.status != AccountStatus::Active {
            return Err(UNAVAILABLE);
        }
        let route = match reach(&dir.registrations(t, &callee.id).await?, cx) {
            Ok(targets) => Route::Ring {
                forks: ForkPlan::parallel(targets, cx.ring_timeout),
                fallback: Fallback::Fail,
            },
            Err((edge, addr)) => Route::Forward { edge, addr },
        };
        return Ok(Decision {
            record: record(Direction::Internal, party_of(&callee)),
            b_from: user_from(caller, cx),
            b_to: format!("<sip:{}@{}>", dialled.trim(), cx.realm),
            auto_record: caller.permissions.auto_record || callee.permissions.auto_record,
            route,
        });
    }
    // Outside: the trunk, if the account may.
    let (out, shown_callee, abroad) = match &number {
        Dialled::National(n) => (n.national_digits(), n.display(), false),
        Dialled::International(n) => (n.e164(), n.to_string(), true),
        Dialled::Extension(_) => return Err(NOT_FOUND),
    };
    if !caller.permissions.outbound || (abroad && !caller.permissions.international) {
        return Err(FORBIDDEN);
    }
    let trunk = cx.trunk.ok_or(NO_TRUNK)?;
    let shown = caller
        .number
        .as_ref()
        .map_or_else(|| "anonymous".to_owned(), PhoneNumber::national_digits);
    let target = Target {
        uri: format!("sip:{out}@{}", trunk.addr),
        dest: trunk.addr,
        auth: trunk.auth.clone(),
        answers_as: None,
        secure: false,
    };
    let mut outgoing = record(
        Direction::Outgoing,
        Party {
            number: shown_callee,
            account: None,
            name: None,
        },
    );
    outgoing.line = caller.number.as_ref().map(PhoneNumber::national_digits);
    Ok(Decision {
        record: outgoing,
        b_from: format!("<sip:{shown}@{}>", trunk.addr.ip()),
        b_to: format!("<sip:{out}@{}>", trunk.addr.ip()),
        auto_record: caller.permissions.auto_record,
        route: Route::Ring {
            forks: ForkPlan::parallel(vec![target], cx.ring_timeout),
            fallback: Fallback::Fail,
        },
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use domain::{AccountId, Permissions, Transport};
    use store::repo::{numbers, registrations};

    use super::*;
    use crate::directory::StoreDirectory;
    use crate::location::Location;

    /// Wednesday 2026-12-02, 11:00 and 22:00 in Seoul.
    const WORK_HOURS: i64 = 1_796_176_800;
    const NIGHT: i64 = 1_796_216_400;
    const TRUNK: &str = "198.51.100.1:5060";

    pub(super) struct World {
        pub(super) app: app::App,
        pub(super) dir: StoreDirectory,
        pub(super) here: EdgeId,
        pub(super) trunk: Trunk,
        pub(super) kim: AccountId,
        pub(super) lee: AccountId,
        pub(super) park: AccountId,
        pub(super) cho: AccountId,
        _tmp: tempfile::TempDir,
    }

    pub(super) fn acme() -> TenantId {
        TenantId::parse("acme").expect("t")
    }

    async fn member(
        app: &app::App,
        t: &str,
        name: &str,
        ext: &str,
        number: Option<&str>,
        permissions: Permissions,
        active: bool,
    ) -> AccountId {
        let t = TenantId::parse(t).expect("t");
        let c = app::admin::create_member(
            app,
            &t,
            app::admin::NewMember {
                name: name.into(),
                extension: Some(ext.into()),
                permissions: Some(permissions),
                status: Some(if active {
                    AccountStatus::Active
                } else {
                    AccountStatus::Suspended
                }),
                ..Default::default()
            },
        )
        .await
        .expect("member");
        if let Some(n) = number {
            let n = PhoneNumber::parse(n).expect("n");
            numbers::add(&*app.store, &app.region, &n)
                .await
                .expect("pool");
            numbers::assign(&*app.store, &app.region, &t, &c.account.id, &n)
                .await
                .expect("assign");
        }
        c.account.id
    }

    pub(super) async fn register(app: &app::App, a: &AccountId, edge: &str, last: u8) {
        registrations::put(
            &*app.store,
            &Registration {
                tenant: acme(),
                account: a.clone(),
                sip_username: format!("u{last}"),
                contact: format!("sip:u{last}@10.0.0.{last}:5062"),
                source: SocketAddr::from(([10, 0, 0, last], 5062)),
                transport: Transport::Udp,
                edge: EdgeId::parse(edge).expect("edge"),
                edge_addr: SocketAddr::from(([203, 0, 113, last], 5060)),
                user_agent: None,
                // Real time: the table hides lapsed registrations.
                expires_at: store::now_epoch_seconds() + 3600,
                since: store::now_epoch_seconds(),
            },
        )
        .await
        .expect("register");
    }

    pub(super) async fn world() -> World {
        let tmp = tempfile::tempdir().expect("tmp");
        let app = app::App::in_memory(tmp.path(), "http://127.0.0.1:9").expect("app");
        for id in ["acme", "other"] {
            app::operator::create_tenant(
                &app,
                app::operator::NewTenant {
                    id: Some(id.into()),
                    name: id.into(),
                    ..Default::default()
                },
            )
            .await
            .expect("tenant");
        }
        let everywhere = Permissions {
            international: true,
            ..Permissions::default()
        };
        let kim = member(
            &app,
            "acme",
            "김민수",
            "1001",
            Some("070-4000-0001"),
            everywhere,
            true,
        )
        .await;
        let lee = member(
            &app,
            "acme",
            "이영희",
            "1002",
            Some("070-4000-0002"),
            Permissions::default(),
            true,
        )
        .await;
        let park = member(
            &app,
            "acme",
            "박철수",
            "1003",
            Some("070-4000-0003"),
            Permissions::default(),
            false,
        )
        .await;
        let cho = member(
            &app,
            "acme",
            "조은비",
            "1004",
            None,
            Permissions::default(),
            true,
        )
        .await;
        member(
            &app,
            "other",
            "남궁민",
            "1001",
            Some("070-4000-0009"),
            Permissions::default(),
            true,
        )
        .await;
        register(&app, &kim, "kr", 1).await;
        register(&app, &lee, "kr", 2).await;
        register(&app, &lee, "kr", 3).await;
        register(&app, &cho, "busan-1", 4).await;
        let here = EdgeId::parse("kr").expect("edge");
        let location = Arc::new(Location::new(
            app.store.clone(),
            here.clone(),
            "203.0.113.1:5060".parse().expect("addr"),
        ));
        World {
            dir: StoreDirectory::new(app.clone(), location),
            app,
            here,
            trunk: Trunk {
                addr: TRUNK.parse().expect("trunk"),
                auth: None,
            },
            kim,
            lee,
            park,
            cho,
            _tmp: tmp,
        }
    }

    /// What a decision came to, in a form a table can hold.
    #[derive(Debug, PartialEq, Eq)]
    enum Outcome {
        Ring {
            direction: Direction,
            uris: Vec<String>,
            fallback: Fallback,
        },
        Run(Application),
        Forward(&'static str),
        Reject(u16),
    }

    fn outcome(d: Result<Decision, Refusal>) -> Outcome {
        match d {
            Err(r) => Outcome::Reject(r.code),
            Ok(d) => match d.route {
                Route::Ring { forks, fallback } => Outcome::Ring {
                    direction: d.record.direction,
                    uris: forks.targets().map(|t| t.uri.clone()).collect(),
                    fallback,
                },
                Route::Run(a) => Outcome::Run(a),
                Route::Forward { edge, .. } => {
                    assert_eq!(edge.as_str(), "busan-1");
                    Outcome::Forward("busan-1")
                }
            },
        }
    }

    fn ring(direction: Direction, uris: &[&str], fallback: Fallback) -> Outcome {
        Outcome::Ring {
            direction,
            uris: uris.iter().map(|u| (*u).to_owned()).collect(),
            fallback,
        }
    }

    async fn decide(w: &World, origin: &Origin, dialled: &str, now: i64, trunk: bool) -> Outcome {
        let cx = Context {
            edge: &w.here,
            realm: "office",
            trunk: trunk.then_some(&w.trunk),
            ring_timeout: Duration::from_secs(30),
            now,
            now_ms: now * 1000,
        };
        outcome(route(origin, dialled, &w.dir, &cx).await)
    }

    pub(super) fn user(a: &AccountId) -> Origin {
        Origin::User {
            tenant: acme(),
            account: a.clone(),
        }
    }

    fn carrier() -> Origin {
        Origin::Trunk {
            caller: "01012345678".into(),
        }
    }

    #[tokio::test]
    async fn every_kind_of_call_gets_its_route() {
        use Direction::{Incoming, Internal, Outgoing};
        let w = world().await;
        let lee_phones = ["sip:u2@10.0.0.2:5062", "sip:u3@10.0.0.3:5062"];
        let cases: Vec<(&str, Origin, &str, i64, bool, Outcome)> = vec![
            (
                "internal by extension",
                user(&w.kim),
                "1002",
                NIGHT,
                true,
                ring(Internal, &lee_phones, Fallback::Fail),
            ),
            (
                "internal by 070 number",
                user(&w.kim),
                "070-4000-0002",
                NIGHT,
                true,
                ring(Internal, &lee_phones, Fallback::Fail),
            ),
            (
                "trunk in, open",
                carrier(),
                "07040000002",
                WORK_HOURS,
                true,
                ring(Incoming, &lee_phones, Fallback::Voicemail),
            ),
            (
                "trunk in, +82 form",
                carrier(),
                "+827040000002",
                WORK_HOURS,
                true,
                ring(Incoming, &lee_phones, Fallback::Voicemail),
            ),
            (
                "trunk in, after hours",
                carrier(),
                "07040000002",
                NIGHT,
                true,
                Outcome::Run(Application::Voicemail(Greeting::AfterHours)),
            ),
            (
                "trunk in, unassigned number",
                carrier(),
                "07040000077",
                WORK_HOURS,
                true,
                Outcome::Reject(404),
            ),
            (
                "trunk in, suspended user",
                carrier(),
                "07040000003",
                WORK_HOURS,
                true,
                Outcome::Reject(480),
            ),
            (
                "trunk out",
                user(&w.kim),
                "02-1234-5678",
                NIGHT,
                true,
                ring(
                    Outgoing,
                    &["sip:0212345678@198.51.100.1:5060"],
                    Fallback::Fail,
                ),
            ),
            (
                "another tenant's 070 number goes out",
                user(&w.kim),
                "07040000009",
                NIGHT,
                true,
                ring(
                    Outgoing,
                    &["sip:07040000009@198.51.100.1:5060"],
                    Fallback::Fail,
                ),
            ),
            (
                "international, allowed",
                user(&w.kim),
                "001815551234",
                NIGHT,
                true,
                ring(
                    Outgoing,
                    &["sip:+815551234@198.51.100.1:5060"],
                    Fallback::Fail,
                ),
            ),
            (
                "international, not allowed",
                user(&w.lee),
                "001815551234",
                NIGHT,
                true,
                Outcome::Reject(403),
            ),
            (
                "no trunk",
                user(&w.kim),
                "0212345678",
                NIGHT,
                false,
                Outcome::Reject(503),
            ),
            (
                "unknown extension",
                user(&w.kim),
                "1999",
                NIGHT,
                true,
                Outcome::Reject(404),
            ),
            (
                "not a number",
                user(&w.kim),
                "alice",
                NIGHT,
                true,
                Outcome::Reject(404),
            ),
            (
                "busy: calling oneself",
                user(&w.kim),
                "1001",
                NIGHT,
                true,
                Outcome::Reject(486),
            ),
            (
                "suspended callee",
                user(&w.kim),
                "1003",
                NIGHT,
                true,
                Outcome::Reject(480),
            ),
            (
                "suspended caller",
                user(&w.park),
                "1002",
                NIGHT,
                true,
                Outcome::Reject(403),
            ),
            (
                "one phone",
                user(&w.lee),
                "1001",
                NIGHT,
                true,
                ring(Internal, &["sip:u1@10.0.0.1:5062"], Fallback::Fail),
            ),
            (
                "registered at another edge",
                user(&w.kim),
                "1004",
                NIGHT,
                true,
                Outcome::Forward("busan-1"),
            ),
        ];
        for (name, origin, dialled, now, trunk, want) in cases {
            assert_eq!(
                decide(&w, &origin, dialled, now, trunk).await,
                want,
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn records_name_the_company_number_a_call_used() {
        let w = world().await;
        let line = |origin: Origin, dialled: &'static str| {
            let w = &w;
            async move {
                let cx = Context {
                    edge: &w.here,
                    realm: "office",
                    trunk: Some(&w.trunk),
                    ring_timeout: Duration::from_secs(30),
                    now: WORK_HOURS,
                    now_ms: WORK_HOURS * 1000,
                };
                route(&origin, dialled, &w.dir, &cx)
                    .await
                    .map(|d| d.record.line)
                    .ok()
                    .flatten()
            }
        };
        assert_eq!(
            line(carrier(), "070-4000-0002").await.as_deref(),
            Some("07040000002"),
            "the number dialled from outside"
        );
        assert_eq!(
            line(user(&w.kim), "0212345678").await.as_deref(),
            Some("07040000001"),
            "the number shown to the outside"
        );
        assert_eq!(line(user(&w.kim), "1002").await, None, "between users");
    }

    #[tokio::test]
    async fn a_user_without_phones_gets_an_empty_plan_and_an_outside_caller_voicemail() {
        let w = world().await;
        registrations::remove(&*w.app.store, &acme(), &w.kim, "sip:u1@10.0.0.1:5062")
            .await
            .expect("unregister");
        assert_eq!(
            decide(&w, &user(&w.lee), "1001", NIGHT, true).await,
            ring(Direction::Internal, &[], Fallback::Fail)
        );
        assert_eq!(
            decide(&w, &carrier(), "07040000001", WORK_HOURS, true).await,
            Outcome::Run(Application::Voicemail(Greeting::Unavailable))
        );
    }

    #[tokio::test]
    async fn a_cached_directory_costs_one_read_per_call_and_sees_changes_at_once() {
        let w = world().await;
        let _ = decide(&w, &user(&w.kim), "1002", NIGHT, true).await;
        let before = w.dir.reads();
        let _ = decide(&w, &user(&w.kim), "1002", NIGHT, true).await;
        assert_eq!(w.dir.reads() - before, 1, "only the tenant's version");
        let _ = decide(&w, &carrier(), "07040000002", WORK_HOURS, true).await;
        let before = w.dir.reads();
        let _ = decide(&w, &carrier(), "07040000002", WORK_HOURS, true).await;
        assert_eq!(w.dir.reads() - before, 1, "trunk calls too");

        // Changes made through the repositories reach the next decision.
        store::repo::accounts::set_status(&*w.app.store, &acme(), &w.lee, AccountStatus::Suspended)
            .await
            .expect("suspend");
        assert_eq!(
            decide(&w, &user(&w.kim), "1002", NIGHT, true).await,
            Outcome::Reject(480)
        );
        let lee = store::repo::accounts::get(&*w.app.store, &acme(), &w.lee)
            .await
            .expect("get")
            .expect("lee");
        store::repo::accounts::set_profile(&*w.app.store, &lee, None, None, None, None)
            .await
            .expect("no extension");
        assert_eq!(
            decide(&w, &user(&w.kim), "1002", NIGHT, true).await,
            Outcome::Reject(404),
            "the extension is free now"
        );
        store::repo::accounts::set_permissions(
            &*w.app.store,
            &acme(),
            &w.kim,
            domain::Role::User,
            Permissions {
                outbound: false,
                ..Permissions::default()
            },
        )
        .await
        .expect("permissions");
        assert_eq!(
            decide(&w, &user(&w.kim), "0212345678", NIGHT, true).await,
            Outcome::Reject(403)
        );
    }
}
