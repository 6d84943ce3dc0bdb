//! Calls an ARS scenario answers, and where its walk hands them over.
//!
//! A call from the trunk to a number a scenario answers is answered by the
//! edge, which runs the scenario (`call::ivr`). When the walk routes the
//! caller (to a user, a hunt group, a mailbox, a callback request, an
//! outside number, or the holder of an extension the caller keyed in),
//! [`hand_off`] decides, over the same [`Directory`], what that means now:
//! whose phones ring, a queue to wait in, a mailbox, or nobody.

use std::collections::BTreeSet;

use domain::call::{CallRecord, Direction, Party};
use domain::ivr::{Action as Node, Destination, Scenario};
use domain::{AccountId, Extension, HuntGroupId, PhoneNumber, TenantId};
use store::repo::hunt_groups::ExtensionHolder;

use super::hunt::{group_party, group_route};
use super::{
    Application, Context, Decision, Fallback, Refusal, Route, active_account, party_of, reach,
};
use crate::directory::{Directory, Unavailable};
use crate::fork::{ForkPlan, Target};

/// What the edge runs for a caller a scenario answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvrSpec {
    pub scenario: Scenario,
    /// The operator's one-off holidays, for its business-hours branches.
    pub one_offs: Vec<(domain::calendar::Date, String)>,
}

/// Where a walk sends the caller: a destination of the scenario, or the
/// extension they keyed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrTarget {
    To(Destination),
    Extension(String),
}

/// A walk's hand-over, asked of routing by the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOff {
    pub tenant: TenantId,
    pub target: IvrTarget,
}

/// What the hand-over comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handoff {
    /// Ring these phones; `fallback` when nobody answers.
    Ring {
        forks: ForkPlan,
        fallback: Fallback,
        callee: Party,
        hunt_group: Option<HuntGroupId>,
        /// To of the INVITEs.
        b_to: String,
    },
    /// Wait in the group's queue.
    Queue {
        spec: super::QueueSpec,
        callee: Party,
    },
    /// This party's voicemail takes the message.
    Mailbox(Party),
    /// The caller leaves a callback request.
    Callback,
    /// The keyed extension is nobody's: the walk asks again.
    NoSuchExtension,
    /// Nobody can take the call (suspended, deleted, no trunk).
    Unavailable(&'static str),
}

/// The decision for a trunk call to `n`, which `scenario` answers.
pub(super) async fn answer(
    caller: &str,
    n: &PhoneNumber,
    scenario: Scenario,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<Decision, Refusal> {
    let caller_display =
        PhoneNumber::parse(caller).map_or_else(|_| caller.to_owned(), |p| p.display());
    let mut record = CallRecord::starting(
        scenario.tenant.clone(),
        Direction::Incoming,
        Party {
            number: caller_display,
            account: None,
            name: None,
        },
        Party {
            number: n.display(),
            account: None,
            name: Some(scenario.name.clone()),
        },
        cx.now_ms,
        cx.edge.as_str(),
    );
    record.ivr = Some(domain::call::IvrVisit {
        scenario: scenario.id.clone(),
        path: Vec::new(),
    });
    // The years the scenario's hours branches look at, in their zones.
    let years: BTreeSet<i32> = scenario
        .nodes
        .iter()
        .filter_map(|node| match &node.action {
            Node::Hours { hours, .. } => hours.time_zone.to_local(cx.now).map(|l| l.date.year()),
            _ => None,
        })
        .collect();
    let mut one_offs = Vec::new();
    for y in years {
        one_offs.extend(dir.holidays(y).await?);
    }
    Ok(Decision {
        record,
        b_from: format!("<sip:{caller}@{}>", cx.realm),
        b_to: format!("<sip:{}@{}>", n.national_digits(), cx.realm),
        auto_record: false,
        route: Route::Run(Application::Ivr(Box::new(IvrSpec { scenario, one_offs }))),
    })
}

/// What `h` comes to now.
pub async fn hand_off(
    h: &HandOff,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<Handoff, Unavailable> {
    let t = &h.tenant;
    dir.refresh(t).await?;
    let dest = match &h.target {
        IvrTarget::To(d) => d.clone(),
        IvrTarget::Extension(digits) => {
            let Ok(e) = Extension::parse(digits) else {
                return Ok(Handoff::NoSuchExtension);
            };
            match dir.extension_holder(t, &e).await? {
                Some(ExtensionHolder::Account(account)) => Destination::User { account },
                Some(ExtensionHolder::Group(group)) => Destination::Group { group },
                None => return Ok(Handoff::NoSuchExtension),
            }
        }
    };
    match dest {
        Destination::User { account } => user(t, &account, dir, cx).await,
        Destination::Group { group } => group_hand_off(t, &group, dir, cx).await,
        Destination::Voicemail { account } => Ok(match active(t, &account, dir).await? {
            Some(party) => Handoff::Mailbox(party),
            None => Handoff::Unavailable("mailbox owner unavailable"),
        }),
        Destination::Callback => Ok(Handoff::Callback),
        Destination::Outside { number } => Ok(outside(&number, cx)),
    }
}

/// How an active account appears on the record; None if it is not active.
async fn active(
    t: &TenantId,
    a: &AccountId,
    dir: &dyn Directory,
) -> Result<Option<Party>, Unavailable> {
    Ok(active_account(dir, t, a).await?.map(|a| party_of(&a)))
}

/// A user's phones ring; their voicemail answers if nobody does, or at
/// once when none is registered here.
async fn user(
    t: &TenantId,
    a: &AccountId,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<Handoff, Unavailable> {
    let Some(party) = active(t, a, dir).await? else {
        return Ok(Handoff::Unavailable("user unavailable"));
    };
    // A user registered only at another edge: edge-answered calls are
    // not forwarded between edges (yet), so their voicemail answers.
    let targets = reach(&dir.registrations(t, a).await?, cx).unwrap_or_default();
    if targets.is_empty() {
        return Ok(Handoff::Mailbox(party));
    }
    Ok(Handoff::Ring {
        forks: ForkPlan::parallel(targets, cx.ring_timeout),
        fallback: Fallback::Mailbox(party.clone()),
        b_to: format!("<sip:{}@{}>", party.number, cx.realm),
        callee: party,
        hunt_group: None,
    })
}

async fn group_hand_off(
    t: &TenantId,
    g: &HuntGroupId,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<Handoff, Unavailable> {
    let Some(group) = dir.hunt_group(t, g).await? else {
        return Ok(Handoff::Unavailable("hunt group deleted"));
    };
    let gr = group_route(&group, None, dir, cx).await?;
    let callee = group_party(&gr.group);
    let b_to = format!("<sip:{}@{}>", callee.number, cx.realm);
    Ok(match (gr.route, gr.mailbox) {
        (Some(Route::Ring { forks, fallback }), _) => Handoff::Ring {
            forks,
            fallback,
            callee,
            hunt_group: Some(gr.group.id.clone()),
            b_to,
        },
        (Some(Route::Run(Application::Queue(spec))), _) => Handoff::Queue { spec, callee },
        (Some(_), Some(mailbox)) => Handoff::Mailbox(mailbox),
        _ if gr.group.overflow == domain::hunt::Overflow::Callback => Handoff::Callback,
        _ => Handoff::Unavailable("nobody in the hunt group is free"),
    })
}

/// An outside number, through the trunk.
fn outside(number: &PhoneNumber, cx: &Context<'_>) -> Handoff {
    let Some(trunk) = cx.trunk else {
        return Handoff::Unavailable("no trunk");
    };
    let out = number.national_digits();
    Handoff::Ring {
        forks: ForkPlan::parallel(
            vec![Target {
                uri: format!("sip:{out}@{}", trunk.addr),
                dest: trunk.addr,
                auth: trunk.auth.clone(),
                answers_as: None,
                secure: false,
            }],
            cx.ring_timeout,
        ),
        fallback: Fallback::Fail,
        callee: Party {
            number: number.display(),
            account: None,
            name: None,
        },
        hunt_group: None,
        b_to: format!("<sip:{out}@{}>", trunk.addr.ip()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use domain::ivr::{Action as Node, Destination, Node as Step};

    use super::super::tests::{World, acme, world};
    use super::super::{Application, Context, Fallback, Origin, Route, route};
    use super::{HandOff, Handoff, IvrTarget, hand_off};

    const NOON: i64 = 1_796_176_800;

    fn cx(w: &World) -> Context<'_> {
        Context {
            edge: &w.here,
            realm: "office",
            trunk: Some(&w.trunk),
            ring_timeout: Duration::from_secs(30),
            now: NOON,
            now_ms: NOON * 1000,
        }
    }

    /// A one-step scenario on kim's 070 number: straight to `to`.
    async fn scenario_on_kim(w: &World, to: Destination) {
        let form = app::ivr::ScenarioForm {
            name: "안내".into(),
            numbers: vec!["070-4000-0001".into()],
            start: "go".into(),
            nodes: vec![Step {
                id: "go".into(),
                label: None,
                action: Node::Route { to },
            }],
        };
        app::ivr::create(&w.app, &acme(), &form)
            .await
            .expect("scenario");
    }

    fn to(target: IvrTarget) -> HandOff {
        HandOff {
            tenant: acme(),
            target,
        }
    }

    #[tokio::test]
    async fn a_number_a_scenario_answers_runs_it_and_the_walk_hands_over() {
        let w = world().await;
        let carrier = Origin::Trunk {
            caller: "01012345678".into(),
        };
        // Before: kim's phone rings. A scenario saved now answers at once
        // (the save bumps the tenant's version the cache checks).
        let d = route(&carrier, "07040000001", &w.dir, &cx(&w))
            .await
            .expect("rings");
        assert!(matches!(d.route, Route::Ring { .. }));
        scenario_on_kim(
            &w,
            Destination::User {
                account: w.lee.clone(),
            },
        )
        .await;
        let d = route(&carrier, "07040000001", &w.dir, &cx(&w))
            .await
            .expect("answered");
        let Route::Run(Application::Ivr(spec)) = d.route else {
            panic!("not the ARS: {:?}", d.route);
        };
        assert_eq!(d.record.callee.number, "070-4000-0001");
        assert_eq!(d.record.callee.name.as_deref(), Some("안내"));
        assert_eq!(d.record.ivr.map(|v| v.scenario), Some(spec.scenario.id));

        // Lee's two phones ring, her mailbox if nobody answers.
        let h = hand_off(
            &to(IvrTarget::To(Destination::User {
                account: w.lee.clone(),
            })),
            &w.dir,
            &cx(&w),
        )
        .await
        .expect("decided");
        let Handoff::Ring {
            forks,
            fallback: Fallback::Mailbox(mailbox),
            callee,
            ..
        } = h
        else {
            panic!("{h:?}");
        };
        assert_eq!(forks.targets().count(), 2);
        assert_eq!(
            (mailbox.number.as_str(), callee.number.as_str()),
            ("1002", "1002")
        );

        // Keyed extensions: a user's, nobody's, a suspended user's.
        let ext = |e: &str| to(IvrTarget::Extension(e.into()));
        let h = hand_off(&ext("1002"), &w.dir, &cx(&w)).await.expect("1002");
        assert!(matches!(h, Handoff::Ring { .. }), "{h:?}");
        for nobody in ["1999", "12", "x"] {
            let h = hand_off(&ext(nobody), &w.dir, &cx(&w))
                .await
                .expect("nobody");
            assert_eq!(h, Handoff::NoSuchExtension, "{nobody}");
        }
        let h = hand_off(&ext("1003"), &w.dir, &cx(&w)).await.expect("1003");
        assert!(matches!(h, Handoff::Unavailable(_)), "{h:?}");
        // Registered only at another edge: the mailbox answers.
        let h = hand_off(&ext("1004"), &w.dir, &cx(&w)).await.expect("1004");
        assert!(
            matches!(h, Handoff::Mailbox(ref p) if p.number == "1004"),
            "{h:?}"
        );
        // Outside numbers go through the trunk; a callback is the caller's request.
        let out = Destination::Outside {
            number: domain::PhoneNumber::parse("02-555-1234").expect("n"),
        };
        let h = hand_off(&to(IvrTarget::To(out)), &w.dir, &cx(&w))
            .await
            .expect("out");
        let Handoff::Ring { forks, .. } = h else {
            panic!("{h:?}");
        };
        assert_eq!(
            forks.targets().map(|t| t.uri.as_str()).collect::<Vec<_>>(),
            ["sip:025551234@198.51.100.1:5060"]
        );
        let h = hand_off(&to(IvrTarget::To(Destination::Callback)), &w.dir, &cx(&w))
            .await
            .expect("callback");
        assert_eq!(h, Handoff::Callback);
    }
}
