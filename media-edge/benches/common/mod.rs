//! What the edge's benchmarks share: their command line and percentiles.

/// `[COUNTS...] [--secs S]` (cargo's own `--bench` ignored): the counts to
/// run (`default` when none are given) and seconds per run (10).
pub fn args(default: &[usize]) -> (Vec<usize>, u64) {
    let mut counts: Vec<usize> = Vec::new();
    let mut secs = 10;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--secs" => secs = args.next().and_then(|s| s.parse().ok()).unwrap_or(secs),
            "--bench" => {}
            other => counts.extend(other.parse::<usize>().ok()),
        }
    }
    if counts.is_empty() {
        counts = default.to_vec();
    }
    (counts, secs)
}

/// The value at fraction `p` of `sorted` (0 when empty).
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0)
}

/// The multi-threaded runtime the edge runs on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}
