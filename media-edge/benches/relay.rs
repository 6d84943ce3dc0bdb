//! Concurrent anchored G.711 calls through the relay, recording on: each
//! call is two phones (UDP sockets on loopback) sending a 20 ms PCMU packet
//! every 20 ms in both directions through the edge's real `Relay` (port
//! pairs from the pool, latching, stats, the two-channel recorder writing
//! to disk). Every packet carries its send time; the far phone measures
//! the delay through the edge and counts what arrives.
//!
//!   cargo bench -p media-edge --bench relay -- [CALLS...] [--secs S] [--srtp]
//!
//! Prints, per call count: packets sent and received, loss, and the delay
//! through the relay (p50 / p99 / max). The target: 500 calls with p99
//! under 5 ms and no loss. With `--srtp` both legs of every call are SRTP
//! (AES_CM_128_HMAC_SHA1_80, each under its own keys): the phones seal and
//! open their packets, the edge opens each one, records it and seals it
//! again for the other leg.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use media_edge::recording::Recorder;
use media_edge::rtp::{Leg, LegMedia, PortPool, Relay};
use media_edge::srtp::{LegCrypto, LegKeys, MasterKey, Suite};
use tokio::net::UdpSocket;

struct Phone {
    socket: Arc<UdpSocket>,
    /// The relay's address facing this phone.
    edge: SocketAddr,
    /// Its SRTP, when the run is SRTP (sealing on send, opening on receive).
    crypto: Option<Arc<std::sync::Mutex<LegCrypto>>>,
}

/// The keys of one SRTP leg: the edge's view, and the phone's contexts.
fn srtp_leg() -> (LegKeys, Arc<std::sync::Mutex<LegCrypto>>) {
    let suite = Suite::AesCm128HmacSha1_80;
    let (edge, phone) = (MasterKey::random(), MasterKey::random());
    let phone_side = LegCrypto::new(LegKeys {
        suite,
        ours: phone.clone(),
        theirs: edge.clone(),
    })
    .expect("context");
    (
        LegKeys {
            suite,
            ours: edge,
            theirs: phone,
        },
        Arc::new(std::sync::Mutex::new(phone_side)),
    )
}

fn packet(seq: u16, sent_ns: u64) -> Vec<u8> {
    let mut p = Vec::with_capacity(172);
    p.extend_from_slice(&[0x80, 0]);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    p.extend_from_slice(&0x0BAD_CAFEu32.to_be_bytes());
    p.extend_from_slice(&sent_ns.to_be_bytes());
    p.resize(172, 0xD5);
    p
}

async fn run(calls: usize, secs: u64, srtp: bool) {
    let spool = tempfile::tempdir().expect("spool");
    let pool = PortPool::new("127.0.0.1".parse().expect("ip"), 20_000, 60_000);
    let mut relays = Vec::with_capacity(calls);
    let mut phones: Vec<(Phone, Phone)> = Vec::with_capacity(calls);
    for i in 0..calls {
        let relay = Relay::open(&pool).await.expect("relay ports");
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("phone a");
        let b = UdpSocket::bind("127.0.0.1:0").await.expect("phone b");
        let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));
        let (a_srtp, b_srtp) = if srtp {
            (Some(srtp_leg()), Some(srtp_leg()))
        } else {
            (None, None)
        };
        let a_keys = a_srtp.as_ref().map(|(k, _)| k.clone());
        let b_keys = b_srtp.as_ref().map(|(k, _)| k.clone());
        relay.with(|m| {
            m.set_leg(
                Leg::A,
                LegMedia {
                    remote: Some(a_addr),
                    voice: Some((0, media_edge::sdp::Codec::Pcmu)),
                    telephone_event: None,
                    event_clock: 8_000,
                    opus_bitrate: None,
                    srtp: a_keys,
                },
            );
            m.set_leg(
                Leg::B,
                LegMedia {
                    remote: Some(b_addr),
                    voice: Some((0, media_edge::sdp::Codec::Pcmu)),
                    telephone_event: None,
                    event_clock: 8_000,
                    opus_bitrate: None,
                    srtp: b_keys,
                },
            );
            let r = Recorder::create(&spool.path().join(format!("{i}.wav")), m.elapsed())
                .expect("recorder");
            m.start_recording(r);
        });
        phones.push((
            Phone {
                socket: Arc::new(a),
                edge: relay.local(Leg::A),
                crypto: a_srtp.map(|(_, c)| c),
            },
            Phone {
                socket: Arc::new(b),
                edge: relay.local(Leg::B),
                crypto: b_srtp.map(|(_, c)| c),
            },
        ));
        relays.push(relay);
    }
    let start = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let delays: Arc<std::sync::Mutex<Vec<u32>>> = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop_at = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    // Receivers: every phone counts and times what reaches it.
    for (a, b) in &phones {
        for (s, crypto) in [
            (a.socket.clone(), a.crypto.clone()),
            (b.socket.clone(), b.crypto.clone()),
        ] {
            let (received, delays) = (received.clone(), delays.clone());
            tasks.push(tokio::spawn(async move {
                let mut buf: Vec<u8> = Vec::with_capacity(2048);
                let mut mine = Vec::with_capacity(2 * 50 * 60);
                loop {
                    buf.clear();
                    let Ok(Ok(_)) =
                        tokio::time::timeout(Duration::from_secs(2), s.recv_buf_from(&mut buf))
                            .await
                    else {
                        break;
                    };
                    let opened = crypto
                        .as_ref()
                        .is_none_or(|c| c.lock().is_ok_and(|mut c| c.open_rtp(&mut buf)));
                    let n = buf.len();
                    if opened && n >= 20 {
                        let ns = u64::from_be_bytes(buf[12..20].try_into().unwrap_or([0; 8]));
                        let now = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                        mine.push(u32::try_from(now.saturating_sub(ns) / 1000).unwrap_or(u32::MAX));
                        received.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if let Ok(mut d) = delays.lock() {
                    d.extend(mine);
                }
            }));
        }
    }
    // Senders: calls spread over the 20 ms frame, as real calls are.
    let senders = 4;
    let phones = Arc::new(phones);
    for k in 0..senders {
        let (phones, sent) = (phones.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(
                tokio::time::Instant::from_std(start) + Duration::from_millis(5 * k as u64),
                Duration::from_millis(20),
            );
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut seq: u16 = 0;
            while Instant::now() < stop_at {
                tick.tick().await;
                for (a, b) in phones.iter().skip(k).step_by(senders) {
                    for p in [a, b] {
                        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(0);
                        let mut out = packet(seq, ns);
                        if let Some(c) = &p.crypto
                            && !c.lock().is_ok_and(|mut c| c.seal_rtp(&mut out))
                        {
                            continue;
                        }
                        if p.socket.send_to(&out, p.edge).await.is_ok() {
                            sent.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                seq = seq.wrapping_add(1);
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let finish = Instant::now();
    let mut recorded = 0u64;
    for r in &relays {
        if let Some(Some(rec)) = r.with(|m| m.stop_recording())
            && let Ok((_, len)) = rec.finish()
        {
            recorded += len.as_secs();
        }
    }
    let (sent, received) = (
        sent.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed),
    );
    let mut d = delays.lock().map(|d| d.clone()).unwrap_or_default();
    d.sort_unstable();
    let pct = |p: f64| common::percentile(&d, p);
    let lost = sent.saturating_sub(received);
    println!(
        "{calls:>5} calls{}, {secs} s: sent {sent}, received {received}, lost {lost} ({:.3}%), delay through the edge p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} s of two-channel recording written; wall {:.1} s",
        if srtp { " (SRTP both legs)" } else { "" },
        lost as f64 * 100.0 / sent.max(1) as f64,
        f64::from(pct(0.5)) / 1000.0,
        f64::from(pct(0.99)) / 1000.0,
        f64::from(d.last().copied().unwrap_or(0)) / 1000.0,
        recorded,
        finish.duration_since(start).as_secs_f64(),
    );
}

fn main() {
    let (counts, secs) = common::args(&[100, 300, 500, 700]);
    let srtp = std::env::args().any(|a| a == "--srtp");
    let rt = common::runtime();
    for n in counts {
        rt.block_on(run(n, secs, srtp));
    }
}
