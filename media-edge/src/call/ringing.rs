//! Ringing one side of a call: the INVITEs the edge sends as UAC to the
//! targets of a [`ForkPlan`], stage by stage; CANCELs; a trunk's digest
//! challenge; and what the forks' answers amount to ([`Outcome`]). The
//! first 2xx wins; later ones are ACKed and hung up.
//!
//! A call rings its callee this way when it starts, and rings a transfer's
//! target the same way into the side the transferor leaves.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use super::side::Offer;
use super::{ALLOW, Action, contact, new_branch, via};
use crate::dialog::{self, Dialog, with_tag};
use crate::fork::{ForkPlan, Stage, Target, TrunkAuth};
use crate::rtp::Leg;
use crate::sdp::Sdp;
use crate::sip::digest::challenge_response;
use crate::sip::message::{Response, param, request};
use crate::transaction::{Kind, Retransmissions};

/// What the forks' answers amount to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A fork rings (its first provisional other than 100).
    Ringing,
    /// A fork answered (already ACKed; the others are being cancelled).
    Answered {
        dialog: Box<Dialog>,
        answer: Option<Sdp>,
        /// The target's `answers_as` (a hunt group's member).
        answers_as: Option<domain::Party>,
        /// The fork was sent the offer with our SRTP key (reached over TLS).
        secured: bool,
    },
    /// The last stage's time ran out with nobody answering.
    NoAnswer,
    /// Every fork of every stage failed: the status a PBX passes on.
    Failed(u16),
}

#[derive(Debug, Clone)]
struct Fork {
    target: Target,
    branch: String,
    cseq: u32,
    provisional: bool,
    final_code: Option<u16>,
    cancel_pending: bool,
    /// A CANCEL went (or waits for a provisional to go).
    cancelled: bool,
    auth_tried: bool,
}

/// The edge's outgoing INVITEs towards one side, for one fork plan.
#[derive(Debug, Clone)]
pub struct Ringing {
    /// The side of the call whose party this rings.
    pub side: Leg,
    pub call_id: String,
    /// From (our name-addr, without tag) and To of the INVITEs.
    pub from: String,
    pub tag: String,
    pub to: String,
    sdp: Offer,
    forks: Vec<Fork>,
    stages: VecDeque<Stage>,
    deadline: Instant,
    /// A fork answered, or the ringing was given up.
    done: bool,
    /// The dialog the winning 2xx formed (its repeats are ACKed again).
    winner: Option<Dialog>,
}

/// Where the edge is and what its outputs go into.
#[derive(Debug)]
pub struct Io<'a> {
    pub edge: SocketAddr,
    pub retrans: &'a mut Retransmissions,
    pub out: &'a mut Vec<Action>,
    pub now: Instant,
}

impl Ringing {
    /// Ringing with `sdp` (the edge's offer: its secured variant goes to
    /// targets reached over TLS) by `plan`; nothing sent until
    /// [`Ringing::next_stage`].
    pub fn new(
        side: Leg,
        call_id: String,
        (from, to): (String, String),
        sdp: Offer,
        plan: ForkPlan,
        now: Instant,
    ) -> Self {
        Self {
            side,
            call_id,
            from,
            tag: super::token(),
            to,
            sdp,
            forks: Vec::new(),
            stages: plan.stages.into(),
            deadline: now,
            done: false,
            winner: None,
        }
    }

    /// Still ringing (no answer, not given up).
    pub fn active(&self) -> bool {
        !self.done
    }

    /// When the stage ringing now gives up.
    pub fn deadline(&self) -> Option<Instant> {
        (!self.done).then_some(self.deadline)
    }

    /// Rings the next stage of the plan that has targets; false when none is left.
    pub fn next_stage(&mut self, io: &mut Io<'_>) -> bool {
        while let Some(stage) = self.stages.pop_front() {
            if stage.targets.is_empty() {
                continue;
            }
            self.deadline = io.now + stage.timeout;
            for target in stage.targets {
                let mut fork = Fork {
                    target,
                    branch: String::new(),
                    cseq: 1,
                    provisional: false,
                    final_code: None,
                    cancel_pending: false,
                    cancelled: false,
                    auth_tried: false,
                };
                self.send_invite(&mut fork, None, io);
                self.forks.push(fork);
            }
            return true;
        }
        false
    }

    fn send_invite(&self, fork: &mut Fork, auth: Option<(&'static str, String)>, io: &mut Io<'_>) {
        fork.branch = new_branch();
        let mut headers: Vec<(&str, String)> = vec![
            ("Via", via(io.edge, &fork.branch)),
            ("Max-Forwards", "70".into()),
            ("From", with_tag(&self.from, &self.tag)),
            ("To", self.to.clone()),
            ("Call-ID", self.call_id.clone()),
            ("CSeq", format!("{} INVITE", fork.cseq)),
            ("Contact", contact(io.edge)),
            ("Allow", ALLOW.into()),
        ];
        headers.extend(auth);
        let invite = request(
            "INVITE",
            &fork.target.uri,
            &headers,
            Some(("application/sdp", self.body(&fork.target))),
        );
        io.out.push(Action::Send(fork.target.dest, invite.clone()));
        io.retrans.start(
            fork.branch.clone(),
            Kind::InviteClient,
            fork.target.dest,
            invite,
            io.now,
        );
    }

    fn body(&self, target: &Target) -> &[u8] {
        if target.secure {
            &self.sdp.secured
        } else {
            &self.sdp.plain
        }
    }

    /// Stops ringing: CANCEL every fork still ringing. Answers that still
    /// come are ACKed and hung up.
    pub fn give_up(&mut self, io: &mut Io<'_>) {
        self.done = true;
        self.cancel(None, io);
    }

    fn cancel(&mut self, except: Option<usize>, io: &mut Io<'_>) {
        for i in 0..self.forks.len() {
            let f = &mut self.forks[i];
            if Some(i) == except || f.final_code.is_some() || f.cancelled {
                continue;
            }
            f.cancelled = true;
            if f.provisional {
                self.send_cancel(i, io);
            } else {
                // RFC 3261 §9.1: not before a provisional.
                f.cancel_pending = true;
            }
        }
    }

    fn send_cancel(&self, i: usize, io: &mut Io<'_>) {
        let f = &self.forks[i];
        let cancel = request(
            "CANCEL",
            &f.target.uri,
            &[
                ("Via", via(io.edge, &f.branch)),
                ("Max-Forwards", "70".into()),
                ("From", with_tag(&self.from, &self.tag)),
                ("To", self.to.clone()),
                ("Call-ID", self.call_id.clone()),
                ("CSeq", format!("{} CANCEL", f.cseq)),
            ],
            None,
        );
        let (to, id) = (f.target.dest, format!("cancel-{}", f.branch));
        io.out.push(Action::Send(to, cancel.clone()));
        io.retrans
            .start(id, Kind::NonInviteClient, to, cancel, io.now);
    }

    /// Whether a response belongs to one of this ringing's INVITEs.
    pub fn owns(&self, branch: &str) -> bool {
        self.forks.iter().any(|f| f.branch == branch)
    }

    /// An answer to one of our INVITEs (matched by Call-ID).
    pub fn on_response(
        &mut self,
        branch: &str,
        resp: &Response,
        io: &mut Io<'_>,
    ) -> Option<Outcome> {
        let tag = resp.header("To").and_then(|t| param(t, "tag"));
        let from_winner = (200..300).contains(&resp.code)
            && self
                .winner
                .as_ref()
                .is_some_and(|d| tag == Some(d.remote_tag.as_str()));
        if from_winner {
            // The answer again (our ACK was lost): ACK again.
            if let Some(d) = &self.winner {
                io.out.push(Action::Send(
                    d.peer,
                    d.ack(resp, via(io.edge, &new_branch())),
                ));
            }
            return None;
        }
        let i = self.forks.iter().position(|f| f.branch == branch)?;
        io.retrans.stop(branch);
        if resp.code < 200 {
            let first = !self.forks[i].provisional;
            self.forks[i].provisional = true;
            if self.forks[i].cancel_pending {
                self.forks[i].cancel_pending = false;
                self.send_cancel(i, io);
                return None;
            }
            return (!self.done && resp.code != 100 && first).then_some(Outcome::Ringing);
        }
        if resp.code >= 300 {
            // Hop-by-hop ACK of a failure, on the INVITE's branch.
            let f = &self.forks[i];
            let ack = dialog::ack(
                &f.target.uri,
                via(io.edge, &f.branch),
                (&self.from, &self.tag),
                resp,
                &self.call_id,
                f.cseq,
            );
            io.out.push(Action::Send(f.target.dest, ack));
            if self.forks[i].final_code.is_some() {
                return None;
            }
            if matches!(resp.code, 401 | 407)
                && !self.forks[i].auth_tried
                && !self.done
                && let Some(auth) = self.forks[i].target.auth.clone()
                && let Some(h) = authorization(resp, &self.forks[i].target.uri, &auth)
            {
                let mut f = self.forks[i].clone();
                f.auth_tried = true;
                f.cseq += 1;
                f.provisional = false;
                self.send_invite(&mut f, Some(h), io);
                self.forks[i] = f;
                return None;
            }
            self.forks[i].final_code = Some(resp.code);
            return self.all_failed(io);
        }
        // 2xx.
        self.forks[i].final_code.get_or_insert(resp.code);
        let f = self.forks[i].clone();
        let mut d = Dialog::answered(
            &self.call_id,
            (&self.from, &self.tag),
            resp,
            &f.target.uri,
            f.target.dest,
            f.cseq,
        );
        io.out.push(Action::Send(
            d.peer,
            d.ack(resp, via(io.edge, &new_branch())),
        ));
        if self.done {
            // Another fork won, or the ringing was given up: hang this one up.
            let b = new_branch();
            let bye = d.request("BYE", via(io.edge, &b), contact(io.edge), &[], None);
            io.out.push(Action::Send(d.peer, bye.clone()));
            io.retrans
                .start(b, Kind::NonInviteClient, d.peer, bye, io.now);
            return None;
        }
        self.done = true;
        self.cancel(Some(i), io);
        self.winner = Some(d.clone());
        Some(Outcome::Answered {
            dialog: Box::new(d),
            answer: Sdp::parse(&resp.body).ok(),
            answers_as: f.target.answers_as.clone(),
            secured: f.target.secure,
        })
    }

    /// A retransmitted INVITE of ours was never answered (timer B).
    pub fn expired(&mut self, id: &str, io: &mut Io<'_>) -> Option<Outcome> {
        let i = self.forks.iter().position(|f| f.branch == id)?;
        if self.forks[i].final_code.is_some() {
            return None;
        }
        self.forks[i].final_code = Some(408);
        self.all_failed(io)
    }

    /// The stage's time ran out: the next stage rings, else nobody answered.
    pub fn tick(&mut self, io: &mut Io<'_>) -> Option<Outcome> {
        if self.done || io.now < self.deadline {
            return None;
        }
        self.cancel(None, io);
        if self.next_stage(io) {
            return None;
        }
        self.done = true;
        Some(Outcome::NoAnswer)
    }

    fn all_failed(&mut self, io: &mut Io<'_>) -> Option<Outcome> {
        if self.done || self.forks.iter().any(|f| f.final_code.is_none()) {
            return None;
        }
        if self.next_stage(io) {
            return None;
        }
        self.done = true;
        let codes: Vec<u16> = self.forks.iter().filter_map(|f| f.final_code).collect();
        // As a PBX answers: busy wins, then a global failure, then the lowest class.
        let code = if codes.iter().any(|&c| c == 486 || c == 600) {
            486
        } else if let Some(&c) = codes.iter().find(|&&c| c >= 600) {
            c
        } else {
            codes.iter().copied().min().unwrap_or(480)
        };
        Some(Outcome::Failed(code))
    }
}

fn authorization(resp: &Response, uri: &str, auth: &TrunkAuth) -> Option<(&'static str, String)> {
    let (challenge, header) = if resp.code == 407 {
        (resp.header("Proxy-Authenticate")?, "Proxy-Authorization")
    } else {
        (resp.header("WWW-Authenticate")?, "Authorization")
    };
    let value = challenge_response(challenge, "INVITE", uri, &auth.username, &auth.password)?;
    Some((header, value))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sip::message::{Message, Request};

    const EDGE: &str = "203.0.113.1:5060";

    fn target(dest: &str) -> Target {
        Target {
            uri: format!("sip:1002@{dest}"),
            dest: dest.parse().expect("addr"),
            auth: None,
            answers_as: None,
            secure: dest.ends_with(":5061"),
        }
    }

    fn sent(out: &[Action], method: &str) -> Vec<Request> {
        out.iter()
            .filter_map(|a| match a {
                Action::Send(_, b) => match Message::parse(b) {
                    Ok(Message::Request(r)) if r.method == method => Some(r),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    fn reply(to: &Request, code: u16, tag: &str) -> Response {
        let mut s = format!("SIP/2.0 {code} X\r\n");
        for n in ["Via", "From", "Call-ID", "CSeq"] {
            s.push_str(&format!("{n}: {}\r\n", to.header(n).expect("header")));
        }
        s.push_str(&format!(
            "To: {};tag={tag}\r\nContact: <sip:1002@192.0.2.20>\r\nContent-Length: 0\r\n\r\n",
            to.header("To").expect("to")
        ));
        Response::parse(s.as_bytes()).expect("response")
    }

    fn branch_of(r: &Request) -> String {
        r.header("Via")
            .and_then(|v| param(v, "branch"))
            .expect("branch")
            .to_owned()
    }

    /// A ringing of `plan` into `side`, and what it needs to run.
    fn ringing(side: Leg, plan: ForkPlan, now: Instant) -> (Ringing, Retransmissions, Vec<Action>) {
        let r = Ringing::new(
            side,
            "c@edge".into(),
            ("<sip:a@x>".into(), "<sip:b@x>".into()),
            Offer {
                plain: b"v=0\r\n".to_vec(),
                secured: b"v=0\r\na=crypto\r\n".to_vec(),
            },
            plan,
            now,
        );
        (r, Retransmissions::default(), Vec::new())
    }

    #[test]
    fn a_hunt_in_stages_moves_on_when_a_stage_fails_or_times_out() {
        let now = Instant::now();
        let plan = ForkPlan::sequential(
            vec![
                target("192.0.2.20:5060"),
                target("192.0.2.21:5060"),
                target("192.0.2.22:5060"),
            ],
            Duration::from_secs(10),
        );
        let (mut r, mut retrans, mut out) = ringing(Leg::B, plan, now);
        let mut io = Io {
            edge: EDGE.parse().expect("addr"),
            retrans: &mut retrans,
            out: &mut out,
            now,
        };
        assert!(r.next_stage(&mut io));
        let first = sent(io.out, "INVITE").pop().expect("first rings");
        // Busy: the second stage rings at once.
        io.out.clear();
        assert!(
            r.on_response(&branch_of(&first), &reply(&first, 486, "t1"), &mut io)
                .is_none()
        );
        assert_eq!(sent(io.out, "ACK").len(), 1);
        let second = sent(io.out, "INVITE").pop().expect("second rings");
        assert_eq!(second.uri, "sip:1002@192.0.2.21:5060");
        // It rings, then its time runs out: CANCEL it, ring the third.
        assert!(matches!(
            r.on_response(&branch_of(&second), &reply(&second, 180, "t2"), &mut io),
            Some(Outcome::Ringing)
        ));
        io.out.clear();
        io.now = now + Duration::from_secs(11);
        assert!(r.tick(&mut io).is_none());
        assert_eq!(sent(io.out, "CANCEL").len(), 1);
        let third = sent(io.out, "INVITE").pop().expect("third rings");
        assert!(
            r.on_response(&branch_of(&second), &reply(&second, 487, "t2"), &mut io)
                .is_none()
        );
        // It never answers at all (timer B): everything failed.
        let outcome = r.expired(&branch_of(&third), &mut io);
        assert!(
            matches!(outcome, Some(Outcome::Failed(486))),
            "busy wins: {outcome:?}"
        );
        assert!(!r.active());
    }

    #[test]
    fn the_first_answer_wins_and_a_late_one_is_hung_up() {
        let now = Instant::now();
        let plan = ForkPlan::parallel(
            vec![target("192.0.2.20:5060"), target("192.0.2.21:5060")],
            Duration::from_secs(30),
        );
        let (mut r, mut retrans, mut out) = ringing(Leg::A, plan, now);
        let mut io = Io {
            edge: EDGE.parse().expect("addr"),
            retrans: &mut retrans,
            out: &mut out,
            now,
        };
        r.next_stage(&mut io);
        let invites = sent(io.out, "INVITE");
        io.out.clear();
        let won = r.on_response(
            &branch_of(&invites[0]),
            &reply(&invites[0], 200, "w"),
            &mut io,
        );
        assert!(
            matches!(won, Some(Outcome::Answered { ref dialog, .. }) if dialog.remote_tag == "w")
        );
        assert_eq!(sent(io.out, "ACK").len(), 1);
        assert!(
            sent(io.out, "CANCEL").is_empty(),
            "the other has not rung yet: its CANCEL waits"
        );
        io.out.clear();
        // The other rings now: its CANCEL goes.
        r.on_response(
            &branch_of(&invites[1]),
            &reply(&invites[1], 180, "l"),
            &mut io,
        );
        assert_eq!(sent(io.out, "CANCEL").len(), 1);
        io.out.clear();
        // And answers anyway: ACK and BYE.
        assert!(
            r.on_response(
                &branch_of(&invites[1]),
                &reply(&invites[1], 200, "l"),
                &mut io
            )
            .is_none()
        );
        assert_eq!(
            (sent(io.out, "ACK").len(), sent(io.out, "BYE").len()),
            (1, 1)
        );
        io.out.clear();
        // The winner's 200 again: ACK again, nothing else.
        assert!(
            r.on_response(
                &branch_of(&invites[0]),
                &reply(&invites[0], 200, "w"),
                &mut io
            )
            .is_none()
        );
        assert_eq!(
            (sent(io.out, "ACK").len(), sent(io.out, "BYE").len()),
            (1, 0)
        );
    }
}
