//! Issue 14 targets, on the embedded store (a redb file, as in the local
//! product): aggregation of ≥ 5,000 call ends/s, and the 통계 page's query
//! over a company with 1,000,000 calls in a year at p99 < 200 ms.
//!
//! Run: `cargo bench -p app --bench stats` (or `-- 200000` for fewer calls).
//! It counts N random call ends spread over the last year (200 users, 20
//! numbers, 5 hunt groups, 2 ARS menus) through the aggregator, in the
//! order they end, 500 a batch as a queue delivers them; then delivers
//! 20,000 again (counted already), and asks the page's questions 100
//! times each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::stats::{Aggregator, Question, plan::Period};
use domain::calendar::{Date, TimeZone};
use domain::call::{CallRecord, Direction, Disposition, IvrVisit, Party};
use domain::event::{Ended, Event, Kind};
use domain::ivr::walk::Choice;
use domain::stats::{Dim, Flow, Grain};
use domain::{AccountId, HuntGroupId, IvrId, TenantId};
use events::Consumer as _;
use rand::{Rng, SeedableRng};

/// The allocator the `office` binary uses.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const YEAR_MS: i64 = 365 * 86_400_000;
const BATCH: usize = 500;

fn call(
    t: &TenantId,
    users: &[AccountId],
    groups: &[HuntGroupId],
    ivrs: &[IvrId],
    started: i64,
    rng: &mut impl Rng,
) -> Event {
    let me = |rng: &mut dyn rand::RngCore| Party {
        number: "1001".into(),
        account: Some(users[rng.gen_range(0..users.len())].clone()),
        name: None,
    };
    let outside = Party {
        number: "01012345678".into(),
        ..Party::default()
    };
    let kind = rng.gen_range(0..10);
    let (direction, caller, callee) = match kind {
        0..=4 => (Direction::Incoming, outside, me(rng)),
        5..=7 => (Direction::Outgoing, me(rng), outside),
        _ => (Direction::Internal, me(rng), me(rng)),
    };
    let mut r = CallRecord::starting(t.clone(), direction, caller, callee, started, "kr");
    if direction != Direction::Internal {
        r.line = Some(format!("0704000{:04}", rng.gen_range(0..20)));
    }
    if direction == Direction::Incoming && rng.gen_bool(0.2) {
        r.hunt_group = Some(groups[rng.gen_range(0..groups.len())].clone());
        r.queued_ms = Some(started + 1_000);
    }
    if direction == Direction::Incoming && rng.gen_bool(0.15) {
        let nodes = ["main", "sales", "support"];
        let keys = ["1", "2", "3", "timeout"];
        r.ivr = Some(IvrVisit {
            scenario: ivrs[rng.gen_range(0..ivrs.len())].clone(),
            path: (0..rng.gen_range(1..=2))
                .map(|_| Choice {
                    node: nodes[rng.gen_range(0..3)].into(),
                    chose: keys[rng.gen_range(0..4)].into(),
                })
                .collect(),
        });
    }
    let waited = r.queued_ms.unwrap_or(started);
    if rng.gen_bool(0.7) {
        let a = waited + rng.gen_range(1_000..30_000);
        r.answered_ms = Some(a);
        r.ended_ms = Some(a + rng.gen_range(5_000..900_000));
        r.disposition = Disposition::Answered;
    } else {
        r.ended_ms = Some(waited + rng.gen_range(1_000..40_000));
        r.disposition = if r.queued_ms.is_some() {
            Disposition::Abandoned
        } else {
            Disposition::NoAnswer
        };
    }
    Event::new(
        t.clone(),
        &r.id,
        3,
        r.ended_ms.unwrap_or(started),
        Kind::Ended(Ended::of(&r)),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let store =
        store::embedded::EmbeddedStore::open(&dir.path().join("bench.redb")).expect("store");
    let app = app::App::over(Arc::new(store), dir.path(), "http://127.0.0.1:9").expect("app");
    let t = TenantId::parse("bench").expect("tenant");
    let users: Vec<AccountId> = rt.block_on(async {
        app::operator::create_tenant(
            &app,
            app::operator::NewTenant {
                id: Some("bench".into()),
                name: "Bench".into(),
                representative_number: None,
                region: None,
            },
        )
        .await
        .expect("tenant");
        let mut users = Vec::new();
        for i in 0..200 {
            let m = app::admin::create_member(
                &app,
                &t,
                app::admin::NewMember {
                    name: format!("사용자{i:03}"),
                    mobile: Some("010-3000-0001".into()),
                    extension: Some(format!("{}", 2000 + i)),
                    ..Default::default()
                },
            )
            .await
            .expect("member");
            users.push(m.account.id);
        }
        users
    });
    let id = |c: u32| format!("{c:032x}");
    let groups: Vec<HuntGroupId> = (1..=5)
        .map(|i| HuntGroupId::parse(&id(i)).expect("group"))
        .collect();
    let ivrs: Vec<IvrId> = (10..12)
        .map(|i| IvrId::parse(&id(i)).expect("ivr"))
        .collect();
    let seoul = TimeZone::seoul();
    let today = seoul
        .to_local(store::now_epoch_seconds())
        .expect("today")
        .date;
    let year_ago = today.add_days(-364);
    let start = seoul.start_of_day_ms(year_ago).expect("start");
    let mut rng = rand::rngs::StdRng::seed_from_u64(14);
    let aggregator = Aggregator::new(app.store.clone());

    println!("stats bench: {n} call ends over {year_ago}..{today}, embedded store (redb file)");
    let mut busy = Duration::ZERO;
    let mut sample = Vec::new();
    let mut done = 0;
    while done < n {
        let size = BATCH.min(n - done);
        // As they end: in time order over the year, a minute's jitter.
        let batch: Vec<Event> = (done..done + size)
            .map(|i| {
                let at = start + (i as i64) * (YEAR_MS / n as i64) + rng.gen_range(0..60_000);
                call(&t, &users, &groups, &ivrs, at, &mut rng)
            })
            .collect();
        let t0 = Instant::now();
        rt.block_on(aggregator.accept(&batch)).expect("counted");
        busy += t0.elapsed();
        if sample.len() < 20_000 {
            sample.extend(batch);
        }
        done += size;
        if done % 100_000 == 0 {
            let secs = busy.as_secs_f64();
            println!(
                "  {done:>9} counted, {:>7.0} call ends/s",
                done as f64 / secs
            );
        }
    }
    // The aggregator's time only (not making up the events).
    let secs = busy.as_secs_f64();
    println!(
        "aggregation: {n} call ends in {secs:.1} s = {:.0} call ends/s (target >= 5,000)",
        n as f64 / secs
    );
    let again = Instant::now();
    for chunk in sample.chunks(BATCH) {
        rt.block_on(aggregator.accept(chunk)).expect("again");
    }
    println!(
        "redelivery: {} call ends again in {:.2} s = {:.0}/s, none counted twice",
        sample.len(),
        again.elapsed().as_secs_f64(),
        sample.len() as f64 / again.elapsed().as_secs_f64()
    );

    let month_start = Date::new(today.year(), today.month(), 1).expect("month");
    let ask = |from: Date, to: Date, grain: Grain, flow: Option<Flow>, dim: Dim| Question {
        period: Period { from, to },
        grain,
        flow,
        dim,
    };
    let questions = [
        (
            "this month by day (the page's default)",
            ask(month_start, today, Grain::Day, None, Dim::Tenant),
        ),
        (
            "the year by month",
            ask(year_ago, today, Grain::Month, None, Dim::Tenant),
        ),
        (
            "the year by day, inbound",
            ask(
                year_ago,
                today,
                Grain::Day,
                Some(Flow::Inbound),
                Dim::Tenant,
            ),
        ),
        (
            "one user, the year by month",
            ask(
                year_ago,
                today,
                Grain::Month,
                None,
                Dim::User(users[7].clone()),
            ),
        ),
        (
            "the last 31 days by hour",
            ask(today.add_days(-30), today, Grain::Hour, None, Dim::Tenant),
        ),
    ];
    let mut all = Vec::new();
    for (name, q) in &questions {
        let mut times = Vec::new();
        let mut calls = 0;
        for _ in 0..100 {
            let t0 = Instant::now();
            let r = rt
                .block_on(app::stats::report(&app, &t, q))
                .expect("report");
            times.push(t0.elapsed());
            calls = r.subject.figures.calls;
        }
        times.sort();
        println!(
            "page query, {name}: p50 {:.1} ms, p99 {:.1} ms ({calls} calls)",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
        all.extend(times);
    }
    all.sort();
    println!(
        "page query, all {} questions: p50 {:.1} ms, p99 {:.1} ms (target p99 < 200 ms)",
        all.len(),
        percentile(&all, 0.5).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
    );
    let file = std::fs::metadata(dir.path().join("bench.redb")).map_or(0, |m| m.len());
    println!("store file: {:.0} MB", file as f64 / 1e6);
}
