//! One party of a call as the B2BUA holds it: the dialog the edge has with
//! that party's phone, and what the two agreed about media. A call has two
//! sides; a transfer gives one of them a new party.
//!
//! Also here: which payloads the edge answers an offer with.

use std::net::SocketAddr;

use crate::dialog::Dialog;
use crate::sdp::{Direction, Payload, Sdp};

/// One side of the call.
#[derive(Debug, Clone)]
pub struct Side {
    /// The Call-ID of its dialog (known before the dialog is confirmed).
    pub call_id: String,
    pub dialog: Option<Dialog>,
    /// What the party last offered or answered.
    pub sdp: Option<Sdp>,
    /// The payloads the edge agreed with it: what it sends and expects.
    pub payloads: Vec<Payload>,
    /// The direction the party last offered or answered.
    pub sending: Direction,
    /// The direction the edge last gave it (`SendOnly` while the other
    /// party holds it).
    pub given: Direction,
    /// The edge's `o=` session id and version towards this party: the id
    /// stays for the dialog's life, the version grows with every new SDP.
    pub session: u64,
    pub version: u64,
}

impl Side {
    pub fn new(call_id: String, session: u64) -> Self {
        Self {
            call_id,
            dialog: None,
            sdp: None,
            payloads: Vec::new(),
            sending: Direction::SendRecv,
            given: Direction::SendRecv,
            session,
            version: 1,
        }
    }

    /// The edge's SDP for this party: our address `at` facing it, these
    /// payloads and direction, the next version.
    pub fn render(&mut self, at: SocketAddr, payloads: &[Payload], dir: Direction) -> Vec<u8> {
        self.version += 1;
        self.given = dir;
        Sdp::render(at, payloads, dir, self.session, self.version)
    }

    /// The party answered the edge's INVITE in `dialog` with `answer`:
    /// what it sends and expects is what it answered. The relay's terms
    /// for it, when it answered with SDP.
    pub fn answered(
        &mut self,
        dialog: Dialog,
        answer: Option<Sdp>,
    ) -> Option<crate::rtp::LegMedia> {
        self.dialog = Some(dialog);
        let media = answer.as_ref().map(|a| {
            self.sending = a.direction;
            self.payloads = a.payloads.clone();
            crate::rtp::LegMedia::from_sdp(a)
        });
        self.sdp = answer;
        media
    }

    /// Whether a request from the party belongs to its current dialog.
    pub fn knows(&self, req: &crate::sip::message::Request) -> bool {
        self.dialog.as_ref().is_some_and(|d| d.is_from_peer(req))
    }
}

/// What the edge answers an offer with, given the far side's answer: the
/// offered voice codec the far side chose (else the offer's first; the
/// relay transcodes), and the telephone events on that codec's clock when
/// the far side takes events too.
pub fn answer_payloads(offer: &Sdp, far: Option<&Sdp>) -> Vec<Payload> {
    let chosen = far.and_then(Sdp::voice).map(|p| p.codec);
    let voice = offer
        .payloads
        .iter()
        .find(|p| Some(p.codec) == chosen)
        .or_else(|| offer.voice())
        .cloned();
    let clock = voice.as_ref().map_or(8_000, |v| v.codec.clock());
    let mut out: Vec<Payload> = voice.into_iter().collect();
    if far.is_some_and(|a| a.telephone_event().is_some()) {
        out.extend(offer.telephone_event_for(clock).cloned());
    }
    out
}

/// What the edge answers an offer with when it answers alone (voicemail,
/// a codec change it absorbs): the offer's first voice codec the relay
/// speaks, with its parameters, and its telephone events on that clock.
pub fn own_answer(offer: &Sdp) -> Vec<Payload> {
    let mut payloads: Vec<Payload> = offer.voice().cloned().into_iter().collect();
    let clock = offer.voice().map_or(8_000, |v| v.codec.clock());
    payloads.extend(offer.telephone_event_for(clock).cloned());
    payloads
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::Codec;

    fn sdp(body: &str) -> Sdp {
        Sdp::parse(body.as_bytes()).expect("sdp")
    }

    const OFFER: &str = "v=0\r\no=a 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

    #[test]
    fn the_answer_takes_the_codec_the_far_side_chose_when_offered() {
        let far = sdp(&OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 8 101"));
        let p = answer_payloads(&sdp(OFFER), Some(&far));
        assert_eq!(
            p.iter().map(|p| p.codec).collect::<Vec<_>>(),
            vec![Codec::Pcma, Codec::TelephoneEvent]
        );
        let no_events = sdp("v=0\r\nc=IN IP4 192.0.2.20\r\nm=audio 5000 RTP/AVP 0\r\n");
        let p = answer_payloads(&sdp(OFFER), Some(&no_events));
        assert_eq!(
            p.len(),
            1,
            "no telephone events when the far side takes none"
        );
    }

    #[test]
    fn rendering_grows_the_version_and_keeps_the_session() {
        let mut s = Side::new("c".into(), 77);
        let at: SocketAddr = "203.0.113.1:30000".parse().expect("addr");
        let first = String::from_utf8(s.render(at, &own_answer(&sdp(OFFER)), Direction::SendOnly))
            .expect("utf-8");
        let second = String::from_utf8(s.render(at, &own_answer(&sdp(OFFER)), Direction::SendRecv))
            .expect("utf-8");
        assert!(first.contains("o=office-edge 77 2 "), "{first}");
        assert!(second.contains("o=office-edge 77 3 "), "{second}");
        assert_eq!(s.given, Direction::SendRecv);
    }
}
