//! Concurrent anchored G.711 calls through the relay, recording on: each
//! call is two phones (UDP sockets on loopback) sending a 20 ms PCMU packet
//! every 20 ms in both directions through the edge's real `Relay` (port
//! pairs from the pool, latching, stats, the two-channel recorder writing
//! to disk). Every packet carries its send time; the far phone measures
//! the delay through the edge and counts what arrives.
//!
//!   cargo bench -p media-edge --bench relay -- [CALLS...] [--secs S]
//!
//! Prints, per call count: packets sent and received, loss, and the delay
//! through the relay (p50 / p99 / max). The target: 500 calls with p99
//! under 5 ms and no loss.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use media_edge::recording::Recorder;
use media_edge::rtp::{Leg, LegMedia, PortPool, Relay};
use tokio::net::UdpSocket;

struct Phone {
    socket: Arc<UdpSocket>,
    /// The relay's address facing this phone.
    edge: SocketAddr,
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

async fn run(calls: usize, secs: u64) {
    let spool = tempfile::tempdir().expect("spool");
    let pool = PortPool::new("127.0.0.1".parse().expect("ip"), 20_000, 60_000);
    let mut relays = Vec::with_capacity(calls);
    let mut phones: Vec<(Phone, Phone)> = Vec::with_capacity(calls);
    for i in 0..calls {
        let relay = Relay::open(&pool).await.expect("relay ports");
        let a = UdpSocket::bind("127.0.0.1:0").await.expect("phone a");
        let b = UdpSocket::bind("127.0.0.1:0").await.expect("phone b");
        let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));
        relay.with(|m| {
            m.set_leg(
                Leg::A,
                LegMedia {
                    remote: Some(a_addr),
                    voice: Some((0, media_edge::sdp::Codec::Pcmu)),
                    telephone_event: None,
                    event_clock: 8_000,
                    opus_bitrate: None,
                    srtp: None,
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
                    srtp: None,
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
            },
            Phone {
                socket: Arc::new(b),
                edge: relay.local(Leg::B),
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
        for s in [a.socket.clone(), b.socket.clone()] {
            let (received, delays) = (received.clone(), delays.clone());
            tasks.push(tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let mut mine = Vec::with_capacity(2 * 50 * 60);
                while let Ok(Ok((n, _))) =
                    tokio::time::timeout(Duration::from_secs(2), s.recv_from(&mut buf)).await
                {
                    if n >= 20 {
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
                        if p.socket.send_to(&packet(seq, ns), p.edge).await.is_ok() {
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
        "{calls:>5} calls, {secs} s: sent {sent}, received {received}, lost {lost} ({:.3}%), delay through the edge p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} s of two-channel recording written; wall {:.1} s",
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
    let rt = common::runtime();
    for n in counts {
        rt.block_on(run(n, secs));
    }
}
