//! The blob contract: the same tests against the filesystem adapter (its
//! signed URLs served by a real local HTTP server) and the S3 adapter
//! (against moto on a free loopback port).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use blobs::fs::{DownloadError, FsBlobStore, SignedQuery};
use blobs::s3::S3BlobStore;
use blobs::{BlobError, BlobKey, BlobStore};
use bytes::Bytes;

struct Harness {
    store: Arc<dyn BlobStore>,
    /// Whether the backend checks URL expiry itself (moto does not).
    checks_expiry: bool,
    _guard: Option<Box<dyn std::any::Any + Send>>,
}

async fn fs() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let store = FsBlobStore::new(&dir.path().join("blobs"), &base, &[7u8; 32]).expect("fs store");
    let served = store.clone();
    let app = axum::Router::new()
        .route("/blobs/{*key}", axum::routing::get(download))
        .with_state(served);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Harness {
        store: Arc::new(store),
        checks_expiry: true,
        _guard: Some(Box::new(dir)),
    }
}

async fn download(
    State(store): State<FsBlobStore>,
    Path(key): Path<String>,
    Query(q): Query<SignedQuery>,
) -> axum::response::Response {
    match store.open_signed(&key, &q).await {
        Ok(blob) => (
            [(axum::http::header::CONTENT_TYPE, blob.content_type)],
            blob.bytes,
        )
            .into_response(),
        Err(DownloadError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::FORBIDDEN.into_response(),
    }
}

async fn s3() -> Harness {
    let moto = testkit::Moto::shared().expect("moto server");
    let conf = testkit::aws_config_for(&moto.endpoint()).await;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let bucket = testkit::unique_name("blobs");
    S3BlobStore::create_bucket(&client, &bucket)
        .await
        .expect("bucket");
    Harness {
        store: Arc::new(S3BlobStore::new(client, bucket)),
        checks_expiry: false,
        _guard: None,
    }
}

fn key(k: &str) -> BlobKey {
    BlobKey::parse(k).expect("valid key")
}

mod cases {
    use super::*;

    pub async fn put_then_get_returns_bytes_and_content_type(h: Harness) {
        let s = h.store;
        let body = Bytes::from_static(b"RIFF....WAVEfmt ");
        s.put(&key("recordings/t1/a.wav"), body.clone(), "audio/wav")
            .await
            .expect("put");
        let got = s
            .get(&key("recordings/t1/a.wav"))
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(got.bytes, body);
        assert_eq!(got.content_type, "audio/wav");
        assert_eq!(
            s.get(&key("recordings/t1/missing.wav")).await.expect("get"),
            None
        );
    }

    pub async fn put_replaces_an_object(h: Harness) {
        let s = h.store;
        s.put(&key("x/y"), Bytes::from_static(b"one"), "text/plain")
            .await
            .expect("put");
        s.put(&key("x/y"), Bytes::from_static(b"two!"), "application/json")
            .await
            .expect("put");
        let got = s.get(&key("x/y")).await.expect("get").expect("exists");
        assert_eq!(&got.bytes[..], b"two!");
        assert_eq!(got.content_type, "application/json");
    }

    pub async fn empty_and_large_objects_round_trip(h: Harness) {
        let s = h.store;
        s.put(&key("e/empty"), Bytes::new(), "application/octet-stream")
            .await
            .expect("put");
        assert_eq!(
            s.get(&key("e/empty"))
                .await
                .expect("get")
                .expect("exists")
                .bytes
                .len(),
            0
        );
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        s.put(
            &key("e/big.bin"),
            Bytes::from(big.clone()),
            "application/octet-stream",
        )
        .await
        .expect("put");
        assert_eq!(
            s.get(&key("e/big.bin"))
                .await
                .expect("get")
                .expect("exists")
                .bytes,
            Bytes::from(big)
        );
    }

    pub async fn delete_removes_and_is_idempotent(h: Harness) {
        let s = h.store;
        s.put(&key("d/1"), Bytes::from_static(b"1"), "text/plain")
            .await
            .expect("put");
        s.delete(&key("d/1")).await.expect("delete");
        assert_eq!(s.get(&key("d/1")).await.expect("get"), None);
        s.delete(&key("d/1")).await.expect("delete again");
        assert!(s.list("d/").await.expect("list").is_empty());
    }

    pub async fn list_returns_only_the_prefix_sorted_with_sizes(h: Harness) {
        let s = h.store;
        for (k, n) in [
            ("rec/b/2.wav", 2),
            ("rec/a/1.wav", 1),
            ("rec/a/3.wav", 3),
            ("rec2/x.wav", 4),
            ("other", 5),
        ] {
            s.put(&key(k), Bytes::from(vec![0u8; n]), "audio/wav")
                .await
                .expect("put");
        }
        let listed: Vec<(String, u64)> = s
            .list("rec/")
            .await
            .expect("list")
            .into_iter()
            .map(|m| (m.key, m.size))
            .collect();
        assert_eq!(
            listed,
            [
                ("rec/a/1.wav".to_owned(), 1),
                ("rec/a/3.wav".to_owned(), 3),
                ("rec/b/2.wav".to_owned(), 2)
            ]
        );
        let partial: Vec<String> = s
            .list("rec/a/1")
            .await
            .expect("list")
            .into_iter()
            .map(|m| m.key)
            .collect();
        assert_eq!(partial, ["rec/a/1.wav"]);
        assert_eq!(s.list("").await.expect("list").len(), 5);
        assert!(s.list("nothing/").await.expect("list").is_empty());
    }

    pub async fn download_url_serves_the_object(h: Harness) {
        let s = h.store;
        s.put(
            &key("dl/voice.wav"),
            Bytes::from_static(b"audio-bytes"),
            "audio/wav",
        )
        .await
        .expect("put");
        let url = s
            .download_url(&key("dl/voice.wav"), Duration::from_secs(60), None)
            .await
            .expect("url");
        let resp = reqwest::get(&url).await.expect("GET");
        assert_eq!(resp.status(), 200, "{url}");
        assert_eq!(resp.headers()["content-type"], "audio/wav");
        assert_eq!(&resp.bytes().await.expect("body")[..], b"audio-bytes");
        let named = s
            .download_url(
                &key("dl/voice.wav"),
                Duration::from_secs(60),
                Some("통화녹음.wav"),
            )
            .await
            .expect("named url");
        assert_eq!(reqwest::get(&named).await.expect("GET").status(), 200);
    }

    pub async fn download_url_expires(h: Harness) {
        let s = h.store;
        s.put(&key("dl/short"), Bytes::from_static(b"x"), "text/plain")
            .await
            .expect("put");
        let url = s
            .download_url(&key("dl/short"), Duration::from_secs(1), None)
            .await
            .expect("url");
        if h.checks_expiry {
            tokio::time::sleep(Duration::from_millis(2100)).await;
            assert_eq!(reqwest::get(&url).await.expect("GET").status(), 403);
        } else {
            // The emulator does not enforce expiry: check the URL asks for it.
            assert!(url.contains("X-Amz-Expires=1"), "{url}");
        }
    }

    pub async fn download_url_lifetime_is_bounded(h: Harness) {
        let s = h.store;
        for ttl in [Duration::ZERO, Duration::from_secs(8 * 24 * 3600)] {
            assert!(matches!(
                s.download_url(&key("dl/any"), ttl, None).await,
                Err(BlobError::Invalid(_))
            ));
        }
        assert!(matches!(
            s.download_url(&key("dl/any"), Duration::from_secs(5), Some("bad\"name\n"))
                .await,
            Err(BlobError::Invalid(_))
        ));
    }
}

/// Tampering with a local signed URL is refused (S3 signs its own URLs).
#[tokio::test]
async fn tampered_local_urls_are_refused() {
    let h = fs().await;
    h.store
        .put(&key("secret/a"), Bytes::from_static(b"a"), "text/plain")
        .await
        .expect("put");
    h.store
        .put(&key("secret/b"), Bytes::from_static(b"b"), "text/plain")
        .await
        .expect("put");
    let url = h
        .store
        .download_url(&key("secret/a"), Duration::from_secs(60), None)
        .await
        .expect("url");
    let other_key = url.replace("secret/a", "secret/b");
    assert_eq!(reqwest::get(&other_key).await.expect("GET").status(), 403);
    let later = {
        let exp: i64 = url
            .split("exp=")
            .nth(1)
            .and_then(|r| r.split('&').next())
            .and_then(|e| e.parse().ok())
            .expect("exp");
        url.replace(&format!("exp={exp}"), &format!("exp={}", exp + 3600))
    };
    assert_eq!(reqwest::get(&later).await.expect("GET").status(), 403);
    assert_eq!(reqwest::get(&url).await.expect("GET").status(), 200);
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod filesystem {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() { super::cases::$case(super::fs().await).await; }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() { super::cases::$case(super::s3().await).await; }
            )*
        }
    };
}

contract!(
    put_then_get_returns_bytes_and_content_type,
    put_replaces_an_object,
    empty_and_large_objects_round_trip,
    delete_removes_and_is_idempotent,
    list_returns_only_the_prefix_sorted_with_sizes,
    download_url_serves_the_object,
    download_url_expires,
    download_url_lifetime_is_bounded,
);
