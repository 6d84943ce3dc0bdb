//! Click-to-call (T6) through the API of a running `office`, with sipp as
//! the phones: `POST /v1/calls` rings the user's phone first; when it
//! answers, the target (a colleague's extension) rings and answers, and
//! the two talk until the target hangs up. The answer's call id is the
//! record's. Failures end with a clear status on the record: the target is
//! busy; the user does not answer. A retried request (same Idempotency-Key)
//! places one call; a user without a phone is refused at once.

use std::time::Duration;

use e2e::sipp::{Phone, callee, register};
use e2e::{Api, Office};
use serde_json::json;

/// The call's record once it is closed.
fn closed(api: &Api, id: &str) -> serde_json::Value {
    let end = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (status, r) = api.call("GET", &format!("/v1/calls/{id}"), None);
        if status == 200 && !r["ended_ms"].is_null() {
            return r;
        }
        assert!(
            std::time::Instant::now() < end,
            "{id} not closed: {status} {r:#}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn click_to_call_rings_the_user_then_the_target_and_reports_failures() {
    let data = tempfile::tempdir().expect("tempdir");
    let office =
        Office::start_with_env(data.path(), &[], &[("OFFICE_RING_SECS", "3")]).expect("office");
    let api = Api::of(&office);
    let phone = |i: usize| Phone::demo_user(&office.info, i);
    let (a, b) = (phone(0), phone(1));
    let work = tempfile::tempdir().expect("work");
    let w = work.path();

    // Nobody registered yet: refused before anything rings.
    let (s, body) = api.call(
        "POST",
        "/v1/calls",
        Some(json!({"user": a.extension, "target": b.extension})),
    );
    assert_eq!(
        (s, body["code"].as_str()),
        (409, Some("agent_unregistered")),
        "{body}"
    );
    let (s, body) = api.call(
        "POST",
        "/v1/calls",
        Some(json!({"user": a.extension, "target": "12ab"})),
    );
    assert_eq!((s, body["code"].as_str()), (422, Some("target")), "{body}");

    register(w, &a);
    register(w, &b);

    // Answered at both ends; the target hangs up after 1.5 s.
    let mut user = callee(
        w,
        &a,
        "ctc-user",
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        0,
    );
    let mut target = callee(
        w,
        &b,
        "ctc-target",
        &["uas_ring", "uas_answer", "uas_hang_up"],
        1500,
    );
    let (s, placed) = api.call(
        "POST",
        "/v1/calls",
        Some(json!({"user": a.extension, "target": b.extension})),
    );
    assert_eq!(s, 202, "{placed}");
    assert_eq!(placed["status"], "ringing_user");
    let id = placed["call_id"].as_str().expect("call id").to_owned();
    let (ok_t, ok_u) = (
        target.wait(Duration::from_secs(30)),
        user.wait(Duration::from_secs(10)),
    );
    assert!(ok_t && ok_u, "{}\n{}", target.log(), user.log());
    let r = closed(&api, &id);
    assert_eq!(
        (
            r["caller"].as_str(),
            r["callee"].as_str(),
            r["disposition"].as_str(),
            r["direction"].as_str()
        ),
        (
            Some(a.extension.as_str()),
            Some(b.extension.as_str()),
            Some("answered"),
            Some("internal")
        ),
        "{r:#}"
    );

    // The target is busy: the user hears it and the record says so.
    let mut user = callee(
        w,
        &a,
        "ctc-user-2",
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        0,
    );
    let mut target = callee(w, &b, "ctc-busy", &["uas_busy"], 0);
    let (_, placed) = api.call(
        "POST",
        "/v1/calls",
        Some(json!({"user": a.extension, "target": b.extension})),
    );
    let id = placed["call_id"].as_str().expect("call id").to_owned();
    assert!(target.wait(Duration::from_secs(30)), "{}", target.log());
    assert!(user.wait(Duration::from_secs(15)), "{}", user.log());
    let r = closed(&api, &id);
    assert_eq!(r["disposition"], "busy", "{r:#}");

    // The user does not answer within the ring time (3 s): nothing is dialled.
    let mut user = callee(w, &a, "ctc-no-answer", &["uas_ring", "uas_cancelled"], 0);
    let (_, placed) = api.call(
        "POST",
        "/v1/calls",
        Some(json!({"user": a.extension, "target": b.extension})),
    );
    let id = placed["call_id"].as_str().expect("call id").to_owned();
    assert!(user.wait(Duration::from_secs(20)), "{}", user.log());
    let r = closed(&api, &id);
    assert_eq!(
        (r["disposition"].as_str(), r["cause"].as_str()),
        (Some("no_answer"), Some("agent did not answer")),
        "{r:#}"
    );

    // The same request retried with its Idempotency-Key places one call.
    let mut user = callee(w, &a, "ctc-once", &["uas_ring", "uas_cancelled"], 0);
    let once = |key: &str| {
        api.call_with(
            "POST",
            "/v1/calls",
            Some(json!({"user": a.extension, "target": b.extension})),
            &[("Idempotency-Key", key)],
        )
    };
    let (s1, first) = once("ctc-1");
    let (s2, again) = once("ctc-1");
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(first["call_id"], again["call_id"], "the same answer");
    assert!(user.wait(Duration::from_secs(20)), "{}", user.log());
    office.stop().expect("stop");
}
