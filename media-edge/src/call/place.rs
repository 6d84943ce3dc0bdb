//! A call the edge places itself (a one-click callback; click-to-call
//! next): side A is the agent, whose phones the edge rings first (as UAC,
//! with its own offer); when one answers, the agent hears music while side
//! B, the customer, is dialled; when the customer answers, the two talk as
//! in any answered call. The agent not answering ends the call unplaced;
//! the customer not answering hangs the agent up, with the customer's
//! failure on the record.

use std::net::SocketAddr;
use std::time::Instant;

use domain::call::{CallRecord, Disposition};

use super::ringing::{Outcome, Ringing};
use super::{Action, Call, Setup, State, failure, token};
use crate::fork::ForkPlan;
use crate::prompts::Prompt;
use crate::routing::Fallback;
use crate::rtp::Leg;
use crate::sdp::{Codec, Direction as MediaDirection, Payload, offer_for_far_leg};
use crate::sip::message::Request;

/// What the edge needs to place a call.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Caller: the agent; callee: the customer.
    pub record: CallRecord,
    /// The agent's phones, and From / To of the INVITEs to them (the
    /// From shows the customer's number).
    pub agent: ForkPlan,
    pub agent_ids: (String, String),
    /// The customer (a trunk target or a colleague's phones), and From / To.
    pub customer: ForkPlan,
    pub customer_ids: (String, String),
    /// The relay's address facing each leg, and the edge's SIP address.
    pub media: [SocketAddr; 2],
    pub edge: SocketAddr,
    pub auto_record: bool,
}

/// What the edge offers a party it calls first: G.711 both ways (the
/// relay transcodes) and telephone events.
fn own_offer() -> Vec<Payload> {
    let p = |pt, codec, rtpmap: Option<&str>| Payload {
        pt,
        codec,
        rtpmap: rtpmap.map(str::to_owned),
        fmtp: None,
    };
    vec![
        p(8, Codec::Pcma, None),
        p(0, Codec::Pcmu, None),
        p(101, Codec::TelephoneEvent, Some("telephone-event/8000")),
    ]
}

impl Placement {
    /// The Call-ID of the agent's leg (the call's first).
    pub fn a_call_id(&self) -> String {
        format!("{}@office-edge", self.record.id)
    }
}

impl Call {
    /// Places the call: the agent's phones ring.
    pub fn place(p: Placement, now: Instant) -> (Self, Vec<Action>) {
        let a_call_id = p.a_call_id();
        // The call's state keeps the INVITE a caller would have sent; a
        // placed call has none, so it holds a stand-in with the agent
        // leg's Call-ID (never sent, never answered).
        let stand_in = format!(
            "INVITE sip:edge@{} SIP/2.0\r\nVia: SIP/2.0/UDP {};branch=z9hG4bK{}\r\nFrom: <sip:edge@{}>;tag={}\r\nTo: <sip:edge@{}>\r\nCall-ID: {a_call_id}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
            p.edge,
            p.edge,
            token(),
            p.edge,
            token(),
            p.edge
        );
        let invite = Request::parse(stand_in.as_bytes())
            .unwrap_or_else(|_| unreachable!("the stand-in INVITE is well formed"));
        let mut call = Self::new(
            Setup {
                record: p.record,
                invite,
                source: p.edge,
                forks: p.customer.clone(),
                b_from: p.customer_ids.0.clone(),
                b_to: p.customer_ids.1.clone(),
                media: p.media,
                edge: p.edge,
                auto_record: p.auto_record,
                application: None,
                fallback: Fallback::Fail,
            },
            now,
        );
        call.state = State::Placing;
        call.placing = Some((p.customer, p.customer_ids));
        let mut out = vec![Action::Save(Box::new(call.record.clone()))];
        let offer = own_offer();
        let sdp = call.sides[0].offer(call.media[0], &offer, MediaDirection::SendRecv);
        let ring = Ringing::new(Leg::A, a_call_id, p.agent_ids, sdp, p.agent, now);
        if !call.ring(ring, now, &mut out) {
            call.end(
                now,
                Disposition::Failed,
                "agent has no phone here",
                &mut out,
            );
        }
        (call, out)
    }

    /// What the ringing of side `side` came to while placing the call.
    pub(super) fn placing_rung(
        &mut self,
        side: Leg,
        outcome: Outcome,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        match (side, outcome) {
            (_, Outcome::Ringing) => {}
            (
                Leg::A,
                Outcome::Answered {
                    dialog,
                    answer,
                    secured,
                    ..
                },
            ) => {
                let offer = answer.as_ref().map_or_else(own_offer, offer_for_far_leg);
                if let Some(m) = self.sides[0].answered(*dialog, answer, secured) {
                    out.push(Action::Media(Leg::A, m));
                }
                let Some((forks, ids)) = self.placing.take() else {
                    return;
                };
                let sdp = self.sides[1].offer(self.media[1], &offer, MediaDirection::SendRecv);
                let ring =
                    Ringing::new(Leg::B, self.sides[1].call_id.clone(), ids, sdp, forks, now);
                out.push(Action::Save(Box::new(self.record.clone())));
                if self.ring(ring, now, out) {
                    // The agent waits for the customer with music.
                    out.push(Action::Play(Leg::A, Prompt::Music));
                } else {
                    self.hang_up(Leg::A, now, out);
                    self.end(now, Disposition::Failed, "nobody to dial", out);
                }
            }
            (Leg::A, Outcome::NoAnswer | Outcome::Failed(_)) => {
                self.end(now, Disposition::NoAnswer, "agent did not answer", out);
            }
            (
                Leg::B,
                Outcome::Answered {
                    dialog,
                    answer,
                    secured,
                    ..
                },
            ) => {
                if let Some(m) = self.sides[1].answered(*dialog, answer, secured) {
                    out.push(Action::Media(Leg::B, m));
                }
                out.push(Action::StopPrompt);
                self.state = State::Answered;
                self.record.answered_ms = Some(self.wall_ms(now));
                self.record.disposition = Disposition::Answered;
                out.push(Action::Save(Box::new(self.record.clone())));
                if self.auto_record {
                    self.set_recording(true, out);
                }
            }
            (Leg::B, Outcome::NoAnswer) => {
                out.push(Action::StopPrompt);
                self.hang_up(Leg::A, now, out);
                self.end(now, Disposition::NoAnswer, "customer did not answer", out);
            }
            (Leg::B, Outcome::Failed(code)) => {
                out.push(Action::StopPrompt);
                self.hang_up(Leg::A, now, out);
                let (code, reason, disposition) = failure(code);
                self.end(now, disposition, &format!("customer {code} {reason}"), out);
            }
        }
    }

    /// The music the agent hears while the customer rings goes on.
    pub(super) fn placing_prompt_done(&self, out: &mut Vec<Action>) {
        if self.state == State::Placing && self.rings.iter().any(|r| r.side == Leg::B && r.active())
        {
            out.push(Action::Play(Leg::A, Prompt::Music));
        }
    }
}
