//! Transfers (REFER, Replaces, feature codes) through the state machine,
//! with literal SIP messages.

use super::*;
use crate::routing::{Decision, Refusal, Route};

const THIRD: &str = "192.0.2.30:5060";

/// A call the desk phone answered and the caller ACKed, with the INVITE
/// the desk got (its Call-ID and our tag name the desk's dialog).
fn talking(now: Instant) -> (Call, Request) {
    let (mut call, out) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    call.on_request(&caller_ack(), addr(CALLER), now);
    (call, desk)
}

/// A request from the desk phone in its dialog with the edge.
fn from_desk(desk: &Request, method: &str, cseq: u32, extra: &str) -> Request {
    let msg = format!(
        "{method} sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKd{cseq}{method}\r\nFrom: <sip:1002@office>;tag=d1\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\n{extra}Content-Length: 0\r\n\r\n",
        desk.header("From").expect("from"),
        desk.header("Call-ID").expect("call-id")
    );
    Request::parse(msg.as_bytes()).expect("request")
}

/// A request from the caller in its dialog with the edge.
fn from_caller(method: &str, cseq: u32, extra: &str) -> Request {
    let msg = format!(
        "{method} sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKc{cseq}{method}\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: {cseq} {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    );
    Request::parse(msg.as_bytes()).expect("request")
}

/// Routing's answer for 1003: its phone at THIRD.
fn to_third() -> Result<Decision, Refusal> {
    let party = |n: &str| Party {
        number: n.into(),
        account: Some(account(n)),
        name: None,
    };
    Ok(Decision {
        record: CallRecord::starting(
            domain::TenantId::parse("acme").expect("t"),
            Direction::Internal,
            party("1002"),
            party("1003"),
            1_790_000_000_000,
            "local",
        ),
        b_from: "<sip:1002@office>".into(),
        b_to: "<sip:1003@office>".into(),
        auto_record: false,
        route: Route::Ring {
            forks: ForkPlan::parallel(
                vec![phone("sip:1003@192.0.2.30:5060", THIRD)],
                Duration::from_secs(30),
            ),
            fallback: Fallback::Fail,
        },
    })
}

/// The NOTIFYs' sipfrag status lines sent to `to`.
fn notified(out: &[Action], to: &str) -> Vec<String> {
    requests_to(out, to, "NOTIFY")
        .iter()
        .map(|n| {
            assert_eq!(n.header("Event"), Some("refer"));
            assert_eq!(
                n.header("Content-Type"),
                Some("message/sipfrag;version=2.0")
            );
            String::from_utf8_lossy(&n.body).trim().to_owned()
        })
        .collect()
}

fn closed(out: &[Action]) -> Vec<CallRecord> {
    out.iter()
        .filter_map(|a| match a {
            Action::Close(r) => Some((**r).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_blind_refer_rings_the_target_and_joins_it_with_the_other_party() {
    let now = Instant::now();
    let (mut call, desk) = talking(now);
    let first = call.record.id.clone();

    // The desk transfers the caller to 1003.
    let refer = from_desk(
        &desk,
        "REFER",
        2,
        "Refer-To: <sip:1003@office>\r\nReferred-By: <sip:1002@office>\r\n",
    );
    let out = call.on_request(&refer, addr(DESK), now);
    assert_eq!(responses_to(&out, DESK).pop().map(|r| r.code), Some(202));
    assert_eq!(notified(&out, DESK), vec!["SIP/2.0 100 Trying"]);
    let route = out.iter().find_map(|a| match a {
        Action::RouteTransfer(r) => Some(r.clone()),
        _ => None,
    });
    assert_eq!(
        route.map(|r| (r.account.to_string(), r.dialled)),
        Some((account("1002").to_string(), "1003".into())),
        "routed with the transferor's permissions"
    );
    // The REFER again (our 202 was lost): the same 202, nothing more.
    let out = call.on_request(&refer, addr(DESK), now);
    assert_eq!(responses_to(&out, DESK).pop().map(|r| r.code), Some(202));
    assert!(!out.iter().any(|a| matches!(a, Action::RouteTransfer(_))));

    let out = call.transfer_routed(to_third(), now);
    let invite = requests_to(&out, THIRD, "INVITE")
        .pop()
        .expect("1003 rings");
    let sdp = crate::sdp::Sdp::parse(&invite.body).expect("sdp");
    assert_eq!(
        sdp.audio,
        Some(addr("203.0.113.1:30002")),
        "on the side the desk leaves"
    );
    assert_eq!(
        invite
            .header("From")
            .map(|f| f.starts_with("<sip:1001@office>")),
        Some(true),
        "1003 sees who is transferred: {invite:?}"
    );
    let ringing_id = invite.header("Call-ID").expect("call-id").to_owned();
    assert!(out.contains(&Action::Listen(ringing_id.clone())));
    let next = out
        .iter()
        .find_map(|a| match a {
            Action::Save(r) if r.id != first => Some(r.clone()),
            _ => None,
        })
        .expect("the next record");
    assert_eq!(next.previous.as_deref(), Some(first.as_str()));
    assert_eq!(
        (next.caller.number.as_str(), next.callee.number.as_str()),
        ("1001", "1003")
    );

    let out = call.on_response(&ringing(&invite, "t3"), now);
    assert_eq!(notified(&out, DESK), vec!["SIP/2.0 180 Ringing"]);

    // The desk hangs up as blind transfers do: the caller stays.
    let out = call.on_request(&from_desk(&desk, "BYE", 3, ""), addr(DESK), now);
    assert_eq!(responses_to(&out, DESK).pop().map(|r| r.code), Some(200));
    assert!(requests_to(&out, CALLER, "BYE").is_empty(), "{out:?}");
    assert!(closed(&out).is_empty());

    // 1003 answers: the record before closes as transferred, the next is answered.
    let out = call.on_response(
        &answer(&invite, 200, "t3", Some(ANSWER_PCMA)),
        now + Duration::from_secs(3),
    );
    assert_eq!(requests_to(&out, THIRD, "ACK").len(), 1);
    let before = closed(&out).pop().expect("the first record closes");
    assert_eq!(
        (before.id.as_str(), before.disposition),
        (first.as_str(), domain::call::Disposition::Transferred)
    );
    assert_eq!(before.cause.as_deref(), Some("transferred to 1003"));
    assert!(out.iter().any(
        |a| matches!(a, Action::Replace(Leg::B, m) if m.voice == Some((8, crate::sdp::Codec::Pcma)))
    ));
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::Save(r) if r.id == next.id && r.answered_ms.is_some()))
    );
    assert!(
        requests_to(&out, DESK, "BYE").is_empty(),
        "the desk already left"
    );
    assert!(notified(&out, DESK).is_empty(), "nobody to tell");
    assert!(
        requests_to(&out, CALLER, "INVITE").is_empty(),
        "the caller was not on hold"
    );
    assert!(call.answered());
    assert_eq!(
        (call.caller_leg(&first), call.caller_leg(&next.id)),
        (Leg::A, Leg::A)
    );

    // The desk's BYE again (our 200 was lost): 200 again.
    let out = call.on_request(&from_desk(&desk, "BYE", 3, ""), addr(DESK), now);
    assert_eq!(responses_to(&out, DESK).pop().map(|r| r.code), Some(200));

    // 1003 hangs up: the caller gets BYE and the record closes.
    let bye = format!(
        "BYE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKt3bye\r\nFrom: <sip:1003@office>;tag=t3\r\nTo: {}\r\nCall-ID: {ringing_id}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
        invite.header("From").expect("from")
    );
    let out = call.on_request(
        &Request::parse(bye.as_bytes()).expect("bye"),
        addr(THIRD),
        now,
    );
    assert_eq!(responses_to(&out, THIRD).pop().map(|r| r.code), Some(200));
    assert_eq!(requests_to(&out, CALLER, "BYE").len(), 1);
    let last = closed(&out).pop().expect("closed");
    assert_eq!(
        (last.id, last.cause.as_deref()),
        (next.id, Some("callee hung up"))
    );
}

#[test]
fn a_failed_transfer_is_reported_and_the_call_goes_on_or_ends_if_nobody_is_left() {
    let now = Instant::now();
    // The desk waits for the outcome: it hears 486 and keeps the caller.
    let (mut call, desk) = talking(now);
    call.on_request(
        &from_desk(&desk, "REFER", 2, "Refer-To: <sip:1003@office>\r\n"),
        addr(DESK),
        now,
    );
    let out = call.transfer_routed(to_third(), now);
    let invite = requests_to(&out, THIRD, "INVITE").pop().expect("rings");
    let out = call.on_response(&answer(&invite, 486, "t3", None), now);
    assert_eq!(notified(&out, DESK), vec!["SIP/2.0 486 Busy Here"]);
    let attempt = closed(&out).pop().expect("the attempt has its record");
    assert_eq!(attempt.disposition, domain::call::Disposition::Busy);
    assert!(call.answered(), "the call goes on");
    assert!(requests_to(&out, CALLER, "BYE").is_empty());
    // And can be transferred again.
    let out = call.on_request(
        &from_desk(&desk, "REFER", 3, "Refer-To: <sip:1003@office>\r\n"),
        addr(DESK),
        now,
    );
    assert_eq!(responses_to(&out, DESK).pop().map(|r| r.code), Some(202));

    // Refused by routing while the desk is gone: the caller is hung up.
    let (mut call, desk) = talking(now);
    call.on_request(
        &from_desk(&desk, "REFER", 2, "Refer-To: <sip:1009@office>\r\n"),
        addr(DESK),
        now,
    );
    call.on_request(&from_desk(&desk, "BYE", 3, ""), addr(DESK), now);
    let out = call.transfer_routed(
        Err(Refusal {
            code: 404,
            reason: "Not Found",
        }),
        now,
    );
    assert_eq!(requests_to(&out, CALLER, "BYE").len(), 1);
    let rec = closed(&out).pop().expect("closed");
    assert_eq!(
        rec.cause.as_deref(),
        Some("transfer to 1009 failed: 404 Not Found")
    );
    assert!(call.ended());
}

#[test]
fn a_refer_the_edge_cannot_carry_out_changes_nothing() {
    let now = Instant::now();
    let (mut call, desk) = talking(now);
    let out = call.on_request(&from_desk(&desk, "REFER", 2, ""), addr(DESK), now);
    let r = responses_to(&out, DESK).pop().expect("answered");
    assert_eq!(r.code, 400);
    assert!(
        r.header("Warning")
            .is_some_and(|w| w.contains("no Refer-To"))
    );
    let out = call.on_request(
        &from_desk(&desk, "REFER", 3, "Refer-To: <mailto:a@b>\r\n"),
        addr(DESK),
        now,
    );
    assert_eq!(responses_to(&out, DESK).pop().map(|r| r.code), Some(400));
    // One at a time.
    call.on_request(
        &from_desk(&desk, "REFER", 4, "Refer-To: <sip:1003@office>\r\n"),
        addr(DESK),
        now,
    );
    let out = call.on_request(
        &from_caller("REFER", 5, "Refer-To: <sip:1004@office>\r\n"),
        addr(CALLER),
        now,
    );
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(491));
    // Not from someone outside the dialog.
    let mut stranger = from_desk(&desk, "REFER", 6, "Refer-To: <sip:1003@office>\r\n");
    for (name, value) in &mut stranger.headers {
        if name == "From" {
            *value = value.replace("tag=d1", "tag=zz");
        }
    }
    let out = call.on_request(&stranger, addr(DESK), now);
    assert_eq!(responses_to(&out, DESK).pop().map(|r| r.code), Some(481));

    // An outside party has nothing to transfer under.
    let mut s = setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]);
    s.record.caller.account = None;
    let (mut call, out) = Call::start(s, now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    let out = call.on_request(
        &from_caller("REFER", 3, "Refer-To: <sip:1003@office>\r\n"),
        addr(CALLER),
        now,
    );
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(403));
    // Not before the call is answered.
    let (mut ringing_call, _) =
        Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let out = ringing_call.on_request(
        &from_caller("REFER", 3, "Refer-To: <sip:1003@office>\r\n"),
        addr(CALLER),
        now,
    );
    assert_eq!(
        responses_to(&out, CALLER).pop().map(|r| r.code),
        Some(481),
        "no dialog yet"
    );
}

#[test]
fn the_caller_can_transfer_too_and_a_held_party_is_taken_off_hold() {
    let now = Instant::now();
    let (mut call, desk) = talking(now);
    let first = call.record.id.clone();
    // The caller puts the desk on hold (passed on), then transfers it.
    let hold = OFFER.replace("a=rtpmap:101", "a=sendonly\r\na=rtpmap:101");
    let reinvite = format!(
        "INVITE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKhold\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: 3 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{hold}",
        hold.len()
    );
    let out = call.on_request(
        &Request::parse(reinvite.as_bytes()).expect("hold"),
        addr(CALLER),
        now,
    );
    let passed = requests_to(&out, DESK, "INVITE")
        .pop()
        .expect("hold passed on");
    let held = ANSWER_PCMA.replace("a=rtpmap:101", "a=recvonly\r\na=rtpmap:101");
    call.on_response(&answer(&passed, 200, "d1", Some(&held)), now);

    let out = call.on_request(
        &from_caller("REFER", 4, "Refer-To: <sip:1003@office>\r\n"),
        addr(CALLER),
        now,
    );
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(202));
    let out = call.transfer_routed(to_third(), now);
    let invite = requests_to(&out, THIRD, "INVITE")
        .pop()
        .expect("1003 rings");
    let sdp = crate::sdp::Sdp::parse(&invite.body).expect("sdp");
    assert_eq!(
        sdp.audio,
        Some(addr("203.0.113.1:30000")),
        "on the caller's side"
    );
    assert_eq!(sdp.direction, crate::sdp::Direction::SendRecv);
    assert!(
        invite
            .header("From")
            .is_some_and(|f| f.contains("sip:1002@office")),
        "1003 sees the desk"
    );
    let out = call.on_response(&answer(&invite, 200, "t3", Some(ANSWER_PCMA)), now);
    assert_eq!(notified(&out, CALLER), vec!["SIP/2.0 200 OK"]);
    let notify = requests_to(&out, CALLER, "NOTIFY").pop().expect("notify");
    assert!(
        notify
            .header("Subscription-State")
            .is_some_and(|s| s.starts_with("terminated"))
    );
    assert_eq!(
        requests_to(&out, CALLER, "BYE").len(),
        1,
        "the transferor is let go"
    );
    // The desk was held by the caller: the edge resumes it.
    let resume = requests_to(&out, DESK, "INVITE")
        .pop()
        .expect("re-INVITE to the desk");
    let sdp = crate::sdp::Sdp::parse(&resume.body).expect("sdp");
    assert_eq!(
        (sdp.direction, sdp.audio),
        (
            crate::sdp::Direction::SendRecv,
            Some(addr("203.0.113.1:30002"))
        )
    );
    let out = call.on_response(&answer(&resume, 200, "d1", Some(ANSWER_PCMA)), now);
    assert_eq!(requests_to(&out, DESK, "ACK").len(), 1);
    assert!(out.iter().any(|a| matches!(a, Action::Media(Leg::B, _))));
    let next = call.record.clone();
    assert_eq!(
        (next.caller.number.as_str(), next.callee.number.as_str()),
        ("1002", "1003")
    );
    assert_eq!(
        (call.caller_leg(&first), call.caller_leg(&next.id)),
        (Leg::A, Leg::B)
    );
    // The desk hangs up: it is the caller of the record now.
    let out = call.on_request(&from_desk(&desk, "BYE", 5, ""), addr(DESK), now);
    assert_eq!(requests_to(&out, THIRD, "BYE").len(), 1);
    assert_eq!(
        closed(&out).pop().and_then(|r| r.cause),
        Some("caller hung up".into())
    );
}

#[test]
fn star_two_transfers_from_a_phone_without_refer() {
    let now = Instant::now();
    let (mut call, _desk) = talking(now);
    let mut out = Vec::new();
    for k in "*21003#".chars() {
        out.extend(call.on_dtmf(Leg::B, k, now));
    }
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::RouteTransfer(r) if r.dialled == "1003"))
    );
    let out = call.transfer_routed(to_third(), now);
    assert_eq!(
        requests_to(&out, DESK, "BYE").len(),
        1,
        "the desk is let go at once"
    );
    assert!(notified(&out, DESK).is_empty());
    let invite = requests_to(&out, THIRD, "INVITE")
        .pop()
        .expect("1003 rings");
    // Nobody answers: the caller, alone, is hung up.
    let out = call.on_response(&answer(&invite, 480, "t3", None), now);
    assert_eq!(requests_to(&out, CALLER, "BYE").len(), 1);
    assert!(call.ended());
}

/// The desk's second call: it calls 1003 (THIRD), which answers.
fn consultation(now: Instant) -> (Call, Response) {
    let msg = format!(
        "INVITE sip:1003@office SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKdesk2\r\nFrom: <sip:1002@office>;tag=d2\r\nTo: <sip:1003@office>\r\nCall-ID: call-y@192.0.2.20\r\nCSeq: 1 INVITE\r\nContact: <sip:1002@192.0.2.20:5060>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{OFFER}",
        OFFER.len()
    );
    let mut s = setup(vec![phone("sip:1003@192.0.2.30:5060", THIRD)]);
    s.invite = Request::parse(msg.as_bytes()).expect("invite");
    s.source = addr(DESK);
    s.media = [addr("203.0.113.1:31000"), addr("203.0.113.1:31002")];
    s.record.caller.number = "1002".into();
    s.record.callee.number = "1003".into();
    s.record.callee.account = Some(account("1003"));
    let (mut y, out) = Call::start(s, now);
    let invite = requests_to(&out, THIRD, "INVITE").pop().expect("rings");
    let out = y.on_response(&answer(&invite, 200, "t3", Some(ANSWER_PCMA)), now);
    let ok = responses_to(&out, DESK).pop().expect("200 to the desk");
    (y, ok)
}

#[test]
fn an_attended_transfer_joins_the_caller_with_the_party_of_the_other_call() {
    let now = Instant::now();
    let (mut x, desk) = talking(now);
    // The desk holds the caller while it consults (passed on, answered).
    let hold = ANSWER_PCMA.replace("a=rtpmap:101", "a=sendonly\r\na=rtpmap:101");
    let mut hold_req = from_desk(&desk, "INVITE", 2, "Content-Type: application/sdp\r\n");
    hold_req.body = hold.into_bytes();
    let out = x.on_request(&hold_req, addr(DESK), now);
    let to_caller = requests_to(&out, CALLER, "INVITE")
        .pop()
        .expect("hold passed on");
    let held = OFFER.replace("a=rtpmap:101", "a=recvonly\r\na=rtpmap:101");
    x.on_response(&answer(&to_caller, 200, "from-a", Some(&held)), now);
    let (mut y, y_ok) = consultation(now);
    let edge_tag = y_ok
        .header("To")
        .and_then(|t| param(t, "tag"))
        .expect("tag")
        .to_owned();
    let refer_to = format!(
        "Refer-To: <sip:1003@office?Replaces=call-y%40192.0.2.20%3Bto-tag%3D{edge_tag}%3Bfrom-tag%3Dd2>\r\n"
    );
    let out = x.on_request(&from_desk(&desk, "REFER", 3, &refer_to), addr(DESK), now);
    assert_eq!(responses_to(&out, DESK).pop().map(|r| r.code), Some(202));
    let replaces = out
        .iter()
        .find_map(|a| match a {
            Action::HandOver(r) => Some(r.clone()),
            _ => None,
        })
        .expect("asks for the other call's party");
    assert_eq!(replaces.call_id, "call-y@192.0.2.20");

    // The other call gives up 1003 and ends: the desk's dialog there gets BYE.
    let (handover, y_out) = y.hand_over(&replaces, now);
    let h = handover.expect("handed over");
    assert_eq!(h.party.number, "1003");
    assert_eq!(requests_to(&y_out, DESK, "BYE").len(), 1);
    assert!(requests_to(&y_out, THIRD, "BYE").is_empty(), "1003 stays");
    assert_eq!(
        closed(&y_out).pop().map(|r| r.disposition),
        Some(domain::call::Disposition::Transferred)
    );
    assert!(y_out.contains(&Action::Release));
    let third_call_id = h.side.call_id.clone();

    let out = x.handed_over(Ok(h), now);
    assert!(out.contains(&Action::Listen(third_call_id.clone())));
    assert_eq!(notified(&out, DESK), vec!["SIP/2.0 200 OK"]);
    assert_eq!(requests_to(&out, DESK, "BYE").len(), 1);
    let before = closed(&out).pop().expect("closed");
    assert_eq!(before.disposition, domain::call::Disposition::Transferred);
    // 1003 moves to this call's relay, in its own dialog.
    let move_over = requests_to(&out, THIRD, "INVITE")
        .pop()
        .expect("re-INVITE to 1003");
    assert_eq!(move_over.header("Call-ID"), Some(third_call_id.as_str()));
    assert_eq!(move_over.cseq(), 2, "the dialog's CSeq goes on");
    let sdp = crate::sdp::Sdp::parse(&move_over.body).expect("sdp");
    assert_eq!(sdp.audio, Some(addr("203.0.113.1:30002")));
    let now_record = x.record.clone();
    assert_eq!(
        (
            now_record.caller.number.as_str(),
            now_record.callee.number.as_str()
        ),
        ("1001", "1003")
    );
    assert_eq!(now_record.previous.as_deref(), Some(before.id.as_str()));
    assert!(now_record.answered_ms.is_some());
    assert!(
        requests_to(&out, CALLER, "INVITE").is_empty(),
        "one offer at a time: 1003 moves first"
    );
    let out = x.on_response(&answer(&move_over, 200, "t3", Some(ANSWER_PCMA)), now);
    assert_eq!(requests_to(&out, THIRD, "ACK").len(), 1);
    // Then the caller, held by the desk, is taken off hold.
    let out = x.tick(now);
    let resume = requests_to(&out, CALLER, "INVITE")
        .pop()
        .expect("the caller resumed");
    let sdp = crate::sdp::Sdp::parse(&resume.body).expect("sdp");
    assert_eq!(sdp.direction, crate::sdp::Direction::SendRecv);
    x.on_response(&answer(&resume, 200, "from-a", Some(OFFER)), now);

    // 1003 hangs up in its dialog: the caller gets BYE.
    let bye = format!(
        "BYE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bKt3bye\r\nFrom: <sip:1003@office>;tag=t3\r\nTo: {}\r\nCall-ID: {third_call_id}\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n",
        move_over.header("From").expect("from")
    );
    let out = x.on_request(
        &Request::parse(bye.as_bytes()).expect("bye"),
        addr(THIRD),
        now,
    );
    assert_eq!(requests_to(&out, CALLER, "BYE").len(), 1);
}

#[test]
fn replacing_a_call_still_ringing_cancels_it_and_rings_the_target_anew() {
    let now = Instant::now();
    let (mut x, desk) = talking(now);
    let msg = format!(
        "INVITE sip:1003@office SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKdesk2\r\nFrom: <sip:1002@office>;tag=d2\r\nTo: <sip:1003@office>\r\nCall-ID: call-y@192.0.2.20\r\nCSeq: 1 INVITE\r\nContact: <sip:1002@192.0.2.20:5060>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{OFFER}",
        OFFER.len()
    );
    let mut s = setup(vec![phone("sip:1003@192.0.2.30:5060", THIRD)]);
    s.invite = Request::parse(msg.as_bytes()).expect("invite");
    s.source = addr(DESK);
    let (mut y, out) = Call::start(s, now);
    let invite = requests_to(&out, THIRD, "INVITE").pop().expect("rings");
    y.on_response(&ringing(&invite, "t3"), now);

    let out = x.on_request(
        &from_desk(&desk, "REFER", 2, "Refer-To: <sip:1003@office?Replaces=call-y%40192.0.2.20%3Bto-tag%3Dwhatever%3Bfrom-tag%3Dd2>\r\n"),
        addr(DESK),
        now,
    );
    let Some(Action::HandOver(r)) = out
        .iter()
        .find(|a| matches!(a, Action::HandOver(_)))
        .cloned()
    else {
        panic!("no hand-over asked: {out:?}");
    };
    let (result, y_out) = y.hand_over(&r, now);
    assert_eq!(result.err(), Some(HandoverError::NotAnswered));
    assert_eq!(responses_to(&y_out, DESK).pop().map(|r| r.code), Some(487));
    assert_eq!(requests_to(&y_out, THIRD, "CANCEL").len(), 1);
    let out = x.handed_over(Err(HandoverError::NotAnswered), now);
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::RouteTransfer(t) if t.dialled == "1003"))
    );

    // A dialog no call has: the transferor hears 481.
    let (mut x, desk) = talking(now);
    x.on_request(
        &from_desk(
            &desk,
            "REFER",
            2,
            "Refer-To: <sip:1003@office?Replaces=nope%3Bto-tag%3Da%3Bfrom-tag%3Db>\r\n",
        ),
        addr(DESK),
        now,
    );
    let out = x.handed_over(Err(HandoverError::NotFound), now);
    assert_eq!(
        notified(&out, DESK),
        vec!["SIP/2.0 481 Call/Transaction Does Not Exist"]
    );
    assert!(x.answered());
}
