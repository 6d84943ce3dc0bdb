//! RTP streams written as pcap files for sipp to play (`play_pcap_audio`):
//! a tone in G.711 A-law or in Opus at a low bitrate, 20 ms a packet, as a
//! phone would send it. One [`Stream`] keeps its SSRC, sequence numbers
//! and timestamps across the files it writes, as a phone does when it
//! changes codec mid-call.

use std::path::Path;

/// The codec of a stream's packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// G.711 A-law, payload type 8.
    Pcma,
    /// Narrowband Opus at `bitrate` bit/s, payload type 111 (48 kHz RTP clock).
    Opus { bitrate: i32 },
}

/// One party's outgoing RTP.
#[derive(Debug, Clone)]
pub struct Stream {
    ssrc: u32,
    seq: u16,
    ts: u32,
}

impl Default for Stream {
    fn default() -> Self {
        Self {
            ssrc: 0x0ff1_ce00,
            seq: 1000,
            ts: 160_000,
        }
    }
}

impl Stream {
    /// Writes `secs` of a `hz` tone as `codec` packets to `path` (pcap, Ethernet/IPv4/UDP).
    pub fn tone(&mut self, path: &Path, codec: Codec, hz: f64, secs: f64) {
        let frames = (secs * 50.0).round() as usize;
        let mut encoder = match codec {
            Codec::Opus { bitrate } => {
                let mut e =
                    opus::Encoder::new(8_000, opus::Channels::Mono, opus::Application::Voip)
                        .expect("opus encoder");
                e.set_bitrate(opus::Bitrate::Bits(bitrate))
                    .expect("bitrate");
                Some(e)
            }
            Codec::Pcma => None,
        };
        let mut out = pcap_header();
        let mut n = 0usize;
        for f in 0..frames {
            let samples: Vec<i16> = (0..160)
                .map(|i| {
                    let t = (n + i) as f64 / 8_000.0;
                    ((t * hz * 2.0 * std::f64::consts::PI).sin() * 8_000.0) as i16
                })
                .collect();
            n += 160;
            let (pt, payload, step) = match encoder.as_mut() {
                Some(e) => (111u8, e.encode_vec(&samples, 400).expect("encode"), 960),
                None => (
                    8u8,
                    samples
                        .iter()
                        .map(|&s| media_edge::g711::alaw_encode(s))
                        .collect(),
                    160,
                ),
            };
            let mut rtp = vec![0x80, if f == 0 { 0x80 | pt } else { pt }];
            rtp.extend_from_slice(&self.seq.to_be_bytes());
            rtp.extend_from_slice(&self.ts.to_be_bytes());
            rtp.extend_from_slice(&self.ssrc.to_be_bytes());
            rtp.extend_from_slice(&payload);
            self.seq = self.seq.wrapping_add(1);
            self.ts = self.ts.wrapping_add(step);
            push_packet(&mut out, f as u32 * 20_000, &rtp);
        }
        std::fs::write(path, out).expect("write pcap");
    }
}

fn pcap_header() -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&65_535u32.to_le_bytes());
    // Ethernet.
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

/// One UDP datagram carrying `payload`, `at_us` after the start.
fn push_packet(out: &mut Vec<u8>, at_us: u32, payload: &[u8]) {
    let udp_len = 8 + payload.len();
    let ip_len = 20 + udp_len;
    let frame_len = 14 + ip_len;
    out.extend_from_slice(&(at_us / 1_000_000).to_le_bytes());
    out.extend_from_slice(&(at_us % 1_000_000).to_le_bytes());
    out.extend_from_slice(&(frame_len as u32).to_le_bytes());
    out.extend_from_slice(&(frame_len as u32).to_le_bytes());
    // Ethernet: two addresses, IPv4.
    out.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]);
    // IPv4 header, 127.0.0.1 -> 127.0.0.1 (sipp rewrites both ends).
    let mut ip = vec![
        0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
    ];
    ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
    let sum = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum::<u32>();
    let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    out.extend_from_slice(&ip);
    // UDP (no checksum).
    out.extend_from_slice(&6000u16.to_be_bytes());
    out.extend_from_slice(&6000u16.to_be_bytes());
    out.extend_from_slice(&(udp_len as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
}
