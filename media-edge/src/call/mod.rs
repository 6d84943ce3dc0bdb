//! The back-to-back user agent: one call, two sides, as a sans-IO state
//! machine. Side A starts as the caller (the edge is its UAS), side B as
//! the callee (the edge is its UAC, one fork per target while it rings). A
//! transfer gives a side a new party: it rings into that side ([`Ringing`])
//! or is handed over from another call, and the side's old dialog ends.
//!
//! Inputs are parsed messages with their source and the time; outputs are
//! [`Action`]s for the I/O layer (datagrams to send, media settings,
//! recording switches, call-record writes, routing and hand-over requests).
//! Retransmissions run on [`crate::transaction`] and fire from [`Call::tick`].
//!
//! The module's parts: [`side`] (one party: dialog and media agreement),
//! [`ringing`] (forking INVITEs in stages), `reinvite` (re-INVITEs relayed,
//! absorbed or sent by the edge), [`transfer`] (REFER, Replaces, NOTIFY,
//! feature codes), `voicemail` and `liveness` (the edge's own answers).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use domain::call::{CallRecord, Direction, Disposition};

use crate::dialog::Dialog;
pub use crate::fork::{ForkPlan, Stage, Target, TrunkAuth};
use crate::prompts::{Greeting, Prompt};
use crate::routing::{Application, Fallback, HandOff};
use crate::rtp::{Leg, LegMedia};
use crate::sdp::{Direction as MediaDirection, Payload, Sdp, offer_for_far_leg};
use crate::sip::message::{Request, Response, param, response, response_with};
use crate::transaction::{GIVE_UP, Kind, Retransmissions, Seen, ServerTransactions, T4};

mod bridge;
mod farewell;
mod ivr;
mod liveness;
mod place;
mod queue;
mod reinvite;
pub mod ringing;
pub mod side;
pub mod transfer;
mod voicemail;

pub use farewell::{CALLBACK_KEY_IN, CALLBACK_REFUSED, CALLBACK_TAKEN, CallbackAsk};
pub use place::Placement;
pub use queue::QUEUE_RETRY;
use reinvite::Reinvite;
use ringing::{Io, Outcome, Ringing};
use side::{Side, answer_payloads};
pub use transfer::{Handover, HandoverError, Replaces, TransferRoute};
use transfer::{Keys, Transfer};
pub use voicemail::VOICEMAIL_MAX;

/// The answer to a request for a dialog the call does not have.
pub(crate) const NO_DIALOG: (u16, &str) = (481, "Call/Transaction Does Not Exist");

pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER";

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
    /// What a side's party negotiated (the same party, new terms).
    Media(Leg, LegMedia),
    /// A new party on this side of the relay (a transfer): fresh latching and statistics.
    Replace(Leg, LegMedia),
    /// Start (true) or stop (false) a recording segment of the current record.
    Record(bool),
    /// Play a greeting to a leg; the I/O layer calls [`Call::prompt_done`] after.
    Play(Leg, Prompt),
    /// Play an ARS scenario's prompts back to back (spoken by TTS or
    /// loaded); [`Call::prompt_done`] after, as for `Play`.
    Say(Leg, Vec<domain::ivr::Prompt>),
    /// Stop the greeting playing (the caller is bridged to someone).
    StopPrompt,
    /// Start recording the caller alone (a voicemail); `Record(false)` stops it.
    RecordVoicemail,
    /// Messages with this Call-ID belong to this call from now on.
    Listen(String),
    /// Store the record (the call is still up).
    Save(Box<CallRecord>),
    /// Store a record as final (the call, or its part before a transfer, is over).
    Close(Box<CallRecord>),
    /// The call is over: give the media ports back.
    Release,
    /// Decide where a transfer goes; answer with [`Call::transfer_routed`].
    RouteTransfer(TransferRoute),
    /// Ask the call holding this dialog for its other party; answer with
    /// [`Call::handed_over`].
    HandOver(Replaces),
    /// Decide where an ARS scenario hands the caller; answer with
    /// [`Call::handed_off`].
    HandOff(HandOff),
    /// File the caller's callback request; answer with [`Call::callback_filed`].
    FileCallback(CallbackAsk),
    /// Something for the call's events that its record does not show
    /// (hold, resume, queueing).
    Notify(domain::event::Happening),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// INVITE forwarded, no final answer yet.
    Calling,
    Answered,
    /// The edge answered: greeting, then recording a message.
    Voicemail,
    /// The edge answered: the caller waits in a hunt group's queue.
    Queued,
    /// The edge answered: an ARS scenario runs, or rings whom it chose.
    Ivr,
    /// The edge places the call: the agent's phones ring, then the customer.
    Placing,
    /// Final answer given or BYE sent; lingering for retransmissions.
    Ended,
}

#[derive(Debug)]
pub struct Call {
    pub record: CallRecord,
    state: State,
    created: Instant,
    /// The wall clock (ms) at `created`.
    started_ms: i64,
    /// The caller's INVITE (side A's first transaction) and our tag in its dialog.
    invite: Request,
    a_source: SocketAddr,
    a_tag: String,
    sides: [Side; 2],
    /// The side of the current record's caller (B after the caller transferred).
    caller_side: Leg,
    /// Which side each record's caller was on (for the I/O's quality figures).
    record_sides: Vec<(String, Leg)>,
    /// Dialogs a transfer replaced: their BYE still gets its 200.
    gone: Vec<Dialog>,
    media: [SocketAddr; 2],
    edge: SocketAddr,
    /// Every ringing of the call (the first, then transfers'); kept to
    /// absorb late answers.
    rings: Vec<Ringing>,
    auto_record: bool,
    recording: bool,
    /// Requests received on either side and our answers: retransmissions
    /// get the answer again, never a second evaluation.
    server: ServerTransactions,
    retrans: Retransmissions,
    reinvite: Option<Reinvite>,
    /// A re-INVITE of the edge's own to send again (after a 491), and when.
    reoffer: [Option<Instant>; 2],
    /// When the lingering call may be forgotten.
    linger_until: Option<Instant>,
    /// Branches of the in-dialog OPTIONS asking silent phones if they are there.
    probes: Vec<String>,
    /// When both phones last answered such a probe.
    probed_ok: Option<Instant>,
    fallback: Fallback,
    voicemail_deadline: Option<Instant>,
    greeting: Option<Greeting>,
    waiting: Option<queue::Waiting>,
    /// The ARS scenario the caller is in.
    menu: Option<ivr::Menu>,
    /// A last prompt plays, then the edge hangs up.
    farewell: Option<farewell::Farewell>,
    /// A callback request is being filed.
    asking_callback: bool,
    /// The caller keys in the number to call back.
    keying: Option<farewell::Keying>,
    /// A queue's caller is being handed on to its overflow group.
    spilling: bool,
    /// A placed call's customer, dialled once the agent answers.
    placing: Option<(ForkPlan, (String, String))>,
    /// From of leg B's INVITEs, for ringing from an application.
    b_from: String,
    /// Feature codes being keyed on each side.
    keys: [Keys; 2],
    transfer: Option<Transfer>,
}

pub(crate) fn token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

pub(crate) fn new_branch() -> String {
    format!("z9hG4bK{}", token())
}

pub(crate) fn via(edge: SocketAddr, branch: &str) -> String {
    format!("SIP/2.0/UDP {edge};branch={branch};rport")
}

pub(crate) fn contact(edge: SocketAddr) -> String {
    format!("<sip:edge@{edge}>")
}

/// How a failure of every fork reaches the caller, as a PBX passes it on,
/// and how the record remembers it.
fn failure(code: u16) -> (u16, &'static str, Disposition) {
    match code {
        486 => (486, "Busy Here", Disposition::Busy),
        603 => (603, "Decline", Disposition::Rejected),
        404 | 484 => (404, "Not Found", Disposition::Failed),
        408 | 480 => (480, "Temporarily Unavailable", Disposition::NoAnswer),
        401 | 407 | 403 => (403, "Forbidden", Disposition::Failed),
        c if c >= 500 => (503, "Service Unavailable", Disposition::Failed),
        _ => (480, "Temporarily Unavailable", Disposition::Failed),
    }
}

impl Call {
    /// Accepts the caller's INVITE and rings every target.
    pub fn start(s: Setup, now: Instant) -> (Self, Vec<Action>) {
        let forks = s.forks.clone();
        let (b_from, b_to) = (s.b_from.clone(), s.b_to.clone());
        let application = s.application.clone();
        Self::new(s, now).answer_or_ring(forks, (b_from, b_to), application, now)
    }

    /// The call's state before anything happened: side A's party is the
    /// INVITE's sender.
    fn new(s: Setup, now: Instant) -> Self {
        let session = u64::from_str_radix(&s.record.id[..11], 16).unwrap_or(1);
        let started_ms = s.record.started_ms;
        let a_call_id = s.invite.header("Call-ID").unwrap_or("").to_owned();
        let mut sides = [
            Side::new(a_call_id, session),
            Side::new(format!("{}@office-edge", token()), session),
        ];
        sides[0].sdp = Sdp::parse(&s.invite.body).ok();
        if let Some(o) = &sides[0].sdp {
            sides[0].sending = o.direction;
        }
        Self {
            record_sides: vec![(s.record.id.clone(), Leg::A)],
            record: s.record,
            state: State::Calling,
            created: now,
            started_ms,
            a_source: s.source,
            a_tag: token(),
            sides,
            caller_side: Leg::A,
            gone: Vec::new(),
            media: s.media,
            edge: s.edge,
            rings: Vec::new(),
            auto_record: s.auto_record,
            recording: false,
            server: ServerTransactions::default(),
            retrans: Retransmissions::default(),
            reinvite: None,
            reoffer: [None, None],
            linger_until: None,
            probes: Vec::new(),
            probed_ok: None,
            fallback: s.fallback,
            voicemail_deadline: None,
            greeting: None,
            waiting: None,
            menu: None,
            farewell: None,
            asking_callback: false,
            keying: None,
            spilling: false,
            placing: None,
            b_from: s.b_from.clone(),
            keys: [Keys::default(), Keys::default()],
            transfer: None,
            invite: s.invite,
        }
    }

    /// The caller's INVITE accepted: the edge's application answers, or
    /// the targets ring.
    fn answer_or_ring(
        self,
        forks: ForkPlan,
        (b_from, b_to): (String, String),
        application: Option<Application>,
        now: Instant,
    ) -> (Self, Vec<Action>) {
        let mut call = self;
        let _ = call.server.begin(&call.invite, call.a_source, now);
        let mut out = vec![Action::Save(Box::new(call.record.clone()))];
        let Some(offer) = call.sides[0].sdp.clone().filter(|o| o.voice().is_some()) else {
            // No offer we can relay (no SDP, or no codec of ours in it).
            call.finish_a(now, 488, "Not Acceptable Here", &mut out);
            call.end(
                now,
                Disposition::Failed,
                "488 no usable audio codec",
                &mut out,
            );
            return (call, out);
        };
        if !call.sides[0].took_offer(&offer) {
            // RTP/SAVP with no crypto suite the edge speaks.
            call.finish_a(now, 488, "Not Acceptable Here", &mut out);
            call.end(
                now,
                Disposition::Failed,
                "488 no usable SRTP crypto suite",
                &mut out,
            );
            return (call, out);
        }
        out.push(Action::Media(Leg::A, LegMedia::from_sdp(&offer)));
        let a_trying = response(&call.invite, 100, "Trying", &[], None);
        call.server
            .answer(&call.invite, call.a_source, &a_trying, now);
        out.push(Action::Send(call.a_source, a_trying));
        match application {
            Some(Application::Voicemail(g)) => {
                call.voicemail(g, now, &mut out);
                return (call, out);
            }
            Some(Application::Queue(spec)) => {
                call.queue(spec, now, &mut out);
                return (call, out);
            }
            Some(Application::Ivr(spec)) => {
                call.run_ivr(*spec, now, &mut out);
                return (call, out);
            }
            None => {}
        }
        let sdp = call.sides[1].offer(call.media[1], &offer_for_far_leg(&offer), offer.direction);
        let ring = Ringing::new(
            Leg::B,
            call.sides[1].call_id.clone(),
            (b_from, b_to),
            sdp,
            forks,
            now,
        );
        if !call.ring(ring, now, &mut out) {
            call.nobody_answered(None, "480 not registered", now, &mut out);
        }
        (call, out)
    }

    /// Starts ringing a side: the first stage's INVITEs go; false when the
    /// plan has nobody to ring.
    fn ring(&mut self, mut ring: Ringing, now: Instant, out: &mut Vec<Action>) -> bool {
        out.push(Action::Listen(ring.call_id.clone()));
        let mut io = Io {
            edge: self.edge,
            retrans: &mut self.retrans,
            out,
            now,
        };
        let rang = ring.next_stage(&mut io);
        self.rings.push(ring);
        rang
    }

    /// The SRTP keys of `leg`'s stream, when its party negotiated SRTP.
    pub fn keys(&self, leg: Leg) -> Option<crate::srtp::LegKeys> {
        self.sides[leg as usize].keys()
    }

    pub fn a_call_id(&self) -> &str {
        self.invite.header("Call-ID").unwrap_or("")
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

    /// The relay leg of the caller of the record `id` (quality figures are
    /// stored as [caller, callee]).
    pub fn caller_leg(&self, id: &str) -> Leg {
        self.record_sides
            .iter()
            .find(|(r, _)| r == id)
            .map_or(Leg::A, |(_, l)| *l)
    }

    /// The wall clock at `now` (the call's start plus the time since).
    fn wall_ms(&self, now: Instant) -> i64 {
        self.started_ms + i64::try_from(now.duration_since(self.created).as_millis()).unwrap_or(0)
    }

    fn io<'a>(
        &'a mut self,
        out: &'a mut Vec<Action>,
        now: Instant,
    ) -> (&'a mut Vec<Ringing>, Io<'a>) {
        (
            &mut self.rings,
            Io {
                edge: self.edge,
                retrans: &mut self.retrans,
                out,
                now,
            },
        )
    }

    /// Stops the ringing still going on (only the one on Call-ID `only`,
    /// when given): its forks are cancelled, late answers hung up.
    fn give_up_ringing(&mut self, only: Option<&str>, now: Instant, out: &mut Vec<Action>) {
        let (rings, mut io) = self.io(out, now);
        for r in rings
            .iter_mut()
            .filter(|r| r.active() && only.is_none_or(|c| c == r.call_id))
        {
            r.give_up(&mut io);
        }
    }

    /// Retransmits what is due; gives up on forks that never answered.
    pub fn tick(&mut self, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        let due = self.retrans.poll(now);
        out.extend(due.resend.into_iter().map(|(to, b)| Action::Send(to, b)));
        for id in due.expired {
            if self.probes.contains(&id) {
                self.peer_gone(now, &mut out);
            } else if self.reinvite.as_ref().is_some_and(|r| r.branch == id) {
                self.reinvite_expired(now, &mut out);
            } else if id == "a-final"
                && matches!(
                    self.state,
                    State::Answered | State::Voicemail | State::Queued | State::Ivr
                )
            {
                // The caller never ACKed our 200: the call cannot work. Its
                // dialog ends with a BYE (RFC 3261 §13.3.1.4), and so does
                // the callee's if there is one.
                if self.state == State::Answered {
                    self.hang_up(Leg::B, now, &mut out);
                }
                self.hang_up(Leg::A, now, &mut out);
                self.end(now, Disposition::Failed, "no ACK from caller", &mut out);
            } else {
                let (rings, mut io) = self.io(&mut out, now);
                let hit = rings
                    .iter_mut()
                    .enumerate()
                    .find_map(|(i, r)| r.expired(&id, &mut io).map(|o| (i, o)));
                if let Some((i, o)) = hit {
                    self.rung(i, o, now, &mut out);
                }
            }
        }
        for i in 0..self.rings.len() {
            let (rings, mut io) = self.io(&mut out, now);
            if let Some(o) = rings[i].tick(&mut io) {
                self.rung(i, o, now, &mut out);
            }
        }
        if self.queue_deadline().is_some_and(|d| now >= d) {
            self.queue_timed_out(now, &mut out);
        }
        if self.ivr_deadline().is_some_and(|d| now >= d) {
            self.ivr_timed_out(now, &mut out);
        }
        if self.keying_deadline().is_some_and(|d| now >= d) {
            self.keying_timed_out(&mut out);
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
        for leg in [Leg::A, Leg::B] {
            if self.reoffer[leg as usize].is_some_and(|t| now >= t) {
                self.reoffer[leg as usize] = None;
                self.offer_again(leg, now, &mut out);
            }
        }
        out
    }

    /// The earliest time [`Call::tick`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let r = self.retrans.next_deadline();
        let ring = self.rings.iter().filter_map(Ringing::deadline).min();
        let vm = self
            .voicemail_deadline
            .filter(|_| self.state == State::Voicemail);
        let quiet = self
            .linger_until
            .filter(|_| self.retrans.is_empty())
            .map(|t| t - GIVE_UP + T4);
        let reoffer = self.reoffer.iter().flatten().min().copied();
        [
            r,
            ring,
            vm,
            self.linger_until,
            quiet,
            reoffer,
            self.queue_deadline(),
            self.ivr_deadline(),
            self.keying_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// What the forks of ringing `i` amount to.
    fn rung(&mut self, i: usize, outcome: Outcome, now: Instant, out: &mut Vec<Action>) {
        let call_id = self.rings[i].call_id.clone();
        if self
            .transfer
            .as_ref()
            .is_some_and(|t| t.ringing.as_deref() == Some(call_id.as_str()))
        {
            self.transfer_rung(outcome, now, out);
            return;
        }
        if self.state == State::Placing {
            let side = self.rings[i].side;
            self.placing_rung(side, outcome, now, out);
            return;
        }
        if let Outcome::Answered {
            answers_as: Some(member),
            ..
        } = &outcome
        {
            // A hunt group's member: the record names who answered.
            self.record.callee = member.clone();
        }
        if matches!(self.state, State::Voicemail | State::Queued | State::Ivr) {
            match outcome {
                Outcome::Answered {
                    dialog,
                    answer,
                    secured,
                    ..
                } => {
                    self.bridged(*dialog, answer, secured, now, out);
                }
                Outcome::NoAnswer | Outcome::Failed(_) if self.state == State::Queued => {
                    self.queue_ringing_failed(now);
                }
                Outcome::NoAnswer | Outcome::Failed(_) if self.state == State::Ivr => {
                    self.ivr_nobody_answered(now, out);
                }
                _ => {}
            }
            return;
        }
        if self.state != State::Calling {
            // The edge answered the caller: its application goes on.
            return;
        }
        match outcome {
            Outcome::Ringing => {
                let ringing = response(
                    &self.invite,
                    180,
                    "Ringing",
                    &[("Contact", contact(self.edge))],
                    Some(&self.a_tag),
                );
                self.server
                    .answer(&self.invite, self.a_source, &ringing, now);
                out.push(Action::Send(self.a_source, ringing));
            }
            Outcome::Answered {
                dialog,
                answer,
                secured,
                ..
            } => {
                self.callee_answered(*dialog, answer, secured, now, out);
            }
            Outcome::NoAnswer => self.nobody_answered(None, "no answer", now, out),
            Outcome::Failed(code) => self.nobody_answered(Some(code), "", now, out),
        }
    }

    /// Nobody rang (`None`, with the `cause`), or every fork failed with
    /// `code`: voicemail, or the failure to the caller.
    fn nobody_answered(
        &mut self,
        code: Option<u16>,
        cause: &str,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if let Fallback::Mailbox(p) = &self.fallback {
            self.record.callee = p.clone();
            self.fallback = Fallback::Voicemail;
        }
        if self.fallback == Fallback::Voicemail {
            if let Some(c) = code {
                self.record.cause = Some(format!("callee {c}"));
            }
            self.voicemail(Greeting::Unavailable, now, out);
            return;
        }
        match code {
            None => {
                self.finish_a(now, 480, "Temporarily Unavailable", out);
                self.end(now, Disposition::NoAnswer, cause, out);
            }
            Some(c) => {
                let (code, reason, disposition) = failure(c);
                self.finish_a(now, code, reason, out);
                self.end(now, disposition, &format!("{code} {reason}"), out);
            }
        }
    }

    /// The callee answered the call: the caller gets the edge's 200.
    fn callee_answered(
        &mut self,
        dialog: Dialog,
        answer: Option<Sdp>,
        secured: bool,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if let Some(m) = self.sides[Leg::B as usize].answered(dialog, answer.clone(), secured) {
            out.push(Action::Media(Leg::B, m));
        }
        // Answer the caller from its own offer: the law B chose if the
        // caller offered it, else the caller's first (the relay transcodes).
        let offer = self.sides[0].sdp.clone();
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

    /// Sends a final response to the caller's INVITE (non-2xx; retransmitted until ACK).
    fn finish_a(&mut self, now: Instant, code: u16, reason: &str, out: &mut Vec<Action>) {
        let r = response(&self.invite, code, reason, &[], Some(&self.a_tag));
        self.server.answer(&self.invite, self.a_source, &r, now);
        out.push(Action::Send(self.a_source, r.clone()));
        self.retrans
            .start("a-final", Kind::InviteFinal, self.a_source, r, now);
    }

    /// 200 OK to the caller with the edge's SDP; side A's dialog begins.
    fn answer_caller(
        &mut self,
        payloads: &[Payload],
        dir: MediaDirection,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let sdp = self.sides[0].render(self.media[0], payloads, dir);
        self.sides[0].payloads = payloads.to_vec();
        let ok = response_with(
            &self.invite,
            200,
            "OK",
            &[("Contact", contact(self.edge)), ("Allow", ALLOW.into())],
            Some(&self.a_tag),
            Some(("application/sdp", &sdp)),
        );
        self.server.answer(&self.invite, self.a_source, &ok, now);
        out.push(Action::Send(self.a_source, ok.clone()));
        self.retrans
            .start("a-final", Kind::InviteFinal, self.a_source, ok, now);
        self.sides[0].dialog = Some(Dialog::answering(&self.invite, &self.a_tag, self.a_source));
    }

    /// Closes the current record (and a transfer's, if one was ringing):
    /// the call is over.
    fn end(&mut self, now: Instant, disposition: Disposition, cause: &str, out: &mut Vec<Action>) {
        if self.state == State::Ended {
            return;
        }
        self.state = State::Ended;
        self.keying = None;
        self.give_up_ringing(None, now, out);
        if let Some(t) = self.transfer.take() {
            self.abandon_transfer(t, now, out);
        }
        if self.recording {
            self.recording = false;
            out.push(Action::Record(false));
        }
        let ended = self.wall_ms(now);
        close(&mut self.record, ended, disposition, cause);
        out.push(Action::Close(Box::new(self.record.clone())));
        out.push(Action::Release);
        self.linger_until = Some(now + GIVE_UP);
    }

    /// A new in-dialog request from us on `leg` (BYE, re-INVITE, NOTIFY).
    fn in_dialog(
        &mut self,
        leg: Leg,
        method: &str,
        extra: &[(&str, String)],
        body: Option<(&str, &[u8])>,
    ) -> Option<(SocketAddr, String, Vec<u8>)> {
        let via_branch = new_branch();
        let (via, contact) = (via(self.edge, &via_branch), contact(self.edge));
        let d = self.sides[leg as usize].dialog.as_mut()?;
        let bytes = d.request(method, via, contact, extra, body);
        Some((d.peer, via_branch, bytes))
    }

    /// Sends a request inside `leg`'s dialog, retransmitted until
    /// answered; the branch it went out on.
    fn send_in_dialog(
        &mut self,
        leg: Leg,
        method: &str,
        extra: &[(&str, String)],
        body: Option<(&str, &[u8])>,
        now: Instant,
        out: &mut Vec<Action>,
    ) -> Option<String> {
        let (to, id, bytes) = self.in_dialog(leg, method, extra, body)?;
        out.push(Action::Send(to, bytes.clone()));
        self.retrans
            .start(id.clone(), Kind::NonInviteClient, to, bytes, now);
        Some(id)
    }

    fn hang_up(&mut self, leg: Leg, now: Instant, out: &mut Vec<Action>) {
        let _ = self.send_in_dialog(leg, "BYE", &[], None, now, out);
    }

    /// The side whose dialog has this Call-ID.
    fn side_of(&self, call_id: &str) -> Option<Leg> {
        [Leg::A, Leg::B]
            .into_iter()
            .find(|l| !call_id.is_empty() && self.sides[*l as usize].call_id == call_id)
    }

    /// Every Call-ID this call has used (the I/O forgets them at the end).
    pub fn call_ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.sides.iter().map(|s| s.call_id.clone()).collect();
        v.extend(self.rings.iter().map(|r| r.call_id.clone()));
        v.extend(self.gone.iter().map(|d| d.call_id.clone()));
        v.push(self.a_call_id().to_owned());
        v.retain(|c| !c.is_empty());
        v.sort();
        v.dedup();
        v
    }

    /// Answers `req` and remembers the answer for its retransmissions.
    fn reply(
        &mut self,
        req: &Request,
        source: SocketAddr,
        (code, reason): (u16, &str),
        extra: &[(&str, String)],
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let r = response(req, code, reason, extra, None);
        self.server.answer(req, source, &r, now);
        out.push(Action::Send(source, r));
    }

    /// A request within this call (matched by Call-ID).
    pub fn on_request(&mut self, req: &Request, source: SocketAddr, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        let call_id = req.header("Call-ID").unwrap_or("");
        if req.method != "ACK"
            && let Seen::Again(answer) = self.server.begin(req, source, now)
        {
            // A retransmission: the same answer (a 100 while an INVITE is pending).
            if let Some(a) = answer.or_else(|| {
                (req.method == "INVITE").then(|| response(req, 100, "Trying", &[], None))
            }) {
                out.push(Action::Send(source, a));
            }
            return out;
        }
        let Some(leg) = self.side_of(call_id) else {
            // A dialog a transfer replaced: its party's BYE is welcome.
            if self
                .gone
                .iter()
                .any(|d| d.call_id == call_id && d.is_from_peer(req))
            {
                match req.method.as_str() {
                    "ACK" => {}
                    "BYE" => self.reply(req, source, (200, "OK"), &[], now, &mut out),
                    _ => self.reply(req, source, NO_DIALOG, &[], now, &mut out),
                }
            } else if req.method != "ACK" {
                self.reply(req, source, NO_DIALOG, &[], now, &mut out);
            }
            return out;
        };
        match (leg, req.method.as_str()) {
            (_, "ACK") => {
                if leg == Leg::A && call_id == self.a_call_id() && req.cseq() == self.invite.cseq()
                {
                    self.retrans.stop("a-final");
                } else {
                    self.retrans.stop(reinvite::ok_id(leg));
                }
            }
            (Leg::A, "CANCEL") => {
                self.reply(req, source, (200, "OK"), &[], now, &mut out);
                if self.state == State::Calling && call_id == self.a_call_id() {
                    self.finish_a(now, 487, "Request Terminated", &mut out);
                    self.end(now, Disposition::Cancelled, "caller cancelled", &mut out);
                }
            }
            (_, "BYE") => {
                if !self.sides[leg as usize].knows(req) {
                    self.reply(req, source, NO_DIALOG, &[], now, &mut out);
                    return out;
                }
                self.reply(req, source, (200, "OK"), &[], now, &mut out);
                self.party_left(leg, now, &mut out);
            }
            (_, "INVITE") if self.state == State::Answered => {
                self.forward_reinvite(leg, req, source, now, &mut out);
            }
            (_, "INVITE") => self.reply(req, source, (491, "Request Pending"), &[], now, &mut out),
            (_, "REFER") => self.on_refer(leg, req, source, now, &mut out),
            (_, "INFO") => {
                if let Some(digit) = info_digit(req) {
                    self.reply(req, source, (200, "OK"), &[], now, &mut out);
                    out.extend(self.on_dtmf(leg, digit, now));
                    return out;
                }
                match req.header("Record").map(str::trim) {
                    Some(v) if v.eq_ignore_ascii_case("on") => self.set_recording(true, &mut out),
                    Some(v) if v.eq_ignore_ascii_case("off") => {
                        self.set_recording(false, &mut out);
                    }
                    _ => {}
                }
                self.reply(req, source, (200, "OK"), &[], now, &mut out);
            }
            (_, "OPTIONS" | "UPDATE") => self.reply(req, source, (200, "OK"), &[], now, &mut out),
            _ => self.reply(
                req,
                source,
                (405, "Method Not Allowed"),
                &[("Allow", ALLOW.into())],
                now,
                &mut out,
            ),
        }
        out
    }

    /// The party on `leg` hung up (its BYE was answered).
    fn party_left(&mut self, leg: Leg, now: Instant, out: &mut Vec<Action>) {
        if self.transfer.is_some() {
            self.left_during_transfer(leg, now, out);
            return;
        }
        if std::mem::take(&mut self.asking_callback) {
            // The request is filed all the same.
            self.end(now, Disposition::Callback, "caller hung up", out);
            return;
        }
        if let Some(d) = self.farewell_disposition() {
            self.end(now, d, "caller hung up", out);
            return;
        }
        match self.state {
            State::Answered => {
                self.hang_up(leg.other(), now, out);
                let who = if leg == self.caller_side {
                    "caller"
                } else {
                    "callee"
                };
                self.end(now, Disposition::Answered, &format!("{who} hung up"), out);
            }
            State::Voicemail => {
                let d = if self.recording {
                    Disposition::Voicemail
                } else if self.greeting == Some(Greeting::AfterHours) {
                    Disposition::AfterHours
                } else {
                    Disposition::NoAnswer
                };
                self.end(now, d, "caller hung up", out);
            }
            State::Queued => {
                if let Some(group) = self.queued_for().cloned() {
                    out.push(Action::Notify(domain::event::Happening::LeftQueue(
                        group,
                        domain::event::LeftQueue::Abandoned,
                    )));
                }
                self.give_up_ringing(None, now, out);
                self.end(
                    now,
                    Disposition::Abandoned,
                    "caller hung up in the queue",
                    out,
                );
            }
            State::Ivr if self.rings.iter().any(Ringing::active) => {
                self.end(
                    now,
                    Disposition::Cancelled,
                    "caller hung up while ringing",
                    out,
                );
            }
            State::Ivr => self.end(now, Disposition::Ivr, "caller hung up in the ARS", out),
            State::Placing => {
                self.give_up_ringing(None, now, out);
                self.end(
                    now,
                    Disposition::Cancelled,
                    "agent hung up before the customer answered",
                    out,
                );
            }
            State::Calling | State::Ended => {}
        }
    }

    /// A DTMF digit a party pressed: `*1` toggles recording, `*2` + number
    /// + `#` transfers the other party there (as in most PBXs).
    pub fn on_dtmf(&mut self, leg: Leg, digit: char, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        tracing::debug!(call = %self.record.id, ?leg, %digit, "key pressed");
        if leg == Leg::A && self.callback_key(digit, now, &mut out) {
            return out;
        }
        if leg == Leg::A && self.state == State::Ivr {
            self.ivr_key(digit, now, &mut out);
            return out;
        }
        match self.keys[leg as usize].press(digit, now) {
            Some(transfer::Feature::Record) => {
                let on = !self.recording;
                self.set_recording(on, &mut out);
            }
            Some(transfer::Feature::Transfer(number)) => {
                self.keyed_transfer(leg, &number, &mut out);
            }
            None => {}
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

    /// A response to something we sent on either side.
    pub fn on_response(&mut self, resp: &Response, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        let call_id = resp.header("Call-ID").unwrap_or("");
        let branch = resp
            .header("Via")
            .and_then(|v| param(v, "branch"))
            .unwrap_or("")
            .to_owned();
        let method = resp.cseq_method().to_owned();
        if method == "INVITE" && self.reinvite.as_ref().is_some_and(|r| r.branch == branch) {
            self.reinvite_answered(resp, now, &mut out);
            return out;
        }
        if method == "INVITE" {
            let (rings, mut io) = self.io(&mut out, now);
            let hit = rings
                .iter_mut()
                .enumerate()
                .find(|(_, r)| r.call_id == call_id && r.owns(&branch))
                .map(|(i, r)| (i, r.on_response(&branch, resp, &mut io)));
            match hit {
                Some((i, Some(o))) => self.rung(i, o, now, &mut out),
                Some((_, None)) => {}
                None => {
                    // A 2xx again to a re-INVITE we already ACKed (our ACK
                    // was lost): ACK it again.
                    if (200..300).contains(&resp.code)
                        && let Some(leg) = self.side_of(call_id)
                        && let Some(d) = &self.sides[leg as usize].dialog
                    {
                        out.push(Action::Send(
                            d.peer,
                            d.ack(resp, via(self.edge, &new_branch())),
                        ));
                    }
                }
            }
            return out;
        }
        if resp.code >= 200 {
            self.retrans.stop(&branch);
            self.retrans.stop(&format!("cancel-{branch}"));
        }
        if resp.code >= 200 && self.probes.contains(&branch) {
            self.probe_answered(&branch, resp.code, now, &mut out);
        }
        out
    }
}

/// The key a SIP INFO carries: `application/dtmf-relay` (`Signal=5`, as
/// Cisco and most phones send it) or `application/dtmf` (the key alone).
fn info_digit(req: &Request) -> Option<char> {
    let kind = req.header("Content-Type")?.trim().to_ascii_lowercase();
    let body = std::str::from_utf8(&req.body).ok()?;
    let key = match kind.split(';').next().map(str::trim)? {
        "application/dtmf-relay" => body.lines().find_map(|l| {
            let (name, value) = l.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("signal")
                .then(|| value.trim())
        })?,
        "application/dtmf" => body.trim(),
        _ => return None,
    };
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if domain::ivr::KEYS.contains(c.to_ascii_uppercase()) => Some(c),
        // RFC 4733 event codes 10 and 11 are * and #.
        _ if key == "10" => Some('*'),
        _ if key == "11" => Some('#'),
        _ => None,
    }
}

/// Ends a record: when, how, and why (an earlier cause, such as the
/// callee's answer before voicemail, stays first).
fn close(r: &mut CallRecord, ended_ms: i64, disposition: Disposition, cause: &str) {
    r.ended_ms = Some(ended_ms.max(r.started_ms));
    if r.answered_ms.is_none() && r.direction == Direction::Incoming {
        r.direction = Direction::Missed;
    }
    r.disposition = disposition;
    r.cause = Some(match r.cause.take() {
        Some(first) => format!("{first}; {cause}"),
        None => cause.into(),
    });
}

#[cfg(test)]
mod tests;

/// How soon after one key of a feature code the next must follow.
pub const FEATURE_CODE_WINDOW: Duration = Duration::from_secs(3);
