//! Amazon Polly: the production speech engine (feature `aws`).
//!
//! Polly can return raw PCM at 8 kHz (16-bit little-endian mono), exactly
//! the prompt format, so nothing is decoded or resampled here. The default
//! voice is Seoyeon, Polly's Korean voice, with the standard engine; the
//! neural engine sounds more natural at a higher price.

use async_trait::async_trait;
use aws_sdk_polly::Client;
use aws_sdk_polly::error::{DisplayErrorContext, ProvideErrorMetadata as _, SdkError};
use aws_sdk_polly::operation::synthesize_speech::SynthesizeSpeechError;
use aws_sdk_polly::types::{Engine, LanguageCode, OutputFormat, TextType, VoiceId};

use crate::{RATE, SpeechError, Tts, clip};

/// Polly speaking Korean.
#[derive(Debug, Clone)]
pub struct Polly {
    client: Client,
    voice: VoiceId,
    engine: Engine,
    name: String,
}

impl Polly {
    /// Polly's Korean voice.
    pub const DEFAULT_VOICE: &str = "Seoyeon";

    /// `voice` (such as [`Self::DEFAULT_VOICE`]) with the standard engine.
    /// Build the client once at start-up: its first TLS handshake is the
    /// slow part of the first prompt.
    pub fn new(client: Client, voice: &str) -> Self {
        Self::named(client, VoiceId::from(voice), Engine::Standard)
    }

    /// Seoyeon with the standard engine.
    pub fn seoyeon(client: Client) -> Self {
        Self::new(client, Self::DEFAULT_VOICE)
    }

    /// The same voice on another engine (`Engine::Neural` for Seoyeon).
    pub fn with_engine(self, engine: Engine) -> Self {
        Self::named(self.client, self.voice, engine)
    }

    fn named(client: Client, voice: VoiceId, engine: Engine) -> Self {
        let name = format!("polly:{}:{}", voice.as_str(), engine.as_str());
        Self {
            client,
            voice,
            engine,
            name,
        }
    }

    fn classify(&self, e: SdkError<SynthesizeSpeechError>) -> SpeechError {
        let service_error = match &e {
            SdkError::ServiceError(service) => Some((service.err(), service.raw().status())),
            _ => None,
        };
        match service_error {
            Some((err, status))
                if !status.is_server_error() && !err.is_service_failure_exception() =>
            {
                SpeechError::Rejected(format!(
                    "Polly refused voice {} ({} engine): {}: {}",
                    self.voice.as_str(),
                    self.engine.as_str(),
                    err.code().unwrap_or("unknown error"),
                    clip(err.message().unwrap_or("no message"), 300),
                ))
            }
            _ => SpeechError::Unavailable(format!("Polly: {}", DisplayErrorContext(&e))),
        }
    }
}

#[async_trait]
impl Tts for Polly {
    fn voice(&self) -> &str {
        &self.name
    }

    async fn speak(&self, text: &str) -> Result<Vec<i16>, SpeechError> {
        if text.trim().is_empty() {
            return Err(SpeechError::EmptyText);
        }
        let out = self
            .client
            .synthesize_speech()
            .output_format(OutputFormat::Pcm)
            .sample_rate(RATE.to_string())
            .language_code(LanguageCode::KoKr)
            .voice_id(self.voice.clone())
            .engine(self.engine.clone())
            .text_type(TextType::Text)
            .text(text)
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        let pcm = out
            .audio_stream
            .collect()
            .await
            .map_err(|e| SpeechError::Unavailable(format!("Polly audio stream: {e}")))?
            .into_bytes();
        samples(&pcm)
    }
}

/// Polly's `pcm`: signed 16-bit little-endian mono, no header.
fn samples(pcm: &[u8]) -> Result<Vec<i16>, SpeechError> {
    if !pcm.len().is_multiple_of(2) {
        return Err(SpeechError::Unavailable(format!(
            "Polly returned {} bytes of 16-bit PCM (an odd number): the stream was cut",
            pcm.len()
        )));
    }
    Ok(pcm
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcm_is_little_endian_16_bit() {
        assert_eq!(
            samples(&[0x01, 0x00, 0xFF, 0xFF, 0x00, 0x80]).expect("even"),
            vec![1, -1, i16::MIN]
        );
        assert!(samples(&[0, 0, 0]).is_err());
    }
}
