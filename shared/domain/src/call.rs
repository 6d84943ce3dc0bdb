//! Call records (CDR): who called whom, how it went, and what was recorded.
//! The media edge fills them in as a call progresses; the store maps them
//! to items; the web layer gives them their Korean labels.

use serde::{Deserialize, Serialize};

use crate::{AccountId, TenantId};

/// How a call appears in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A user called outside the company.
    Outgoing,
    /// An outside caller reached a user.
    Incoming,
    /// An outside caller was not answered.
    Missed,
    /// The caller left a voicemail.
    Voicemail,
    /// Between two users of the tenant.
    Internal,
}

impl Direction {
    pub const ALL: [Self; 5] = [
        Self::Outgoing,
        Self::Incoming,
        Self::Missed,
        Self::Voicemail,
        Self::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outgoing => "outgoing",
            Self::Incoming => "incoming",
            Self::Missed => "missed",
            Self::Voicemail => "voicemail",
            Self::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// A call between a caller and a callee, each a user of the tenant or
    /// not. Outside to outside (a transferred caller sent back out through
    /// the trunk) is outgoing: the tenant places that call.
    pub fn between(caller_is_user: bool, callee_is_user: bool) -> Self {
        match (caller_is_user, callee_is_user) {
            (true, true) => Self::Internal,
            (false, true) => Self::Incoming,
            (_, false) => Self::Outgoing,
        }
    }
}

/// How a call ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    InProgress,
    Answered,
    Busy,
    NoAnswer,
    Cancelled,
    Rejected,
    Failed,
    /// The caller left a message.
    Voicemail,
    /// Outside business hours: the caller heard the greeting and left none.
    AfterHours,
    /// Handed to someone else by a transfer; the chain's next record goes on.
    Transferred,
    /// The caller hung up while waiting in a hunt group's queue.
    Abandoned,
    /// The call ended in an ARS scenario (the caller hung up in a menu, or
    /// the scenario hung up).
    Ivr,
    /// The caller left a callback request (in the ARS or when a queue
    /// overflowed).
    Callback,
}

impl Disposition {
    pub const ALL: [Self; 13] = [
        Self::InProgress,
        Self::Answered,
        Self::Busy,
        Self::NoAnswer,
        Self::Cancelled,
        Self::Rejected,
        Self::Failed,
        Self::Voicemail,
        Self::AfterHours,
        Self::Transferred,
        Self::Abandoned,
        Self::Ivr,
        Self::Callback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Answered => "answered",
            Self::Busy => "busy",
            Self::NoAnswer => "no_answer",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::Voicemail => "voicemail",
            Self::AfterHours => "after_hours",
            Self::Transferred => "transferred",
            Self::Abandoned => "abandoned",
            Self::Ivr => "ivr",
            Self::Callback => "callback",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

impl std::fmt::Display for Disposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One side of a call: what was dialled or shown, and the account behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Party {
    /// The extension, 070 number or outside number, as people write it.
    pub number: String,
    pub account: Option<AccountId>,
    pub name: Option<String>,
}

/// Receive quality of one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quality {
    pub packets: i64,
    pub lost: i64,
    /// Interarrival jitter in tenths of a millisecond.
    pub jitter_tenth_ms: i64,
}

/// A recording segment of the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recording {
    /// The blob key of the WAV.
    pub key: String,
    pub started_ms: i64,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallRecord {
    pub tenant: TenantId,
    pub id: String,
    pub direction: Direction,
    pub caller: Party,
    pub callee: Party,
    pub started_ms: i64,
    pub answered_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    pub disposition: Disposition,
    /// Who or what ended it: `caller hung up`, a SIP status, `edge restart`.
    pub cause: Option<String>,
    pub recordings: Vec<Recording>,
    /// [caller leg, callee leg].
    pub quality: [Option<Quality>; 2],
    /// The identity of the edge that carried the call (it alone closes the
    /// record if it crashed meanwhile).
    pub edge: String,
    /// The call this one continues (a transfer's earlier leg), if any.
    pub previous: Option<String>,
    /// The hunt group the call came through; the callee is the member who
    /// answered it (or the group, while nobody has).
    pub hunt_group: Option<crate::HuntGroupId>,
    /// The ARS scenario that answered the call and the caller's way through it.
    pub ivr: Option<IvrVisit>,
    /// The company number (070) the call came in on or went out from, as
    /// national digits; none for calls between users.
    pub line: Option<String>,
    /// When the caller started waiting in a hunt group's queue (Unix ms).
    pub queued_ms: Option<i64>,
}

/// A call's way through an ARS scenario: each choice the caller made, in
/// order (statistics count calls per menu option from these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IvrVisit {
    pub scenario: crate::IvrId,
    pub path: Vec<crate::ivr::walk::Choice>,
}

impl CallRecord {
    /// A call starting now: a fresh id, in progress.
    pub fn starting(
        tenant: TenantId,
        direction: Direction,
        caller: Party,
        callee: Party,
        started_ms: i64,
        edge: &str,
    ) -> Self {
        Self {
            tenant,
            id: new_id(started_ms),
            direction,
            caller,
            callee,
            started_ms,
            answered_ms: None,
            ended_ms: None,
            disposition: Disposition::InProgress,
            cause: None,
            recordings: Vec::new(),
            quality: [None, None],
            edge: edge.to_owned(),
            previous: None,
            hunt_group: None,
            ivr: None,
            line: None,
            queued_ms: None,
        }
    }

    /// The record of the call a transfer continues: the party `kept` now
    /// with `with`, from `now_ms`, in progress, linked to this one.
    pub fn continued(&self, kept: Party, with: Party, now_ms: i64) -> Self {
        let direction = Direction::between(kept.account.is_some(), with.account.is_some());
        let mut next = Self::starting(
            self.tenant.clone(),
            direction,
            kept,
            with,
            now_ms,
            &self.edge,
        );
        next.previous = Some(self.id.clone());
        next.line = self.line.clone();
        next
    }

    /// Talk time in whole seconds (0 when unanswered).
    pub fn duration_secs(&self) -> i64 {
        match (self.answered_ms, self.ended_ms) {
            (Some(a), Some(e)) if e > a => (e - a) / 1000,
            _ => 0,
        }
    }

    pub fn is_open(&self) -> bool {
        self.ended_ms.is_none()
    }

    /// The accounts on the call, each once.
    pub fn accounts(&self) -> Vec<AccountId> {
        let mut v: Vec<AccountId> = Vec::new();
        for a in [&self.caller.account, &self.callee.account]
            .into_iter()
            .flatten()
        {
            if !v.contains(a) {
                v.push(a.clone());
            }
        }
        v
    }

    /// Closes a record its edge left open (a crash): ended now, an
    /// unanswered incoming call counted as missed, the cause given.
    pub fn close_abandoned(&mut self, now_ms: i64, cause: &str) {
        self.ended_ms = Some(now_ms.max(self.started_ms));
        if self.answered_ms.is_none() && self.direction == Direction::Incoming {
            self.direction = Direction::Missed;
        }
        if self.disposition == Disposition::InProgress {
            self.disposition = if self.answered_ms.is_some() {
                Disposition::Answered
            } else {
                Disposition::Failed
            };
        }
        self.cause = Some(cause.to_owned());
    }
}

/// A new call id for a call starting at `started_ms`: the start in hex
/// milliseconds, then 48 random bits, so a record is found from its id.
pub fn new_id(started_ms: i64) -> String {
    let r = uuid::Uuid::now_v7().as_u128() as u64;
    format!("{started_ms:011x}{:012x}", r & 0xFFFF_FFFF_FFFF)
}

/// The start (ms) a call id carries, if it is one.
pub fn started_of(id: &str) -> Option<i64> {
    if id.len() != 23 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    i64::from_str_radix(&id[..11], 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(direction: Direction) -> CallRecord {
        CallRecord::starting(
            TenantId::parse("acme").expect("t"),
            direction,
            Party::default(),
            Party::default(),
            1_790_000_000_000,
            "seoul-1",
        )
    }

    #[test]
    fn a_call_id_carries_its_start() {
        let r = record(Direction::Internal);
        assert_eq!(started_of(&r.id), Some(1_790_000_000_000));
        assert_eq!(started_of("nope"), None);
    }

    #[test]
    fn a_transferred_call_continues_in_a_linked_record_with_its_own_direction() {
        let user = |n: &str| Party {
            number: n.into(),
            account: Some(AccountId::parse(&"1".repeat(32)).expect("account")),
            name: None,
        };
        let outside = Party {
            number: "010-1234-5678".into(),
            ..Party::default()
        };
        let first = record(Direction::Incoming);
        let next = first.continued(outside.clone(), user("1003"), 1_790_000_060_000);
        assert_eq!(next.previous.as_deref(), Some(first.id.as_str()));
        assert_ne!(next.id, first.id);
        assert_eq!(
            (next.direction, next.started_ms),
            (Direction::Incoming, 1_790_000_060_000)
        );
        assert_eq!(next.edge, "seoul-1");
        assert_eq!(
            first.continued(user("1001"), user("1003"), 0).direction,
            Direction::Internal
        );
        assert_eq!(
            first.continued(user("1001"), outside.clone(), 0).direction,
            Direction::Outgoing
        );
        assert_eq!(
            first.continued(outside.clone(), outside, 0).direction,
            Direction::Outgoing
        );
    }

    #[test]
    fn every_disposition_and_direction_reads_back_from_its_name() {
        for d in Disposition::ALL {
            assert_eq!(Disposition::parse(d.as_str()), Some(d));
        }
        for d in Direction::ALL {
            assert_eq!(Direction::parse(d.as_str()), Some(d));
        }
        assert_eq!(Disposition::parse("nonsense"), None);
    }

    #[test]
    fn an_abandoned_unanswered_incoming_call_closes_as_missed_and_failed() {
        let mut r = record(Direction::Incoming);
        r.close_abandoned(1_790_000_005_000, "edge restart");
        assert_eq!(
            (r.direction, r.disposition, r.ended_ms),
            (
                Direction::Missed,
                Disposition::Failed,
                Some(1_790_000_005_000)
            )
        );
        let mut r = record(Direction::Internal);
        r.answered_ms = Some(1_790_000_001_000);
        r.close_abandoned(1_789_000_000_000, "edge restart");
        assert_eq!(r.disposition, Disposition::Answered);
        assert_eq!(
            r.ended_ms,
            Some(1_790_000_000_000),
            "never before its start"
        );
    }
}
