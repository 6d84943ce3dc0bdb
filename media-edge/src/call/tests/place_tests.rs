//! A call the edge places (a one-click callback): the agent's phone rings
//! first with the edge's own offer, then the customer, with music for the
//! agent meanwhile; the customer's answer bridges them; failures on either
//! side end the call with the right record.

use super::*;
use crate::call::Placement;
use domain::call::Disposition;

fn placement() -> Placement {
    Placement {
        record: record(),
        agent: ForkPlan::parallel(
            vec![phone("sip:1001@192.0.2.10:5062", CALLER)],
            Duration::from_secs(20),
        ),
        agent_ids: (
            "\"콜백 010-1234-5678\" <sip:01012345678@office>".into(),
            "<sip:1001@office>".into(),
        ),
        customer: ForkPlan::parallel(
            vec![phone("sip:01012345678@198.51.100.7:41000", MOBILE)],
            Duration::from_secs(30),
        ),
        customer_ids: (
            "<sip:07040000001@office>".into(),
            "<sip:01012345678@office>".into(),
        ),
        media: [addr("203.0.113.1:30000"), addr("203.0.113.1:30002")],
        edge: addr(EDGE),
        auto_record: false,
    }
}

const AGENT_ANSWER: &str = "v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

#[test]
fn the_agent_rings_first_then_the_customer_and_they_are_bridged() {
    let now = Instant::now();
    let (mut call, out) = Call::place(placement(), now);
    assert!(requests_to(&out, MOBILE, "INVITE").is_empty(), "not yet");
    let agent = requests_to(&out, CALLER, "INVITE")
        .pop()
        .expect("agent rings");
    assert!(
        String::from_utf8_lossy(&agent.body).contains("m=audio 30000 RTP/AVP 8 0 101"),
        "the edge's own offer on the agent's leg"
    );
    assert!(
        agent
            .header("From")
            .is_some_and(|f| f.contains("콜백 010-1234-5678"))
    );
    let out = call.on_response(&answer(&agent, 200, "ag", Some(AGENT_ANSWER)), now);
    assert!(out.iter().any(|a| matches!(a, Action::Media(Leg::A, _))));
    assert!(out.contains(&Action::Play(Leg::A, Prompt::Music)));
    let customer = requests_to(&out, MOBILE, "INVITE")
        .pop()
        .expect("customer dialled");
    assert!(!call.answered());
    assert_eq!(call.prompt_done(now), [Action::Play(Leg::A, Prompt::Music)]);
    let later = now + Duration::from_secs(5);
    let out = call.on_response(&answer(&customer, 200, "cu", Some(ANSWER_PCMA)), later);
    assert!(out.contains(&Action::StopPrompt));
    assert!(call.answered());
    assert_eq!(call.record.disposition, Disposition::Answered);
    assert!(call.record.answered_ms.is_some());
    // The agent hangs up: the customer gets a BYE.
    let bye = format!(
        "BYE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKagentbye\r\nFrom: {};tag=ag\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: 2 BYE\r\n\r\n",
        agent.header("To").unwrap_or(""),
        agent.header("From").unwrap_or(""),
        agent.header("Call-ID").unwrap_or(""),
    );
    let bye = Request::parse(bye.as_bytes()).expect("bye");
    let out = call.on_request(&bye, addr(CALLER), later);
    assert_eq!(requests_to(&out, MOBILE, "BYE").len(), 1, "{out:?}");
}

#[test]
fn an_agent_who_does_not_answer_or_a_busy_customer_ends_the_call() {
    let now = Instant::now();
    let (mut call, out) = Call::place(placement(), now);
    let agent = requests_to(&out, CALLER, "INVITE")
        .pop()
        .expect("agent rings");
    let out = call.on_response(&answer(&agent, 486, "ag", None), now);
    let closed = out.iter().find_map(|a| match a {
        Action::Close(r) => Some(r.clone()),
        _ => None,
    });
    assert_eq!(closed.map(|r| r.disposition), Some(Disposition::NoAnswer));
    assert!(requests_to(&out, MOBILE, "INVITE").is_empty());

    let (mut call, out) = Call::place(placement(), now);
    let agent = requests_to(&out, CALLER, "INVITE")
        .pop()
        .expect("agent rings");
    let out = call.on_response(&answer(&agent, 200, "ag", Some(AGENT_ANSWER)), now);
    let customer = requests_to(&out, MOBILE, "INVITE")
        .pop()
        .expect("customer dialled");
    let out = call.on_response(&answer(&customer, 486, "cu", None), now);
    assert_eq!(
        requests_to(&out, CALLER, "BYE").len(),
        1,
        "the agent is hung up"
    );
    let closed = out.iter().find_map(|a| match a {
        Action::Close(r) => Some(r.clone()),
        _ => None,
    });
    let r = closed.expect("closed");
    assert_eq!(r.disposition, Disposition::Busy);
    assert_eq!(r.cause.as_deref(), Some("customer 486 Busy Here"));
}
