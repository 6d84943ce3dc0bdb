//! Two baresip softphones (Debian `baresip-core`) register with the edge
//! inside `office` and call each other; the callee's account records every
//! call. Each phone speaks a tone from a WAV and dumps what it hears: both
//! must hear the other, and the recording must exist, last as long as the
//! call and carry both parties: over UDP, TCP, and TLS (trusting the
//! edge's self-signed certificate), and with SRTP (`mediaenc=srtp`) on
//! both legs or on one, bridged to plain RTP on the other.

use std::time::Duration;

use e2e::baresip::{Baresip, tone_wav, wav_levels};
use e2e::sipp::free_udp_port;
use e2e::{Api, Office};
use serde_json::{Value, json};

#[test]
fn two_softphones_talk_and_the_call_is_recorded() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let edge = office.info["sip"]["port"].as_u64().expect("sip port");
    let api = Api::of(&office);
    let user = |i: usize, f: &str| office.info["users"][i][f].as_str().expect(f).to_owned();

    // The callee's account records every call.
    let callee_id = api.account_id(&user(1, "extension"));
    let (status, body) = api.call(
        "PATCH",
        &format!("/v1/accounts/{callee_id}"),
        Some(json!({"permissions": {"outbound": true, "international": false, "recording_access": true, "auto_record": true}})),
    );
    assert_eq!(status, 200, "{body}");

    let run = |caller: Phone, callee: Phone, nth: usize| {
        talk(&office.info, &api, edge, (caller, callee), nth);
    };
    run(
        Phone::on(Over::Udp, "PCMU,PCMA"),
        Phone::on(Over::Udp, "PCMU,PCMA"),
        1,
    );
    // A caller speaking only Opus reaches a callee speaking only PCMU: the
    // edge transcodes both ways, and the recording still has both.
    run(
        Phone::on(Over::Udp, "opus"),
        Phone::on(Over::Udp, "PCMU"),
        2,
    );
    // Both phones on TCP: they register on a connection, the call's
    // requests and answers go down those connections.
    run(
        Phone::on(Over::Tcp, "PCMU"),
        Phone::on(Over::Tcp, "PCMU"),
        3,
    );
    // Both on TLS, trusting the edge's self-signed certificate: the same,
    // encrypted, and the phones show as registered over TLS.
    run(
        Phone::on(Over::Tls, "PCMU"),
        Phone::on(Over::Tls, "PCMU"),
        4,
    );
    // SRTP on both legs, each under its own keys: the edge decrypts what
    // one party sends (to record it) and encrypts it for the other.
    run(
        Phone::on(Over::Tls, "PCMU").srtp(),
        Phone::on(Over::Tls, "PCMU").srtp(),
        5,
    );
    // SRTP from a caller on TLS to a callee on plain UDP RTP...
    run(
        Phone::on(Over::Tls, "PCMU").srtp(),
        Phone::on(Over::Udp, "PCMU,PCMA"),
        6,
    );
    // ...and from a plain caller to a callee on TLS, whom the edge offers
    // SRTP because it reaches it over TLS; Opus on the encrypted leg.
    run(
        Phone::on(Over::Udp, "PCMU"),
        Phone::on(Over::Tls, "opus").srtp(),
        7,
    );
    assert!(office.stop().expect("stop"));
}

/// How one of the two phones is set up.
#[derive(Debug, Clone, Copy)]
struct Phone {
    over: Over,
    codecs: &'static str,
    srtp: bool,
}

impl Phone {
    fn on(over: Over, codecs: &'static str) -> Self {
        Self {
            over,
            codecs,
            srtp: false,
        }
    }

    fn srtp(self) -> Self {
        Self { srtp: true, ..self }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Over {
    Udp,
    Tcp,
    Tls,
}

/// One call from user 0 to user 1, each phone set up as given, the `nth`
/// call of the run.
fn talk(info: &Value, api: &Api, edge: u64, (caller, callee): (Phone, Phone), nth: usize) {
    let tls_port = info["sip"]["tls_port"].as_u64().expect("tls port");
    let ca = std::path::PathBuf::from(
        info["sip"]["tls_certificate"]
            .as_str()
            .expect("certificate"),
    );
    let set_up = |b: Baresip, p: Phone| {
        let b = match p.over {
            Over::Udp => b,
            Over::Tcp => b.over_tcp(),
            Over::Tls => b.over_tls(tls_port, &ca),
        };
        if p.srtp { b.with_srtp() } else { b }
    };
    let over = caller.over;
    let (dial_port, dial_params) = match over {
        Over::Tls => (tls_port, ";transport=tls"),
        _ => (edge, ""),
    };
    let work = tempfile::tempdir().expect("work");
    let user = |i: usize, f: &str| info["users"][i][f].as_str().expect(f).to_owned();
    let (caller_wav, callee_wav) = (work.path().join("a.wav"), work.path().join("b.wav"));
    tone_wav(&caller_wav, 440.0, 4.0);
    tone_wav(&callee_wav, 1000.0, 30.0);
    let b = Baresip::configure_codecs(
        &work.path().join("b"),
        edge,
        free_udp_port(),
        &user(1, "sip_username"),
        &user(1, "sip_password"),
        &callee_wav,
        callee.codecs,
    );
    let mut b = set_up(b, callee);
    b.start(None, 25);
    std::thread::sleep(Duration::from_secs(2));
    let a = Baresip::configure_codecs(
        &work.path().join("a"),
        edge,
        free_udp_port(),
        &user(0, "sip_username"),
        &user(0, "sip_password"),
        &caller_wav,
        caller.codecs,
    );
    let mut a = set_up(a, caller);
    a.start(
        Some(&format!(
            "/dial sip:{}@127.0.0.1:{dial_port}{dial_params}",
            user(1, "extension")
        )),
        12,
    );
    if over != Over::Udp && callee.over == over {
        // Both phones hold a connection to the edge's SIP (or TLS) port
        // (the caller's opens as it dials).
        let mut conns = 0;
        for _ in 0..60 {
            let ss = std::process::Command::new("ss")
                .args([
                    "-tn",
                    "state",
                    "established",
                    &format!("( dport = :{dial_port} )"),
                ])
                .output()
                .expect("ss (iproute2)");
            conns = String::from_utf8_lossy(&ss.stdout).lines().skip(1).count();
            if conns >= 2 {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(conns >= 2, "{over:?} connections to the edge: {conns}");
    }
    if over == Over::Tls && callee.over == over {
        // The edge saw both phones register over TLS (the caller's
        // REGISTER may still be on its way as its connection opens).
        for i in [0, 1] {
            api.wait_registered(&user(i, "extension"), "tls");
        }
    }
    assert!(a.wait(Duration::from_secs(30)), "caller:\n{}", a.log());

    // The record, closed, with its recording uploaded.
    let mut call = Value::Null;
    for _ in 0..100 {
        let (_, list) = api.call("GET", "/v1/calls?limit=10", None);
        if let Some(c) = list["calls"]
            .as_array()
            .filter(|l| l.len() == nth)
            .and_then(|l| l.first())
            && c["disposition"] == "answered"
            && c["recordings"].as_u64() == Some(1)
        {
            call = c.clone();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        call["disposition"],
        "answered",
        "caller:\n{}\ncallee:\n{}",
        a.log(),
        b.log()
    );
    let secs = call["duration_secs"].as_i64().expect("secs");
    assert!(
        (3..=6).contains(&secs),
        "the call lasts as the caller's 4 s tone: {call:#}"
    );
    let id = call["id"].as_str().expect("id");
    let (status, link) = api.call("GET", &format!("/v1/calls/{id}/recordings/1"), None);
    assert_eq!(status, 200, "{link}");
    let wav = api.download(link["url"].as_str().expect("url"));
    let (channels, length, rms) = wav_levels(&wav).expect("a WAV");
    assert_eq!(channels, 2, "caller and callee on their own channels");
    let talk = Duration::from_millis(
        (call["ended_ms"].as_i64().expect("end") - call["answered_ms"].as_i64().expect("answer"))
            .unsigned_abs(),
    );
    assert!(
        length.abs_diff(talk) < Duration::from_millis(1500),
        "recording {length:?} vs call {talk:?}"
    );
    assert!(
        rms[0] > 1000.0 && rms[1] > 1000.0,
        "both parties audible: {rms:?}"
    );

    // A phone with SRTP keyed its stream from the edge's answer or offer
    // (baresip says so), and one without never did.
    for (phone, setup, name) in [(&a, caller, "caller"), (&b, callee, "callee")] {
        let log = phone.log();
        assert_eq!(
            log.contains("SRTP is Enabled"),
            setup.srtp,
            "the {name}'s media encryption ({setup:?}):\n{log}"
        );
        assert!(
            !log.contains("failed to decrypt") && !log.contains("no valid a=crypto"),
            "every packet the edge sealed for the {name} opened:\n{log}"
        );
    }

    // Each phone heard the other through the edge.
    for (phone, name) in [(&a, "caller"), (&b, "callee")] {
        let heard = phone
            .dumped()
            .iter()
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.contains("dec"))
            })
            .filter_map(|p| std::fs::read(p).ok())
            .filter_map(|bytes| wav_levels(&bytes))
            .map(|(_, _, rms)| rms[0])
            .fold(0.0f64, f64::max);
        assert!(
            heard > 1000.0,
            "the {name} heard the other party (rms {heard}); dumps {:?}",
            phone.dumped()
        );
    }
    drop(b);
}
