#!/usr/bin/env bash
# Runs the product: installs what it needs from Debian if missing (libopus,
# which the build links for the media edge's Opus transcoding, and espeak-ng,
# which speaks ARS prompts), then `cargo run --release`.
# Arguments go to `office` (e.g. ./scripts/run.sh --port 9090 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for p in libopus-dev pkg-config espeak-ng; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} (apt)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
exec cargo run --release -p office -- "$@"
