//! The recording spool: finished WAVs wait on local disk, each with a small
//! JSON note of where it belongs, until the blob store has them and the
//! call record lists them. An upload that fails is retried later (the
//! edge's loop, or after a restart); a WAV is deleted only once both the
//! blob and the record are written, and both writes are safe to repeat.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use blobs::BlobKey;
use domain::TenantId;
use serde::{Deserialize, Serialize};
use store::repo::calls;

/// Where a spooled WAV goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub tenant: String,
    pub call_id: String,
    pub key: String,
    pub started_ms: i64,
    pub duration_ms: i64,
    /// The users on the call (whose event streams hear it is ready).
    #[serde(default)]
    pub accounts: Vec<domain::AccountId>,
}

#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
    app: app::App,
    kick: Arc<tokio::sync::Notify>,
    /// Where `recording.ready` events go.
    events: Arc<std::sync::OnceLock<app::events::Outbox>>,
}

impl Spool {
    pub fn new(app: app::App, dir: PathBuf) -> Self {
        Self {
            dir,
            app,
            kick: Arc::new(tokio::sync::Notify::new()),
            events: Arc::default(),
        }
    }

    /// Announces each uploaded recording to `outbox` from now on.
    pub fn emit_to(&self, outbox: app::events::Outbox) {
        let _ = self.events.set(outbox);
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where segment `n` of a call is written while it records.
    pub fn segment_path(&self, call_id: &str, n: u32) -> PathBuf {
        self.dir.join(format!("{call_id}-{n}.wav"))
    }

    /// The blob key of a segment: `recordings/<tenant>/<yyyymm>/<call>-<n>.wav`.
    pub fn blob_key(tenant: &TenantId, call_id: &str, started_ms: i64, n: u32) -> String {
        format!(
            "recordings/{tenant}/{}/{call_id}-{n}.wav",
            calls::month_of(started_ms)
        )
    }

    /// Queues a finished WAV for upload and wakes the uploader.
    pub fn enqueue(&self, wav: &Path, note: &Note) -> std::io::Result<()> {
        let json = serde_json::to_vec(note).map_err(std::io::Error::other)?;
        let tmp = wav.with_extension("json.part");
        blobs::private::write(&tmp, &json)?;
        std::fs::rename(&tmp, wav.with_extension("json"))?;
        self.kick.notify_one();
        Ok(())
    }

    /// Uploads everything waiting; returns how many went and how many are still waiting.
    pub async fn upload_pending(&self) -> (usize, usize) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return (0, 0);
        };
        let notes: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        let (mut done, mut left) = (0, 0);
        for note in notes {
            match self.upload(&note).await {
                Ok(()) => done += 1,
                Err(e) => {
                    left += 1;
                    tracing::warn!(error = %e, note = %note.display(), "recording upload failed; will retry");
                }
            }
        }
        (done, left)
    }

    async fn upload(&self, note_path: &Path) -> Result<(), String> {
        let note: Note =
            serde_json::from_slice(&std::fs::read(note_path).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
        let wav = note_path.with_extension("wav");
        let bytes = std::fs::read(&wav).map_err(|e| e.to_string())?;
        let key = BlobKey::parse(&note.key).map_err(|e| e.to_string())?;
        self.app
            .blobs
            .put(&key, bytes.into(), "audio/wav")
            .await
            .map_err(|e| e.to_string())?;
        let tenant = TenantId::parse(&note.tenant).map_err(|e| e.to_string())?;
        calls::add_recording(
            &*self.app.store,
            &tenant,
            &note.call_id,
            calls::Recording {
                key: note.key.clone(),
                started_ms: note.started_ms,
                duration_ms: note.duration_ms,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        if let Some(outbox) = self.events.get() {
            outbox.emit(vec![ready(&tenant, &note)]);
        }
        std::fs::remove_file(&wav).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(note_path);
        Ok(())
    }

    /// Uploads whenever something is queued, and every `every` in case a
    /// previous attempt failed. Runs until the task is dropped.
    pub async fn run(self, every: std::time::Duration) {
        loop {
            self.upload_pending().await;
            let _ = tokio::time::timeout(every, self.kick.notified()).await;
        }
    }
}

/// The `recording.ready` event of an uploaded segment (numbered by segment,
/// so an upload repeated after a crash announces the same event).
fn ready(tenant: &TenantId, note: &Note) -> domain::event::Event {
    use domain::event::{Event, Kind, RECORDING_SEQ_BASE, RecordingReady};
    let segment = note
        .key
        .rsplit_once('-')
        .and_then(|(_, n)| n.trim_end_matches(".wav").parse::<u32>().ok())
        .unwrap_or(0);
    let kind = Kind::RecordingReady(RecordingReady {
        call_id: note.call_id.clone(),
        key: note.key.clone(),
        segment,
        started_ms: note.started_ms,
        duration_ms: note.duration_ms,
        accounts: note.accounts.clone(),
    });
    Event::new(
        tenant.clone(),
        &note.call_id,
        RECORDING_SEQ_BASE + segment,
        store::now_epoch_ms(),
        kind,
    )
}
