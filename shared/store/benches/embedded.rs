//! Embedded store benchmarks (issue targets: point get < 10 µs, a 50-item
//! query page from a 1,000,000-item partition < 1 ms; conditional put
//! reported). The store is a redb file in a temporary directory, as in the
//! local product. Run: `cargo bench -p store --bench embedded`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use store::embedded::EmbeddedStore;
use store::{Condition, Item, Key, Query, SortKey, Store};

const PARTITION: &str = "TENANT#bench#CDR#202611";
const ITEMS: u32 = 1_000_000;

fn sk(i: u32) -> String {
    format!("2026-11-{:02}T{:08}#call-{i}", 1 + i % 28, i)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = EmbeddedStore::open(&dir.path().join("bench.redb")).expect("store");

    let started = std::time::Instant::now();
    rt.block_on(async {
        let mut batch = Vec::with_capacity(50_000);
        for i in 0..ITEMS {
            batch.push(
                Item::new(&Key::new(PARTITION, sk(i)))
                    .with("caller", "+827040000001")
                    .with("callee", "+821020000002")
                    .with("direction", "outgoing")
                    .with("duration", i64::from(i % 600)),
            );
            if batch.len() == 50_000 {
                store
                    .bulk_put(std::mem::take(&mut batch))
                    .await
                    .expect("load");
            }
        }
        store.bulk_put(batch).await.expect("load");
    });
    eprintln!("loaded {ITEMS} items in {:.1?}", started.elapsed());

    let mut n = 0u32;
    let mut next = move || {
        // A cheap LCG walk over the partition so reads are not all cached neighbours.
        n = n.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        n % ITEMS
    };

    let mut group = c.benchmark_group("embedded");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("get (1M-item partition)", |b| {
        b.iter(|| {
            let key = Key::new(PARTITION, sk(next()));
            let got = rt.block_on(store.get(&key)).expect("get");
            black_box(got.expect("present"));
        });
    });
    group.bench_function("query page of 50 (1M-item partition)", |b| {
        b.iter(|| {
            let q = Query::partition(PARTITION)
                .sk(SortKey::Ge(sk(next())))
                .limit(50);
            let page = rt.block_on(store.query(&q)).expect("query");
            black_box(page.items.len());
        });
    });
    group.bench_function("query page of 50, descending", |b| {
        b.iter(|| {
            let q = Query::partition(PARTITION)
                .sk(SortKey::Le(sk(next())))
                .limit(50)
                .descending();
            black_box(rt.block_on(store.query(&q)).expect("query").items.len());
        });
    });
    let mut id = 0u64;
    group.sample_size(30);
    group.bench_function("conditional put (create-only, fsync)", |b| {
        b.iter(|| {
            id += 1;
            let item = Item::new(&Key::new("TENANT#bench", format!("EXT#{id}"))).with("owner", "a");
            rt.block_on(store.put(item, Some(Condition::absent())))
                .expect("put");
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
