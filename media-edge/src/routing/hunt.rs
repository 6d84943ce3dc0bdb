//! A call to a hunt group's extension: who rings, by the group's strategy
//! ([`domain::hunt::plan`]) over its members' states as this edge knows
//! them (registered here, on a call here, wrap-up and call counts from the
//! group's state in the table). Each stage rings every phone of its
//! members; the record names the member who answers.
//!
//! When nobody is free, or callers already wait, the caller joins the
//! group's queue (`call::queue`) if the group has one and it has room;
//! otherwise, and when nobody answered or the longest wait ran out, the
//! group overflows: to a voicemail box, to another group (once: that
//! group's own overflow to a group is not followed), to a callback request
//! (for callers from outside, who came through the ARS), or the caller
//! hears 480.

use std::time::Duration;

use domain::call::{CallRecord, Direction, Party};
use domain::hunt::{HuntGroup, MemberState, Overflow, plan};
use domain::{Account, AccountId, HuntGroupId};

use super::{
    Application, Context, Decision, Fallback, NOT_FOUND, QueueSpec, Refusal, Route, UNAVAILABLE,
    active_account, party_of, reach, user_from,
};
use crate::directory::{Directory, Unavailable};
use crate::fork::{ForkPlan, Stage};
use crate::prompts::Greeting;

/// Whom a call for `group` rings now: the strategy's stages over the
/// members free at this edge, each stage every phone of its members
/// (labelled with the member, who the record names on answer). Empty
/// when nobody is free. `caller` is never rung for their own call.
pub async fn ring_plan(
    group: &HuntGroup,
    caller: Option<&AccountId>,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<ForkPlan, Unavailable> {
    let t = &group.tenant;
    let state = dir.hunt_state(t, &group.id).await?;
    let mut states = Vec::with_capacity(group.members.len());
    let mut phones = Vec::with_capacity(group.members.len());
    for m in &group.members {
        let member = active_account(dir, t, &m.account).await?;
        let here = match &member {
            // Members registered only at another edge do not ring from here.
            Some(a) => reach(&dir.registrations(t, &a.id).await?, cx).unwrap_or_default(),
            None => Vec::new(),
        };
        let stats = state.members.get(&m.account).copied().unwrap_or_default();
        states.push(MemberState {
            registered: !here.is_empty(),
            on_call: Some(&m.account) == caller || dir.on_call(t, &m.account),
            paused: stats.paused,
            last_call_end: stats.last_call_end,
            calls: stats.calls,
        });
        phones.push((member.map(|a| party_of(&a)), here));
    }
    let stages = plan(group, &states, &state.memory, cx.now, &mut |n| {
        rand::random::<u32>() % n.max(1)
    });
    Ok(ForkPlan {
        stages: stages
            .into_iter()
            .map(|s| Stage {
                targets: s
                    .members
                    .iter()
                    .flat_map(|&i| {
                        let (party, targets) = &phones[i];
                        targets.iter().map(move |t| {
                            let mut t = t.clone();
                            t.answers_as.clone_from(party);
                            t
                        })
                    })
                    .collect(),
                timeout: Duration::from_secs(u64::from(s.timeout_secs)),
            })
            .collect(),
    })
}

/// How the group appears as the callee while nobody has answered.
pub fn group_party(group: &HuntGroup) -> Party {
    Party {
        number: group
            .extension
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        account: None,
        name: Some(group.name.clone()),
    }
}

/// How a call for a group goes: through `group`, the group the call
/// reached (the first, or the one it overflowed to).
#[derive(Debug)]
pub(super) struct GroupRoute {
    pub group: HuntGroup,
    /// None when nobody can take the call.
    pub route: Option<Route>,
    /// The group's overflow mailbox, if it has one.
    pub mailbox: Option<Party>,
}

/// How a call for `group` goes now: ring free members, wait in the queue,
/// or overflow: to the mailbox (`Route::Run(Voicemail)`), or to another
/// group, once (that group's own overflow to a group is not followed:
/// two groups overflowing to each other cannot bounce a caller).
pub(super) async fn group_route(
    group: &HuntGroup,
    caller: Option<&AccountId>,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<GroupRoute, Unavailable> {
    let (route, mailbox) = one_group_route(group, caller, dir, cx).await?;
    if route.is_none()
        && let Overflow::Group { group: next } = &group.overflow
        && next != &group.id
        && let Some(next) = dir.hunt_group(&group.tenant, next).await?
    {
        let (route, mailbox) = one_group_route(&next, caller, dir, cx).await?;
        return Ok(GroupRoute {
            group: next,
            route,
            mailbox,
        });
    }
    Ok(GroupRoute {
        group: group.clone(),
        route,
        mailbox,
    })
}

/// [`group_route`] within one group.
async fn one_group_route(
    group: &HuntGroup,
    caller: Option<&AccountId>,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<(Option<Route>, Option<Party>), Unavailable> {
    let forks = ring_plan(group, caller, dir, cx).await?;
    let mailbox = match &group.overflow {
        Overflow::Voicemail { account } => active_account(dir, &group.tenant, account)
            .await?
            .map(|a| party_of(&a)),
        Overflow::Hangup | Overflow::Callback | Overflow::Group { .. } => None,
    };
    // Callers already waiting go first: a new one joins the line behind
    // them, as it does when nobody is free.
    let waiting = dir.queued(&group.id);
    let route = if forks.stages.is_empty() || waiting > 0 {
        let room = group.max_callers == 0 || waiting < group.max_callers as usize;
        if group.max_wait_secs > 0 && room {
            Some(Route::Run(Application::Queue(QueueSpec {
                group: group.id.clone(),
                max_wait: Duration::from_secs(u64::from(group.max_wait_secs)),
                overflow: mailbox.clone(),
                callback: group.overflow == Overflow::Callback,
                spill_to: match &group.overflow {
                    Overflow::Group { group: next } if next != &group.id => Some(next.clone()),
                    _ => None,
                },
            })))
        } else if mailbox.is_some() {
            Some(Route::Run(Application::Voicemail(Greeting::Unavailable)))
        } else {
            None
        }
    } else {
        Some(Route::Ring {
            forks,
            fallback: match (&mailbox, &group.overflow) {
                (Some(m), _) => Fallback::Mailbox(m.clone()),
                (None, Overflow::Callback) => Fallback::Callback(group.id.clone()),
                (None, _) => Fallback::Fail,
            },
        })
    };
    Ok((route, mailbox))
}

/// The decision for `caller` dialling group `g` (by its extension `dialled`).
pub(super) async fn to_group(
    caller: &Account,
    dialled: &str,
    g: &HuntGroupId,
    dir: &dyn Directory,
    cx: &Context<'_>,
) -> Result<Decision, Refusal> {
    let t = &caller.tenant;
    let group = dir.hunt_group(t, g).await?.ok_or(NOT_FOUND)?;
    let gr = group_route(&group, Some(&caller.id), dir, cx).await?;
    let mut record = CallRecord::starting(
        t.clone(),
        Direction::Internal,
        party_of(caller),
        group_party(&gr.group),
        cx.now_ms,
        cx.edge.as_str(),
    );
    record.hunt_group = Some(gr.group.id.clone());
    let route = match gr.route {
        Some(r @ Route::Run(Application::Voicemail(_))) => {
            record.callee = gr.mailbox.ok_or(UNAVAILABLE)?;
            r
        }
        Some(r) => r,
        None => return Err(UNAVAILABLE),
    };
    Ok(Decision {
        record,
        b_from: user_from(caller, cx),
        b_to: format!("<sip:{}@{}>", dialled.trim(), cx.realm),
        auto_record: caller.permissions.auto_record,
        route,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use domain::AccountId;
    use domain::hunt::{Overflow, Strategy};
    use store::repo::hunt_groups;

    use super::super::tests::{World, acme, user, world};
    use super::super::{Application, Context, Decision, Fallback, Refusal, Route, route};
    use crate::presence::Held;
    use crate::prompts::Greeting;

    /// A group without a queue (callers overflow at once).
    async fn group(
        w: &World,
        ext: &str,
        strategy: Strategy,
        members: &[&AccountId],
        overflow: Overflow,
    ) -> domain::hunt::HuntGroup {
        queue_group(w, ext, strategy, members, overflow, (0, 0)).await
    }

    /// A group whose callers wait up to `queue.0` seconds, `queue.1` at most.
    async fn queue_group(
        w: &World,
        ext: &str,
        strategy: Strategy,
        members: &[&AccountId],
        overflow: Overflow,
        queue: (u32, u32),
    ) -> domain::hunt::HuntGroup {
        app::hunt::create(
            &w.app,
            &acme(),
            &app::hunt::GroupForm {
                name: "상담팀".into(),
                extension: Some(ext.into()),
                strategy: Some(strategy.as_str().into()),
                members: members
                    .iter()
                    .map(|a| app::hunt::MemberForm {
                        account: a.to_string(),
                        ..Default::default()
                    })
                    .collect(),
                overflow: Some(overflow),
                max_wait_secs: Some(queue.0),
                max_callers: Some(queue.1),
                ..Default::default()
            },
        )
        .await
        .expect("group")
    }

    async fn call(w: &World, from: &AccountId, ext: &str) -> Result<Decision, Refusal> {
        let cx = Context {
            edge: &w.here,
            realm: "office",
            trunk: Some(&w.trunk),
            ring_timeout: Duration::from_secs(30),
            now: store::now_epoch_seconds(),
            now_ms: store::now_epoch_ms(),
        };
        route(&user(from), ext, &w.dir, &cx).await
    }

    /// Each stage's contacts.
    fn stages(d: &Decision) -> Vec<Vec<String>> {
        match &d.route {
            Route::Ring { forks, .. } => forks
                .stages
                .iter()
                .map(|s| s.targets.iter().map(|t| t.uri.clone()).collect())
                .collect(),
            other => panic!("not ringing: {other:?}"),
        }
    }

    /// Puts `a` on a call at this edge (until `presence().hold(.., None)`
    /// releases the returned hold).
    fn busy(w: &World, a: &AccountId) -> Held {
        let mut held = Held::default();
        let r = domain::CallRecord::starting(
            acme(),
            domain::Direction::Internal,
            domain::Party {
                number: "1001".into(),
                account: Some(a.clone()),
                name: None,
            },
            domain::Party::default(),
            0,
            "kr",
        );
        w.dir.presence().hold(&mut held, Some(&r));
        held
    }

    const KIM: &str = "sip:u1@10.0.0.1:5062";
    const LEE: [&str; 2] = ["sip:u2@10.0.0.2:5062", "sip:u3@10.0.0.3:5062"];

    #[tokio::test]
    async fn a_group_rings_its_free_members_every_phone_in_its_strategys_order() {
        let w = world().await;
        // park is suspended, cho registered only at another edge, kim calls.
        group(
            &w,
            "3000",
            Strategy::Linear,
            &[&w.kim, &w.park, &w.cho, &w.lee],
            Overflow::Hangup,
        )
        .await;
        let d = call(&w, &w.kim, "3000").await.expect("routed");
        assert_eq!(stages(&d), [LEE.map(str::to_owned).to_vec()]);
        assert_eq!(d.record.callee.name.as_deref(), Some("상담팀"));
        assert_eq!(d.record.callee.account, None, "nobody has answered yet");
        assert!(d.record.hunt_group.is_some());
        let Route::Ring { forks, fallback } = &d.route else {
            unreachable!()
        };
        assert_eq!(*fallback, Fallback::Fail);
        assert!(
            forks
                .targets()
                .all(|t| t.answers_as.as_ref().and_then(|p| p.account.as_ref()) == Some(&w.lee)),
            "the record will name lee if a phone of lee's answers"
        );
        assert_eq!(forks.stages[0].timeout, Duration::from_secs(20));
    }

    #[tokio::test]
    async fn ring_all_and_round_robin_follow_the_groups_state_in_the_table() {
        let w = world().await;
        let all = group(
            &w,
            "3000",
            Strategy::RingAll,
            &[&w.kim, &w.lee],
            Overflow::Hangup,
        )
        .await;
        let d = call(&w, &w.cho, "3000").await.expect("routed");
        assert_eq!(
            stages(&d),
            [vec![KIM.to_owned(), LEE[0].to_owned(), LEE[1].to_owned()]]
        );
        drop(all);
        let rr = group(
            &w,
            "3001",
            Strategy::RoundRobinOrdered,
            &[&w.kim, &w.lee],
            Overflow::Hangup,
        )
        .await;
        let order = |d: &Decision| {
            stages(d)
                .into_iter()
                .map(|s| s[0].clone())
                .collect::<Vec<_>>()
        };
        let d = call(&w, &w.cho, "3001").await.expect("routed");
        assert_eq!(order(&d), [KIM, LEE[0]]);
        hunt_groups::answered(&*w.app.store, &rr, &w.kim)
            .await
            .expect("answered");
        let d = call(&w, &w.cho, "3001").await.expect("routed");
        assert_eq!(order(&d), [LEE[0], KIM], "the rotation goes on after kim");
    }

    #[tokio::test]
    async fn members_on_a_call_are_skipped_and_a_full_group_overflows() {
        let w = world().await;
        group(
            &w,
            "3000",
            Strategy::Linear,
            &[&w.kim, &w.lee],
            Overflow::Hangup,
        )
        .await;
        group(
            &w,
            "3001",
            Strategy::Linear,
            &[&w.kim, &w.lee],
            Overflow::Voicemail {
                account: w.lee.clone(),
            },
        )
        .await;
        let mut on_call = busy(&w, &w.kim);
        let d = call(&w, &w.cho, "3000").await.expect("routed");
        assert_eq!(stages(&d), [LEE.map(str::to_owned).to_vec()]);
        // Both busy: 480 without an overflow target, lee's voicemail with one.
        let mut lee_busy = busy(&w, &w.lee);
        let refused = call(&w, &w.cho, "3000").await.expect_err("nobody free");
        assert_eq!(refused.code, 480);
        let d = call(&w, &w.cho, "3001").await.expect("voicemail");
        assert!(matches!(
            d.route,
            Route::Run(Application::Voicemail(Greeting::Unavailable))
        ));
        assert_eq!(d.record.callee.account.as_ref(), Some(&w.lee));
        // Free again: both ring, and nobody answering ends in the mailbox.
        w.dir.presence().hold(&mut on_call, None);
        w.dir.presence().hold(&mut lee_busy, None);
        let d = call(&w, &w.cho, "3001").await.expect("routed");
        let Route::Ring { fallback, .. } = &d.route else {
            panic!("{:?}", d.route)
        };
        assert!(
            matches!(fallback, Fallback::Mailbox(p) if p.account.as_ref() == Some(&w.lee)),
            "{fallback:?}"
        );
    }

    #[tokio::test]
    async fn callers_queue_when_nobody_is_free_or_others_wait_and_overflow_when_it_is_full() {
        let w = world().await;
        let g = queue_group(
            &w,
            "3000",
            Strategy::Linear,
            &[&w.kim],
            Overflow::Voicemail {
                account: w.lee.clone(),
            },
            (90, 2),
        )
        .await;
        let queue_of = |d: &Decision| match &d.route {
            Route::Run(Application::Queue(q)) => Some(q.clone()),
            _ => None,
        };
        // kim is free: kim rings.
        let d = call(&w, &w.cho, "3000").await.expect("routed");
        assert_eq!(stages(&d), [vec![KIM.to_owned()]]);
        // kim paused: nobody free, so the caller queues; resumed: kim rings.
        app::hunt::set_paused(&w.app, &acme(), g.id.as_str(), w.kim.as_str(), true)
            .await
            .expect("pause");
        let d = call(&w, &w.cho, "3000").await.expect("queued");
        assert!(queue_of(&d).is_some(), "{:?}", d.route);
        app::hunt::set_paused(&w.app, &acme(), g.id.as_str(), w.kim.as_str(), false)
            .await
            .expect("resume");
        let d = call(&w, &w.cho, "3000").await.expect("routed");
        assert_eq!(stages(&d), [vec![KIM.to_owned()]]);
        // kim busy: the caller waits, and would overflow to lee's mailbox.
        let mut kim_busy = busy(&w, &w.kim);
        let d = call(&w, &w.cho, "3000").await.expect("queued");
        let q = queue_of(&d).expect("a queue");
        assert_eq!(q.max_wait, Duration::from_secs(90));
        assert_eq!(q.overflow.and_then(|p| p.account).as_ref(), Some(&w.lee));
        // kim free again but someone waits: the new caller queues behind.
        w.dir.presence().hold(&mut kim_busy, None);
        let queues = w.dir.queues();
        queues.join(&g.id, "first");
        let d = call(&w, &w.cho, "3000").await.expect("queued");
        assert!(queue_of(&d).is_some(), "{:?}", d.route);
        // A full queue (two waiting): lee's mailbox at once.
        queues.join(&g.id, "second");
        let d = call(&w, &w.cho, "3000").await.expect("overflow");
        assert!(matches!(
            d.route,
            Route::Run(Application::Voicemail(Greeting::Unavailable))
        ));
        assert_eq!(d.record.callee.account.as_ref(), Some(&w.lee));
    }

    #[tokio::test]
    async fn a_group_nobody_can_take_overflows_to_another_group_once() {
        let w = world().await;
        let second = group(&w, "3011", Strategy::RingAll, &[&w.lee], Overflow::Hangup).await;
        let first = group(
            &w,
            "3010",
            Strategy::Linear,
            &[&w.kim],
            Overflow::Group {
                group: second.id.clone(),
            },
        )
        .await;
        // Kim is free: the first group rings him.
        let d = call(&w, &w.cho, "3010").await.expect("routed");
        assert_eq!(d.record.hunt_group.as_ref(), Some(&first.id));
        // Kim is busy: the second group's member rings, its record says so.
        let mut kim_busy = busy(&w, &w.kim);
        let d = call(&w, &w.cho, "3010").await.expect("overflowed");
        assert_eq!(stages(&d), [LEE.map(str::to_owned).to_vec()]);
        assert_eq!(d.record.hunt_group.as_ref(), Some(&second.id));
        assert_eq!(d.record.callee.number, "3011");
        // Both busy: the second group's own overflow (none) ends it.
        let mut lee_busy = busy(&w, &w.lee);
        assert_eq!(
            call(&w, &w.cho, "3010").await.expect_err("nobody").code,
            480
        );
        w.dir.presence().hold(&mut kim_busy, None);
        w.dir.presence().hold(&mut lee_busy, None);
    }
}
