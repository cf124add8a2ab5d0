#!/usr/bin/env bash
# Installs everything hf-buckets needs on a fresh machine of this kind
# (Debian 12, rustup + cargo, node + npm preinstalled; only package registries
# reachable). Idempotent: each step is skipped when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130
log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Rust wasm target (RUSTUP_AUTO_INSTALL=0 here: install explicitly).
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen CLI, pinned to the crate version in Cargo.lock (no --locked: see TOOLCHAIN.md).
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# 3. Debian's Chromium + ChromeDriver for browser tests (never a downloaded browser build).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  log "apt-get install chromium chromium-driver"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver
fi

# 4. JS dev dependencies (playwright-core, typescript, binaryen for wasm-opt, bench peers).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 5. Python venv with the official client, for interop tests against local-hub.
if [ -f scripts/requirements.txt ]; then
  if [ ! -x .venv/bin/python ] || ! cmp -s scripts/requirements.txt .venv/.requirements; then
    log "python venv (.venv) from scripts/requirements.txt"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
    cp scripts/requirements.txt .venv/.requirements
  fi
fi
# 6. The official client's own test suite (tests/ of the huggingface_hub sdist), run against
#    local-hub by tests/python-official. Fetched here, never vendored into the repository.
HF_OFFICIAL_VERSION=2.4.0
HF_OFFICIAL_DIR=.local/hf-official
if [ ! -f "$HF_OFFICIAL_DIR/huggingface_hub-$HF_OFFICIAL_VERSION/tests/test_buckets.py" ]; then
  log "pip download huggingface_hub==$HF_OFFICIAL_VERSION (sdist, for its tests)"
  mkdir -p "$HF_OFFICIAL_DIR"
  .venv/bin/pip download --quiet --disable-pip-version-check --no-binary :all: --no-deps \
    -d "$HF_OFFICIAL_DIR" "huggingface_hub==$HF_OFFICIAL_VERSION"
  tar -xzf "$HF_OFFICIAL_DIR/huggingface_hub-$HF_OFFICIAL_VERSION.tar.gz" -C "$HF_OFFICIAL_DIR"
fi
log "ready"
