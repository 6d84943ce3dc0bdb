//! A caller in an ARS scenario, through the state machine: answered by the
//! edge, prompts said, keys (RFC 4733 or SIP INFO) walking the menu with
//! barge-in, silence timing out, the hand-over rung with music and bridged,
//! and the path the caller took kept on the record.

use super::*;
use crate::routing::{HandOff, Handoff, IvrSpec, IvrTarget};
use domain::call::{Disposition, IvrVisit};
use domain::ivr::{Action as Node, Destination, MenuOption, Node as Step, Prompt as Say, Scenario};

fn tts(t: &str) -> Say {
    Say::Tts { text: t.into() }
}

fn scenario() -> Scenario {
    let node = |id: &str, action| Step {
        id: id.into(),
        label: None,
        action,
    };
    Scenario {
        tenant: domain::TenantId::parse("acme").expect("t"),
        id: domain::IvrId::parse(&"9".repeat(32)).expect("id"),
        name: "대표번호".into(),
        numbers: Vec::new(),
        start: "hello".into(),
        nodes: vec![
            node(
                "hello",
                Node::Play {
                    prompt: tts("안녕하세요."),
                    next: "main".into(),
                },
            ),
            node(
                "main",
                Node::Menu {
                    prompt: tts("상담원은 1번, 내선은 9번."),
                    options: vec![
                        MenuOption {
                            key: '1',
                            next: "desk".into(),
                        },
                        MenuOption {
                            key: '9',
                            next: "ext".into(),
                        },
                    ],
                    timeout_secs: 5,
                    retries: 1,
                    invalid: Some(tts("잘못 누르셨습니다.")),
                    fallback: "bye".into(),
                },
            ),
            node(
                "desk",
                Node::Route {
                    to: Destination::User {
                        account: account("1002"),
                    },
                },
            ),
            node(
                "ext",
                Node::Collect {
                    prompt: tts("내선 번호를 누르세요."),
                    max_digits: 4,
                    timeout_secs: 5,
                    retries: 1,
                    invalid: None,
                    fallback: "bye".into(),
                },
            ),
            node(
                "bye",
                Node::HangUp {
                    prompt: Some(tts("안녕히 계세요.")),
                },
            ),
        ],
        created_at: 0,
    }
}

/// A caller the scenario answered; the welcome is playing.
fn in_ivr(now: Instant) -> Call {
    let mut s = setup(Vec::new());
    // From outside: the caller ID is a phone number.
    s.record.caller.number = "010-1234-5678".into();
    let sc = scenario();
    s.record.ivr = Some(IvrVisit {
        scenario: sc.id.clone(),
        path: Vec::new(),
    });
    s.application = Some(Application::Ivr(Box::new(IvrSpec {
        scenario: sc,
        one_offs: Vec::new(),
    })));
    let (mut call, out) = Call::start(s, now);
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(200));
    assert!(out.contains(&Action::Say(Leg::A, vec![tts("안녕하세요.")])));
    call.on_request(&caller_ack(), addr(CALLER), now);
    call
}

fn hand_off(out: &[Action]) -> Option<HandOff> {
    out.iter().find_map(|a| match a {
        Action::HandOff(h) => Some(h.clone()),
        _ => None,
    })
}

/// The callback request the call asked the I/O layer to file, if any.
fn filed(out: &[Action]) -> Option<crate::call::CallbackAsk> {
    out.iter().find_map(|a| match a {
        Action::FileCallback(c) => Some(c.clone()),
        _ => None,
    })
}

fn closed(out: &[Action]) -> Option<CallRecord> {
    out.iter().find_map(|a| match a {
        Action::Close(r) => Some((**r).clone()),
        _ => None,
    })
}

fn info(body: &str, kind: &str, cseq: u32) -> Request {
    let msg = format!(
        "INFO sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKinfo{cseq}\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: {cseq} INFO\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Request::parse(msg.as_bytes()).expect("info")
}

#[test]
fn a_key_during_the_menu_stops_the_prompt_and_the_choice_is_rung_with_music() {
    let now = Instant::now();
    let mut call = in_ivr(now);
    let out = call.prompt_done(now);
    assert_eq!(
        out,
        [Action::Say(Leg::A, vec![tts("상담원은 1번, 내선은 9번.")])]
    );
    // Barge-in: 1 while the menu speaks.
    let out = call.on_dtmf(Leg::A, '1', now);
    assert_eq!(out.first(), Some(&Action::StopPrompt));
    let h = hand_off(&out).expect("hand-over asked");
    assert_eq!(
        h.target,
        IvrTarget::To(Destination::User {
            account: account("1002")
        })
    );
    let path = out
        .iter()
        .rev()
        .find_map(|a| match a {
            Action::Save(r) => r.ivr.clone(),
            _ => None,
        })
        .expect("the path is saved");
    assert_eq!(path.path.len(), 1);
    assert_eq!(
        (path.path[0].node.as_str(), path.path[0].chose.as_str()),
        ("main", "1")
    );
    // Keys no longer count; routing rings the desk, music meanwhile.
    assert!(call.on_dtmf(Leg::A, '9', now).is_empty());
    let desk = Party {
        number: "1002".into(),
        account: Some(account("1002")),
        name: None,
    };
    let out = call.handed_off(
        Ok(Handoff::Ring {
            forks: ForkPlan::parallel(
                vec![phone("sip:1002@192.0.2.20:5060", DESK)],
                Duration::from_secs(15),
            ),
            fallback: Fallback::Mailbox(desk.clone()),
            callee: desk,
            hunt_group: None,
            b_to: "<sip:1002@office>".into(),
        }),
        now,
    );
    assert!(out.contains(&Action::Play(Leg::A, Prompt::Music)));
    let invite = requests_to(&out, DESK, "INVITE").pop().expect("desk rings");
    assert_eq!(
        call.prompt_done(now),
        [Action::Play(Leg::A, Prompt::Music)],
        "music loops while ringing"
    );
    let later = now + Duration::from_secs(4);
    let out = call.on_response(&answer(&invite, 200, "d1", Some(ANSWER_PCMA)), later);
    assert!(out.contains(&Action::StopPrompt));
    assert!(call.answered());
    assert_eq!(call.record.callee.account, Some(account("1002")));
    assert_eq!(call.record.disposition, Disposition::Answered);
    assert!(call.record.answered_ms.is_some());
    assert_eq!(
        call.record.ivr.as_ref().map(|v| v.path.len()),
        Some(1),
        "the path stays with the record"
    );
}

#[test]
fn silence_and_an_invalid_key_ask_again_then_the_fallback_hangs_up() {
    let now = Instant::now();
    let mut call = in_ivr(now);
    call.prompt_done(now); // welcome over: the menu speaks
    let out = call.prompt_done(now); // the menu's prompt is over: wait
    assert!(out.is_empty());
    let wait = call.next_deadline().expect("waiting for a key");
    assert!(wait <= now + Duration::from_secs(5));
    let t = now + Duration::from_secs(5);
    let out = call.tick(t);
    assert!(
        out.contains(&Action::Say(
            Leg::A,
            vec![tts("잘못 누르셨습니다."), tts("상담원은 1번, 내선은 9번.")]
        )),
        "asked again: {out:?}"
    );
    // An invalid key with no retries left: the fallback says goodbye and hangs up.
    let out = call.on_dtmf(Leg::A, '7', t);
    assert!(out.contains(&Action::Say(Leg::A, vec![tts("안녕히 계세요.")])));
    let out = call.prompt_done(t);
    assert_eq!(requests_to(&out, CALLER, "BYE").len(), 1);
    let r = closed(&out).expect("closed");
    assert_eq!(r.disposition, Disposition::Ivr);
    let chose: Vec<&str> = r
        .ivr
        .as_ref()
        .expect("visit")
        .path
        .iter()
        .map(|c| c.chose.as_str())
        .collect();
    assert_eq!(chose, ["invalid"]);
}

#[test]
fn keys_by_sip_info_collect_an_extension_and_nobodys_extension_is_asked_again() {
    let now = Instant::now();
    let mut call = in_ivr(now);
    call.prompt_done(now);
    let out = call.on_request(
        &info("Signal=9\r\nDuration=160\r\n", "application/dtmf-relay", 3),
        addr(CALLER),
        now,
    );
    assert_eq!(responses_to(&out, CALLER).pop().map(|r| r.code), Some(200));
    assert!(out.contains(&Action::Say(Leg::A, vec![tts("내선 번호를 누르세요.")])));
    for (i, k) in ["1", "0", "0", "9"].iter().enumerate() {
        let cseq = 4 + u32::try_from(i).expect("small");
        call.on_request(&info(k, "application/dtmf", cseq), addr(CALLER), now);
    }
    // The fourth key completes the extension (the last request's actions).
    let h = call
        .handed_off(Ok(Handoff::NoSuchExtension), now)
        .into_iter()
        .collect::<Vec<_>>();
    assert!(
        h.contains(&Action::Say(Leg::A, vec![tts("내선 번호를 누르세요.")])),
        "asked again: {h:?}"
    );
    // Hanging up in the menu: counted as ended in the ARS.
    let bye = Request::parse(b"BYE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbye\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: 20 BYE\r\n\r\n").expect("bye");
    let r = closed(&call.on_request(&bye, addr(CALLER), now)).expect("closed");
    assert_eq!(r.disposition, Disposition::Ivr);
    let chose: Vec<String> = r
        .ivr
        .expect("visit")
        .path
        .into_iter()
        .map(|c| c.chose)
        .collect();
    assert_eq!(chose, ["9", "1009"], "a retry is not a choice");
}

#[test]
fn a_hand_off_to_an_extension_happens_after_the_last_digit() {
    let now = Instant::now();
    let mut call = in_ivr(now);
    call.prompt_done(now);
    call.on_dtmf(Leg::A, '9', now);
    let mut last = Vec::new();
    for k in ['1', '0', '0', '2'] {
        last = call.on_dtmf(Leg::A, k, now);
    }
    let h = hand_off(&last).expect("handed off");
    assert_eq!(h.target, IvrTarget::Extension("1002".into()));
    // Nobody can take it: the edge hangs up.
    let out = call.handed_off(Ok(Handoff::Unavailable("user unavailable")), now);
    assert_eq!(requests_to(&out, CALLER, "BYE").len(), 1);
    let r = closed(&out).expect("closed");
    assert_eq!(r.disposition, Disposition::Ivr);
}

#[test]
fn a_hand_off_to_a_mailbox_plays_the_greeting_on_the_same_dialog() {
    let now = Instant::now();
    let mut call = in_ivr(now);
    call.prompt_done(now);
    call.on_dtmf(Leg::A, '1', now);
    let kim = Party {
        number: "1002".into(),
        account: Some(account("1002")),
        name: None,
    };
    let out = call.handed_off(Ok(Handoff::Mailbox(kim)), now);
    assert!(responses_to(&out, CALLER).is_empty(), "answered once only");
    assert!(out.contains(&Action::Play(
        Leg::A,
        Prompt::Greeting(crate::prompts::Greeting::Unavailable)
    )));
    let out = call.prompt_done(now);
    assert!(out.contains(&Action::RecordVoicemail));
    assert_eq!(call.record.callee.account, Some(account("1002")));
}

#[test]
fn a_callback_request_is_filed_then_the_caller_hears_it_was_taken() {
    let now = Instant::now();
    let mut call = in_ivr(now);
    call.prompt_done(now);
    call.on_dtmf(Leg::A, '1', now);
    let out = call.handed_off(Ok(Handoff::Callback), now);
    let ask = filed(&out).expect("filed");
    assert_eq!(ask.number, "010-1234-5678");
    assert_eq!(ask.call_id, call.record.id);
    assert!(matches!(
        ask.source,
        domain::callback::Source::Ivr { ref scenario } if scenario.as_str() == "9".repeat(32)
    ));
    // Music while it is filed; the end of a prompt meanwhile changes nothing.
    assert!(call.prompt_done(now).is_empty());
    let out = call.callback_filed(Ok(false), now);
    assert!(out.contains(&Action::Say(Leg::A, vec![tts(crate::call::CALLBACK_TAKEN)])));
    let out = call.prompt_done(now);
    assert_eq!(requests_to(&out, CALLER, "BYE").len(), 1);
    assert_eq!(
        closed(&out).map(|r| r.disposition),
        Some(Disposition::Callback)
    );
}

#[test]
fn a_refused_callback_is_said_and_a_caller_hanging_up_meanwhile_still_counts() {
    let now = Instant::now();
    let mut call = in_ivr(now);
    call.prompt_done(now);
    call.on_dtmf(Leg::A, '1', now);
    call.handed_off(Ok(Handoff::Callback), now);
    let out = call.callback_filed(Err("no number".into()), now);
    assert!(out.contains(&Action::Say(
        Leg::A,
        vec![tts(crate::call::CALLBACK_REFUSED)]
    )));
    let out = call.prompt_done(now);
    assert_eq!(closed(&out).map(|r| r.disposition), Some(Disposition::Ivr));

    let mut call = in_ivr(now);
    call.prompt_done(now);
    call.on_dtmf(Leg::A, '1', now);
    call.handed_off(Ok(Handoff::Callback), now);
    let bye = Request::parse(b"BYE sip:edge@203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbye\r\nFrom: <sip:1001@office>;tag=from-a\r\nTo: <sip:1002@office>;tag=x\r\nCall-ID: call-a@192.0.2.10\r\nCSeq: 20 BYE\r\n\r\n").expect("bye");
    let out = call.on_request(&bye, addr(CALLER), now);
    assert_eq!(
        closed(&out).map(|r| r.disposition),
        Some(Disposition::Callback)
    );
    assert!(
        call.callback_filed(Ok(true), now).is_empty(),
        "the call is over"
    );
}

/// A scenario's caller without a caller ID (the carrier sent `anonymous`).
fn anonymous_in_ivr(now: Instant) -> Call {
    let mut call = in_ivr(now);
    call.record.caller.number = "anonymous".into();
    call.prompt_done(now);
    call.on_dtmf(Leg::A, '1', now);
    call
}

#[test]
fn a_caller_without_caller_id_keys_in_the_number_to_call_back() {
    let now = Instant::now();
    let mut call = anonymous_in_ivr(now);
    let out = call.handed_off(Ok(Handoff::Callback), now);
    assert!(out.contains(&Action::Say(
        Leg::A,
        vec![tts(crate::call::CALLBACK_KEY_IN)]
    )));
    assert!(!out.iter().any(|a| matches!(a, Action::FileCallback(_))));
    assert!(call.prompt_done(now).is_empty(), "waits for the keys");
    // A slip, * to start again, then the number and #.
    for k in "77*0212345678".chars() {
        assert!(
            call.on_dtmf(Leg::A, k, now)
                .iter()
                .all(|a| !matches!(a, Action::FileCallback(_)))
        );
    }
    let out = call.on_dtmf(Leg::A, '#', now);
    let ask = filed(&out).expect("filed");
    assert_eq!(ask.number, "0212345678");
}

#[test]
fn silence_instead_of_a_number_is_a_refused_request() {
    let now = Instant::now();
    let mut call = anonymous_in_ivr(now);
    call.handed_off(Ok(Handoff::Callback), now);
    let wait = call.next_deadline().expect("a wait for keys");
    let out = call.tick(wait);
    assert!(out.contains(&Action::Say(
        Leg::A,
        vec![tts(crate::call::CALLBACK_REFUSED)]
    )));
    let out = call.prompt_done(wait);
    assert_eq!(closed(&out).map(|r| r.disposition), Some(Disposition::Ivr));
    assert!(
        call.next_deadline().is_none_or(|d| d > wait),
        "no wait left behind"
    );
}

#[test]
fn a_caller_who_missed_the_groups_agents_leaves_a_callback_request() {
    let now = Instant::now();
    let mut call = in_ivr(now);
    call.prompt_done(now);
    call.on_dtmf(Leg::A, '1', now);
    let group = domain::HuntGroupId::parse(&"7".repeat(32)).expect("group");
    let out = call.handed_off(
        Ok(Handoff::Ring {
            forks: ForkPlan::parallel(
                vec![phone("sip:1002@192.0.2.20:5060", DESK)],
                Duration::from_secs(15),
            ),
            fallback: Fallback::Callback(group.clone()),
            callee: Party::default(),
            hunt_group: Some(group.clone()),
            b_to: "<sip:3000@office>".into(),
        }),
        now,
    );
    let invite = requests_to(&out, DESK, "INVITE").pop().expect("rings");
    let out = call.on_response(&answer(&invite, 480, "d1", None), now);
    let ask = filed(&out).expect("a callback request");
    assert_eq!(ask.source, domain::callback::Source::Queue { group });
}
