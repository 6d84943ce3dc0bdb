//! Re-INVITEs in an answered call. A party's re-INVITE is passed to the
//! other party with the edge in the SDP (hold, resume, a new address),
//! or answered by the edge alone when only the codec or bitrate changes
//! (low-quality mode, 저음질: the relay transcodes, so the other party is
//! not asked and keeps hearing). The edge also sends its own: to take a
//! party off hold after a transfer, or to move a party handed over from
//! another call onto this call's relay.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::side::{answer_payloads, own_answer};
use super::{Action, Call, State, contact, new_branch, via};
use domain::event::{Happening, Side};

use crate::rtp::{Leg, LegMedia};
use crate::sdp::{Direction as MediaDirection, Sdp, offer_for_far_leg};
use crate::sip::message::{Request, Response, response, response_with};
use crate::transaction::Kind;

/// A re-INVITE the edge sent and awaits the answer to.
#[derive(Debug, Clone)]
pub struct Reinvite {
    /// The party's re-INVITE this passes on (its side, the request, its
    /// source); `None` for the edge's own offer.
    pub relayed: Option<(Leg, Request, SocketAddr)>,
    /// The side it went to.
    pub to: Leg,
    pub branch: String,
}

/// The retransmission id of our 200 to a re-INVITE from `leg` (until its ACK).
pub fn ok_id(leg: Leg) -> &'static str {
    match leg {
        Leg::A => "a-reinvite",
        Leg::B => "b-reinvite",
    }
}

impl Call {
    /// 200 to a re-INVITE from `from`, retransmitted until its ACK.
    fn accept_reinvite(
        &mut self,
        from: Leg,
        req: &Request,
        source: SocketAddr,
        sdp: Option<&[u8]>,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let ok = response_with(
            req,
            200,
            "OK",
            &[("Contact", contact(self.edge))],
            None,
            sdp.map(|b| ("application/sdp", b)),
        );
        self.server.answer(req, source, &ok, now);
        out.push(Action::Send(source, ok.clone()));
        self.retrans
            .start(ok_id(from), Kind::InviteFinal, source, ok, now);
    }

    pub(super) fn forward_reinvite(
        &mut self,
        from: Leg,
        req: &Request,
        source: SocketAddr,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let to = from.other();
        if self.reinvite.is_some()
            || self.transfer.is_some()
            || self.sides[to as usize].dialog.is_none()
        {
            // One offer at a time (RFC 3261 §14.1); a transfer in progress
            // has no settled other party yet.
            self.reply(req, source, (491, "Request Pending"), &[], now, out);
            return;
        }
        let sdp = Sdp::parse(&req.body).ok();
        if let Some(offer) = &sdp
            && !self.sides[from as usize].took_offer(offer)
        {
            // SRTP required, with no crypto suite the edge speaks.
            self.reply(req, source, (488, "Not Acceptable Here"), &[], now, out);
            return;
        }
        if let Some(offer) = &sdp
            && offer.direction == MediaDirection::SendRecv
            && self.sides[from as usize].sending == MediaDirection::SendRecv
            && offer.voice().is_some()
        {
            // Neither hold nor resume: a new codec or bitrate (low-quality
            // mode, 저음질) or address. The relay transcodes, so the other
            // party is not asked and keeps hearing without a gap.
            let payloads = own_answer(offer);
            out.push(Action::Media(from, LegMedia::answered(offer, &payloads)));
            let side = &mut self.sides[from as usize];
            side.sdp = sdp.clone();
            side.payloads = payloads.clone();
            let body = side.render(
                self.media[from as usize],
                &payloads,
                MediaDirection::SendRecv,
            );
            self.accept_reinvite(from, req, source, Some(&body), now, out);
            return;
        }
        if let Some(s) = &sdp {
            let by = if from == self.caller_leg(&self.record.id) {
                Side::Caller
            } else {
                Side::Callee
            };
            let was = self.sides[from as usize].sending;
            let holding = |d: MediaDirection| {
                matches!(d, MediaDirection::SendOnly | MediaDirection::Inactive)
            };
            if holding(s.direction) && !holding(was) {
                out.push(Action::Notify(Happening::Held(by)));
            } else if !holding(s.direction) && holding(was) {
                out.push(Action::Notify(Happening::Resumed(by)));
            }
            let side = &mut self.sides[from as usize];
            side.sending = s.direction;
            side.sdp = Some(s.clone());
            out.push(Action::Media(from, LegMedia::from_sdp(s)));
        }
        let body = sdp.map(|s| {
            let payloads = offer_for_far_leg(&s);
            self.sides[to as usize].render(self.media[to as usize], &payloads, s.direction)
        });
        let Some((dest, b, bytes)) = self.in_dialog(
            to,
            "INVITE",
            &[],
            body.as_deref().map(|b| ("application/sdp", b)),
        ) else {
            return;
        };
        out.push(Action::Send(
            source,
            response(req, 100, "Trying", &[], None),
        ));
        out.push(Action::Send(dest, bytes.clone()));
        self.retrans
            .start(b.clone(), Kind::InviteClient, dest, bytes, now);
        self.reinvite = Some(Reinvite {
            relayed: Some((from, req.clone(), source)),
            to,
            branch: b,
        });
    }

    /// The edge's own re-INVITE to `leg`'s party: its agreed codecs,
    /// sending and receiving (off hold, or onto this call's relay).
    pub(super) fn offer_again(&mut self, leg: Leg, now: Instant, out: &mut Vec<Action>) {
        if self.state != State::Answered || self.sides[leg as usize].dialog.is_none() {
            return;
        }
        if self.reinvite.is_some() {
            // After the offer in flight.
            self.reoffer[leg as usize] = Some(now + Duration::from_secs(1));
            return;
        }
        let side = &mut self.sides[leg as usize];
        let payloads = if side.payloads.is_empty() {
            side.sdp.as_ref().map(own_answer).unwrap_or_default()
        } else {
            side.payloads.clone()
        };
        let body = side.render(
            self.media[leg as usize],
            &payloads,
            MediaDirection::SendRecv,
        );
        let Some((dest, b, bytes)) =
            self.in_dialog(leg, "INVITE", &[], Some(("application/sdp", &body)))
        else {
            return;
        };
        out.push(Action::Send(dest, bytes.clone()));
        self.retrans
            .start(b.clone(), Kind::InviteClient, dest, bytes, now);
        self.reinvite = Some(Reinvite {
            relayed: None,
            to: leg,
            branch: b,
        });
    }

    pub(super) fn reinvite_answered(
        &mut self,
        resp: &Response,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let Some(ri) = self.reinvite.clone() else {
            return;
        };
        self.retrans.stop(&ri.branch);
        if resp.code < 200 {
            return;
        }
        self.reinvite = None;
        // An offer of the edge's own that waited for this one goes now.
        for at in self.reoffer.iter_mut().flatten() {
            *at = (*at).min(now);
        }
        let to = ri.to;
        if !(200..300).contains(&resp.code) {
            // Hop-by-hop ACK, then the same failure to the sender.
            if let Some(d) = &self.sides[to as usize].dialog {
                out.push(Action::Send(
                    d.peer,
                    d.ack_failure(resp, via(self.edge, &ri.branch)),
                ));
            }
            match ri.relayed {
                Some((_, req, source)) => {
                    let failure = response(&req, resp.code, &resp.reason, &[], None);
                    self.server.answer(&req, source, &failure, now);
                    out.push(Action::Send(source, failure));
                }
                None if resp.code == 491 => {
                    // Glare: our offer again after 2.1–4 s (RFC 3261 §14.1).
                    let wait = Duration::from_millis(2_100 + rand::random::<u64>() % 1_900);
                    self.reoffer[to as usize] = Some(now + wait);
                }
                None => tracing::info!(code = resp.code, "a party refused the edge's re-INVITE"),
            }
            return;
        }
        if let Some(d) = &self.sides[to as usize].dialog {
            out.push(Action::Send(
                d.peer,
                d.ack(resp, via(self.edge, &new_branch())),
            ));
        }
        let answer = Sdp::parse(&resp.body).ok();
        if let Some(a) = &answer {
            let side = &mut self.sides[to as usize];
            side.sending = a.direction;
            side.sdp = Some(a.clone());
            side.payloads = a.payloads.clone();
            side.took_answer(a);
            out.push(Action::Media(to, LegMedia::from_sdp(a)));
        }
        let Some((from, req, source)) = ri.relayed else {
            return;
        };
        let offer = Sdp::parse(&req.body).ok();
        let body = offer.map(|o| {
            let payloads = answer_payloads(&o, answer.as_ref());
            let dir = answer
                .as_ref()
                .map_or(MediaDirection::SendRecv, |a| a.direction);
            // The sender will use what we answered: the relay must too.
            out.push(Action::Media(from, LegMedia::answered(&o, &payloads)));
            self.sides[from as usize].payloads = payloads.clone();
            self.sides[from as usize].render(self.media[from as usize], &payloads, dir)
        });
        self.accept_reinvite(from, &req, source, body.as_deref(), now, out);
    }

    /// Our re-INVITE was never answered (timer B).
    pub(super) fn reinvite_expired(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(ri) = self.reinvite.take() else {
            return;
        };
        if let Some((_, req, source)) = ri.relayed {
            // The other side never answered: tell the sender.
            let timeout = response(&req, 408, "Request Timeout", &[], None);
            self.server.answer(&req, source, &timeout, now);
            out.push(Action::Send(source, timeout));
        }
    }
}
