//! Issue 5 target: parse + validate + enqueue 10,000 recipients in under a
//! second on the embedded store (a redb file, as in the local product).
//! Run: `cargo bench -p app --bench outbox`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let store =
        store::embedded::EmbeddedStore::open(&dir.path().join("bench.redb")).expect("store");
    let app = app::App::over(Arc::new(store), dir.path(), "http://127.0.0.1:9").expect("app");
    let admin = rt.block_on(async {
        app::operator::create_tenant(
            &app,
            app::operator::NewTenant {
                id: Some("bench".into()),
                name: "Bench".into(),
                representative_number: Some("1588-1234".into()),
                region: None,
            },
        )
        .await
        .expect("tenant");
        app::operator::create_admin(
            &app,
            "bench",
            "관리자",
            "admin@bench.example",
            Some("bench-password-1".into()),
        )
        .await
        .expect("admin")
        .0
    });
    // As typed in a spreadsheet: with and without hyphens.
    let recipients: Vec<String> = (0..10_000u32)
        .map(|i| {
            if i % 2 == 0 {
                format!("010-{:04}-{:04}", 4000 + i / 10_000, i % 10_000)
            } else {
                format!("010{:04}{:04}", 4000 + i / 10_000, i % 10_000)
            }
        })
        .collect();
    let mut group = c.benchmark_group("outbox");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("accept 10,000 recipients (parse, validate, enqueue)", |b| {
        b.iter(|| {
            let input = app::messaging::SendInput {
                recipients: recipients.clone(),
                text: "[벤치] 정기 점검 안내입니다.".into(),
                ..Default::default()
            };
            let batch = rt
                .block_on(app::messaging::accept(&app, &admin, true, input, None))
                .expect("accepted");
            assert_eq!(batch.recipients, 10_000);
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
