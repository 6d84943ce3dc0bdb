//! The edge answering a caller itself: a greeting, a beep, then the
//! caller's message is recorded (until it hangs up or the time limit).

use std::time::{Duration, Instant};

use domain::call::{Direction, Disposition};

use super::side::own_answer;
use super::{Action, Call, State};
use crate::prompts::{Greeting, Prompt};
use crate::rtp::Leg;
use crate::sdp::Direction as MediaDirection;

/// The longest voicemail message.
pub const VOICEMAIL_MAX: Duration = Duration::from_secs(120);

impl Call {
    /// The edge answers the caller: the greeting plays, then the message is recorded.
    pub(super) fn voicemail(&mut self, g: Greeting, now: Instant, out: &mut Vec<Action>) {
        self.give_up_ringing(None, now, out);
        if !self.answer_at_edge(now, out) {
            return;
        }
        self.state = State::Voicemail;
        self.greeting = Some(g);
        out.push(Action::Save(Box::new(self.record.clone())));
        out.push(Action::Play(Leg::A, Prompt::Greeting(g)));
    }

    /// The edge answers the caller with its own SDP, unless it already
    /// did; false when the caller made no offer to answer.
    pub(super) fn answer_at_edge(&mut self, now: Instant, out: &mut Vec<Action>) -> bool {
        if self.sides[0].dialog.is_some() {
            return true;
        }
        let Some(offer) = self.sides[0].sdp.clone() else {
            return false;
        };
        let payloads = own_answer(&offer);
        self.answer_caller(&payloads, MediaDirection::SendRecv, now, out);
        true
    }

    /// The prompt playing has finished: the application goes on (the
    /// greeting has been played: record the message).
    pub fn prompt_done(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if self.farewell_done(now, &mut out) || self.asking_callback || self.keying() {
            return out;
        }
        if self.state == State::Queued {
            self.queue_prompt_done(&mut out);
            return out;
        }
        if self.state == State::Ivr {
            self.ivr_prompt_done(now, &mut out);
            return out;
        }
        if self.state == State::Placing {
            self.placing_prompt_done(&mut out);
            return out;
        }
        if self.state == State::Voicemail && !self.recording {
            self.recording = true;
            self.voicemail_deadline = Some(now + VOICEMAIL_MAX);
            self.record.direction = Direction::Voicemail;
            self.record.answered_ms = Some(self.wall_ms(now));
            self.record.disposition = Disposition::Voicemail;
            out.push(Action::RecordVoicemail);
            out.push(Action::Save(Box::new(self.record.clone())));
        }
        out
    }
}
