//! Transfers (돌려주기) through the edge inside `office`, with sipp on every
//! phone: a blind REFER with NOTIFY progress (RFC 3515), an attended one
//! whose Refer-To replaces the transferor's second call (RFC 3891), and
//! `*2` + extension + `#` keyed on a phone without REFER. In each the
//! caller ends up talking to the third phone, and the call's records form
//! a chain: the one before the transfer closed as transferred, the next
//! naming it as `previous`.

use std::time::{Duration, Instant};

use e2e::sipp::{Phone, Ports, Sipp, callee, callee_with, caller, press, register, tail_text};
use e2e::{Api, Office};
use serde_json::Value;

struct Setup {
    office: Office,
    api: Api,
    phones: Vec<Phone>,
    work: tempfile::TempDir,
    _data: tempfile::TempDir,
}

fn setup() -> Setup {
    let data = tempfile::tempdir().expect("tempdir");
    let office =
        Office::start_with_env(data.path(), &[], &[("OFFICE_RING_SECS", "10")]).expect("office");
    let edge = office.info["sip"]["port"].as_u64().expect("sip port");
    let phones: Vec<Phone> = (0..3)
        .map(|i| {
            let u = &office.info["users"][i];
            Phone {
                user: u["sip_username"].as_str().expect("user").to_owned(),
                password: u["sip_password"].as_str().expect("pw").to_owned(),
                extension: u["extension"].as_str().expect("ext").to_owned(),
                ports: Ports::new(edge),
            }
        })
        .collect();
    let work = tempfile::tempdir().expect("work");
    for p in &phones {
        register(work.path(), p);
    }
    let api = Api::of(&office);
    Setup {
        office,
        api,
        phones,
        work,
        _data: data,
    }
}

/// Waits for every sipp to finish its scenario; panics with all logs if one did not.
fn all_done(runs: &mut [&mut Sipp], what: &str) {
    let oks: Vec<bool> = runs
        .iter_mut()
        .map(|s| s.wait(Duration::from_secs(45)))
        .collect();
    if oks.iter().all(|ok| *ok) {
        return;
    }
    let logs: Vec<String> = runs.iter().map(|s| s.log()).collect();
    panic!("{what}: {oks:?}\n{}", logs.join("\n"));
}

/// The record `id` among `calls`.
fn find<'a>(calls: &'a [Value], id: &str) -> &'a Value {
    calls
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no call {id} in {calls:#?}"))
}

/// The caller (phone 0) called phone 1, who handed it to phone 2: the
/// record of 0 → 2 continues the transferred record of 0 → 1.
fn chained(calls: &[Value], phones: &[Phone]) -> Value {
    let next = calls
        .iter()
        .find(|c| !c["previous"].is_null() && c["callee"] == phones[2].extension.as_str())
        .unwrap_or_else(|| panic!("no transferred-to record: {calls:#?}"))
        .clone();
    let before = find(calls, next["previous"].as_str().expect("previous"));
    assert_eq!(before["disposition"], "transferred", "{before:#}");
    assert_eq!(
        (before["caller"].as_str(), before["callee"].as_str()),
        (
            Some(phones[0].extension.as_str()),
            Some(phones[1].extension.as_str())
        )
    );
    assert!(before["duration_secs"].as_i64() >= Some(1), "{before:#}");
    assert_eq!(next["caller"], phones[0].extension.as_str());
    assert_eq!(next["disposition"], "answered", "{next:#}");
    assert!(
        next["answered_ms"].as_i64() >= before["ended_ms"].as_i64().map(|e| e - 1000),
        "{next:#}"
    );
    next
}

/// The caller (phone 0) calls phone 1, whose transfer the other runs
/// carry out; once all are done, the chained record of 0 → 2 and the
/// newest `records`.
fn call_and_transfer(
    s: &Setup,
    others: &mut [&mut Sipp],
    what: &str,
    records: usize,
) -> (Value, Vec<Value>) {
    let p = &s.phones;
    let mut caller = caller(
        s.work.path(),
        &p[0],
        "caller",
        &p[1].extension,
        "uac_talk_until_bye",
        &[],
    );
    let mut runs: Vec<&mut Sipp> = vec![&mut caller];
    runs.extend(others.iter_mut().map(|s| &mut **s));
    all_done(&mut runs, what);
    let calls = s.api.closed_calls(records);
    (chained(&calls, p), calls)
}

#[test]
fn a_blind_refer_hands_the_caller_to_the_third_phone() {
    let s = setup();
    let (w, p) = (s.work.path(), &s.phones);
    let mut third = callee(
        w,
        &p[2],
        "third",
        &["uas_ring", "uas_answer", "uas_hang_up"],
        2000,
    );
    let refer_to = format!("<sip:{}@[remote_ip]:[remote_port]>", p[2].extension);
    let ringing = tail_text("uas_refer_ringing");
    let mut transferor = callee_with(
        w,
        &p[1],
        "transferor",
        &["uas_ring", "uas_answer", "uas_refer"],
        &[
            ("talk_ms", "1500"),
            ("refer_to", &refer_to),
            ("ringing_notify", &ringing),
        ],
        true,
    );
    let (next, _) = call_and_transfer(&s, &mut [&mut transferor, &mut third], "blind transfer", 2);
    assert_eq!(next["cause"], "callee hung up");
    assert!(s.office.stop().expect("stop"));
}

#[test]
fn an_attended_transfer_joins_the_caller_with_the_consulted_phone() {
    let s = setup();
    let (w, p) = (s.work.path(), &s.phones);
    // The third phone answers the consultation, is moved to the caller's
    // call by a re-INVITE, talks, and hangs up.
    let mut third = callee(
        w,
        &p[2],
        "third",
        &["uas_ring", "uas_answer", "uas_reinvited", "uas_hang_up"],
        2000,
    );
    // Phone 1 consults phone 2 first, from a second port, on a dialog it names.
    let consulting = Phone {
        ports: Ports::new(p[1].ports.edge),
        ..p[1].clone()
    };
    let mut consult = caller(
        w,
        &consulting,
        "consult",
        &p[2].extension,
        "uac_talk_until_bye",
        &[],
    );
    let (call_id, from_tag, edge_tag) = answered_dialog(&consult)
        .unwrap_or_else(|| panic!("consultation not answered\n{}", consult.log()));
    // Then takes the caller's call and transfers it onto the consultation.
    let refer_to = format!(
        "<sip:{}@[remote_ip]:[remote_port]?Replaces={}%3Bto-tag%3D{edge_tag}%3Bfrom-tag%3D{from_tag}>",
        p[2].extension,
        call_id.replace('@', "%40")
    );
    let mut transferor = callee_with(
        w,
        &p[1],
        "transferor",
        &["uas_ring", "uas_answer", "uas_refer"],
        &[
            ("talk_ms", "1500"),
            ("refer_to", &refer_to),
            ("ringing_notify", ""),
        ],
        true,
    );
    let (next, calls) = call_and_transfer(
        &s,
        &mut [&mut transferor, &mut consult, &mut third],
        "attended transfer",
        3,
    );
    assert_eq!(next["cause"], "callee hung up");
    // The consultation was handed over: it closed as transferred too.
    let consultation = calls
        .iter()
        .find(|c| c["caller"] == p[1].extension.as_str() && c["callee"] == p[2].extension.as_str())
        .unwrap_or_else(|| panic!("no consultation record: {calls:#?}"));
    assert_eq!(consultation["disposition"], "transferred");
    assert!(s.office.stop().expect("stop"));
}

#[test]
fn star_two_keyed_on_the_phone_transfers_the_caller() {
    let mut s = setup();
    // sipp replays one pcap per key, so the same key twice in a row is the
    // same RTP event twice (one timestamp): the third phone gets an
    // extension without a repeated digit.
    let id = s.api.account_id(&s.phones[2].extension);
    let (status, body) = s.api.call(
        "PATCH",
        &format!("/v1/accounts/{id}"),
        Some(serde_json::json!({"extension": "1357"})),
    );
    assert_eq!(status, 200, "{body}");
    s.phones[2].extension = "1357".into();
    let (w, p) = (s.work.path(), &s.phones);
    let mut third = callee(
        w,
        &p[2],
        "third",
        &["uas_ring", "uas_answer", "uas_hang_up"],
        2000,
    );
    let keys = press(&format!("*2{}#", p[2].extension));
    let mut transferor = callee_with(
        w,
        &p[1],
        "transferor",
        &["uas_ring", "uas_answer", "uas_keyed"],
        &[("talk_ms", "1000"), ("dtmf", &keys)],
        false,
    );
    call_and_transfer(&s, &mut [&mut transferor, &mut third], "keyed transfer", 2);
    assert!(s.office.stop().expect("stop"));
}

/// The dialog a 200 formed for a sipp caller, from its message log:
/// Call-ID, the caller's tag and the edge's.
fn answered_dialog(s: &Sipp) -> Option<(String, String, String)> {
    let tag = |l: &str| l.split(";tag=").nth(1).map(|t| t.trim().to_owned());
    let end = Instant::now() + Duration::from_secs(15);
    while Instant::now() < end {
        let log = std::fs::read_to_string(s.dir.join(format!("{}-messages.log", s.name)))
            .unwrap_or_default();
        let (mut in_ok, mut to, mut from, mut call_id) = (false, None, None, None);
        for line in log.lines().map(str::trim) {
            if line.starts_with("SIP/2.0 ") {
                in_ok = line.starts_with("SIP/2.0 200");
                (to, from, call_id) = (None, None, None);
            } else if in_ok && line.starts_with("To:") {
                to = tag(line);
            } else if in_ok && line.starts_with("From:") {
                from = tag(line);
            } else if in_ok && line.starts_with("Call-ID:") {
                call_id = Some(line["Call-ID:".len()..].trim().to_owned());
            } else if in_ok
                && line.starts_with("CSeq:")
                && line.ends_with("INVITE")
                && let (Some(c), Some(f), Some(t)) = (&call_id, &from, &to)
            {
                return Some((c.clone(), f.clone(), t.clone()));
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}
