//! 모니터링 (T3): who is registered and which calls are up, right now.
//!
//! The snapshot reads the table (live registrations, the tenant's live-call
//! markers); the page and `/v1/monitoring/stream` then follow the tenant's
//! event stream (`crate::cti`) to keep it current without reloading. A
//! call's state comes from its record; hold is known from events only.

use domain::call::{CallRecord, Direction, Disposition};
use domain::event::PartyInfo;
use domain::{AccountId, TenantId};
use serde::Serialize;
use store::repo::{accounts, calls, registrations};

use crate::fail::Outcome;
use crate::state::App;

/// One registered phone.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    pub account: AccountId,
    pub name: String,
    pub extension: Option<String>,
    /// The phone's software (its User-Agent).
    pub user_agent: Option<String>,
    /// Where the phone registered from.
    pub address: String,
    pub transport: String,
    pub edge: String,
    /// Unix seconds (0 when not known).
    pub since: i64,
    pub expires_at: i64,
}

/// What a live call is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// Phones ring.
    Ringing,
    /// In an ARS menu.
    Ivr,
    /// Waiting in a hunt group's queue (or ringing its members).
    Queued,
    /// Two people talk.
    Talking,
}

impl LiveState {
    pub fn of(r: &CallRecord) -> Self {
        if r.disposition == Disposition::Answered {
            Self::Talking
        } else if r.ivr.is_some() && r.hunt_group.is_none() {
            Self::Ivr
        } else if r.hunt_group.is_some() && r.answered_ms.is_some() {
            Self::Queued
        } else {
            Self::Ringing
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ringing => "연결 중",
            Self::Ivr => "ARS",
            Self::Queued => "대기 중",
            Self::Talking => "통화 중",
        }
    }
}

/// One call in progress.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveCall {
    pub call_id: String,
    pub direction: Direction,
    pub caller: PartyInfo,
    pub callee: PartyInfo,
    pub state: LiveState,
    pub started_ms: i64,
    pub answered_ms: Option<i64>,
    pub hunt_group: Option<String>,
    pub edge: String,
    /// The audio received so far from each party (the edge samples a
    /// talking call every 10 s: `call.quality` events carry the rest).
    pub quality: LiveQuality,
}

/// How a call's audio is arriving, per party.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveQuality {
    pub caller: Option<LegQuality>,
    pub callee: Option<LegQuality>,
}

/// The audio received from one party: how much, how much was lost, how
/// steady it came, and what that means for the ear.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegQuality {
    pub packets: i64,
    pub lost: i64,
    pub loss_percent: f64,
    pub jitter_ms: f64,
    pub grade: Grade,
}

/// Good: under 1 % lost and 30 ms of jitter (no one hears it); fair: under
/// 5 % and 60 ms (clicks and gaps); poor: beyond (hard to follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Good,
    Fair,
    Poor,
}

impl LegQuality {
    pub fn of(q: domain::call::Quality) -> Self {
        let expected = q.packets + q.lost;
        let loss_percent = if expected > 0 {
            (q.lost as f64 * 1000.0 / expected as f64).round() / 10.0
        } else {
            0.0
        };
        let jitter_ms = q.jitter_tenth_ms as f64 / 10.0;
        let grade = if loss_percent < 1.0 && jitter_ms < 30.0 {
            Grade::Good
        } else if loss_percent < 5.0 && jitter_ms < 60.0 {
            Grade::Fair
        } else {
            Grade::Poor
        };
        Self {
            packets: q.packets,
            lost: q.lost,
            loss_percent,
            jitter_ms,
            grade,
        }
    }
}

impl LiveQuality {
    pub fn of(q: [Option<domain::call::Quality>; 2]) -> Self {
        Self {
            caller: q[0].map(LegQuality::of),
            callee: q[1].map(LegQuality::of),
        }
    }

    /// The worse party's figures (what a supervisor looks at first).
    pub fn worst(&self) -> Option<LegQuality> {
        [self.caller, self.callee]
            .into_iter()
            .flatten()
            .max_by(|a, b| {
                (a.grade as u8, a.loss_percent)
                    .partial_cmp(&(b.grade as u8, b.loss_percent))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snapshot {
    pub devices: Vec<Device>,
    pub calls: Vec<LiveCall>,
    /// When it was taken (Unix ms); the stream goes on from here.
    pub at_ms: i64,
}

pub async fn snapshot(app: &App, t: &TenantId) -> Outcome<Snapshot> {
    let at_ms = store::now_epoch_ms();
    let people = accounts::all(&*app.store, t).await?;
    let mut devices: Vec<Device> = registrations::of_tenant(&*app.store, t, at_ms / 1000)
        .await?
        .into_iter()
        .map(|r| {
            let who = people.iter().find(|a| a.id == r.account);
            Device {
                name: who.map(|a| a.name.clone()).unwrap_or_default(),
                extension: who.and_then(|a| a.extension).map(|e| e.to_string()),
                account: r.account,
                user_agent: r.user_agent,
                address: r.source.to_string(),
                transport: r.transport.as_str().to_owned(),
                edge: r.edge.to_string(),
                since: r.since,
                expires_at: r.expires_at,
            }
        })
        .collect();
    devices.sort_by(|a, b| (&a.extension, &a.name).cmp(&(&b.extension, &b.name)));
    let calls = calls::live(&*app.store, t)
        .await?
        .into_iter()
        .map(|r| LiveCall {
            call_id: r.id.clone(),
            direction: r.direction,
            caller: (&r.caller).into(),
            callee: (&r.callee).into(),
            state: LiveState::of(&r),
            started_ms: r.started_ms,
            answered_ms: r.answered_ms,
            hunt_group: r.hunt_group.as_ref().map(ToString::to_string),
            edge: r.edge.clone(),
            quality: LiveQuality::of(r.quality),
        })
        .collect();
    Ok(Snapshot {
        devices,
        calls,
        at_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::call::Quality;

    fn q(packets: i64, lost: i64, jitter_tenth_ms: i64) -> Option<Quality> {
        Some(Quality {
            packets,
            lost,
            jitter_tenth_ms,
        })
    }

    #[test]
    fn quality_is_graded_by_loss_and_jitter() {
        let live = LiveQuality::of([q(995, 5, 32), q(900, 100, 50)]);
        let caller = live.caller.expect("caller");
        assert_eq!((caller.loss_percent, caller.jitter_ms), (0.5, 3.2));
        assert_eq!(caller.grade, Grade::Good);
        assert_eq!(live.callee.map(|c| c.grade), Some(Grade::Poor));
        assert_eq!(live.worst().map(|w| w.loss_percent), Some(10.0));
        assert_eq!(
            LegQuality::of(Quality {
                packets: 100,
                lost: 2,
                jitter_tenth_ms: 400
            })
            .grade,
            Grade::Fair
        );
        assert_eq!(LiveQuality::of([None, None]).worst(), None);
    }
}
