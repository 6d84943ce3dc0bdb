#!/usr/bin/env bash
# The whole test suite, installing what it needs first (idempotent).
#
#   ./scripts/test.sh            everything CI runs
#   QUICK=1 ./scripts/test.sh    skip the Lambda release build and template checks
#
# Installs: Debian chromium, chromium-driver and fonts-noto-cjk (browser tests),
# Python tools (moto server, cfn-lint, cargo-lambda with zig; the
# SAM CLI in its own venv because it pins a different cfn-lint), the arm64
# Rust target for Lambda builds. Then: fmt, clippy, unit + contract + end-to-end
# tests (moto and the office binary are started on free 127.0.0.1 ports by the
# tests themselves and stopped when they end), the Lambda build, template lint.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { printf '\n==> %s\n' "$*"; }

TOOLS="${OFFICE_TOOLS_DIR:-$HOME/.cache/office-tools}"
mkdir -p "$TOOLS"

step "Debian packages (headless Chromium + chromedriver, Korean fonts, sipp, stunnel, baresip, libopus, espeak-ng)"
apt_packages=(chromium chromium-driver fonts-noto-cjk sip-tester stunnel4 baresip-core libopus-dev pkg-config iproute2 espeak-ng openssl)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
command -v chromium >/dev/null
command -v chromedriver >/dev/null
command -v sipp >/dev/null
command -v stunnel >/dev/null
command -v baresip >/dev/null
command -v espeak-ng >/dev/null

step "Python tools (moto, cfn-lint, cargo-lambda)"
python3 -m pip install -q --disable-pip-version-check \
  'moto[server]==5.2.1' 'cfn-lint==1.51.0' 'cargo-lambda==1.9.2'
if [ ! -x "$TOOLS/sam-venv/bin/sam" ]; then
  python3 -m venv "$TOOLS/sam-venv"
fi
"$TOOLS/sam-venv/bin/pip" install -q --disable-pip-version-check 'aws-sam-cli==1.170.0'
# pyenv shims need a rehash to see newly installed console scripts.
command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
command -v moto_server >/dev/null
command -v cargo-lambda >/dev/null

step "Rust toolchain and the arm64 target for Lambda"
rustup show active-toolchain >/dev/null
rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 || rustup target add aarch64-unknown-linux-gnu

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "build the office binary for the end-to-end tests"
cargo build -p office -p media-edge --all-features

step "cargo test (unit, contract suites on embedded + moto, router, Lambda events, end-to-end, browser)"
cargo test --workspace --all-features
echo "browser screenshots: ${CARGO_TARGET_DIR:-target}/artifacts/screenshots/"

if [ -z "${QUICK:-}" ]; then
  step "cargo lambda build --release --arm64 (every function)"
  fns=()
  for manifest in functions/*/Cargo.toml; do
    fns+=(-p "$(basename "$(dirname "$manifest")")")
  done
  cargo lambda build --release --arm64 "${fns[@]}"
  for manifest in functions/*/Cargo.toml; do
    fn=$(basename "$(dirname "$manifest")")
    test -s "${CARGO_TARGET_DIR:-target}/lambda/$fn/bootstrap"
    echo "built ${CARGO_TARGET_DIR:-target}/lambda/$fn/bootstrap ($(du -h "${CARGO_TARGET_DIR:-target}/lambda/$fn/bootstrap" | cut -f1))"
  done

  step "template checks: cfn-lint and sam validate --lint"
  cfn-lint infra/template.yaml infra/edge.yaml
  SAM_CLI_TELEMETRY=0 "$TOOLS/sam-venv/bin/sam" validate --lint
  SAM_CLI_TELEMETRY=0 "$TOOLS/sam-venv/bin/sam" validate --lint --config-env prod
fi

step "all checks passed in $(( $(date +%s) - started )) s"
