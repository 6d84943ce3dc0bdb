//! Whether the phones of a silent call are still there. Neither party has
//! sent media for too long: both phones gone, a BYE lost for good, or just
//! a call on hold that sends nothing. An answered call asks both phones
//! inside their dialogs (OPTIONS, at most every five minutes) and ends when
//! one does not answer or no longer knows the dialog. A caller leaving a
//! voicemail must be sending.

use std::time::{Duration, Instant};

use domain::call::Disposition;

use super::{Action, Call, State};
use crate::rtp::Leg;

/// How often an answered call whose media stopped asks its phones whether
/// they are still there.
const PROBE_EVERY: Duration = Duration::from_secs(300);

impl Call {
    /// The relay heard nothing from either party for too long.
    pub fn media_timeout(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        match self.state {
            State::Answered => {
                let asked_lately = self
                    .probed_ok
                    .is_some_and(|t| now.duration_since(t) < PROBE_EVERY);
                if !self.probes.is_empty() || asked_lately {
                    return out;
                }
                for leg in [Leg::A, Leg::B] {
                    if let Some(id) = self.send_in_dialog(leg, "OPTIONS", &[], None, now, &mut out)
                    {
                        self.probes.push(id);
                    }
                }
            }
            State::Voicemail => {
                self.hang_up(Leg::A, now, &mut out);
                let d = if self.recording {
                    Disposition::Voicemail
                } else {
                    Disposition::NoAnswer
                };
                self.end(now, d, "no media", &mut out);
            }
            State::Queued => {
                self.give_up_ringing(None, now, &mut out);
                self.hang_up(Leg::A, now, &mut out);
                self.end(now, Disposition::Abandoned, "no media", &mut out);
            }
            State::Ivr => {
                self.give_up_ringing(None, now, &mut out);
                self.hang_up(Leg::A, now, &mut out);
                self.end(now, Disposition::Ivr, "no media", &mut out);
            }
            State::Calling | State::Placing | State::Ended => {}
        }
        out
    }

    /// Media flows again: probes still waiting for an answer no longer
    /// decide anything (a phone may well ignore OPTIONS).
    pub fn media_flowing(&mut self) {
        for id in std::mem::take(&mut self.probes) {
            self.retrans.stop(&id);
        }
    }

    /// A phone answered a probe: 408 or 481 mean it is gone, anything else
    /// (even 405) that it is there.
    pub(super) fn probe_answered(
        &mut self,
        branch: &str,
        code: u16,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        self.probes.retain(|p| p != branch);
        if matches!(code, 408 | 481) {
            self.peer_gone(now, out);
        } else if self.probes.is_empty() {
            self.probed_ok = Some(now);
        }
    }

    /// A phone of an answered call no longer answers in its dialog.
    pub(super) fn peer_gone(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.probes.clear();
        if self.state == State::Answered {
            self.hang_up(Leg::A, now, out);
            self.hang_up(Leg::B, now, out);
            self.end(now, Disposition::Answered, "no media", out);
        }
    }
}
