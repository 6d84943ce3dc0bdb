//! Call and device events: what integrators (webhooks, screen pop),
//! monitoring and statistics learn about calls as they happen.
//!
//! Each event names its subject (a call id, or a device registration) and
//! carries a sequence number within it; `id` = `<subject>.<seq>` is unique,
//! and consumers deduplicate by it (delivery is at least once).
//!
//! The edge does not hand-write most call events: a [`Tracker`] compares
//! each version of a call record with the one before and says what
//! happened (rang, answered, an ARS key, transferred, ended). Only what a
//! record does not show (hold, queueing) is [`Tracker::note`]d.
//!
//! `call.answered` means a person answered: the edge answering a caller
//! for an ARS menu, a queue or a mailbox is not it (those calls show as
//! `call.ivr_option` and `call.queued` until someone picks up).
//!
//! Numbering: a call's lifecycle events count from 1 in the order they
//! happened. Two kinds come from elsewhere and use fixed numbers so that a
//! redelivery keeps its id: `recording.ready` of segment `n` is
//! [`RECORDING_SEQ_BASE`]` + n` (the uploader sends it, maybe after the
//! call ended), and the `call.ended` of a call an edge closes after a
//! restart is [`ORPHAN_ENDED_SEQ`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::call::{CallRecord, Direction, Disposition, Party};
use crate::{AccountId, HuntGroupId, IvrId, TenantId};

/// `recording.ready` for segment `n` is numbered `RECORDING_SEQ_BASE + n`.
pub const RECORDING_SEQ_BASE: u32 = 10_000;
/// The `call.ended` of a call closed by its edge's restart.
pub const ORPHAN_ENDED_SEQ: u32 = 9_999;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// `<subject>.<seq>`: unique per event, the same on every redelivery.
    pub id: String,
    pub tenant: TenantId,
    /// The call id, or the device registration the event is about.
    pub subject: String,
    /// Orders a subject's events.
    pub seq: u32,
    /// When it happened (Unix ms).
    pub at_ms: i64,
    #[serde(flatten)]
    pub kind: Kind,
}

impl Event {
    pub fn new(tenant: TenantId, subject: &str, seq: u32, at_ms: i64, kind: Kind) -> Self {
        Self {
            id: format!("{subject}.{seq}"),
            tenant,
            subject: subject.to_owned(),
            seq,
            at_ms,
            kind,
        }
    }

    /// The event's type as integrators filter on it (`call.answered`).
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    /// The accounts the event concerns (whose screen-pop stream sees it).
    pub fn accounts(&self) -> Vec<&AccountId> {
        match &self.kind {
            Kind::Registered(d) | Kind::Unregistered(d) => vec![&d.account],
            Kind::RecordingReady(r) => r.accounts.iter().collect(),
            other => other
                .call()
                .map(|c| {
                    [&c.caller.account, &c.callee.account]
                        .into_iter()
                        .flatten()
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// What happened, with what an integrator needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "data")]
pub enum Kind {
    #[serde(rename = "call.ringing")]
    Ringing(CallInfo),
    #[serde(rename = "call.answered")]
    Answered(CallInfo),
    #[serde(rename = "call.held")]
    Held { call: CallInfo, by: Side },
    #[serde(rename = "call.resumed")]
    Resumed { call: CallInfo, by: Side },
    /// A new call continues an earlier one (`call.previous`) after a transfer.
    #[serde(rename = "call.transferred")]
    Transferred(CallInfo),
    /// The caller chose at an ARS node: a key, keyed digits, `timeout`...
    #[serde(rename = "call.ivr_option")]
    IvrOption {
        call: CallInfo,
        node: String,
        chose: String,
    },
    #[serde(rename = "call.queued")]
    Queued { call: CallInfo, group: HuntGroupId },
    #[serde(rename = "call.left_queue")]
    LeftQueue {
        call: CallInfo,
        group: HuntGroupId,
        reason: LeftQueue,
    },
    #[serde(rename = "recording.ready")]
    RecordingReady(RecordingReady),
    #[serde(rename = "call.ended")]
    Ended(Ended),
    /// How the audio of a talking call is arriving, per party, so far
    /// (every 10 seconds). Webhooks get it only when they name it.
    #[serde(rename = "call.quality")]
    Quality {
        call: CallInfo,
        caller: Option<crate::call::Quality>,
        callee: Option<crate::call::Quality>,
    },
    #[serde(rename = "device.registered")]
    Registered(Device),
    #[serde(rename = "device.unregistered")]
    Unregistered(Device),
}

impl Kind {
    /// Every event type, as filters name them.
    pub const TYPES: [&'static str; 13] = [
        "call.ringing",
        "call.answered",
        "call.held",
        "call.resumed",
        "call.transferred",
        "call.ivr_option",
        "call.queued",
        "call.left_queue",
        "recording.ready",
        "call.ended",
        "device.registered",
        "device.unregistered",
        "call.quality",
    ];

    /// Types sent only to those who name them (not to `*` or `call.*`):
    /// a talking call has one every few seconds.
    pub const NAMED_ONLY: [&'static str; 1] = ["call.quality"];

    pub fn type_name(&self) -> &'static str {
        let i = match self {
            Self::Ringing(_) => 0,
            Self::Answered(_) => 1,
            Self::Held { .. } => 2,
            Self::Resumed { .. } => 3,
            Self::Transferred(_) => 4,
            Self::IvrOption { .. } => 5,
            Self::Queued { .. } => 6,
            Self::LeftQueue { .. } => 7,
            Self::RecordingReady(_) => 8,
            Self::Ended(_) => 9,
            Self::Registered(_) => 10,
            Self::Unregistered(_) => 11,
            Self::Quality { .. } => 12,
        };
        Self::TYPES[i]
    }

    /// The call the event is about, for the kinds that carry one.
    pub fn call(&self) -> Option<&CallInfo> {
        match self {
            Self::Ringing(c) | Self::Answered(c) | Self::Transferred(c) => Some(c),
            Self::Held { call, .. }
            | Self::Resumed { call, .. }
            | Self::IvrOption { call, .. }
            | Self::Queued { call, .. }
            | Self::LeftQueue { call, .. }
            | Self::Quality { call, .. } => Some(call),
            Self::Ended(e) => Some(&e.call),
            Self::RecordingReady(_) | Self::Registered(_) | Self::Unregistered(_) => None,
        }
    }
}

/// Which party of a call did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Caller,
    Callee,
}

/// Why a caller is no longer waiting in a hunt group's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeftQueue {
    /// A member answered.
    Answered,
    /// The caller hung up.
    Abandoned,
    /// The wait ran out: the group's overflow takes the call.
    TimedOut,
}

/// A party as events show it (screen pop shows the number and the name).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyInfo {
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountId>,
}

impl From<&Party> for PartyInfo {
    fn from(p: &Party) -> Self {
        Self {
            number: p.number.clone(),
            name: p.name.clone(),
            account: p.account.clone(),
        }
    }
}

/// The call an event is about, as it stands at that moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallInfo {
    pub call_id: String,
    pub direction: Direction,
    pub caller: PartyInfo,
    pub callee: PartyInfo,
    pub started_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_ms: Option<i64>,
    /// The call this one continues (a transfer's earlier call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hunt_group: Option<HuntGroupId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ivr: Option<IvrId>,
    /// The company number (070) the call came in on or went out from
    /// (national digits); absent between users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The edge carrying the call.
    pub edge: String,
}

impl From<&CallRecord> for CallInfo {
    fn from(r: &CallRecord) -> Self {
        Self {
            call_id: r.id.clone(),
            direction: r.direction,
            caller: (&r.caller).into(),
            callee: (&r.callee).into(),
            started_ms: r.started_ms,
            answered_ms: r.answered_ms,
            previous: r.previous.clone(),
            hunt_group: r.hunt_group.clone(),
            ivr: r.ivr.as_ref().map(|v| v.scenario.clone()),
            line: r.line.clone(),
            edge: r.edge.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ended {
    pub call: CallInfo,
    pub ended_ms: i64,
    /// From the start to the end.
    pub duration_ms: i64,
    /// From the answer to the end (0 when nobody answered).
    pub talk_ms: i64,
    pub disposition: Disposition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// When the caller started waiting in a hunt group's queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_ms: Option<i64>,
    /// The caller's choices in the ARS menu (`call.ivr`), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ivr_path: Vec<crate::ivr::walk::Choice>,
}

impl Ended {
    pub fn of(r: &CallRecord) -> Self {
        let ended_ms = r.ended_ms.unwrap_or(r.started_ms);
        Self {
            call: r.into(),
            ended_ms,
            duration_ms: (ended_ms - r.started_ms).max(0),
            talk_ms: r.answered_ms.map_or(0, |a| (ended_ms - a).max(0)),
            disposition: r.disposition,
            cause: r.cause.clone(),
            queued_ms: r.queued_ms,
            ivr_path: r.ivr.as_ref().map(|v| v.path.clone()).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordingReady {
    pub call_id: String,
    /// The recording's blob key.
    pub key: String,
    pub segment: u32,
    pub started_ms: i64,
    pub duration_ms: i64,
    /// The users on the call (whose streams see it).
    #[serde(default)]
    pub accounts: Vec<AccountId>,
}

/// A phone's registration, as monitoring lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    pub account: AccountId,
    /// Where the phone is reached (its Contact).
    pub contact: String,
    /// The address the REGISTER came from.
    pub source: String,
    pub transport: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    pub edge: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<i64>,
}

/// What the edge notes about a call that its record does not show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happening {
    Held(Side),
    Resumed(Side),
    Queued(HuntGroupId),
    LeftQueue(HuntGroupId, LeftQueue),
    /// The audio received so far from the caller and from the callee.
    Quality([Option<crate::call::Quality>; 2]),
}

/// Turns a call's record versions (and noted happenings) into numbered
/// events. One per call actor; a transfer's records each get their own
/// numbering.
#[derive(Debug, Default)]
pub struct Tracker {
    seen: HashMap<String, Seen>,
}

#[derive(Debug)]
struct Seen {
    seq: u32,
    answered: bool,
    ivr_steps: usize,
    ended: bool,
}

impl Tracker {
    /// The events a new version of `r` amounts to (`closing`: the record is final).
    pub fn observe(&mut self, r: &CallRecord, closing: bool, now_ms: i64) -> Vec<Event> {
        let mut kinds = Vec::new();
        let steps = r.ivr.as_ref().map_or(0, |v| v.path.len());
        let answered = r.disposition == Disposition::Answered;
        let seen = match self.seen.get_mut(&r.id) {
            Some(s) => s,
            None => {
                kinds.push(if r.previous.is_some() {
                    Kind::Transferred(r.into())
                } else if answered {
                    // Answered at once (a placed call's agent, say).
                    Kind::Answered(r.into())
                } else {
                    Kind::Ringing(r.into())
                });
                self.seen.entry(r.id.clone()).or_insert(Seen {
                    seq: 0,
                    answered,
                    ivr_steps: 0,
                    ended: false,
                })
            }
        };
        if seen.ended {
            return Vec::new();
        }
        if let Some(v) = &r.ivr {
            for c in v.path.iter().skip(seen.ivr_steps) {
                kinds.push(Kind::IvrOption {
                    call: r.into(),
                    node: c.node.clone(),
                    chose: c.chose.clone(),
                });
            }
        }
        seen.ivr_steps = seen.ivr_steps.max(steps);
        if answered && !seen.answered {
            seen.answered = true;
            kinds.push(Kind::Answered(r.into()));
        }
        if closing {
            seen.ended = true;
            kinds.push(Kind::Ended(Ended::of(r)));
        }
        Self::number(seen, r, kinds, now_ms)
    }

    /// The event for something the record does not show.
    pub fn note(&mut self, r: &CallRecord, h: Happening, now_ms: i64) -> Option<Event> {
        let seen = self.seen.get_mut(&r.id)?;
        if seen.ended {
            return None;
        }
        let call = CallInfo::from(r);
        let kind = match h {
            Happening::Held(by) => Kind::Held { call, by },
            Happening::Resumed(by) => Kind::Resumed { call, by },
            Happening::Queued(group) => Kind::Queued { call, group },
            Happening::LeftQueue(group, reason) => Kind::LeftQueue {
                call,
                group,
                reason,
            },
            Happening::Quality([caller, callee]) => Kind::Quality {
                call,
                caller,
                callee,
            },
        };
        Self::number(seen, r, vec![kind], now_ms).pop()
    }

    fn number(seen: &mut Seen, r: &CallRecord, kinds: Vec<Kind>, now_ms: i64) -> Vec<Event> {
        kinds
            .into_iter()
            .map(|k| {
                seen.seq += 1;
                Event::new(r.tenant.clone(), &r.id, seen.seq, now_ms, k)
            })
            .collect()
    }
}

/// Which event types an integrator wants: exact names or `call.*`-style
/// prefixes; empty means every type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Filter(Vec<String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "알 수 없는 이벤트 유형입니다: {0} (가능한 값: call.*, device.*, recording.ready, call.answered 등)"
)]
pub struct UnknownType(pub String);

impl Filter {
    pub fn parse<S: AsRef<str>>(types: &[S]) -> Result<Self, UnknownType> {
        let mut out = Vec::new();
        for t in types {
            let t = t.as_ref().trim();
            if t.is_empty() {
                continue;
            }
            let known = t == "*"
                || Kind::TYPES.contains(&t)
                || t.strip_suffix(".*").is_some_and(|p| {
                    Kind::TYPES
                        .iter()
                        .any(|k| k.split_once('.').is_some_and(|(head, _)| head == p))
                });
            if !known {
                return Err(UnknownType(t.to_owned()));
            }
            if !out.iter().any(|o| o == t) {
                out.push(t.to_owned());
            }
        }
        Ok(Self(out))
    }

    pub fn types(&self) -> &[String] {
        &self.0
    }

    pub fn matches(&self, type_name: &str) -> bool {
        if Kind::NAMED_ONLY.contains(&type_name) {
            return self.0.iter().any(|f| f == type_name);
        }
        self.0.is_empty()
            || self.0.iter().any(|f| {
                f == "*"
                    || f == type_name
                    || f.strip_suffix('*')
                        .is_some_and(|prefix| type_name.starts_with(prefix))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{Direction, IvrVisit};
    use crate::ivr::walk::Choice;

    fn tenant() -> TenantId {
        TenantId::parse("acme").expect("tenant")
    }

    fn record() -> CallRecord {
        let caller = Party {
            number: "01012345678".into(),
            account: None,
            name: None,
        };
        let callee = Party {
            number: "1001".into(),
            account: Some(AccountId::parse(&"a".repeat(32)).expect("account")),
            name: Some("김철수".into()),
        };
        CallRecord::starting(tenant(), Direction::Incoming, caller, callee, 1_000, "e1")
    }

    fn types(events: &[Event]) -> Vec<&str> {
        events.iter().map(Event::type_name).collect()
    }

    #[test]
    fn a_call_rings_is_answered_and_ends_numbered_from_one() {
        let mut t = Tracker::default();
        let mut r = record();
        let first = t.observe(&r, false, 1_000);
        assert_eq!(types(&first), ["call.ringing"]);
        assert_eq!(first[0].id, format!("{}.1", r.id));
        assert!(t.observe(&r, false, 1_100).is_empty(), "nothing new");
        r.answered_ms = Some(3_000);
        r.disposition = Disposition::Answered;
        let answered = t.observe(&r, false, 3_000);
        assert_eq!(types(&answered), ["call.answered"]);
        r.ended_ms = Some(9_000);
        r.disposition = Disposition::Answered;
        let ended = t.observe(&r, true, 9_000);
        assert_eq!(types(&ended), ["call.ended"]);
        assert_eq!(ended[0].seq, 3);
        let Kind::Ended(e) = &ended[0].kind else {
            panic!("ended")
        };
        assert_eq!((e.duration_ms, e.talk_ms), (8_000, 6_000));
        assert!(t.observe(&r, true, 9_100).is_empty(), "closed once");
    }

    #[test]
    fn ars_choices_become_one_event_each_in_order() {
        let mut t = Tracker::default();
        let mut r = record();
        r.ivr = Some(IvrVisit {
            scenario: IvrId::parse(&"b".repeat(32)).expect("ivr"),
            path: vec![],
        });
        r.answered_ms = Some(1_000);
        assert_eq!(
            types(&t.observe(&r, false, 1_000)),
            ["call.ringing"],
            "the ARS answering is not a person answering"
        );
        let step = |node: &str, chose: &str| Choice {
            node: node.into(),
            chose: chose.into(),
        };
        if let Some(v) = r.ivr.as_mut() {
            v.path = vec![step("main", "1"), step("sales", "timeout")];
        }
        let chosen = t.observe(&r, false, 2_000);
        assert_eq!(types(&chosen), ["call.ivr_option", "call.ivr_option"]);
        assert!(
            matches!(&chosen[1].kind, Kind::IvrOption { node, chose, .. } if node == "sales" && chose == "timeout")
        );
        assert_eq!(chosen[1].seq, 3);
    }

    #[test]
    fn a_transferred_calls_new_record_starts_with_transferred() {
        let mut t = Tracker::default();
        let r = record();
        let next = r.continued(r.caller.clone(), r.callee.clone(), 5_000);
        let events = t.observe(&next, false, 5_000);
        assert_eq!(types(&events), ["call.transferred"]);
        assert_eq!(
            events[0].kind.call().and_then(|c| c.previous.clone()),
            Some(r.id)
        );
    }

    #[test]
    fn noted_hold_is_numbered_with_the_records_events() {
        let mut t = Tracker::default();
        let r = record();
        assert!(
            t.note(&r, Happening::Held(Side::Caller), 0).is_none(),
            "unknown call"
        );
        t.observe(&r, false, 1_000);
        let held = t.note(&r, Happening::Held(Side::Caller), 2_000);
        assert_eq!(held.map(|e| (e.seq, e.type_name())), Some((2, "call.held")));
    }

    #[test]
    fn quality_samples_carry_both_parties_and_read_back() {
        let mut t = Tracker::default();
        let r = record();
        t.observe(&r, false, 1_000);
        let q = crate::call::Quality {
            packets: 500,
            lost: 5,
            jitter_tenth_ms: 32,
        };
        let e = t
            .note(&r, Happening::Quality([Some(q), None]), 11_000)
            .expect("event");
        assert_eq!((e.seq, e.type_name()), (2, "call.quality"));
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["data"]["caller"]["lost"], 5);
        assert!(json["data"]["callee"].is_null());
        assert_eq!(json["data"]["call"]["call_id"], r.id.as_str());
        let back: Event = serde_json::from_value(json).expect("back");
        assert_eq!(back, e);
        // Ended calls say no more.
        t.observe(&r, true, 12_000);
        assert!(
            t.note(&r, Happening::Quality([Some(q), None]), 13_000)
                .is_none()
        );
    }

    #[test]
    fn events_read_back_from_their_json() {
        let mut t = Tracker::default();
        let e = t.observe(&record(), false, 1_000).remove(0);
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["type"], "call.ringing");
        assert_eq!(json["data"]["callee"]["name"], "김철수");
        assert_eq!(json["data"]["direction"], "incoming");
        let back: Event = serde_json::from_value(json).expect("back");
        assert_eq!(back, e);
        assert_eq!(back.accounts().len(), 1);
    }

    #[test]
    fn filters_take_names_and_prefixes_and_refuse_unknown_types() {
        let f = Filter::parse(&["call.*", "device.registered"]).expect("filter");
        assert!(f.matches("call.ended"));
        assert!(f.matches("device.registered"));
        assert!(!f.matches("device.unregistered"));
        assert!(!f.matches("recording.ready"));
        assert!(Filter::default().matches("recording.ready"));
        assert!(Filter::parse(&["call.rang"]).is_err());
        assert!(Filter::parse(&["calls.*"]).is_err());
        // Quality samples go only to those who name them.
        assert!(!f.matches("call.quality"));
        assert!(!Filter::default().matches("call.quality"));
        assert!(!Filter::parse(&["*"]).expect("all").matches("call.quality"));
        assert!(
            Filter::parse(&["call.quality"])
                .expect("named")
                .matches("call.quality")
        );
    }
}
