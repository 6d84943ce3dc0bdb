//! Speech for IVR prompts: the text-to-speech port and prompt audio.
//!
//! Every prompt the edge plays is [`RATE`] (8 kHz) mono signed 16-bit
//! samples, the native format of G.711 telephony, so the media plane never
//! resamples while a call is up. This crate owns getting audio into that
//! shape:
//!
//! - [`Tts`] — the port: text in, 8 kHz samples out. Adapters:
//!   [`Espeak`] (Debian `espeak-ng`, the local default) and `Polly`
//!   (feature `aws`, Amazon Polly with Korean voice Seoyeon).
//! - [`spoken`] — text normalisation before synthesis: phone numbers are
//!   read digit by digit, as Koreans read them, instead of as cardinals.
//! - [`Cached`] — content-addressed cache in front of any [`Tts`]: memory,
//!   then the blob store, then synthesis, once per distinct prompt.
//! - [`audio`] — uploaded prompt files (WAV, MP3) to 8 kHz mono, and 8 kHz
//!   samples back to WAV.

pub mod audio;
mod cache;
mod espeak;
#[cfg(feature = "aws")]
mod polly;
mod spoken;

use std::time::Duration;

use async_trait::async_trait;

pub use audio::AudioError;
pub use cache::Cached;
pub use espeak::Espeak;
#[cfg(feature = "aws")]
pub use polly::Polly;
pub use spoken::spoken;

/// Sample rate of all prompt audio, in Hz (mono, signed 16-bit).
pub const RATE: u32 = 8000;

/// A text-to-speech engine producing prompt audio.
#[async_trait]
pub trait Tts: Send + Sync + std::fmt::Debug {
    /// A stable name for the engine and voice, such as `espeak-ng:ko` or
    /// `polly:Seoyeon:standard`. It is part of the cache key, so it must
    /// change whenever the same text would sound different.
    fn voice(&self) -> &str;

    /// Synthesises `text` as it is (callers normalise with [`spoken`]) to
    /// [`RATE`] mono samples.
    async fn speak(&self, text: &str) -> Result<Vec<i16>, SpeechError>;
}

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("nothing to say: the text is empty")]
    EmptyText,
    #[error("{program} is not installed: {install}")]
    NotInstalled {
        program: String,
        install: &'static str,
    },
    #[error("{program} failed ({status}): {detail}")]
    Failed {
        program: String,
        status: String,
        detail: String,
    },
    #[error("{program} did not finish within {} s", after.as_secs_f32())]
    Timeout { program: String, after: Duration },
    #[error("the speech engine produced unusable audio: {0}")]
    Audio(#[from] AudioError),
    /// The service refused this request (bad voice, text too long...):
    /// retrying the same request will not help.
    #[error("the speech service rejected the request: {0}")]
    Rejected(String),
    /// The service could not be reached or failed: a retry may succeed.
    #[error("the speech service is unavailable: {0}")]
    Unavailable(String),
}

impl SpeechError {
    /// A stable machine-readable code, for API problems and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyText => "speech_empty_text",
            Self::NotInstalled { .. } => "speech_not_installed",
            Self::Failed { .. } => "speech_failed",
            Self::Timeout { .. } => "speech_timeout",
            Self::Audio(_) => "speech_audio",
            Self::Rejected(_) => "speech_rejected",
            Self::Unavailable(_) => "speech_unavailable",
        }
    }
}

/// At most `max` characters of `s`, for error details taken from other
/// programs and services (stderr, error bodies) that may be long.
pub(crate) fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_details_are_clipped_on_a_character_boundary() {
        assert_eq!(clip("  짧다 \n", 10), "짧다");
        assert_eq!(clip("가나다라마", 3), "가나다…");
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(SpeechError::EmptyText.code(), "speech_empty_text");
        assert_eq!(
            SpeechError::Audio(AudioError::Empty { millis: 0 }).code(),
            "speech_audio"
        );
    }
}
