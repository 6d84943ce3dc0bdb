#!/usr/bin/env bash
# Runs the product: installs the one system library the build links (libopus,
# for the media edge's Opus transcoding) if missing, then `cargo run --release`.
# Arguments go to `office` (e.g. ./scripts/run.sh --port 9090 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for p in libopus-dev pkg-config; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} (apt)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
exec cargo run --release -p office -- "$@"
