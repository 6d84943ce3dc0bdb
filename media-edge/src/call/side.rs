//! One party of a call as the B2BUA holds it: the dialog the edge has with
//! that party's phone, and what the two agreed about media. A call has two
//! sides; a transfer gives one of them a new party.
//!
//! Also here: which payloads the edge answers an offer with, and the SDES
//! keys (RFC 4568) of a side whose stream is SRTP.

use std::net::SocketAddr;

use crate::dialog::Dialog;
use crate::sdp::{Direction, Payload, Sdp, Secured};
use crate::srtp::{Crypto, LegKeys, Suite};

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
    /// The stream's SRTP with this party, once both keys are known.
    pub srtp: Option<Sdes>,
    /// The key in the secured variant of the edge's INVITE, until an
    /// answer says whether the party took it.
    offered: Option<Crypto>,
}

/// A side's SDES keys: the edge's, the party's under the same tag, and
/// whether the profile is RTP/SAVP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdes {
    pub ours: Crypto,
    pub theirs: Crypto,
    pub savp: bool,
}

impl Sdes {
    /// Our key `ours` as `answer` took it: under its tag and suite, else
    /// the stream is not SRTP.
    fn answered(ours: Crypto, answer: &Sdp) -> Option<Self> {
        let theirs = answer
            .crypto
            .iter()
            .find(|c| c.tag == ours.tag && c.suite == ours.suite)?;
        Some(Self {
            theirs: theirs.clone(),
            savp: answer.savp,
            ours,
        })
    }
}

/// The edge's INVITE body for a side, twice: without keys for parties
/// reached over UDP or TCP, and with a fresh `a=crypto` for parties
/// reached over TLS (SDES keys only ever travel encrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub plain: Vec<u8>,
    pub secured: Vec<u8>,
}

/// The suite the edge offers (RFC 4568's mandatory one).
const OFFERED_SUITE: Suite = Suite::AesCm128HmacSha1_80;

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
            srtp: None,
            offered: None,
        }
    }

    /// The edge's SDP for this party: our address `at` facing it, these
    /// payloads and direction, our key when the stream is SRTP, the next
    /// version.
    pub fn render(&mut self, at: SocketAddr, payloads: &[Payload], dir: Direction) -> Vec<u8> {
        self.version += 1;
        self.given = dir;
        let secured = self.srtp.as_ref().map(|s| Secured {
            crypto: &s.ours,
            savp: s.savp,
        });
        Sdp::render(at, payloads, dir, secured, (self.session, self.version))
    }

    /// The edge's first offer to this side's party (an INVITE that rings
    /// it), in both variants. The secured one offers SRTP as RTP/AVP with
    /// `a=crypto`, so a phone without SRTP still answers in plain RTP.
    pub fn offer(&mut self, at: SocketAddr, payloads: &[Payload], dir: Direction) -> Offer {
        self.srtp = None;
        let plain = self.render(at, payloads, dir);
        let key = Crypto::fresh(1, OFFERED_SUITE);
        let secured = Sdp::render(
            at,
            payloads,
            dir,
            Some(Secured {
                crypto: &key,
                savp: false,
            }),
            (self.session, self.version),
        );
        self.offered = Some(key);
        Offer { plain, secured }
    }

    /// The party offered `offer` (its INVITE or re-INVITE): the stream is
    /// SRTP when it lists a suite the edge speaks (the first such; our key
    /// is kept across re-offers under the same tag and suite). False when
    /// it requires SRTP (RTP/SAVP) and lists no suite the edge speaks: the
    /// offer is refused with 488 and nothing changes.
    pub fn took_offer(&mut self, offer: &Sdp) -> bool {
        let Some(theirs) = offer.crypto.first() else {
            if offer.savp {
                return false;
            }
            self.srtp = None;
            return true;
        };
        let ours = match self.srtp.take() {
            Some(s) if s.ours.tag == theirs.tag && s.ours.suite == theirs.suite => s.ours,
            _ => Crypto::fresh(theirs.tag, theirs.suite),
        };
        self.srtp = Some(Sdes {
            ours,
            theirs: theirs.clone(),
            savp: offer.savp,
        });
        true
    }

    /// The party answered a re-offer of the edge's with `answer`: SRTP
    /// goes on while it answers our tag, else the stream is plain RTP.
    pub fn took_answer(&mut self, answer: &Sdp) {
        self.srtp = self
            .srtp
            .take()
            .and_then(|s| Sdes::answered(s.ours, answer));
    }

    /// What the relay needs to secure this side's stream, when it is SRTP.
    pub fn keys(&self) -> Option<LegKeys> {
        self.srtp.as_ref().map(|s| LegKeys {
            suite: s.ours.suite,
            ours: s.ours.key.clone(),
            theirs: s.theirs.key.clone(),
        })
    }

    /// The party answered the edge's INVITE in `dialog` with `answer`:
    /// what it sends and expects is what it answered; the stream is SRTP
    /// when it was sent the `secured` offer and answered its key's tag.
    /// The relay's terms for it, when it answered with SDP.
    pub fn answered(
        &mut self,
        dialog: Dialog,
        answer: Option<Sdp>,
        secured: bool,
    ) -> Option<crate::rtp::LegMedia> {
        self.dialog = Some(dialog);
        let offered = self.offered.take().filter(|_| secured);
        self.srtp = offered
            .zip(answer.as_ref())
            .and_then(|(ours, a)| Sdes::answered(ours, a));
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

    const KEY: &str = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

    fn dialog() -> Dialog {
        let resp = crate::sip::message::Response::parse(
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nFrom: <sip:a@x>;tag=a\r\nTo: <sip:b@x>;tag=b\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContact: <sip:b@192.0.2.20>\r\nContent-Length: 0\r\n\r\n",
        )
        .expect("response");
        Dialog::answered(
            "c",
            ("<sip:a@x>", "a"),
            &resp,
            "sip:b@192.0.2.20",
            "192.0.2.20:5060".parse().expect("addr"),
            1,
        )
    }

    #[test]
    fn an_offer_with_a_suite_we_speak_makes_the_side_srtp_and_we_answer_in_kind() {
        let mut s = Side::new("c".into(), 1);
        let at: SocketAddr = "203.0.113.1:30000".parse().expect("addr");
        let offer = sdp(&OFFER.replace(
            "RTP/AVP 0 8 101\r\n",
            &format!("RTP/SAVP 0 8 101\r\na=crypto:4 AES_CM_128_HMAC_SHA1_80 {KEY}\r\n"),
        ));
        assert!(s.took_offer(&offer));
        let keys = s.keys().expect("srtp");
        assert_eq!(keys.theirs, offer.crypto[0].key);
        let answer =
            sdp(
                &String::from_utf8(s.render(at, &own_answer(&offer), Direction::SendRecv))
                    .expect("utf-8"),
            );
        assert!(answer.savp, "RTP/SAVP is answered in kind");
        assert_eq!(answer.crypto.len(), 1);
        assert_eq!(answer.crypto[0].tag, 4, "under the offer's tag");
        assert_eq!(answer.crypto[0].key, keys.ours);
        assert_ne!(keys.ours, keys.theirs, "our own key, not an echo");

        // A re-offer under the same tag keeps our key (the relay keeps its
        // contexts); a new key of theirs is taken.
        let reoffer = sdp(&OFFER.replace(
            "RTP/AVP 0 8 101\r\n",
            &format!(
                "RTP/SAVP 0 8 101\r\na=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:{}\r\n",
                "A".repeat(40)
            ),
        ));
        assert!(s.took_offer(&reoffer));
        let again = s.keys().expect("srtp");
        assert_eq!(again.ours, keys.ours);
        assert_ne!(again.theirs, keys.theirs);

        // Plain RTP/AVP: the stream goes back to plain RTP.
        assert!(s.took_offer(&sdp(OFFER)));
        assert_eq!(s.keys(), None);
    }

    #[test]
    fn srtp_required_without_a_suite_we_speak_is_refused_and_changes_nothing() {
        let mut s = Side::new("c".into(), 1);
        let offer = sdp(&OFFER.replace(
            "RTP/AVP 0 8 101\r\n",
            &format!("RTP/AVP 0 8 101\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 {KEY}\r\n"),
        ));
        assert!(s.took_offer(&offer), "best-effort SRTP in RTP/AVP is taken");
        let before = s.keys();
        let unsupported = sdp(&OFFER.replace(
            "RTP/AVP 0 8 101\r\n",
            &format!(
                "RTP/SAVP 0 8 101\r\na=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:{}\r\n",
                "A".repeat(60)
            ),
        ));
        assert!(!s.took_offer(&unsupported));
        assert_eq!(s.keys(), before);
        let unsupported_avp = sdp(&OFFER.replace(
            "RTP/AVP 0 8 101\r\n",
            &format!("RTP/AVP 0 8 101\r\na=crypto:1 F8_128_HMAC_SHA1_80 {KEY}\r\n"),
        ));
        assert!(
            s.took_offer(&unsupported_avp),
            "RTP/AVP falls back to plain"
        );
        assert_eq!(s.keys(), None);
    }

    #[test]
    fn the_secured_offer_counts_only_when_that_variant_was_sent_and_answered() {
        let at: SocketAddr = "203.0.113.1:30000".parse().expect("addr");
        let payloads = own_answer(&sdp(OFFER));
        let mut s = Side::new("c".into(), 1);
        let offer = s.offer(at, &payloads, Direction::SendRecv);
        let plain = sdp(&String::from_utf8(offer.plain.clone()).expect("utf-8"));
        let secured = sdp(&String::from_utf8(offer.secured.clone()).expect("utf-8"));
        assert!(plain.crypto.is_empty());
        assert!(
            !secured.savp,
            "offered as RTP/AVP: a phone without SRTP still answers"
        );
        assert_eq!(secured.crypto.len(), 1);
        let ours = secured.crypto[0].clone();
        let answer_with = |tag: u32| {
            sdp(&OFFER.replace(
                "RTP/AVP 0 8 101\r\n",
                &format!("RTP/AVP 0 101\r\na=crypto:{tag} AES_CM_128_HMAC_SHA1_80 {KEY}\r\n"),
            ))
        };
        assert!(s.answered(dialog(), Some(answer_with(1)), true).is_some());
        let keys = s.keys().expect("srtp");
        assert_eq!(keys.ours, ours.key);
        let next =
            sdp(&String::from_utf8(s.render(at, &payloads, Direction::SendOnly)).expect("utf-8"));
        assert_eq!(next.crypto, vec![ours], "re-offers carry the same key");

        let mut s = Side::new("c".into(), 1);
        let _ = s.offer(at, &payloads, Direction::SendRecv);
        let _ = s.answered(dialog(), Some(answer_with(1)), false);
        assert_eq!(
            s.keys(),
            None,
            "the fork that answered was sent the plain variant"
        );
        let mut s = Side::new("c".into(), 1);
        let _ = s.offer(at, &payloads, Direction::SendRecv);
        let _ = s.answered(dialog(), Some(answer_with(2)), true);
        assert_eq!(s.keys(), None, "an answer under another tag is not ours");
        let mut s = Side::new("c".into(), 1);
        let _ = s.offer(at, &payloads, Direction::SendRecv);
        let _ = s.answered(dialog(), Some(sdp(OFFER)), true);
        assert_eq!(s.keys(), None, "answered without crypto: plain RTP");
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
