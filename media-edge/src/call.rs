//! The back-to-back user agent: one call, two dialogs, as a sans-IO state
//! machine. Leg A faces the caller (we are its UAS), leg B the callee (we
//! are its UAC; before an answer, one B fork per registered contact).
//!
//! Inputs are parsed messages with their source and the time; outputs are
//! [`Action`]s for the I/O layer (datagrams to send, media settings,
//! recording switches, call-record writes). Retransmissions over UDP
//! (RFC 3261 §17 timers A, E, G) are kept here and fired by [`Call::tick`].

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use std::collections::VecDeque;

use domain::call::{CallRecord, Direction, Disposition};

use crate::dialog::{self, Dialog, with_tag};
pub use crate::fork::{ForkPlan, Stage, Target, TrunkAuth};
use crate::prompts::Greeting;
use crate::routing::{Application, Fallback};
use crate::rtp::{Leg, LegMedia};
use crate::sdp::{Direction as MediaDirection, Payload, Sdp, offer_for_far_leg};
use crate::sip::digest::challenge_response;
use crate::sip::message::{Request, Response, param, request, response, response_with};
use crate::transaction::{GIVE_UP, Kind, Retransmissions, Seen, ServerTransactions, T4};

pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE";
/// How soon after `*` the feature digit must follow.
const FEATURE_CODE_WINDOW: Duration = Duration::from_secs(3);
/// The longest voicemail message.
pub const VOICEMAIL_MAX: Duration = Duration::from_secs(120);
/// How often an answered call whose media stopped asks its phones whether
/// they are still there.
const PROBE_EVERY: Duration = Duration::from_secs(300);

/// Everything a call needs when its INVITE has been accepted.
#[derive(Debug, Clone)]
pub struct Setup {
    pub record: CallRecord,
    pub invite: Request,
    pub source: SocketAddr,
    /// Where leg B rings, stage by stage.
    pub forks: ForkPlan,
    /// From and To of leg B (name-addrs without tags).
    pub b_from: String,
    pub b_to: String,
    /// The relay's address facing each leg.
    pub media: [SocketAddr; 2],
    /// The edge's SIP address (Via, Contact).
    pub edge: SocketAddr,
    pub auto_record: bool,
    /// Answered by the edge at once (voicemail after hours), instead of ringing.
    pub application: Option<Application>,
    /// When every stage failed or timed out.
    pub fallback: Fallback,
}

/// What the I/O layer must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Send(SocketAddr, Vec<u8>),
    Media(Leg, LegMedia),
    /// Start (true) or stop (false) a recording segment.
    Record(bool),
    /// Play a greeting to a leg; the I/O layer calls [`Call::prompt_done`] after.
    Play(Leg, Greeting),
    /// Start recording the caller alone (a voicemail); `Record(false)` stops it.
    RecordVoicemail,
    /// Store the record (the call is still up).
    Save(Box<CallRecord>),
    /// Store the final record; the call is over.
    Close(Box<CallRecord>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// INVITE forwarded, no final answer yet.
    Calling,
    Answered,
    /// The edge answered: greeting, then recording a message.
    Voicemail,
    /// Final answer given or BYE sent; lingering for retransmissions.
    Ended,
}

#[derive(Debug, Clone)]
struct Fork {
    target: Target,
    branch: String,
    cseq: u32,
    invite: Vec<u8>,
    provisional: bool,
    final_code: Option<u16>,
    remote_tag: Option<String>,
    cancel_pending: bool,
    /// A CANCEL went (or waits for a provisional to go).
    cancelled: bool,
    auth_tried: bool,
}

/// A re-INVITE passed from one leg to the other, awaiting the answer.
#[derive(Debug, Clone)]
struct Reinvite {
    from: Leg,
    req: Request,
    source: SocketAddr,
    branch: String,
}

#[derive(Debug)]
pub struct Call {
    pub record: CallRecord,
    state: State,
    created: Instant,
    invite: Request,
    a_source: SocketAddr,
    a_tag: String,
    a_sdp: Option<Sdp>,
    a_dialog: Option<Dialog>,
    b_call_id: String,
    b_from: String,
    b_to: String,
    b_tag: String,
    forks: Vec<Fork>,
    b_dialog: Option<Dialog>,
    b_offer: Vec<Payload>,
    media: [SocketAddr; 2],
    /// The direction each leg's party last offered or answered (hold
    /// passes through; a codec change while both talk is absorbed).
    sending: [MediaDirection; 2],
    /// o= session id and version per leg (the version grows per new SDP).
    sdp_version: [u64; 2],
    edge: SocketAddr,
    /// Stages of the fork plan not rung yet.
    stages: VecDeque<Stage>,
    /// When the stage ringing now gives up.
    ring_deadline: Instant,
    auto_record: bool,
    recording: bool,
    /// INVITEs received on either leg and our answers: retransmissions
    /// get the answer again, never a second evaluation.
    server: ServerTransactions,
    retrans: Retransmissions,
    reinvite: Option<Reinvite>,
    /// When the lingering call may be forgotten.
    linger_until: Option<Instant>,
    /// Branches of the in-dialog OPTIONS asking silent phones if they are there.
    probes: Vec<String>,
    /// When both phones last answered such a probe.
    probed_ok: Option<Instant>,
    fallback: Fallback,
    voicemail_deadline: Option<Instant>,
    greeting: Option<Greeting>,
    /// When each leg last pressed `*` (the start of a feature code).
    star: [Option<Instant>; 2],
}

fn token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn branch() -> String {
    format!("z9hG4bK{}", token())
}

/// What the edge answers an offer with, given the far side's answer: the
/// offered voice codec the far side chose (else the offer's first; the
/// relay transcodes), and the telephone events on that codec's clock when
/// the far side takes events too.
fn answer_payloads(offer: &Sdp, far: Option<&Sdp>) -> Vec<Payload> {
    let chosen = far.and_then(Sdp::voice).map(|p| p.codec);
    let voice = offer
        .payloads
        .iter()
        .find(|p| Some(p.codec) == chosen)
        .or_else(|| offer.voice())
        .cloned();
    let clock = voice.as_ref().map_or(8_000, |v| v.codec.clock());
    let mut out: Vec<Payload> = voice.into_iter().collect();
    if far.is_some_and(|a| a.telephone_event().is_some()) {
        out.extend(offer.telephone_event_for(clock).cloned());
    }
    out
}

/// What the edge answers an offer with when it answers alone (voicemail,
/// a codec change it absorbs): the offer's first voice codec the relay
/// speaks, with its parameters, and its telephone events on that clock.
fn own_answer(offer: &Sdp) -> Vec<Payload> {
    let mut payloads: Vec<Payload> = offer.voice().cloned().into_iter().collect();
    let clock = offer.voice().map_or(8_000, |v| v.codec.clock());
    payloads.extend(offer.telephone_event_for(clock).cloned());
    payloads
}

impl Call {
    /// Accepts the caller's INVITE and rings every target.
    pub fn start(s: Setup, now: Instant) -> (Self, Vec<Action>) {
        let mut call = Self {
            record: s.record,
            state: State::Calling,
            created: now,
            a_source: s.source,
            a_tag: token(),
            a_sdp: Sdp::parse(&s.invite.body).ok(),
            a_dialog: None,
            b_call_id: format!("{}@office-edge", token()),
            b_from: s.b_from,
            b_to: s.b_to,
            b_tag: token(),
            forks: Vec::new(),
            b_dialog: None,
            b_offer: Vec::new(),
            media: s.media,
            sending: [MediaDirection::SendRecv; 2],
            sdp_version: [1, 1],
            edge: s.edge,
            stages: s.forks.stages.into(),
            ring_deadline: now,
            auto_record: s.auto_record,
            recording: false,
            server: ServerTransactions::default(),
            retrans: Retransmissions::default(),
            reinvite: None,
            linger_until: None,
            probes: Vec::new(),
            probed_ok: None,
            fallback: s.fallback,
            voicemail_deadline: None,
            greeting: None,
            star: [None, None],
            invite: s.invite,
        };
        if let Some(o) = &call.a_sdp {
            call.sending[Leg::A as usize] = o.direction;
        }
        let _ = call.server.begin(&call.invite, call.a_source, now);
        let mut out = vec![Action::Save(Box::new(call.record.clone()))];
        let Some(offer) = call.a_sdp.clone().filter(|o| o.voice().is_some()) else {
            // No offer we can relay (no SDP, or no G.711 in it).
            call.finish_a(now, 488, "Not Acceptable Here", &mut out);
            call.end(
                now,
                Disposition::Failed,
                "488 no usable audio codec",
                &mut out,
            );
            return (call, out);
        };
        out.push(Action::Media(Leg::A, LegMedia::from_sdp(&offer)));
        call.b_offer = offer_for_far_leg(&offer);
        let a_trying = response(&call.invite, 100, "Trying", &[], None);
        call.server
            .answer(&call.invite, call.a_source, &a_trying, now);
        out.push(Action::Send(call.a_source, a_trying));
        if let Some(Application::Voicemail(g)) = s.application {
            call.voicemail(g, now, &mut out);
            return (call, out);
        }
        if !call.next_stage(now, &mut out) {
            if call.fallback == Fallback::Voicemail {
                call.voicemail(Greeting::Unavailable, now, &mut out);
            } else {
                call.finish_a(now, 480, "Temporarily Unavailable", &mut out);
                call.end(now, Disposition::NoAnswer, "480 not registered", &mut out);
            }
        }
        (call, out)
    }

    pub fn a_call_id(&self) -> &str {
        self.invite.header("Call-ID").unwrap_or("")
    }

    pub fn b_call_id(&self) -> &str {
        &self.b_call_id
    }

    /// Whether the call has ended (it may still linger for retransmissions).
    pub fn ended(&self) -> bool {
        self.state == State::Ended
    }

    pub fn is_over(&self, now: Instant) -> bool {
        // Lingering answers retransmissions. Once everything we sent has
        // been answered, T4 (the longest a message stays in the network)
        // is enough; otherwise up to 64·T1.
        self.linger_until
            .is_some_and(|t| now >= t || (self.retrans.is_empty() && now >= t - GIVE_UP + T4))
    }

    pub fn answered(&self) -> bool {
        self.state == State::Answered
    }

    fn wall_ms(&self, now: Instant) -> i64 {
        self.record.started_ms
            + i64::try_from(now.duration_since(self.created).as_millis()).unwrap_or(0)
    }

    fn render(&mut self, leg: Leg, payloads: &[Payload], dir: MediaDirection) -> Vec<u8> {
        let v = &mut self.sdp_version[leg as usize];
        *v += 1;
        let session = u64::from_str_radix(&self.record.id[..11], 16).unwrap_or(1);
        Sdp::render(self.media[leg as usize], payloads, dir, session, *v)
    }

    fn contact(&self) -> String {
        format!("<sip:edge@{}>", self.edge)
    }

    fn via(&self, branch: &str) -> String {
        format!("SIP/2.0/UDP {};branch={branch};rport", self.edge)
    }

    /// Rings the next stage of the plan that has targets; false when none is left.
    fn next_stage(&mut self, now: Instant, out: &mut Vec<Action>) -> bool {
        while let Some(stage) = self.stages.pop_front() {
            if stage.targets.is_empty() {
                continue;
            }
            self.ring_deadline = now + stage.timeout;
            for t in stage.targets {
                self.add_fork(t, now, out);
            }
            return true;
        }
        false
    }

    fn add_fork(&mut self, target: Target, now: Instant, out: &mut Vec<Action>) {
        let mut fork = Fork {
            target,
            branch: String::new(),
            cseq: 1,
            invite: Vec::new(),
            provisional: false,
            final_code: None,
            remote_tag: None,
            cancel_pending: false,
            cancelled: false,
            auth_tried: false,
        };
        self.send_invite(&mut fork, None, now, out);
        self.forks.push(fork);
    }

    fn send_invite(
        &mut self,
        fork: &mut Fork,
        auth: Option<(&'static str, String)>,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        fork.branch = branch();
        let offer = self.b_offer.clone();
        let dir = self
            .a_sdp
            .as_ref()
            .map_or(MediaDirection::SendRecv, |s| s.direction);
        let sdp = self.render(Leg::B, &offer, dir);
        let mut headers: Vec<(&str, String)> = vec![
            ("Via", self.via(&fork.branch)),
            ("Max-Forwards", "70".into()),
            ("From", with_tag(&self.b_from, &self.b_tag)),
            ("To", self.b_to.clone()),
            ("Call-ID", self.b_call_id.clone()),
            ("CSeq", format!("{} INVITE", fork.cseq)),
            ("Contact", self.contact()),
            ("Allow", ALLOW.into()),
        ];
        if let Some(h) = auth {
            headers.push(h);
        }
        fork.invite = request(
            "INVITE",
            &fork.target.uri,
            &headers,
            Some(("application/sdp", &sdp)),
        );
        out.push(Action::Send(fork.target.dest, fork.invite.clone()));
        self.retrans.start(
            fork.branch.clone(),
            Kind::InviteClient,
            fork.target.dest,
            fork.invite.clone(),
            now,
        );
    }

    fn stop_retrans(&mut self, id: &str) {
        self.retrans.stop(id);
    }

    /// Retransmits what is due; gives up on forks that never answered.
    pub fn tick(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        let due = self.retrans.poll(now);
        out.extend(due.resend.into_iter().map(|(to, b)| Action::Send(to, b)));
        for id in due.expired {
            if self.probes.contains(&id) {
                self.peer_gone(now, &mut out);
                continue;
            }
            if let Some(ri) = self.reinvite.clone()
                && ri.branch == id
            {
                // The other side never answered the re-INVITE: tell its sender.
                self.reinvite = None;
                out.push(Action::Send(
                    ri.source,
                    response(&ri.req, 408, "Request Timeout", &[], None),
                ));
                continue;
            }
            if id == "a-final" && matches!(self.state, State::Answered | State::Voicemail) {
                // The caller never ACKed our 200: the call cannot work. Its
                // dialog ends with a BYE (RFC 3261 §13.3.1.4), and so does
                // the callee's if there is one.
                if self.state == State::Answered {
                    self.hang_up(Leg::B, now, &mut out);
                }
                self.hang_up(Leg::A, now, &mut out);
                self.end(now, Disposition::Failed, "no ACK from caller", &mut out);
            } else if let Some(i) = self.forks.iter().position(|f| f.branch == id)
                && self.forks[i].final_code.is_none()
            {
                self.forks[i].final_code = Some(408);
                self.maybe_all_failed(now, &mut out);
            }
        }
        if self.state == State::Calling && now >= self.ring_deadline {
            // This stage rang long enough: the next one, else the fallback.
            self.cancel_forks(None, now, &mut out);
            if self.next_stage(now, &mut out) {
            } else if self.fallback == Fallback::Voicemail {
                self.voicemail(Greeting::Unavailable, now, &mut out);
            } else {
                self.finish_a(now, 480, "Temporarily Unavailable", &mut out);
                self.end(now, Disposition::NoAnswer, "no answer", &mut out);
            }
        }
        if self.state == State::Voicemail && self.voicemail_deadline.is_some_and(|d| now >= d) {
            self.hang_up(Leg::A, now, &mut out);
            self.end(
                now,
                Disposition::Voicemail,
                "voicemail time limit",
                &mut out,
            );
        }
        out
    }

    /// The earliest time [`Call::tick`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let r = self.retrans.next_deadline();
        let ring = (self.state == State::Calling).then_some(self.ring_deadline);
        let vm = self
            .voicemail_deadline
            .filter(|_| self.state == State::Voicemail);
        let quiet = self
            .linger_until
            .filter(|_| self.retrans.is_empty())
            .map(|t| t - GIVE_UP + T4);
        [r, ring, vm, self.linger_until, quiet]
            .into_iter()
            .flatten()
            .min()
    }

    /// Sends a final response to the caller's INVITE (non-2xx; retransmitted until ACK).
    fn finish_a(&mut self, now: Instant, code: u16, reason: &str, out: &mut Vec<Action>) {
        let r = response(&self.invite, code, reason, &[], Some(&self.a_tag));
        self.server.answer(&self.invite, self.a_source, &r, now);
        out.push(Action::Send(self.a_source, r.clone()));
        self.retrans
            .start("a-final", Kind::InviteFinal, self.a_source, r, now);
    }

    fn end(&mut self, now: Instant, disposition: Disposition, cause: &str, out: &mut Vec<Action>) {
        if self.state == State::Ended {
            return;
        }
        self.state = State::Ended;
        if self.recording {
            self.recording = false;
            out.push(Action::Record(false));
        }
        let r = &mut self.record;
        r.ended_ms = Some(
            r.started_ms + i64::try_from(now.duration_since(self.created).as_millis()).unwrap_or(0),
        );
        if r.answered_ms.is_none() && r.direction == Direction::Incoming {
            r.direction = Direction::Missed;
        }
        r.disposition = disposition;
        // An earlier cause (the callee's answer before voicemail) stays first.
        r.cause = Some(match r.cause.take() {
            Some(first) => format!("{first}; {cause}"),
            None => cause.into(),
        });
        out.push(Action::Close(Box::new(self.record.clone())));
        self.linger_until = Some(now + GIVE_UP);
    }

    fn cancel_forks(&mut self, except: Option<usize>, now: Instant, out: &mut Vec<Action>) {
        for i in 0..self.forks.len() {
            if Some(i) == except || self.forks[i].final_code.is_some() || self.forks[i].cancelled {
                continue;
            }
            self.forks[i].cancelled = true;
            if self.forks[i].provisional {
                self.send_cancel(i, now, out);
            } else {
                self.forks[i].cancel_pending = true;
            }
        }
    }

    fn send_cancel(&mut self, i: usize, now: Instant, out: &mut Vec<Action>) {
        let f = &self.forks[i];
        let cancel = request(
            "CANCEL",
            &f.target.uri,
            &[
                ("Via", self.via(&f.branch)),
                ("Max-Forwards", "70".into()),
                ("From", with_tag(&self.b_from, &self.b_tag)),
                ("To", self.b_to.clone()),
                ("Call-ID", self.b_call_id.clone()),
                ("CSeq", format!("{} CANCEL", f.cseq)),
            ],
            None,
        );
        let (to, id) = (f.target.dest, format!("cancel-{}", f.branch));
        out.push(Action::Send(to, cancel.clone()));
        self.retrans
            .start(id, Kind::NonInviteClient, to, cancel, now);
    }

    fn dialog(&mut self, leg: Leg) -> Option<&mut Dialog> {
        match leg {
            Leg::A => self.a_dialog.as_mut(),
            Leg::B => self.b_dialog.as_mut(),
        }
    }

    /// A new in-dialog request from us on `leg` (BYE, re-INVITE, INFO).
    fn in_dialog(
        &mut self,
        leg: Leg,
        method: &str,
        body: Option<(&str, &[u8])>,
    ) -> Option<(SocketAddr, String, Vec<u8>)> {
        let via_branch = branch();
        let via = self.via(&via_branch);
        let contact = self.contact();
        let d = self.dialog(leg)?;
        let bytes = d.request(method, via, contact, &[], body);
        Some((d.peer, via_branch, bytes))
    }

    /// Sends a request without a body inside `leg`'s dialog, retransmitted
    /// until answered; the branch it went out on.
    fn send_in_dialog(
        &mut self,
        leg: Leg,
        method: &str,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Option<String> {
        let (to, id, bytes) = self.in_dialog(leg, method, None)?;
        out.push(Action::Send(to, bytes.clone()));
        self.retrans
            .start(id.clone(), Kind::NonInviteClient, to, bytes, now);
        Some(id)
    }

    fn hang_up(&mut self, leg: Leg, now: Instant, out: &mut Vec<Action>) {
        let _ = self.send_in_dialog(leg, "BYE", now, out);
    }

    fn which_leg(&self, call_id: &str) -> Option<Leg> {
        if call_id == self.b_call_id {
            Some(Leg::B)
        } else if call_id == self.a_call_id() {
            Some(Leg::A)
        } else {
            None
        }
    }

    /// A request within this call (matched by Call-ID).
    pub fn on_request(&mut self, req: &Request, source: SocketAddr, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(leg) = req.header("Call-ID").and_then(|c| self.which_leg(c)) else {
            return out;
        };
        let ok = |out: &mut Vec<Action>| {
            out.push(Action::Send(source, response(req, 200, "OK", &[], None)));
        };
        if req.method == "INVITE"
            && let Seen::Again(answer) = self.server.begin(req, source, now)
        {
            // A retransmission (of the first INVITE or a re-INVITE).
            let again = answer.unwrap_or_else(|| response(req, 100, "Trying", &[], None));
            out.push(Action::Send(source, again));
            return out;
        }
        match (leg, req.method.as_str()) {
            (Leg::A, "ACK") => {
                if req.cseq() == self.invite.cseq() {
                    self.stop_retrans("a-final");
                } else {
                    self.stop_retrans("a-reinvite");
                }
            }
            (Leg::B, "ACK") => self.stop_retrans("b-reinvite"),
            (Leg::A, "CANCEL") => {
                ok(&mut out);
                if self.state == State::Calling {
                    self.cancel_forks(None, now, &mut out);
                    self.finish_a(now, 487, "Request Terminated", &mut out);
                    self.end(now, Disposition::Cancelled, "caller cancelled", &mut out);
                }
            }
            (_, "BYE") => {
                if !self.in_current_dialog(leg, req) {
                    out.push(Action::Send(
                        source,
                        response(req, 481, "Call/Transaction Does Not Exist", &[], None),
                    ));
                    return out;
                }
                ok(&mut out);
                if self.state == State::Answered {
                    self.hang_up(leg.other(), now, &mut out);
                    let who = if leg == Leg::A { "caller" } else { "callee" };
                    self.end(
                        now,
                        Disposition::Answered,
                        &format!("{who} hung up"),
                        &mut out,
                    );
                } else if self.state == State::Voicemail {
                    let d = if self.recording {
                        Disposition::Voicemail
                    } else if self.greeting == Some(Greeting::AfterHours) {
                        Disposition::AfterHours
                    } else {
                        Disposition::NoAnswer
                    };
                    self.end(now, d, "caller hung up", &mut out);
                }
            }
            (_, "INVITE") if self.state == State::Answered => {
                self.forward_reinvite(leg, req, source, now, &mut out);
            }
            (_, "INVITE") => out.push(Action::Send(
                source,
                response(req, 491, "Request Pending", &[], None),
            )),
            (_, "INFO") => {
                match req.header("Record").map(str::trim) {
                    Some(v) if v.eq_ignore_ascii_case("on") => self.set_recording(true, &mut out),
                    Some(v) if v.eq_ignore_ascii_case("off") => {
                        self.set_recording(false, &mut out);
                    }
                    _ => {}
                }
                ok(&mut out);
            }
            (_, "OPTIONS" | "UPDATE") => ok(&mut out),
            _ => out.push(Action::Send(
                source,
                response(
                    req,
                    405,
                    "Method Not Allowed",
                    &[("Allow", ALLOW.into())],
                    None,
                ),
            )),
        }
        out
    }

    fn in_current_dialog(&self, leg: Leg, req: &Request) -> bool {
        match leg {
            Leg::A => self.a_dialog.as_ref(),
            Leg::B => self.b_dialog.as_ref(),
        }
        .is_some_and(|d| d.is_from_peer(req))
    }

    /// Neither party has sent media for too long. Both phones gone, or a
    /// BYE lost for good, or just a call on hold that sends nothing: an
    /// answered call asks both phones inside their dialogs (OPTIONS, at most
    /// every five minutes) and ends when one does not answer or no longer
    /// knows the dialog. The caller leaving a voicemail must be sending.
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
                    if let Some(id) = self.send_in_dialog(leg, "OPTIONS", now, &mut out) {
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
            State::Calling | State::Ended => {}
        }
        out
    }

    /// A DTMF digit a party pressed: `*1` toggles recording (as in most PBXs).
    pub fn on_dtmf(&mut self, leg: Leg, digit: char, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        let i = leg as usize;
        let armed = self.star[i].is_some_and(|t| now.duration_since(t) < FEATURE_CODE_WINDOW);
        self.star[i] = None;
        match digit {
            '*' => self.star[i] = Some(now),
            '1' if armed => {
                let on = !self.recording;
                self.set_recording(on, &mut out);
            }
            _ => {}
        }
        out
    }

    /// Starts or stops an on-demand recording segment (only while answered).
    pub fn set_recording(&mut self, on: bool, out: &mut Vec<Action>) {
        if self.state == State::Answered && self.recording != on {
            self.recording = on;
            out.push(Action::Record(on));
        }
    }

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
            &[("Contact", self.contact())],
            None,
            sdp.map(|b| ("application/sdp", b)),
        );
        self.server.answer(req, source, &ok, now);
        out.push(Action::Send(source, ok.clone()));
        let id = if from == Leg::A {
            "a-reinvite"
        } else {
            "b-reinvite"
        };
        self.retrans.start(id, Kind::InviteFinal, source, ok, now);
    }

    fn forward_reinvite(
        &mut self,
        from: Leg,
        req: &Request,
        source: SocketAddr,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if self.reinvite.is_some() {
            out.push(Action::Send(
                source,
                response(req, 491, "Request Pending", &[], None),
            ));
            return;
        }
        let sdp = Sdp::parse(&req.body).ok();
        if let Some(offer) = &sdp
            && offer.direction == MediaDirection::SendRecv
            && self.sending[from as usize] == MediaDirection::SendRecv
            && offer.voice().is_some()
        {
            // Neither hold nor resume: a new codec or bitrate (low-quality
            // mode, 저음질) or address. The relay transcodes, so the other
            // party is not asked and keeps hearing without a gap.
            let payloads = own_answer(offer);
            out.push(Action::Media(from, LegMedia::answered(offer, &payloads)));
            let body = self.render(from, &payloads, MediaDirection::SendRecv);
            self.accept_reinvite(from, req, source, Some(&body), now, out);
            return;
        }
        if let Some(s) = &sdp {
            self.sending[from as usize] = s.direction;
            out.push(Action::Media(from, LegMedia::from_sdp(s)));
        }
        let to = from.other();
        let body = sdp.map(|s| {
            let payloads = offer_for_far_leg(&s);
            self.render(to, &payloads, s.direction)
        });
        let Some((dest, b, bytes)) = self.in_dialog(
            to,
            "INVITE",
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
            from,
            req: req.clone(),
            source,
            branch: b,
        });
    }

    /// A response to something we sent on either leg.
    pub fn on_response(&mut self, resp: &Response, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(leg) = resp.header("Call-ID").and_then(|c| self.which_leg(c)) else {
            return out;
        };
        let branch = resp
            .header("Via")
            .and_then(|v| param(v, "branch"))
            .unwrap_or("")
            .to_owned();
        let method = resp.cseq_method().to_owned();
        if let Some(ri) = &self.reinvite
            && ri.branch == branch
            && method == "INVITE"
        {
            self.reinvite_answered(resp, now, &mut out);
            return out;
        }
        match method.as_str() {
            "INVITE" if leg == Leg::B => self.fork_response(&branch, resp, now, &mut out),
            "INVITE" => {
                // Retransmitted 2xx of a re-INVITE we already ACKed.
                if (200..300).contains(&resp.code)
                    && let Some(ack) = self.ack_2xx(leg, resp)
                {
                    out.push(ack);
                }
            }
            _ => {
                if resp.code >= 200 {
                    self.stop_retrans(&branch);
                    self.stop_retrans(&format!("cancel-{branch}"));
                }
                if resp.code >= 200 && self.probes.contains(&branch) {
                    self.probes.retain(|p| *p != branch);
                    if matches!(resp.code, 408 | 481) {
                        self.peer_gone(now, &mut out);
                    } else if self.probes.is_empty() {
                        // Any other answer (even 405) means the phone is there.
                        self.probed_ok = Some(now);
                    }
                }
            }
        }
        out
    }

    /// Media flows again: probes still waiting for an answer no longer
    /// decide anything (a phone may well ignore OPTIONS).
    pub fn media_flowing(&mut self) {
        for id in std::mem::take(&mut self.probes) {
            self.stop_retrans(&id);
        }
    }

    /// A phone of an answered call no longer answers in its dialog.
    fn peer_gone(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.probes.clear();
        if self.state == State::Answered {
            self.hang_up(Leg::A, now, out);
            self.hang_up(Leg::B, now, out);
            self.end(now, Disposition::Answered, "no media", out);
        }
    }

    fn ack_2xx(&self, leg: Leg, resp: &Response) -> Option<Action> {
        let d = match leg {
            Leg::A => self.a_dialog.as_ref()?,
            Leg::B => self.b_dialog.as_ref()?,
        };
        Some(Action::Send(d.peer, d.ack(resp, self.via(&branch()))))
    }

    fn fork_response(
        &mut self,
        branch: &str,
        resp: &Response,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let from_answerer = (200..300).contains(&resp.code)
            && self.b_dialog.as_ref().is_some_and(|d| {
                resp.header("To").and_then(|t| param(t, "tag")) == Some(d.remote_tag.as_str())
            });
        let Some(i) = self.forks.iter().position(|f| f.branch == branch) else {
            // A 2xx again from the callee for a re-INVITE we already ACKed
            // (our ACK was lost): ACK it again. Others are unknown branches.
            if from_answerer && let Some(ack) = self.ack_2xx(Leg::B, resp) {
                out.push(ack);
            }
            return;
        };
        let tag = resp
            .header("To")
            .and_then(|t| param(t, "tag"))
            .map(str::to_owned);
        if resp.code < 200 {
            self.stop_retrans(branch);
            let first = !self.forks[i].provisional;
            self.forks[i].provisional = true;
            self.forks[i].remote_tag = tag;
            if self.forks[i].cancel_pending {
                self.forks[i].cancel_pending = false;
                self.send_cancel(i, now, out);
                return;
            }
            if self.state == State::Calling && resp.code != 100 && first {
                let ringing = response(
                    &self.invite,
                    180,
                    "Ringing",
                    &[("Contact", self.contact())],
                    Some(&self.a_tag),
                );
                self.server
                    .answer(&self.invite, self.a_source, &ringing, now);
                out.push(Action::Send(self.a_source, ringing));
            }
            return;
        }
        self.stop_retrans(branch);
        if resp.code >= 300 {
            // Hop-by-hop ACK of a failure, same branch as the INVITE.
            let f = &self.forks[i];
            let ack = dialog::ack(
                &f.target.uri,
                self.via(&f.branch),
                (&self.b_from, &self.b_tag),
                resp,
                &self.b_call_id,
                f.cseq,
            );
            out.push(Action::Send(f.target.dest, ack));
            if self.forks[i].final_code.is_some() {
                return;
            }
            if matches!(resp.code, 401 | 407)
                && !self.forks[i].auth_tried
                && self.state == State::Calling
                && let Some(auth) = self.forks[i].target.auth.clone()
                && let Some(h) = self.authorization(resp, &self.forks[i].target.uri, &auth)
            {
                let mut f = self.forks[i].clone();
                f.auth_tried = true;
                f.cseq += 1;
                f.provisional = false;
                self.send_invite(&mut f, Some(h), now, out);
                self.forks[i] = f;
                return;
            }
            self.forks[i].final_code = Some(resp.code);
            self.maybe_all_failed(now, out);
            return;
        }
        // 2xx.
        if from_answerer {
            // The callee who answered sends its 200 again (our ACK was
            // lost): ACK again; the call goes on.
            if let Some(ack) = self.ack_2xx(Leg::B, resp) {
                out.push(ack);
            }
            return;
        }
        if self.state != State::Calling || self.b_dialog.is_some() {
            // Another fork won, or the caller gave up: ACK and hang this one up.
            let f = self.forks[i].clone();
            if self.forks[i].final_code.is_none() {
                self.forks[i].final_code = Some(resp.code);
            }
            let d = self.dialog_from_2xx(&f, resp);
            let saved = self.b_dialog.replace(d);
            if let Some(ack) = self.ack_2xx(Leg::B, resp) {
                out.push(ack);
            }
            self.hang_up(Leg::B, now, out);
            self.b_dialog = saved;
            return;
        }
        self.forks[i].final_code = Some(resp.code);
        let f = self.forks[i].clone();
        self.b_dialog = Some(self.dialog_from_2xx(&f, resp));
        if let Some(ack) = self.ack_2xx(Leg::B, resp) {
            out.push(ack);
        }
        self.cancel_forks(Some(i), now, out);
        let answer = Sdp::parse(&resp.body).ok();
        if let Some(a) = &answer {
            self.sending[Leg::B as usize] = a.direction;
            out.push(Action::Media(Leg::B, LegMedia::from_sdp(a)));
        }
        // Answer the caller from its own offer: the law B chose if the
        // caller offered it, else the caller's first (the relay transcodes).
        let offer = self.a_sdp.clone();
        let mut payloads: Vec<Payload> = Vec::new();
        if let Some(o) = &offer {
            payloads = answer_payloads(o, answer.as_ref());
            // The relay sends the caller the law it answers with.
            out.push(Action::Media(Leg::A, LegMedia::answered(o, &payloads)));
        }
        let dir = answer
            .as_ref()
            .map_or(MediaDirection::SendRecv, |a| a.direction);
        self.answer_caller(&payloads, dir, now, out);
        self.state = State::Answered;
        self.record.answered_ms = Some(self.wall_ms(now));
        self.record.disposition = Disposition::Answered;
        out.push(Action::Save(Box::new(self.record.clone())));
        if self.auto_record {
            self.set_recording(true, out);
        }
    }

    /// 200 OK to the caller with the edge's SDP; leg A's dialog begins.
    fn answer_caller(
        &mut self,
        payloads: &[Payload],
        dir: MediaDirection,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let sdp = self.render(Leg::A, payloads, dir);
        let ok = response_with(
            &self.invite,
            200,
            "OK",
            &[("Contact", self.contact()), ("Allow", ALLOW.into())],
            Some(&self.a_tag),
            Some(("application/sdp", &sdp)),
        );
        self.server.answer(&self.invite, self.a_source, &ok, now);
        out.push(Action::Send(self.a_source, ok.clone()));
        self.retrans
            .start("a-final", Kind::InviteFinal, self.a_source, ok, now);
        self.a_dialog = Some(Dialog::answering(&self.invite, &self.a_tag, self.a_source));
    }

    /// The edge answers the caller itself: the greeting, a beep, then the
    /// caller's message is recorded (until hang-up or the time limit).
    fn voicemail(&mut self, g: Greeting, now: Instant, out: &mut Vec<Action>) {
        self.cancel_forks(None, now, out);
        let Some(offer) = self.a_sdp.clone() else {
            return;
        };
        let payloads = own_answer(&offer);
        self.answer_caller(&payloads, MediaDirection::SendRecv, now, out);
        self.state = State::Voicemail;
        self.greeting = Some(g);
        out.push(Action::Save(Box::new(self.record.clone())));
        out.push(Action::Play(Leg::A, g));
    }

    /// The greeting has been played: record the message.
    pub fn prompt_done(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
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

    fn dialog_from_2xx(&self, f: &Fork, resp: &Response) -> Dialog {
        Dialog::answered(
            &self.b_call_id,
            (&self.b_from, &self.b_tag),
            resp,
            &f.target.uri,
            f.target.dest,
            f.cseq,
        )
    }

    fn authorization(
        &self,
        resp: &Response,
        uri: &str,
        auth: &TrunkAuth,
    ) -> Option<(&'static str, String)> {
        let (challenge, header) = if resp.code == 407 {
            (resp.header("Proxy-Authenticate")?, "Proxy-Authorization")
        } else {
            (resp.header("WWW-Authenticate")?, "Authorization")
        };
        let value = challenge_response(challenge, "INVITE", uri, &auth.username, &auth.password)?;
        Some((header, value))
    }

    fn maybe_all_failed(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.state != State::Calling || self.forks.iter().any(|f| f.final_code.is_none()) {
            return;
        }
        if self.next_stage(now, out) {
            return;
        }
        let codes: Vec<u16> = self.forks.iter().filter_map(|f| f.final_code).collect();
        // As a PBX answers: busy wins, then a global failure, then the lowest class.
        let code = if codes.iter().any(|&c| c == 486 || c == 600) {
            486
        } else if let Some(&c) = codes.iter().find(|&&c| c >= 600) {
            c
        } else {
            codes.iter().copied().min().unwrap_or(480)
        };
        if self.fallback == Fallback::Voicemail {
            self.record.cause = Some(format!("callee {code}"));
            self.voicemail(Greeting::Unavailable, now, out);
            return;
        }
        let (code, reason, disposition) = match code {
            486 => (486, "Busy Here", Disposition::Busy),
            603 => (603, "Decline", Disposition::Rejected),
            404 | 484 => (404, "Not Found", Disposition::Failed),
            408 | 480 => (480, "Temporarily Unavailable", Disposition::NoAnswer),
            401 | 407 | 403 => (403, "Forbidden", Disposition::Failed),
            c if c >= 500 => (503, "Service Unavailable", Disposition::Failed),
            _ => (480, "Temporarily Unavailable", Disposition::Failed),
        };
        self.finish_a(now, code, reason, out);
        self.end(now, disposition, &format!("{code} {reason}"), out);
    }

    fn reinvite_answered(&mut self, resp: &Response, now: Instant, out: &mut Vec<Action>) {
        let Some(ri) = self.reinvite.clone() else {
            return;
        };
        let to = ri.from.other();
        if resp.code < 200 {
            self.stop_retrans(&ri.branch);
            return;
        }
        self.stop_retrans(&ri.branch);
        self.reinvite = None;
        if (200..300).contains(&resp.code) {
            if let Some(ack) = self.ack_2xx(to, resp) {
                out.push(ack);
            }
            let answer = Sdp::parse(&resp.body).ok();
            if let Some(a) = &answer {
                self.sending[to as usize] = a.direction;
                out.push(Action::Media(to, LegMedia::from_sdp(a)));
            }
            let offer = Sdp::parse(&ri.req.body).ok();
            let body = offer.map(|o| {
                let payloads = answer_payloads(&o, answer.as_ref());
                let dir = answer
                    .as_ref()
                    .map_or(MediaDirection::SendRecv, |a| a.direction);
                // The sender will use what we answered: the relay must too.
                out.push(Action::Media(ri.from, LegMedia::answered(&o, &payloads)));
                self.render(ri.from, &payloads, dir)
            });
            self.accept_reinvite(ri.from, &ri.req, ri.source, body.as_deref(), now, out);
        } else {
            // Hop-by-hop ACK, then the same failure to the other side.
            if let Some(d) = match to {
                Leg::A => self.a_dialog.as_ref(),
                Leg::B => self.b_dialog.as_ref(),
            } {
                out.push(Action::Send(
                    d.peer,
                    d.ack_failure(resp, self.via(&ri.branch)),
                ));
            }
            let failure = response(&ri.req, resp.code, &resp.reason, &[], None);
            self.server.answer(&ri.req, ri.source, &failure, now);
            out.push(Action::Send(ri.source, failure));
        }
    }
}
