#!/usr/bin/env bash
# Builds the wasm flavours of the package into dist/:
#   dist/xet/     the `hf-buckets/xet` entry point (chunker, hashes, xorbs) — small
#   dist/client/  the main entry point (everything)
# Each: cargo (release, wasm32) → wasm-bindgen --target web → wasm-opt (npm binaryen).
# WASM_NAMES=1 keeps the function names (a name section, not for shipping) for
# scripts/wasm-size.py (docs/wasm-size.md).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=wasm32-unknown-unknown
OUT=${CARGO_TARGET_DIR:-target}/$TARGET/wasm-release/hf_buckets.wasm
WASM_OPT=node_modules/.bin/wasm-opt
export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+simd128,+bulk-memory,+nontrapping-fptoint,+sign-ext"
# Panic locations name source files: keep the machine's paths (home, clone folder) out of the
# shipped wasm, so the same commit builds the same bytes wherever it is cloned.
CARGO_HOME_DIR=${CARGO_HOME:-$HOME/.cargo}
cargo fetch --quiet # unpacks the registry sources, so their folder is known below
RUSTFLAGS="$RUSTFLAGS --remap-path-prefix=$CARGO_HOME_DIR/registry/src=/c"
for registry in "$CARGO_HOME_DIR"/registry/src/*/; do
  if [ -d "$registry" ]; then RUSTFLAGS="$RUSTFLAGS --remap-path-prefix=${registry%/}=/c"; fi
done
RUSTFLAGS="$RUSTFLAGS --remap-path-prefix=$PWD=/hf-buckets"

# wasm-bindgen copies each JS snippet (`#[wasm_bindgen(module = "/js/...")]`) to
# snippets/<crate>-<hash>/js/<path>. The entry points must import the SAME copy the wasm uses
# (one XetError class), so give each a stable path: dist/<flavour>/js/<path> re-exports it.
stable_snippets() { # out dir
  local dir=$1 snippet rel from
  for snippet in "$dir"/snippets/*/js/*.js "$dir"/snippets/*/js/*/*.js; do
    [ -f "$snippet" ] || continue
    rel=${snippet#"$dir"/snippets/*/js/}
    mkdir -p "$dir/js/$(dirname "$rel")"
    from=$(realpath --relative-to="$dir/js/$(dirname "$rel")" "$snippet")
    printf "export * from '%s';\n" "$from" > "$dir/js/$rel"
  done
}

build_flavour() { # name, cargo feature args...
  local name=$1; shift
  cargo build --quiet --profile wasm-release --target $TARGET --lib "$@"
  rm -rf "dist/$name" && mkdir -p "dist/$name"
  local keep=() names=() OPT_FLAGS=()
  # The client: a function with one caller is inlined only when tiny (binaryen inlines them
  # all by default). V8 optimises a wasm function once it has run enough code, counting its
  # whole size at each return: large functions polled at every event (the async state
  # machines) are optimised early and cost the most to optimise, so a short process spends less
  # on its compiler threads when they stay small (TurboFan compiled 154 → 120 KB of code in a
  # 1,000-file upload, docs/wasm-size.md).
  if [ "$name" = client ]; then OPT_FLAGS=(--one-caller-inline-max-function-size "${ONE_CALLER_MAX:-60}"); fi
  if [ "${WASM_NAMES:-}" = 1 ]; then keep=(--keep-debug) names=(-g); fi
  wasm-bindgen --target web "${keep[@]}" --out-dir "dist/$name" --out-name "hf_buckets_$name" "$OUT"
  local wasm="dist/$name/hf_buckets_${name}_bg.wasm"
  # The producers and target-features sections are build metadata no engine reads.
  "$WASM_OPT" -O3 "${names[@]}" "${OPT_FLAGS[@]}" --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --strip-producers --strip-target-features \
    "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
  stable_snippets "dist/$name"
  printf '[build] %-7s %8d bytes wasm, %7d bytes gzipped\n' "$name" \
    "$(stat -c %s "$wasm")" "$(gzip -9 -c "$wasm" | wc -c)" >&2
}

# `build.sh [xet] [client]` builds only the named flavours (default: all).
FLAVOURS=("${@:-xet client}")
for flavour in ${FLAVOURS[*]}; do
  case $flavour in
    xet) build_flavour xet --no-default-features ;;
    client) build_flavour client ;;
    *) echo "build.sh: unknown flavour '$flavour' (xet, client)" >&2; exit 2 ;;
  esac
done
