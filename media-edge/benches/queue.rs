//! Callers waiting in queues and in ARS menus with the edge playing to
//! them: each caller is a phone on loopback whose call has the edge's real
//! `Relay` (port pairs from the pool, latching) and the edge's prompt
//! player (`Relay::play` / `Relay::player`, 20 ms PCMU packets). A third of
//! the callers hear the queue's position announcement then hold music, a
//! third music, and a third an ARS menu spoken by espeak-ng through the
//! TTS port (`speech::Cached`, as `call::ivr` plays it; the bundled
//! announcement if espeak-ng is missing), then music. The phones send
//! their own 20 ms packets too (a caller's line is not silent). Each phone
//! times what it receives: how far each packet arrives from where a
//! steady 20 ms clock would put it (from its first packet), and what is
//! missing by sequence number.
//!
//!   cargo bench -p media-edge --bench queue -- [CALLERS...] [--secs S]
//!
//! Prints, per count: packets expected and received, loss, and the timing
//! error p50 / p99 / max. The target (issue 12): 500 callers, p99 < 5 ms,
//! no loss.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use media_edge::prompts::{Prompt, samples};
use media_edge::rtp::{Leg, LegMedia, PortPool, Relay};
use tokio::net::UdpSocket;

fn pcmu(remote: SocketAddr) -> LegMedia {
    LegMedia {
        remote: Some(remote),
        voice: Some((0, media_edge::sdp::Codec::Pcmu)),
        telephone_event: None,
        event_clock: 8_000,
        opus_bitrate: None,
        srtp: None,
    }
}

/// One phone's view: (packets received, packets the streams' sequence
/// numbers span, timing errors in µs). Each prompt is a stream of its own
/// (its own SSRC): timing and loss are measured per stream. A packet's
/// timing error is how much later than the stream's steady 20 ms clock it
/// arrived, the clock set by the stream's earliest packet (so a late first
/// packet does not make every other one look early).
async fn listen(socket: Arc<UdpSocket>, until: Instant) -> (u64, u64, Vec<u32>) {
    let mut buf = [0u8; 2048];
    let epoch = Instant::now();
    // (SSRC, first sequence number, last sequence number, arrival minus
    // due time of each packet in µs since `epoch`).
    let mut stream: Option<(u32, u16, u16, Vec<i64>)> = None;
    let (mut received, mut spanned) = (0u64, 0u64);
    let mut errors = Vec::with_capacity(600);
    let close = |s: (u32, u16, u16, Vec<i64>), errors: &mut Vec<u32>| {
        let base = s.3.iter().copied().min().unwrap_or(0);
        errors.extend(
            s.3.iter()
                .map(|d| u32::try_from(d - base).unwrap_or(u32::MAX)),
        );
        u64::from(s.2.wrapping_sub(s.1)) + 1
    };
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let Ok(Ok((n, _))) = tokio::time::timeout(left, socket.recv_from(&mut buf)).await else {
            break;
        };
        if n < 12 {
            continue;
        }
        let at = i64::try_from(epoch.elapsed().as_micros()).unwrap_or(i64::MAX);
        let seq = u16::from_be_bytes([buf[2], buf[3]]);
        let ssrc = u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]);
        received += 1;
        if stream.as_ref().is_some_and(|s| s.0 != ssrc)
            && let Some(done) = stream.take()
        {
            spanned += close(done, &mut errors);
        }
        let s = stream.get_or_insert((ssrc, seq, seq, Vec::with_capacity(600)));
        s.2 = seq;
        s.3.push(at - 20_000 * i64::from(seq.wrapping_sub(s.1)));
    }
    if let Some(done) = stream.take() {
        spanned += close(done, &mut errors);
    }
    (received, spanned, errors)
}

/// An ARS main menu as the edge speaks it (espeak-ng through the cached
/// TTS port), or the bundled announcement without espeak-ng.
async fn ars_menu() -> Arc<[i16]> {
    let tts = speech::Cached::new(Arc::new(speech::Espeak::new()), None);
    let text = "상담원 연결은 1번, 김민수 님은 2번, 콜백 요청은 0번, 내선 번호를 아시면 9번을 눌러 주세요.";
    match tts.speak(text).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("espeak-ng unavailable ({e}); the ARS callers hear the bundled announcement");
            samples(Prompt::QueueJoin(3)).into()
        }
    }
}

async fn run(callers: usize, secs: u64) {
    let pool = PortPool::new("127.0.0.1".parse().expect("ip"), 20_000, 60_000);
    let music = samples(Prompt::Music);
    let join = samples(Prompt::QueueJoin(3));
    let menu = ars_menu().await;
    let mut relays = Vec::with_capacity(callers);
    let mut phones = Vec::with_capacity(callers);
    for _ in 0..callers {
        let relay = Relay::open(&pool).await.expect("relay ports");
        let phone = UdpSocket::bind("127.0.0.1:0").await.expect("phone");
        relay.with(|m| m.set_leg(Leg::A, pcmu(phone.local_addr().expect("addr"))));
        phones.push((Arc::new(phone), relay.local(Leg::A)));
        relays.push(relay);
    }
    let start = Instant::now();
    let until = start + Duration::from_secs(secs) + Duration::from_millis(500);
    let sent = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    // The edge plays: an announcement or music, loop after loop, callers
    // joining spread over the 20 ms frame.
    for (i, relay) in relays.iter().enumerate() {
        let first = match i % 3 {
            0 => relay.player(Leg::A)(join),
            1 => relay.player(Leg::A)(music),
            _ => relay.player(Leg::A)(menu.clone()),
        };
        let plays = [first, relay.player(Leg::A)(music)];
        let offset = Duration::from_micros((i as u64 * 20_000 / callers.max(1) as u64) % 20_000);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(offset).await;
            for p in plays {
                p.await;
            }
        }));
    }
    // The callers' own packets towards the edge.
    let senders = 8;
    let phones = Arc::new(phones);
    for k in 0..senders {
        let (phones, sent) = (phones.clone(), sent.clone());
        let stop = start + Duration::from_secs(secs);
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(
                tokio::time::Instant::from_std(start) + Duration::from_micros(2_500 * k as u64),
                Duration::from_millis(20),
            );
            let mut packet = vec![0x80u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0B, 0xAD];
            packet.resize(172, 0xFF);
            let mut seq: u16 = 0;
            while Instant::now() < stop {
                tick.tick().await;
                packet[2..4].copy_from_slice(&seq.to_be_bytes());
                for (socket, edge) in phones.iter().skip(k).step_by(senders) {
                    if socket.send_to(&packet, edge).await.is_ok() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
                seq = seq.wrapping_add(1);
            }
        }));
    }
    let listeners: Vec<_> = phones
        .iter()
        .map(|(s, _)| tokio::spawn(listen(s.clone(), until)))
        .collect();
    let (mut received, mut expected, mut errors) = (0u64, 0u64, Vec::new());
    for l in listeners {
        if let Ok((r, span, e)) = l.await {
            received += r;
            expected += span;
            errors.extend(e);
        }
    }
    for t in tasks {
        t.abort();
    }
    errors.sort_unstable();
    let pct = |p: f64| common::percentile(&errors, p);
    let lost = expected.saturating_sub(received);
    println!(
        "{callers:>5} callers hearing prompts, {secs} s: expected {expected}, received {received}, lost {lost} ({:.3}%), timing error p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; callers' own packets sent {}",
        lost as f64 * 100.0 / expected.max(1) as f64,
        f64::from(pct(0.5)) / 1000.0,
        f64::from(pct(0.99)) / 1000.0,
        f64::from(errors.last().copied().unwrap_or(0)) / 1000.0,
        sent.load(Ordering::Relaxed),
    );
}

fn main() {
    let (counts, secs) = common::args(&[100, 300, 500, 700]);
    let rt = common::runtime();
    for n in counts {
        rt.block_on(run(n, secs));
    }
}
