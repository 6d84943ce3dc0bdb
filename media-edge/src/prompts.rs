//! Voice prompts bundled with the edge (Korean, 8 kHz 16-bit mono WAVs made
//! by `scripts/make-prompts.sh`), decoded once, and the beep before a
//! voicemail. The TTS issue will let tenants replace them.

use std::sync::OnceLock;

/// Which greeting a caller hears before leaving a voicemail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Greeting {
    /// 지금은 업무 시간이 아닙니다 (outside the user's business hours).
    AfterHours,
    /// 지금은 전화를 받을 수 없습니다 (busy, no answer, not registered).
    Unavailable,
}

const AFTER_HOURS: &[u8] = include_bytes!("../prompts/after_hours.wav");
const UNAVAILABLE: &[u8] = include_bytes!("../prompts/unavailable.wav");

/// The 16-bit samples of a PCM WAV's `data` chunk (empty if malformed).
pub fn pcm_samples(wav: &[u8]) -> Vec<i16> {
    let mut pos = 12;
    while pos + 8 <= wav.len() {
        let size =
            u32::from_le_bytes([wav[pos + 4], wav[pos + 5], wav[pos + 6], wav[pos + 7]]) as usize;
        let body = pos + 8;
        if &wav[pos..pos + 4] == b"data" {
            let end = wav.len().min(body + size);
            return wav[body..end]
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect();
        }
        pos = body + size + (size & 1);
    }
    Vec::new()
}

/// The greeting, then half a second of silence, a 400 ms beep at 1 kHz.
pub fn greeting(g: Greeting) -> &'static [i16] {
    static AH: OnceLock<Vec<i16>> = OnceLock::new();
    static UN: OnceLock<Vec<i16>> = OnceLock::new();
    let build = |wav: &[u8]| {
        let mut s = pcm_samples(wav);
        s.extend(std::iter::repeat_n(0, 4000));
        s.extend((0..3200).map(|i| {
            let v = (f64::from(i) * 2.0 * std::f64::consts::PI * 1000.0 / 8000.0).sin();
            (v * 8000.0) as i16
        }));
        s
    };
    match g {
        Greeting::AfterHours => AH.get_or_init(|| build(AFTER_HOURS)),
        Greeting::Unavailable => UN.get_or_init(|| build(UNAVAILABLE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_prompts_are_speech_of_a_few_seconds() {
        for g in [Greeting::AfterHours, Greeting::Unavailable] {
            let s = greeting(g);
            let secs = s.len() as f64 / 8000.0;
            assert!((3.0..15.0).contains(&secs), "{g:?}: {secs} s");
            let rms =
                (s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / s.len() as f64).sqrt();
            assert!(rms > 500.0, "{g:?} is not silence: {rms}");
        }
    }
}
