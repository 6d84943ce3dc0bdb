//! Transport helpers the edge's I/O layer uses: `received`/`rport`
//! stamping (RFC 3581) so phones behind NAT get their answers, server
//! transactions for retransmitted requests, and stream framing for TCP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::sip::message::{Request, param};

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

/// The answer of a transaction (`None` while it is being handled) and when.
type Remembered = (Option<Vec<u8>>, Instant);

/// Server transactions (RFC 3261 §17.2), as far as a registrar needs them:
/// a retransmitted request gets the answer already sent (or nothing while
/// the first copy is still being handled), never a second evaluation, which
/// would see its nonce count as a replay.
#[derive(Debug, Default)]
pub struct Transactions {
    answers: Mutex<HashMap<String, Remembered>>,
    pruned: Mutex<Option<Instant>>,
}

/// How long an answered transaction is remembered (UDP timer J is 32 s).
const TRANSACTION_SECS: u64 = 32;

impl Transactions {
    fn key(req: &Request, source: SocketAddr) -> Option<String> {
        let via = req.header("Via")?;
        let branch = param(via, "branch")?;
        Some(format!(
            "{source}|{branch}|{}|{}",
            req.method,
            req.header("CSeq")?
        ))
    }

    /// `None`: a new transaction (now marked in progress); `Some(answer)`:
    /// a retransmission, with the answer to repeat if there is one yet.
    pub fn begin(&self, req: &Request, source: SocketAddr) -> Option<Option<Vec<u8>>> {
        let key = Self::key(req, source)?;
        let Ok(mut map) = self.answers.lock() else {
            return None;
        };
        let now = Instant::now();
        // Forget old transactions once a second at most: pruning on every
        // request would make each one pay for the whole table.
        if let Ok(mut pruned) = self.pruned.lock()
            && pruned.is_none_or(|p| now.duration_since(p).as_secs() >= 1)
        {
            *pruned = Some(now);
            map.retain(|_, (_, at)| now.duration_since(*at).as_secs() < TRANSACTION_SECS);
        }
        match map.get(&key) {
            Some((answer, at)) if now.duration_since(*at).as_secs() < TRANSACTION_SECS => {
                Some(answer.clone())
            }
            _ => {
                map.insert(key, (None, now));
                None
            }
        }
    }

    pub fn finish(&self, req: &Request, source: SocketAddr, answer: &[u8]) {
        if let (Some(key), Ok(mut map)) = (Self::key(req, source), self.answers.lock()) {
            map.insert(key, (Some(answer.to_vec()), Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(branch: &str) -> Request {
        let t = format!(
            "REGISTER sip:office SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch={branch}\r\nFrom: <sip:1@o>;tag=1\r\nTo: <sip:1@o>\r\nCall-ID: c\r\nCSeq: 2 REGISTER\r\n\r\n"
        );
        Request::parse(t.as_bytes()).expect("parse")
    }

    #[test]
    fn a_retransmission_gets_the_first_answer_not_a_second_evaluation() {
        let t = Transactions::default();
        let src: SocketAddr = "192.0.2.1:5062".parse().expect("addr");
        assert_eq!(t.begin(&req("z9hG4bK1"), src), None, "new");
        assert_eq!(
            t.begin(&req("z9hG4bK1"), src),
            Some(None),
            "in progress: absorbed"
        );
        t.finish(&req("z9hG4bK1"), src, b"SIP/2.0 200 OK\r\n\r\n");
        assert_eq!(
            t.begin(&req("z9hG4bK1"), src),
            Some(Some(b"SIP/2.0 200 OK\r\n\r\n".to_vec()))
        );
        assert_eq!(
            t.begin(&req("z9hG4bK2"), src),
            None,
            "another branch is another transaction"
        );
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
