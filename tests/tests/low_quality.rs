//! Low-quality mode (저음질, C3) end to end: a caller (sipp) talks in G.711,
//! re-INVITEs mid-call to narrowband Opus at 8 kbit/s, then back to G.711,
//! sending a tone all along. The callee (baresip, PCMU only) is not asked
//! to change anything: the edge answers both re-INVITEs and transcodes. Its
//! phone keeps hearing the tone across both switches, and the recording
//! of the call has no gap.

use std::time::{Duration, Instant};

use e2e::baresip::{Baresip, tone_wav, wav_window_rms};
use e2e::pcap::{Codec, Stream};
use e2e::sipp::{Phone, Ports, caller, free_udp_port, register};
use e2e::{Api, Office};
use serde_json::{Value, json};

/// Windows of 100 ms: the tone must fill every one of them for this long.
const TALK: usize = 85;
const WINDOW: Duration = Duration::from_millis(100);

#[test]
fn a_caller_switching_to_low_bitrate_opus_and_back_is_heard_and_recorded_without_a_gap() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let edge = office.info["sip"]["port"].as_u64().expect("sip port");
    let api = Api::of(&office);
    let user = |i: usize, f: &str| office.info["users"][i][f].as_str().expect(f).to_owned();
    let caller_id = api.account_id(&user(0, "extension"));
    let (status, body) = api.call(
        "PATCH",
        &format!("/v1/accounts/{caller_id}"),
        Some(json!({"permissions": {"outbound": true, "international": false, "recording_access": true, "auto_record": true}})),
    );
    assert_eq!(status, 200, "{body}");

    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    let source = w.join("callee.wav");
    tone_wav(&source, 1000.0, 40.0);
    let mut callee = Baresip::configure_codecs(
        &w.join("callee"),
        edge,
        free_udp_port(),
        &user(1, "sip_username"),
        &user(1, "sip_password"),
        &source,
        "PCMU",
    );
    callee.start(None, 40);
    // Rung only once it is registered (a fixed wait lost that race once).
    api.wait_registered(&user(1, "extension"), "udp");

    // 3 s of G.711, 3 s of Opus at 8 kbit/s, 3 s of G.711: one stream.
    let mut stream = Stream::default();
    let pcap = |name: &str| w.join(name).to_string_lossy().into_owned();
    stream.tone(w.join("normal_1.pcap").as_path(), Codec::Pcma, 440.0, 3.0);
    stream.tone(
        w.join("low.pcap").as_path(),
        Codec::Opus { bitrate: 8_000 },
        440.0,
        3.0,
    );
    stream.tone(w.join("normal_2.pcap").as_path(), Codec::Pcma, 440.0, 3.0);
    let phone = Phone {
        user: user(0, "sip_username"),
        password: user(0, "sip_password"),
        extension: user(0, "extension"),
        ports: Ports::new(edge),
    };
    register(w, &phone);
    let mut sipp = caller(
        w,
        &phone,
        "low-quality",
        &user(1, "extension"),
        "uac_low_quality",
        &[
            ("normal_1", &pcap("normal_1.pcap")),
            ("low", &pcap("low.pcap")),
            ("normal_2", &pcap("normal_2.pcap")),
        ],
    );
    assert!(sipp.wait(Duration::from_secs(40)), "caller\n{}", sipp.log());

    // The callee heard the tone throughout.
    let heard = callee
        .dumped()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("dec"))
        .filter_map(|p| std::fs::read(p).ok())
        .next()
        .unwrap_or_else(|| panic!("no dump of what the callee heard\n{}", callee.log()));
    let windows = wav_window_rms(&heard, 0, WINDOW).expect("a WAV");
    no_gap(&windows, "what the callee heard");

    // And the recording's caller channel has it throughout.
    let call = wait_closed_with_recording(&api);
    let id = call["id"].as_str().expect("id");
    let (status, link) = api.call("GET", &format!("/v1/calls/{id}/recordings/1"), None);
    assert_eq!(status, 200, "{link}");
    let wav = api.download(link["url"].as_str().expect("url"));
    let windows = wav_window_rms(&wav, 0, WINDOW).expect("a WAV");
    no_gap(&windows, "the recording's caller channel");
    drop(callee);
    assert!(office.stop().expect("stop"));
}

/// From the first window with the tone, the next [`TALK`] windows all have it.
fn no_gap(windows: &[f64], what: &str) {
    let start = windows
        .iter()
        .position(|&r| r > 1_000.0)
        .unwrap_or_else(|| panic!("{what}: never the tone: {windows:?}"));
    let talk = &windows[start..windows.len().min(start + TALK)];
    assert_eq!(talk.len(), TALK, "{what}: too short: {windows:?}");
    let quiet: Vec<(usize, f64)> = talk
        .iter()
        .enumerate()
        .filter(|(_, r)| **r < 300.0)
        .map(|(i, r)| (i, *r))
        .collect();
    assert!(
        quiet.is_empty(),
        "{what}: quiet 100 ms windows (index, rms) after the start: {quiet:?}"
    );
}

fn wait_closed_with_recording(api: &Api) -> Value {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, list) = api.call("GET", "/v1/calls?limit=5", None);
        if let Some(c) = list["calls"].as_array().and_then(|l| l.first())
            && !c["ended_ms"].is_null()
            && c["recordings"].as_u64() == Some(1)
        {
            return c.clone();
        }
        assert!(Instant::now() < end, "no closed, recorded call: {list:#}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
