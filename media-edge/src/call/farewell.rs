//! How an edge-answered call ends in words: a last prompt (a scenario's
//! goodbye, a callback request's receipt), then the edge hangs up and the
//! record closes as decided beforehand. And the callback request itself:
//! the I/O layer files it ([`Action::FileCallback`]) and reports back
//! ([`Call::callback_filed`]); the caller hears whether it was taken.

use std::time::{Duration, Instant};

use domain::TenantId;
use domain::call::Disposition;
use domain::callback::Source;
use domain::ivr::Prompt as Say;

use super::{Action, Call};
use crate::rtp::Leg;

/// What the caller hears when their callback request was taken.
pub const CALLBACK_TAKEN: &str = "콜백 요청이 접수되었습니다. 상담원이 확인하는 대로 지금 거신 번호로 전화드리겠습니다. 감사합니다.";
/// ... and when it could not be (no number, or the store failed).
pub const CALLBACK_REFUSED: &str =
    "죄송합니다. 콜백 요청을 받지 못했습니다. 잠시 후 다시 걸어 주세요.";

/// What a caller without a usable caller ID hears: key in the number.
pub const CALLBACK_KEY_IN: &str =
    "발신 번호를 알 수 없습니다. 콜백 받으실 전화번호를 누르신 뒤 우물 정자를 눌러 주세요.";
/// How long the caller has for the next key of their number.
const KEY_IN_WAIT: Duration = Duration::from_secs(15);
/// The longest number keyed in (a mobile number has 11 digits).
const KEY_IN_DIGITS: usize = 11;

/// A caller keying in the number to call back.
#[derive(Debug, Clone)]
pub(super) struct Keying {
    source: Source,
    digits: String,
    until: Instant,
}

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

    /// The caller leaves a callback request for their number (caller
    /// ID), or keys one in when the caller ID is none (anonymous).
    pub(super) fn ask_callback(&mut self, source: Source, now: Instant, out: &mut Vec<Action>) {
        if domain::PhoneNumber::parse(&self.record.caller.number).is_err() {
            self.keying = Some(Keying {
                source,
                digits: String::new(),
                until: now + KEY_IN_WAIT,
            });
            out.push(Action::StopPrompt);
            out.push(Action::Say(
                Leg::A,
                vec![Say::Tts {
                    text: CALLBACK_KEY_IN.into(),
                }],
            ));
            return;
        }
        let number = self.record.caller.number.clone();
        self.file_callback(number, source, out);
    }

    /// A key while the caller keys in their number: digits, `#` to end,
    /// `*` to start again. False when no number is being keyed.
    pub(super) fn callback_key(
        &mut self,
        digit: char,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> bool {
        let Some(k) = self.keying.as_mut() else {
            return false;
        };
        match digit {
            '0'..='9' => k.digits.push(digit),
            '*' => k.digits.clear(),
            _ => {}
        }
        k.until = now + KEY_IN_WAIT;
        if digit == '#' || k.digits.len() >= KEY_IN_DIGITS {
            self.keyed_in(out);
        }
        true
    }

    /// The number keyed in is complete (or the wait ran out): file it.
    fn keyed_in(&mut self, out: &mut Vec<Action>) {
        let Some(k) = self.keying.take() else {
            return;
        };
        if k.digits.is_empty() {
            self.callback_refused("no number keyed in", out);
        } else {
            self.file_callback(k.digits, k.source, out);
        }
    }

    /// When the caller keying in a number has waited too long.
    pub(super) fn keying_deadline(&self) -> Option<Instant> {
        self.keying.as_ref().map(|k| k.until)
    }

    pub(super) fn keying_timed_out(&mut self, out: &mut Vec<Action>) {
        self.keyed_in(out);
    }

    /// Whether the caller is keying in a number.
    pub(super) fn keying(&self) -> bool {
        self.keying.is_some()
    }

    fn callback_refused(&mut self, why: &str, out: &mut Vec<Action>) {
        tracing::info!(call = %self.record.id, why, "callback request refused");
        let say = Say::Tts {
            text: CALLBACK_REFUSED.into(),
        };
        self.farewell(say, Disposition::Ivr, "callback request refused", out);
    }

    /// The I/O layer files a request for `number`.
    fn file_callback(&mut self, number: String, source: Source, out: &mut Vec<Action>) {
        self.asking_callback = true;
        out.push(Action::StopPrompt);
        out.push(Action::Play(Leg::A, crate::prompts::Prompt::Music));
        out.push(Action::FileCallback(CallbackAsk {
            tenant: self.record.tenant.clone(),
            number,
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
            Err(e) => self.callback_refused(&e, &mut out),
        }
        out
    }
}
