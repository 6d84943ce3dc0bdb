//! Call statistics (T2): what one ended call adds to which counters, and
//! how counters add up.
//!
//! Every call record counts once in each dimension it touches: the tenant,
//! each user on it, the company number (070) it came in on or went out
//! from, its hunt group, and each ARS menu option the caller chose. A
//! transferred call is two records (each person who handled it), as the
//! call history shows it. A call is bucketed by the hour it started.
//!
//! The counters are integers that only add (and one maximum), so the
//! store can keep them per hour, day and month with atomic increments and
//! a query can sum any set of buckets.

use serde::{Deserialize, Serialize};

use crate::calendar::{Date, TimeZone};
use crate::call::{Direction, Disposition};
use crate::event::Ended;
use crate::{AccountId, HuntGroupId, IvrId};

/// Which way a call went, as statistics split it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// From outside to the company (answered, missed or to voicemail).
    Inbound,
    /// From a user to outside.
    Outbound,
    /// Between two users.
    Internal,
}

impl Flow {
    pub const ALL: [Self; 3] = [Self::Inbound, Self::Outbound, Self::Internal];

    pub fn of(d: Direction) -> Self {
        match d {
            Direction::Incoming | Direction::Missed | Direction::Voicemail => Self::Inbound,
            Direction::Outgoing => Self::Outbound,
            Direction::Internal => Self::Internal,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
            Self::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Short prefix of the flow's counters in stored items.
    pub fn code(self) -> &'static str {
        match self {
            Self::Inbound => "i",
            Self::Outbound => "o",
            Self::Internal => "n",
        }
    }
}

/// How a call ended, as statistics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A person answered (also when they then transferred the caller).
    Answered,
    /// Nobody answered: no answer, busy, rejected, cancelled, failed, or
    /// after hours without a message.
    Missed,
    /// The caller left a message.
    Voicemail,
    /// The caller hung up waiting in a hunt group's queue.
    Abandoned,
    /// The call ended in an ARS menu.
    Ivr,
    /// The caller asked to be called back.
    Callback,
}

impl Outcome {
    pub fn of(d: Disposition) -> Self {
        match d {
            Disposition::Answered | Disposition::Transferred => Self::Answered,
            Disposition::Voicemail => Self::Voicemail,
            Disposition::Abandoned => Self::Abandoned,
            Disposition::Ivr => Self::Ivr,
            Disposition::Callback => Self::Callback,
            // An ended call always has a final disposition; one still "in
            // progress" (never seen) went nowhere.
            Disposition::InProgress
            | Disposition::Busy
            | Disposition::NoAnswer
            | Disposition::Cancelled
            | Disposition::Rejected
            | Disposition::Failed
            | Disposition::AfterHours => Self::Missed,
        }
    }
}

/// The counters of one flow in one bucket of one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counters {
    pub calls: i64,
    pub answered: i64,
    pub missed: i64,
    pub voicemail: i64,
    pub abandoned: i64,
    /// Ended in an ARS menu.
    pub ivr: i64,
    /// Left a callback request.
    pub callback: i64,
    /// Talk time of the answered calls, in milliseconds.
    pub talk_ms: i64,
    /// The longest answered call's talk time.
    pub talk_max_ms: i64,
    /// Time from the start to the answer, summed over calls answered
    /// without waiting in a queue (`ring_calls` of them).
    pub ring_ms: i64,
    pub ring_calls: i64,
    /// Time in a hunt group's queue until answered or given up, summed
    /// over the `queued` calls that waited.
    pub queue_ms: i64,
    pub queued: i64,
}

/// The summed counters, by name, as items store them (all but the
/// maximum, which is kept with [`Counters::MAX_FIELD`]).
pub const SUM_FIELDS: [&str; 12] = [
    "calls",
    "answered",
    "missed",
    "voicemail",
    "abandoned",
    "ivr",
    "callback",
    "talk_ms",
    "ring_ms",
    "ring_calls",
    "queue_ms",
    "queued",
];

impl Counters {
    pub const MAX_FIELD: &'static str = "talk_max_ms";

    /// What one ended call adds.
    pub fn of(e: &Ended) -> Self {
        let mut c = Self {
            calls: 1,
            ..Self::default()
        };
        let outcome = Outcome::of(e.disposition);
        match outcome {
            Outcome::Answered => c.answered = 1,
            Outcome::Missed => c.missed = 1,
            Outcome::Voicemail => c.voicemail = 1,
            Outcome::Abandoned => c.abandoned = 1,
            Outcome::Ivr => c.ivr = 1,
            Outcome::Callback => c.callback = 1,
        }
        let started = e.call.started_ms;
        if outcome == Outcome::Answered {
            c.talk_ms = e.talk_ms;
            c.talk_max_ms = e.talk_ms;
            if e.queued_ms.is_none()
                && let Some(a) = e.call.answered_ms
            {
                c.ring_ms = (a - started).max(0);
                c.ring_calls = 1;
            }
        }
        if let Some(q) = e.queued_ms {
            let left = match (outcome, e.call.answered_ms) {
                (Outcome::Answered, Some(a)) => a,
                _ => e.ended_ms,
            };
            c.queue_ms = (left - q).max(0);
            c.queued = 1;
        }
        c
    }

    /// The summed counters in [`SUM_FIELDS`] order.
    pub fn sums(&self) -> [i64; 12] {
        [
            self.calls,
            self.answered,
            self.missed,
            self.voicemail,
            self.abandoned,
            self.ivr,
            self.callback,
            self.talk_ms,
            self.ring_ms,
            self.ring_calls,
            self.queue_ms,
            self.queued,
        ]
    }

    /// Counters from sums in [`SUM_FIELDS`] order and a maximum.
    pub fn from_sums(s: [i64; 12], talk_max_ms: i64) -> Self {
        Self {
            calls: s[0],
            answered: s[1],
            missed: s[2],
            voicemail: s[3],
            abandoned: s[4],
            ivr: s[5],
            callback: s[6],
            talk_ms: s[7],
            ring_ms: s[8],
            ring_calls: s[9],
            queue_ms: s[10],
            queued: s[11],
            talk_max_ms,
        }
    }

    /// Adds `other` in (sums add, the maximum is the larger).
    pub fn merge(&mut self, other: &Self) {
        let mut s = self.sums();
        for (a, b) in s.iter_mut().zip(other.sums()) {
            *a += b;
        }
        *self = Self::from_sums(s, self.talk_max_ms.max(other.talk_max_ms));
    }

    pub fn is_empty(&self) -> bool {
        self.calls == 0
    }

    /// Average talk time of the answered calls (ms), 0 without any.
    pub fn talk_avg_ms(&self) -> i64 {
        avg(self.talk_ms, self.answered)
    }

    pub fn ring_avg_ms(&self) -> i64 {
        avg(self.ring_ms, self.ring_calls)
    }

    pub fn queue_avg_ms(&self) -> i64 {
        avg(self.queue_ms, self.queued)
    }
}

fn avg(total: i64, n: i64) -> i64 {
    if n == 0 { 0 } else { total / n }
}

/// What a statistic is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// The whole company.
    Tenant,
    /// A user (as caller or callee).
    User(AccountId),
    /// A company number (070), by its national digits.
    Line(String),
    Group(HuntGroupId),
    /// Calls that chose `chose` at `node` of an ARS scenario.
    Option {
        ivr: IvrId,
        node: String,
        chose: String,
    },
}

/// Most distinct ARS options one call counts in (a caller looping through
/// a menu does not make its statistics write unbounded).
pub const MAX_OPTIONS_PER_CALL: usize = 16;

impl Dim {
    /// Every dimension an ended call counts in, each once.
    pub fn of(e: &Ended) -> Vec<Dim> {
        let mut out = vec![Dim::Tenant];
        let users = [&e.call.caller.account, &e.call.callee.account];
        for a in users.into_iter().flatten() {
            let d = Dim::User(a.clone());
            if !out.contains(&d) {
                out.push(d);
            }
        }
        if let Some(l) = &e.call.line {
            out.push(Dim::Line(l.clone()));
        }
        if let Some(g) = &e.call.hunt_group {
            out.push(Dim::Group(g.clone()));
        }
        if let Some(ivr) = &e.call.ivr {
            let mut options = 0;
            for c in &e.ivr_path {
                let d = Dim::Option {
                    ivr: ivr.clone(),
                    node: c.node.clone(),
                    chose: c.chose.clone(),
                };
                if options < MAX_OPTIONS_PER_CALL && !out.contains(&d) {
                    out.push(d);
                    options += 1;
                }
            }
        }
        out
    }

    /// The dimension as a key: `T`, `U#<account>`, `N#<digits>`,
    /// `G#<group>`, `O#<scenario>#<node>#<choice>` (node and choice with
    /// `%` and `#` escaped, so the key reads back).
    pub fn key(&self) -> String {
        match self {
            Dim::Tenant => "T".into(),
            Dim::User(a) => format!("U#{a}"),
            Dim::Line(n) => format!("N#{n}"),
            Dim::Group(g) => format!("G#{g}"),
            Dim::Option { ivr, node, chose } => {
                format!("O#{ivr}#{}#{}", escape(node), escape(chose))
            }
        }
    }

    pub fn parse_key(key: &str) -> Option<Dim> {
        if key == "T" {
            return Some(Dim::Tenant);
        }
        let (kind, rest) = key.split_once('#')?;
        match kind {
            "U" => AccountId::parse(rest).ok().map(Dim::User),
            "N" => Some(Dim::Line(rest.to_owned())),
            "G" => HuntGroupId::parse(rest).ok().map(Dim::Group),
            "O" => {
                let mut parts = rest.split('#');
                let ivr = IvrId::parse(parts.next()?).ok()?;
                let node = unescape(parts.next()?)?;
                let chose = unescape(parts.next()?)?;
                parts
                    .next()
                    .is_none()
                    .then_some(Dim::Option { ivr, node, chose })
            }
            _ => None,
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('%', "%25").replace('#', "%23")
}

fn unescape(s: &str) -> Option<String> {
    let out = s.replace("%23", "#").replace("%25", "%");
    (escape(&out) == s).then_some(out)
}

/// The size of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    Hour,
    Day,
    Month,
}

impl Grain {
    pub const ALL: [Self; 3] = [Self::Hour, Self::Day, Self::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Milliseconds in an hour: hour buckets are UTC hours (`ms / HOUR_MS`).
pub const HOUR_MS: i64 = 3_600_000;

/// The UTC hour an instant falls in.
pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

/// Counters of each [`Flow`], in [`Flow::ALL`] order.
pub type ByFlow = [Counters; 3];

/// The counters of one flow, or of all of them (`None`).
pub fn total(by: &ByFlow, flow: Option<Flow>) -> Counters {
    let mut out = Counters::default();
    for (f, c) in Flow::ALL.iter().zip(by) {
        if flow.is_none_or(|want| want == *f) {
            out.merge(c);
        }
    }
    out
}

/// One bucket of counters: a UTC hour, or a calendar day or month of a
/// time zone (named, so a company that changes its zone keeps both).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    Hour(i64),
    Day(String, Date),
    Month(String, i32, u8),
}

impl Bucket {
    /// `H#<hour, 9 digits>`, `D#<zone>#<yyyy-mm-dd>`, `M#<zone>#<yyyy-mm>`.
    pub fn key(&self) -> String {
        match self {
            Bucket::Hour(h) => format!("H#{h:09}"),
            Bucket::Day(z, d) => format!("D#{z}#{d}"),
            Bucket::Month(z, y, m) => format!("M#{z}#{y:04}-{m:02}"),
        }
    }

    /// The hour, day and month a call starting at `ms` counts in.
    pub fn of(ms: i64, tz: &TimeZone) -> Option<[Bucket; 3]> {
        let local = tz.to_local(ms.div_euclid(1000))?;
        let zone = tz.name().to_owned();
        Some([
            Bucket::Hour(hour_of(ms)),
            Bucket::Day(zone.clone(), local.date),
            Bucket::Month(zone, local.date.year(), local.date.month()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::{CallRecord, Party};
    use crate::ivr::walk::Choice;
    use crate::{TenantId, call::IvrVisit};

    fn acct(c: char) -> AccountId {
        AccountId::parse(&c.to_string().repeat(32)).expect("account")
    }

    fn party(number: &str, account: Option<AccountId>) -> Party {
        Party {
            number: number.into(),
            account,
            name: None,
        }
    }

    fn record(direction: Direction, disposition: Disposition) -> CallRecord {
        let mut r = CallRecord::starting(
            TenantId::parse("acme").expect("tenant"),
            direction,
            party("01012345678", None),
            party("1001", Some(acct('a'))),
            1_000_000,
            "e1",
        );
        r.disposition = disposition;
        r.ended_ms = Some(1_090_000);
        r
    }

    #[test]
    fn an_answered_call_counts_talk_and_ring() {
        let mut r = record(Direction::Incoming, Disposition::Answered);
        r.answered_ms = Some(1_010_000);
        let c = Counters::of(&Ended::of(&r));
        assert_eq!((c.calls, c.answered, c.missed), (1, 1, 0));
        assert_eq!((c.talk_ms, c.talk_max_ms), (80_000, 80_000));
        assert_eq!((c.ring_ms, c.ring_calls), (10_000, 1));
        assert_eq!((c.queue_ms, c.queued), (0, 0));
    }

    #[test]
    fn a_queued_call_counts_its_wait_not_a_ring() {
        let mut r = record(Direction::Incoming, Disposition::Answered);
        r.queued_ms = Some(1_005_000);
        r.answered_ms = Some(1_035_000);
        let c = Counters::of(&Ended::of(&r));
        assert_eq!((c.queue_ms, c.queued, c.ring_calls), (30_000, 1, 0));
        assert_eq!(c.talk_ms, 55_000);
        let mut gave_up = record(Direction::Missed, Disposition::Abandoned);
        gave_up.queued_ms = Some(1_005_000);
        gave_up.answered_ms = Some(1_005_000);
        let c = Counters::of(&Ended::of(&gave_up));
        assert_eq!((c.abandoned, c.queue_ms, c.talk_ms), (1, 85_000, 0));
    }

    #[test]
    fn unanswered_outcomes_count_apart() {
        for (d, want) in [
            (Disposition::NoAnswer, [0, 1, 0, 0, 0, 0]),
            (Disposition::AfterHours, [0, 1, 0, 0, 0, 0]),
            (Disposition::Voicemail, [0, 0, 1, 0, 0, 0]),
            (Disposition::Abandoned, [0, 0, 0, 1, 0, 0]),
            (Disposition::Ivr, [0, 0, 0, 0, 1, 0]),
            (Disposition::Callback, [0, 0, 0, 0, 0, 1]),
            (Disposition::Transferred, [1, 0, 0, 0, 0, 0]),
        ] {
            let c = Counters::of(&Ended::of(&record(Direction::Incoming, d)));
            assert_eq!(
                [
                    c.answered,
                    c.missed,
                    c.voicemail,
                    c.abandoned,
                    c.ivr,
                    c.callback
                ],
                want,
                "{d}"
            );
        }
    }

    #[test]
    fn merging_adds_sums_and_keeps_the_longest() {
        let mut a = Counters {
            calls: 2,
            talk_ms: 10,
            talk_max_ms: 7,
            answered: 2,
            ..Counters::default()
        };
        a.merge(&Counters {
            calls: 1,
            talk_ms: 9,
            talk_max_ms: 9,
            answered: 1,
            ..Counters::default()
        });
        assert_eq!((a.calls, a.talk_ms, a.talk_max_ms), (3, 19, 9));
        assert_eq!(a.talk_avg_ms(), 6);
        assert_eq!(Counters::default().talk_avg_ms(), 0);
    }

    #[test]
    fn a_call_counts_in_each_of_its_dimensions_once() {
        let mut r = record(Direction::Internal, Disposition::Answered);
        r.caller = party("1002", Some(acct('b')));
        r.line = Some("07012345678".into());
        r.hunt_group = Some(HuntGroupId::parse(&"c".repeat(32)).expect("group"));
        let ivr = IvrId::parse(&"d".repeat(32)).expect("ivr");
        let step = |node: &str, chose: &str| Choice {
            node: node.into(),
            chose: chose.into(),
        };
        r.ivr = Some(IvrVisit {
            scenario: ivr.clone(),
            path: vec![
                step("main", "1"),
                step("main", "1"),
                step("sales#1", "timeout"),
            ],
        });
        let dims = Dim::of(&Ended::of(&r));
        assert_eq!(dims.len(), 7, "{dims:?}");
        for d in &dims {
            assert_eq!(Dim::parse_key(&d.key()).as_ref(), Some(d), "{}", d.key());
        }
        assert!(dims.contains(&Dim::Option {
            ivr,
            node: "sales#1".into(),
            chose: "timeout".into()
        }));
        // The same user on both sides counts once.
        let mut own = record(Direction::Internal, Disposition::Answered);
        own.caller = own.callee.clone();
        assert_eq!(Dim::of(&Ended::of(&own)).len(), 2);
    }

    #[test]
    fn keys_that_are_not_dimensions_are_refused() {
        for k in [
            "",
            "X#1",
            "U#short",
            "O#x",
            "O#dddddddddddddddddddddddddddddddd#a#b#c",
        ] {
            assert_eq!(Dim::parse_key(k), None, "{k}");
        }
    }

    #[test]
    fn flows_follow_the_direction() {
        assert_eq!(Flow::of(Direction::Missed), Flow::Inbound);
        assert_eq!(Flow::of(Direction::Voicemail), Flow::Inbound);
        assert_eq!(Flow::of(Direction::Outgoing), Flow::Outbound);
        assert_eq!(Flow::parse("internal"), Some(Flow::Internal));
        assert_eq!(hour_of(-1), -1);
        assert_eq!(hour_of(HOUR_MS * 5 + 7), 5);
    }

    #[test]
    fn a_call_falls_in_its_local_day_and_month() {
        // 2026-11-30 15:30 UTC is 2026-12-01 00:30 in Seoul.
        let ms = 1_796_052_600_000;
        let [h, d, m] = Bucket::of(ms, &TimeZone::seoul()).expect("buckets");
        assert_eq!(h.key(), format!("H#{:09}", ms / HOUR_MS));
        assert_eq!(d.key(), "D#Asia/Seoul#2026-12-01");
        assert_eq!(m.key(), "M#Asia/Seoul#2026-12");
        let [_, d, _] = Bucket::of(ms, &TimeZone::utc()).expect("buckets");
        assert_eq!(d.key(), "D#UTC#2026-11-30");
    }

    #[test]
    fn totals_take_one_flow_or_all() {
        let one = |calls| Counters {
            calls,
            ..Counters::default()
        };
        let by = [one(1), one(2), one(4)];
        assert_eq!(total(&by, None).calls, 7);
        assert_eq!(total(&by, Some(Flow::Outbound)).calls, 2);
    }
}
