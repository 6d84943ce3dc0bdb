//! Hostile input never crashes the edge. The 49 messages of RFC 4475 ("SIP
//! Torture Test Messages", bit-exact from the RFC's archive in
//! `tests/rfc4475/`) go through the parser and through a running edge over
//! UDP and TCP, each with the answer it should get; then seeded mutations of
//! them and random bytes. `fuzz/` holds the cargo-fuzz target.

use std::net::SocketAddr;
use std::time::Duration;

use media_edge::edge::{Edge, EdgeConfig};
use media_edge::registrar::Registrar;
use media_edge::sip::digest::Credentials;
use media_edge::sip::message::{Message, param, rejection, split_list, uri_user};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

/// What the RFC asks of an element receiving one of its messages, as this
/// edge (a registrar and back-to-back user agent that authenticates calls)
/// answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// A request the edge processes: the final status it answers with.
    Processed(u16),
    /// A request refused before processing: 400, or 505 for the version.
    Refused(u16),
    /// A response nobody asked for: parsed and ignored.
    IgnoredResponse,
    /// A response so malformed that the parser refuses it; no answer.
    BadResponse,
}
use Want::{BadResponse, IgnoredResponse, Processed, Refused};

/// Every RFC 4475 message: file, section, what should happen. Calls get
/// 407 (the edge authenticates before it looks further, RFC 3261 §8.2),
/// registrations 401; OPTIONS is answered 200.
const CORPUS: &[(&str, &str, Want)] = &[
    // §3.1.1 valid messages
    // Its To has a tag: a request inside a dialog this edge does not know.
    ("wsinv", "3.1.1.1 short tortuous INVITE", Processed(481)),
    (
        "intmeth",
        "3.1.1.2 wide range of valid characters",
        Processed(501),
    ),
    ("esc01", "3.1.1.3 valid % escaping", Processed(407)),
    ("escnull", "3.1.1.4 escaped nulls in URIs", Processed(401)),
    ("esc02", "3.1.1.5 % that is not an escape", Processed(501)),
    (
        "lwsdisp",
        "3.1.1.6 no LWS between display name and <",
        Processed(200),
    ),
    (
        "longreq",
        "3.1.1.7 long values in header fields",
        Processed(407),
    ),
    (
        "dblreq",
        "3.1.1.8 extra trailing octets in a datagram",
        Processed(401),
    ),
    (
        "semiuri",
        "3.1.1.9 semicolons in the URI user part",
        Processed(200),
    ),
    (
        "transports",
        "3.1.1.10 varied and unknown transports",
        Processed(200),
    ),
    ("mpart01", "3.1.1.11 multipart MIME message", Processed(405)),
    (
        "unreason",
        "3.1.1.12 unusual reason phrase",
        IgnoredResponse,
    ),
    ("noreason", "3.1.1.13 empty reason phrase", IgnoredResponse),
    // §3.1.2 invalid messages
    (
        "badinv01",
        "3.1.2.1 extraneous header field separators",
        Refused(400),
    ),
    (
        "clerr",
        "3.1.2.2 Content-Length larger than the message",
        Refused(400),
    ),
    ("ncl", "3.1.2.3 negative Content-Length", Refused(400)),
    (
        "scalar02",
        "3.1.2.4 request scalar fields too large",
        Refused(400),
    ),
    (
        "scalarlg",
        "3.1.2.5 response scalar fields too large",
        BadResponse,
    ),
    (
        "quotbal",
        "3.1.2.6 unterminated quoted display name",
        Refused(400),
    ),
    (
        "ltgtruri",
        "3.1.2.7 <> around the Request-URI",
        Refused(400),
    ),
    (
        "lwsruri",
        "3.1.2.8 LWS inside the Request-URI",
        Refused(400),
    ),
    (
        "lwsstart",
        "3.1.2.9 several SP in the request line",
        Refused(400),
    ),
    (
        "trws",
        "3.1.2.10 SP at the end of the request line",
        Refused(400),
    ),
    (
        "escruri",
        "3.1.2.11 escaped headers in the Request-URI",
        Refused(400),
    ),
    // The RFC allows accepting these four; the edge is liberal with them.
    (
        "baddate",
        "3.1.2.12 invalid time zone in Date",
        Processed(407),
    ),
    (
        "regbadct",
        "3.1.2.13 name-addr URI not in <>",
        Processed(401),
    ),
    (
        "badaspec",
        "3.1.2.14 spaces within addr-spec",
        Processed(200),
    ),
    (
        "baddn",
        "3.1.2.15 non-token characters in display name",
        Processed(200),
    ),
    ("badvers", "3.1.2.16 unknown protocol version", Refused(505)),
    (
        "mismatch01",
        "3.1.2.17 request and CSeq method differ",
        Refused(400),
    ),
    (
        "mismatch02",
        "3.1.2.18 unknown method, CSeq differs",
        Refused(400),
    ),
    ("bigcode", "3.1.2.19 overlarge response code", BadResponse),
    // §3.2 transaction layer
    (
        "badbranch",
        "3.2.1 missing transaction identifier",
        Processed(200),
    ),
    // §3.3 application layer
    (
        "insuf",
        "3.3.1 missing required header fields",
        Refused(400),
    ),
    (
        "unkscm",
        "3.3.2 Request-URI with unknown scheme",
        Processed(416),
    ),
    (
        "novelsc",
        "3.3.3 Request-URI with atypical scheme",
        Processed(416),
    ),
    // The registrar cannot read a user from an isbn: To.
    (
        "unksm2",
        "3.3.4 unknown URI schemes in headers",
        Processed(400),
    ),
    ("bext01", "3.3.5 Require and Proxy-Require", Processed(420)),
    ("invut", "3.3.6 unknown Content-Type", Processed(407)),
    (
        "regaut01",
        "3.3.7 unknown authorization scheme",
        Processed(401),
    ),
    (
        "multi01",
        "3.3.8 several values in single-value fields",
        Refused(400),
    ),
    ("mcl01", "3.3.9 several Content-Length values", Refused(400)),
    (
        "bcast",
        "3.3.10 200 OK with a broadcast Via",
        IgnoredResponse,
    ),
    ("zeromf", "3.3.11 Max-Forwards of zero", Processed(200)),
    (
        "cparam01",
        "3.3.12 REGISTER with a Contact parameter",
        Processed(401),
    ),
    (
        "cparam02",
        "3.3.13 REGISTER with a url-parameter",
        Processed(401),
    ),
    (
        "regescrt",
        "3.3.14 REGISTER with an escaped header",
        Processed(401),
    ),
    (
        "sdp01",
        "3.3.15 unacceptable Accept offering",
        Processed(407),
    ),
    // §3.4 backward compatibility
    (
        "inv2543",
        "3.4.1 INVITE with RFC 2543 syntax",
        Processed(407),
    ),
];

/// This crate's directory, as `cargo test` gives it when the test runs (a
/// compile-time path breaks when target directories are shared between
/// checkouts).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}

fn message(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/rfc4475/{name}.dat", manifest_dir());
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses, then walks every header through the helpers the edge uses.
fn exercise(bytes: &[u8]) -> Result<Message, media_edge::sip::message::ParseError> {
    let m = Message::parse(bytes)?;
    let headers = match &m {
        Message::Request(r) => &r.headers,
        Message::Response(r) => &r.headers,
    };
    for (_, v) in headers {
        let _ = split_list(v);
        let _ = param(v, "expires");
        let _ = uri_user(v);
        let _ = Credentials::parse(v);
    }
    Ok(m)
}

fn status(answer: &[u8]) -> Option<u16> {
    std::str::from_utf8(answer.get(8..12)?)
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[test]
fn the_corpus_is_the_rfc_archive() {
    let sums = std::fs::read_to_string(format!("{}/tests/rfc4475/SHA256SUMS", manifest_dir()))
        .expect("SHA256SUMS");
    assert_eq!(sums.lines().count(), 49, "RFC 4475 has 49 messages");
    assert_eq!(CORPUS.len(), 49);
    for line in sums.lines() {
        let (sum, file) = line.split_once("  ").expect("sha256sum format");
        let name = file.trim_end_matches(".dat");
        assert!(CORPUS.iter().any(|(n, ..)| *n == name), "{name} has a case");
        let digest = <sha2::Sha256 as sha2::Digest>::digest(message(name));
        assert_eq!(hex::encode(digest), sum, "{file} is unchanged");
    }
}

#[test]
fn every_rfc4475_message_parses_or_is_refused_as_the_rfc_says() {
    for (name, section, want) in CORPUS {
        let bytes = message(name);
        let parsed = std::panic::catch_unwind(|| exercise(&bytes))
            .unwrap_or_else(|_| panic!("{name} ({section}) panicked the parser"));
        match (want, &parsed) {
            (Processed(_), Ok(Message::Request(_)))
            | (IgnoredResponse, Ok(Message::Response(_)))
            | (BadResponse, Err(_)) => {}
            (Refused(code), Err(e)) => {
                let answer = rejection(&bytes, e)
                    .unwrap_or_else(|| panic!("{name} ({section}): {e}, but no answer"));
                assert_eq!(status(&answer), Some(*code), "{name} ({section}): {e}");
                let text = String::from_utf8_lossy(&answer);
                assert!(text.contains("\r\nVia: "), "{name}: answered along its Via");
                assert!(
                    text.contains("\r\nWarning: 399 office-edge \""),
                    "{name}: says why"
                );
                assert!(
                    text.ends_with("\r\nContent-Length: 0\r\n\r\n"),
                    "{name}: {text}"
                );
            }
            _ => panic!("{name} ({section}): wanted {want:?}, parser gave {parsed:?}"),
        }
    }
}

struct Running {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn start_edge() -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    // UDP and TCP on one port number: retry while the TCP twin is taken.
    let (socket, listener, addr) = loop {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("udp");
        let addr = socket.local_addr().expect("addr");
        if let Ok(listener) = TcpListener::bind(addr).await {
            break (socket, listener, addr);
        }
    };
    let edge = Edge::new(
        app,
        b"key",
        socket,
        EdgeConfig::default(),
        dir.path().join("spool"),
    )
    .expect("edge");
    let tasks = vec![
        tokio::spawn(edge.clone().run()),
        tokio::spawn(edge.serve_tcp(listener)),
    ];
    Running {
        addr,
        _dir: dir,
        tasks,
    }
}

/// The first final status answered within `wait`, skipping 1xx.
async fn final_over_udp(edge: SocketAddr, bytes: &[u8], wait: Duration) -> Option<u16> {
    let sock = UdpSocket::bind("127.0.0.1:0").await.expect("client");
    sock.send_to(bytes, edge).await.expect("send");
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, _) = tokio::time::timeout(wait, sock.recv_from(&mut buf))
            .await
            .ok()?
            .ok()?;
        match status(&buf[..n]) {
            Some(code) if code >= 200 => return Some(code),
            _ => {}
        }
    }
}

async fn final_over_tcp(edge: SocketAddr, bytes: &[u8], wait: Duration) -> Option<u16> {
    let mut conn = TcpStream::connect(edge).await.expect("connect");
    conn.write_all(bytes).await.expect("write");
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65_535];
    loop {
        // Answers may share a segment: look at each status line in turn.
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(code) = text
            .match_indices("SIP/2.0 ")
            .filter_map(|(i, _)| status(&got[i..]))
            .find(|c| *c >= 200)
        {
            return Some(code);
        }
        let n = tokio::time::timeout(wait, conn.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn a_running_edge_answers_every_rfc4475_message_over_udp_and_tcp() {
    let edge = start_edge().await;
    let answered = Duration::from_secs(5);
    let silent = Duration::from_millis(300);
    for (name, section, want) in CORPUS {
        let bytes = message(name);
        let expected = match want {
            Processed(code) | Refused(code) => Some(*code),
            IgnoredResponse | BadResponse => None,
        };
        let wait = if expected.is_some() { answered } else { silent };
        let udp = final_over_udp(edge.addr, &bytes, wait).await;
        assert_eq!(udp, expected, "{name} ({section}) over UDP");
        // On a stream, a message is not over before its empty line and its
        // Content-Length of body: clerr announces more body than it sends
        // and baddn ends without the empty line, so the edge waits for the
        // rest (a datagram, by contrast, is all there is).
        let over_tcp = if ["clerr", "baddn"].contains(name) {
            None
        } else {
            expected
        };
        let wait = if over_tcp.is_some() { answered } else { silent };
        let tcp = final_over_tcp(edge.addr, &bytes, wait).await;
        assert_eq!(tcp, over_tcp, "{name} ({section}) over TCP");
    }
    // Still serving after all of it.
    let options = b"OPTIONS sip:edge SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKalive\r\nFrom: <sip:t@x>;tag=1\r\nTo: <sip:edge>\r\nCall-ID: alive\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(
        final_over_udp(edge.addr, options, answered).await,
        Some(200)
    );
    assert_eq!(
        final_over_tcp(edge.addr, options, answered).await,
        Some(200)
    );
}

fn options_with(extra: &str, call_id: &str) -> Vec<u8> {
    format!("OPTIONS sip:edge SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{call_id}\r\nFrom: <sip:t@x>;tag=1\r\n{extra}Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").into_bytes()
}

#[tokio::test]
async fn extensions_dialogs_and_acks_get_the_answers_rfc_3261_gives_them() {
    let edge = start_edge().await;
    let (answered, silent) = (Duration::from_secs(5), Duration::from_millis(300));
    // Session-timer refreshes are served; other required extensions are not.
    let timer = options_with("To: <sip:edge>\r\nRequire: timer\r\n", "timer");
    assert_eq!(final_over_udp(edge.addr, &timer, answered).await, Some(200));
    let rel = options_with("To: <sip:edge>\r\nRequire: 100rel\r\n", "rel");
    assert_eq!(final_over_udp(edge.addr, &rel, answered).await, Some(420));
    // OPTIONS inside a dialog the edge does not have (after a restart, say).
    let stale = options_with("To: <sip:edge>;tag=gone\r\n", "stale");
    assert_eq!(final_over_udp(edge.addr, &stale, answered).await, Some(481));
    // An ACK is never answered, however odd.
    let ack = b"ACK urn:service:sos SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKa\r\nFrom: <sip:t@x>;tag=1\r\nTo: <sip:e>;tag=2\r\nCall-ID: a\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(final_over_udp(edge.addr, ack, silent).await, None);
    let bad_ack = b"ACK sip:e SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKb\r\nFrom: <sip:t@x>;tag=1\r\nTo: <sip:e>;tag=2\r\nCall-ID: b\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(final_over_udp(edge.addr, bad_ack, silent).await, None);
}

/// A small deterministic generator, so a failure is reproducible.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n as u64).max(1)).unwrap_or(0)
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}

/// Mutations of the RFC messages (bytes flipped, cut, spliced) and plain
/// random bytes: the parser, the rejection builder and the registrar take
/// them all without panicking.
#[tokio::test]
async fn mutated_rfc_messages_and_garbage_never_crash_the_parser_or_the_registrar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    let location = std::sync::Arc::new(media_edge::location::Location::new(
        app.store.clone(),
        domain::EdgeId::parse("kr").expect("edge id"),
        "192.0.2.1:5060".parse().expect("addr"),
    ));
    let realm = app.sip_realm.clone();
    let directory = media_edge::directory::StoreDirectory::new(app, location);
    let reg = Registrar::new(realm, b"key", std::sync::Arc::new(directory));
    let src: SocketAddr = "192.0.2.9:5060".parse().expect("addr");
    let bases: Vec<Vec<u8>> = CORPUS.iter().map(|(n, ..)| message(n)).collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut requests, mut answers) = (0, 0);
    for i in 0..20_000 {
        let mut m = if i % 4 == 3 {
            (0..rng.below(512)).map(|_| rng.byte()).collect()
        } else {
            bases[rng.below(bases.len())].clone()
        };
        for _ in 0..1 + rng.below(8) {
            let pos = rng.below(m.len() + 1);
            match rng.below(3) {
                0 if pos < m.len() => m[pos] = rng.byte(),
                1 => m.truncate(pos),
                _ => m.insert(pos.min(m.len()), rng.byte()),
            }
        }
        match exercise(&m) {
            Ok(Message::Request(req)) => {
                requests += 1;
                if i % 20 == 0 {
                    let _ = reg.handle(&req, src, 1_000).await;
                }
            }
            Ok(Message::Response(_)) => {}
            Err(e) => {
                if let Some(answer) = rejection(&m, &e) {
                    answers += 1;
                    assert!(status(&answer).is_some(), "a status line");
                }
            }
        }
    }
    eprintln!("{requests} mutated requests parsed, {answers} refusals answered");
    assert!(
        requests > 300,
        "mutations still reach the registrar: {requests}"
    );
    assert!(answers > 500, "and refusals are answered: {answers}");
}
