#!/usr/bin/env bash
# Benchmarks that print the figures the issues ask for.
#   embedded store: point get and a 50-item query page in a 1,000,000-item
#   partition, and a create-only conditional put (fsync), on a redb file.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p store --bench embedded -- --noplot "$@"
#   outbox: parse + validate + enqueue 10,000 SMS recipients (target < 1 s).
cargo bench -p app --bench outbox -- --noplot "$@"
#   statistics: 1,000,000 call ends of a year counted (target >= 5,000/s),
#   then the 통계 page's questions over that year (target p99 < 200 ms).
cargo bench -p app --bench stats
