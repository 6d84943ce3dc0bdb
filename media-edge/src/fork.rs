//! Where a call rings: the targets of leg B and the plan that orders them
//! in stages. One stage rings its targets in parallel until its time is up
//! or all of them failed; then the next stage rings. One stage of several
//! targets is a parallel fork, one target per stage a sequential hunt, and
//! anything between a staged one (a hunt group's tiers, say).

use std::net::SocketAddr;
use std::time::Duration;

/// Digest credentials for a trunk that challenges our INVITEs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkAuth {
    pub username: String,
    pub password: String,
}

/// One place to ring on leg B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Request-URI (the registered contact, or `sip:<number>@<trunk>`).
    pub uri: String,
    /// Where to send (the address the contact registered from, or the trunk).
    pub dest: SocketAddr,
    pub auth: Option<TrunkAuth>,
    /// Who answers through this target when it is not the call's callee
    /// (a hunt group's member): the record names them once they answer.
    pub answers_as: Option<domain::Party>,
    /// Reached over TLS: its INVITE may carry an SRTP key (RFC 4568 §8.3:
    /// SDES keys never go where the signalling can be read).
    pub secure: bool,
}

/// Targets rung together, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub targets: Vec<Target>,
    pub timeout: Duration,
}

/// The stages of a call's ringing, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ForkPlan {
    pub stages: Vec<Stage>,
}

impl ForkPlan {
    /// Every target at once (a user's phones).
    pub fn parallel(targets: Vec<Target>, timeout: Duration) -> Self {
        if targets.is_empty() {
            return Self::default();
        }
        Self {
            stages: vec![Stage { targets, timeout }],
        }
    }

    /// One target after the other, each for `each`.
    pub fn sequential(targets: Vec<Target>, each: Duration) -> Self {
        Self {
            stages: targets
                .into_iter()
                .map(|t| Stage {
                    targets: vec![t],
                    timeout: each,
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.stages.iter().all(|s| s.targets.is_empty())
    }

    /// Every target of every stage.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        self.stages.iter().flat_map(|s| s.targets.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u16) -> Target {
        Target {
            uri: format!("sip:{n}@192.0.2.1"),
            dest: SocketAddr::from(([192, 0, 2, 1], n)),
            auth: None,
            answers_as: None,
            secure: false,
        }
    }

    #[test]
    fn a_parallel_plan_is_one_stage_and_a_sequential_one_a_stage_per_target() {
        let p = ForkPlan::parallel(vec![t(1), t(2)], Duration::from_secs(30));
        assert_eq!(p.stages.len(), 1);
        assert_eq!(p.targets().count(), 2);
        let s = ForkPlan::sequential(vec![t(1), t(2), t(3)], Duration::from_secs(10));
        assert_eq!(s.stages.len(), 3);
        assert!(s.stages.iter().all(|st| st.targets.len() == 1));
        assert!(ForkPlan::parallel(Vec::new(), Duration::from_secs(1)).is_empty());
    }
}
