//! A caller in an ARS scenario. The edge answers and carries out the
//! steps of the caller's [`Walk`]: prompts play on side A
//! ([`Action::Say`]; the I/O layer speaks or loads them and reports
//! [`Call::prompt_done`]), keys (RFC 4733 or SIP INFO) go to the walk, and
//! silence past a menu's wait is a timeout. A key pressed while a menu
//! speaks cuts the prompt short (barge-in).
//!
//! When the walk routes the caller, the I/O layer asks routing what that
//! means now ([`Action::HandOff`], answered by [`Call::handed_off`]):
//! phones ring (music meanwhile, the caller stays answered; the first to
//! answer is bridged, see `bridge`), a queue, a mailbox, or a callback
//! request. The record keeps the caller's choices ([`IvrVisit`]).

use std::time::{Duration, Instant};

use domain::call::Disposition;
use domain::ivr::walk::{Input, Step, Walk};

use super::ringing::Ringing;
use super::{Action, Call, State};
use crate::prompts::{Greeting, Prompt};
use crate::routing::{Fallback, HandOff, Handoff, IvrSpec, IvrTarget};
use crate::rtp::Leg;

#[derive(Debug, Clone)]
pub(super) struct Menu {
    walk: Walk,
    /// When silence counts as the caller's answer (a menu's wait).
    wait_until: Option<Instant>,
    /// Routing is deciding where the walk's hand-over goes.
    handing_off: bool,
}

impl Call {
    /// The edge answers the caller and the scenario begins.
    pub(super) fn run_ivr(&mut self, spec: IvrSpec, now: Instant, out: &mut Vec<Action>) {
        if !self.answer_at_edge(now, out) {
            return;
        }
        self.state = State::Ivr;
        self.menu = Some(Menu {
            walk: Walk::new(spec.scenario, spec.one_offs),
            wait_until: None,
            handing_off: false,
        });
        out.push(Action::Save(Box::new(self.record.clone())));
        self.ivr_feed(Input::Start, now, out);
    }

    /// Whether the call is in its scenario (not yet handed over).
    fn in_menu(&self) -> bool {
        self.state == State::Ivr && self.menu.is_some()
    }

    fn ivr_feed(&mut self, input: Input, now: Instant, out: &mut Vec<Action>) {
        let at = self.wall_ms(now) / 1000;
        let Some(m) = self.menu.as_mut() else {
            return;
        };
        let steps = m.walk.feed(input, at);
        self.ivr_steps(steps, now, out);
    }

    /// Carries out the walk's steps.
    fn ivr_steps(&mut self, steps: Vec<Step>, now: Instant, out: &mut Vec<Action>) {
        let Some(m) = self.menu.as_mut() else {
            return;
        };
        if !steps.is_empty() {
            m.wait_until = None;
        }
        let path = m.walk.path().to_vec();
        if let Some(v) = self.record.ivr.as_mut()
            && v.path != path
        {
            v.path = path;
            out.push(Action::Save(Box::new(self.record.clone())));
        }
        let tenant = self.record.tenant.clone();
        for step in steps {
            let Some(m) = self.menu.as_mut() else {
                return;
            };
            match step {
                Step::Play(prompts) => out.push(Action::Say(Leg::A, prompts)),
                Step::Wait { secs } => {
                    m.wait_until = Some(now + Duration::from_secs(u64::from(secs)));
                }
                Step::Route(d) => {
                    m.handing_off = true;
                    out.push(Action::HandOff(HandOff {
                        tenant: tenant.clone(),
                        target: IvrTarget::To(d),
                    }));
                }
                Step::Extension(digits) => {
                    m.handing_off = true;
                    out.push(Action::HandOff(HandOff {
                        tenant: tenant.clone(),
                        target: IvrTarget::Extension(digits),
                    }));
                }
                Step::HangUp(Some(p)) => {
                    self.farewell(p, Disposition::Ivr, "the scenario hung up", out);
                }
                Step::HangUp(None) => self.ivr_hang_up("the scenario hung up", now, out),
            }
        }
    }

    /// The edge ends the call in the scenario.
    fn ivr_hang_up(&mut self, cause: &str, now: Instant, out: &mut Vec<Action>) {
        self.hang_up(Leg::A, now, out);
        self.end(now, Disposition::Ivr, cause, out);
    }

    /// A key the caller pressed while in the scenario: a menu's prompt
    /// stops if the key did something.
    pub(super) fn ivr_key(&mut self, digit: char, now: Instant, out: &mut Vec<Action>) {
        let at = self.wall_ms(now) / 1000;
        let Some(m) = self
            .menu
            .as_mut()
            .filter(|m| !m.handing_off && !m.walk.is_over())
        else {
            return;
        };
        let steps = m.walk.feed(Input::Key(digit), at);
        if !steps.is_empty() {
            out.push(Action::StopPrompt);
        }
        self.ivr_steps(steps, now, out);
    }

    pub(super) fn ivr_prompt_done(&mut self, now: Instant, out: &mut Vec<Action>) {
        match &self.menu {
            Some(m) if !m.handing_off => self.ivr_feed(Input::PromptDone, now, out),
            // Handed over and ringing: music until someone answers.
            _ if self.rings.iter().any(Ringing::active) => {
                out.push(Action::Play(Leg::A, Prompt::Music));
            }
            _ => {}
        }
    }

    /// A menu's wait ran out.
    pub(super) fn ivr_timed_out(&mut self, now: Instant, out: &mut Vec<Action>) {
        if let Some(m) = self.menu.as_mut() {
            m.wait_until = None;
        }
        self.ivr_feed(Input::Timeout, now, out);
    }

    /// When the current menu's wait runs out.
    pub(super) fn ivr_deadline(&self) -> Option<Instant> {
        self.menu
            .as_ref()
            .filter(|_| self.state == State::Ivr)
            .and_then(|m| m.wait_until)
    }

    /// A queue's longest wait sends the caller on to `group`: routing
    /// decides as for a scenario's hand-over to it.
    pub(super) fn spill(&mut self, group: domain::HuntGroupId, out: &mut Vec<Action>) {
        self.state = State::Ivr;
        self.spilling = true;
        self.record.hunt_group = Some(group.clone());
        out.push(Action::HandOff(HandOff {
            tenant: self.record.tenant.clone(),
            target: IvrTarget::To(domain::ivr::Destination::Group { group }),
        }));
    }

    /// Routing decided where the walk's hand-over goes (`Err`: it could
    /// not read the directory).
    pub fn handed_off(&mut self, h: Result<Handoff, String>, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        if !self.in_menu() && !std::mem::take(&mut self.spilling) {
            return out;
        }
        let h = h.unwrap_or_else(|e| {
            tracing::warn!(error = %e, call = %self.record.id, "ARS hand-over failed");
            Handoff::Unavailable("directory unavailable")
        });
        match h {
            Handoff::NoSuchExtension => {
                let at = self.wall_ms(now) / 1000;
                if let Some(m) = self.menu.as_mut() {
                    m.handing_off = false;
                    let steps = m.walk.no_such_extension(at);
                    self.ivr_steps(steps, now, &mut out);
                }
            }
            Handoff::Ring {
                forks,
                fallback,
                callee,
                hunt_group,
                b_to,
            } => {
                self.menu = None;
                self.fallback = fallback;
                self.record.hunt_group = hunt_group;
                let from = self.b_from.clone();
                out.extend(self.bridge(forks, (from, b_to), callee, now));
                if self.rings.iter().any(Ringing::active) {
                    out.push(Action::Play(Leg::A, Prompt::Music));
                } else {
                    // Nobody to ring after all: as if nobody answered.
                    self.ivr_nobody_answered(now, &mut out);
                }
            }
            Handoff::Queue { spec, callee } => {
                self.menu = None;
                self.record.callee = callee;
                self.record.hunt_group = Some(spec.group.clone());
                self.queue(spec, now, &mut out);
            }
            Handoff::Mailbox(party) => {
                self.menu = None;
                self.record.callee = party;
                self.voicemail(Greeting::Unavailable, now, &mut out);
            }
            Handoff::Callback => {
                let source = domain::callback::Source::Ivr {
                    scenario: self
                        .record
                        .ivr
                        .as_ref()
                        .map(|v| v.scenario.clone())
                        .unwrap_or_else(domain::IvrId::generate),
                };
                self.menu = None;
                self.ask_callback(source, now, &mut out);
            }
            Handoff::Unavailable(why) => {
                self.menu = None;
                self.ivr_unavailable(why, now, &mut out);
            }
        }
        out
    }

    /// Nobody can take the caller: the edge hangs up (the cause says why).
    fn ivr_unavailable(&mut self, why: &str, now: Instant, out: &mut Vec<Action>) {
        self.record.cause = Some(why.to_owned());
        self.hang_up(Leg::A, now, out);
        self.end(now, Disposition::Ivr, "nobody could take the call", out);
    }

    /// The phones the scenario rang did not answer: the fallback.
    pub(super) fn ivr_nobody_answered(&mut self, now: Instant, out: &mut Vec<Action>) {
        out.push(Action::StopPrompt);
        match std::mem::replace(&mut self.fallback, Fallback::Fail) {
            Fallback::Mailbox(p) => {
                self.record.callee = p;
                self.voicemail(Greeting::Unavailable, now, out);
            }
            Fallback::Voicemail => self.voicemail(Greeting::Unavailable, now, out),
            Fallback::Callback(group) => {
                self.ask_callback(domain::callback::Source::Queue { group }, now, out);
            }
            Fallback::Fail => {
                self.hang_up(Leg::A, now, out);
                self.end(now, Disposition::NoAnswer, "no answer", out);
            }
        }
    }
}
