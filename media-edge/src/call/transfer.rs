//! Transfer (돌려주기): one party hands the other to someone else.
//!
//! - **Blind** (RFC 3515): the transferor sends REFER with `Refer-To: <sip:1003@…>`.
//!   The edge answers 202, asks routing where the target is (the
//!   transferor's permissions apply), rings it into the transferor's side
//!   and reports progress as NOTIFYs with `message/sipfrag` bodies
//!   (`100 Trying`, `180 Ringing`, then `200 OK` or the failure). When the
//!   target answers, the transferor's dialog ends and the relay joins the
//!   two remaining parties. A feature code (`*2` + number + `#`) does the
//!   same for phones without REFER; the transferor is let go at once.
//! - **Attended** (RFC 3891): the transferor first called the target in a
//!   second call, then sends REFER whose Refer-To carries `?Replaces=` that
//!   call's dialog. The edge takes the target's side from the other call
//!   ([`Handover`]), moves it onto this call's relay with a re-INVITE, and
//!   ends the transferor's dialogs in both calls. If the target had not
//!   answered yet, that call is cancelled and the target rung anew.
//!
//! The call keeps a chain of records: the one before the transfer closes
//! as `Transferred`, the next one names it as `previous`, and each
//! recording segment belongs to the record it was made under.

use std::net::SocketAddr;
use std::time::Instant;

use domain::call::{CallRecord, Disposition, Party};
use domain::{AccountId, TenantId};
use percent_encoding::percent_decode_str;

use super::ringing::{Outcome, Ringing};
use super::side::Side;
use super::{Action, Call, FEATURE_CODE_WINDOW, NO_DIALOG, State, close, failure, token};
use crate::dialog::Dialog;
use crate::routing::{Decision, Refusal, Route};
use crate::rtp::{Leg, LegMedia};
use crate::sdp::{Direction as MediaDirection, offer_for_far_leg};
use crate::sip::message::{Request, addr_uri, uri_host_port};

/// The dialog a Refer-To's `Replaces` names (RFC 3891 §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    pub call_id: String,
    pub to_tag: String,
    pub from_tag: String,
}

impl Replaces {
    /// `call-id;to-tag=a;from-tag=b` (other parameters, such as
    /// `early-only`, are allowed and ignored).
    pub fn parse(v: &str) -> Option<Self> {
        let mut parts = v.split(';');
        let call_id = parts.next()?.trim();
        let (mut to_tag, mut from_tag) = (None, None);
        for p in parts {
            match p.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
                Some((k, v)) if k.eq_ignore_ascii_case("to-tag") => to_tag = Some(v),
                Some((k, v)) if k.eq_ignore_ascii_case("from-tag") => from_tag = Some(v),
                _ => {}
            }
        }
        if call_id.is_empty() {
            return None;
        }
        Some(Self {
            call_id: call_id.to_owned(),
            to_tag: to_tag?.to_owned(),
            from_tag: from_tag?.to_owned(),
        })
    }

    /// Whether `d`, one of the edge's dialogs, is the one named. The tags
    /// are the replacing UA's view (to-tag ours, from-tag the transferor's);
    /// the other way round is accepted too, as some phones write it.
    pub fn names(&self, d: &Dialog) -> bool {
        d.call_id == self.call_id
            && ((d.local_tag == self.to_tag && d.remote_tag == self.from_tag)
                || (d.local_tag == self.from_tag && d.remote_tag == self.to_tag))
    }
}

/// What a REFER asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferTo {
    /// The user part of the target (an extension, a 070 or outside number).
    pub user: String,
    pub replaces: Option<Replaces>,
}

/// Why a REFER can't be carried out as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferError {
    #[error("no Refer-To")]
    Missing,
    #[error("Refer-To is not a sip, sips or tel URI with a user")]
    Target,
    #[error("Refer-To has a malformed Replaces")]
    Replaces,
}

/// Reads a REFER's `Refer-To` (compact `r` too).
pub fn refer_to(req: &Request) -> Result<ReferTo, ReferError> {
    let value = req.header("Refer-To").ok_or(ReferError::Missing)?;
    let uri = addr_uri(value);
    let (base, headers) = uri.split_once('?').unwrap_or((uri, ""));
    let lower = base.to_ascii_lowercase();
    let rest = ["sip:", "sips:", "tel:"]
        .iter()
        .find_map(|s| lower.starts_with(s).then(|| &base[s.len()..]))
        .ok_or(ReferError::Target)?;
    let user = rest
        .split_once('@')
        .map_or(rest, |(u, _)| u)
        .split(';')
        .next()
        .unwrap_or("");
    let user = percent_decode_str(user)
        .decode_utf8_lossy()
        .trim()
        .to_owned();
    if user.is_empty() {
        return Err(ReferError::Target);
    }
    let mut replaces = None;
    for h in headers.split('&') {
        if let Some((name, v)) = h.split_once('=')
            && name.eq_ignore_ascii_case("Replaces")
        {
            let v = percent_decode_str(v).decode_utf8_lossy();
            replaces = Some(Replaces::parse(&v).ok_or(ReferError::Replaces)?);
        }
    }
    Ok(ReferTo { user, replaces })
}

/// A feature code keyed on a phone's keypad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature {
    /// `*1`: recording on or off.
    Record,
    /// `*2` + number + `#`: transfer the other party there.
    Transfer(String),
}

/// The keys of a feature code being pressed on one side.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    code: String,
    last: Option<Instant>,
}

impl Keys {
    /// The longest number after `*2`.
    const MAX_NUMBER: usize = 20;

    /// A key pressed (RFC 4733 digit); the feature it completes, if any.
    /// Each key must follow the last within [`FEATURE_CODE_WINDOW`].
    pub fn press(&mut self, key: char, now: Instant) -> Option<Feature> {
        let fresh = self
            .last
            .is_some_and(|t| now.duration_since(t) < FEATURE_CODE_WINDOW);
        self.last = Some(now);
        if !fresh {
            self.code.clear();
        }
        if self.code.is_empty() || (key == '*' && !self.code.starts_with("*2")) {
            if key == '*' {
                self.code = "*".into();
            }
            return None;
        }
        self.code.push(key);
        let feature = match self.code.as_str() {
            "*1" => Some(Feature::Record),
            "*2" => return None,
            c if c.starts_with("*2") && key == '#' => {
                Some(Feature::Transfer(c[2..c.len() - 1].to_owned()))
                    .filter(|f| f != &Feature::Transfer(String::new()))
            }
            c if c.starts_with("*2") && key.is_ascii_digit() && c.len() <= 2 + Self::MAX_NUMBER => {
                return None;
            }
            _ => None,
        };
        self.code.clear();
        feature
    }
}

/// Where a transfer's target is decided: by routing, as if the transferor
/// dialled it (its permissions apply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRoute {
    pub tenant: TenantId,
    pub account: AccountId,
    pub dialled: String,
}

/// A party handed from one call to another (attended transfer): its
/// dialog and media agreement, and who it is.
#[derive(Debug, Clone)]
pub struct Handover {
    pub side: Side,
    pub party: Party,
    pub auto_record: bool,
}

/// Why a call could not hand a party over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandoverError {
    #[error("no call has that dialog")]
    NotFound,
    /// The named call was still ringing: it was cancelled, and the target
    /// is rung anew.
    #[error("that call was not answered yet")]
    NotAnswered,
}

/// A transfer in progress.
#[derive(Debug, Clone)]
pub(super) struct Transfer {
    /// The transferor's side: the new party takes it.
    pub by: Leg,
    /// Progress goes to the transferor as NOTIFYs (not for feature codes,
    /// nor after `Refer-Sub: false`).
    notify: bool,
    /// Keyed on the phone: the transferor is let go once the target rings.
    keyed: bool,
    /// The transferor has left (hung up, or was let go).
    by_gone: bool,
    /// What the transferor asked for.
    target: String,
    /// The Call-ID the target rings on.
    pub ringing: Option<String>,
    /// The new party while it rings.
    next: Option<Side>,
    /// The record of the call after the transfer, from when the target rings.
    record: Option<CallRecord>,
    auto_record: bool,
    told_ringing: bool,
}

/// A party as the From of an INVITE: `"Kim" <sip:01012345678@host>`.
fn caller_id(p: &Party, host: &str) -> String {
    let digits: String = p
        .number
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let user = if digits.is_empty() {
        "anonymous".to_owned()
    } else {
        digits
    };
    match p.name.as_deref().map(|n| n.replace(['"', '\\'], "")) {
        Some(name) if !name.is_empty() => format!("\"{name}\" <sip:{user}@{host}>"),
        _ => format!("<sip:{user}@{host}>"),
    }
}

impl Call {
    /// The party on `leg`, as the current record names it.
    fn party(&self, leg: Leg) -> &Party {
        if leg == self.caller_side {
            &self.record.caller
        } else {
            &self.record.callee
        }
    }

    /// Whether the call can be transferred by the party on `leg` now.
    fn transferable(&self, leg: Leg) -> Result<(TenantId, AccountId), (u16, &'static str)> {
        if self.state != State::Answered {
            return Err((403, "Forbidden"));
        }
        if self.transfer.is_some() {
            return Err((491, "Request Pending"));
        }
        // An outside party has no permissions to transfer under.
        let account = self.party(leg).account.clone().ok_or((403, "Forbidden"))?;
        Ok((self.record.tenant.clone(), account))
    }

    /// A REFER from the party on `leg` (in its dialog).
    pub(super) fn on_refer(
        &mut self,
        leg: Leg,
        req: &Request,
        source: SocketAddr,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if !self.sides[leg as usize].knows(req) {
            self.reply(req, source, NO_DIALOG, &[], now, out);
            return;
        }
        let (tenant, account) = match self.transferable(leg) {
            Ok(who) => who,
            Err((code, reason)) => {
                self.reply(req, source, (code, reason), &[], now, out);
                return;
            }
        };
        let rt = match refer_to(req) {
            Ok(rt) => rt,
            Err(e) => {
                let warning = format!("399 office-edge \"{e}\"");
                self.reply(
                    req,
                    source,
                    (400, "Bad Request"),
                    &[("Warning", warning)],
                    now,
                    out,
                );
                return;
            }
        };
        let notify = !req
            .header("Refer-Sub")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
        let extra: Vec<(&str, String)> = if notify {
            Vec::new()
        } else {
            vec![("Refer-Sub", "false".into())]
        };
        self.reply(req, source, (202, "Accepted"), &extra, now, out);
        let t = Transfer {
            by: leg,
            notify,
            keyed: false,
            by_gone: false,
            target: rt.user.clone(),
            ringing: None,
            next: None,
            record: None,
            auto_record: false,
            told_ringing: false,
        };
        self.notify(&t, "100 Trying", false, now, out);
        self.transfer = Some(t);
        match rt.replaces {
            Some(r) if self.call_ids().contains(&r.call_id) => {
                // A call can't be joined with itself.
                out.extend(self.handed_over(Err(HandoverError::NotFound), now));
            }
            Some(r) => out.push(Action::HandOver(r)),
            None => out.push(Action::RouteTransfer(TransferRoute {
                tenant,
                account,
                dialled: rt.user,
            })),
        }
    }

    /// `*2` + number + `#` keyed by the party on `leg`.
    pub(super) fn keyed_transfer(&mut self, leg: Leg, number: &str, out: &mut Vec<Action>) {
        let Ok((tenant, account)) = self.transferable(leg) else {
            tracing::info!(
                number,
                "a transfer keyed when the call can't be transferred"
            );
            return;
        };
        self.transfer = Some(Transfer {
            by: leg,
            notify: false,
            keyed: true,
            by_gone: false,
            target: number.to_owned(),
            ringing: None,
            next: None,
            record: None,
            auto_record: false,
            told_ringing: false,
        });
        out.push(Action::RouteTransfer(TransferRoute {
            tenant,
            account,
            dialled: number.to_owned(),
        }));
    }

    /// A NOTIFY of the transfer's progress to the transferor (RFC 3515 §2.4.5).
    fn notify(
        &mut self,
        t: &Transfer,
        status: &str,
        done: bool,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        if !t.notify || t.by_gone {
            return;
        }
        let state = if done {
            "terminated;reason=noresource"
        } else {
            "active;expires=60"
        };
        let body = format!("SIP/2.0 {status}\r\n");
        let _ = self.send_in_dialog(
            t.by,
            "NOTIFY",
            &[
                ("Event", "refer".into()),
                ("Subscription-State", state.into()),
            ],
            Some(("message/sipfrag;version=2.0", body.as_bytes())),
            now,
            out,
        );
    }

    /// Routing decided where the transfer goes: ring it, or report why not.
    pub fn transfer_routed(
        &mut self,
        decided: Result<Decision, Refusal>,
        now: Instant,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(t) = self.transfer.as_ref().filter(|t| t.ringing.is_none()) else {
            return out;
        };
        let (by, keyed) = (t.by, t.keyed);
        let d = match decided {
            Ok(d) => d,
            Err(r) => {
                self.transfer_failed(r.code, r.reason, Disposition::Failed, now, &mut out);
                return out;
            }
        };
        let Route::Ring { forks, .. } = d.route else {
            // Not a phone this edge rings (another edge, an application).
            self.transfer_failed(
                480,
                "Temporarily Unavailable",
                Disposition::Failed,
                now,
                &mut out,
            );
            return out;
        };
        let kept = by.other();
        let kept_party = self.party(kept).clone();
        let record = self.record.continued(
            kept_party.clone(),
            d.record.callee.clone(),
            self.wall_ms(now),
        );
        let from = if d.record.callee.account.is_some() {
            let host =
                uri_host_port(addr_uri(&d.b_to)).map_or_else(|| "office".to_owned(), |(h, _)| h);
            caller_id(&kept_party, &host)
        } else {
            // Out through the trunk: the tenant's number, as routing chose.
            d.b_from.clone()
        };
        let session = u64::from_str_radix(&record.id[..11], 16).unwrap_or(1);
        let mut next = Side::new(format!("{}@office-edge", token()), session);
        let offer = self.sides[kept as usize]
            .sdp
            .as_ref()
            .map(offer_for_far_leg)
            .unwrap_or_default();
        let sdp = next.offer(self.media[by as usize], &offer, MediaDirection::SendRecv);
        let ring = Ringing::new(by, next.call_id.clone(), (from, d.b_to), sdp, forks, now);
        out.push(Action::Save(Box::new(record.clone())));
        if let Some(t) = self.transfer.as_mut() {
            t.ringing = Some(next.call_id.clone());
            t.next = Some(next);
            t.record = Some(record);
            t.auto_record = d.auto_record;
        }
        if keyed {
            // The transferor keyed it and goes; the other party waits.
            self.transferor_leaves(now, &mut out);
        }
        if !self.ring(ring, now, &mut out) {
            self.transfer_failed(
                480,
                "Temporarily Unavailable",
                Disposition::NoAnswer,
                now,
                &mut out,
            );
        }
        out
    }

    /// The transferor's dialog ends (a BYE from the edge); the transfer goes on.
    fn transferor_leaves(&mut self, now: Instant, out: &mut Vec<Action>) {
        let Some(by) = self.transfer.as_ref().map(|t| t.by) else {
            return;
        };
        self.hang_up(by, now, out);
        if let Some(d) = self.sides[by as usize].dialog.take() {
            self.gone.push(d);
        }
        if let Some(t) = self.transfer.as_mut() {
            t.by_gone = true;
        }
    }

    /// What the transfer target's forks amount to.
    pub(super) fn transfer_rung(&mut self, outcome: Outcome, now: Instant, out: &mut Vec<Action>) {
        match outcome {
            Outcome::Ringing => {
                if let Some(mut t) = self.transfer.take() {
                    if !t.told_ringing {
                        t.told_ringing = true;
                        self.notify(&t, "180 Ringing", false, now, out);
                    }
                    self.transfer = Some(t);
                }
            }
            Outcome::Answered {
                dialog,
                answer,
                secured,
                ..
            } => {
                let Some(mut side) = self.transfer.as_mut().and_then(|t| t.next.take()) else {
                    return;
                };
                let media = side.answered(*dialog, answer, secured).unwrap_or_default();
                let record = self.transfer.as_mut().and_then(|t| t.record.take());
                if let Some(mut record) = record {
                    record.answered_ms = Some(self.wall_ms(now));
                    record.disposition = Disposition::Answered;
                    self.complete_transfer((side, media, false), record, now, out);
                }
            }
            Outcome::NoAnswer => {
                self.transfer_failed(
                    480,
                    "Temporarily Unavailable",
                    Disposition::NoAnswer,
                    now,
                    out,
                );
            }
            Outcome::Failed(code) => {
                let (code, reason, disposition) = failure(code);
                self.transfer_failed(code, reason, disposition, now, out);
            }
        }
    }

    /// The new party is there: the record before closes as transferred,
    /// the transferor's dialog ends, and the new party takes its side.
    /// `moved` says the new party must first be moved onto this call's
    /// relay (it was handed over from another call).
    fn complete_transfer(
        &mut self,
        (side, media, moved): (Side, LegMedia, bool),
        record: CallRecord,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let Some(t) = self.transfer.take() else {
            return;
        };
        let (by, kept) = (t.by, t.by.other());
        self.notify(&t, "200 OK", true, now, out);
        if self.recording {
            // The segment so far belongs to the call before the transfer.
            self.recording = false;
            out.push(Action::Record(false));
        }
        let mut before = self.record.clone();
        close(
            &mut before,
            self.wall_ms(now),
            Disposition::Transferred,
            &format!("transferred to {}", t.target),
        );
        out.push(Action::Close(Box::new(before)));
        if !t.by_gone {
            self.hang_up(by, now, out);
        }
        if let Some(d) = self.sides[by as usize].dialog.take() {
            self.gone.push(d);
        }
        self.sides[by as usize] = side;
        out.push(Action::Replace(by, media));
        self.record = record;
        self.caller_side = kept;
        self.record_sides.push((self.record.id.clone(), kept));
        out.push(Action::Save(Box::new(self.record.clone())));
        self.auto_record = t.auto_record;
        if self.auto_record {
            self.set_recording(true, out);
        }
        if moved {
            self.offer_again(by, now, out);
        }
        if self.sides[kept as usize].given != MediaDirection::SendRecv {
            // The transferor had put it on hold: take it off.
            self.offer_again(kept, now, out);
        }
    }

    /// The transfer did not happen: the transferor hears why; a party left
    /// alone is hung up.
    fn transfer_failed(
        &mut self,
        code: u16,
        reason: &str,
        disposition: Disposition,
        now: Instant,
        out: &mut Vec<Action>,
    ) {
        let Some(t) = self.transfer.take() else {
            return;
        };
        tracing::info!(call = %self.record.id, target = %t.target, code, "transfer failed");
        self.notify(&t, &format!("{code} {reason}"), true, now, out);
        if let Some(mut r) = t.record {
            close(
                &mut r,
                self.wall_ms(now),
                disposition,
                &format!("{code} {reason}"),
            );
            out.push(Action::Close(Box::new(r)));
        }
        if t.by_gone {
            let kept = t.by.other();
            self.hang_up(kept, now, out);
            self.end(
                now,
                Disposition::Answered,
                &format!("transfer to {} failed: {code} {reason}", t.target),
                out,
            );
        }
    }

    /// A party hung up while its call was being transferred.
    pub(super) fn left_during_transfer(&mut self, leg: Leg, now: Instant, out: &mut Vec<Action>) {
        if self.transfer.as_ref().is_some_and(|t| t.by == leg) {
            // The transferor goes, as a blind transfer expects: the rest goes on.
            if let Some(d) = self.sides[leg as usize].dialog.take() {
                self.gone.push(d);
            }
            if let Some(t) = self.transfer.as_mut() {
                t.by_gone = true;
            }
            return;
        }
        // The party being transferred hung up: nothing left to transfer.
        let Some(t) = self.transfer.take() else {
            return;
        };
        if !t.by_gone {
            self.hang_up(t.by, now, out);
        }
        self.abandon_transfer(t, now, out);
        let who = if leg == self.caller_side {
            "caller"
        } else {
            "callee"
        };
        self.end(
            now,
            Disposition::Answered,
            &format!("{who} hung up during a transfer"),
            out,
        );
    }

    /// Stops a transfer's ringing and closes its record as cancelled.
    pub(super) fn abandon_transfer(&mut self, t: Transfer, now: Instant, out: &mut Vec<Action>) {
        if let Some(ringing) = t.ringing.as_deref() {
            self.give_up_ringing(Some(ringing), now, out);
        }
        if let Some(mut r) = t.record {
            close(
                &mut r,
                self.wall_ms(now),
                Disposition::Cancelled,
                "transfer abandoned",
            );
            out.push(Action::Close(Box::new(r)));
        }
    }

    /// Whether `r` names the caller's dialog while it is still early (the
    /// caller's tag is known, ours too but the caller may not have it).
    fn invite_named(&self, r: &Replaces) -> bool {
        let caller_tag =
            crate::sip::message::param(self.invite.header("From").unwrap_or(""), "tag");
        r.call_id == self.a_call_id()
            && caller_tag.is_some_and(|t| t == r.from_tag || t == r.to_tag)
    }

    /// Another call's transferor asks for the party at the other end of
    /// the dialog `r` names (attended transfer): this call gives it up and
    /// ends. A call still ringing is cancelled instead.
    pub fn hand_over(
        &mut self,
        r: &Replaces,
        now: Instant,
    ) -> (Result<Handover, HandoverError>, Vec<Action>) {
        let mut out = Vec::new();
        let named = [Leg::A, Leg::B].into_iter().find(|l| {
            self.sides[*l as usize]
                .dialog
                .as_ref()
                .is_some_and(|d| r.names(d))
        });
        let Some(named) =
            named.filter(|_| self.state == State::Answered && self.transfer.is_none())
        else {
            if self.state == State::Calling && self.invite_named(r) {
                self.finish_a(now, 487, "Request Terminated", &mut out);
                self.end(
                    now,
                    Disposition::Cancelled,
                    "transferred before answer",
                    &mut out,
                );
                return (Err(HandoverError::NotAnswered), out);
            }
            return (Err(HandoverError::NotFound), out);
        };
        let other = named.other();
        let party = self.party(other).clone();
        let side = std::mem::replace(&mut self.sides[other as usize], Side::new(String::new(), 0));
        // Nothing more goes to the party handed over from here.
        for id in std::mem::take(&mut self.probes) {
            self.retrans.stop(&id);
        }
        if let Some(ri) = self.reinvite.take() {
            self.retrans.stop(&ri.branch);
        }
        self.reoffer = [None, None];
        self.hang_up(named, now, &mut out);
        self.end(now, Disposition::Transferred, "attended transfer", &mut out);
        let auto_record = self.auto_record;
        (
            Ok(Handover {
                side,
                party,
                auto_record,
            }),
            out,
        )
    }

    /// The other call answered the hand-over this call asked for.
    pub fn handed_over(
        &mut self,
        result: Result<Handover, HandoverError>,
        now: Instant,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        let Some((by, target)) = self
            .transfer
            .as_ref()
            .filter(|t| t.ringing.is_none())
            .map(|t| (t.by, t.target.clone()))
        else {
            return out;
        };
        match result {
            Ok(h) => {
                out.push(Action::Listen(h.side.call_id.clone()));
                let kept = self.party(by.other()).clone();
                let mut record =
                    self.record
                        .continued(kept.clone(), h.party.clone(), self.wall_ms(now));
                record.answered_ms = Some(self.wall_ms(now));
                record.disposition = Disposition::Answered;
                let media = h
                    .side
                    .sdp
                    .as_ref()
                    .map(|s| LegMedia::answered(s, &h.side.payloads))
                    .unwrap_or_default();
                if let Some(t) = self.transfer.as_mut() {
                    t.auto_record = self.auto_record || h.auto_record;
                }
                self.complete_transfer((h.side, media, true), record, now, &mut out);
            }
            Err(HandoverError::NotAnswered) => {
                // The target was still ringing in that call: ring it from here.
                let (tenant, account) =
                    (self.record.tenant.clone(), self.party(by).account.clone());
                match account {
                    Some(account) => out.push(Action::RouteTransfer(TransferRoute {
                        tenant,
                        account,
                        dialled: target,
                    })),
                    None => {
                        self.transfer_failed(403, "Forbidden", Disposition::Failed, now, &mut out)
                    }
                }
            }
            Err(HandoverError::NotFound) => {
                self.transfer_failed(
                    481,
                    "Call/Transaction Does Not Exist",
                    Disposition::Failed,
                    now,
                    &mut out,
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn refer(refer_to: &str) -> Request {
        Request::parse(format!("REFER sip:edge@203.0.113.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKr\r\nFrom: <sip:1002@office>;tag=b\r\nTo: <sip:1001@office>;tag=e\r\nCall-ID: c\r\nCSeq: 5 REFER\r\nr: {refer_to}\r\nContent-Length: 0\r\n\r\n").as_bytes()).expect("refer")
    }

    #[test]
    fn a_blind_refer_names_the_target_user() {
        assert_eq!(
            refer_to(&refer("<sip:1003@127.0.0.1:5060>")),
            Ok(ReferTo {
                user: "1003".into(),
                replaces: None
            })
        );
        assert_eq!(
            refer_to(&refer("<tel:+82-10-1234-5678>")).map(|r| r.user),
            Ok("+82-10-1234-5678".into())
        );
        assert_eq!(
            refer_to(&refer("sip:01012345678@office;user=phone")).map(|r| r.user),
            Ok("01012345678".into())
        );
        assert_eq!(
            refer_to(&refer("<http://example.com/>")),
            Err(ReferError::Target)
        );
        assert_eq!(refer_to(&refer("<sip:@office>")), Err(ReferError::Target));
    }

    #[test]
    fn an_attended_refer_carries_the_dialog_to_replace_percent_encoded() {
        let rt = refer_to(&refer(
            "<sip:1003@127.0.0.1?Replaces=abc%40192.0.2.20%3Bto-tag%3Dedge1%3Bfrom-tag%3Db2>",
        ))
        .expect("refer-to");
        assert_eq!(
            rt.replaces,
            Some(Replaces {
                call_id: "abc@192.0.2.20".into(),
                to_tag: "edge1".into(),
                from_tag: "b2".into()
            })
        );
        assert_eq!(
            refer_to(&refer("<sip:1003@h?Replaces=abc%3Bto-tag%3Dx>")),
            Err(ReferError::Replaces),
            "a Replaces without a from-tag names nothing"
        );
        let d = Dialog {
            call_id: "abc@192.0.2.20".into(),
            local: String::new(),
            local_tag: "edge1".into(),
            remote: String::new(),
            remote_tag: "b2".into(),
            target: String::new(),
            peer: "192.0.2.20:5060".parse().expect("addr"),
            cseq: 1,
        };
        let r = rt.replaces.expect("replaces");
        assert!(r.names(&d));
        assert!(
            !Replaces {
                from_tag: "b3".into(),
                ..r
            }
            .names(&d)
        );
    }

    #[test]
    fn a_missing_refer_to_is_an_error() {
        let req = Request::parse(b"REFER sip:edge@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr\r\nFrom: <sip:a@h>;tag=b\r\nTo: <sip:b@h>;tag=e\r\nCall-ID: c\r\nCSeq: 5 REFER\r\nContent-Length: 0\r\n\r\n").expect("refer");
        assert_eq!(refer_to(&req), Err(ReferError::Missing));
    }

    #[test]
    fn feature_codes_are_read_from_keys_pressed_in_time() {
        let t0 = Instant::now();
        let mut k = Keys::default();
        let press = |k: &mut Keys, keys: &str, at: Instant| {
            keys.chars().map(|c| k.press(c, at)).last().flatten()
        };
        assert_eq!(press(&mut k, "*1", t0), Some(Feature::Record));
        assert_eq!(
            press(&mut k, "*21003#", t0),
            Some(Feature::Transfer("1003".into()))
        );
        assert_eq!(press(&mut k, "1*2", t0), None);
        assert_eq!(
            press(&mut k, "01012345678#", t0),
            Some(Feature::Transfer("01012345678".into()))
        );
        assert_eq!(press(&mut k, "*2#", t0), None, "no number");
        assert_eq!(
            press(&mut k, "5*1", t0),
            Some(Feature::Record),
            "a code may follow other keys"
        );
        // Too slow: the code starts over.
        k.press('*', t0);
        k.press('2', t0 + Duration::from_secs(1));
        assert_eq!(k.press('1', t0 + Duration::from_secs(5)), None);
        assert_eq!(k.press('#', t0 + Duration::from_secs(5)), None);
    }

    #[test]
    fn a_transferred_party_shows_its_own_number() {
        let p = Party {
            number: "010-1234-5678".into(),
            account: None,
            name: None,
        };
        assert_eq!(caller_id(&p, "office"), "<sip:01012345678@office>");
        let p = Party {
            number: "1001".into(),
            account: None,
            name: Some("김\"민수".into()),
        };
        assert_eq!(caller_id(&p, "office"), "\"김민수\" <sip:1001@office>");
    }
}
