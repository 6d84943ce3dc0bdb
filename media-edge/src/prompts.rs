//! Voice prompts bundled with the edge (Korean, 8 kHz 16-bit mono WAVs made
//! by `scripts/make-prompts.sh`), decoded once, the beep before a
//! voicemail, and the music a queued caller hears between announcements.
//! The TTS issue will let tenants replace them.

use std::sync::OnceLock;

/// Which greeting a caller hears before leaving a voicemail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Greeting {
    /// 지금은 업무 시간이 아닙니다 (outside the user's business hours).
    AfterHours,
    /// 지금은 전화를 받을 수 없습니다 (busy, no answer, not registered).
    Unavailable,
}

/// What the edge plays to a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// A voicemail greeting and its beep.
    Greeting(Greeting),
    /// Joining a hunt group's queue: all agents are busy, then the
    /// caller's position (1-based).
    QueueJoin(u16),
    /// The caller's position in the queue, again.
    QueuePosition(u16),
    /// A few seconds of music while waiting.
    Music,
}

const AFTER_HOURS: &[u8] = include_bytes!("../prompts/after_hours.wav");
const UNAVAILABLE: &[u8] = include_bytes!("../prompts/unavailable.wav");
const QUEUE_WAIT: &[u8] = include_bytes!("../prompts/queue_wait.wav");
const QUEUE_POSITION: &[u8] = include_bytes!("../prompts/queue_position.wav");
/// "N번입니다." for 1 to 9, and "10번 이후입니다." for 10 and after.
const QUEUE_NTH: [&[u8]; 10] = [
    include_bytes!("../prompts/queue_1.wav"),
    include_bytes!("../prompts/queue_2.wav"),
    include_bytes!("../prompts/queue_3.wav"),
    include_bytes!("../prompts/queue_4.wav"),
    include_bytes!("../prompts/queue_5.wav"),
    include_bytes!("../prompts/queue_6.wav"),
    include_bytes!("../prompts/queue_7.wav"),
    include_bytes!("../prompts/queue_8.wav"),
    include_bytes!("../prompts/queue_9.wav"),
    include_bytes!("../prompts/queue_10.wav"),
];

/// The samples of `p` (8 kHz), built once.
pub fn samples(p: Prompt) -> &'static [i16] {
    static JOIN: [OnceLock<Vec<i16>>; 10] = [const { OnceLock::new() }; 10];
    static POSITION: [OnceLock<Vec<i16>>; 10] = [const { OnceLock::new() }; 10];
    static MUSIC: OnceLock<Vec<i16>> = OnceLock::new();
    let nth = |n: u16| usize::from(n.clamp(1, 10)) - 1;
    let position = |n: u16| {
        let mut s = pcm_samples(QUEUE_POSITION);
        s.extend(pcm_samples(QUEUE_NTH[nth(n)]));
        s.extend(std::iter::repeat_n(0, 4000));
        s
    };
    match p {
        Prompt::Greeting(g) => greeting(g),
        Prompt::QueueJoin(n) => JOIN[nth(n)].get_or_init(|| {
            let mut s = pcm_samples(QUEUE_WAIT);
            s.extend(std::iter::repeat_n(0, 2400));
            s.extend(position(n));
            s
        }),
        Prompt::QueuePosition(n) => POSITION[nth(n)].get_or_init(|| position(n)),
        Prompt::Music => MUSIC.get_or_init(music),
    }
}

/// About ten seconds of a soft arpeggio (sine notes with a decaying
/// envelope), generated rather than shipped: hold music without a
/// licence question.
fn music() -> Vec<i16> {
    // C major and A minor arpeggios, an eighth of a second a note... at
    // 0.4 s a note: C4 E4 G4 C5 G4 E4, A3 C4 E4 A4 E4 C4, repeated.
    const NOTES: [f64; 12] = [
        261.63, 329.63, 392.00, 523.25, 392.00, 329.63, 220.00, 261.63, 329.63, 440.00, 329.63,
        261.63,
    ];
    let note_len = 3200; // 0.4 s at 8 kHz
    let mut out = Vec::with_capacity(NOTES.len() * 2 * note_len);
    for _ in 0..2 {
        for hz in NOTES {
            for i in 0..note_len {
                let t = i as f64 / 8000.0;
                let envelope = (-3.0 * t).exp() * (1.0 - (-200.0 * t).exp());
                let v = (t * 2.0 * std::f64::consts::PI * hz).sin() * envelope;
                out.push((v * 6000.0) as i16);
            }
        }
    }
    out
}

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
    fn queue_prompts_say_the_position_and_music_is_audible() {
        let rms = |s: &[i16]| {
            (s.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
        };
        for n in [1, 5, 10, 400] {
            let join = samples(Prompt::QueueJoin(n));
            let again = samples(Prompt::QueuePosition(n));
            assert!(join.len() > again.len() + 8000, "the join says more");
            assert!(join.ends_with(again), "and ends with the position");
            assert!(rms(again) > 300.0);
        }
        assert_ne!(
            samples(Prompt::QueuePosition(2)),
            samples(Prompt::QueuePosition(3))
        );
        let m = samples(Prompt::Music);
        assert!((8.0..12.0).contains(&(m.len() as f64 / 8000.0)));
        assert!(rms(m) > 500.0);
    }

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
