//! A content-addressed prompt cache in front of any [`Tts`].
//!
//! IVR menus say the same few sentences all day: synthesising each time
//! would add Polly's latency and price to every call. A prompt is keyed by
//! sha256(voice + "\n" + normalised text), so changing the voice or the
//! wording is a new prompt and nothing needs invalidating.
//!
//! Lookup order: this process's memory (bounded, least recently used goes
//! first), then the blob store (`tts/<hex>.wav`, shared by every edge and
//! surviving restarts), then the engine, whose result is stored in both.
//! Callers asking for the same prompt at once share one synthesis. The blob
//! store is an optimisation: when it fails, speech goes on and the failure
//! is logged.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use blobs::{BlobKey, BlobStore};
use bytes::Bytes;
use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;

use crate::{SpeechError, Tts, audio, spoken};

type Key = [u8; 32];
type Slot = Arc<OnceCell<Arc<[i16]>>>;

/// Synthesised prompts cached in memory and in a blob store.
pub struct Cached {
    inner: Arc<dyn Tts>,
    blobs: Option<Arc<dyn BlobStore>>,
    capacity: usize,
    memory: Mutex<Memory>,
}

impl Cached {
    /// Prompts kept in memory by default. A prompt is 16 KB a second of
    /// audio, so a few seconds each makes this tens of megabytes at most.
    pub const CAPACITY: usize = 512;

    pub fn new(inner: Arc<dyn Tts>, blobs: Option<Arc<dyn BlobStore>>) -> Self {
        Self {
            inner,
            blobs,
            capacity: Self::CAPACITY,
            memory: Mutex::new(Memory::default()),
        }
    }

    /// Keeps at most `capacity` prompts (at least one) in memory.
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The wrapped engine's voice.
    pub fn voice(&self) -> &str {
        self.inner.voice()
    }

    /// Where the prompt for `text` is (or would be) stored in the blob store.
    pub fn blob_key(&self, text: &str) -> BlobKey {
        blob_key(&key(self.inner.voice(), &spoken(text)))
    }

    /// `text` ([`spoken`]-normalised) as 8 kHz samples, synthesised at most
    /// once per voice and text while it stays cached.
    pub async fn speak(&self, text: &str) -> Result<Arc<[i16]>, SpeechError> {
        let text = spoken(text);
        if text.is_empty() {
            return Err(SpeechError::EmptyText);
        }
        let key = key(self.inner.voice(), &text);
        let slot = self.lock().slot(key, self.capacity);
        match slot.get_or_try_init(|| self.load(&key, &text)).await {
            Ok(samples) => Ok(samples.clone()),
            Err(e) => {
                // Leave no empty slot behind; the next caller tries afresh.
                self.lock().forget_empty(&key, &slot);
                Err(e)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // The map stays consistent under every panic point: keep using it.
        self.memory.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The blob store's copy, else a fresh synthesis (stored before returning,
    /// so the next process finds it).
    async fn load(&self, key: &Key, text: &str) -> Result<Arc<[i16]>, SpeechError> {
        let blob_key = blob_key(key);
        if let Some(store) = &self.blobs {
            match store.get(&blob_key).await {
                Ok(Some(blob)) => match audio::samples_of(&blob.bytes) {
                    Ok(samples) => return Ok(samples.into()),
                    Err(e) => {
                        tracing::warn!(key = %blob_key, error = %e, "cached prompt unreadable; synthesising again");
                    }
                },
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(key = %blob_key, error = %e, "prompt cache lookup failed; synthesising");
                }
            }
        }
        let samples: Arc<[i16]> = self.inner.speak(text).await?.into();
        if let Some(store) = &self.blobs {
            let wav = Bytes::from(audio::wav(&samples));
            if let Err(e) = store.put(&blob_key, wav, "audio/wav").await {
                tracing::warn!(key = %blob_key, error = %e, "could not store the synthesised prompt");
            }
        }
        Ok(samples)
    }
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("inner", &self.inner)
            .field("blobs", &self.blobs)
            .field("capacity", &self.capacity)
            .field("in_memory", &self.lock().slots.len())
            .finish()
    }
}

fn key(voice: &str, text: &str) -> Key {
    let mut hash = Sha256::new();
    hash.update(voice.as_bytes());
    hash.update(b"\n");
    hash.update(text.as_bytes());
    hash.finalize().into()
}

fn blob_key(key: &Key) -> BlobKey {
    // Hex digits and a fixed prefix always make a valid key.
    BlobKey::parse(&format!("tts/{}.wav", hex::encode(key)))
        .unwrap_or_else(|e| unreachable!("hex blob key rejected: {e}"))
}

/// In-memory slots, each a prompt or a synthesis in flight, with their
/// last use (a tick) so the least recently used can go.
#[derive(Default)]
struct Memory {
    slots: HashMap<Key, (Slot, u64)>,
    by_use: BTreeMap<u64, Key>,
    tick: u64,
}

impl Memory {
    fn slot(&mut self, key: Key, capacity: usize) -> Slot {
        self.tick += 1;
        let tick = self.tick;
        if let Some((slot, used)) = self.slots.get_mut(&key) {
            self.by_use.remove(used);
            *used = tick;
            self.by_use.insert(tick, key);
            return slot.clone();
        }
        while self.slots.len() >= capacity {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            // Waiters on an evicted in-flight slot keep their Arc and still
            // get its result.
            self.slots.remove(&oldest);
        }
        let slot = Slot::default();
        self.slots.insert(key, (slot.clone(), tick));
        self.by_use.insert(tick, key);
        slot
    }

    fn forget_empty(&mut self, key: &Key, slot: &Slot) {
        if let Some((current, used)) = self.slots.get(key)
            && Arc::ptr_eq(current, slot)
            && !current.initialized()
        {
            self.by_use.remove(used);
            self.slots.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use async_trait::async_trait;
    use blobs::fs::FsBlobStore;
    use blobs::{Blob, BlobError, BlobMeta, BlobResult};

    use super::*;

    /// Counts syntheses; says the text's length in samples so results differ.
    #[derive(Debug)]
    struct Counting {
        voice: String,
        calls: AtomicUsize,
        fail: bool,
    }

    impl Counting {
        fn new(voice: &str) -> Arc<Self> {
            Arc::new(Self {
                voice: voice.to_owned(),
                calls: AtomicUsize::new(0),
                fail: false,
            })
        }

        fn failing() -> Arc<Self> {
            Arc::new(Self {
                voice: "failing".into(),
                calls: AtomicUsize::new(0),
                fail: true,
            })
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl Tts for Counting {
        fn voice(&self) -> &str {
            &self.voice
        }

        async fn speak(&self, text: &str) -> Result<Vec<i16>, SpeechError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            // Long enough for concurrent callers to arrive while this runs.
            tokio::time::sleep(Duration::from_millis(50)).await;
            if self.fail {
                return Err(SpeechError::Unavailable("down".into()));
            }
            Ok((0..text.chars().count() as i16).collect())
        }
    }

    /// A blob store whose every call fails, as an unreachable S3 would.
    #[derive(Debug)]
    struct Unreachable;

    #[async_trait]
    impl BlobStore for Unreachable {
        async fn put(&self, _: &BlobKey, _: Bytes, _: &str) -> BlobResult<()> {
            Err(BlobError::Unavailable("connection refused".into()))
        }
        async fn get(&self, _: &BlobKey) -> BlobResult<Option<Blob>> {
            Err(BlobError::Unavailable("connection refused".into()))
        }
        async fn delete(&self, _: &BlobKey) -> BlobResult<()> {
            Err(BlobError::Unavailable("connection refused".into()))
        }
        async fn list(&self, _: &str) -> BlobResult<Vec<BlobMeta>> {
            Err(BlobError::Unavailable("connection refused".into()))
        }
        async fn download_url(
            &self,
            _: &BlobKey,
            _: Duration,
            _: Option<&str>,
        ) -> BlobResult<String> {
            Err(BlobError::Unavailable("connection refused".into()))
        }
    }

    fn fs_store(dir: &tempfile::TempDir) -> Arc<dyn BlobStore> {
        Arc::new(
            FsBlobStore::new(&dir.path().join("blobs"), "http://127.0.0.1:1", &[7u8; 32])
                .expect("fs store"),
        )
    }

    #[tokio::test]
    async fn a_second_request_does_not_synthesise_again() {
        let tts = Counting::new("v1");
        let cache = Cached::new(tts.clone(), None);
        let first = cache.speak("안녕하세요").await.expect("speech");
        let second = cache.speak("안녕하세요").await.expect("speech");
        assert_eq!(tts.calls(), 1);
        assert!(Arc::ptr_eq(&first, &second));
    }

    #[tokio::test]
    async fn the_key_is_the_normalised_text() {
        let tts = Counting::new("v1");
        let cache = Cached::new(tts.clone(), None);
        cache
            .speak("상담원  연결은 02-123-4567")
            .await
            .expect("speech");
        cache
            .speak(" 상담원 연결은 02-123-4567 ")
            .await
            .expect("speech");
        assert_eq!(tts.calls(), 1);
        cache
            .speak("상담원 연결은 02-123-4568")
            .await
            .expect("speech");
        assert_eq!(tts.calls(), 2);
    }

    #[tokio::test]
    async fn a_different_voice_is_a_different_prompt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = fs_store(&dir);
        let (a, b) = (Counting::new("v1"), Counting::new("v2"));
        let ca = Cached::new(a.clone(), Some(store.clone()));
        let cb = Cached::new(b.clone(), Some(store.clone()));
        assert_ne!(ca.blob_key("안녕하세요"), cb.blob_key("안녕하세요"));
        ca.speak("안녕하세요").await.expect("speech");
        cb.speak("안녕하세요").await.expect("speech");
        assert_eq!((a.calls(), b.calls()), (1, 1));
        assert_eq!(store.list("tts/").await.expect("list").len(), 2);
    }

    #[tokio::test]
    async fn a_fresh_process_finds_the_prompt_in_the_blob_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = fs_store(&dir);
        let tts = Counting::new("v1");
        let first = Cached::new(tts.clone(), Some(store.clone()))
            .speak("영업시간이 아닙니다")
            .await
            .expect("speech");
        let key = Cached::new(tts.clone(), None).blob_key("영업시간이 아닙니다");
        assert!(key.as_str().starts_with("tts/") && key.as_str().ends_with(".wav"));
        let blob = store.get(&key).await.expect("get").expect("stored");
        assert_eq!(blob.content_type, "audio/wav");

        let restarted = Cached::new(tts.clone(), Some(store));
        let again = restarted
            .speak("영업시간이 아닙니다")
            .await
            .expect("speech");
        assert_eq!(tts.calls(), 1, "served from the blob store");
        assert_eq!(&*again, &*first);
    }

    #[tokio::test]
    async fn concurrent_requests_synthesise_once() {
        let tts = Counting::new("v1");
        let cache = Cached::new(tts.clone(), None);
        let results =
            futures::future::join_all((0..8).map(|_| cache.speak("잠시만 기다려 주세요"))).await;
        assert_eq!(tts.calls(), 1);
        let first = results[0].as_ref().expect("speech");
        for r in &results {
            assert!(Arc::ptr_eq(first, r.as_ref().expect("speech")));
        }
    }

    #[tokio::test]
    async fn concurrent_requests_across_tasks_synthesise_once() {
        let tts = Counting::new("v1");
        let cache = Arc::new(Cached::new(tts.clone(), None));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.speak("잠시만 기다려 주세요").await })
            })
            .collect();
        for t in tasks {
            t.await.expect("task").expect("speech");
        }
        assert_eq!(tts.calls(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_blob_store_does_not_stop_speech() {
        let tts = Counting::new("v1");
        let cache = Cached::new(tts.clone(), Some(Arc::new(Unreachable)));
        let samples = cache
            .speak("안녕하세요")
            .await
            .expect("speech despite the store");
        assert_eq!(samples.len(), 5);
        cache.speak("안녕하세요").await.expect("from memory");
        assert_eq!(tts.calls(), 1);
    }

    #[tokio::test]
    async fn an_unreadable_cached_blob_is_synthesised_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = fs_store(&dir);
        let tts = Counting::new("v1");
        let cache = Cached::new(tts.clone(), Some(store.clone()));
        store
            .put(
                &cache.blob_key("안녕하세요"),
                Bytes::from_static(b"garbage"),
                "audio/wav",
            )
            .await
            .expect("put");
        let samples = cache.speak("안녕하세요").await.expect("speech");
        assert_eq!(tts.calls(), 1);
        let blob = store
            .get(&cache.blob_key("안녕하세요"))
            .await
            .expect("get")
            .expect("stored");
        assert_eq!(audio::samples_of(&blob.bytes).expect("repaired"), &*samples);
    }

    #[tokio::test]
    async fn a_failed_synthesis_is_not_cached() {
        let tts = Counting::failing();
        let cache = Cached::new(tts.clone(), None);
        let err = cache.speak("안녕하세요").await.expect_err("engine down");
        assert!(matches!(err, SpeechError::Unavailable(_)));
        cache.speak("안녕하세요").await.expect_err("engine down");
        assert_eq!(tts.calls(), 2, "tried again");
        assert_eq!(cache.lock().slots.len(), 0);
    }

    #[tokio::test]
    async fn blank_text_is_refused() {
        let tts = Counting::new("v1");
        let cache = Cached::new(tts.clone(), None);
        assert!(matches!(
            cache.speak(" \n").await,
            Err(SpeechError::EmptyText)
        ));
        assert_eq!(tts.calls(), 0);
    }

    #[tokio::test]
    async fn the_least_recently_used_prompt_is_evicted() {
        let tts = Counting::new("v1");
        let cache = Cached::new(tts.clone(), None).with_capacity(2);
        cache.speak("하나").await.expect("speech");
        cache.speak("둘").await.expect("speech");
        cache.speak("하나").await.expect("speech"); // 하나 is now the most recent
        cache.speak("셋").await.expect("speech"); // evicts 둘
        assert_eq!(tts.calls(), 3);
        cache.speak("하나").await.expect("speech");
        cache.speak("셋").await.expect("speech");
        assert_eq!(tts.calls(), 3);
        cache.speak("둘").await.expect("speech");
        assert_eq!(tts.calls(), 4);
        let memory = cache.lock();
        assert_eq!((memory.slots.len(), memory.by_use.len()), (2, 2));
    }

    #[test]
    fn the_key_is_sha256_of_voice_newline_text() {
        let expected = Sha256::digest("espeak-ng:ko\n안녕");
        assert_eq!(key("espeak-ng:ko", "안녕"), <[u8; 32]>::from(expected));
    }
}
