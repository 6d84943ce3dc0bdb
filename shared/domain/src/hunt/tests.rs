//! The strategies one by one, and a simulation of 1,000 calls per
//! strategy that checks how the calls spread over the members.

use super::*;

fn account(i: usize) -> AccountId {
    AccountId::parse(&format!("{i:032}")).expect("account id")
}

fn group(strategy: Strategy, penalties: &[u32]) -> HuntGroup {
    HuntGroup {
        tenant: TenantId::parse("acme").expect("tenant"),
        id: HuntGroupId::parse(&format!("{:032}", 77)).expect("group id"),
        name: "상담팀".into(),
        extension: Extension::parse("3000").ok(),
        strategy,
        members: penalties
            .iter()
            .enumerate()
            .map(|(i, &penalty)| Member {
                account: account(i),
                penalty,
                ring_timeout_secs: None,
                joined: i64::try_from(i).unwrap_or(0),
            })
            .collect(),
        ring_timeout_secs: 15,
        wrapup_secs: 0,
        max_wait_secs: 60,
        max_callers: 10,
        overflow: Overflow::Hangup,
        created_at: 0,
    }
}

fn free(n: usize) -> Vec<MemberState> {
    vec![
        MemberState {
            registered: true,
            ..MemberState::default()
        };
        n
    ]
}

/// A small deterministic generator (xorshift64*), so every run is the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u32) -> u32 {
        u32::try_from(self.next() % u64::from(n.max(1))).unwrap_or(0)
    }
}

fn order_of(stages: &[Stage]) -> Vec<usize> {
    stages.iter().flat_map(|s| s.members.clone()).collect()
}

fn planned(g: &HuntGroup, states: &[MemberState], memory: &Memory, rng: &mut Rng) -> Vec<Stage> {
    plan(g, states, memory, 10_000, &mut |n| rng.below(n))
}

/// 1,000 calls two minutes apart, each talking a minute. `busy(call,
/// member)` puts a member on another call; `answers(call, member, rng)`
/// says whether a rung member picks up. For ringall a random one of those
/// who would pick up wins. Returns the calls each member took, and how
/// often each was rung first.
fn simulate(
    g: &HuntGroup,
    mut states: Vec<MemberState>,
    busy: impl Fn(usize, usize) -> bool,
    answers: impl Fn(usize, usize, &mut Rng) -> bool,
) -> (Vec<u32>, Vec<u32>) {
    let n = g.members.len();
    let (mut took, mut first) = (vec![0u32; n], vec![0u32; n]);
    let mut memory = Memory::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for call in 0..1000 {
        let now = 1_000_000 + i64::try_from(call).unwrap_or(0) * 120;
        for (m, s) in states.iter_mut().enumerate() {
            s.on_call = busy(call, m);
        }
        let stages = plan(g, &states, &memory, now, &mut |k| rng.below(k));
        if let Some(m) = stages.first().and_then(|s| s.members.first()) {
            first[*m] += 1;
        }
        let mut winner = None;
        for stage in &stages {
            let picking_up: Vec<usize> = stage
                .members
                .iter()
                .copied()
                .filter(|&m| answers(call, m, &mut rng))
                .collect();
            if !picking_up.is_empty() {
                let k = rng.below(u32::try_from(picking_up.len()).unwrap_or(1)) as usize;
                winner = Some(picking_up[k]);
                break;
            }
        }
        if let Some(m) = winner {
            took[m] += 1;
            states[m].calls += 1;
            states[m].last_call_end = Some(now + 60);
            memory.answered(g, m);
        }
    }
    (took, first)
}

fn always(_: usize, _: usize, _: &mut Rng) -> bool {
    true
}

fn never_busy(_: usize, _: usize) -> bool {
    false
}

#[test]
fn strategy_codes_are_asterisks_names_and_round_trip() {
    let codes: Vec<&str> = Strategy::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        codes,
        [
            "ringall",
            "linear",
            "rrmemory",
            "rrordered",
            "leastrecent",
            "fewestcalls",
            "random",
            "wrandom"
        ]
    );
    for s in Strategy::ALL {
        assert_eq!(Strategy::parse(s.as_str()), Some(s));
        let json = serde_json::to_string(&s).expect("json");
        assert_eq!(json, format!("\"{}\"", s.as_str()));
    }
    assert_eq!(Strategy::parse("roundrobin"), None);
}

#[test]
fn ring_all_rings_every_free_member_of_the_best_tier_at_once() {
    let g = group(Strategy::RingAll, &[0, 0, 0, 1]);
    let mut states = free(4);
    states[1].paused = true;
    let stages = planned(&g, &states, &Memory::default(), &mut Rng(1));
    assert_eq!(
        stages,
        [Stage {
            members: vec![0, 2],
            timeout_secs: 15
        }]
    );
    // 1,000 calls, everyone picks up, a random one first: about a third each.
    let g = group(Strategy::RingAll, &[0, 0, 0]);
    let (took, first) = simulate(&g, free(3), never_busy, always);
    assert!(took.iter().all(|&t| (280..=390).contains(&t)), "{took:?}");
    assert_eq!(first[0], 1000, "every call rings everyone, listed in order");
}

#[test]
fn linear_starts_at_the_top_for_every_caller() {
    let g = group(Strategy::Linear, &[0, 0, 0]);
    let (took, _) = simulate(&g, free(3), never_busy, always);
    assert_eq!(took, [1000, 0, 0]);
    // The first member busy on every other call: the second takes those.
    let (took, _) = simulate(&g, free(3), |c, m| m == 0 && c % 2 == 1, always);
    assert_eq!(took, [500, 500, 0]);
    // Nobody but the third ever picks up: the first two ring first anyway.
    let (took, first) = simulate(&g, free(3), never_busy, |_, m, _| m == 2);
    assert_eq!((took, first), (vec![0, 0, 1000], vec![1000, 0, 0]));
    let stages = planned(&g, &free(3), &Memory::default(), &mut Rng(1));
    assert_eq!(order_of(&stages), [0, 1, 2]);
    assert!(stages.iter().all(|s| s.members.len() == 1));
}

#[test]
fn round_robin_ordered_goes_on_after_whoever_took_the_last_call() {
    let g = group(Strategy::RoundRobinOrdered, &[0, 0, 0, 0]);
    let (took, first) = simulate(&g, free(4), never_busy, always);
    assert_eq!((took, first.clone()), (vec![250; 4], vec![250; 4]));
    // After member 1 answered, the rotation starts at 2 and wraps.
    let mut memory = Memory::default();
    memory.answered(&g, 1);
    let stages = planned(&g, &free(4), &memory, &mut Rng(1));
    assert_eq!(order_of(&stages), [2, 3, 0, 1]);
    // Member 2 busy now: the rotation still continues after 1, from 3.
    let mut states = free(4);
    states[2].on_call = true;
    assert_eq!(
        order_of(&planned(&g, &states, &memory, &mut Rng(1))),
        [3, 0, 1]
    );
    // Who does not answer does not move the memory.
    let (took, _) = simulate(&g, free(4), never_busy, |_, m, _| m != 3);
    assert_eq!(took, [334, 333, 333, 0]);
}

#[test]
fn round_robin_memory_rotates_in_the_order_members_joined() {
    let mut g = group(Strategy::RoundRobinMemory, &[0, 0, 0, 0]);
    // Listed 0,1,2,3 but joined 2,0,3,1.
    for (m, joined) in g.members.iter_mut().zip([20, 40, 10, 30]) {
        m.joined = joined;
    }
    let stages = planned(&g, &free(4), &Memory::default(), &mut Rng(1));
    assert_eq!(order_of(&stages), [2, 0, 3, 1]);
    let mut memory = Memory::default();
    memory.answered(&g, 3);
    assert_eq!(
        order_of(&planned(&g, &free(4), &memory, &mut Rng(1))),
        [1, 2, 0, 3]
    );
    let (took, first) = simulate(&g, free(4), never_busy, always);
    assert_eq!((took, first), (vec![250; 4], vec![250; 4]));
}

#[test]
fn least_recent_rings_whoever_finished_longest_ago() {
    let g = group(Strategy::LeastRecent, &[0, 0, 0]);
    let mut states = free(3);
    states[0].last_call_end = Some(500);
    states[1].last_call_end = None;
    states[2].last_call_end = Some(100);
    assert_eq!(
        order_of(&planned(&g, &states, &Memory::default(), &mut Rng(1))),
        [1, 2, 0]
    );
    let (took, _) = simulate(&g, free(3), never_busy, always);
    assert!(took.iter().all(|&t| (333..=334).contains(&t)), "{took:?}");
}

#[test]
fn fewest_calls_evens_out_the_calls_taken() {
    let g = group(Strategy::FewestCalls, &[0, 0, 0, 0]);
    let mut states = free(4);
    states[0].calls = 30;
    let (took, _) = simulate(&g, states, never_busy, always);
    // Members 1-3 catch up to 30 first; then all four share the rest.
    let totals: Vec<u32> = took.iter().zip([30, 0, 0, 0]).map(|(t, s)| t + s).collect();
    let (lo, hi) = (
        totals.iter().min().copied().unwrap_or(0),
        totals.iter().max().copied().unwrap_or(0),
    );
    assert!(hi - lo <= 1, "{totals:?}");
    assert_eq!(totals.iter().sum::<u32>(), 1030);
}

#[test]
fn random_spreads_calls_evenly() {
    let g = group(Strategy::Random, &[0, 0, 0, 0]);
    let (took, first) = simulate(&g, free(4), never_busy, always);
    assert_eq!(took, first, "the first rung always answers here");
    assert!(took.iter().all(|&t| (200..=300).contains(&t)), "{took:?}");
    // Each plan rings every free member once.
    let mut rng = Rng(3);
    for _ in 0..50 {
        let mut o = order_of(&planned(&g, &free(4), &Memory::default(), &mut rng));
        o.sort_unstable();
        assert_eq!(o, [0, 1, 2, 3]);
    }
}

#[test]
fn weighted_random_uses_the_penalty_as_an_inverse_weight() {
    // Metrics drawn from 0..1000 and 0..2000: the first member is lower
    // three times in four.
    let g = group(Strategy::WeightedRandom, &[0, 1]);
    let (took, _) = simulate(&g, free(2), never_busy, always);
    assert!((700..=800).contains(&took[0]), "{took:?}");
    // Every free member takes part, whatever its penalty: 0..1000 against
    // 0..4000 twice.
    let g = group(Strategy::WeightedRandom, &[0, 3, 3]);
    let (took, _) = simulate(&g, free(3), never_busy, always);
    assert!(took[0] > took[1] && took[0] > took[2], "{took:?}");
    assert!(took[1] > 50 && took[2] > 50, "{took:?}");
}

#[test]
fn a_higher_penalty_rings_only_when_no_lower_one_is_free() {
    for s in Strategy::ALL
        .into_iter()
        .filter(|s| *s != Strategy::WeightedRandom)
    {
        let g = group(s, &[1, 0, 0, 2]);
        let (took, _) = simulate(&g, free(4), never_busy, always);
        assert_eq!((took[0], took[3]), (0, 0), "{s:?}: {took:?}");
        // Both penalty-0 members on a call: penalty 1 takes it, never 2.
        let (took, _) = simulate(&g, free(4), |c, m| c % 4 == 0 && m != 0 && m != 3, always);
        assert_eq!((took[0], took[3]), (250, 0), "{s:?}: {took:?}");
    }
}

#[test]
fn members_on_a_call_unregistered_paused_or_wrapping_up_are_skipped() {
    let mut g = group(Strategy::Linear, &[0, 0, 0, 0, 0]);
    g.wrapup_secs = 30;
    let now = 10_000;
    let mut states = free(5);
    states[0].on_call = true;
    states[1].registered = false;
    states[2].paused = true;
    states[3].last_call_end = Some(now - 10); // 20 s of wrap-up left
    states[4].last_call_end = Some(now - 31);
    let stages = planned(&g, &states, &Memory::default(), &mut Rng(1));
    assert_eq!(order_of(&stages), [4]);
    assert!(!states[3].free(30, now) && states[3].free(30, now + 20));
    // Nobody free: nothing to ring (the caller queues).
    let stages = planned(
        &g,
        &vec![MemberState::default(); 5],
        &Memory::default(),
        &mut Rng(1),
    );
    assert!(stages.is_empty());
}

#[test]
fn each_member_rings_for_its_own_timeout() {
    let mut g = group(Strategy::Linear, &[0, 0]);
    g.members[1].ring_timeout_secs = Some(40);
    let stages = planned(&g, &free(2), &Memory::default(), &mut Rng(1));
    let timeouts: Vec<u32> = stages.iter().map(|s| s.timeout_secs).collect();
    assert_eq!(timeouts, [15, 40]);
    g.strategy = Strategy::RingAll;
    let stages = planned(&g, &free(2), &Memory::default(), &mut Rng(1));
    assert_eq!(
        stages[0].timeout_secs, 40,
        "ring all rings as long as the longest"
    );
}

#[test]
fn settings_are_validated_with_a_stable_code_each() {
    let ok = group(Strategy::Linear, &[0, 5]);
    assert_eq!(ok.validate(), Ok(()));
    type Change = Box<dyn Fn(&mut HuntGroup)>;
    let cases: Vec<(Change, &str)> = vec![
        (Box::new(|g| g.name = "  ".into()), "hunt_group_name"),
        (Box::new(|g| g.name = "가".repeat(61)), "hunt_group_name"),
        (
            Box::new(|g| g.members.push(g.members[0].clone())),
            "hunt_group_duplicate_member",
        ),
        (
            Box::new(|g| g.members[1].penalty = 101),
            "hunt_group_penalty",
        ),
        (
            Box::new(|g| g.members[0].ring_timeout_secs = Some(2)),
            "hunt_group_ring_timeout",
        ),
        (
            Box::new(|g| g.ring_timeout_secs = 301),
            "hunt_group_ring_timeout",
        ),
        (Box::new(|g| g.wrapup_secs = 3601), "hunt_group_wrapup"),
        (Box::new(|g| g.max_wait_secs = 7201), "hunt_group_max_wait"),
        (Box::new(|g| g.max_callers = 501), "hunt_group_max_callers"),
        (
            Box::new(|g| {
                g.overflow = Overflow::Group {
                    group: g.id.clone(),
                }
            }),
            "hunt_group_overflow_to_itself",
        ),
        (
            Box::new(|g| {
                let m = g.members[0].clone();
                g.members = (0..101)
                    .map(|i| Member {
                        account: account(1000 + i),
                        ..m.clone()
                    })
                    .collect();
            }),
            "hunt_group_too_many_members",
        ),
    ];
    for (change, code) in cases {
        let mut g = ok.clone();
        change(&mut g);
        assert_eq!(g.validate().map_err(|e| e.code()), Err(code));
    }
}
