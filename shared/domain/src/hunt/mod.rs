//! Hunt groups (착신그룹 / 헌트그룹, T11): a set of members a call to the
//! group's extension rings by one of the eight strategies of Asterisk's
//! `app_queue` ([`strategy`]). A member on a call, unregistered, paused or
//! in wrap-up after a call is skipped ([`MemberState::free`]). When no
//! member is free the caller waits in the group's queue, up to a longest
//! wait and a longest queue, and then overflows ([`Overflow`]).
//!
//! The group and its limits are validated here; the table keeps them and
//! the edge asks [`strategy::plan`] whom to ring.

pub mod strategy;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use strategy::{Memory, Stage, Strategy, plan};

use crate::{AccountId, Extension, HuntGroupId, TenantId};

/// Limits a group's settings are checked against.
pub const MAX_MEMBERS: usize = 100;
pub const MAX_PENALTY: u32 = 100;
pub const RING_TIMEOUT_SECS: std::ops::RangeInclusive<u32> = 5..=300;
pub const WRAPUP_SECS: std::ops::RangeInclusive<u32> = 0..=3600;
pub const MAX_WAIT_SECS: std::ops::RangeInclusive<u32> = 0..=7200;
pub const MAX_CALLERS: std::ops::RangeInclusive<u32> = 0..=500;
pub const NAME_CHARS: usize = 60;

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub account: AccountId,
    /// Lower rings first; with weighted random, the member's weight.
    #[serde(default)]
    pub penalty: u32,
    /// How long this member rings, in seconds (else the group's).
    #[serde(default)]
    pub ring_timeout_secs: Option<u32>,
    /// When the member joined (the order `rrmemory` rotates in).
    #[serde(default)]
    pub joined: i64,
}

/// Where a caller goes whom the group cannot take: the queue is full, the
/// wait ran out, or the group has no member who could ever answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Overflow {
    /// The caller hears that nobody can take the call, then it ends.
    Hangup,
    /// A member's voicemail (usually the group's owner).
    Voicemail { account: AccountId },
    /// The caller may leave a callback request (T8).
    Callback,
    /// Another hunt group of the tenant.
    Group { group: HuntGroupId },
}

/// A hunt group's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HuntGroup {
    pub tenant: TenantId,
    pub id: HuntGroupId,
    pub name: String,
    /// The extension that reaches the group (4 digits, unique in the tenant
    /// among users and groups).
    pub extension: Option<Extension>,
    pub strategy: Strategy,
    pub members: Vec<Member>,
    /// How long a member rings unless their own timeout says otherwise.
    pub ring_timeout_secs: u32,
    /// After a call, a member gets no group call for this long.
    pub wrapup_secs: u32,
    /// The longest a caller waits in the queue before overflowing (0: no
    /// queue; overflow at once when nobody is free).
    pub max_wait_secs: u32,
    /// The most callers waiting at once (0: no limit but the wait).
    pub max_callers: u32,
    pub overflow: Overflow,
    pub created_at: i64,
}

/// Why a group's settings are refused. Each has a stable code for the API
/// ([`HuntGroupError::code`]); the portal words them in Korean.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HuntGroupError {
    #[error("the group needs a name of 1 to {NAME_CHARS} characters")]
    Name,
    #[error("at most {MAX_MEMBERS} members")]
    TooManyMembers,
    #[error("member {0} is listed twice")]
    DuplicateMember(AccountId),
    #[error("member {0}'s penalty must be 0 to {MAX_PENALTY}")]
    Penalty(AccountId),
    #[error("ring timeouts must be {} to {} seconds", RING_TIMEOUT_SECS.start(), RING_TIMEOUT_SECS.end())]
    RingTimeout,
    #[error("wrap-up must be {} to {} seconds", WRAPUP_SECS.start(), WRAPUP_SECS.end())]
    Wrapup,
    #[error("the longest wait must be {} to {} seconds", MAX_WAIT_SECS.start(), MAX_WAIT_SECS.end())]
    MaxWait,
    #[error("the longest queue must be {} to {} callers", MAX_CALLERS.start(), MAX_CALLERS.end())]
    MaxCallers,
    #[error("a group cannot overflow to itself")]
    OverflowToItself,
}

impl HuntGroupError {
    /// The stable code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            HuntGroupError::Name => "hunt_group_name",
            HuntGroupError::TooManyMembers => "hunt_group_too_many_members",
            HuntGroupError::DuplicateMember(_) => "hunt_group_duplicate_member",
            HuntGroupError::Penalty(_) => "hunt_group_penalty",
            HuntGroupError::RingTimeout => "hunt_group_ring_timeout",
            HuntGroupError::Wrapup => "hunt_group_wrapup",
            HuntGroupError::MaxWait => "hunt_group_max_wait",
            HuntGroupError::MaxCallers => "hunt_group_max_callers",
            HuntGroupError::OverflowToItself => "hunt_group_overflow_to_itself",
        }
    }
}

impl HuntGroup {
    /// Checks everything that does not need the table (that members and
    /// overflow targets exist is the application's check).
    pub fn validate(&self) -> Result<(), HuntGroupError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > NAME_CHARS {
            return Err(HuntGroupError::Name);
        }
        if self.members.len() > MAX_MEMBERS {
            return Err(HuntGroupError::TooManyMembers);
        }
        for (i, m) in self.members.iter().enumerate() {
            if self.members[..i].iter().any(|o| o.account == m.account) {
                return Err(HuntGroupError::DuplicateMember(m.account.clone()));
            }
            if m.penalty > MAX_PENALTY {
                return Err(HuntGroupError::Penalty(m.account.clone()));
            }
            if m.ring_timeout_secs
                .is_some_and(|t| !RING_TIMEOUT_SECS.contains(&t))
            {
                return Err(HuntGroupError::RingTimeout);
            }
        }
        if !RING_TIMEOUT_SECS.contains(&self.ring_timeout_secs) {
            return Err(HuntGroupError::RingTimeout);
        }
        if !WRAPUP_SECS.contains(&self.wrapup_secs) {
            return Err(HuntGroupError::Wrapup);
        }
        if !MAX_WAIT_SECS.contains(&self.max_wait_secs) {
            return Err(HuntGroupError::MaxWait);
        }
        if !MAX_CALLERS.contains(&self.max_callers) {
            return Err(HuntGroupError::MaxCallers);
        }
        if self.overflow
            == (Overflow::Group {
                group: self.id.clone(),
            })
        {
            return Err(HuntGroupError::OverflowToItself);
        }
        Ok(())
    }

    /// How long member `i` rings.
    pub fn ring_timeout_of(&self, i: usize) -> u32 {
        self.members
            .get(i)
            .and_then(|m| m.ring_timeout_secs)
            .unwrap_or(self.ring_timeout_secs)
    }
}

/// What the edge knows about a member when a call arrives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberState {
    /// At least one phone is registered.
    pub registered: bool,
    /// On a call now (any call, not only the group's).
    pub on_call: bool,
    /// Paused by the member or a supervisor.
    pub paused: bool,
    /// When the member's last call through this group ended (Unix seconds).
    pub last_call_end: Option<i64>,
    /// Calls through this group the member answered.
    pub calls: u32,
}

impl MemberState {
    /// Whether the member may ring now, given the group's wrap-up time.
    pub fn free(&self, wrapup_secs: u32, now: i64) -> bool {
        let wrapping_up = self
            .last_call_end
            .is_some_and(|end| now < end.saturating_add(i64::from(wrapup_secs)));
        self.registered && !self.on_call && !self.paused && !wrapping_up
    }
}
