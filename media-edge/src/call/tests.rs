//! The B2BUA state machine with literal SIP messages: no sockets, no clock
//! but the one passed in. Transfers are in `transfer_tests`.

use domain::event::{Happening, Side};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use domain::call::{CallRecord, Direction, Party};

use super::*;
use crate::sip::message::{Message, Request, Response};

mod ivr_tests;
mod place_tests;
mod queue_tests;
mod transfer_tests;

pub(super) const CALLER: &str = "192.0.2.10:5062";
pub(super) const DESK: &str = "192.0.2.20:5060";
pub(super) const MOBILE: &str = "198.51.100.7:41000";
pub(super) const EDGE: &str = "203.0.113.1:5060";

pub(super) fn addr(s: &str) -> SocketAddr {
    s.parse().expect("addr")
}

pub(super) const OFFER: &str = "v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

pub(super) fn invite() -> Request {
    invite_offering(OFFER)
}

/// The caller's INVITE with `sdp` as its offer.
pub(super) fn invite_offering(sdp: &str) -> Request {
    let msg = format!(
        "INVITE sip:1002@office SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKcaller1;rport=5062;received=192.0.2.10\r\n\
From: \"Kim\" <sip:1001@office>;tag=from-a\r\n\
To: <sip:1002@office>\r\n\
Call-ID: call-a@192.0.2.10\r\n\
CSeq: 2 INVITE\r\n\
Contact: <sip:1001@192.0.2.10:5062>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    Request::parse(msg.as_bytes()).expect("invite")
}

/// A call the desk phone answered and the caller ACKed.
pub(super) fn answered(now: Instant) -> Call {
    let (mut call, out) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    call.on_request(&caller_ack(), addr(CALLER), now);
    call
}

/// Both legs got a BYE and the record closed with `cause`.
pub(super) fn hung_up_both(out: &[Action], cause: &str) {
    assert_eq!(requests_to(out, DESK, "BYE").len(), 1, "{out:?}");
    assert_eq!(requests_to(out, CALLER, "BYE").len(), 1, "{out:?}");
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::Close(r) if r.cause.as_deref() == Some(cause))),
        "closed with {cause}: {out:?}"
    );
}

/// The caller's ACK of the edge's 200.
pub(super) fn caller_ack() -> Request {
    Request::parse(b"ACK sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKack\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: 2 ACK\r\n\r\n").expect("ack")
}

/// The account of the demo user with extension `n`.
pub(super) fn account(n: &str) -> domain::AccountId {
    domain::AccountId::parse(&format!("{n:0>32}")).expect("account")
}

pub(super) fn record() -> CallRecord {
    let party = |number: &str| Party {
        number: number.into(),
        account: Some(account(number)),
        name: None,
    };
    CallRecord::starting(
        domain::TenantId::parse("acme").expect("t"),
        Direction::Internal,
        party("1001"),
        party("1002"),
        1_790_000_000_000,
        "local",
    )
}

pub(super) fn setup(targets: Vec<Target>) -> Setup {
    Setup {
        record: record(),
        invite: invite(),
        source: addr(CALLER),
        forks: ForkPlan::parallel(targets, Duration::from_secs(30)),
        b_from: "\"Kim\" <sip:1001@office>".into(),
        b_to: "<sip:1002@office>".into(),
        media: [addr("203.0.113.1:30000"), addr("203.0.113.1:30002")],
        edge: addr(EDGE),
        auto_record: false,
        application: None,
        fallback: Fallback::Fail,
    }
}

pub(super) fn phone(contact: &str, dest: &str) -> Target {
    Target {
        uri: contact.into(),
        dest: addr(dest),
        auth: None,
        answers_as: None,
        secure: false,
    }
}

/// The messages sent, parsed, with where they went.
pub(super) fn sent(actions: &[Action]) -> Vec<(SocketAddr, Message)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(to, bytes) => {
                Some((*to, Message::parse(bytes).expect("we send valid SIP")))
            }
            _ => None,
        })
        .collect()
}

pub(super) fn requests_to(actions: &[Action], to: &str, method: &str) -> Vec<Request> {
    sent(actions)
        .into_iter()
        .filter_map(|(a, m)| match m {
            Message::Request(r) if a == addr(to) && r.method == method => Some(r),
            _ => None,
        })
        .collect()
}

pub(super) fn responses_to(actions: &[Action], to: &str) -> Vec<Response> {
    sent(actions)
        .into_iter()
        .filter_map(|(a, m)| match m {
            Message::Response(r) if a == addr(to) => Some(r),
            _ => None,
        })
        .collect()
}

/// The callee's answer to one of our INVITEs.
pub(super) fn answer(to: &Request, code: u16, tag: &str, sdp: Option<&str>) -> Response {
    let mut s = format!("SIP/2.0 {code} Whatever\r\n");
    for (n, v) in &to.headers {
        if ["Via", "From", "Call-ID", "CSeq"].contains(&n.as_str()) {
            s.push_str(&format!("{n}: {v}\r\n"));
        }
    }
    s.push_str(&format!(
        "To: {};tag={tag}\r\nContact: <sip:1002@192.0.2.20:5060>\r\n",
        to.header("To").expect("to")
    ));
    match sdp {
        Some(b) => s.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )),
        None => s.push_str("Content-Length: 0\r\n\r\n"),
    }
    Response::parse(s.as_bytes()).expect("answer")
}

pub(super) const ANSWER_PCMA: &str = "v=0\r\no=b 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 5000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

#[test]
fn every_contact_rings_and_the_first_answer_wins() {
    let now = Instant::now();
    let (mut call, out) = Call::start(
        setup(vec![
            phone("sip:1002@192.0.2.20:5060", DESK),
            phone("sip:1002@10.1.1.1:5060;ob", MOBILE),
        ]),
        now,
    );
    let trying = responses_to(&out, CALLER);
    assert_eq!(trying.first().map(|r| r.code), Some(100));
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("desk rings");
    let mobile = requests_to(&out, MOBILE, "INVITE")
        .pop()
        .expect("mobile rings");
    assert_eq!(desk.uri, "sip:1002@192.0.2.20:5060");
    assert_eq!(
        mobile.uri, "sip:1002@10.1.1.1:5060;ob",
        "the registered contact, sent to where it registered from"
    );
    let b_sdp = crate::sdp::Sdp::parse(&desk.body).expect("sdp");
    assert_eq!(
        b_sdp.audio,
        Some(addr("203.0.113.1:30002")),
        "the callee sees the edge, not the caller"
    );
    assert_eq!(
        b_sdp.payloads.iter().map(|p| p.pt).collect::<Vec<_>>(),
        vec![0, 8, 101],
        "PCMA offered too: the relay transcodes"
    );

    // The mobile rings, the desk answers (in PCMA).
    let out = call.on_response(&answer(&mobile, 180, "m1", None), now);
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(180));
    let out = call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    assert_eq!(
        requests_to(&out, DESK, "ACK").len(),
        1,
        "the answer is ACKed"
    );
    let cancel = requests_to(&out, MOBILE, "CANCEL")
        .pop()
        .expect("the mobile stops ringing");
    assert_eq!(
        cancel.header("Via"),
        mobile.header("Via"),
        "CANCEL matches the INVITE's branch"
    );
    let ok = responses_to(&out, CALLER).pop().expect("200 to the caller");
    assert_eq!(ok.code, 200);
    let a_sdp = crate::sdp::Sdp::parse(&ok.body).expect("sdp");
    assert_eq!(a_sdp.audio, Some(addr("203.0.113.1:30000")));
    assert_eq!(
        a_sdp.voice().map(|p| p.pt),
        Some(0),
        "the caller keeps PCMU; the relay transcodes"
    );
    assert!(out.iter().any(
        |a| matches!(a, Action::Media(Leg::B, m) if m.voice == Some((8, crate::sdp::Codec::Pcma)))
    ));
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::Save(r) if r.answered_ms.is_some()))
    );
    assert!(call.answered());

    // The desk sends its 200 again (our ACK was lost): ACK again, no hang-up.
    let out = call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    assert_eq!(requests_to(&out, DESK, "ACK").len(), 1);
    assert!(
        requests_to(&out, DESK, "BYE").is_empty(),
        "the answered callee stays"
    );
    assert!(call.answered());

    // A late 200 from the mobile is ACKed and hung up.
    let out = call.on_response(&answer(&mobile, 200, "m1", Some(ANSWER_PCMA)), now);
    assert_eq!(requests_to(&out, MOBILE, "ACK").len(), 1);
    assert_eq!(requests_to(&out, MOBILE, "BYE").len(), 1);

    // The caller's 200 is retransmitted until the ACK.
    let out = call.tick(now + Duration::from_millis(600));
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(200));
    call.on_request(&caller_ack(), addr(CALLER), now);
    let out = call.tick(now + Duration::from_secs(5));
    assert!(
        responses_to(&out, CALLER).is_empty(),
        "no more 200s after the ACK"
    );

    // The callee hangs up: 200 to it, BYE to the caller, the record closes.
    let bye = format!(
        "BYE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKbye\r\nFrom: <sip:1002@office>;tag=d1\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 1 BYE\r\n\r\n",
        desk.header("From").expect("from"),
        desk.header("Call-ID").expect("cid")
    );
    let out = call.on_request(
        &Request::parse(bye.as_bytes()).expect("bye"),
        addr(DESK),
        now,
    );
    assert_eq!(responses_to(&out, DESK).pop().map(|r| r.code), Some(200));
    let to_caller = requests_to(&out, CALLER, "BYE")
        .pop()
        .expect("BYE to the caller");
    assert_eq!(
        to_caller.uri, "sip:1001@192.0.2.10:5062",
        "to the caller's Contact"
    );
    assert_eq!(to_caller.header("Call-ID"), Some("call-a@192.0.2.10"));
    let closed = out
        .iter()
        .find_map(|a| match a {
            Action::Close(r) => Some(r.clone()),
            _ => None,
        })
        .expect("closed");
    assert_eq!(
        (closed.disposition.as_str(), closed.cause.as_deref()),
        ("answered", Some("callee hung up"))
    );
}

const CALLER_KEY: &str = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

#[test]
fn srtp_is_answered_in_kind_and_offered_only_to_a_phone_on_tls() {
    let now = Instant::now();
    let offer = OFFER.replace(
        "RTP/AVP 0 101\r\n",
        &format!("RTP/SAVP 0 101\r\na=crypto:7 AES_CM_128_HMAC_SHA1_80 {CALLER_KEY}\r\n"),
    );
    let mut s = setup(vec![
        Target {
            secure: true,
            ..phone("sip:1002@192.0.2.20:5061;transport=tls", DESK)
        },
        phone("sip:1002@198.51.100.7:41000", MOBILE),
    ]);
    s.invite = invite_offering(&offer);
    let (mut call, out) = Call::start(s, now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("desk rings");
    let mobile = requests_to(&out, MOBILE, "INVITE")
        .pop()
        .expect("mobile rings");
    let desk_sdp = crate::sdp::Sdp::parse(&desk.body).expect("sdp");
    assert_eq!(
        desk_sdp.crypto.len(),
        1,
        "the phone on TLS is offered a key"
    );
    assert!(!desk_sdp.savp, "as RTP/AVP: it may answer without SRTP");
    let mobile_sdp = crate::sdp::Sdp::parse(&mobile.body).expect("sdp");
    assert!(mobile_sdp.crypto.is_empty(), "no key goes over UDP");
    assert_eq!(call.keys(Leg::B), None, "nothing before an answer");

    let answer_sdp = ANSWER_PCMA.replace(
        "RTP/AVP 8 101\r\n",
        &format!(
            "RTP/AVP 8 101\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{}\r\n",
            "B".repeat(40)
        ),
    );
    let out = call.on_response(&answer(&desk, 200, "d1", Some(&answer_sdp)), now);
    let b = call.keys(Leg::B).expect("the desk's leg is SRTP");
    assert_eq!(
        b.ours, desk_sdp.crypto[0].key,
        "under the key we offered it"
    );
    let ok = responses_to(&out, CALLER)
        .into_iter()
        .find(|r| r.code == 200)
        .expect("the caller's 200");
    let to_caller = crate::sdp::Sdp::parse(&ok.body).expect("sdp");
    assert!(to_caller.savp, "RTP/SAVP answered in kind");
    assert_eq!(to_caller.crypto.len(), 1);
    assert_eq!(to_caller.crypto[0].tag, 7);
    let a = call.keys(Leg::A).expect("the caller's leg is SRTP");
    assert_eq!(a.ours, to_caller.crypto[0].key);
    assert_eq!(
        a.theirs,
        crate::sdp::Sdp::parse(offer.as_bytes())
            .expect("sdp")
            .crypto[0]
            .key
    );
    assert_ne!(a.ours, b.ours, "each leg under its own key");
}

#[test]
fn srtp_required_in_a_suite_the_edge_lacks_gets_488() {
    let now = Instant::now();
    let offer = OFFER.replace(
        "RTP/AVP 0 101\r\n",
        &format!(
            "RTP/SAVP 0 101\r\na=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:{}\r\n",
            "A".repeat(60)
        ),
    );
    let mut s = setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]);
    s.invite = invite_offering(&offer);
    let (_call, out) = Call::start(s, now);
    assert!(requests_to(&out, DESK, "INVITE").is_empty(), "nobody rings");
    assert!(
        responses_to(&out, CALLER).iter().any(|r| r.code == 488),
        "{out:?}"
    );
    assert!(out.iter().any(|a| matches!(
        a,
        Action::Close(r) if r.cause.as_deref() == Some("488 no usable SRTP crypto suite")
    )));
}

#[test]
fn busy_everywhere_gives_486_and_cancel_gives_487() {
    let now = Instant::now();
    let (mut call, out) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    let out = call.on_response(&answer(&desk, 486, "d1", None), now);
    assert_eq!(
        requests_to(&out, DESK, "ACK").len(),
        1,
        "the failure is ACKed on the INVITE's branch"
    );
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(486));

    let (mut call, out) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    call.on_response(&answer(&desk, 180, "d1", None), now);
    let cancel = Request::parse(b"CANCEL sip:1002@office SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKcaller1\r\nFrom: \"Kim\" <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: 2 CANCEL\r\n\r\n").expect("cancel");
    let out = call.on_request(&cancel, addr(CALLER), now);
    let codes: Vec<u16> = responses_to(&out, CALLER).iter().map(|r| r.code).collect();
    assert_eq!(codes, vec![200, 487]);
    assert_eq!(requests_to(&out, DESK, "CANCEL").len(), 1);
}

#[test]
fn nobody_answering_in_time_gives_480_or_voicemail() {
    let now = Instant::now();
    let (mut call, _) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let out = call.tick(now + Duration::from_secs(31));
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(480));
    assert_eq!(
        requests_to(&out, DESK, "CANCEL").len(),
        0,
        "no provisional yet: CANCEL waits for one"
    );

    let mut s = setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]);
    s.fallback = Fallback::Voicemail;
    let (mut call, _) = Call::start(s, now);
    let out = call.tick(now + Duration::from_secs(31));
    assert_eq!(
        responses_to(&out, CALLER).pop().map(|r| r.code),
        Some(200),
        "the edge answers"
    );
    assert!(out.contains(&Action::Play(
        Leg::A,
        Prompt::Greeting(Greeting::Unavailable)
    )));
    let out = call.prompt_done(now + Duration::from_secs(38));
    assert!(out.contains(&Action::RecordVoicemail));
}

#[test]
fn a_reinvite_for_hold_is_passed_on_with_the_edge_in_the_sdp() {
    let now = Instant::now();
    let (mut call, out) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    let hold_sdp = OFFER.replace("a=rtpmap:101", "a=sendonly\r\na=rtpmap:101");
    let reinvite = format!(
        "INVITE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKhold\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: 3 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{hold_sdp}",
        hold_sdp.len()
    );
    let out = call.on_request(
        &Request::parse(reinvite.as_bytes()).expect("re-invite"),
        addr(CALLER),
        now,
    );
    assert!(
        out.contains(&Action::Notify(Happening::Held(Side::Caller))),
        "the hold is an event"
    );
    let passed = requests_to(&out, DESK, "INVITE")
        .pop()
        .expect("passed to the callee");
    assert_eq!(
        passed.uri, "sip:1002@192.0.2.20:5060",
        "to the callee's Contact"
    );
    let sdp = crate::sdp::Sdp::parse(&passed.body).expect("sdp");
    assert_eq!(sdp.direction, crate::sdp::Direction::SendOnly);
    assert_eq!(sdp.audio, Some(addr("203.0.113.1:30002")));
    // A second re-INVITE while this one is pending: 491.
    let again = reinvite
        .replace("CSeq: 3", "CSeq: 4")
        .replace("z9hG4bKhold", "z9hG4bKhold2");
    let out = call.on_request(
        &Request::parse(again.as_bytes()).expect("again"),
        addr(CALLER),
        now,
    );
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(491));
    // The first one again (our 100 was lost): absorbed, not a 491, not passed on twice.
    let out = call.on_request(
        &Request::parse(reinvite.as_bytes()).expect("re-invite"),
        addr(CALLER),
        now,
    );
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(100));
    assert!(requests_to(&out, DESK, "INVITE").is_empty());
    // (Its answer comes below; a re-INVITE nobody ever answers ends in 408.)
    let held = ANSWER_PCMA.replace("a=rtpmap:101", "a=recvonly\r\na=rtpmap:101");
    let out = call.on_response(&answer(&passed, 200, "d1", Some(&held)), now);
    assert_eq!(requests_to(&out, DESK, "ACK").len(), 1);
    let ok = responses_to(&out, CALLER)
        .pop()
        .expect("answer to the caller");
    assert_eq!(ok.code, 200);
    let sdp = crate::sdp::Sdp::parse(&ok.body).expect("sdp");
    assert_eq!(sdp.direction, crate::sdp::Direction::RecvOnly);
    assert_eq!(sdp.audio, Some(addr("203.0.113.1:30000")));
    // Retransmitted after our 200: the same 200 again.
    let out = call.on_request(
        &Request::parse(reinvite.as_bytes()).expect("re-invite"),
        addr(CALLER),
        now,
    );
    assert_eq!(
        responses_to(&out, CALLER).pop().map(|r| r.body),
        Some(ok.body)
    );
}

#[test]
fn recording_starts_and_stops_on_sip_info_while_answered() {
    let now = Instant::now();
    let (mut call, out) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    let info = |on: &str, n: u32| {
        Request::parse(format!("INFO sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKi{n}\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: {n} INFO\r\nRecord: {on}\r\n\r\n").as_bytes()).expect("info")
    };
    let out = call.on_request(&info("on", 5), addr(CALLER), now);
    assert!(out.contains(&Action::Record(true)));
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(200));
    assert!(
        !call
            .on_request(&info("on", 6), addr(CALLER), now)
            .contains(&Action::Record(true)),
        "already on"
    );
    assert!(
        call.on_request(&info("off", 7), addr(CALLER), now)
            .contains(&Action::Record(false))
    );
    assert!(
        call.on_request(&info("on", 8), addr(CALLER), now)
            .contains(&Action::Record(true)),
        "a second segment"
    );
}

#[test]
fn a_trunk_challenge_is_answered_once() {
    let now = Instant::now();
    let trunk = Target {
        uri: "sip:0212345678@192.0.2.99:5060".into(),
        dest: addr("192.0.2.99:5060"),
        auth: Some(TrunkAuth {
            username: "office".into(),
            password: "pw".into(),
        }),
        answers_as: None,
        secure: false,
    };
    let (mut call, out) = Call::start(setup(vec![trunk]), now);
    let first = requests_to(&out, "192.0.2.99:5060", "INVITE")
        .pop()
        .expect("invite");
    let mut challenge = answer(&first, 407, "t1", None);
    challenge.headers.push((
        "Proxy-Authenticate".into(),
        "Digest realm=\"carrier\", nonce=\"n1\", qop=\"auth\"".into(),
    ));
    let out = call.on_response(&challenge, now);
    assert_eq!(requests_to(&out, "192.0.2.99:5060", "ACK").len(), 1);
    let second = requests_to(&out, "192.0.2.99:5060", "INVITE")
        .pop()
        .expect("with credentials");
    assert_eq!(second.cseq(), first.cseq() + 1);
    assert!(
        second
            .header("Proxy-Authorization")
            .is_some_and(|h| h.contains("username=\"office\""))
    );
    // Challenged again: the credentials are wrong; the caller gets 403.
    let mut again = answer(&second, 407, "t2", None);
    again.headers.push((
        "Proxy-Authenticate".into(),
        "Digest realm=\"carrier\", nonce=\"n2\"".into(),
    ));
    let out = call.on_response(&again, now);
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(403));
}

#[test]
fn a_reinvite_nobody_answers_ends_in_408_and_frees_the_next_one() {
    let now = Instant::now();
    let (mut call, out) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    call.on_request(&caller_ack(), addr(CALLER), now);
    let hold = OFFER.replace("a=rtpmap:101", "a=sendonly\r\na=rtpmap:101");
    let reinvite = format!(
        "INVITE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKr1\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: 3 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{hold}",
        hold.len()
    );
    let out = call.on_request(
        &Request::parse(reinvite.as_bytes()).expect("re-invite"),
        addr(CALLER),
        now,
    );
    assert_eq!(
        requests_to(&out, DESK, "INVITE").len(),
        1,
        "hold is passed on"
    );
    let out = call.tick(now + Duration::from_secs(40));
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(408));
    assert!(call.answered(), "the call goes on");
    let again = reinvite
        .replace("CSeq: 3", "CSeq: 4")
        .replace("z9hG4bKr1", "z9hG4bKr2");
    let out = call.on_request(
        &Request::parse(again.as_bytes()).expect("again"),
        addr(CALLER),
        now + Duration::from_secs(41),
    );
    assert_eq!(
        requests_to(&out, DESK, "INVITE").len(),
        1,
        "not 491: the next one goes through"
    );
}

#[test]
fn a_silent_call_asks_both_phones_and_ends_only_when_one_is_gone() {
    let now = Instant::now();
    let (mut ringing, _) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    assert!(ringing.media_timeout(now).is_empty(), "not while ringing");
    let mut call = answered(now);

    // Five silent minutes (a call on hold, say): both phones are asked.
    let t = now + Duration::from_secs(300);
    let out = call.media_timeout(t);
    let (to_desk, to_caller) = (
        requests_to(&out, DESK, "OPTIONS"),
        requests_to(&out, CALLER, "OPTIONS"),
    );
    assert_eq!((to_desk.len(), to_caller.len()), (1, 1), "{out:?}");
    assert!(requests_to(&out, DESK, "BYE").is_empty());
    assert!(call.media_timeout(t).is_empty(), "one probe at a time");
    // Both are there (a phone may well refuse OPTIONS: it still answered).
    call.on_response(&answer(&to_desk[0], 200, "d1", None), t);
    call.on_response(&answer(&to_caller[0], 405, "c1", None), t);
    let out = call.tick(t + Duration::from_secs(40));
    assert!(
        !out.iter().any(|a| matches!(a, Action::Close(_))),
        "{out:?}"
    );
    assert!(
        call.media_timeout(t + Duration::from_secs(60)).is_empty(),
        "not asked again within five minutes"
    );

    // Five minutes on, the desk phone no longer knows the dialog: hang up.
    let t = t + Duration::from_secs(301);
    let out = call.media_timeout(t);
    let to_desk = requests_to(&out, DESK, "OPTIONS");
    assert_eq!(to_desk.len(), 1);
    let out = call.on_response(&answer(&to_desk[0], 481, "d1", None), t);
    hung_up_both(&out, "no media");
}

#[test]
fn a_silent_call_whose_phones_never_answer_is_hung_up() {
    let now = Instant::now();
    let mut call = answered(now);
    let t = now + Duration::from_secs(300);
    assert!(!call.media_timeout(t).is_empty());
    hung_up_both(&call.tick(t + Duration::from_secs(33)), "no media");

    // Media back before the probes time out: an ignored OPTIONS decides nothing.
    let mut call = answered(now);
    assert!(!call.media_timeout(t).is_empty());
    call.media_flowing();
    let out = call.tick(t + Duration::from_secs(33));
    assert!(
        !out.iter().any(|a| matches!(a, Action::Close(_))),
        "{out:?}"
    );
}

#[test]
fn an_answer_the_caller_never_acks_ends_the_call_with_bye() {
    let now = Instant::now();
    // Answered by the callee.
    let (mut call, out) = Call::start(setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]), now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    hung_up_both(
        &call.tick(now + Duration::from_secs(33)),
        "no ACK from caller",
    );

    // Answered by voicemail: no callee, the caller's dialog still ends.
    let mut s = setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]);
    s.fallback = Fallback::Voicemail;
    let (mut call, _) = Call::start(s, now);
    let out = call.tick(now + Duration::from_secs(31));
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(200));
    let _ = call.prompt_done(now + Duration::from_secs(38));
    let out = call.tick(now + Duration::from_secs(31 + 33));
    assert_eq!(requests_to(&out, CALLER, "BYE").len(), 1);
    assert!(out.iter().any(
        |a| matches!(a, Action::Close(r) if r.cause.as_deref() == Some("no ACK from caller"))
    ));
}

/// 180 Ringing from the callee for one of our INVITEs.
pub(super) fn ringing(to: &Request, tag: &str) -> Response {
    answer(to, 180, tag, None)
}

#[test]
fn a_staged_hunt_rings_the_next_stage_when_one_times_out_or_everyone_is_busy() {
    let now = Instant::now();
    let mut s = setup(Vec::new());
    s.forks = ForkPlan {
        stages: vec![
            Stage {
                targets: vec![phone("sip:1002@192.0.2.20:5060", DESK)],
                timeout: Duration::from_secs(10),
            },
            Stage {
                targets: vec![phone("sip:1002@198.51.100.7:41000", MOBILE)],
                timeout: Duration::from_secs(10),
            },
        ],
    };
    let (mut call, out) = Call::start(s.clone(), now);
    let desk = requests_to(&out, DESK, "INVITE")
        .pop()
        .expect("stage 1 rings the desk");
    assert!(
        requests_to(&out, MOBILE, "INVITE").is_empty(),
        "stage 2 waits"
    );
    call.on_response(&ringing(&desk, "d1"), now);
    let out = call.tick(now + Duration::from_secs(10));
    assert_eq!(
        requests_to(&out, DESK, "CANCEL").len(),
        1,
        "stage 1 gives up"
    );
    let mobile = requests_to(&out, MOBILE, "INVITE")
        .pop()
        .expect("stage 2 rings");
    assert!(responses_to(&out, CALLER).is_empty(), "the caller waits on");
    // The desk's 487 for our CANCEL does not end the call.
    let out = call.on_response(
        &answer(&desk, 487, "d1", None),
        now + Duration::from_secs(11),
    );
    assert!(responses_to(&out, CALLER).iter().all(|r| r.code < 300));
    let out = call.on_response(
        &answer(&mobile, 200, "m1", Some(ANSWER_PCMA)),
        now + Duration::from_secs(12),
    );
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(200));
    assert!(call.answered());

    // Busy in stage 1 moves on at once; busy everywhere ends busy.
    let (mut call, out) = Call::start(s, now);
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    let out = call.on_response(&answer(&desk, 486, "d1", None), now);
    let mobile = requests_to(&out, MOBILE, "INVITE")
        .pop()
        .expect("stage 2 at once");
    let out = call.on_response(&answer(&mobile, 486, "m1", None), now);
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(486));
}

#[test]
fn an_edge_application_answers_at_once_without_ringing_anyone() {
    let now = Instant::now();
    let mut s = setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]);
    s.application = Some(Application::Voicemail(Greeting::AfterHours));
    let (_call, out) = Call::start(s, now);
    assert!(requests_to(&out, DESK, "INVITE").is_empty());
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(200));
    assert!(out.contains(&Action::Play(
        Leg::A,
        Prompt::Greeting(Greeting::AfterHours)
    )));
}

#[test]
fn low_quality_mode_is_answered_by_the_edge_and_the_other_party_is_not_asked() {
    let now = Instant::now();
    let mut call = answered(now);
    let switch = |cseq: u32, sdp: &str| {
        Request::parse(
            format!(
                "INVITE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKlq{cseq}\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: {cseq} INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                sdp.len()
            )
            .as_bytes(),
        )
        .expect("re-invite")
    };
    // 저음질 on: narrowband Opus at 8 kbit/s.
    let low = "v=0\r\no=a 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 maxaveragebitrate=8000;maxplaybackrate=8000\r\na=rtpmap:101 telephone-event/48000\r\na=sendrecv\r\n";
    let out = call.on_request(&switch(3, low), addr(CALLER), now);
    assert!(
        requests_to(&out, DESK, "INVITE").is_empty(),
        "the desk keeps its codec"
    );
    let ok = responses_to(&out, CALLER)
        .pop()
        .expect("answered by the edge");
    assert_eq!(ok.code, 200);
    let sdp = crate::sdp::Sdp::parse(&ok.body).expect("sdp");
    let voice = sdp.voice().expect("voice");
    assert_eq!(voice.codec, crate::sdp::Codec::Opus);
    assert_eq!(voice.max_average_bitrate(), Some(8_000));
    assert!(out.iter().any(|a| matches!(
        a,
        Action::Media(Leg::A, m) if m.voice == Some((111, crate::sdp::Codec::Opus))
            && m.opus_bitrate == Some(8_000)
    )));
    // And back to G.711.
    let out = call.on_request(&switch(4, OFFER), addr(CALLER), now);
    assert!(requests_to(&out, DESK, "INVITE").is_empty());
    assert!(out.iter().any(|a| matches!(
        a,
        Action::Media(Leg::A, m) if m.voice == Some((0, crate::sdp::Codec::Pcmu)) && m.opus_bitrate.is_none()
    )));
    assert!(call.answered());
}

#[test]
fn a_caller_the_edge_answered_is_bridged_to_a_user_later() {
    let now = Instant::now();
    let mut s = setup(vec![phone("sip:1002@192.0.2.20:5060", DESK)]);
    s.application = Some(Application::Voicemail(Greeting::AfterHours));
    let (mut call, out) = Call::start(s, now);
    assert!(
        requests_to(&out, DESK, "INVITE").is_empty(),
        "the edge answers first"
    );
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(200));
    call.on_request(&caller_ack(), addr(CALLER), now);
    let callee = Party {
        number: "1002".into(),
        account: Some(account("1002")),
        name: None,
    };
    let out = call.bridge(
        ForkPlan::parallel(
            vec![phone("sip:1002@192.0.2.20:5060", DESK)],
            Duration::from_secs(30),
        ),
        ("<sip:1001@office>".into(), "<sip:1002@office>".into()),
        callee,
        now,
    );
    let desk = requests_to(&out, DESK, "INVITE")
        .pop()
        .expect("the user rings");
    let sdp = crate::sdp::Sdp::parse(&desk.body).expect("sdp");
    assert_eq!(sdp.audio, Some(addr("203.0.113.1:30002")));
    assert!(
        call.bridge(
            ForkPlan::default(),
            (String::new(), String::new()),
            Party::default(),
            now
        )
        .is_empty(),
        "one ringing at a time"
    );
    let out = call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    assert_eq!(requests_to(&out, DESK, "ACK").len(), 1);
    assert!(out.contains(&Action::StopPrompt));
    assert!(
        responses_to(&out, CALLER).is_empty(),
        "the caller's dialog is not touched"
    );
    assert!(call.answered());
    // Either side hanging up ends both.
    let bye = Request::parse(b"BYE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbye\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: 3 BYE\r\n\r\n").expect("bye");
    let out = call.on_request(&bye, addr(CALLER), now);
    assert_eq!(requests_to(&out, DESK, "BYE").len(), 1);
    assert!(out.iter().any(
        |a| matches!(a, Action::Close(r) if r.disposition == domain::call::Disposition::Answered)
    ));
}
