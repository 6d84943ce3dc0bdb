//! SDP (RFC 4566) as far as an anchoring B2BUA needs it: where a party
//! wants its audio, which payload types it offers, and a rewrite that puts
//! the edge's own address and port in their place (RFC 3264 offer/answer),
//! and the SDES keys (RFC 4568 `a=crypto`) of a stream that is SRTP.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use crate::srtp::Crypto;

/// The audio codecs the relay understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
    /// RFC 7587 Opus (48 kHz RTP clock); transcoded to and from G.711 when needed.
    Opus,
    /// RFC 4733 telephone events (DTMF), relayed as they are.
    TelephoneEvent,
    Other,
}

/// One payload type of the audio stream, as offered or answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub pt: u8,
    pub codec: Codec,
    /// `encoding/clock[/channels]` from `a=rtpmap`, or the static name.
    pub rtpmap: Option<String>,
    /// Its `a=fmtp` parameters, as given (`maxaveragebitrate=12000;...`).
    pub fmtp: Option<String>,
}

impl Payload {
    /// The Opus bitrate the receiver asks for (RFC 7587
    /// `maxaveragebitrate`, bits per second), if it asks.
    pub fn max_average_bitrate(&self) -> Option<u32> {
        self.fmtp.as_deref()?.split(';').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("maxaveragebitrate")
                .then(|| v.trim().parse().ok())?
        })
    }

    /// The clock rate its `a=rtpmap` names (`telephone-event/48000`).
    pub fn clock_rate(&self) -> Option<u32> {
        self.rtpmap
            .as_deref()?
            .split('/')
            .nth(1)?
            .trim()
            .parse()
            .ok()
            .filter(|c| *c > 0)
    }
}

/// The direction attribute of a media description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Codec {
    pub fn is_voice(self) -> bool {
        matches!(self, Codec::Pcmu | Codec::Pcma | Codec::Opus)
    }

    /// The RTP clock rate.
    pub fn clock(self) -> u32 {
        if self == Codec::Opus { 48_000 } else { 8_000 }
    }
}

impl Direction {
    fn attr(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }
}

/// The parts of a session description the edge acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    /// Where the party wants its RTP (None when the address is 0.0.0.0 or the port 0).
    pub audio: Option<SocketAddr>,
    pub payloads: Vec<Payload>,
    pub direction: Direction,
    /// The `m=audio` port was 0: the stream is refused.
    pub rejected: bool,
    /// The profile is RTP/SAVP (or SAVPF): SRTP is required, not offered
    /// on the side as RTP/AVP with `a=crypto` is.
    pub savp: bool,
    /// The audio stream's `a=crypto` lines the edge can honour, in the
    /// order given (the sender's preference).
    pub crypto: Vec<Crypto>,
}

/// How the edge's SDP secures its stream: this key, and whether the
/// profile says SRTP is required (RTP/SAVP) or offered (RTP/AVP).
#[derive(Debug, Clone, Copy)]
pub struct Secured<'a> {
    pub crypto: &'a Crypto,
    pub savp: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("not UTF-8")]
    Encoding,
    #[error("no audio stream")]
    NoAudio,
    #[error("malformed line {0:?}")]
    Line(String),
}

fn codec_of(pt: u8, rtpmap: Option<&str>) -> Codec {
    let name = rtpmap
        .and_then(|m| m.split('/').next())
        .map(str::to_ascii_uppercase);
    match (pt, name.as_deref()) {
        (_, Some("PCMU")) | (0, None) => Codec::Pcmu,
        (_, Some("PCMA")) | (8, None) => Codec::Pcma,
        (_, Some("OPUS")) => Codec::Opus,
        (_, Some("TELEPHONE-EVENT")) => Codec::TelephoneEvent,
        _ => Codec::Other,
    }
}

impl Sdp {
    pub fn parse(body: &[u8]) -> Result<Self, SdpError> {
        let text = std::str::from_utf8(body).map_err(|_| SdpError::Encoding)?;
        let mut session_ip: Option<IpAddr> = None;
        let mut media_ip: Option<IpAddr> = None;
        let mut in_audio = false;
        let mut seen_audio = false;
        let mut port = 0u16;
        let mut pts: Vec<u8> = Vec::new();
        let mut maps: Vec<(u8, String)> = Vec::new();
        let mut fmtps: Vec<(u8, String)> = Vec::new();
        let mut direction = Direction::SendRecv;
        let mut savp = false;
        let mut crypto = Vec::new();
        for line in text.lines() {
            let line = line.trim_end();
            let Some((kind, value)) = line.split_once('=') else {
                if line.is_empty() {
                    continue;
                }
                return Err(SdpError::Line(line.to_owned()));
            };
            match kind {
                "m" => {
                    in_audio = false;
                    let mut f = value.split_whitespace();
                    if f.next() == Some("audio") && !seen_audio {
                        seen_audio = true;
                        in_audio = true;
                        port = f
                            .next()
                            .and_then(|p| p.split('/').next())
                            .and_then(|p| p.parse().ok())
                            .ok_or_else(|| SdpError::Line(line.to_owned()))?;
                        savp = f.next().is_some_and(|p| p.contains("SAVP"));
                        pts = f.filter_map(|p| p.parse().ok()).collect();
                    }
                }
                "c" => {
                    let ip = value
                        .split_whitespace()
                        .nth(2)
                        .and_then(|a| a.split('/').next())
                        .and_then(|a| a.parse().ok())
                        .ok_or_else(|| SdpError::Line(line.to_owned()))?;
                    if in_audio {
                        media_ip = Some(ip);
                    } else if !seen_audio {
                        session_ip = Some(ip);
                    }
                }
                "a" if in_audio || !seen_audio => {
                    if let Some(m) = value.strip_prefix("rtpmap:") {
                        if let Some((pt, enc)) = m.split_once(' ')
                            && let Ok(pt) = pt.parse()
                        {
                            maps.push((pt, enc.trim().to_owned()));
                        }
                    } else if let Some(c) = value.strip_prefix("crypto:") {
                        // Lines the edge can't honour are passed over: the
                        // offerer listed them as alternatives.
                        if in_audio && let Ok(c) = Crypto::parse(c) {
                            crypto.push(c);
                        }
                    } else if let Some(f) = value.strip_prefix("fmtp:") {
                        if let Some((pt, params)) = f.split_once(' ')
                            && let Ok(pt) = pt.parse::<u8>()
                        {
                            fmtps.push((pt, params.trim().to_owned()));
                        }
                    } else {
                        direction = match value {
                            "sendonly" => Direction::SendOnly,
                            "recvonly" => Direction::RecvOnly,
                            "inactive" => Direction::Inactive,
                            "sendrecv" => Direction::SendRecv,
                            _ => direction,
                        };
                    }
                }
                _ => {}
            }
        }
        if !seen_audio {
            return Err(SdpError::NoAudio);
        }
        let ip = media_ip.or(session_ip);
        let audio = match ip {
            Some(ip) if port != 0 && !ip.is_unspecified() => Some(SocketAddr::new(ip, port)),
            _ => None,
        };
        let payloads = pts
            .iter()
            .map(|&pt| {
                let rtpmap = maps.iter().find(|(p, _)| *p == pt).map(|(_, m)| m.clone());
                let fmtp = fmtps.iter().find(|(p, _)| *p == pt).map(|(_, f)| f.clone());
                Payload {
                    pt,
                    codec: codec_of(pt, rtpmap.as_deref()),
                    rtpmap,
                    fmtp,
                }
            })
            .collect();
        Ok(Self {
            audio,
            payloads,
            direction,
            rejected: port == 0,
            savp,
            crypto,
        })
    }

    /// The first voice codec (what the party will send and expects).
    pub fn voice(&self) -> Option<&Payload> {
        self.payloads.iter().find(|p| p.codec.is_voice())
    }

    /// The telephone-event payload to pair with voice of `clock` (RFC 4733:
    /// events run on the voice stream's clock), else the first one offered.
    pub fn telephone_event_for(&self, clock: u32) -> Option<&Payload> {
        let mut events = self
            .payloads
            .iter()
            .filter(|p| p.codec == Codec::TelephoneEvent);
        let first = events.clone().next();
        events
            .find(|p| p.clock_rate().unwrap_or(8_000) == clock)
            .or(first)
    }

    fn voice_clock(&self) -> u32 {
        self.voice().map_or(8_000, |p| p.codec.clock())
    }

    /// The telephone-event payload type going with the first voice codec.
    pub fn telephone_event(&self) -> Option<u8> {
        self.telephone_event_for(self.voice_clock()).map(|p| p.pt)
    }

    /// The clock of those telephone events (8000 by default).
    pub fn telephone_event_clock(&self) -> u32 {
        self.telephone_event_for(self.voice_clock())
            .and_then(Payload::clock_rate)
            .unwrap_or(8_000)
    }

    /// A description of the edge's side: our address and port, these
    /// payloads, this direction, and our key when the stream is SRTP.
    /// `version` must grow with each change.
    pub fn render(
        at: SocketAddr,
        payloads: &[Payload],
        direction: Direction,
        secured: Option<Secured<'_>>,
        (session, version): (u64, u64),
    ) -> Vec<u8> {
        let ip = at.ip();
        let fam = if ip.is_ipv4() { "IP4" } else { "IP6" };
        let mut s = String::new();
        let _ = write!(
            s,
            "v=0\r\no=office-edge {session} {version} IN {fam} {ip}\r\ns=-\r\nc=IN {fam} {ip}\r\nt=0 0\r\n"
        );
        let pts: Vec<String> = payloads.iter().map(|p| p.pt.to_string()).collect();
        let profile = if secured.is_some_and(|s| s.savp) {
            "RTP/SAVP"
        } else {
            "RTP/AVP"
        };
        let _ = write!(s, "m=audio {} {profile} {}\r\n", at.port(), pts.join(" "));
        for p in payloads {
            let map = p.rtpmap.clone().or(match p.codec {
                Codec::Pcmu => Some("PCMU/8000".into()),
                Codec::Pcma => Some("PCMA/8000".into()),
                _ => None,
            });
            if let Some(m) = map {
                let _ = write!(s, "a=rtpmap:{} {m}\r\n", p.pt);
            }
            if p.codec == Codec::TelephoneEvent {
                let _ = write!(s, "a=fmtp:{} 0-16\r\n", p.pt);
            } else if let Some(f) = p.fmtp.as_deref().filter(|_| p.codec == Codec::Opus) {
                let _ = write!(s, "a=fmtp:{} {f}\r\n", p.pt);
            }
        }
        if let Some(sec) = secured {
            let _ = write!(s, "a=crypto:{}\r\n", sec.crypto.value());
        }
        let _ = write!(s, "a=ptime:20\r\na={}\r\n", direction.attr());
        s.into_bytes()
    }
}

/// The payloads the edge offers the far leg for an offer of `from`: the
/// offer's own voice codecs first (PCMU, PCMA, Opus), then whichever of
/// PCMU/PCMA is missing (the relay transcodes between all three), then
/// telephone-event; codecs the relay can't handle are left out.
pub fn offer_for_far_leg(from: &Sdp) -> Vec<Payload> {
    let mut out: Vec<Payload> = from
        .payloads
        .iter()
        .filter(|p| p.codec.is_voice())
        .cloned()
        .collect();
    for (codec, pt) in [(Codec::Pcmu, 0), (Codec::Pcma, 8)] {
        if !out.iter().any(|p| p.codec == codec) {
            out.push(Payload {
                pt,
                codec,
                rtpmap: None,
                fmtp: None,
            });
        }
    }
    out.push(Payload {
        pt: from.telephone_event().unwrap_or(101),
        codec: Codec::TelephoneEvent,
        rtpmap: Some("telephone-event/8000".into()),
        fmtp: None,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\nm=video 6002 RTP/AVP 96\r\nc=IN IP4 10.9.9.9\r\n";

    #[test]
    fn an_offer_gives_address_codecs_and_direction() {
        let s = Sdp::parse(OFFER.as_bytes()).expect("parse");
        assert_eq!(s.audio, Some("10.0.0.5:6000".parse().expect("addr")));
        assert_eq!(s.voice().map(|p| (p.pt, p.codec)), Some((8, Codec::Pcma)));
        assert_eq!(
            s.payloads[1].codec,
            Codec::Pcmu,
            "static type without rtpmap"
        );
        assert_eq!(s.telephone_event(), Some(101));
        assert_eq!(s.telephone_event_clock(), 8_000);
        assert_eq!(s.direction, Direction::SendRecv);
        assert!(!s.rejected);
    }

    #[test]
    fn telephone_events_are_paired_with_the_voice_clock() {
        let offer = "v=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 6000 RTP/AVP 111 0 101 97\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/48000\r\na=rtpmap:97 telephone-event/8000\r\n";
        let s = Sdp::parse(offer.as_bytes()).expect("parse");
        assert_eq!(s.telephone_event_for(8_000).map(|p| p.pt), Some(97));
        assert_eq!(s.telephone_event_for(48_000).map(|p| p.pt), Some(101));
        assert_eq!(
            s.telephone_event_for(16_000).map(|p| p.pt),
            Some(101),
            "else the first"
        );
        assert_eq!(
            (s.telephone_event(), s.telephone_event_clock()),
            (Some(101), 48_000)
        );
    }

    #[test]
    fn opus_is_a_voice_codec_and_g711_is_added_for_the_far_leg() {
        let offer = "v=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 6000 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/48000\r\n";
        let s = Sdp::parse(offer.as_bytes()).expect("parse");
        assert_eq!(s.voice().map(|p| (p.pt, p.codec)), Some((111, Codec::Opus)));
        assert_eq!(s.telephone_event_clock(), 48_000);
        let far = offer_for_far_leg(&s);
        assert_eq!(
            far.iter().map(|p| (p.pt, p.codec)).collect::<Vec<_>>(),
            vec![
                (111, Codec::Opus),
                (0, Codec::Pcmu),
                (8, Codec::Pcma),
                (101, Codec::TelephoneEvent)
            ]
        );
        let text = String::from_utf8(Sdp::render(
            "192.0.2.1:30000".parse().expect("addr"),
            &far,
            Direction::SendRecv,
            None,
            (1, 1),
        ))
        .expect("utf-8");
        assert!(text.contains("a=rtpmap:111 opus/48000/2\r\n"), "{text}");
    }

    #[test]
    fn hold_and_rejection_are_seen() {
        let hold = OFFER
            .replace("c=IN IP4 10.0.0.5", "c=IN IP4 0.0.0.0")
            .replace("a=sendrecv", "a=sendonly");
        let s = Sdp::parse(hold.as_bytes()).expect("parse");
        assert_eq!(s.audio, None);
        assert_eq!(s.direction, Direction::SendOnly);
        let rejected = OFFER.replace("m=audio 6000", "m=audio 0");
        assert!(Sdp::parse(rejected.as_bytes()).expect("parse").rejected);
        assert_eq!(
            Sdp::parse(b"v=0\r\nm=video 1 RTP/AVP 96\r\n"),
            Err(SdpError::NoAudio)
        );
    }

    #[test]
    fn crypto_lines_and_the_profile_are_read_and_written() {
        let offer = OFFER
            .replace("RTP/AVP 8 0 101", "RTP/SAVP 8 0 101")
            .replace(
                "a=sendrecv\r\n",
                "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRPS1uQCVeeCFCanVmcjkpPywjNWhcYD0m\r\n\
                 a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n\
                 a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^31\r\na=sendrecv\r\n",
            );
        let s = Sdp::parse(offer.as_bytes()).expect("parse");
        assert!(s.savp);
        assert_eq!(
            s.crypto
                .iter()
                .map(|c| (c.tag, c.suite))
                .collect::<Vec<_>>(),
            vec![
                (2, crate::srtp::Suite::AesCm128HmacSha1_32),
                (3, crate::srtp::Suite::AesCm128HmacSha1_80)
            ],
            "the AES-256 line is passed over"
        );
        assert!(!Sdp::parse(OFFER.as_bytes()).expect("parse").savp);
        let ours = crate::srtp::Crypto::fresh(3, crate::srtp::Suite::AesCm128HmacSha1_80);
        for savp in [true, false] {
            let out = Sdp::render(
                "192.0.2.1:30000".parse().expect("addr"),
                &offer_for_far_leg(&s),
                Direction::SendRecv,
                Some(Secured {
                    crypto: &ours,
                    savp,
                }),
                (1, 1),
            );
            let back = Sdp::parse(&out).expect("reparse");
            assert_eq!(back.savp, savp);
            assert_eq!(back.crypto, vec![ours.clone()]);
        }
    }

    #[test]
    fn the_rewrite_points_at_the_edge_and_parses_back() {
        let s = Sdp::parse(OFFER.as_bytes()).expect("parse");
        let ours = offer_for_far_leg(&s);
        assert_eq!(
            ours.iter().map(|p| p.pt).collect::<Vec<_>>(),
            vec![8, 0, 101],
            "PCMU was offered by the caller already; no duplicate"
        );
        let out = Sdp::render(
            "192.0.2.1:30000".parse().expect("addr"),
            &ours,
            Direction::SendRecv,
            None,
            (7, 1),
        );
        let back = Sdp::parse(&out).expect("reparse");
        assert_eq!(back.audio, Some("192.0.2.1:30000".parse().expect("addr")));
        assert_eq!(back.payloads.len(), 3);
        assert_eq!(back.telephone_event(), Some(101));
    }
}
