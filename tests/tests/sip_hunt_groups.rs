//! Hunt groups through the media edge inside `office`, with sipp phones:
//! a group is created through the API; calls to its extension ring its
//! members in the group's order; a member who does not answer in their
//! ring time gives way to the next; round robin goes on after whoever
//! took the last call; the record names the member who answered and the
//! group.

use std::time::Duration;

use e2e::sipp::{Phone, both, callee, caller, register};
use e2e::{Api, Office};
use serde_json::json;

/// Creates a hunt group through the API; its id.
fn hunt_group(api: &Api, body: serde_json::Value) -> String {
    let (status, g) = api.call("POST", "/v1/hunt-groups", Some(body));
    assert_eq!(status, 201, "{g}");
    g["id"].as_str().expect("id").to_owned()
}

#[test]
fn calls_to_a_hunt_group_reach_its_members_in_the_groups_order() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let phone = |i: usize| Phone::demo_user(&office.info, i);
    let (a, b, c) = (phone(0), phone(1), phone(2));
    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    register(w, &b);
    register(w, &c);
    let api = Api::of(&office);
    let (bid, cid) = (api.account_id(&b.extension), api.account_id(&c.extension));
    let group = |ext: &str, strategy: &str| {
        hunt_group(
            &api,
            json!({
                "name": format!("{strategy} 그룹"),
                "extension": ext,
                "strategy": strategy,
                "members": [
                    {"account": bid, "ring_timeout_secs": 5},
                    {"account": cid},
                ],
            }),
        )
    };
    let linear = group("3100", "linear");
    let rr = group("3101", "rrordered");

    // Linear: b rings first and does not answer within its 5 s; c answers.
    let mut b_rings = callee(w, &b, "linear-b", &["uas_ring", "uas_cancelled"], 0);
    let mut c_answers = callee(
        w,
        &c,
        "linear-c",
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        0,
    );
    let mut uac = caller(
        w,
        &a,
        "to-linear",
        "3100",
        "uac_talk_and_hang_up",
        &[("talk_ms", "1000")],
    );
    both(
        &mut uac,
        &mut c_answers,
        "linear group, second member answers",
    );
    assert!(
        b_rings.wait(Duration::from_secs(10)),
        "b rang and was cancelled\n{}",
        b_rings.log()
    );

    // Round robin: b takes the first call, c the second, b the third.
    for (n, who) in [(1, &b), (2, &c), (3, &b)] {
        let mut uas = callee(
            w,
            who,
            &format!("rr-{n}"),
            &["uas_ring", "uas_answer", "uas_wait_bye"],
            0,
        );
        let mut uac = caller(
            w,
            &a,
            &format!("to-rr-{n}"),
            "3101",
            "uac_talk_and_hang_up",
            &[("talk_ms", "500")],
        );
        both(&mut uac, &mut uas, &format!("round robin call {n}"));
    }

    // The records: the member who answered, through which group.
    let list = api.closed_calls(4);
    assert!(
        list.iter().all(|c| c["disposition"] == "answered"),
        "{list:#?}"
    );
    let summary: Vec<(String, String)> = list
        .iter()
        .rev()
        .map(|r| {
            (
                r["callee"].as_str().unwrap_or("").to_owned(),
                r["hunt_group"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (c.extension.clone(), linear.clone()),
            (b.extension.clone(), rr.clone()),
            (c.extension.clone(), rr.clone()),
            (b.extension.clone(), rr.clone()),
        ],
        "{list:#?}"
    );
    assert!(office.stop().expect("stop"));
}

#[test]
fn a_caller_waits_in_the_queue_until_the_busy_member_is_free() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let phone = |i: usize| Phone::demo_user(&office.info, i);
    let (a, b, c) = (phone(0), phone(1), phone(2));
    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    register(w, &b);
    let api = Api::of(&office);
    let bid = api.account_id(&b.extension);
    let g = hunt_group(
        &api,
        json!({
            "name": "대기 그룹",
            "extension": "3200",
            "strategy": "linear",
            "members": [{"account": bid}],
            "max_wait_secs": 30,
        }),
    );
    // b takes two calls: a's, then c's from the queue.
    let mut b_phone = e2e::sipp::callee_with(
        w,
        &b,
        "member",
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        &[("talk_ms", "0"), ("calls", "2")],
        true,
    );
    let mut a_call = caller(
        w,
        &a,
        "a-to-b",
        &b.extension,
        "uac_talk_and_hang_up",
        &[("talk_ms", "5000")],
    );
    std::thread::sleep(Duration::from_millis(1500));
    // b is on a call: c is answered by the edge and waits with music.
    let mut c_call = caller(
        w,
        &c,
        "c-queued",
        "3200",
        "uac_talk_and_hang_up",
        &[("talk_ms", "10000")],
    );
    assert!(
        a_call.wait(Duration::from_secs(30)),
        "a-b\n{}",
        a_call.log()
    );
    both(&mut c_call, &mut b_phone, "queued caller reaches b");

    let list = api.closed_calls(2);
    let queued = list
        .iter()
        .find(|r| r["hunt_group"] == g.as_str())
        .unwrap_or_else(|| panic!("the queued call: {list:#?}"));
    assert_eq!(queued["disposition"], "answered", "{queued:#}");
    assert_eq!(queued["callee"], b.extension.as_str());
    assert_eq!(queued["caller"], c.extension.as_str());
    let waited =
        queued["answered_ms"].as_i64().unwrap_or(0) - queued["started_ms"].as_i64().unwrap_or(0);
    assert!(waited >= 2_000, "c waited for b: {waited} ms\n{queued:#}");
    assert!(
        queued["duration_secs"].as_i64().unwrap_or(0) >= 2,
        "{queued:#}"
    );
    assert!(office.stop().expect("stop"));
}
