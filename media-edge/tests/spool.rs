//! Recordings are never lost: a failed upload leaves the WAV in the spool
//! and the next attempt delivers it (once). Call records left open by a
//! crash are closed when the edge starts again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use blobs::{Blob, BlobError, BlobKey, BlobMeta, BlobResult, BlobStore};
use bytes::Bytes;
use media_edge::recording::Recorder;
use media_edge::rtp::Leg;
use media_edge::spool::{Note, Spool};
use store::repo::calls::{self, CallRecord, Direction, Disposition, Party};

/// A blob store that is down for the first `failures` puts.
#[derive(Debug)]
struct Flaky {
    inner: Arc<dyn BlobStore>,
    failures: AtomicU32,
}

#[async_trait]
impl BlobStore for Flaky {
    async fn put(&self, key: &BlobKey, bytes: Bytes, content_type: &str) -> BlobResult<()> {
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(BlobError::Unavailable("S3 is down".into()));
        }
        self.inner.put(key, bytes, content_type).await
    }
    async fn get(&self, key: &BlobKey) -> BlobResult<Option<Blob>> {
        self.inner.get(key).await
    }
    async fn delete(&self, key: &BlobKey) -> BlobResult<()> {
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str) -> BlobResult<Vec<BlobMeta>> {
        self.inner.list(prefix).await
    }
    async fn download_url(
        &self,
        key: &BlobKey,
        ttl: Duration,
        filename: Option<&str>,
    ) -> BlobResult<String> {
        self.inner.download_url(key, ttl, filename).await
    }
}

fn record(edge: &str) -> CallRecord {
    let started = store::now_epoch_ms();
    CallRecord {
        tenant: domain::TenantId::parse("acme").expect("t"),
        id: calls::new_id(started),
        direction: Direction::Incoming,
        caller: Party {
            number: "010-1234-5678".into(),
            ..Party::default()
        },
        callee: Party {
            number: "1002".into(),
            account: Some(domain::AccountId::parse("0123456789abcdef0123456789abcdef").expect("a")),
            name: None,
        },
        started_ms: started,
        answered_ms: Some(started + 2000),
        ended_ms: None,
        disposition: Disposition::Answered,
        cause: None,
        recordings: Vec::new(),
        quality: [None, None],
        edge: edge.into(),
        previous: None,
        hunt_group: None,
        ivr: None,
        line: None,
        queued_ms: None,
    }
}

#[tokio::test]
async fn a_failed_upload_is_retried_from_disk_and_lands_once() {
    let dir = tempfile::tempdir().expect("dir");
    let mut app = app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    app.blobs = Arc::new(Flaky {
        inner: app.blobs.clone(),
        failures: AtomicU32::new(2),
    });
    let mut r = record("local");
    calls::save_open(&*app.store, &r).await.expect("open");
    r.ended_ms = Some(r.started_ms + 5000);
    calls::close(&*app.store, &r).await.expect("close");

    let spool = Spool::new(app.clone(), dir.path().join("spool"));
    spool.emit_to(app::events::Outbox::start(
        app.store.clone(),
        app.events.clone(),
        "edge-test",
    ));
    let mut events = app.live.subscribe();
    let wav = spool.segment_path(&r.id, 1);
    let mut rec = Recorder::create(&wav, Duration::ZERO).expect("recorder");
    for i in 0..100u32 {
        rec.write(
            Leg::A,
            i * 160,
            Duration::from_millis(u64::from(i) * 20),
            &[900; 160],
        );
    }
    let (wav, len) = rec.finish().expect("finish");
    let key = Spool::blob_key(&r.tenant, &r.id, r.started_ms, 1);
    spool
        .enqueue(
            &wav,
            &Note {
                tenant: "acme".into(),
                call_id: r.id.clone(),
                key: key.clone(),
                started_ms: r.started_ms,
                duration_ms: i64::try_from(len.as_millis()).expect("ms"),
                accounts: Vec::new(),
            },
        )
        .expect("enqueue");

    assert_eq!(spool.upload_pending().await, (0, 1), "storage down: kept");
    assert!(wav.exists(), "the WAV waits on disk");
    assert_eq!(spool.upload_pending().await, (0, 1), "still down");
    assert_eq!(spool.upload_pending().await, (1, 0), "back up: delivered");
    assert!(!wav.exists(), "removed only after delivery");
    assert_eq!(spool.upload_pending().await, (0, 0), "nothing twice");
    let ready = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("announced")
        .expect("event");
    assert_eq!(ready.type_name(), "recording.ready");
    assert_eq!(ready.id, format!("{}.10001", r.id), "numbered by segment");

    let stored = calls::get(&*app.store, &r.tenant, &r.id)
        .await
        .expect("get")
        .expect("call");
    assert_eq!(stored.recordings.len(), 1);
    assert_eq!(stored.recordings[0].key, key);
    assert_eq!(stored.recordings[0].duration_ms, 2000);
    assert_eq!(
        stored.ended_ms, r.ended_ms,
        "the upload kept the rest of the record"
    );
    let blob = app
        .blobs
        .get(&BlobKey::parse(&key).expect("key"))
        .await
        .expect("get")
        .expect("uploaded");
    assert_eq!(blob.content_type, "audio/wav");
    // Adding the same recording again (a retry after a crash) changes nothing.
    calls::add_recording(&*app.store, &r.tenant, &r.id, stored.recordings[0].clone())
        .await
        .expect("again");
    let again = calls::get(&*app.store, &r.tenant, &r.id)
        .await
        .expect("get")
        .expect("call");
    assert_eq!(again.recordings.len(), 1);
}

#[tokio::test]
async fn records_left_open_by_a_crash_are_closed_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let app = app::App::in_memory(dir.path(), "http://127.0.0.1:9").expect("app");
    let mut ringing = record(&app.region);
    ringing.answered_ms = None;
    ringing.disposition = Disposition::InProgress;
    calls::save_open(&*app.store, &ringing).await.expect("open");
    let talking = record(&app.region);
    calls::save_open(&*app.store, &talking).await.expect("open");

    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let edge = media_edge::edge::Edge::new(
        app.clone(),
        b"k",
        socket,
        media_edge::edge::EdgeConfig::default(),
        dir.path().join("spool"),
    )
    .expect("edge");
    assert_eq!(edge.close_orphans().await, 2);
    assert_eq!(edge.close_orphans().await, 0, "closed once");
    let r = calls::get(&*app.store, &ringing.tenant, &ringing.id)
        .await
        .expect("get")
        .expect("call");
    assert_eq!(
        (r.direction, r.disposition, r.cause.as_deref()),
        (Direction::Missed, Disposition::Failed, Some("edge restart"))
    );
    assert!(r.ended_ms.is_some());
    let t = calls::get(&*app.store, &talking.tenant, &talking.id)
        .await
        .expect("get")
        .expect("call");
    assert_eq!(
        (t.direction, t.disposition),
        (Direction::Incoming, Disposition::Answered)
    );
    // The account's copy was closed too.
    let mine = calls::search(
        &*app.store,
        &t.tenant,
        &calls::Filter {
            account: Some(domain::AccountId::parse("0123456789abcdef0123456789abcdef").expect("a")),
            from_ms: 0,
            to_ms: i64::MAX / 2,
            ..calls::Filter::default()
        },
        10,
        None,
    )
    .await
    .expect("search");
    assert_eq!(mine.calls.len(), 2);
    assert!(mine.calls.iter().all(|c| c.ended_ms.is_some()));
}
