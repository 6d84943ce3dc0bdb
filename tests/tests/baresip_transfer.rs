//! A blind transfer between real softphones (Debian `baresip-core`, whose
//! `/transfer` sends REFER): the caller talks to the desk phone, the desk
//! hands it to a colleague, and the caller goes on talking to the
//! colleague. Both parts of the call are recorded (the desk's account
//! records every call), and each recording stays with its own record.

use std::time::{Duration, Instant};

use e2e::baresip::{Baresip, tone_wav, wav_levels};
use e2e::sipp::free_udp_port;
use e2e::{Api, Office};
use serde_json::{Value, json};

#[test]
fn a_softphone_transfers_its_caller_and_each_part_keeps_its_recording() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let edge = office.info["sip"]["port"].as_u64().expect("sip port");
    let api = Api::of(&office);
    let user = |i: usize, f: &str| office.info["users"][i][f].as_str().expect(f).to_owned();
    let desk_id = api.account_id(&user(1, "extension"));
    let (status, body) = api.call(
        "PATCH",
        &format!("/v1/accounts/{desk_id}"),
        Some(json!({"permissions": {"outbound": true, "international": false, "recording_access": true, "auto_record": true}})),
    );
    assert_eq!(status, 200, "{body}");

    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    let wav = |name: &str, hz: f64, secs: f64| {
        let p = w.join(name);
        tone_wav(&p, hz, secs);
        p
    };
    let phone = |i: usize, name: &str, source: &std::path::Path| {
        Baresip::configure(
            &w.join(name),
            edge,
            free_udp_port(),
            &user(i, "sip_username"),
            &user(i, "sip_password"),
            source,
        )
    };
    let mut colleague = phone(2, "colleague", &wav("c.wav", 2000.0, 40.0));
    colleague.start(None, 40);
    let mut desk = phone(1, "desk", &wav("b.wav", 1000.0, 40.0)).with_control(free_udp_port());
    desk.start(None, 40);
    std::thread::sleep(Duration::from_secs(2));
    // The caller speaks for 10 s, then hangs up.
    let mut caller = phone(0, "caller", &wav("a.wav", 440.0, 10.0));
    caller.start(
        Some(&format!(
            "/dial sip:{}@127.0.0.1:{edge}",
            user(1, "extension")
        )),
        25,
    );

    // Once the desk has talked for a while, it transfers the caller.
    let first = wait_for(&api, "the desk answers", |calls| {
        calls
            .iter()
            .find(|c| !c["answered_ms"].is_null() && c["callee"] == user(1, "extension").as_str())
            .cloned()
    });
    std::thread::sleep(Duration::from_secs(3));
    let answer = desk.command(
        "transfer",
        &format!("sip:{}@127.0.0.1:{edge}", user(2, "extension")),
    );
    assert!(
        !answer.is_empty(),
        "ctrl_tcp answered nothing\n{}",
        desk.log()
    );
    assert!(
        caller.wait(Duration::from_secs(30)),
        "caller:\n{}",
        caller.log()
    );

    // Two records in a chain, each with the recording of its own part.
    let id = first["id"].as_str().expect("id").to_owned();
    let (before, next) = wait_for(&api, "both records closed with their recordings", |calls| {
        let before = calls.iter().find(|c| c["id"] == id.as_str())?;
        let next = calls.iter().find(|c| c["previous"] == id.as_str())?;
        let done = |c: &Value| !c["ended_ms"].is_null() && c["recordings"].as_u64() == Some(1);
        (done(before) && done(next)).then(|| (before.clone(), next.clone()))
    });
    assert_eq!(
        before["disposition"],
        "transferred",
        "{before:#}\ndesk:\n{}",
        desk.log()
    );
    assert_eq!(next["disposition"], "answered", "{next:#}");
    assert_eq!(
        (next["caller"].as_str(), next["callee"].as_str()),
        (
            Some(user(0, "extension").as_str()),
            Some(user(2, "extension").as_str())
        )
    );
    for (record, far_hz) in [(&before, "desk"), (&next, "colleague")] {
        let rid = record["id"].as_str().expect("id");
        let (status, link) = api.call("GET", &format!("/v1/calls/{rid}/recordings/1"), None);
        assert_eq!(status, 200, "{link}");
        let bytes = api.download(link["url"].as_str().expect("url"));
        let (channels, length, rms) = wav_levels(&bytes).expect("a WAV");
        assert_eq!(channels, 2);
        let talk = Duration::from_millis(
            (record["ended_ms"].as_i64().expect("end")
                - record["answered_ms"].as_i64().expect("answer"))
            .unsigned_abs(),
        );
        assert!(
            length.abs_diff(talk) < Duration::from_millis(1500),
            "the {far_hz} part: recording {length:?} vs talk {talk:?}"
        );
        assert!(
            rms[0] > 1000.0 && rms[1] > 1000.0,
            "the caller and the {far_hz} audible: {rms:?}"
        );
    }
    // The colleague heard the caller.
    let heard = colleague
        .dumped()
        .iter()
        .filter(|p| p.to_string_lossy().contains("dec"))
        .filter_map(|p| std::fs::read(p).ok())
        .filter_map(|b| wav_levels(&b))
        .map(|(_, _, rms)| rms[0])
        .fold(0.0f64, f64::max);
    assert!(
        heard > 1000.0,
        "the colleague heard the caller (rms {heard})\n{}",
        colleague.log()
    );
    drop((desk, colleague));
    assert!(office.stop().expect("stop"));
}

/// Polls the newest calls until `found` finds what it looks for (20 s at most).
fn wait_for<T>(api: &Api, what: &str, found: impl Fn(&[Value]) -> Option<T>) -> T {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, list) = api.call("GET", "/v1/calls?limit=10", None);
        let calls = list["calls"].as_array().cloned().unwrap_or_default();
        if let Some(t) = found(&calls) {
            return t;
        }
        assert!(Instant::now() < end, "{what}: {list:#}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
