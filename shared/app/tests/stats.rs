//! Statistics against an oracle: 10,000 random calls over six months,
//! many users, numbers, hunt groups and ARS options, published as call
//! ends through the in-process events port (the aggregator is attached
//! to it), then every figure of the reports is compared with the same
//! figure computed here directly from the call records. Then every event
//! is delivered again, shuffled, and nothing changes.

mod common;

use std::collections::BTreeMap;

use app::stats::{Question, Report, plan::Period};
use domain::calendar::{Date, TimeZone};
use domain::call::{CallRecord, Direction, Disposition, IvrVisit, Party};
use domain::event::{Ended, Event, Kind};
use domain::ivr::walk::Choice;
use domain::stats::{Dim, Flow, Grain};
use domain::{AccountId, HuntGroupId, IvrId, TenantId};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const CALLS: usize = 10_000;
/// 2026-01-01 00:00 in Seoul.
const START_MS: i64 = 1_767_193_200_000;
/// Six months of 181 days.
const SPAN_MS: i64 = 181 * 86_400_000;
const KST_MS: i64 = 9 * 3_600_000;

struct World {
    users: Vec<AccountId>,
    lines: Vec<String>,
    groups: Vec<HuntGroupId>,
    ivrs: Vec<IvrId>,
}

fn world() -> World {
    let id = |c: u32| format!("{c:032x}");
    World {
        users: (1..=24)
            .map(|i| AccountId::parse(&id(i)).expect("account"))
            .collect(),
        lines: (1..=8).map(|i| format!("070400000{i:02}")).collect(),
        groups: (100..103)
            .map(|i| HuntGroupId::parse(&id(i)).expect("group"))
            .collect(),
        ivrs: (200..202)
            .map(|i| IvrId::parse(&id(i)).expect("ivr"))
            .collect(),
    }
}

fn outside(rng: &mut impl Rng) -> Party {
    Party {
        number: format!("010{:08}", rng.gen_range(0..100_000_000)),
        ..Party::default()
    }
}

fn user(a: &AccountId) -> Party {
    Party {
        number: "1001".into(),
        account: Some(a.clone()),
        name: None,
    }
}

/// One random ended call.
fn call(w: &World, t: &TenantId, rng: &mut impl Rng) -> CallRecord {
    let started = START_MS + rng.gen_range(0..SPAN_MS);
    let u = |rng: &mut dyn rand::RngCore| w.users[rng.gen_range(0..w.users.len())].clone();
    let kind = rng.gen_range(0..10);
    let (direction, caller, callee) = match kind {
        0..=4 => (Direction::Incoming, outside(rng), user(&u(rng))),
        5..=7 => (Direction::Outgoing, user(&u(rng)), outside(rng)),
        _ => (Direction::Internal, user(&u(rng)), user(&u(rng))),
    };
    let mut r = CallRecord::starting(t.clone(), direction, caller, callee, started, "e1");
    // Ids from the start time alone collide at random; make them unique.
    r.id = format!("{}-{}", r.id, rng.r#gen::<u64>());
    if direction != Direction::Internal {
        r.line = Some(w.lines[rng.gen_range(0..w.lines.len())].clone());
    }
    let inbound = direction == Direction::Incoming;
    let grouped = inbound && rng.gen_bool(0.3);
    if grouped {
        r.hunt_group = Some(w.groups[rng.gen_range(0..w.groups.len())].clone());
        if rng.gen_bool(0.6) {
            r.queued_ms = Some(started + rng.gen_range(0..5_000));
        }
    }
    let with_ivr = inbound && rng.gen_bool(0.3);
    if with_ivr {
        let steps = rng.gen_range(1..=3);
        let nodes = ["main", "sales", "support#2"];
        let keys = ["1", "2", "9", "timeout"];
        r.ivr = Some(IvrVisit {
            scenario: w.ivrs[rng.gen_range(0..w.ivrs.len())].clone(),
            path: (0..steps)
                .map(|_| Choice {
                    node: nodes[rng.gen_range(0..nodes.len())].into(),
                    chose: keys[rng.gen_range(0..keys.len())].into(),
                })
                .collect(),
        });
    }
    let mut options = vec![
        Disposition::Answered,
        Disposition::Answered,
        Disposition::Answered,
        Disposition::NoAnswer,
        Disposition::Busy,
        Disposition::Cancelled,
        Disposition::Transferred,
    ];
    if inbound {
        options.extend([
            Disposition::Voicemail,
            Disposition::AfterHours,
            Disposition::Callback,
        ]);
    }
    if r.queued_ms.is_some() {
        options.push(Disposition::Abandoned);
    }
    if with_ivr {
        options.push(Disposition::Ivr);
    }
    r.disposition = options[rng.gen_range(0..options.len())];
    let waited_from = r.queued_ms.unwrap_or(started);
    match r.disposition {
        Disposition::Answered | Disposition::Transferred => {
            let a = waited_from + rng.gen_range(0..60_000);
            r.answered_ms = Some(a);
            r.ended_ms = Some(a + rng.gen_range(0..900_000));
        }
        Disposition::Voicemail => {
            r.direction = Direction::Voicemail;
            let a = started + rng.gen_range(5_000..30_000);
            r.answered_ms = Some(a);
            r.ended_ms = Some(a + rng.gen_range(0..60_000));
        }
        _ => {
            if inbound {
                r.direction = Direction::Missed;
            }
            if r.queued_ms.is_some() || with_ivr {
                // The edge answered to play the menu or the queue.
                r.answered_ms = Some(started + 500);
            }
            r.ended_ms = Some(waited_from + rng.gen_range(0..120_000));
        }
    }
    r
}

fn ended_event(r: &CallRecord) -> Event {
    Event::new(
        r.tenant.clone(),
        &r.id,
        3,
        r.ended_ms.unwrap_or(r.started_ms),
        Kind::Ended(Ended::of(r)),
    )
}

/// What one record adds, worked out here from its fields alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Expect {
    calls: i64,
    answered: i64,
    missed: i64,
    voicemail: i64,
    abandoned: i64,
    ivr: i64,
    callback: i64,
    talk_ms: i64,
    talk_max_ms: i64,
    ring_ms: i64,
    ring_calls: i64,
    queue_ms: i64,
    queued: i64,
}

impl Expect {
    fn of(r: &CallRecord) -> Self {
        let ended = r.ended_ms.expect("ended");
        let mut e = Self {
            calls: 1,
            ..Self::default()
        };
        let answered = matches!(
            r.disposition,
            Disposition::Answered | Disposition::Transferred
        );
        match r.disposition {
            Disposition::Answered | Disposition::Transferred => e.answered = 1,
            Disposition::Voicemail => e.voicemail = 1,
            Disposition::Abandoned => e.abandoned = 1,
            Disposition::Ivr => e.ivr = 1,
            Disposition::Callback => e.callback = 1,
            _ => e.missed = 1,
        }
        if answered {
            let a = r.answered_ms.expect("answered");
            e.talk_ms = ended - a;
            e.talk_max_ms = e.talk_ms;
            if r.queued_ms.is_none() {
                e.ring_ms = a - r.started_ms;
                e.ring_calls = 1;
            }
        }
        if let Some(q) = r.queued_ms {
            e.queued = 1;
            e.queue_ms = if answered {
                r.answered_ms.expect("answered") - q
            } else {
                ended - q
            };
        }
        e
    }

    fn add(&mut self, o: &Self) {
        self.calls += o.calls;
        self.answered += o.answered;
        self.missed += o.missed;
        self.voicemail += o.voicemail;
        self.abandoned += o.abandoned;
        self.ivr += o.ivr;
        self.callback += o.callback;
        self.talk_ms += o.talk_ms;
        self.talk_max_ms = self.talk_max_ms.max(o.talk_max_ms);
        self.ring_ms += o.ring_ms;
        self.ring_calls += o.ring_calls;
        self.queue_ms += o.queue_ms;
        self.queued += o.queued;
    }

    /// As a report shows it.
    fn figures(&self) -> app::stats::Figures {
        let avg = |t: i64, n: i64| if n == 0 { 0 } else { t / n };
        app::stats::Figures {
            calls: self.calls,
            answered: self.answered,
            missed: self.missed,
            voicemail: self.voicemail,
            abandoned: self.abandoned,
            ivr: self.ivr,
            callback: self.callback,
            talk_ms: self.talk_ms,
            talk_avg_ms: avg(self.talk_ms, self.answered),
            talk_max_ms: self.talk_max_ms,
            ring_avg_ms: avg(self.ring_ms, self.ring_calls),
            queued: self.queued,
            queue_avg_ms: avg(self.queue_ms, self.queued),
        }
    }
}

fn flow(d: Direction) -> Flow {
    match d {
        Direction::Outgoing => Flow::Outbound,
        Direction::Internal => Flow::Internal,
        _ => Flow::Inbound,
    }
}

/// Where a record counts: the tenant, its users, its number, its group,
/// its ARS options (each once).
fn dims(r: &CallRecord) -> Vec<Dim> {
    let mut out = vec![Dim::Tenant];
    for a in [&r.caller.account, &r.callee.account].into_iter().flatten() {
        if !out.contains(&Dim::User(a.clone())) {
            out.push(Dim::User(a.clone()));
        }
    }
    out.extend(r.line.clone().map(Dim::Line));
    out.extend(r.hunt_group.clone().map(Dim::Group));
    if let Some(v) = &r.ivr {
        for c in &v.path {
            let d = Dim::Option {
                ivr: v.scenario.clone(),
                node: c.node.clone(),
                chose: c.chose.clone(),
            };
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

/// Seoul has kept +09:00 without DST since 1988: its local date is plain
/// arithmetic. Other zones ask the tz database.
fn local_day(ms: i64, tz: Option<&TimeZone>) -> Date {
    match tz {
        None => Date::from_days((ms + KST_MS).div_euclid(86_400_000)).expect("date"),
        Some(tz) => tz.date_of_ms(ms).expect("date"),
    }
}

/// The expected figures per (dimension, flow or all, day).
type Oracle = BTreeMap<(Dim, Option<Flow>, Date), Expect>;

/// The oracle in Seoul's days, or `tz`'s.
fn oracle(calls: &[CallRecord], tz: Option<&TimeZone>) -> Oracle {
    let mut o = Oracle::new();
    for r in calls {
        let e = Expect::of(r);
        let day = local_day(r.started_ms, tz);
        for d in dims(r) {
            for f in [None, Some(flow(r.direction))] {
                o.entry((d.clone(), f, day)).or_default().add(&e);
            }
        }
    }
    o
}

fn expected(o: &Oracle, dim: &Dim, f: Option<Flow>, from: Date, to: Date) -> Expect {
    let mut e = Expect::default();
    for ((d, fl, day), x) in o.range((dim.clone(), f, from)..=(dim.clone(), f, to)) {
        assert!(d == dim && *fl == f && *day >= from && *day <= to);
        e.add(x);
    }
    e
}

fn d(y: i32, m: u8, day: u8) -> Date {
    Date::new(y, m, day).expect("date")
}

async fn ask(app: &app::App, t: &TenantId, q: Question) -> Report {
    app::stats::report(app, t, &q).await.expect("report")
}

fn question(from: Date, to: Date, grain: Grain, flow: Option<Flow>, dim: Dim) -> Question {
    Question {
        period: Period { from, to },
        grain,
        flow,
        dim,
    }
}

fn breakdown_of(r: &Report, dim: &Dim) -> Option<app::stats::Figures> {
    let rows = match dim {
        Dim::Tenant => return Some(r.subject.figures),
        Dim::User(_) => &r.users,
        Dim::Line(_) => &r.lines,
        Dim::Group(_) => &r.groups,
        Dim::Option { .. } => &r.options,
    };
    let id = match dim {
        Dim::User(a) => a.to_string(),
        Dim::Line(n) => n.clone(),
        Dim::Group(g) => g.to_string(),
        Dim::Option { ivr, node, chose } => format!("{ivr}/{node}/{chose}"),
        Dim::Tenant => unreachable!(),
    };
    rows.iter().find(|x| x.id == id).map(|x| x.figures)
}

/// Checks the reports against the oracle: each dimension's own series
/// (all flows, and one flow each in turn) when `each_series`, and always
/// the breakdowns (every dimension's totals), the company's days and hours.
async fn check(app: &app::App, t: &TenantId, o: &Oracle, all_dims: &[Dim], each_series: bool) {
    let (first, last) = (d(2026, 1, 1), d(2026, 6, 30));
    let months: Vec<(Date, Date)> = (1..=6)
        .map(|m| {
            let from = d(2026, m, 1);
            let to = d(2026, m, domain::calendar::days_in_month(2026, m));
            (from, to)
        })
        .collect();
    // Every dimension by month, over the whole period, for all flows and one.
    let series_of = if each_series {
        all_dims
    } else {
        &all_dims[..1]
    };
    for (i, dim) in series_of.iter().enumerate() {
        for f in [None, Some(Flow::ALL[i % 3])] {
            let r = ask(app, t, question(first, last, Grain::Month, f, dim.clone())).await;
            assert_eq!(r.points.len(), 6);
            for (p, (from, to)) in r.points.iter().zip(&months) {
                assert_eq!(
                    p.figures,
                    expected(o, dim, f, *from, *to).figures(),
                    "{dim:?} {f:?} {}",
                    p.label
                );
            }
            assert_eq!(
                r.subject.figures,
                expected(o, dim, f, first, last).figures()
            );
        }
    }
    // The breakdowns of the whole period, and of a ragged one.
    for (from, to) in [(first, last), (d(2026, 2, 10), d(2026, 5, 20))] {
        for f in [None, Some(Flow::Inbound)] {
            let r = ask(app, t, question(from, to, Grain::Month, f, Dim::Tenant)).await;
            for dim in all_dims {
                let want = expected(o, dim, f, from, to);
                let got = breakdown_of(&r, dim);
                if want.calls == 0 {
                    assert_eq!(got, None, "{dim:?}");
                } else {
                    assert_eq!(got, Some(want.figures()), "{dim:?} {f:?} {from}..{to}");
                }
            }
        }
    }
    // The company by day over the whole period.
    let r = ask(app, t, question(first, last, Grain::Day, None, Dim::Tenant)).await;
    assert_eq!(r.points.len(), 181);
    for p in &r.points {
        let day = Date::parse(&p.label).expect("day");
        assert_eq!(
            p.figures,
            expected(o, &Dim::Tenant, None, day, day).figures(),
            "{day}"
        );
    }
    // By the hour for the first week (its first day rolls up hours).
    let r = ask(
        app,
        t,
        question(first, d(2026, 1, 7), Grain::Hour, None, Dim::Tenant),
    )
    .await;
    assert_eq!(r.points.len(), 7 * 24);
    let mut by_day: BTreeMap<String, app::stats::Figures> = BTreeMap::new();
    for p in &r.points {
        let day = p.label[..10].to_owned();
        let e = by_day.entry(day).or_default();
        e.calls += p.figures.calls;
        e.talk_ms += p.figures.talk_ms;
    }
    for (day, f) in by_day {
        let day = Date::parse(&day).expect("day");
        let want = expected(o, &Dim::Tenant, None, day, day);
        assert_eq!((f.calls, f.talk_ms), (want.calls, want.talk_ms), "{day}");
    }
}

async fn publish(app: &app::App, calls: &[CallRecord]) {
    let events: Vec<Event> = calls.iter().map(ended_event).collect();
    for chunk in events.chunks(100) {
        app.events.publish(chunk).await.expect("publish");
    }
}

#[tokio::test]
async fn ten_thousand_calls_add_up_to_what_their_records_say_even_when_delivered_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, t) = common::acme(dir.path()).await;
    let w = world();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_204);
    let calls: Vec<CallRecord> = (0..CALLS).map(|_| call(&w, &t, &mut rng)).collect();
    let o = oracle(&calls, None);
    let mut all_dims: Vec<Dim> = o.keys().map(|(d, _, _)| d.clone()).collect();
    all_dims.dedup();
    assert!(all_dims.len() > 24 + 8 + 3 + 20, "{}", all_dims.len());

    let mut events: Vec<Event> = calls.iter().map(ended_event).collect();
    for chunk in events.chunks(100) {
        app.events.publish(chunk).await.expect("publish");
    }
    check(&app, &t, &o, &all_dims, true).await;

    // Every call end again, in another order: nothing changes.
    events.shuffle(&mut rng);
    for chunk in events.chunks(100) {
        app.events.publish(chunk).await.expect("publish again");
    }
    check(&app, &t, &o, &all_dims, false).await;
}

/// A company that moves to Los Angeles, counts more calls (some still in
/// Seoul's days by an aggregator that has not yet seen the move), and
/// moves back: every figure, read in the zone of the day, still equals
/// its records', because days counted in another zone are read from the
/// UTC hours.
#[tokio::test]
async fn a_company_that_moves_to_los_angeles_and_back_keeps_every_figure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, t) = common::acme(dir.path()).await;
    let w = world();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_261_205);
    let mut calls: Vec<CallRecord> = (0..1_500).map(|_| call(&w, &t, &mut rng)).collect();
    publish(&app, &calls).await;
    let la = TimeZone::parse("America/Los_Angeles").expect("zone");

    let moved = app::admin::set_time_zone(&app, &t, "America/Los_Angeles")
        .await
        .expect("move");
    assert_eq!(moved.time_zone, la);
    // Half counted by the running aggregator, which still trusts Seoul for
    // a minute; half by a fresh one (another Lambda), which counts in Los
    // Angeles and must not claim Los Angeles' earlier days for its buckets.
    let more: Vec<CallRecord> = (0..500).map(|_| call(&w, &t, &mut rng)).collect();
    publish(&app, &more[..250]).await;
    let fresh = app::stats::Aggregator::new(app.store.clone());
    for r in &more[250..] {
        fresh.count(&t, &Ended::of(r)).await.expect("count");
    }
    calls.extend(more);
    let o = oracle(&calls, Some(&la));
    let mut dims: Vec<Dim> = o.keys().map(|(d, _, _)| d.clone()).collect();
    dims.dedup();
    check(&app, &t, &o, &dims, false).await;
    // The days of the page and the API are Los Angeles' now.
    let r = ask(
        &app,
        &t,
        question(d(2026, 3, 8), d(2026, 3, 8), Grain::Hour, None, Dim::Tenant),
    )
    .await;
    assert_eq!(r.points.len(), 23, "the day clocks go forward has 23 hours");

    app::admin::set_time_zone(&app, &t, "Asia/Seoul")
        .await
        .expect("back");
    let o = oracle(&calls, None);
    check(&app, &t, &o, &dims, false).await;
}
