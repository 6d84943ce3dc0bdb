//! The RTP relay that anchors a call's media at the edge.
//!
//! Each call gets one port pair (RTP even, RTCP odd) facing each leg.
//! What arrives on one leg's pair goes out of the other's, to the address
//! the far party really sends from (symmetric latching: phones behind NAT
//! never know their public port). Voice is transcoded between µ-law and
//! A-law when the legs settled on different laws; RFC 4733 events keep
//! their payload but take the far leg's payload type. Loss and jitter are
//! measured per leg as RFC 3550 describes, and a recorder may tap both
//! directions. A leg whose party negotiated SRTP has its packets opened
//! as they arrive and sealed as they leave ([`crate::srtp`]), so the other
//! leg may be plain RTP or SRTP under its own keys, and everything in
//! between (transcoding, DTMF, recording) sees clear RTP.
//!
//! [`Media`] is the sans-IO core (one packet in, at most one out); the
//! tokio tasks in [`Relay`] only move datagrams.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::g711;
use crate::recording::Recorder;
use crate::sdp::{Codec, Payload, Sdp};
use crate::srtp::{LegCrypto, LegKeys};

/// The two sides of a call: A is the caller's leg, B the callee's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    A = 0,
    B = 1,
}

impl Leg {
    pub fn other(self) -> Self {
        match self {
            Self::A => Self::B,
            Self::B => Self::A,
        }
    }

    fn i(self) -> usize {
        self as usize
    }
}

/// Receive statistics of one leg (what its party sent us), RFC 3550 A.3 / A.8.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    pub packets: u64,
    pub bytes: u64,
    pub lost: u64,
    /// Interarrival jitter in milliseconds.
    pub jitter_ms: f64,
    pub rtcp_packets: u64,
}

#[derive(Debug, Default)]
struct Receiver {
    stats: Stats,
    base_seq: Option<u16>,
    max_seq: u16,
    cycles: u64,
    transit: Option<i64>,
    jitter: f64,
}

impl Receiver {
    fn on_packet(&mut self, seq: u16, ts: u32, arrival_units: i64, len: usize) {
        self.stats.packets += 1;
        self.stats.bytes += len as u64;
        match self.base_seq {
            None => {
                self.base_seq = Some(seq);
                self.max_seq = seq;
            }
            Some(_) => {
                let delta = seq.wrapping_sub(self.max_seq);
                if delta != 0 && delta < 0x8000 {
                    if seq < self.max_seq {
                        self.cycles += 1 << 16;
                    }
                    self.max_seq = seq;
                }
            }
        }
        let transit = arrival_units - i64::from(ts);
        if let Some(prev) = self.transit {
            let d = (transit - prev).abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
        let base = u64::from(self.base_seq.unwrap_or(seq));
        let expected = self.cycles + u64::from(self.max_seq) - base + 1;
        self.stats.lost = expected.saturating_sub(self.stats.packets);
        self.stats.jitter_ms = self.jitter / 8.0;
    }
}

/// What one leg's party negotiated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegMedia {
    /// From its SDP, until a packet shows the real source.
    pub remote: Option<SocketAddr>,
    /// The voice payload type and codec it sends and expects.
    pub voice: Option<(u8, Codec)>,
    pub telephone_event: Option<u8>,
    /// The clock of its telephone events (0 means 8000).
    pub event_clock: u32,
    /// The Opus bitrate it asked to receive (bits/s), e.g. 8000 in
    /// low-quality mode; the encoder's own choice otherwise.
    pub opus_bitrate: Option<u32>,
    /// Its SRTP keys, when its stream is SRTP (set from the call's side,
    /// not from the SDP alone: our key is in the SDP we sent it).
    pub srtp: Option<LegKeys>,
}

impl LegMedia {
    pub fn from_sdp(sdp: &Sdp) -> Self {
        Self {
            remote: sdp.audio,
            voice: sdp.voice().map(|p| (p.pt, p.codec)),
            telephone_event: sdp.telephone_event(),
            event_clock: sdp.telephone_event_clock(),
            opus_bitrate: sdp.voice().and_then(Payload::max_average_bitrate),
            srtp: None,
        }
    }

    /// A party as the edge answered it: the address from its SDP, the
    /// voice and telephone-event payloads from the answer it was given.
    pub fn answered(sdp: &Sdp, payloads: &[Payload]) -> Self {
        let event = payloads.iter().find(|p| p.codec == Codec::TelephoneEvent);
        Self {
            remote: sdp.audio,
            voice: payloads
                .iter()
                .find(|p| p.codec.is_voice())
                .map(|p| (p.pt, p.codec)),
            telephone_event: event.map(|p| p.pt),
            event_clock: event.and_then(Payload::clock_rate).unwrap_or(8_000),
            opus_bitrate: payloads
                .iter()
                .find(|p| p.codec.is_voice())
                .and_then(Payload::max_average_bitrate),
            srtp: None,
        }
    }

    fn event_clock(&self) -> u32 {
        if self.event_clock == 0 {
            8_000
        } else {
            self.event_clock
        }
    }
}

/// Whether voice from a `from` party to a `to` party is decoded and
/// encoded again (the two laws of G.711 are mapped byte by byte instead).
fn reencoded(from: Codec, to: Codec) -> bool {
    to != from && (to == Codec::Opus || from == Codec::Opus)
}

/// An RTP timestamp of a `from` stream in the clock of a re-encoded `to` stream.
fn rescale(ts: u32, from: Codec, to: Codec) -> u32 {
    if to == Codec::Opus {
        ts.wrapping_mul(Codec::Opus.clock() / from.clock())
    } else {
        ts / (from.clock() / to.clock())
    }
}

#[derive(Debug, Default)]
struct Side {
    media: LegMedia,
    latched: Option<(SocketAddr, Instant)>,
    rtcp: Option<SocketAddr>,
    rx: Receiver,
    /// RTP timestamp of the last telephone event reported (its end is sent three times).
    last_event: Option<u32>,
    /// Decodes what this party sends, when it speaks Opus.
    decoder: Option<opus::Decoder>,
    /// Encodes what this party is sent, when that needs re-encoding.
    encoder: Encoding,
    /// Opens what it sends and seals what it is sent, on an SRTP leg.
    crypto: Option<LegCrypto>,
}

impl Side {
    /// The SRTP contexts for `keys`: kept while the keys stay (their
    /// rollover counters and replay windows go on), new when they change.
    fn secure(&mut self, keys: Option<&LegKeys>) {
        if self.crypto.as_ref().map(LegCrypto::keys) == keys {
            return;
        }
        self.crypto = keys.and_then(|k| {
            LegCrypto::new(k.clone())
                .map_err(|e| tracing::warn!(error = %e, "SRTP context refused its keys"))
                .ok()
        });
    }
}

/// Re-encoding towards one party: the Opus encoder, samples waiting for a
/// whole Opus frame, and the RTP timestamp of the next packet.
#[derive(Default)]
struct Encoding {
    opus: Option<opus::Encoder>,
    /// The bitrate the party asked for, and the one the encoder has.
    bitrate: Option<u32>,
    applied: Option<u32>,
    fifo: Vec<i16>,
    /// Timestamp (in the output clock) of the first sample waiting.
    next_ts: Option<u32>,
    /// Sequence number of the next packet sent (ours: a packet in may give none out).
    next_seq: Option<u16>,
}

/// A re-encoded packet: payload, timestamp, sequence number, and whether
/// the stream restarted (a gap in the input: marker bit).
type Encoded = (Vec<u8>, u32, u16, bool);

impl std::fmt::Debug for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoding")
            .field("waiting", &self.fifo.len())
            .finish_non_exhaustive()
    }
}

/// 8 kHz samples in 20, 40 and 60 ms: the Opus frame sizes used.
const OPUS_FRAME: usize = 160;
const OPUS_MAX_FRAME: usize = 480;

impl Encoding {
    /// The next sequence number of the re-encoded stream (which starts at
    /// the first input's): voice and telephone events share it.
    fn take_seq(&mut self, in_seq: u16) -> u16 {
        let seq = *self.next_seq.get_or_insert(in_seq);
        self.next_seq = Some(seq.wrapping_add(1));
        seq
    }

    /// `pcm` (8 kHz) in `out` codec; `None` while an Opus frame is still
    /// filling. `in_ts` is the input packet's timestamp in the output clock:
    /// timestamps follow the input, so silence suppression or loss keeps
    /// its real length; a gap drops what was waiting and restarts there.
    fn encode(&mut self, out: Codec, pcm: &[i16], in_ts: u32, in_seq: u16) -> Option<Encoded> {
        let scale = out.clock() / 8_000;
        let waiting = u32::try_from(self.fifo.len()).unwrap_or(0) * scale;
        let restarted = match self.next_ts {
            Some(start) if !self.fifo.is_empty() && start.wrapping_add(waiting) == in_ts => false,
            Some(start) if self.fifo.is_empty() && start == in_ts => false,
            Some(_) => {
                self.fifo.clear();
                self.next_ts = Some(in_ts);
                true
            }
            None => {
                self.next_ts = Some(in_ts);
                false
            }
        };
        self.fifo.extend_from_slice(pcm);
        let n = if out == Codec::Opus {
            (self.fifo.len() - self.fifo.len() % OPUS_FRAME).min(OPUS_MAX_FRAME)
        } else {
            self.fifo.len()
        };
        if n == 0 {
            return None;
        }
        let ts = *self.next_ts.get_or_insert(in_ts);
        self.next_ts = Some(ts.wrapping_add(u32::try_from(n).unwrap_or(0) * scale));
        let seq = self.take_seq(in_seq);
        let payload = match out {
            Codec::Opus => {
                let enc = match self.opus.as_mut() {
                    Some(e) => e,
                    None => self.opus.insert(
                        opus::Encoder::new(8_000, opus::Channels::Mono, opus::Application::Voip)
                            .ok()?,
                    ),
                };
                if self.applied != self.bitrate {
                    // RFC 7587: 6 to 510 kbit/s; our 8 kHz input needs no more than 64.
                    let b = self.bitrate.map_or(opus::Bitrate::Auto, |b| {
                        opus::Bitrate::Bits(i32::try_from(b.clamp(6_000, 64_000)).unwrap_or(64_000))
                    });
                    if enc.set_bitrate(b).is_ok() {
                        self.applied = self.bitrate;
                    }
                }
                let mut buf = [0u8; 400];
                let len = enc.encode(&self.fifo[..n], &mut buf).ok()?;
                buf[..len].to_vec()
            }
            Codec::Pcma => self.fifo[..n]
                .iter()
                .map(|&v| g711::alaw_encode(v))
                .collect(),
            _ => self.fifo[..n]
                .iter()
                .map(|&v| g711::ulaw_encode(v))
                .collect(),
        };
        self.fifo.drain(..n);
        Some((payload, ts, seq, restarted))
    }
}

/// Decodes a voice payload to 8 kHz samples.
fn decode_voice(
    codec: Codec,
    payload: &[u8],
    decoder: &mut Option<opus::Decoder>,
    out: &mut Vec<i16>,
) {
    match codec {
        Codec::Opus => {
            let dec = match decoder.as_mut() {
                Some(d) => d,
                None => match opus::Decoder::new(8_000, opus::Channels::Mono) {
                    Ok(d) => decoder.insert(d),
                    Err(_) => return,
                },
            };
            let mut buf = [0i16; 960];
            if let Ok(n) = dec.decode(payload, &mut buf, false) {
                out.extend_from_slice(&buf[..n.min(buf.len())]);
            }
        }
        c => g711::decode(c == Codec::Pcma, payload, out),
    }
}

/// How long a latched source must be silent before another may take over.
const RELATCH_AFTER_MS: u128 = 1_000;

/// The relay's state for one call, without sockets.
#[derive(Debug)]
pub struct Media {
    sides: [Side; 2],
    started: Instant,
    /// When either party last sent RTP or RTCP.
    last_heard: Instant,
    recorder: Option<Recorder>,
    scratch: Vec<i16>,
    /// Where finished DTMF digits are reported (feature codes).
    digits: Option<tokio::sync::mpsc::UnboundedSender<(Leg, char)>>,
}

impl Default for Media {
    fn default() -> Self {
        Self {
            sides: [Side::default(), Side::default()],
            started: Instant::now(),
            last_heard: Instant::now(),
            recorder: None,
            scratch: Vec::with_capacity(320),
            digits: None,
        }
    }
}

impl Media {
    pub fn set_leg(&mut self, leg: Leg, m: LegMedia) {
        let side = &mut self.sides[leg.i()];
        if side.latched.is_some_and(|(a, _)| Some(a) != m.remote) && m.remote.is_some() {
            // A new offer moved the party: follow it until packets say otherwise.
            side.latched = None;
            side.rtcp = None;
        }
        side.encoder.bitrate = m.opus_bitrate;
        side.secure(m.srtp.as_ref());
        side.media = m;
    }

    /// A new party on `leg` (a transfer): what it negotiated, and nothing of
    /// the party before (latching, statistics, codec state) carried over.
    pub fn replace_leg(&mut self, leg: Leg, m: LegMedia) {
        let side = &mut self.sides[leg.i()];
        *side = Side::default();
        side.encoder.bitrate = m.opus_bitrate;
        side.secure(m.srtp.as_ref());
        side.media = m;
    }

    /// Reports every DTMF digit either party presses (RFC 4733) to `tx`.
    pub fn report_digits(&mut self, tx: tokio::sync::mpsc::UnboundedSender<(Leg, char)>) {
        self.digits = Some(tx);
    }

    /// Where packets for `leg`'s party go, and the payload type and codec it expects.
    pub fn sink(&self, leg: Leg) -> Option<(SocketAddr, u8, Codec)> {
        let side = &self.sides[leg.i()];
        let to = side.latched.map(|(a, _)| a).or(side.media.remote)?;
        let (pt, codec) = side.media.voice?;
        Some((to, pt, codec))
    }

    pub fn stats(&self, leg: Leg) -> Stats {
        self.sides[leg.i()].rx.stats
    }

    pub fn start_recording(&mut self, r: Recorder) -> Option<Recorder> {
        self.recorder.replace(r)
    }

    pub fn stop_recording(&mut self) -> Option<Recorder> {
        self.recorder.take()
    }

    /// How long neither party has sent RTP or RTCP.
    pub fn silent_for(&self, now: Instant) -> std::time::Duration {
        now.saturating_duration_since(self.last_heard)
    }

    /// Time on the relay's clock (what recordings are placed by).
    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    pub fn recording(&self) -> bool {
        self.recorder.is_some()
    }

    fn latch(side: &mut Side, src: SocketAddr, now: Instant) -> bool {
        match side.latched {
            Some((a, _)) if a == src => {
                side.latched = Some((src, now));
                true
            }
            Some((_, last)) if now.duration_since(last).as_millis() < RELATCH_AFTER_MS => false,
            _ => {
                side.latched = Some((src, now));
                true
            }
        }
    }

    /// One RTP packet from `leg`'s party: the packet to send to the other
    /// leg and where, if anywhere.
    pub fn on_rtp(
        &mut self,
        leg: Leg,
        src: SocketAddr,
        packet: &mut Vec<u8>,
        now: Instant,
    ) -> Option<SocketAddr> {
        if packet.len() < 12 || packet[0] >> 6 != 2 {
            return None;
        }
        if let Some(c) = self.sides[leg.i()].crypto.as_mut()
            && !c.open_rtp(packet)
        {
            // Forged, damaged or replayed: it neither latches nor counts.
            return None;
        }
        let csrc = usize::from(packet[0] & 0x0F);
        let mut header = 12 + 4 * csrc;
        if packet[0] & 0x10 != 0 && packet.len() >= header + 4 {
            let words = usize::from(u16::from_be_bytes([packet[header + 2], packet[header + 3]]));
            header += 4 + 4 * words;
        }
        if packet.len() < header {
            return None;
        }
        let pt = packet[1] & 0x7F;
        let seq = u16::from_be_bytes([packet[2], packet[3]]);
        let ts = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
        let elapsed = now.duration_since(self.started);
        let units = i64::try_from(elapsed.as_micros() * 8 / 1000).unwrap_or(i64::MAX);
        {
            let side = &mut self.sides[leg.i()];
            if !Self::latch(side, src, now) {
                return None;
            }
            side.rx.on_packet(seq, ts, units, packet.len() - header);
            self.last_heard = now;
        }
        let (from_voice, from_te) = {
            let m = &self.sides[leg.i()].media;
            (m.voice, m.telephone_event)
        };
        let (to_voice, to_te) = {
            let m = &self.sides[leg.other().i()].media;
            (m.voice, m.telephone_event)
        };
        if let Some((vpt, cin)) = from_voice
            && pt == vpt
        {
            let reencode = to_voice.is_some_and(|(_, out)| reencoded(cin, out));
            if reencode || self.recorder.is_some() {
                self.scratch.clear();
                decode_voice(
                    cin,
                    &packet[header..],
                    &mut self.sides[leg.i()].decoder,
                    &mut self.scratch,
                );
            }
            if let Some(r) = self.recorder.as_mut() {
                // The recorder places samples by 8 kHz timestamps.
                let ts8 = ts / (cin.clock() / 8_000);
                r.write(leg, ts8, elapsed, &self.scratch);
            }
            if let Some((out_pt, out)) = to_voice {
                if reencode {
                    // This packet's timestamp in the far side's clock.
                    let scaled = rescale(ts, cin, out);
                    let (payload, out_ts, out_seq, restarted) = self.sides[leg.other().i()]
                        .encoder
                        .encode(out, &self.scratch, scaled, seq)?;
                    packet.truncate(header);
                    packet.extend_from_slice(&payload);
                    packet[2..4].copy_from_slice(&out_seq.to_be_bytes());
                    packet[4..8].copy_from_slice(&out_ts.to_be_bytes());
                    if restarted {
                        packet[1] |= 0x80;
                    }
                } else if out != cin {
                    g711::transcode(out == Codec::Pcma, &mut packet[header..]);
                }
                packet[1] = (packet[1] & 0x80) | out_pt;
            }
        } else if from_te == Some(pt) {
            // RFC 4733: event, E bit + volume, duration. A digit counts once,
            // at its end (sent three times with the same timestamp).
            if packet.len() >= header + 4 && packet[header + 1] & 0x80 != 0 {
                let side = &mut self.sides[leg.i()];
                if side.last_event != Some(ts) {
                    side.last_event = Some(ts);
                    let digit = match packet[header] {
                        d @ 0..=9 => Some(char::from(b'0' + d)),
                        10 => Some('*'),
                        11 => Some('#'),
                        _ => None,
                    };
                    if let (Some(d), Some(tx)) = (digit, &self.digits) {
                        let _ = tx.send((leg, d));
                    }
                }
            }
            if let Some(out_pt) = to_te {
                self.event_across(leg, packet, header, seq, ts);
                packet[1] = (packet[1] & 0x80) | out_pt;
            }
        }
        let other = &self.sides[leg.other().i()];
        let dest = other.latched.map(|(a, _)| a).or(other.media.remote)?;
        self.seal(leg.other(), packet).then_some(dest)
    }

    /// Seals a packet the edge itself sends to `leg`'s party (a prompt),
    /// when that leg is SRTP; false when it can't go.
    pub fn seal(&mut self, leg: Leg, packet: &mut Vec<u8>) -> bool {
        self.sides[leg.i()]
            .crypto
            .as_mut()
            .is_none_or(|c| c.seal_rtp(packet))
    }

    /// Fits a telephone event from `leg` to the other party's stream: its
    /// duration into that party's event clock, and where voice towards it
    /// is re-encoded, the timestamp into that stream's clock and the
    /// sequence number into the encoder's (one stream, one numbering).
    fn event_across(&mut self, leg: Leg, packet: &mut [u8], header: usize, seq: u16, ts: u32) {
        let (from, to) = (
            &self.sides[leg.i()].media,
            &self.sides[leg.other().i()].media,
        );
        let (from_clock, to_clock) = (from.event_clock(), to.event_clock());
        let voices = from.voice.zip(to.voice).map(|((_, a), (_, b))| (a, b));
        if from_clock != to_clock && packet.len() >= header + 4 {
            let d = u64::from(u16::from_be_bytes([packet[header + 2], packet[header + 3]]));
            let scaled =
                u16::try_from(d * u64::from(to_clock) / u64::from(from_clock)).unwrap_or(u16::MAX);
            packet[header + 2..header + 4].copy_from_slice(&scaled.to_be_bytes());
        }
        if let Some((cin, out)) = voices
            && reencoded(cin, out)
        {
            let out_seq = self.sides[leg.other().i()].encoder.take_seq(seq);
            packet[2..4].copy_from_slice(&out_seq.to_be_bytes());
            packet[4..8].copy_from_slice(&rescale(ts, cin, out).to_be_bytes());
        }
    }

    /// One RTCP packet from `leg`'s party (SRTCP on an SRTP leg), made
    /// ready for the other leg in place: where to send it.
    pub fn on_rtcp(
        &mut self,
        leg: Leg,
        src: SocketAddr,
        packet: &mut Vec<u8>,
    ) -> Option<SocketAddr> {
        let side = &mut self.sides[leg.i()];
        if let Some(c) = side.crypto.as_mut()
            && !c.open_rtcp(packet)
        {
            return None;
        }
        self.last_heard = Instant::now();
        side.rtcp = Some(src);
        side.rx.stats.rtcp_packets += 1;
        let other = &mut self.sides[leg.other().i()];
        let dest = other.rtcp.or_else(|| {
            other
                .latched
                .map(|(a, _)| a)
                .or(other.media.remote)
                .map(|a| SocketAddr::new(a.ip(), a.port().wrapping_add(1)))
        })?;
        if let Some(c) = other.crypto.as_mut()
            && !c.seal_rtcp(packet)
        {
            return None;
        }
        Some(dest)
    }
}

/// Hands out even/odd port pairs from a range, skipping ports in use.
#[derive(Debug)]
pub struct PortPool {
    ip: IpAddr,
    min: u16,
    max: u16,
    next: AtomicU16,
}

impl PortPool {
    /// `min..max` (even `min`); the pool wraps around.
    pub fn new(ip: IpAddr, min: u16, max: u16) -> Self {
        let min = min & !1;
        Self {
            ip,
            min,
            max: max.max(min + 2),
            next: AtomicU16::new(min),
        }
    }

    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// Binds an RTP/RTCP pair.
    pub async fn pair(&self) -> std::io::Result<(UdpSocket, UdpSocket)> {
        let span = (self.max - self.min) / 2;
        for _ in 0..span.min(512) {
            let mut port = self.next.fetch_add(2, Ordering::Relaxed);
            if port < self.min || port.saturating_add(1) >= self.max {
                // Several callers may wrap at once; any of them resetting is fine.
                self.next.store(self.min + 2, Ordering::Relaxed);
                port = self.min;
            }
            let Ok(rtp) = UdpSocket::bind((self.ip, port)).await else {
                continue;
            };
            if let Ok(rtcp) = UdpSocket::bind((self.ip, port + 1)).await {
                return Ok((rtp, rtcp));
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no free RTP port pair in the media range",
        ))
    }
}

/// A call's media anchor: two port pairs and the tasks that move packets.
#[derive(Debug)]
pub struct Relay {
    pub media: Arc<Mutex<Media>>,
    local: [SocketAddr; 2],
    rtp: [Arc<UdpSocket>; 2],
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Relay {
    pub async fn open(pool: &PortPool) -> std::io::Result<Self> {
        let (a_rtp, a_rtcp) = pool.pair().await?;
        let (b_rtp, b_rtcp) = pool.pair().await?;
        let local = [a_rtp.local_addr()?, b_rtp.local_addr()?];
        let media = Arc::new(Mutex::new(Media::default()));
        let rtp: [Arc<UdpSocket>; 2] = [Arc::new(a_rtp), Arc::new(b_rtp)];
        let rtcp = [Arc::new(a_rtcp), Arc::new(b_rtcp)];
        let mut tasks = Vec::with_capacity(4);
        for leg in [Leg::A, Leg::B] {
            let (inbound, outbound) = (rtp[leg.i()].clone(), rtp[leg.other().i()].clone());
            let m = media.clone();
            tasks.push(tokio::spawn(async move {
                // Received into spare capacity: no zeroing per packet.
                let mut buf: Vec<u8> = Vec::with_capacity(2048);
                loop {
                    buf.clear();
                    let Ok((_, src)) = inbound.recv_buf_from(&mut buf).await else {
                        continue;
                    };
                    let dest = match m.lock() {
                        Ok(mut m) => m.on_rtp(leg, src, &mut buf, Instant::now()),
                        Err(_) => return,
                    };
                    if let Some(dest) = dest {
                        let _ = outbound.send_to(&buf, dest).await;
                    }
                }
            }));
            let (inbound, outbound) = (rtcp[leg.i()].clone(), rtcp[leg.other().i()].clone());
            let m = media.clone();
            tasks.push(tokio::spawn(async move {
                let mut buf: Vec<u8> = Vec::with_capacity(2048);
                loop {
                    buf.clear();
                    let Ok((_, src)) = inbound.recv_buf_from(&mut buf).await else {
                        continue;
                    };
                    let dest = match m.lock() {
                        Ok(mut m) => m.on_rtcp(leg, src, &mut buf),
                        Err(_) => return,
                    };
                    if let Some(dest) = dest {
                        let _ = outbound.send_to(&buf, dest).await;
                    }
                }
            }));
        }
        Ok(Self {
            media,
            local,
            rtp,
            tasks,
        })
    }

    /// The edge's address facing `leg` (what goes in that leg's SDP).
    pub fn local(&self, leg: Leg) -> SocketAddr {
        self.local[leg.i()]
    }

    /// Plays `samples` to `leg`'s party from the edge (20 ms packets in its
    /// law), then returns. Nothing is sent while its address is unknown.
    pub fn play(
        &self,
        leg: Leg,
        samples: &'static [i16],
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.player(leg)(samples)
    }

    /// What plays samples known only later (spoken or loaded first) to
    /// `leg`, as [`Relay::play`] does.
    pub fn player<S: AsRef<[i16]> + Send + 'static>(
        &self,
        leg: Leg,
    ) -> impl FnOnce(S) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + 'static
    {
        let socket = self.rtp[leg.i()].clone();
        let media = self.media.clone();
        move |samples: S| Box::pin(async move { play(socket, media, leg, samples.as_ref()).await })
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Media) -> T) -> Option<T> {
        self.media.lock().ok().map(|mut m| f(&mut m))
    }
}

async fn play(socket: Arc<UdpSocket>, media: Arc<Mutex<Media>>, leg: Leg, samples: &[i16]) {
    let ssrc: u32 = rand::random();
    let mut seq: u16 = rand::random();
    let mut ts: u32 = rand::random();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut encoding = Encoding::default();
    let mut packet = Vec::with_capacity(172);
    for (i, frame) in samples.chunks(OPUS_FRAME).enumerate() {
        tick.tick().await;
        let Some((to, pt, codec)) = media.lock().ok().and_then(|m| m.sink(leg)) else {
            continue;
        };
        let scaled = ts;
        let Some((payload, _, _, _)) = encoding.encode(codec, frame, scaled, seq) else {
            continue;
        };
        packet.clear();
        packet.push(0x80);
        packet.push(if i == 0 { 0x80 | pt } else { pt });
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&ts.to_be_bytes());
        packet.extend_from_slice(&ssrc.to_be_bytes());
        packet.extend_from_slice(&payload);
        if !media.lock().is_ok_and(|mut m| m.seal(leg, &mut packet)) {
            continue;
        }
        let _ = socket.send_to(&packet, to).await;
        seq = seq.wrapping_add(1);
        ts = ts.wrapping_add(u32::try_from(frame.len()).unwrap_or(0) * (codec.clock() / 8_000));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(pt: u8, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, pt];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("addr")
    }

    fn leg(remote: Option<&str>, voice: (u8, Codec), te: Option<u8>, clock: u32) -> LegMedia {
        LegMedia {
            remote: remote.map(addr),
            voice: Some(voice),
            telephone_event: te,
            event_clock: clock,
            ..LegMedia::default()
        }
    }

    fn legs(a: LegMedia, b: LegMedia) -> Media {
        let mut m = Media::default();
        m.set_leg(Leg::A, a);
        m.set_leg(Leg::B, b);
        m
    }

    #[test]
    fn packets_go_to_the_latched_source_of_the_other_leg() {
        let mut m = legs(
            leg(Some("10.0.0.5:6000"), (0, Codec::Pcmu), Some(101), 8_000),
            leg(Some("10.0.0.6:7000"), (0, Codec::Pcmu), Some(96), 8_000),
        );
        let now = Instant::now();
        let mut p = packet(0, 1, 160, &[0xFF; 160]);
        assert_eq!(
            m.on_rtp(Leg::A, addr("203.0.113.9:41000"), &mut p, now),
            Some(addr("10.0.0.6:7000")),
            "B has sent nothing yet: its SDP address"
        );
        let mut q = packet(0, 9, 160, &[0xFF; 160]);
        assert_eq!(
            m.on_rtp(Leg::B, addr("198.51.100.7:50000"), &mut q, now),
            Some(addr("203.0.113.9:41000")),
            "A latched to where its packets come from, not its SDP"
        );
        let mut forged = packet(0, 2, 320, &[0xFF; 160]);
        assert_eq!(
            m.on_rtp(Leg::A, addr("192.0.2.66:1"), &mut forged, now),
            None,
            "another source can't take over a live leg"
        );
        let mut dtmf = packet(101, 3, 480, &[1, 0x0A, 0, 160]);
        m.on_rtp(Leg::A, addr("203.0.113.9:41000"), &mut dtmf, now);
        assert_eq!(dtmf[1] & 0x7F, 96, "event payload type of the far leg");
        assert_eq!(m.stats(Leg::A).packets, 2);
    }

    #[test]
    fn voice_is_transcoded_between_laws() {
        let mut m = legs(
            leg(None, (0, Codec::Pcmu), None, 8_000),
            leg(Some("10.0.0.6:7000"), (8, Codec::Pcma), None, 8_000),
        );
        let loud = g711::ulaw_encode(12_000);
        let mut p = packet(0, 1, 0, &[loud; 160]);
        m.on_rtp(Leg::A, addr("10.0.0.5:6000"), &mut p, Instant::now());
        assert_eq!(p[1] & 0x7F, 8);
        let back = g711::alaw_decode(p[12]);
        assert!((i32::from(back) - 12_000).abs() < 800, "{back}");
    }

    #[test]
    fn opus_and_g711_are_transcoded_both_ways() {
        let mut m = legs(
            leg(Some("10.0.0.5:6000"), (111, Codec::Opus), None, 8_000),
            leg(Some("10.0.0.6:7000"), (0, Codec::Pcmu), None, 8_000),
        );
        let now = Instant::now();
        // B speaks a 440 Hz tone in PCMU; A must get Opus that decodes back to it.
        let tone: Vec<i16> = (0..160 * 50)
            .map(|i| {
                ((f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / 8000.0).sin() * 8000.0) as i16
            })
            .collect();
        let mut opus_out = Vec::new();
        for (k, frame) in tone.chunks(160).enumerate() {
            let payload: Vec<u8> = frame.iter().map(|&v| g711::ulaw_encode(v)).collect();
            let seq = u16::try_from(k).expect("seq");
            let mut p = packet(0, seq, u32::from(seq) * 160, &payload);
            let to = m.on_rtp(Leg::B, addr("10.0.0.6:7000"), &mut p, now);
            assert_eq!(to, Some(addr("10.0.0.5:6000")));
            assert_eq!(p[1] & 0x7F, 111, "Opus payload type towards A");
            opus_out.push(p);
        }
        let ts = |p: &[u8]| u32::from_be_bytes([p[4], p[5], p[6], p[7]]);
        assert_eq!(
            ts(&opus_out[1]).wrapping_sub(ts(&opus_out[0])),
            960,
            "48 kHz clock"
        );
        let mut dec = opus::Decoder::new(8_000, opus::Channels::Mono).expect("decoder");
        let mut heard = Vec::new();
        for p in &opus_out {
            let mut buf = [0i16; 960];
            let n = dec.decode(&p[12..], &mut buf, false).expect("decode");
            heard.extend_from_slice(&buf[..n]);
        }
        let rms = |s: &[i16]| {
            (s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
        };
        let (sent, got) = (rms(&tone[1600..]), rms(&heard[1600..]));
        assert!(
            (got - sent).abs() < sent * 0.3,
            "tone level survives: {sent} vs {got}"
        );
        // And A's Opus reaches B as PCMU.
        let mut enc = opus::Encoder::new(8_000, opus::Channels::Mono, opus::Application::Voip)
            .expect("encoder");
        let mut buf = [0u8; 400];
        let n = enc.encode(&tone[..160], &mut buf).expect("encode");
        let mut p = packet(111, 1, 960, &buf[..n]);
        assert_eq!(
            m.on_rtp(Leg::A, addr("10.0.0.5:6000"), &mut p, now),
            Some(addr("10.0.0.6:7000"))
        );
        assert_eq!((p[1] & 0x7F, p.len()), (0, 12 + 160), "20 ms of PCMU");
    }

    #[test]
    fn telephone_events_join_the_reencoded_stream_in_its_clock() {
        let mut m = legs(
            leg(Some("10.0.0.5:6000"), (111, Codec::Opus), Some(101), 48_000),
            leg(Some("10.0.0.6:7000"), (0, Codec::Pcmu), Some(96), 8_000),
        );
        let now = Instant::now();
        let fields = |p: &[u8]| {
            (
                u16::from_be_bytes([p[2], p[3]]),
                u32::from_be_bytes([p[4], p[5], p[6], p[7]]),
            )
        };
        let mut enc = opus::Encoder::new(8_000, opus::Channels::Mono, opus::Application::Voip)
            .expect("encoder");
        let mut buf = [0u8; 400];
        let n = enc.encode(&[0i16; 160], &mut buf).expect("encode");
        // A (Opus, 48 kHz) speaks from seq 5000, ts 96000, then presses 5.
        let mut voice = packet(111, 5000, 96_000, &buf[..n]);
        m.on_rtp(Leg::A, addr("10.0.0.5:6000"), &mut voice, now);
        let (vseq, vts) = fields(&voice);
        assert_eq!(vts, 16_000, "voice in the 8 kHz clock");
        let mut event = packet(101, 5001, 96_960, &[5, 0x0A, 0x03, 0xC0]); // 960 = 20 ms
        m.on_rtp(Leg::A, addr("10.0.0.5:6000"), &mut event, now);
        assert_eq!(event[1] & 0x7F, 96);
        assert_eq!(
            fields(&event),
            (vseq.wrapping_add(1), 16_160),
            "one numbering, 8 kHz"
        );
        assert_eq!(
            u16::from_be_bytes([event[14], event[15]]),
            160,
            "20 ms at 8 kHz"
        );

        // B (PCMU) presses 9 towards A: 48 kHz timestamps and duration.
        let mut bvoice = packet(0, 70, 8_000, &[0xFF; 160]);
        m.on_rtp(Leg::B, addr("10.0.0.6:7000"), &mut bvoice, now);
        let mut bvoice2 = packet(0, 71, 8_160, &[0xFF; 160]);
        let sent = m.on_rtp(Leg::B, addr("10.0.0.6:7000"), &mut bvoice2, now);
        assert!(sent.is_some());
        let mut bevent = packet(96, 72, 8_320, &[9, 0x8A, 0, 160]);
        m.on_rtp(Leg::B, addr("10.0.0.6:7000"), &mut bevent, now);
        assert_eq!(bevent[1] & 0x7F, 101);
        let (eseq, ets) = fields(&bevent);
        assert_eq!(ets, 49_920, "8320 in the 48 kHz clock");
        assert_eq!(
            u16::from_be_bytes([bevent[14], bevent[15]]),
            960,
            "20 ms at 48 kHz"
        );
        // The Opus stream towards A numbered one 20 ms frame per voice packet.
        assert_eq!(eseq, 72, "follows the encoder's two voice packets");
    }

    #[test]
    fn loss_is_counted_from_sequence_gaps() {
        let mut m = Media::default();
        let now = Instant::now();
        for seq in [100u16, 101, 104, 105] {
            let mut p = packet(0, seq, u32::from(seq) * 160, &[0xFF; 160]);
            m.on_rtp(Leg::A, addr("10.0.0.5:6000"), &mut p, now);
        }
        let s = m.stats(Leg::A);
        assert_eq!((s.packets, s.lost), (4, 2));
        // Wrapping sequence numbers are not a loss.
        let mut m = Media::default();
        for seq in [65_534u16, 65_535, 0, 1] {
            let mut p = packet(0, seq, 0, &[0xFF; 160]);
            m.on_rtp(Leg::A, addr("10.0.0.5:6000"), &mut p, now);
        }
        assert_eq!(m.stats(Leg::A).lost, 0);
    }

    #[test]
    fn dtmf_digits_are_reported_once_at_their_end() {
        let mut m = Media::default();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        m.report_digits(tx);
        m.set_leg(Leg::A, leg(None, (0, Codec::Pcmu), Some(101), 8_000));
        let now = Instant::now();
        let src = addr("10.0.0.5:6000");
        // '*' (event 10): two updates, then the end three times.
        for (seq, flags) in [(1u16, 0x0A), (2, 0x0A), (3, 0x8A), (4, 0x8A), (5, 0x8A)] {
            let mut p = packet(101, seq, 8000, &[10, flags, 0, 160]);
            m.on_rtp(Leg::A, src, &mut p, now);
        }
        let mut one = packet(101, 6, 9600, &[1, 0x8A, 0, 160]);
        m.on_rtp(Leg::A, src, &mut one, now);
        assert_eq!(rx.try_recv().ok(), Some((Leg::A, '*')));
        assert_eq!(rx.try_recv().ok(), Some((Leg::A, '1')));
        assert!(rx.try_recv().is_err(), "each digit once");
    }

    #[test]
    fn an_srtp_leg_is_opened_and_sealed_and_a_forgery_neither_latches_nor_passes() {
        use crate::srtp::{MasterKey, Suite};
        let suite = Suite::AesCm128HmacSha1_80;
        let (ours, theirs) = (MasterKey::random(), MasterKey::random());
        let keys = LegKeys {
            suite,
            ours: ours.clone(),
            theirs: theirs.clone(),
        };
        let mut phone = LegCrypto::new(LegKeys {
            suite,
            ours: theirs,
            theirs: ours,
        })
        .expect("context");
        let mut a = leg(Some("10.0.0.5:6000"), (0, Codec::Pcmu), None, 8_000);
        a.srtp = Some(keys);
        let mut m = legs(
            a.clone(),
            leg(Some("10.0.0.6:7000"), (8, Codec::Pcma), None, 8_000),
        );
        let now = Instant::now();
        let clear = packet(0, 1, 160, &[0xFF; 160]);
        let mut sealed = clear.clone();
        assert!(phone.seal_rtp(&mut sealed));
        let replay = sealed.clone();

        let mut forged = sealed.clone();
        forged[40] ^= 0x01;
        assert_eq!(
            m.on_rtp(Leg::A, addr("198.51.100.9:9"), &mut forged, now),
            None
        );
        let mut unsealed = clear.clone();
        assert_eq!(
            m.on_rtp(Leg::A, addr("198.51.100.9:9"), &mut unsealed, now),
            None
        );
        assert_eq!(m.stats(Leg::A).packets, 0, "neither counts nor latches");

        assert_eq!(
            m.on_rtp(Leg::A, addr("10.0.0.5:6001"), &mut sealed, now),
            Some(addr("10.0.0.6:7000"))
        );
        assert_eq!(sealed.len(), clear.len(), "the plain leg gets RTP");
        assert_eq!(
            &sealed[12..],
            &[0xD5; 160][..],
            "clear µ-law silence, as A-law"
        );

        // Back from the plain leg: sealed for the SRTP party, sent where it latched.
        let mut back = packet(8, 50, 8_000, &[0xD5; 160]);
        assert_eq!(
            m.on_rtp(Leg::B, addr("10.0.0.6:7000"), &mut back, now),
            Some(addr("10.0.0.5:6001"))
        );
        assert_eq!(back.len(), 12 + 160 + 10);
        assert!(phone.open_rtp(&mut back));
        let mut ulaw = [0xD5; 160];
        g711::transcode(false, &mut ulaw);
        assert_eq!(back, packet(0, 50, 8_000, &ulaw));

        // The same keys again (a re-INVITE) keep the contexts: the replay
        // window still knows the packet.
        m.set_leg(Leg::A, a);
        let mut again = replay;
        assert_eq!(
            m.on_rtp(Leg::A, addr("10.0.0.5:6001"), &mut again, now),
            None
        );

        // A prompt from the edge to the SRTP party is sealed too.
        let mut prompt = packet(0, 900, 0, &[0xFF; 160]);
        assert!(m.seal(Leg::A, &mut prompt));
        assert!(phone.open_rtp(&mut prompt));
        let mut plain = packet(8, 1, 0, &[0xD5; 160]);
        assert!(m.seal(Leg::B, &mut plain));
        assert_eq!(
            plain,
            packet(8, 1, 0, &[0xD5; 160]),
            "nothing to seal on RTP"
        );
    }

    #[test]
    fn rtcp_of_an_srtp_leg_is_srtcp_both_ways() {
        use crate::srtp::{MasterKey, Suite};
        let suite = Suite::AesCm128HmacSha1_80;
        let (ours, theirs) = (MasterKey::random(), MasterKey::random());
        let mut phone = LegCrypto::new(LegKeys {
            suite,
            ours: theirs.clone(),
            theirs: ours.clone(),
        })
        .expect("context");
        let mut a = leg(Some("10.0.0.5:6000"), (0, Codec::Pcmu), None, 8_000);
        a.srtp = Some(LegKeys {
            suite,
            ours,
            theirs,
        });
        let mut m = legs(a, leg(Some("10.0.0.6:7000"), (0, Codec::Pcmu), None, 8_000));
        let report = vec![0x80, 201, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD];
        let mut srtcp = report.clone();
        assert!(phone.seal_rtcp(&mut srtcp));
        assert_eq!(
            m.on_rtcp(Leg::A, addr("10.0.0.5:6001"), &mut srtcp),
            Some(addr("10.0.0.6:7001"))
        );
        assert_eq!(srtcp, report, "opened for the plain leg");
        let mut forged = report.clone();
        assert_eq!(m.on_rtcp(Leg::A, addr("10.0.0.5:6001"), &mut forged), None);
        assert_eq!(m.stats(Leg::A).rtcp_packets, 1);
        let mut back = report.clone();
        assert_eq!(
            m.on_rtcp(Leg::B, addr("10.0.0.6:7001"), &mut back),
            Some(addr("10.0.0.5:6001"))
        );
        assert!(phone.open_rtcp(&mut back));
        assert_eq!(back, report);
    }

    #[test]
    fn runt_and_non_rtp_datagrams_are_dropped() {
        let mut m = Media::default();
        for mut p in [vec![], vec![0x80; 5], vec![0x00; 20]] {
            assert_eq!(
                m.on_rtp(Leg::A, addr("10.0.0.5:6000"), &mut p, Instant::now()),
                None
            );
        }
    }

    #[test]
    fn opus_towards_a_party_in_low_quality_mode_keeps_to_the_bitrate_it_asked_for() {
        // Noise: as hard to code as speech, so the encoder uses what it may.
        let mut x: u32 = 0x1234_5678;
        let tone: Vec<i16> = (0..160 * 50)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 20) as i16 - 2048
            })
            .collect();
        let bytes = |bitrate: Option<u32>| {
            let mut e = Encoding {
                bitrate,
                ..Encoding::default()
            };
            let mut total = 0;
            for (n, frame) in tone.chunks(160).enumerate() {
                let ts = u32::try_from(n * 960).expect("ts");
                if let Some((p, ..)) = e.encode(Codec::Opus, frame, ts, 0) {
                    total += p.len();
                }
            }
            total
        };
        // One second, 50 frames of 20 ms.
        let low = bytes(Some(8_000));
        let high = bytes(Some(32_000));
        assert!(
            low * 8 <= 8_000 * 12 / 10,
            "about 8 kbit/s: {low} bytes in 1 s"
        );
        assert!(high > low * 2, "32 kbit/s asked for: {high} bytes vs {low}");
    }
}
