//! How an edge-answered call ends in words: a last prompt (a scenario's
//! goodbye, a callback request's receipt), then the edge hangs up and the
//! record closes as decided beforehand. And the callback request itself:
//! the I/O layer files it ([`Action::FileCallback`]) and reports back
//! ([`Call::callback_filed`]); the caller hears whether it was taken.

use std::time::Instant;

use domain::TenantId;
use domain::call::Disposition;
use domain::callback::Source;
use domain::ivr::Prompt as Say;

use super::{Action, Call};
use crate::rtp::Leg;

/// What the caller hears when their callback request was taken.
pub const CALLBACK_TAKEN: &str = "콜백 요청이 접수되었습니다. 상담원이 확인하는 대로 지금 거신 번호로 전화드리겠습니다. 감사합니다.";
/// ... and when it could not be (no caller number, or the store failed).
pub const CALLBACK_REFUSED: &str =
    "죄송합니다. 발신 번호를 알 수 없어 콜백 요청을 받을 수 없습니다. 잠시 후 다시 걸어 주세요.";

/// A callback request for the I/O layer to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackAsk {
    pub tenant: TenantId,
    /// The caller's number, to call back.
    pub number: String,
    pub name: Option<String>,
    /// The number they called, as shown.
    pub via: Option<String>,
    pub call_id: String,
    pub source: Source,
}

/// How the call ends once the last prompt has played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Farewell {
    disposition: Disposition,
    cause: &'static str,
}

impl Call {
    /// Plays `p`, then hangs up, closing the record with `disposition`.
    pub(super) fn farewell(
        &mut self,
        p: Say,
        disposition: Disposition,
        cause: &'static str,
        out: &mut Vec<Action>,
    ) {
        out.push(Action::StopPrompt);
        out.push(Action::Say(Leg::A, vec![p]));
        self.farewell = Some(Farewell { disposition, cause });
    }

    /// The last prompt has played: the edge hangs up. False when no
    /// farewell was under way.
    pub(super) fn farewell_done(&mut self, now: Instant, out: &mut Vec<Action>) -> bool {
        let Some(f) = self.farewell.take() else {
            return false;
        };
        self.hang_up(Leg::A, now, out);
        self.end(now, f.disposition, f.cause, out);
        true
    }

    /// How the record closes if the caller hangs up during the farewell.
    pub(super) fn farewell_disposition(&mut self) -> Option<Disposition> {
        self.farewell.take().map(|f| f.disposition)
    }

    /// The caller leaves a callback request: the I/O layer files it.
    pub(super) fn ask_callback(&mut self, source: Source, out: &mut Vec<Action>) {
        self.asking_callback = true;
        out.push(Action::StopPrompt);
        out.push(Action::Play(Leg::A, crate::prompts::Prompt::Music));
        out.push(Action::FileCallback(CallbackAsk {
            tenant: self.record.tenant.clone(),
            number: self.record.caller.number.clone(),
            name: self.record.caller.name.clone(),
            via: self
                .record
                .ivr
                .as_ref()
                .map(|_| self.record.callee.number.clone()),
            call_id: self.record.id.clone(),
            source,
        }));
    }

    /// The request was filed (`Ok(merged)`: merged into the number's open
    /// one) or refused: the caller hears which, then the edge hangs up.
    pub fn callback_filed(&mut self, r: Result<bool, String>, _now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if !std::mem::take(&mut self.asking_callback) || self.ended() {
            return out;
        }
        let say = |t: &str| Say::Tts { text: t.into() };
        match r {
            Ok(_) => self.farewell(
                say(CALLBACK_TAKEN),
                Disposition::Callback,
                "callback requested",
                &mut out,
            ),
            Err(e) => {
                tracing::info!(call = %self.record.id, error = %e, "callback request refused");
                self.farewell(
                    say(CALLBACK_REFUSED),
                    Disposition::Ivr,
                    "callback request refused",
                    &mut out,
                );
            }
        }
        out
    }
}
