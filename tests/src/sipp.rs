//! Driving sipp (Debian `sip-tester`) from tests: scenarios from
//! `tests/sipp/` with `{{placeholders}}` filled in, run in the foreground
//! (wait for its verdict) or the background (a callee waiting for a call).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PCAP_G711A: &str = "/usr/share/sip-tester/g711a.pcap";

/// Scenario lines that press `keys` (RFC 4733 pcaps shipped with sipp), 300 ms apart.
pub fn press(keys: &str) -> String {
    keys.chars()
        .map(|k| {
            let name = match k {
                '*' => "star".to_owned(),
                '#' => "pound".to_owned(),
                d => d.to_string(),
            };
            format!(
                "  <pause milliseconds=\"300\"/>\n  <nop><action><exec play_pcap_audio=\"/usr/share/sip-tester/dtmf_2833_{name}.pcap\"/></action></nop>\n"
            )
        })
        .collect()
}

/// Ports this process has handed out: tests run in parallel, and a port
/// found free and released can be found free again by another test before
/// its sipp binds it.
fn reserve(ports: std::ops::Range<u16>) -> bool {
    static GIVEN: std::sync::Mutex<Option<std::collections::HashSet<u16>>> =
        std::sync::Mutex::new(None);
    let Ok(mut given) = GIVEN.lock() else {
        return true;
    };
    let given = given.get_or_insert_with(Default::default);
    if ports.clone().any(|p| given.contains(&p)) {
        return false;
    }
    given.extend(ports);
    true
}

/// A free even port with the odd one above it free too (RTP and RTCP),
/// and the pair above (sipp's second media stream).
pub fn free_port_pair() -> u16 {
    loop {
        let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let p = s.local_addr().expect("addr").port() & !1;
        drop(s);
        if p > 1024
            && p < u16::MAX - 4
            && std::net::UdpSocket::bind(("127.0.0.1", p)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", p + 1)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", p + 2)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", p + 3)).is_ok()
            && reserve(p..p + 4)
        {
            return p;
        }
    }
}

/// A port free for both UDP and TCP (SIP listens on both with one number).
pub fn free_sip_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() && reserve(port..port + 1) {
            return port;
        }
    }
}

pub fn free_udp_port() -> u16 {
    loop {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        if reserve(port..port + 1) {
            return port;
        }
    }
}

/// A scenario file from `tests/sipp/` with its placeholders replaced.
pub fn scenario(name: &str, fills: &[(&str, &str)]) -> String {
    let mut s = std::fs::read_to_string(format!("{}/sipp/{name}", crate::manifest_dir()))
        .expect("scenario");
    for (k, v) in fills {
        s = s.replace(&format!("{{{{{k}}}}}"), v);
    }
    s
}

/// Where a sipp instance talks: the edge's SIP port, its own SIP and media
/// ports, and whether SIP goes over one TCP connection (`-t t1`) instead
/// of UDP.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub edge: u64,
    pub sip: u16,
    pub media: u16,
    pub tcp: bool,
}

impl Ports {
    pub fn new(edge: u64) -> Self {
        Self {
            edge,
            sip: free_udp_port(),
            media: free_port_pair(),
            tcp: false,
        }
    }

    /// SIP over one TCP connection to `port` (a stunnel carrying it over TLS).
    pub fn over_tcp_to(self, port: u16) -> Self {
        Self {
            edge: u64::from(port),
            sip: free_sip_port(),
            tcp: true,
            ..self
        }
    }
}

/// One sipp run.
#[derive(Debug)]
pub struct Sipp {
    pub dir: PathBuf,
    pub name: String,
    child: Option<Child>,
}

impl Sipp {
    /// Starts sipp against the edge at `edge_port` from `local_port`.
    /// `user` (with its password) fills the CSV for digest answers.
    pub fn spawn(
        dir: &Path,
        name: &str,
        scenario_text: &str,
        ports: Ports,
        user: Option<(&str, &str)>,
        extra: &[&str],
    ) -> Self {
        let sf = dir.join(format!("{name}.xml"));
        std::fs::write(&sf, scenario_text).expect("write scenario");
        let mut cmd = Command::new("sipp");
        cmd.arg(format!("127.0.0.1:{}", ports.edge))
            .args(["-sf", sf.to_str().expect("utf-8")])
            .args(["-m", "1", "-i", "127.0.0.1"])
            .args(["-p", &ports.sip.to_string()])
            .args(["-mp", &ports.media.to_string()])
            .args(["-timeout", "40", "-nostdin"])
            .args(["-default_behaviors", "all,-abortunexp"])
            .args(["-trace_err", "-error_file"])
            .arg(dir.join(format!("{name}-errors.log")))
            .args(["-trace_msg", "-message_file"])
            .arg(dir.join(format!("{name}-messages.log")))
            .args(if ports.tcp { &["-t", "t1"][..] } else { &[] })
            .args(extra)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((u, p)) = user {
            let csv = dir.join(format!("{name}.csv"));
            std::fs::write(
                &csv,
                format!("SEQUENTIAL\n{u};[authentication username={u} password={p}]\n"),
            )
            .expect("write csv");
            cmd.args(["-inf", csv.to_str().expect("utf-8")]);
        }
        let child = cmd
            .spawn()
            .expect("run sipp (Debian sip-tester; the README test command installs it)");
        Self {
            dir: dir.to_owned(),
            name: name.to_owned(),
            child: Some(child),
        }
    }

    /// Waits for sipp to finish (at most `limit`); whether its one call succeeded.
    pub fn wait(&mut self, limit: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let end = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            if Instant::now() > end {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What sipp logged, for an assertion message.
    pub fn log(&self) -> String {
        let read = |suffix: &str| {
            std::fs::read_to_string(self.dir.join(format!("{}-{suffix}.log", self.name)))
                .unwrap_or_default()
        };
        let messages = read("messages");
        let tail: String = messages
            .chars()
            .rev()
            .take(6000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!(
            "--- {} errors:\n{}\n--- messages (tail):\n{tail}",
            self.name,
            read("errors")
        )
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A phone sipp plays: its credentials, extension and ports.
#[derive(Debug, Clone)]
pub struct Phone {
    pub user: String,
    pub password: String,
    pub extension: String,
    pub ports: Ports,
}

impl Phone {
    /// Demo user `i` of a running office (its `--json` info), on fresh
    /// local ports towards the office's edge.
    pub fn demo_user(info: &serde_json::Value, i: usize) -> Self {
        let u = &info["users"][i];
        let s = |k: &str| {
            u[k].as_str()
                .unwrap_or_else(|| panic!("demo user {i}: no {k}"))
                .to_owned()
        };
        Self {
            user: s("sip_username"),
            password: s("sip_password"),
            extension: s("extension"),
            ports: Ports::new(info["sip"]["port"].as_u64().expect("sip port")),
        }
    }
}

/// A scenario tail from `tests/sipp/tails/`, as it stands.
pub fn tail_text(name: &str) -> String {
    tail(name)
}

fn tail(name: &str) -> String {
    std::fs::read_to_string(format!("{}/sipp/tails/{name}.xml", crate::manifest_dir()))
        .expect("tail")
}

/// Registers the phone (REGISTER with digest) from its SIP port.
pub fn register(work: &std::path::Path, p: &Phone) {
    let text = scenario("register.xml", &[]).replace("[$expect]", "200");
    let mut s = Sipp::spawn(
        work,
        &format!("register-{}", p.user),
        &text,
        p.ports,
        Some((&p.user, &p.password)),
        &[],
    );
    assert!(
        s.wait(Duration::from_secs(30)),
        "register {}\n{}",
        p.user,
        s.log()
    );
}

/// The callee: answers as the tails say, echoing RTP.
pub fn callee(work: &std::path::Path, p: &Phone, name: &str, tails: &[&str], talk_ms: u32) -> Sipp {
    callee_with(
        work,
        p,
        name,
        tails,
        &[("talk_ms", &talk_ms.to_string())],
        true,
    )
}

/// As [`callee`], with the tails' other placeholders filled (`refer_to`,
/// `dtmf`...); `echo` sends back the RTP that arrives (off for a callee
/// that plays its own, such as keypad digits). A `calls` fill makes the
/// phone take that many calls, one after the other or at once.
pub fn callee_with(
    work: &std::path::Path,
    p: &Phone,
    name: &str,
    tails: &[&str],
    fills: &[(&str, &str)],
    echo: bool,
) -> Sipp {
    let body: String = tails.iter().map(|t| tail(t)).collect();
    // Requests of the callee's own (BYE, REFER) need the dialog's From
    // and To, taken from the ACK.
    let remember = if tails
        .iter()
        .any(|t| ["uas_hang_up", "uas_refer"].contains(t))
    {
        r#"<action><ereg regexp=".*" search_in="hdr" header="From:" assign_to="ackfrom"/><ereg regexp=".*" search_in="hdr" header="To:" assign_to="ackto"/></action>"#
    } else {
        ""
    };
    let mut text = scenario("uas.xml", &[("answer", &body)]).replace("{{ack_actions}}", remember);
    for (k, v) in fills {
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    let mut extra: Vec<&str> = Vec::new();
    if echo {
        extra.push("-rtp_echo");
    }
    if let Some((_, n)) = fills.iter().find(|(k, _)| *k == "calls") {
        extra.extend(["-m", n]);
    }
    let s = Sipp::spawn(work, name, &text, p.ports, None, &extra);
    // Let it bind before the INVITE comes.
    std::thread::sleep(Duration::from_millis(300));
    s
}

pub fn caller(
    work: &std::path::Path,
    p: &Phone,
    name: &str,
    dial: &str,
    tail_name: &str,
    fills: &[(&str, &str)],
) -> Sipp {
    let text = caller_scenario(dial, tail_name, fills);
    caller_with(work, p, name, &text)
}

/// Runs a caller's scenario text (from [`caller_scenario`], perhaps changed).
pub fn caller_with(work: &std::path::Path, p: &Phone, name: &str, text: &str) -> Sipp {
    Sipp::spawn(work, name, text, p.ports, Some((&p.user, &p.password)), &[])
}

/// The caller's scenario: INVITE `dial`, then `tail_name` with `fills`.
pub fn caller_scenario(dial: &str, tail_name: &str, fills: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = vec![("dial", dial), ("pcap", PCAP_G711A)];
    all.extend_from_slice(fills);
    let t = tail(tail_name);
    // CANCEL needs the 180 first; other calls may skip it.
    let ringing = if tail_name == "uac_cancel" {
        ""
    } else {
        r#" optional="true""#
    };
    let mut text = scenario(
        "uac_call.xml",
        &[("tail", &t), ("ringing_optional", ringing)],
    );
    for (k, v) in &all {
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    text.replace("{{dtmf}}", "")
}

/// Waits for a caller and a callee sipp; panics with both logs unless both
/// finished their scenario.
pub fn both(caller: &mut Sipp, callee: &mut Sipp, what: &str) {
    let ok_a = caller.wait(Duration::from_secs(45));
    let ok_b = callee.wait(Duration::from_secs(10));
    assert!(
        ok_a && ok_b,
        "{what}: caller {ok_a}, callee {ok_b}\n{}\n{}",
        caller.log(),
        callee.log()
    );
}

/// `a` calls `b`'s extension, `b` answers, and `a` plays `talk_ms` of
/// audio and hangs up (`name` tells the runs apart in `work`).
pub fn answered_call(work: &std::path::Path, a: &Phone, b: &Phone, name: &str, talk_ms: u32) {
    let mut uas = callee(
        work,
        b,
        &format!("{name}-callee"),
        &["uas_ring", "uas_answer", "uas_wait_bye"],
        0,
    );
    let talk = talk_ms.to_string();
    let mut uac = caller(
        work,
        a,
        &format!("{name}-caller"),
        &b.extension,
        "uac_talk_and_hang_up",
        &[("talk_ms", &talk)],
    );
    both(&mut uac, &mut uas, name);
}
