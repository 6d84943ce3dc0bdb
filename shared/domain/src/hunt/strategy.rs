//! Who a hunt group rings, and in which order: the eight strategies of
//! Asterisk's `app_queue`, as a pure function of the group, its members'
//! states and the group's round-robin memory.
//!
//! The semantics follow `app_queue`'s metric (lowest metric rings first):
//!
//! - **Penalty tiers.** A member's penalty adds `penalty × 1,000,000` to
//!   its metric, so while any member of a lower penalty is free, no member
//!   of a higher one rings. Weighted random is the exception: there the
//!   penalty is the member's weight and every free member takes part.
//! - **ringall** rings every free member of the best tier at once; the
//!   others ring one member at a time, each for its ring timeout, in the
//!   order below.
//! - **linear**: the configured order, from the top for every caller.
//! - **rrordered** / **rrmemory**: round robin that remembers where it left
//!   off: the rotation starts after the member who took the group's last
//!   call. `rrordered` rotates in the configured order; `rrmemory` in the
//!   order members joined the group (Asterisk's own member order, which a
//!   reordered list does not change).
//! - **leastrecent**: the member whose last call through the group ended
//!   longest ago (never first).
//! - **fewestcalls**: the member who took the fewest calls.
//! - **random**: uniformly at random.
//! - **wrandom**: each free member draws a metric uniformly from
//!   `0..(1 + penalty) × 1000`; the lowest rings first, so penalty 0 is
//!   chosen most often and a higher penalty less often, yet never excluded.
//!
//! Ties keep the configured order.

use serde::{Deserialize, Serialize};

use super::{HuntGroup, MemberState};
use crate::AccountId;

/// How a hunt group picks the member to ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    RingAll,
    Linear,
    #[serde(rename = "rrmemory")]
    RoundRobinMemory,
    #[serde(rename = "rrordered")]
    RoundRobinOrdered,
    LeastRecent,
    FewestCalls,
    Random,
    #[serde(rename = "wrandom")]
    WeightedRandom,
}

impl Strategy {
    pub const ALL: [Strategy; 8] = [
        Strategy::RingAll,
        Strategy::Linear,
        Strategy::RoundRobinMemory,
        Strategy::RoundRobinOrdered,
        Strategy::LeastRecent,
        Strategy::FewestCalls,
        Strategy::Random,
        Strategy::WeightedRandom,
    ];

    /// The stable code (Asterisk's name) used in the API and the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RingAll => "ringall",
            Strategy::Linear => "linear",
            Strategy::RoundRobinMemory => "rrmemory",
            Strategy::RoundRobinOrdered => "rrordered",
            Strategy::LeastRecent => "leastrecent",
            Strategy::FewestCalls => "fewestcalls",
            Strategy::Random => "random",
            Strategy::WeightedRandom => "wrandom",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// Whether the group remembers where its rotation left off.
    pub fn rotates(self) -> bool {
        matches!(
            self,
            Strategy::RoundRobinMemory | Strategy::RoundRobinOrdered
        )
    }
}

/// Members rung together (indexes into the group's members), and for how
/// long in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub members: Vec<usize>,
    pub timeout_secs: u32,
}

/// What a group remembers between calls: for round robin, the member who
/// took its last call (the rotation goes on after them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Memory {
    pub last: Option<AccountId>,
}

impl Memory {
    /// Records that `member` took a call of `group`.
    pub fn answered(&mut self, group: &HuntGroup, member: usize) {
        if group.strategy.rotates()
            && let Some(m) = group.members.get(member)
        {
            self.last = Some(m.account.clone());
        }
    }
}

/// A source of uniform random numbers: `draw(n)` is in `0..n` (n > 0).
pub type Draw<'a> = &'a mut dyn FnMut(u32) -> u32;

/// The stages a call to `group` rings through, given each member's state
/// (`states[i]` is `group.members[i]`'s) at `now`. Empty when no member
/// is free: the caller waits in the queue or overflows.
pub fn plan(
    group: &HuntGroup,
    states: &[MemberState],
    memory: &Memory,
    now: i64,
    draw: Draw<'_>,
) -> Vec<Stage> {
    let free: Vec<usize> = (0..group.members.len())
        .filter(|&i| {
            states
                .get(i)
                .is_some_and(|s| s.free(group.wrapup_secs, now))
        })
        .collect();
    if free.is_empty() {
        return Vec::new();
    }
    let penalty = |i: usize| group.members[i].penalty;
    let tier: Vec<usize> = if group.strategy == Strategy::WeightedRandom {
        free
    } else {
        let best = free.iter().map(|&i| penalty(i)).min().unwrap_or(0);
        free.into_iter().filter(|&i| penalty(i) == best).collect()
    };
    let ordered = order(group, states, memory, tier, draw);
    if group.strategy == Strategy::RingAll {
        let timeout_secs = ordered
            .iter()
            .map(|&i| group.ring_timeout_of(i))
            .max()
            .unwrap_or(group.ring_timeout_secs);
        return vec![Stage {
            members: ordered,
            timeout_secs,
        }];
    }
    ordered
        .into_iter()
        .map(|i| Stage {
            members: vec![i],
            timeout_secs: group.ring_timeout_of(i),
        })
        .collect()
}

/// The strategy's order over one tier of free members (configured order
/// in, ties kept in it).
fn order(
    group: &HuntGroup,
    states: &[MemberState],
    memory: &Memory,
    mut tier: Vec<usize>,
    draw: Draw<'_>,
) -> Vec<usize> {
    match group.strategy {
        Strategy::RingAll | Strategy::Linear => tier,
        Strategy::RoundRobinOrdered | Strategy::RoundRobinMemory => {
            if group.strategy == Strategy::RoundRobinMemory {
                tier.sort_by_key(|&i| group.members[i].joined);
            }
            rotate_after(group, memory, tier)
        }
        Strategy::LeastRecent => {
            tier.sort_by_key(|&i| states[i].last_call_end.unwrap_or(i64::MIN));
            tier
        }
        Strategy::FewestCalls => {
            tier.sort_by_key(|&i| states[i].calls);
            tier
        }
        Strategy::Random => {
            // Fisher–Yates.
            for k in (1..tier.len()).rev() {
                let j = draw(u32::try_from(k + 1).unwrap_or(u32::MAX)) as usize;
                tier.swap(k, j.min(k));
            }
            tier
        }
        Strategy::WeightedRandom => {
            let mut metric: Vec<(u64, usize)> = tier
                .into_iter()
                .map(|i| {
                    let range = (1 + group.members[i].penalty).saturating_mul(1000);
                    (u64::from(draw(range)), i)
                })
                .collect();
            metric.sort_by_key(|&(m, _)| m);
            metric.into_iter().map(|(_, i)| i).collect()
        }
    }
}

/// `rotation` turned so it starts after the member who took the last call
/// (by position in the whole rotation, so a member who is busy now does
/// not reset it).
fn rotate_after(group: &HuntGroup, memory: &Memory, mut rotation: Vec<usize>) -> Vec<usize> {
    let Some(last) = &memory.last else {
        return rotation;
    };
    let Some(last_at) = group.members.iter().position(|m| &m.account == last) else {
        return rotation;
    };
    let key = |i: usize| {
        if group.strategy == Strategy::RoundRobinMemory {
            (group.members[i].joined, i)
        } else {
            (0, i)
        }
    };
    let last_key = key(last_at);
    let first_after = rotation
        .iter()
        .position(|&i| key(i) > last_key)
        .unwrap_or(0);
    rotation.rotate_left(first_after);
    rotation
}
