//! SIP transactions (RFC 3261 §17), sans-IO: the one implementation every
//! path of the edge uses.
//!
//! - [`Retransmissions`]: what the edge sent over UDP and resends until it
//!   is answered: INVITE client transactions (timer A, doubling without a
//!   cap until a provisional arrives, timer B), non-INVITE client
//!   transactions (timer E capped at T2, timer F), and final answers to an
//!   INVITE waiting for their ACK (timer G capped at T2, timer H).
//! - [`ServerTransactions`]: requests already seen, by branch, method,
//!   CSeq and source, with the answer given, so a retransmitted request
//!   gets that answer again and is never evaluated twice (a REGISTER's
//!   nonce count would look like a replay, an INVITE would ring twice).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::sip::message::{Request, param};

/// RFC 3261 T1 and T2.
pub const T1: Duration = Duration::from_millis(500);
pub const T2: Duration = Duration::from_secs(4);
/// RFC 3261 T4: the longest a message stays in the network.
pub const T4: Duration = Duration::from_secs(5);
/// Timers B, F, H and J: 64·T1.
pub const GIVE_UP: Duration = Duration::from_secs(32);

/// How a message is retransmitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An INVITE we sent: doubles from T1 without a cap (timer A).
    InviteClient,
    /// Any other request we sent: doubles up to T2 (timer E).
    NonInviteClient,
    /// Our final answer to an INVITE, until its ACK (timer G).
    InviteFinal,
}

#[derive(Debug, Clone)]
struct Pending {
    id: String,
    to: SocketAddr,
    bytes: Vec<u8>,
    next: Instant,
    interval: Duration,
    cap: Duration,
    give_up: Instant,
}

/// Messages being retransmitted, each under an id of the caller's choice
/// (a branch, or a name such as `a-final`).
#[derive(Debug, Clone, Default)]
pub struct Retransmissions {
    pending: Vec<Pending>,
}

/// What [`Retransmissions::poll`] found due.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    /// Send these again.
    pub resend: Vec<(SocketAddr, Vec<u8>)>,
    /// These were never answered in 64·T1: their transactions failed.
    pub expired: Vec<String>,
}

impl Retransmissions {
    /// Starts retransmitting `bytes` (already sent once) to `to`.
    pub fn start(
        &mut self,
        id: impl Into<String>,
        kind: Kind,
        to: SocketAddr,
        bytes: Vec<u8>,
        now: Instant,
    ) {
        let cap = match kind {
            Kind::InviteClient => Duration::from_secs(3600),
            Kind::NonInviteClient | Kind::InviteFinal => T2,
        };
        self.pending.push(Pending {
            id: id.into(),
            to,
            bytes,
            next: now + T1,
            interval: T1,
            cap,
            give_up: now + GIVE_UP,
        });
    }

    /// The message was answered (or acknowledged): no more resends.
    pub fn stop(&mut self, id: &str) {
        self.pending.retain(|p| p.id != id);
    }

    pub fn contains(&self, id: &str) -> bool {
        self.pending.iter().any(|p| p.id == id)
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// What is due at `now`; expired messages are dropped.
    pub fn poll(&mut self, now: Instant) -> Due {
        let mut due = Due::default();
        for p in &mut self.pending {
            if now >= p.give_up {
                due.expired.push(p.id.clone());
            } else if now >= p.next {
                due.resend.push((p.to, p.bytes.clone()));
                p.interval = (p.interval * 2).min(p.cap);
                p.next = now + p.interval;
            }
        }
        self.pending.retain(|p| now < p.give_up);
        due
    }

    /// The earliest time [`Retransmissions::poll`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.next.min(p.give_up)).min()
    }
}

/// A request as a server transaction sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A new transaction (now marked in progress).
    New,
    /// A retransmission: the answer to repeat, if one was given yet.
    Again(Option<Vec<u8>>),
}

/// Server transactions (RFC 3261 §17.2), remembered for timer J (64·T1).
#[derive(Debug, Default)]
pub struct ServerTransactions {
    answers: HashMap<String, (Option<Vec<u8>>, Instant)>,
    pruned: Option<Instant>,
}

impl ServerTransactions {
    fn key(req: &Request, source: SocketAddr) -> Option<String> {
        let via = req.header("Via")?;
        let branch = param(via, "branch")?;
        Some(format!(
            "{source}|{branch}|{}|{}",
            req.method,
            req.header("CSeq")?
        ))
    }

    /// Whether `req` starts a transaction. A request without a branch
    /// cannot be matched (RFC 2543 peers): each copy counts as new.
    pub fn begin(&mut self, req: &Request, source: SocketAddr, now: Instant) -> Seen {
        let Some(key) = Self::key(req, source) else {
            return Seen::New;
        };
        // Forget old transactions once a second at most: pruning on every
        // request would make each one pay for the whole table.
        if self
            .pruned
            .is_none_or(|p| now.duration_since(p) >= Duration::from_secs(1))
        {
            self.pruned = Some(now);
            self.answers
                .retain(|_, (_, at)| now.duration_since(*at) < GIVE_UP);
        }
        match self.answers.get(&key) {
            Some((answer, at)) if now.duration_since(*at) < GIVE_UP => Seen::Again(answer.clone()),
            _ => {
                self.answers.insert(key, (None, now));
                Seen::New
            }
        }
    }

    /// Records the (latest) answer to `req`: a retransmission gets it.
    pub fn answer(&mut self, req: &Request, source: SocketAddr, bytes: &[u8], now: Instant) {
        if let Some(key) = Self::key(req, source) {
            self.answers.insert(key, (Some(bytes.to_vec()), now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        "192.0.2.1:5060".parse().expect("addr")
    }

    fn req(branch: &str, cseq: u32) -> Request {
        let t = format!(
            "REGISTER sip:office SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch={branch}\r\nFrom: <sip:1@o>;tag=1\r\nTo: <sip:1@o>\r\nCall-ID: c\r\nCSeq: {cseq} REGISTER\r\n\r\n"
        );
        Request::parse(t.as_bytes()).expect("parse")
    }

    #[test]
    fn an_invite_doubles_without_a_cap_and_gives_up_after_64_t1() {
        let now = Instant::now();
        let mut r = Retransmissions::default();
        r.start("b1", Kind::InviteClient, addr(), b"INVITE".to_vec(), now);
        let mut at = now;
        let mut gaps = Vec::new();
        let mut last = now;
        while let Some(next) = r.next_deadline() {
            at = next;
            let due = r.poll(at);
            if !due.resend.is_empty() {
                gaps.push(at.duration_since(last).as_millis());
                last = at;
            }
            if !due.expired.is_empty() {
                assert_eq!(due.expired, vec!["b1".to_owned()]);
                break;
            }
        }
        assert_eq!(gaps, vec![500, 1000, 2000, 4000, 8000, 16000]);
        assert_eq!(at.duration_since(now), GIVE_UP);
        assert!(r.is_empty());
    }

    #[test]
    fn other_requests_and_final_answers_cap_at_t2_and_stop_when_answered() {
        let now = Instant::now();
        let mut r = Retransmissions::default();
        r.start("bye", Kind::NonInviteClient, addr(), b"BYE".to_vec(), now);
        let mut last = now;
        let mut gaps = Vec::new();
        for _ in 0..6 {
            let at = r.next_deadline().expect("pending");
            assert_eq!(r.poll(at).resend.len(), 1);
            gaps.push(at.duration_since(last).as_millis());
            last = at;
        }
        assert_eq!(gaps, vec![500, 1000, 2000, 4000, 4000, 4000]);
        r.stop("bye");
        assert!(r.next_deadline().is_none());
    }

    #[test]
    fn a_retransmitted_request_gets_the_first_answer_not_a_second_evaluation() {
        let now = Instant::now();
        let mut t = ServerTransactions::default();
        assert_eq!(t.begin(&req("z9hG4bK1", 2), addr(), now), Seen::New);
        assert_eq!(
            t.begin(&req("z9hG4bK1", 2), addr(), now),
            Seen::Again(None),
            "in progress: absorbed"
        );
        t.answer(&req("z9hG4bK1", 2), addr(), b"SIP/2.0 200 OK\r\n\r\n", now);
        assert_eq!(
            t.begin(&req("z9hG4bK1", 2), addr(), now),
            Seen::Again(Some(b"SIP/2.0 200 OK\r\n\r\n".to_vec()))
        );
        assert_eq!(t.begin(&req("z9hG4bK2", 2), addr(), now), Seen::New);
        assert_eq!(t.begin(&req("z9hG4bK1", 3), addr(), now), Seen::New);
        assert_eq!(
            t.begin(&req("z9hG4bK1", 2), addr(), now + GIVE_UP),
            Seen::New,
            "forgotten after timer J"
        );
    }
}
