//! Transport helpers the edge's I/O layer uses: `received`/`rport`
//! stamping (RFC 3581) so phones behind NAT get their answers, server
//! transactions shared by the registrar's tasks, and stream framing for TCP.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::sip::message::{Request, param};
use crate::transaction::{Seen, ServerTransactions};

/// Marks the top Via with where the request really came from.
pub fn stamp_via(req: &mut Request, source: SocketAddr) {
    if let Some((_, via)) = req
        .headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case("Via"))
    {
        let wants_rport = via
            .split(';')
            .any(|p| p.trim().eq_ignore_ascii_case("rport"));
        if param(via, "received").is_none() {
            via.push_str(&format!(";received={}", source.ip()));
        }
        if wants_rport {
            let parts: Vec<String> = via
                .split(';')
                .map(|p| {
                    if p.trim().eq_ignore_ascii_case("rport") {
                        format!("rport={}", source.port())
                    } else {
                        p.to_owned()
                    }
                })
                .collect();
            *via = parts.join(";");
        }
    }
}

/// The edge's shared server transactions (the registrar's requests are
/// handled on many tasks at once); see [`ServerTransactions`].
#[derive(Debug, Default)]
pub struct Transactions(Mutex<ServerTransactions>);

impl Transactions {
    pub fn begin(&self, req: &Request, source: SocketAddr) -> Seen {
        self.0
            .lock()
            .map_or(Seen::New, |mut t| t.begin(req, source, Instant::now()))
    }

    pub fn finish(&self, req: &Request, source: SocketAddr, answer: &[u8]) {
        if let Ok(mut t) = self.0.lock() {
            t.answer(req, source, answer, Instant::now());
        }
    }
}

/// The largest SIP message accepted on a stream.
const MAX_FRAME: usize = 256 * 1024;

/// Splits one SIP message off the front of a stream buffer (headers up to
/// the empty line, then `Content-Length` bytes of body); `None` until it is
/// all there. Leading CRLF keep-alives are skipped.
pub fn frame(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    while buf.starts_with(b"\r\n") {
        buf.drain(..2);
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]);
    let len = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| {
            n.trim().eq_ignore_ascii_case("content-length") || n.trim().eq_ignore_ascii_case("l")
        })
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    // A Content-Length no message can have: take what arrived as the
    // message (the parser refuses it) rather than wait or overflow.
    let total = end
        .checked_add(len)
        .filter(|t| *t <= MAX_FRAME)
        .unwrap_or(buf.len());
    if buf.len() < total {
        return None;
    }
    Some(buf.drain(..total).collect())
}

#[cfg(test)]
mod framing {
    use super::frame;

    #[test]
    fn stream_frames_split_on_content_length_and_wait_for_the_rest() {
        let mut buf = b"\r\n\r\nOPTIONS sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nabcREG".to_vec();
        let first = frame(&mut buf).expect("a whole message");
        assert!(first.ends_with(b"\r\n\r\nabc"));
        assert_eq!(buf, b"REG");
        assert_eq!(frame(&mut buf), None, "incomplete: wait");
        let mut partial = b"OPTIONS sip:a SIP/2.0\r\nl: 10\r\n\r\nabc".to_vec();
        assert_eq!(frame(&mut partial), None);
        let mut absurd =
            format!("OPTIONS sip:a SIP/2.0\r\nl: {}\r\n\r\nabc", usize::MAX).into_bytes();
        assert!(frame(&mut absurd).is_some(), "no overflow, no endless wait");
    }
}
