//! Calls through the media edge inside `office`, with sipp (Debian
//! `sip-tester`) on both ends: two registered phones call each other by
//! extension with RTP from a pcap, the callee echoing it back; either side
//! hangs up; busy, cancel, no answer, unknown and unregistered callees get
//! the answers a PBX gives.

use std::time::Duration;

use e2e::Office;
use e2e::sipp::{Phone, answered_call, both, callee, caller, register};

#[test]
fn registered_phones_call_each_other_through_the_edge() {
    let data = tempfile::tempdir().expect("tempdir");
    let office =
        Office::start_with_env(data.path(), &[], &[("OFFICE_RING_SECS", "3")]).expect("office");
    let phone = |i: usize| Phone::demo_user(&office.info, i);
    let (a, b, c) = (phone(0), phone(1), phone(2));
    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    register(w, &a);
    register(w, &b);

    // Answered; the caller plays 7 s of PCMA and hangs up.
    answered_call(w, &a, &b, "talk", 8000);

    // Answered; the callee hangs up.
    let mut uas = callee(
        w,
        &b,
        "callee-bye",
        &["uas_ring", "uas_answer", "uas_hang_up"],
        2000,
    );
    // The caller presses *1 (RFC 4733) mid-call: recording starts.
    let keys = e2e::sipp::press("*1");
    let mut uac = caller(
        w,
        &a,
        "until-bye",
        &b.extension,
        "uac_talk_until_bye",
        &[("dtmf", &keys)],
    );
    both(&mut uac, &mut uas, "answered call, callee hangs up");

    // Busy.
    let mut uas = callee(w, &b, "busy", &["uas_busy"], 0);
    let mut uac = caller(
        w,
        &a,
        "to-busy",
        &b.extension,
        "uac_refused",
        &[("expect", "486")],
    );
    both(&mut uac, &mut uas, "busy");

    // The caller gives up while it rings.
    let mut uas = callee(w, &b, "ringing", &["uas_ring", "uas_cancelled"], 0);
    let mut uac = caller(w, &a, "cancel", &b.extension, "uac_cancel", &[]);
    both(&mut uac, &mut uas, "cancel");

    // Nobody answers within the ring time (3 s here): 480, and the edge cancels the ringing.
    let mut uas = callee(w, &b, "no-answer", &["uas_ring", "uas_cancelled"], 0);
    let mut uac = caller(
        w,
        &a,
        "unanswered",
        &b.extension,
        "uac_refused",
        &[("expect", "480")],
    );
    both(&mut uac, &mut uas, "no answer");

    // No such extension; a colleague with no phone registered.
    for (dial, code) in [("1999", "404"), (c.extension.as_str(), "480")] {
        let mut uac = caller(
            w,
            &a,
            &format!("to-{dial}"),
            dial,
            "uac_refused",
            &[("expect", code)],
        );
        assert!(
            uac.wait(Duration::from_secs(30)),
            "{dial} -> {code}\n{}",
            uac.log()
        );
    }

    // Every call left one record, closed, with what happened; the talk
    // carried the pcap's 236 packets from the caller, echoed back by the callee.
    let key = office.info["api_key"].as_str().expect("api key").to_owned();
    let get = |path: &str| -> serde_json::Value {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            reqwest::Client::new()
                .get(format!("{}{path}", office.base))
                .bearer_auth(&key)
                .send()
                .await
                .expect("api")
                .json()
                .await
                .expect("json")
        })
    };
    let mut calls = serde_json::Value::Null;
    for _ in 0..50 {
        calls = get("/v1/calls?limit=50");
        let list = calls["calls"].as_array().cloned().unwrap_or_default();
        if list.len() == 6
            && list.iter().all(|c| c["disposition"] != "in_progress")
            && list[4]["recordings"] == 1
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let list = calls["calls"].as_array().expect("calls").clone();
    let summary: Vec<(String, String, String)> = list
        .iter()
        .rev()
        .map(|c| {
            (
                c["direction_label"].as_str().unwrap_or("").to_owned(),
                c["disposition"].as_str().unwrap_or("").to_owned(),
                c["cause"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("내선", "answered", "caller hung up"),
        ("내선", "answered", "callee hung up"),
        ("내선", "busy", "486 Busy Here"),
        ("내선", "cancelled", "caller cancelled"),
        ("내선", "no_answer", "no answer"),
        ("내선", "no_answer", "480 not registered"),
    ];
    assert_eq!(
        summary,
        expected
            .iter()
            .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
            .collect::<Vec<_>>(),
        "{calls:#}"
    );
    assert_eq!(
        list[list.len() - 2]["recordings"],
        1,
        "*1 recorded the second call: {calls:#}"
    );
    assert_eq!(list[list.len() - 1]["recordings"], 0);
    let talk = &list[list.len() - 1];
    assert_eq!(talk["caller"], a.extension.as_str());
    assert_eq!(talk["callee"], b.extension.as_str());
    assert!(
        talk["duration_secs"].as_i64().expect("secs") >= 7,
        "{talk:#}"
    );
    let detail = get(&format!("/v1/calls/{}", talk["id"].as_str().expect("id")));
    let packets = |leg: &str| {
        detail["quality"]
            .as_array()
            .and_then(|q| q.iter().find(|x| x["leg"] == leg))
            .and_then(|x| x["packets"].as_i64())
            .unwrap_or(0)
    };
    assert_eq!(packets("caller"), 236, "{detail:#}");
    assert!(
        packets("callee") >= 230,
        "the echo came back through the edge: {detail:#}"
    );
    assert!(office.stop().expect("stop"));
}
