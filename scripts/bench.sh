#!/usr/bin/env bash
# `npm run bench`: a throughput report (not a test) of chunk + chunk hashes + file hash.
# Builds our wasm (dist/xet), the official engine in wasm (benches/official-wasm, bench-only)
# and our native bench, then runs benches/js/chunk-bench.mjs: all wasm engines in ONE Node
# process. Env: BENCH_MIB (default 256), BENCH_RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh xet

MIB=${BENCH_MIB:-256}
RUNS=${BENCH_RUNS:-5}
TGT=${CARGO_TARGET_DIR:-$PWD/target}
log() { printf '[bench] %s\n' "$*" >&2; }

# The official engine (xet-data 1.8.0 + xet-core-structures) in wasm, with BLAKE3 wasm SIMD
# (its Cargo.toml enables blake3/wasm32_simd) and the same target features as our build.
log "building the official engine for wasm (benches/official-wasm)"
(
  cd benches/official-wasm
  RUSTFLAGS="-C target-feature=+simd128,+bulk-memory,+nontrapping-fptoint,+sign-ext" \
    CARGO_TARGET_DIR="$TGT/official-wasm" \
    cargo build --quiet --release --target wasm32-unknown-unknown
  wasm-bindgen --target web --out-dir pkg \
    "$TGT/official-wasm/wasm32-unknown-unknown/release/official_xet_bench.wasm"
  # Same post-processing as ours (scripts/build.sh).
  ../../node_modules/.bin/wasm-opt -O3 --enable-simd --enable-bulk-memory \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    pkg/official_xet_bench_bg.wasm -o pkg/official_xet_bench_bg.wasm
)

log "native bench (cargo bench --bench native_chunk, ${MIB} MiB)"
NATIVE_JSON="$TGT/bench-native.json"
BENCH_MIB=$MIB cargo bench --quiet --no-default-features --bench native_chunk > "$NATIVE_JSON"

log "wasm engines in one Node process"
node benches/js/chunk-bench.mjs --size-mib "$MIB" --runs "$RUNS" --native "$NATIVE_JSON"

# The same in headless Chromium, in a page without cross-origin isolation: ours on the page's
# thread, ours with 2 module Web Workers (ParallelChunker), the official engine on one thread.
log "wasm engines in headless Chromium (no COOP/COEP)"
node benches/js/chunk-bench-browser.mjs --size-mib "$MIB" --runs "$RUNS"

# Transfer engine (issue 5): peak RSS of a Node process uploading 512 MiB and 2 GiB generated
# streams, and upload/download MiB/s against local-hub with the machine's load.
# Env: TRANSFER_BENCH_MIB (default 256), TRANSFER_BENCH_RUNS (default 3), LOCAL_HUB_BIN.
log "transfer bench (builds the client package and local-hub if needed)"
bash scripts/build.sh client
if [ -z "${LOCAL_HUB_BIN:-}" ]; then
  cargo build --quiet -p local-hub
  export LOCAL_HUB_BIN="$TGT/debug/local-hub"
fi
node benches/js/transfer-bench.mjs --rss-sizes-mib 512,2048 \
  --size-mib "${TRANSFER_BENCH_MIB:-256}" --runs "${TRANSFER_BENCH_RUNS:-3}"

# Side by side with the peers (issues 11, 12): hf-buckets, the official Python client (.venv) and
# @huggingface/hub, each operation in a fresh process, rounds interleaved, against a RELEASE
# local-hub (a debug one would make the server the bottleneck of the many-file workloads; an
# explicit LOCAL_HUB_BIN from the caller is used only if it names a release build).
# Workloads: upload-new, reupload, small (1,000 and 10,000 × 4 KiB in one call), small-again (the
# same files uploaded again from a new process: what the local shard caches save), download, and
# sync-up (a 10,000-file tree upload-sync, then the no-op re-sync). sync-rss (a 100,000-file
# sync: time and peak RSS of hf-buckets and Python, ~3 minutes a round on 2 cores) runs only
# with PEERS_BENCH_SYNC_RSS=1.
# Env: PEERS_BENCH_MIB (default 256), PEERS_BENCH_ROUNDS (default 3), PEERS_BENCH_SMALL
# (default 1000,10000), PEERS_BENCH_SYNC_FILES (default 10000), PEERS_BENCH_SYNC_RSS=1 (adds
# sync-rss), PEERS_BENCH_RSS_FILES (default 100000), PEERS_BENCH=0 skips it.
if [ "${PEERS_BENCH:-1}" != 0 ]; then
  log "peers bench (hf-buckets, huggingface_hub + hf_xet, @huggingface/hub)"
  PEERS_HUB="${LOCAL_HUB_BIN:-}"
  case "$PEERS_HUB" in
    */release/local-hub) ;;
    *)
      cargo build --quiet --release -p local-hub
      PEERS_HUB="$TGT/release/local-hub"
      ;;
  esac
  PEERS_WORKLOADS=upload-new,reupload,small,small-again,download,sync-up,sync-down
  if [ "${PEERS_BENCH_SYNC_RSS:-0}" = 1 ]; then PEERS_WORKLOADS="$PEERS_WORKLOADS,sync-rss"; fi
  LOCAL_HUB_BIN="$PEERS_HUB" node benches/js/peers-bench.mjs --size-mib "${PEERS_BENCH_MIB:-256}" \
    --rounds "${PEERS_BENCH_ROUNDS:-3}" --small "${PEERS_BENCH_SMALL:-1000,10000}" \
    --workloads "$PEERS_WORKLOADS" --sync-files "${PEERS_BENCH_SYNC_FILES:-10000}" \
    --sync-down-files "${PEERS_BENCH_SYNC_DOWN_FILES:-2000}" \
    --rss-files "${PEERS_BENCH_RSS_FILES:-100000}"
fi

# The demo widget's longest main-thread task while a 200 MiB file uploads (issue 12), in headless
# Chromium against local-hub. Env: WIDGET_BENCH_MIB (default 200), WIDGET_BENCH_RUNS (default 2),
# WIDGET_BENCH=0 skips it.
if [ "${WIDGET_BENCH:-1}" != 0 ]; then
  log "widget long-task bench (headless Chromium)"
  node benches/js/widget-longtask.mjs --size-mib "${WIDGET_BENCH_MIB:-200}" --runs "${WIDGET_BENCH_RUNS:-2}"
fi
