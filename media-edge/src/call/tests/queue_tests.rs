//! A caller waiting in a hunt group's queue, through the state machine:
//! answered by the edge with the position, music between announcements,
//! members rung when the I/O layer says so, back to waiting when nobody
//! answers, overflow at the longest wait, and a caller who gives up.

use super::*;
use crate::call::queue::QUEUE_RETRY;
use crate::routing::QueueSpec;
use domain::call::Disposition;
use domain::event::{Happening, LeftQueue};

fn queued(now: Instant, overflow: Option<Party>) -> Call {
    let mut s = setup(Vec::new());
    s.application = Some(Application::Queue(QueueSpec {
        group: domain::HuntGroupId::parse(&"7".repeat(32)).expect("group"),
        max_wait: Duration::from_secs(60),
        overflow,
        callback: false,
        spill_to: None,
    }));
    let (mut call, out) = Call::start(s, now);
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(200));
    assert!(out.contains(&Action::Play(Leg::A, Prompt::QueueJoin(1))));
    call.on_request(&caller_ack(), addr(CALLER), now);
    call
}

fn member(n: &str) -> Party {
    Party {
        number: n.into(),
        account: Some(account(n)),
        name: None,
    }
}

fn members_plan() -> ForkPlan {
    let mut desk = phone("sip:1002@192.0.2.20:5060", DESK);
    desk.answers_as = Some(member("1002"));
    ForkPlan::parallel(vec![desk], Duration::from_secs(15))
}

fn ring(call: &mut Call, now: Instant) -> Request {
    assert!(call.ready_to_ring(now));
    let out = call.bridge(
        members_plan(),
        ("<sip:1001@office>".into(), "<sip:3000@office>".into()),
        Party {
            number: "3000".into(),
            account: None,
            name: Some("상담팀".into()),
        },
        now,
    );
    requests_to(&out, DESK, "INVITE")
        .pop()
        .expect("the member rings")
}

fn closed(out: &[Action]) -> Option<CallRecord> {
    out.iter().find_map(|a| match a {
        Action::Close(r) => Some((**r).clone()),
        _ => None,
    })
}

#[test]
fn a_queued_caller_hears_music_and_its_position_and_reaches_a_member() {
    let now = Instant::now();
    let mut call = queued(now, None);
    assert!(call.queued_for().is_some());
    call.queue_position(3);
    let plays: Vec<Action> = (0..3).flat_map(|_| call.prompt_done(now)).collect();
    assert_eq!(
        plays,
        [
            Action::Play(Leg::A, Prompt::Music),
            Action::Play(Leg::A, Prompt::Music),
            Action::Play(Leg::A, Prompt::QueuePosition(3)),
        ]
    );
    // First in line: a member rings; nobody answers: back to waiting for a while.
    call.queue_position(1);
    let desk = ring(&mut call, now);
    assert!(!call.ready_to_ring(now), "one ringing at a time");
    let later = now + Duration::from_secs(16);
    call.on_response(&answer(&desk, 486, "d0", None), later);
    assert!(call.queued_for().is_some(), "still waiting");
    assert!(!call.ready_to_ring(later));
    let retry = later + QUEUE_RETRY;
    assert!(call.ready_to_ring(retry));
    // The next ringing is answered: the record names the member, talk time starts now.
    let desk = ring(&mut call, retry);
    let out = call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), retry);
    assert!(out.contains(&Action::StopPrompt));
    assert!(out.iter().any(|a| matches!(
        a,
        Action::Notify(Happening::LeftQueue(_, LeftQueue::Answered))
    )));
    assert!(call.answered());
    assert!(call.queued_for().is_none());
    assert_eq!(call.record.callee.account, Some(account("1002")));
    assert_eq!(call.record.disposition, Disposition::Answered);
    let talk_from = call.record.answered_ms.expect("answered");
    assert!(
        talk_from >= call.record.started_ms + 19_000,
        "the wait is not talk"
    );
}

#[test]
fn a_caller_who_hangs_up_in_the_queue_is_counted_as_abandoned() {
    let now = Instant::now();
    let mut call = queued(now, None);
    let bye = Request::parse(b"BYE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbye\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:3000@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: 3 BYE\r\n\r\n").expect("bye");
    let out = call.on_request(&bye, addr(CALLER), now + Duration::from_secs(5));
    let r = closed(&out).expect("closed");
    assert_eq!(r.disposition, Disposition::Abandoned);
    assert!(out.iter().any(|a| matches!(
        a,
        Action::Notify(Happening::LeftQueue(_, LeftQueue::Abandoned))
    )));
    assert!(call.queued_for().is_none());
}

#[test]
fn the_longest_wait_ends_the_call_or_hands_it_to_a_mailbox() {
    let now = Instant::now();
    let mut call = queued(now, None);
    assert!(
        call.next_deadline()
            .is_some_and(|d| d <= now + Duration::from_secs(60))
    );
    let at = now + Duration::from_secs(60);
    let out = call.tick(at);
    assert_eq!(requests_to(&out, CALLER, "BYE").len(), 1);
    let r = closed(&out).expect("closed");
    assert_eq!(
        (r.disposition, r.cause.as_deref()),
        (Disposition::NoAnswer, Some("queue wait limit"))
    );
    // With a mailbox: the greeting plays on the same dialog, then the message.
    let mut call = queued(now, Some(member("1003")));
    let out = call.tick(at);
    assert!(requests_to(&out, CALLER, "BYE").is_empty());
    assert!(out.contains(&Action::Play(
        Leg::A,
        Prompt::Greeting(Greeting::Unavailable)
    )));
    assert_eq!(call.record.callee.account, Some(account("1003")));
    let out = call.prompt_done(at);
    assert!(out.contains(&Action::RecordVoicemail));
}

#[test]
fn the_longest_wait_hands_the_caller_on_to_the_overflow_group() {
    let now = Instant::now();
    let mut s = setup(Vec::new());
    let next = domain::HuntGroupId::parse(&"8".repeat(32)).expect("group");
    s.application = Some(Application::Queue(QueueSpec {
        group: domain::HuntGroupId::parse(&"7".repeat(32)).expect("group"),
        max_wait: Duration::from_secs(60),
        overflow: None,
        callback: false,
        spill_to: Some(next.clone()),
    }));
    let (mut call, _) = Call::start(s, now);
    call.on_request(&caller_ack(), addr(CALLER), now);
    let out = call.tick(now + Duration::from_secs(60));
    let h = out
        .iter()
        .find_map(|a| match a {
            Action::HandOff(h) => Some(h.clone()),
            _ => None,
        })
        .expect("handed on");
    assert_eq!(
        h.target,
        crate::routing::IvrTarget::To(domain::ivr::Destination::Group {
            group: next.clone()
        })
    );
    assert!(call.queued_for().is_none());
    assert_eq!(call.record.hunt_group.as_ref(), Some(&next));
    // The next group's member rings and answers: the caller is bridged.
    let out = call.handed_off(
        Ok(crate::routing::Handoff::Ring {
            forks: members_plan(),
            fallback: Fallback::Fail,
            callee: member("1002"),
            hunt_group: Some(next),
            b_to: "<sip:3001@office>".into(),
        }),
        now,
    );
    let desk = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    call.on_response(&answer(&desk, 200, "d1", Some(ANSWER_PCMA)), now);
    assert!(call.answered());
}
