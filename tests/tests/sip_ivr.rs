//! ARS scenarios through the media edge inside `office`, with sipp as the
//! carrier pressing RFC 4733 keys (the pcaps Debian's sip-tester ships)
//! and sipp phones: the demo's 대표번호 menu reaches a user by one key and
//! an extension keyed in, a hunt group's free member by another, leaves a
//! callback request that one click calls back; a scenario saved through
//! the API answers its number at once, asks again after a wrong key and
//! says goodbye after silence. Prompts are spoken by espeak-ng. Each record keeps the
//! caller's choices.

use std::time::Duration;

use e2e::sipp::{Phone, Ports, Sipp, callee, free_port_pair, press, register, scenario, tail_text};
use e2e::{Api, Office};
use serde_json::json;

/// Scenario lines that key `keys` by SIP INFO (`application/dtmf-relay`,
/// as many phones send them), 300 ms apart.
fn info_keys(keys: &str) -> String {
    keys.chars()
        .enumerate()
        .map(|(i, k)| {
            format!(
                r#"  <pause milliseconds="300"/>
  <send retrans="500">
    <![CDATA[
INFO [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:01012345678@[local_ip]>;tag=[call_number]
To: <sip:{{{{did}}}}@[remote_ip]>[peer_tag_param]
Call-ID: [call_id]
CSeq: {} INFO
Max-Forwards: 70
Content-Type: application/dtmf-relay
Content-Length: [len]

Signal={k}
Duration=160
    ]]>
  </send>
  <recv response="200"/>
"#,
                10 + i
            )
        })
        .collect()
}

/// The carrier's call to `did`: waits `first_ms` (the prompts playing),
/// presses `keys` (scenario lines), waits `then_ms`, then hangs up (or, when `hung_up`,
/// waits for the edge to).
fn carrier(
    w: &std::path::Path,
    name: &str,
    ports: Ports,
    did: &str,
    (first_ms, keys, then_ms): (u32, &str, u32),
    hung_up: bool,
) -> Sipp {
    let keyed = format!(
        "  <pause milliseconds=\"{first_ms}\"/>\n{keys}  <pause milliseconds=\"{then_ms}\"/>\n"
    );
    let end = tail_text(if hung_up {
        "trunk_hung_up"
    } else {
        "trunk_hang_up"
    });
    let text =
        scenario("trunk_ivr.xml", &[("keys", &keyed), ("end", &end)]).replace("{{did}}", did);
    Sipp::spawn(w, name, &text, ports, None, &[])
}

/// A carrier's call to the 대표번호 pressing `keys` while the menu speaks,
/// which `phone` answers; both sipp runs must finish.
fn answered_by(w: &std::path::Path, ports: Ports, phone: &Phone, name: &str, keys: &str) {
    let mut uas = callee(
        w,
        phone,
        &format!("{name}-phone"),
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        0,
    );
    let mut t = carrier(w, name, ports, "0212345678", (4500, keys, 3000), false);
    let (ok_t, ok_p) = (
        t.wait(Duration::from_secs(40)),
        uas.wait(Duration::from_secs(10)),
    );
    assert!(
        ok_t && ok_p,
        "{name}: {ok_t} {ok_p}\n{}\n{}",
        t.log(),
        uas.log()
    );
}

#[test]
fn callers_walk_ars_menus_by_keypad() {
    let data = tempfile::tempdir().expect("tempdir");
    let (office, trunk_port) =
        Office::start_with_trunk(data.path(), &[("OFFICE_RING_SECS", "5")]).expect("office");
    let ivr = &office.info["ivr"];
    assert_eq!(ivr["number"], "02-1234-5678", "{ivr:#}");
    let edge = office.info["sip"]["port"].as_u64().expect("sip port");
    let ports = || Ports {
        edge,
        sip: trunk_port,
        media: free_port_pair(),
        tcp: false,
    };
    let api = Api::of(&office);
    let phone = |i: usize| Phone::demo_user(&office.info, i);
    let (a, b) = (phone(0), phone(1));
    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    register(w, &a);
    register(w, &b);

    // 2 while the menu speaks: the first employee's phone rings and answers.
    answered_by(w, ports(), &a, "ivr-key-2", &press("2"));
    let r = &api.closed_calls(1)[0];
    assert_eq!(
        (
            r["callee"].as_str(),
            r["disposition"].as_str(),
            r["ivr_path"].as_str()
        ),
        (Some(a.extension.as_str()), Some("answered"), Some("main=2")),
        "{r:#}"
    );
    assert_eq!(r["ivr"], ivr["id"]);
    assert_eq!(r["caller"], "010-1234-5678");

    // 9 (RFC 4733), then an extension and # by SIP INFO (sipp's pcaps
    // can't press one key twice in a row: each replay has the same RTP
    // timestamp, so the second is the first one's retransmission).
    let keys = format!("{}{}", press("9"), info_keys(&format!("{}#", b.extension)));
    answered_by(w, ports(), &b, "ivr-key-9", &keys);
    let r = &api.closed_calls(2)[0];
    let path = format!("main=9 > extension={}", b.extension);
    assert_eq!(
        (r["callee"].as_str(), r["ivr_path"].as_str()),
        (Some(b.extension.as_str()), Some(path.as_str())),
        "{r:#}"
    );

    // 1: the demo's hunt group. With user1 paused (일시정지), user2 is the
    // member who is free: their phone rings and answers.
    let group = office.info["hunt_group"]["id"]
        .as_str()
        .expect("group")
        .to_owned();
    let a_member = api.account_id(&a.extension);
    let pause = |paused: bool| {
        let (s, body) = api.call(
            "PUT",
            &format!("/v1/hunt-groups/{group}/members/{a_member}/paused"),
            Some(json!({ "paused": paused })),
        );
        assert_eq!(s, 200, "{body:#}");
    };
    pause(true);
    answered_by(w, ports(), &b, "ivr-key-1", &press("1"));
    let r = &api.closed_calls(3)[0];
    assert_eq!(
        (
            r["callee"].as_str(),
            r["hunt_group"].as_str(),
            r["ivr_path"].as_str()
        ),
        (
            Some(b.extension.as_str()),
            Some(group.as_str()),
            Some("main=1")
        ),
        "{r:#}"
    );
    pause(false);

    // 0: a callback request, twice from the same number: merged into one.
    for n in 1..=2 {
        let mut t = carrier(
            w,
            &format!("ivr-callback-{n}"),
            ports(),
            "0212345678",
            (4500, &press("0"), 0),
            true,
        );
        assert!(t.wait(Duration::from_secs(40)), "callback {n}\n{}", t.log());
    }
    let calls = api.closed_calls(5);
    for r in &calls[..2] {
        assert_eq!(
            (r["disposition"].as_str(), r["ivr_path"].as_str()),
            (Some("callback"), Some("main=0")),
            "{r:#}"
        );
    }
    let (s, list) = api.call("GET", "/v1/callbacks?status=open", None);
    assert_eq!(s, 200, "{list:#}");
    let requests = list["callbacks"].as_array().cloned().unwrap_or_default();
    assert_eq!(requests.len(), 1, "{list:#}");
    assert_eq!(
        (
            requests[0]["number"].as_str(),
            requests[0]["times"].as_u64(),
            requests[0]["via"].as_str()
        ),
        (Some("+821012345678"), Some(2), Some("02-1234-5678")),
        "{list:#}"
    );

    // One click calls back: the agent's phone rings first, then the
    // customer is dialled through the trunk; the customer hangs up.
    let id = requests[0]["id"].as_str().expect("id").to_owned();
    let a_id = api.account_id(&a.extension);
    let mut agent = callee(
        w,
        &a,
        "agent",
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        0,
    );
    let customer_phone = Phone {
        user: String::new(),
        password: String::new(),
        extension: String::new(),
        ports: ports(),
    };
    let mut customer = e2e::sipp::callee_with(
        w,
        &customer_phone,
        "customer",
        &["uas_ring", "uas_answer", "uas_hang_up"],
        &[("talk_ms", "1500")],
        true,
    );
    let (s, body) = api.call(
        "POST",
        &format!("/v1/callbacks/{id}/call"),
        Some(json!({"agent": a_id})),
    );
    assert_eq!(s, 202, "{body:#}");
    assert_eq!(
        body["attempts"].as_array().map(Vec::len),
        Some(1),
        "{body:#}"
    );
    assert_eq!(body["assignee"].as_str(), Some(a_id.as_str()));
    let (ok_c, ok_a) = (
        customer.wait(Duration::from_secs(40)),
        agent.wait(Duration::from_secs(10)),
    );
    assert!(
        ok_c && ok_a,
        "call back: {ok_c} {ok_a}\n{}\n{}",
        customer.log(),
        agent.log()
    );
    let r = &api.closed_calls(5)[0];
    assert_eq!(
        (
            r["caller"].as_str(),
            r["callee"].as_str(),
            r["disposition"].as_str(),
            r["direction"].as_str()
        ),
        (
            Some(a.extension.as_str()),
            Some("010-1234-5678"),
            Some("answered"),
            Some("outgoing")
        ),
        "{r:#}"
    );
    // Done: the request leaves the open list.
    let (s, body) = api.call(
        "PATCH",
        &format!("/v1/callbacks/{id}"),
        Some(json!({"status": "done"})),
    );
    assert_eq!(
        (s, body["status"].as_str()),
        (200, Some("done")),
        "{body:#}"
    );
    let (_, list) = api.call("GET", "/v1/callbacks?status=open", None);
    assert_eq!(
        list["callbacks"].as_array().map(Vec::len).unwrap_or(0),
        0,
        "{list:#}"
    );

    // A scenario saved through the API answers the third employee's 070
    // number: a wrong key is asked again, silence then ends the call.
    let c_number = office.info["users"][2]["number"]
        .as_str()
        .expect("number")
        .to_owned();
    let (s, body) = api.call(
        "POST",
        "/v1/ivr",
        Some(json!({
            "name": "짧은 메뉴",
            "numbers": [c_number],
            "start": "ask",
            "nodes": [
                {"id": "ask", "action": {"kind": "menu",
                    "prompt": {"kind": "tts", "text": "1번을 누르세요."},
                    "options": [{"key": "1", "next": "bye"}],
                    "timeout_secs": 1, "retries": 1,
                    "invalid": {"kind": "tts", "text": "잘못 누르셨습니다."},
                    "fallback": "bye"}},
                {"id": "bye", "action": {"kind": "hang_up",
                    "prompt": {"kind": "tts", "text": "안녕히 계세요."}}}
            ]
        })),
    );
    assert_eq!(s, 201, "{body:#}");
    let did = c_number.replace('-', "");
    let mut t = carrier(w, "ivr-silent", ports(), &did, (500, &press("7"), 0), true);
    assert!(t.wait(Duration::from_secs(40)), "silence\n{}", t.log());
    let r = &api.closed_calls(7)[0];
    assert_eq!(
        (r["disposition"].as_str(), r["ivr_path"].as_str()),
        (Some("ivr"), Some("ask=timeout")),
        "{r:#}"
    );
    assert_eq!(r["disposition_label"], "ARS 종료");
    assert!(office.stop().expect("stop"));
}
