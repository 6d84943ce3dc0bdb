//! SIP over TLS on the edge inside `office`, with `openssl s_client` as
//! the peer: the self-signed certificate made in the data dir verifies
//! for 127.0.0.1, TLS 1.2 and 1.3 are served and TLS 1.1 is refused, and
//! a REGISTER over the connection is answered down it (401 with its
//! challenge, the Via marked with where it came from). sipp, through
//! stunnel (Debian's sipp has no TLS of its own), registers with `sips:`
//! URIs on twenty TLS connections one after the other and calls a phone on
//! UDP by a `sips:` URI; a `sips:` REGISTER over UDP is refused. Calls
//! between phones on TLS, with and without SRTP, are in `baresip_call.rs`
//! (baresip 1.0 has no `sips:` accounts: "Function not implemented").

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use e2e::sipp::{Phone, Sipp, callee, caller_scenario, caller_with, scenario};
use e2e::stunnel::Stunnel;
use e2e::{Api, Office};

fn s_client(addr: &str, args: &[&str], input: &[u8], hold: Duration) -> (bool, String) {
    let mut child = Command::new("openssl")
        .arg("s_client")
        .args(["-connect", addr])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl (Debian openssl; the README test command installs it)");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write");
    // Keep the connection open long enough for the answer, then end it;
    // a client that does not end is stopped rather than hang the test.
    std::thread::sleep(hold);
    drop(stdin);
    for _ in 0..50 {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("openssl ran");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_edge_speaks_sip_over_tls_1_2_and_1_3_only_with_its_own_certificate() {
    let data = tempfile::tempdir().expect("tempdir");
    let office = Office::start(data.path(), &[]).expect("office");
    let sip = &office.info["sip"];
    let addr = format!("127.0.0.1:{}", sip["tls_port"].as_u64().expect("tls port"));
    let ca = sip["tls_certificate"].as_str().expect("certificate");
    assert!(
        ca.starts_with(&data.path().display().to_string()),
        "made in the data dir: {ca}"
    );
    let key = data.path().join("sip-tls.key");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&key).expect("key").permissions().mode() & 0o777,
        0o600
    );

    for version in ["-tls1_2", "-tls1_3"] {
        let (ok, out) = s_client(
            &addr,
            &[version, "-CAfile", ca, "-verify_ip", "127.0.0.1", "-brief"],
            b"",
            Duration::from_millis(300),
        );
        assert!(ok, "{version}: {out}");
        assert!(out.contains("Verification: OK"), "{version}: {out}");
    }
    let (ok, out) = s_client(
        &addr,
        &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-brief"],
        b"",
        Duration::from_millis(300),
    );
    assert!(!ok, "TLS 1.1 is refused: {out}");

    let register = "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
        Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-tls-1;rport\r\n\
        From: <sip:1001@127.0.0.1>;tag=a\r\n\
        To: <sip:1001@127.0.0.1>\r\n\
        Call-ID: tls-register-1\r\n\
        CSeq: 1 REGISTER\r\n\
        Contact: <sip:1001@127.0.0.1:5999;transport=tls>\r\n\
        Max-Forwards: 70\r\n\
        Content-Length: 0\r\n\r\n";
    let (_, out) = s_client(
        &addr,
        &["-quiet", "-no_ign_eof", "-nocommands", "-CAfile", ca],
        register.as_bytes(),
        Duration::from_secs(2),
    );
    assert!(out.contains("SIP/2.0 401 Unauthorized"), "{out}");
    assert!(
        out.contains("Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-tls-1;rport="),
        "{out}"
    );
    assert!(out.contains("WWW-Authenticate: Digest"), "{out}");
    assert!(office.stop().expect("stop"));
}

#[test]
fn sipp_registers_and_calls_over_tls() {
    let data = tempfile::tempdir().expect("tempdir");
    let office =
        Office::start_with_env(data.path(), &[], &[("OFFICE_RING_SECS", "5")]).expect("office");
    let api = Api::of(&office);
    let sip = &office.info["sip"];
    let tls_port = sip["tls_port"].as_u64().expect("tls port");
    let ca = std::path::PathBuf::from(sip["tls_certificate"].as_str().expect("certificate"));
    let work = tempfile::tempdir().expect("work");
    let w = work.path();
    let tunnel = Stunnel::start(w, tls_port, &ca, 1);

    // Twenty REGISTERs with digest and SIPS URIs (RFC 5630), each on a
    // TLS connection of its own.
    let mut a = Phone::demo_user(&office.info, 0);
    a.ports = a.ports.over_tcp_to(tunnel.ports[0]);
    let text = scenario("register.xml", &[])
        .replace("[$expect]", "200")
        .replace("sip:", "sips:");
    let mut registers = Sipp::spawn(
        w,
        "tls-register",
        &text,
        a.ports,
        Some((&a.user, &a.password)),
        &["-t", "tn", "-max_socket", "64", "-m", "20", "-r", "10"],
    );
    assert!(
        registers.wait(Duration::from_secs(40)),
        "20 registrations over TLS\n{}\n{}",
        registers.log(),
        tunnel.log(w)
    );
    let (_, live) = api.call("GET", "/v1/monitoring", None);
    let devices = live["devices"].as_array().cloned().unwrap_or_default();
    assert!(
        devices
            .iter()
            .any(|d| d["extension"] == a.extension.as_str() && d["transport"] == "tls"),
        "registered over TLS: {devices:#?}"
    );

    // A call from sipp on TLS to a phone on UDP: answered, 3 s of PCMA
    // relayed and echoed, hung up by the caller.
    let b = Phone::demo_user(&office.info, 1);
    e2e::sipp::register(w, &b);
    let mut uas = callee(
        w,
        &b,
        "tls-callee",
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        0,
    );
    let text = caller_scenario(&b.extension, "uac_talk_and_hang_up", &[("talk_ms", "3000")])
        .replace("sip:", "sips:");
    let mut uac = caller_with(w, &a, "tls-caller", &text);
    e2e::sipp::both(&mut uac, &mut uas, "a call from sipp over TLS");
    let messages = std::fs::read_to_string(w.join("tls-caller-messages.log")).expect("log");
    assert!(
        messages.contains("Contact: <sips:edge@127.0.0.1:"),
        "the edge answers a sips: INVITE with a sips: Contact:\n{messages}"
    );
    let calls = api.closed_calls(1);
    assert_eq!(calls[0]["disposition"], "answered", "{calls:#?}");
    let log = tunnel.log(w);
    assert!(
        log.contains("Certificate accepted"),
        "stunnel verified the edge:\n{log}"
    );
    assert!(log.contains("TLSv1.3"), "{log}");
    drop(tunnel);

    // A sips: REGISTER over UDP is refused, and binds nothing.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    udp.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let me = udp.local_addr().expect("addr");
    let register = format!(
        "REGISTER sips:127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {me};branch=z9hG4bK-sips-udp;rport\r\n\
         From: <sips:{u}@127.0.0.1>;tag=s\r\n\
         To: <sips:{u}@127.0.0.1>\r\n\
         Call-ID: sips-over-udp\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <sips:{u}@{me}>\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n",
        u = b.user
    );
    let edge = format!("127.0.0.1:{}", sip["port"].as_u64().expect("sip port"));
    udp.send_to(register.as_bytes(), &edge).expect("send");
    let mut buf = [0u8; 4096];
    let (n, _) = udp.recv_from(&mut buf).expect("an answer");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("SIP/2.0 403 "), "{answer}");
    assert!(answer.contains("sips: needs TLS"), "{answer}");
    assert!(office.stop().expect("stop"));
}
