//! Hostile input never crashes the edge: torture messages in the spirit of
//! RFC 4475 (written for this project), and seeded random garbage, through
//! the parser and the registrar. `fuzz/` holds the cargo-fuzz target.

use std::net::SocketAddr;

use media_edge::registrar::Registrar;
use media_edge::sip::digest::Credentials;
use media_edge::sip::message::{Request, param, split_list, uri_user};

/// Messages that stress the grammar: odd whitespace and case, folding,
/// escaped and quoted parts, huge values, missing or repeated headers.
const TORTURE: &[&str] = &[
    "REGISTER sip:office SIP/2.0\r\nVIA: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKx;rport\r\nfrom   :   <sip:1@o>;tag=a\r\nTo:<sip:1@o>\r\ncall-id:\t c@x\r\ncseq: 1 REGISTER\r\nContact: \"a,b;c\" <sip:1@h;x=\"y,z\">;expires=60\r\n\r\n",
    "REGISTER sip:office SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK\r\n ;rport\r\nFrom: <sip:1@o>;tag=a\r\nTo: <sip:1@o>\r\nCall-ID: c\r\nCSeq: 2 REGISTER\r\nContact: *\r\nExpires: 0\r\n\r\n",
    "REGISTER sip:office SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=1\r\nFrom: <sip:%31@o>;tag=a\r\nTo: \"\\\"quoted\\\"\" <sip:1@o>\r\nCall-ID: c\r\nCSeq: 3 REGISTER\r\nAuthorization: Digest username=\"1\", realm=\"office\", nonce=\"1.2.3\", uri=\"sip:office\", response=\"zz\", nc=zzzz, qop=auth, cnonce=\"\"\r\n\r\n",
    "REGISTER sip:office SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=1\r\nFrom: <sip:1@o>\r\nTo: <sip:@o>\r\nCall-ID: c\r\nCSeq: 99999999999999999999 REGISTER\r\nContact: <sip:1@h>;expires=-5, <sip:1@h>;expires=99999999999999999999\r\n\r\n",
    "REGISTER sip:office SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=1\r\nFrom: <sip:1@o>\r\nTo: sip:1@o\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nContact: <sip:1@h\r\nAuthorization: Digest\r\n\r\n",
    "INVITE sip:1@o SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=1\r\nFrom: <sip:1@o>\r\nTo: <sip:2@o>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 999999\r\n\r\nv=0\r\n",
    "OPTIONS * SIP/2.0\r\nVia: x\r\nFrom: y\r\nTo: z\r\nCall-ID: w\r\nCSeq: q\r\n\r\n",
    "REGISTER sip:office SIP/3.0\r\n\r\n",
    "\r\n\r\nREGISTER sip:office SIP/2.0\r\n\r\n",
    "REGISTER  sip:office  SIP/2.0\r\n\r\n",
];

fn exercise(bytes: &[u8]) -> Option<Request> {
    let req = Request::parse(bytes).ok()?;
    for (_, v) in &req.headers {
        let _ = split_list(v);
        let _ = param(v, "expires");
        let _ = uri_user(v);
        let _ = Credentials::parse(v);
    }
    Some(req)
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
}

#[tokio::test]
async fn torture_and_garbage_never_crash_the_parser_or_the_registrar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    let reg = Registrar::new(app, b"key");
    let src: SocketAddr = "192.0.2.9:5060".parse().expect("addr");
    let mut handled = 0;
    for m in TORTURE {
        if let Some(req) = exercise(m.as_bytes()) {
            let _ = reg.handle(&req, src, 1_000).await;
            handled += 1;
        }
    }
    assert!(
        handled >= 5,
        "most torture messages are well-formed enough to reach the registrar"
    );

    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let base = TORTURE[0].as_bytes();
    for i in 0..20_000 {
        let mut m = base.to_vec();
        // Mutate: flip bytes, cut, or splice random bytes in.
        let edits = 1 + rng.next() % 8;
        for _ in 0..edits {
            let pos = usize::try_from(rng.next() % (m.len() as u64 + 1)).unwrap_or(0);
            match rng.next() % 3 {
                0 if pos < m.len() => m[pos] = u8::try_from(rng.next() % 256).unwrap_or(0),
                1 => m.truncate(pos),
                _ => m.insert(
                    pos.min(m.len()),
                    u8::try_from(rng.next() % 256).unwrap_or(0),
                ),
            }
        }
        if i % 2 == 0 {
            let len = usize::try_from(rng.next() % 512).unwrap_or(0);
            m = (0..len)
                .map(|_| u8::try_from(rng.next() % 256).unwrap_or(0))
                .collect();
        }
        if let Some(req) = exercise(&m)
            && i % 50 == 0
        {
            let _ = reg.handle(&req, src, 1_000).await;
        }
    }
}
