//! A caller waiting in a hunt group's queue. The edge answers, says that
//! every agent is busy and the caller's position, then plays music, with
//! the position again every third loop. The I/O layer keeps the group's
//! line of callers: it tells the call its position ([`Call::queue_position`])
//! and, when the call is first in line and a member is free, rings members
//! for it ([`Call::bridge`]). A ringing nobody answers puts the caller
//! back to waiting, first in line still, for [`QUEUE_RETRY`]. At the
//! longest wait the caller overflows to a mailbox, or the call ends.

use std::time::{Duration, Instant};

use domain::call::Disposition;
use domain::event::{Happening, LeftQueue};

use super::{Action, Call, State};
use crate::prompts::{Greeting, Prompt};
use crate::routing::QueueSpec;
use crate::rtp::Leg;

/// How long a caller waits after a ringing nobody answered before the
/// next one (Asterisk's `retry`).
pub const QUEUE_RETRY: Duration = Duration::from_secs(3);
/// Music loops between position announcements.
const ANNOUNCE_EVERY: u32 = 3;

#[derive(Debug, Clone)]
pub(super) struct Waiting {
    pub(super) spec: QueueSpec,
    deadline: Instant,
    /// 1-based, as the caller hears it.
    position: u16,
    loops: u32,
    /// No ringing before this (the last one went unanswered).
    retry_at: Option<Instant>,
}

impl Call {
    /// The edge answers the caller, who waits in the group's queue.
    pub(super) fn queue(&mut self, spec: QueueSpec, now: Instant, out: &mut Vec<Action>) {
        if !self.answer_at_edge(now, out) {
            return;
        }
        self.state = State::Queued;
        if self.record.queued_ms.is_none() {
            self.record.queued_ms = Some(self.wall_ms(now));
        }
        self.waiting = Some(Waiting {
            deadline: now + spec.max_wait,
            spec,
            position: 1,
            loops: 0,
            retry_at: None,
        });
        out.push(Action::Save(Box::new(self.record.clone())));
        if let Some(w) = &self.waiting {
            out.push(Action::Notify(Happening::Queued(w.spec.group.clone())));
        }
        out.push(Action::Play(Leg::A, Prompt::QueueJoin(1)));
    }

    /// The group this call waits for, while it waits.
    pub fn queued_for(&self) -> Option<&domain::HuntGroupId> {
        self.waiting
            .as_ref()
            .filter(|_| self.state == State::Queued)
            .map(|w| &w.spec.group)
    }

    /// Where the caller now stands in line (1 is next).
    pub fn queue_position(&mut self, position: u16) {
        if let Some(w) = &mut self.waiting {
            w.position = position.max(1);
        }
    }

    /// Whether members may be rung for this caller now: it waits, nobody
    /// rings for it, and no retry pause runs.
    pub fn ready_to_ring(&self, now: Instant) -> bool {
        self.state == State::Queued
            && !self.rings.iter().any(super::ringing::Ringing::active)
            && self
                .waiting
                .as_ref()
                .is_some_and(|w| w.retry_at.is_none_or(|t| now >= t))
    }

    /// A ringing for the waiting caller ended unanswered: wait again.
    pub(super) fn queue_ringing_failed(&mut self, now: Instant) {
        if let Some(w) = &mut self.waiting {
            w.retry_at = Some(now + QUEUE_RETRY);
        }
    }

    /// The next prompt while waiting: music, and the position every few loops.
    pub(super) fn queue_prompt_done(&mut self, out: &mut Vec<Action>) {
        let Some(w) = &mut self.waiting else {
            return;
        };
        w.loops += 1;
        let p = if w.loops % ANNOUNCE_EVERY == 0 {
            Prompt::QueuePosition(w.position)
        } else {
            Prompt::Music
        };
        out.push(Action::Play(Leg::A, p));
    }

    /// The wait ran out: the overflow's mailbox, or the end.
    pub(super) fn queue_timed_out(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(w) = self.waiting.take() else {
            return;
        };
        out.push(Action::Notify(Happening::LeftQueue(
            w.spec.group.clone(),
            LeftQueue::TimedOut,
        )));
        self.give_up_ringing(None, now, out);
        out.push(Action::StopPrompt);
        match w.spec.overflow {
            Some(mailbox) => {
                // Already answered: the greeting plays on the same dialog.
                self.record.callee = mailbox;
                self.voicemail(Greeting::Unavailable, now, out);
            }
            None if w.spec.spill_to.is_some() => {
                // On to the next group, as an application hands a caller on.
                let group = w.spec.spill_to.clone().unwrap_or(w.spec.group);
                self.spill(group, out);
            }
            None if w.spec.callback => {
                let group = w.spec.group.clone();
                self.ask_callback(domain::callback::Source::Queue { group }, now, out);
            }
            None => {
                self.hang_up(Leg::A, now, out);
                self.end(now, Disposition::NoAnswer, "queue wait limit", out);
            }
        }
    }

    /// When the wait runs out, while the caller waits.
    pub(super) fn queue_deadline(&self) -> Option<Instant> {
        self.waiting
            .as_ref()
            .filter(|_| self.state == State::Queued)
            .map(|w| w.deadline)
    }
}
