//! A call the edge answered itself (an application: a greeting, voicemail,
//! and next an IVR menu or a queue) and then bridges to a user: the edge
//! rings the user's phones into side B, and the first to answer is joined
//! to the caller, whose prompt stops. The caller's dialog is not touched:
//! the relay transcodes between whatever each party speaks.

use std::time::Instant;

use domain::call::{Disposition, Party};

use super::ringing::Ringing;
use super::{Action, Call, State};
use crate::dialog::Dialog;
use crate::fork::ForkPlan;
use crate::rtp::Leg;
use crate::sdp::{Direction as MediaDirection, Sdp, offer_for_far_leg};

impl Call {
    /// Rings `callee` (From and To of the INVITEs in `b`) by `forks` for a
    /// caller the edge answered. Nothing happens unless the edge answered
    /// the call and no one rings for it yet.
    pub fn bridge(
        &mut self,
        forks: ForkPlan,
        b: (String, String),
        callee: Party,
        now: Instant,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        if !matches!(self.state, State::Voicemail | State::Queued | State::Ivr)
            || self.rings.iter().any(Ringing::active)
        {
            return out;
        }
        let offer = self.sides[0]
            .sdp
            .as_ref()
            .map(offer_for_far_leg)
            .unwrap_or_default();
        let sdp = self.sides[1].offer(self.media[1], &offer, MediaDirection::SendRecv);
        let ring = Ringing::new(Leg::B, self.sides[1].call_id.clone(), b, sdp, forks, now);
        self.record.callee = callee;
        out.push(Action::Save(Box::new(self.record.clone())));
        let _ = self.ring(ring, now, &mut out);
        out
    }

    /// The user rung for an edge-answered caller answered: the two talk.
    pub(super) fn bridged(
        &mut self,
        dialog: Dialog,
        answer: Option<Sdp>,
        secured: bool,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if let Some(m) = self.sides[Leg::B as usize].answered(dialog, answer, secured) {
            out.push(Action::Media(Leg::B, m));
        }
        out.push(Action::StopPrompt);
        if self.recording {
            // A message was being left: it ends here, the call goes on.
            self.recording = false;
            out.push(Action::Record(false));
        }
        self.voicemail_deadline = None;
        self.greeting = None;
        let waited = self.waiting.take();
        if let Some(w) = &waited {
            out.push(Action::Notify(domain::event::Happening::LeftQueue(
                w.spec.group.clone(),
                domain::event::LeftQueue::Answered,
            )));
        }
        if waited.is_some() || self.record.answered_ms.is_none() {
            // Talk time starts now; the wait or the menu was not talk.
            self.record.answered_ms = Some(self.wall_ms(now));
        }
        self.state = State::Answered;
        self.record.disposition = Disposition::Answered;
        out.push(Action::Save(Box::new(self.record.clone())));
        if self.auto_record {
            self.set_recording(true, out);
        }
    }
}
