//! The audio of ARS prompts: text spoken by the TTS port (the app's
//! `speech`, cached by voice and text), or a recording the tenant uploaded
//! (stored already converted to an 8 kHz WAV under [`app::ivr::prompt_key`],
//! kept here once read: an upload gets a new id, so an id's audio never
//! changes). A prompt that cannot be had is logged and skipped: the caller
//! hears the rest, and a menu still waits for keys.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::TenantId;
use domain::ivr::Prompt;

use crate::prompts::pcm_samples;

/// Recordings kept in memory at most (each a few seconds at 16 kB/s).
const RECORDINGS_KEPT: usize = 256;
/// Silence between prompts played back to back (0.3 s at 8 kHz).
const GAP: usize = 2400;

/// Uploaded recordings read so far, by tenant and prompt id.
type Recordings = HashMap<(TenantId, String), Arc<[i16]>>;

pub struct Voice {
    app: app::App,
    recordings: Mutex<Recordings>,
}

impl std::fmt::Debug for Voice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Voice").finish_non_exhaustive()
    }
}

impl Voice {
    pub fn new(app: app::App) -> Self {
        Self {
            app,
            recordings: Mutex::default(),
        }
    }

    /// The samples of `prompts` back to back (8 kHz), with a short gap.
    pub async fn render(&self, tenant: &TenantId, prompts: &[Prompt]) -> Vec<i16> {
        let mut out = Vec::new();
        for (i, p) in prompts.iter().enumerate() {
            let Some(s) = self.one(tenant, p).await else {
                continue;
            };
            if i > 0 {
                out.extend(std::iter::repeat_n(0, GAP));
            }
            out.extend_from_slice(&s);
        }
        out
    }

    async fn one(&self, tenant: &TenantId, p: &Prompt) -> Option<Arc<[i16]>> {
        match p {
            Prompt::Tts { text } => match self.app.speech.speak(text).await {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::error!(error = %e, "an ARS prompt could not be spoken");
                    None
                }
            },
            Prompt::Audio { id } => self.recording(tenant, id).await,
        }
    }

    async fn recording(&self, tenant: &TenantId, id: &str) -> Option<Arc<[i16]>> {
        let kept_as = (tenant.clone(), id.to_owned());
        if let Some(hit) = self.kept(|m| m.get(&kept_as).cloned()) {
            return Some(hit);
        }
        let key = app::ivr::prompt_key(tenant, id)?;
        let blob = match self.app.blobs.get(&key).await {
            Ok(Some(b)) => b,
            Ok(None) => {
                tracing::warn!(%tenant, id, "an ARS prompt's recording is missing");
                return None;
            }
            Err(e) => {
                tracing::error!(error = %e, id, "an ARS prompt's recording is unreadable");
                return None;
            }
        };
        let samples: Arc<[i16]> = pcm_samples(&blob.bytes).into();
        self.kept(|m| {
            if m.len() >= RECORDINGS_KEPT {
                m.clear();
            }
            m.insert(kept_as, samples.clone());
        });
        Some(samples)
    }

    fn kept<T>(&self, f: impl FnOnce(&mut Recordings) -> T) -> T {
        let mut guard = self.recordings.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}
