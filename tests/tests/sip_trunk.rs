//! The SIP trunk, with sipp playing the carrier: outbound calls go to it
//! with the dialled number and the user's 070 number as caller ID, and
//! answer its digest challenge; permissions stop outside and international
//! calls; the carrier's inbound calls reach the user holding the number;
//! busy goes to voicemail, and outside business hours the caller hears the
//! after-hours greeting without the phone ringing.

use std::time::Duration;

use e2e::baresip::wav_levels;
use e2e::sipp::{
    PCAP_G711A, Phone, Ports, Sipp, callee, caller, free_port_pair, register, scenario,
};
use e2e::{Api, Office};
use serde_json::{Value, json};

trait TrunkApi {
    fn permissions(&self, id: &str, outbound: bool, international: bool);
    fn last_call(&self, count: usize) -> Value;
}

impl TrunkApi for Api {
    fn permissions(&self, id: &str, outbound: bool, international: bool) {
        let (s, b) = self.call(
            "PATCH",
            &format!("/v1/accounts/{id}"),
            Some(json!({"permissions": {"outbound": outbound, "international": international, "recording_access": true}})),
        );
        assert_eq!(s, 200, "{b}");
    }

    /// Waits for the newest call record to be closed and returns it.
    fn last_call(&self, count: usize) -> Value {
        let mut last = Value::Null;
        for _ in 0..100 {
            let (_, list) = self.call("GET", "/v1/calls?limit=50", None);
            let calls = list["calls"].as_array().cloned().unwrap_or_default();
            if calls.len() == count && calls[0]["disposition"] != "in_progress" {
                return calls[0].clone();
            }
            last = list;
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no closed call #{count}: {last:#}");
    }
}

fn trunk(
    work: &std::path::Path,
    name: &str,
    file: &str,
    ports: Ports,
    fills: &[(&str, &str)],
) -> Sipp {
    Sipp::spawn(work, name, &scenario(file, fills), ports, None, &[])
}

#[test]
fn the_trunk_carries_calls_out_and_in() {
    let data = tempfile::tempdir().expect("tempdir");
    let (office, trunk_port) = Office::start_with_trunk(
        data.path(),
        &[
            ("OFFICE_SIP_TRUNK_USER", "office-trunk"),
            ("OFFICE_SIP_TRUNK_PASSWORD", "s3cret-trunk"),
            ("OFFICE_RING_SECS", "3"),
        ],
    )
    .expect("office");
    let edge = office.info["sip"]["port"].as_u64().expect("sip port");
    let api = Api::of(&office);
    let u = |i: usize, f: &str| office.info["users"][i][f].as_str().expect(f).to_owned();
    let phone = |i: usize| Phone {
        user: u(i, "sip_username"),
        password: u(i, "sip_password"),
        extension: u(i, "extension"),
        ports: Ports::new(edge),
    };
    let (a, b) = (phone(0), phone(1));
    let carrier = Ports {
        edge,
        sip: trunk_port,
        media: free_port_pair(),
        tcp: false,
    };
    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    register(w, &a);
    register(w, &b);
    let a_id = api.account_id(&a.extension);
    let caller_id = u(0, "number").replace('-', "");
    let b_did = u(1, "number").replace('-', "");

    // Outbound: the dialled number and the caller ID reach the carrier, whose challenge is answered.
    let mut t = trunk(
        w,
        "carrier-out",
        "trunk_uas.xml",
        carrier,
        &[
            ("dialled", "0212345678"),
            ("caller_id", &caller_id),
            ("trunk_user", "office-trunk"),
            ("trunk_password", "s3cret-trunk"),
        ],
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut c = caller(
        w,
        &a,
        "out",
        "02-1234-5678",
        "uac_talk_and_hang_up",
        &[("talk_ms", "2000")],
    );
    let (ok_c, ok_t) = (
        c.wait(Duration::from_secs(30)),
        t.wait(Duration::from_secs(10)),
    );
    assert!(
        ok_c && ok_t,
        "outbound: {ok_c} {ok_t}\n{}\n{}",
        c.log(),
        t.log()
    );
    let out = api.last_call(1);
    assert_eq!(
        (out["direction_label"].as_str(), out["callee"].as_str()),
        (Some("발신"), Some("02-1234-5678")),
        "{out:#}"
    );
    assert_eq!(out["disposition"], "answered");

    // Abroad without the permission, then outside at all without it: 403, nothing reaches the carrier.
    let mut c = caller(
        w,
        &a,
        "abroad",
        "001815551234",
        "uac_refused",
        &[("expect", "403")],
    );
    assert!(c.wait(Duration::from_secs(30)), "{}", c.log());
    api.permissions(&a_id, false, false);
    let mut c = caller(
        w,
        &a,
        "no-outbound",
        "0212345678",
        "uac_refused",
        &[("expect", "403")],
    );
    assert!(c.wait(Duration::from_secs(30)), "{}", c.log());
    api.permissions(&a_id, true, false);

    // The callee is open around the clock (the default hours would make
    // this test depend on the time of day: lunch, evenings, holidays).
    let b_id = api.account_id(&b.extension);
    let always: Vec<Value> = (0..7)
        .map(|_| json!({"work_start": "00:00", "work_end": "24:00"}))
        .collect();
    let (s, h) = api.call(
        "PUT",
        &format!("/v1/accounts/{b_id}/hours"),
        Some(json!({"on": true, "auto_public_holidays": false, "days": always})),
    );
    assert_eq!((s, h["open_now"].as_bool()), (200, Some(true)), "{h:#}");

    // Inbound to the callee's 070 number, answered.
    let mut uas = callee(
        w,
        &b,
        "in-answer",
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        0,
    );
    let inbound = |name: &str, first_ms: &str, then_ms: &str| {
        trunk(
            w,
            name,
            "trunk_uac.xml",
            carrier,
            &[
                ("did", &b_did),
                ("pcap", PCAP_G711A),
                ("first_ms", first_ms),
                ("then_ms", then_ms),
            ],
        )
    };
    let mut t = inbound("carrier-in", "1000", "1000");
    let (ok_t, ok_b) = (
        t.wait(Duration::from_secs(30)),
        uas.wait(Duration::from_secs(10)),
    );
    assert!(
        ok_t && ok_b,
        "inbound: {ok_t} {ok_b}\n{}\n{}",
        t.log(),
        uas.log()
    );
    let inc = api.last_call(2);
    assert_eq!(inc["direction_label"], "착신", "{inc:#}");
    assert_eq!(inc["caller"], "010-1234-5678");
    assert_eq!(inc["callee"], b.extension.as_str());

    // Busy: the caller hears the greeting, the beep, and leaves a message.
    let mut uas = callee(w, &b, "in-busy", &["uas_busy"], 0);
    let mut t = inbound("carrier-vm", "7600", "4000");
    let (ok_t, ok_b) = (
        t.wait(Duration::from_secs(40)),
        uas.wait(Duration::from_secs(10)),
    );
    assert!(
        ok_t && ok_b,
        "voicemail: {ok_t} {ok_b}\n{}\n{}",
        t.log(),
        uas.log()
    );
    let mut vm = api.last_call(3);
    for _ in 0..50 {
        if vm["recordings"] == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        vm = api.last_call(3);
    }
    assert_eq!(
        (vm["direction_label"].as_str(), vm["disposition"].as_str()),
        (Some("음성사서함"), Some("voicemail")),
        "{vm:#}"
    );
    assert!(
        vm["cause"].as_str().unwrap_or("").starts_with("callee 486"),
        "{vm:#}"
    );
    let (_, link) = api.call(
        "GET",
        &format!("/v1/calls/{}/recordings/1", vm["id"].as_str().expect("id")),
        None,
    );
    let (channels, length, rms) =
        wav_levels(&api.download(link["url"].as_str().expect("url"))).expect("wav");
    assert_eq!(channels, 1, "a voicemail is the caller alone");
    assert!(
        length > Duration::from_secs(2) && length < Duration::from_secs(8),
        "{length:?}"
    );
    assert!(rms[0] > 300.0, "the message is not silence: {rms:?}");

    // After hours (every day closed): no ringing, the greeting answers at once.
    let closed: Vec<Value> = (0..7).map(|_| json!({"holiday": true})).collect();
    let (s, h) = api.call(
        "PUT",
        &format!("/v1/accounts/{b_id}/hours"),
        Some(json!({"on": true, "auto_public_holidays": true, "days": closed})),
    );
    assert_eq!((s, h["open_now"].as_bool()), (200, Some(false)), "{h:#}");
    let mut t = inbound("carrier-closed", "1000", "1000");
    assert!(t.wait(Duration::from_secs(30)), "{}", t.log());
    let ah = api.last_call(4);
    assert_eq!(
        (ah["direction_label"].as_str(), ah["disposition"].as_str()),
        (Some("부재중"), Some("after_hours")),
        "{ah:#}"
    );
    assert!(office.stop().expect("stop"));
}
