//! Call recording: both parties into one two-channel WAV (left: caller,
//! right: callee), 8 kHz 16-bit PCM, which every browser's `<audio>` plays.
//!
//! Samples are placed by RTP timestamp (so jitter does not smear them),
//! anchored to arrival time when a stream starts or jumps. Each channel
//! collects about two seconds in memory and then goes to a raw file in the
//! spool directory; [`Recorder::finish`] interleaves the two into the WAV.
//! Nothing is held only in memory for long, and the finished WAV stays in
//! the spool until an upload succeeds (see `crate::spool`).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::rtp::Leg;

pub const RATE: u32 = 8_000;
const FLUSH_AT: usize = 2 * RATE as usize;
const FLUSH: usize = RATE as usize;

#[derive(Debug)]
struct Channel {
    raw: BufWriter<File>,
    path: PathBuf,
    /// (first RTP timestamp, its sample position) of the current stream.
    anchor: Option<(u32, u64)>,
    /// Samples before this position are on disk.
    flushed: u64,
    buf: Vec<i16>,
}

impl Channel {
    fn open(path: PathBuf) -> std::io::Result<Self> {
        Ok(Self {
            raw: BufWriter::new(blobs::private::create(&path)?),
            path,
            anchor: None,
            flushed: 0,
            buf: Vec::with_capacity(FLUSH_AT + 400),
        })
    }

    fn write(&mut self, ts: u32, arrival_pos: u64, samples: &[i16]) -> std::io::Result<()> {
        let pos = match self.anchor {
            Some((t0, p0)) => {
                let by_ts = p0 + u64::from(ts.wrapping_sub(t0));
                // A new stream (other SSRC, resumed hold) or a wild jump:
                // re-anchor at arrival time.
                if by_ts.abs_diff(arrival_pos) > u64::from(RATE) {
                    self.anchor = Some((ts, arrival_pos));
                    arrival_pos
                } else {
                    by_ts
                }
            }
            None => {
                self.anchor = Some((ts, arrival_pos));
                arrival_pos
            }
        };
        if pos < self.flushed {
            return Ok(()); // Too late: that second is already on disk.
        }
        let at = usize::try_from(pos - self.flushed).unwrap_or(usize::MAX);
        if at > 60 * RATE as usize {
            return Ok(());
        }
        if self.buf.len() < at + samples.len() {
            self.buf.resize(at + samples.len(), 0);
        }
        self.buf[at..at + samples.len()].copy_from_slice(samples);
        while self.buf.len() >= FLUSH_AT {
            self.spill(FLUSH)?;
        }
        Ok(())
    }

    fn spill(&mut self, n: usize) -> std::io::Result<()> {
        let n = n.min(self.buf.len());
        for s in self.buf.drain(..n) {
            self.raw.write_all(&s.to_le_bytes())?;
        }
        self.flushed += n as u64;
        Ok(())
    }

    fn close(mut self) -> std::io::Result<(PathBuf, u64)> {
        let n = self.buf.len();
        self.spill(n)?;
        self.raw.flush()?;
        Ok((self.path, self.flushed))
    }
}

/// One recording segment in progress.
#[derive(Debug)]
pub struct Recorder {
    wav: PathBuf,
    /// Offset of the segment's start from the relay's clock.
    start: Duration,
    channels: [Channel; 2],
    /// Only the caller's channel is kept (voicemail).
    mono: bool,
    failed: bool,
}

impl Recorder {
    /// Starts a segment that will become `wav`; `start` is the relay's clock now.
    pub fn create(wav: &Path, start: Duration) -> std::io::Result<Self> {
        if let Some(dir) = wav.parent() {
            blobs::private::dir(dir)?;
        }
        let raw = |n: &str| wav.with_extension(format!("{n}.raw"));
        Ok(Self {
            wav: wav.to_owned(),
            start,
            channels: [Channel::open(raw("a"))?, Channel::open(raw("b"))?],
            mono: false,
            failed: false,
        })
    }

    /// A segment of the caller alone (a voicemail): one channel.
    pub fn create_mono(wav: &Path, start: Duration) -> std::io::Result<Self> {
        let mut r = Self::create(wav, start)?;
        r.mono = true;
        Ok(r)
    }

    /// Samples a leg's party sent, with the packet's RTP timestamp and the
    /// relay clock at arrival.
    pub fn write(&mut self, leg: Leg, ts: u32, elapsed: Duration, samples: &[i16]) {
        let since = elapsed.saturating_sub(self.start);
        let pos = u64::try_from(since.as_micros() * u128::from(RATE) / 1_000_000).unwrap_or(0);
        if self.mono && leg != Leg::A {
            return;
        }
        let ch = &mut self.channels[leg as usize];
        if let Err(e) = ch.write(ts, pos, samples) {
            if !self.failed {
                tracing::error!(error = %e, path = %self.wav.display(), "recording write failed");
            }
            self.failed = true;
        }
    }

    /// Ends the segment: the two channels interleaved into the WAV, the raw
    /// files removed. Returns the WAV's path and its length.
    pub fn finish(self) -> std::io::Result<(PathBuf, Duration)> {
        let [a, b] = self.channels;
        let (a_path, a_len) = a.close()?;
        let (b_path, b_len) = b.close()?;
        let frames = if self.mono { a_len } else { a_len.max(b_len) };
        let channels: u16 = if self.mono { 1 } else { 2 };
        let data_len = u32::try_from(frames * 2 * u64::from(channels)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "recording over 4 GiB")
        })?;
        let tmp = self.wav.with_extension("wav.part");
        {
            let mut out = BufWriter::new(blobs::private::create(&tmp)?);
            out.write_all(&wav_header(channels, RATE, data_len))?;
            let mut ra = BufReader::new(File::open(&a_path)?);
            let mut rb = BufReader::new(File::open(&b_path)?);
            let mut sa = [0u8; 2];
            let mut sb = [0u8; 2];
            for _ in 0..frames {
                // A channel that ended early is padded with silence.
                if ra.read_exact(&mut sa).is_err() {
                    sa = [0, 0];
                }
                if rb.read_exact(&mut sb).is_err() {
                    sb = [0, 0];
                }
                out.write_all(&sa)?;
                if !self.mono {
                    out.write_all(&sb)?;
                }
            }
            out.flush()?;
            out.get_ref().sync_all()?;
        }
        std::fs::rename(&tmp, &self.wav)?;
        let _ = std::fs::remove_file(a_path);
        let _ = std::fs::remove_file(b_path);
        Ok((
            self.wav,
            Duration::from_millis(frames * 1000 / u64::from(RATE)),
        ))
    }
}

/// A canonical 44-byte PCM WAV header.
pub fn wav_header(channels: u16, rate: u32, data_len: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    let block = channels * 2;
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes());
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&rate.to_le_bytes());
    h[28..32].copy_from_slice(&(rate * u32::from(block)).to_le_bytes());
    h[32..34].copy_from_slice(&block.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

/// What a WAV file holds, for checks: channels, rate, and the RMS level of
/// each channel (0 means silence).
#[derive(Debug, Clone, PartialEq)]
pub struct WavInfo {
    pub channels: u16,
    pub rate: u32,
    pub duration: Duration,
    pub rms: Vec<f64>,
}

/// Reads a PCM 16-bit WAV (the kind this module writes).
pub fn inspect_wav(bytes: &[u8]) -> Option<WavInfo> {
    if bytes.len() < 44 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let channels = u16::from_le_bytes([bytes[22], bytes[23]]);
    let rate = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
    if channels == 0 || rate == 0 {
        return None;
    }
    let data = &bytes[44..];
    let frames = data.len() / (2 * usize::from(channels));
    let mut sums = vec![0f64; usize::from(channels)];
    for (i, s) in data.chunks_exact(2).enumerate() {
        let v = f64::from(i16::from_le_bytes([s[0], s[1]]));
        sums[i % usize::from(channels)] += v * v;
    }
    let rms = sums
        .iter()
        .map(|s| {
            if frames == 0 {
                0.0
            } else {
                (s / frames as f64).sqrt()
            }
        })
        .collect();
    Some(WavInfo {
        channels,
        rate,
        duration: Duration::from_millis(frames as u64 * 1000 / u64::from(rate)),
        rms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_parties_land_in_two_channels_in_time_order() {
        let dir = tempfile::tempdir().expect("dir");
        let wav = dir.path().join("seg.wav");
        let mut r = Recorder::create(&wav, Duration::ZERO).expect("create");
        // Caller speaks for 3 s (150 packets of 20 ms), out of order at one point.
        let mut order: Vec<u32> = (0..150).collect();
        order.swap(10, 11);
        for i in order {
            let at = Duration::from_millis(u64::from(i) * 20);
            r.write(Leg::A, 1000 + i * 160, at, &[1000; 160]);
        }
        // Callee answers from 1 s to 2 s.
        for i in 0..50u32 {
            let at = Duration::from_millis(1000 + u64::from(i) * 20);
            r.write(Leg::B, 77 + i * 160, at, &[-2000; 160]);
        }
        let (path, len) = r.finish().expect("finish");
        assert_eq!(len, Duration::from_secs(3));
        let bytes = std::fs::read(path).expect("read");
        let info = inspect_wav(&bytes).expect("wav");
        assert_eq!((info.channels, info.rate), (2, 8000));
        assert!((info.rms[0] - 1000.0).abs() < 1.0, "{:?}", info.rms);
        // Callee: 1 s of -2000 in 3 s.
        let expected = (2000.0f64 * 2000.0 / 3.0).sqrt();
        assert!((info.rms[1] - expected).abs() < 5.0, "{:?}", info.rms);
        let frame = |i: usize| i16::from_le_bytes([bytes[44 + i * 4 + 2], bytes[44 + i * 4 + 3]]);
        assert_eq!(frame(7_999), 0, "callee silent before 1 s");
        assert_eq!(frame(8_000), -2000, "callee heard from 1 s");
        assert!(
            std::fs::read_dir(dir.path()).expect("ls").all(|e| e
                .expect("e")
                .path()
                .extension()
                .is_some_and(|x| x == "wav")),
            "raw files removed"
        );
    }

    #[test]
    fn a_timestamp_jump_reanchors_at_arrival_time() {
        let dir = tempfile::tempdir().expect("dir");
        let mut r = Recorder::create(&dir.path().join("j.wav"), Duration::ZERO).expect("create");
        r.write(Leg::A, 0, Duration::ZERO, &[5; 160]);
        // A new stream with a random timestamp, 1 s later.
        r.write(Leg::A, 3_000_000_000, Duration::from_secs(1), &[5; 160]);
        let (_, len) = r.finish().expect("finish");
        assert_eq!(len, Duration::from_millis(1020));
    }
}
