//! Prompt audio: any WAV or MP3 a tenant uploads, or a speech engine
//! writes, becomes [`RATE`] (8 kHz) mono 16-bit samples; samples become an
//! 8 kHz WAV again for storage and download.
//!
//! Decoding is symphonia (pure Rust: no codec libraries on the Lambda or the
//! edge image); resampling is rubato's FFT resampler, which low-passes
//! before it decimates. Dropping samples instead would fold everything above
//! 4 kHz (sibilants, music) back into the voice band as harsh aliasing.
//!
//! The work is CPU-bound and synchronous (about a second of CPU for five
//! minutes of MP3): call it from `spawn_blocking` in request handlers.

use std::io::Cursor;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as Symphonia;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::RATE;

/// The longest prompt, in seconds. Longer audio is refused rather than
/// truncated: a cut-off announcement is worse than a clear error.
pub const MAX_SECONDS: u32 = 300;

/// The shortest prompt, in milliseconds. Anything shorter is a failed
/// export or an empty file, not something a caller can hear.
pub const MIN_MILLIS: u32 = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioError {
    /// Not WAV or MP3, or a codec inside them we do not decode.
    #[error("not an audio file we can read (WAV or MP3): {0}")]
    Format(String),
    /// Recognised, but broken beyond the first packets.
    #[error("the audio file is damaged: {0}")]
    Corrupt(String),
    #[error(
        "the audio is empty or too short ({millis} ms; a prompt needs at least {MIN_MILLIS} ms)"
    )]
    Empty { millis: u64 },
    #[error("the audio is longer than {MAX_SECONDS} s, the longest a prompt may be")]
    TooLong,
}

impl AudioError {
    /// A stable machine-readable code for API problems (`code` in problem+json).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Format(_) => "audio_format",
            Self::Corrupt(_) => "audio_corrupt",
            Self::Empty { .. } => "audio_empty",
            Self::TooLong => "audio_too_long",
        }
    }
}

/// An uploaded prompt file (WAV: 8/16/24/32-bit PCM, float, A-law, µ-law;
/// or MP3) as 8 kHz mono samples: channels are averaged, the rate is
/// converted. Refuses audio shorter than [`MIN_MILLIS`] or longer than
/// [`MAX_SECONDS`] (stopping the decode as soon as it knows).
pub fn to_prompt(bytes: &[u8]) -> Result<Vec<i16>, AudioError> {
    let mono = decode(bytes, Some(MAX_SECONDS))?;
    let millis = mono.millis();
    if millis < u64::from(MIN_MILLIS) {
        return Err(AudioError::Empty { millis });
    }
    resample(mono)
}

/// Like [`to_prompt`] without the length rules, for audio this system
/// produced itself (speech engine output, cached prompts), where a very
/// short clip is legitimate.
pub fn samples_of(bytes: &[u8]) -> Result<Vec<i16>, AudioError> {
    resample(decode(bytes, None)?)
}

/// An 8 kHz mono 16-bit PCM WAV file of `samples`: what phones, browsers
/// and sox all play, and what [`to_prompt`] reads back unchanged.
pub fn wav(samples: &[i16]) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// Decoded audio before rate conversion, channels already mixed.
#[derive(Debug)]
struct Mono {
    rate: u32,
    samples: Vec<f32>,
}

impl Mono {
    fn millis(&self) -> u64 {
        self.samples.len() as u64 * 1000 / u64::from(self.rate)
    }
}

fn decode(bytes: &[u8], max_seconds: Option<u32>) -> Result<Mono, AudioError> {
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    // No hint: uploads arrive with any file name, the content decides.
    let mut format = symphonia::default::get_probe()
        .probe(
            &Hint::new(),
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| AudioError::Format(e.to_string()))?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| AudioError::Format("no audio track".into()))?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| AudioError::Format("no audio codec parameters".into()))?;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| AudioError::Format(e.to_string()))?;

    let mut rate = params.sample_rate;
    let mut samples = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut bad_packets = 0usize;
    let mut last_error = None;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A stream cut short (an interrupted upload; espeak-ng's WAV on a
            // pipe, whose header claims ~2 GiB): keep what arrived.
            Err(Symphonia::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) if samples.is_empty() => return Err(AudioError::Corrupt(e.to_string())),
            Err(e) => {
                tracing::debug!(error = %e, "audio stream ends early; keeping what decoded");
                break;
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(buf) => buf,
            // MP3 files often carry a damaged frame (a cut at the start,
            // a tag in the middle): skip it as players do.
            Err(Symphonia::DecodeError(e)) => {
                bad_packets += 1;
                last_error = Some(e);
                continue;
            }
            Err(e) => return Err(AudioError::Corrupt(e.to_string())),
        };
        let spec = buf.spec();
        let channels = spec.channels().count().max(1);
        match rate {
            None => rate = Some(spec.rate()),
            Some(r) if r != spec.rate() => {
                return Err(AudioError::Corrupt(format!(
                    "sample rate changes from {r} Hz to {} Hz",
                    spec.rate()
                )));
            }
            Some(_) => {}
        }
        buf.copy_to_vec_interleaved(&mut interleaved);
        samples.extend(
            interleaved
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() / channels as f32),
        );
        if let (Some(max), Some(r)) = (max_seconds, rate)
            && samples.len() as u64 > u64::from(max) * u64::from(r)
        {
            return Err(AudioError::TooLong);
        }
    }
    if samples.is_empty() && bad_packets > 0 {
        return Err(AudioError::Corrupt(format!(
            "no packet decoded ({bad_packets} damaged; last: {})",
            last_error.unwrap_or("unknown")
        )));
    }
    let rate = rate.ok_or_else(|| AudioError::Format("no sample rate".into()))?;
    if !(1000..=384_000).contains(&rate) {
        return Err(AudioError::Format(format!(
            "a sample rate of {rate} Hz is not supported"
        )));
    }
    Ok(Mono { rate, samples })
}

fn resample(mono: Mono) -> Result<Vec<i16>, AudioError> {
    let Mono { rate, samples } = mono;
    let out = if rate == RATE || samples.is_empty() {
        samples
    } else {
        let unsupported = |e: &dyn std::fmt::Display| {
            AudioError::Format(format!("cannot resample {rate} Hz: {e}"))
        };
        // Synchronous FFT resampling: fixed ratio, whole clip in memory,
        // the best quality rubato has and its fastest.
        let mut resampler = Fft::<f32>::new(rate as usize, RATE as usize, 1024, 1, FixedSync::Both)
            .map_err(|e| unsupported(&e))?;
        let input =
            InterleavedSlice::new(&samples[..], 1, samples.len()).map_err(|e| unsupported(&e))?;
        resampler
            .process_all(&input, samples.len(), None)
            .map_err(|e| unsupported(&e))?
            .take_data()
    };
    Ok(out.into_iter().map(to_i16).collect())
}

/// Full scale is 32768 both ways (as symphonia converts integers to
/// float), so 16-bit input at 8 kHz comes back bit for bit.
fn to_i16(x: f32) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    const TONE: f32 = 440.0;

    /// WAV encodings the tests write: `(format tag, bits per sample)`.
    #[derive(Clone, Copy, Debug)]
    enum Enc {
        U8,
        S16,
        S24,
        S32,
        F32,
        ALaw,
        MuLaw,
    }

    impl Enc {
        fn tag_and_bits(self) -> (u16, u16) {
            match self {
                Enc::U8 => (1, 8),
                Enc::S16 => (1, 16),
                Enc::S24 => (1, 24),
                Enc::S32 => (1, 32),
                Enc::F32 => (3, 32),
                Enc::ALaw => (6, 8),
                Enc::MuLaw => (7, 8),
            }
        }

        fn encode(self, x: f32, out: &mut Vec<u8>) {
            let x = x.clamp(-1.0, 1.0);
            let s16 = (x * 32767.0) as i16;
            match self {
                Enc::U8 => out.push(((x * 127.0) as i16 + 128) as u8),
                Enc::S16 => out.extend_from_slice(&s16.to_le_bytes()),
                Enc::S24 => out.extend_from_slice(&((x * 8_388_607.0) as i32).to_le_bytes()[..3]),
                Enc::S32 => {
                    out.extend_from_slice(&((f64::from(x) * 2_147_483_647.0) as i32).to_le_bytes())
                }
                Enc::F32 => out.extend_from_slice(&x.to_le_bytes()),
                Enc::ALaw => out.push(alaw(s16)),
                Enc::MuLaw => out.push(ulaw(s16)),
            }
        }
    }

    /// G.711 A-law (ITU-T reference algorithm).
    fn alaw(s: i16) -> u8 {
        let (mask, mag) = if s >= 0 {
            (0xD5u8, i32::from(s) >> 3)
        } else {
            (0x55u8, ((-i32::from(s)) - 1) >> 3)
        };
        let seg = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]
            .iter()
            .position(|&end| mag <= end)
            .unwrap_or(8) as i32;
        let a = if seg >= 8 {
            0x7F
        } else if seg < 2 {
            (seg << 4) | ((mag >> 1) & 0x0F)
        } else {
            (seg << 4) | ((mag >> seg) & 0x0F)
        };
        (a as u8) ^ mask
    }

    /// G.711 µ-law (ITU-T reference algorithm).
    fn ulaw(s: i16) -> u8 {
        let (mask, mag) = if s < 0 {
            (0x7Fu8, (-(i32::from(s) >> 2)).min(8159) + 33)
        } else {
            (0xFFu8, (i32::from(s) >> 2).min(8159) + 33)
        };
        let seg = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]
            .iter()
            .position(|&end| mag <= end)
            .unwrap_or(8) as i32;
        let u = if seg >= 8 {
            0x7F
        } else {
            (seg << 4) | ((mag >> (seg + 1)) & 0x0F)
        };
        (u as u8) ^ mask
    }

    /// A WAV file holding `seconds` of a 440 Hz tone at half scale on every channel.
    fn tone_wav(enc: Enc, rate: u32, channels: u16, seconds: f32) -> Vec<u8> {
        let frames = (rate as f32 * seconds) as usize;
        let mut data = Vec::new();
        for n in 0..frames {
            let x = 0.5 * (2.0 * std::f32::consts::PI * TONE * n as f32 / rate as f32).sin();
            for _ in 0..channels {
                enc.encode(x, &mut data);
            }
        }
        wav_file(enc, rate, channels, &data)
    }

    fn wav_file(enc: Enc, rate: u32, channels: u16, data: &[u8]) -> Vec<u8> {
        let (tag, bits) = enc.tag_and_bits();
        let align = channels * bits / 8;
        // Non-PCM formats carry a cbSize field and a fact chunk (frame count).
        let pcm = tag == 1;
        let fmt_len: u32 = if pcm { 16 } else { 18 };
        let fact_len: u32 = if pcm { 0 } else { 12 };
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(4 + 8 + fmt_len + fact_len + 8 + data.len() as u32).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&fmt_len.to_le_bytes());
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&channels.to_le_bytes());
        out.extend_from_slice(&rate.to_le_bytes());
        out.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        out.extend_from_slice(&align.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        if !pcm {
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(b"fact");
            out.extend_from_slice(&4u32.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32 / u32::from(align)).to_le_bytes());
        }
        out.extend_from_slice(b"data");
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    /// The tone's frequency at 8 kHz, from upward zero crossings away from
    /// the edges (where the resampler's filter rings in and out).
    fn frequency(samples: &[i16]) -> f32 {
        let middle = &samples[samples.len() / 10..samples.len() * 9 / 10];
        let ups = middle.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
        ups as f32 * RATE as f32 / middle.len() as f32
    }

    fn rms(samples: &[i16]) -> f32 {
        let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
        (sum / samples.len() as f64).sqrt() as f32
    }

    fn assert_one_second_tone(samples: &[i16], what: &str) {
        assert!(
            (7950..=8050).contains(&samples.len()),
            "{what}: {} samples for one second",
            samples.len()
        );
        let f = frequency(samples);
        assert!((f - TONE).abs() < TONE * 0.02, "{what}: tone at {f} Hz");
        // Half scale is an RMS of about 11,585; G.711 and 8-bit lose a little.
        let r = rms(samples);
        assert!((10_500.0..12_500.0).contains(&r), "{what}: RMS {r}");
    }

    #[test]
    fn a_44k1_stereo_wav_becomes_8k_mono_with_the_tone_preserved() {
        let samples = to_prompt(&tone_wav(Enc::S16, 44_100, 2, 1.0)).expect("decodes");
        assert_one_second_tone(&samples, "44.1 kHz stereo");
    }

    #[test]
    fn a_16k_wav_is_halved_in_rate() {
        let samples = to_prompt(&tone_wav(Enc::S16, 16_000, 1, 1.0)).expect("decodes");
        assert_one_second_tone(&samples, "16 kHz");
    }

    #[test]
    fn a_8k_16_bit_wav_comes_back_bit_for_bit() {
        let original: Vec<i16> = (0..8000)
            .map(|n| ((n * 37) % 65_536 - 32_768) as i16)
            .collect();
        assert_eq!(to_prompt(&wav(&original)).expect("decodes"), original);
        assert_eq!(samples_of(&wav(&original)).expect("decodes"), original);
    }

    #[test]
    fn every_wav_sample_encoding_decodes() {
        for enc in [
            Enc::U8,
            Enc::S16,
            Enc::S24,
            Enc::S32,
            Enc::F32,
            Enc::ALaw,
            Enc::MuLaw,
        ] {
            let samples =
                to_prompt(&tone_wav(enc, 8000, 1, 1.0)).unwrap_or_else(|e| panic!("{enc:?}: {e}"));
            assert_one_second_tone(&samples, &format!("{enc:?}"));
        }
    }

    #[test]
    fn other_common_rates_convert() {
        for rate in [11_025, 22_050, 32_000, 48_000] {
            let samples = to_prompt(&tone_wav(Enc::S16, rate, 1, 1.0)).expect("decodes");
            assert_one_second_tone(&samples, &format!("{rate} Hz"));
        }
    }

    #[test]
    fn the_written_wav_has_a_canonical_header() {
        let bytes = wav(&[1, -2, 3]);
        assert_eq!(bytes.len(), 44 + 6);
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            36 + 6
        );
        assert_eq!(
            u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]),
            8000
        );
        assert_eq!(&bytes[36..40], b"data");
        assert_eq!(&bytes[44..], &[1, 0, 0xFE, 0xFF, 3, 0]);
    }

    #[test]
    fn bytes_that_are_not_audio_are_a_format_error() {
        let mut state = 0x2545_F491_u32;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        for bytes in [
            &b""[..],
            b"hello, this is not a prompt",
            b"<html><body>404</body></html>",
            &noise,
        ] {
            let err = to_prompt(bytes).expect_err("not audio");
            assert_eq!(err.code(), "audio_format", "{err}");
        }
    }

    #[test]
    fn a_wav_cut_inside_its_header_is_refused() {
        let whole = tone_wav(Enc::S16, 8000, 1, 1.0);
        let err = to_prompt(&whole[..30]).expect_err("truncated header");
        assert!(
            matches!(err, AudioError::Format(_) | AudioError::Corrupt(_)),
            "{err}"
        );
    }

    #[test]
    fn a_wav_cut_short_keeps_what_arrived() {
        let whole = tone_wav(Enc::S16, 8000, 1, 1.0);
        let samples = to_prompt(&whole[..44 + 8000]).expect("the first half second");
        assert_eq!(samples.len(), 4000);
    }

    #[test]
    fn empty_and_very_short_audio_is_refused() {
        let err = to_prompt(&wav(&[])).expect_err("no samples");
        assert_eq!(err, AudioError::Empty { millis: 0 });
        assert_eq!(err.code(), "audio_empty");
        let err = to_prompt(&tone_wav(Enc::S16, 44_100, 2, 0.15)).expect_err("150 ms");
        assert_eq!(err, AudioError::Empty { millis: 150 });
        assert!(to_prompt(&tone_wav(Enc::S16, 8000, 1, 0.25)).is_ok());
        // Our own clips may be that short.
        assert_eq!(samples_of(&wav(&[0; 4])).expect("decodes"), vec![0; 4]);
    }

    #[test]
    fn audio_longer_than_the_limit_is_refused() {
        let err =
            to_prompt(&tone_wav(Enc::U8, 8000, 1, MAX_SECONDS as f32 + 1.0)).expect_err("too long");
        assert_eq!(err, AudioError::TooLong);
        assert_eq!(err.code(), "audio_too_long");
        assert!(err.to_string().contains("300 s"));
    }

    #[test]
    fn an_unsupported_wav_codec_is_a_format_error() {
        // Format tag 0x55 is MP3-in-WAV, which the WAV reader does not accept.
        let mut bytes = tone_wav(Enc::S16, 8000, 1, 0.5);
        bytes[20..22].copy_from_slice(&0x55u16.to_le_bytes());
        let err = to_prompt(&bytes).expect_err("unsupported codec");
        assert_eq!(err.code(), "audio_format", "{err}");
    }

    // The MP3 fixtures were made on Debian with sox and LAME 3.100 from
    // `sox -n -r 22050 -c 2 tone.wav synth 1 sine 440 gain -6`.

    #[test]
    fn a_gapless_mp3_decodes_to_8k_mono() {
        // lame --quiet -V 7 tone.wav: VBR, 22.05 kHz joint stereo, with the
        // Xing/LAME tag giving encoder delay and padding (trimmed off).
        let bytes = include_bytes!("../tests/fixtures/tone-440hz-22k-stereo-vbr.mp3");
        assert_one_second_tone(&to_prompt(bytes).expect("decodes"), "VBR mp3");
    }

    #[test]
    fn a_tagged_cbr_mp3_decodes_with_its_encoder_delay() {
        // lame --quiet -b 32 --add-id3v2 --tt "안내 멘트" tone.wav: LAME
        // resamples to 16 kHz, puts an ID3v2 tag first and no LAME tag, so
        // the decoder delay and padding (about 80 ms of near silence) stay.
        let bytes = include_bytes!("../tests/fixtures/tone-440hz-16k-cbr-id3v2.mp3");
        assert_eq!(&bytes[..3], b"ID3");
        let samples = to_prompt(bytes).expect("decodes");
        assert!(
            (8000..=8800).contains(&samples.len()),
            "{} samples",
            samples.len()
        );
        let f = frequency(&samples);
        assert!((f - TONE).abs() < TONE * 0.02, "tone at {f} Hz");
    }
}
