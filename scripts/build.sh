#!/usr/bin/env bash
# Builds the wasm flavours of the package into dist/:
#   dist/xet/     the `hf-buckets/xet` entry point (chunker, hashes, xorbs) — small
#   dist/client/  the main entry point (everything)
# Each: cargo (release, wasm32) → wasm-bindgen --target web → wasm-opt (npm binaryen).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=wasm32-unknown-unknown
OUT=${CARGO_TARGET_DIR:-target}/$TARGET/wasm-release/hf_buckets.wasm
WASM_OPT=node_modules/.bin/wasm-opt
export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+simd128,+bulk-memory,+nontrapping-fptoint,+sign-ext"

build_flavour() { # name, cargo feature args...
  local name=$1; shift
  cargo build --quiet --profile wasm-release --target $TARGET --lib "$@"
  rm -rf "dist/$name" && mkdir -p "dist/$name"
  wasm-bindgen --target web --out-dir "dist/$name" --out-name "hf_buckets_$name" "$OUT"
  local wasm="dist/$name/hf_buckets_${name}_bg.wasm"
  "$WASM_OPT" -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
  printf '[build] %-7s %8d bytes wasm, %7d bytes gzipped\n' "$name" \
    "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" >&2
}

build_flavour xet --no-default-features
build_flavour client
