#!/usr/bin/env bash
# `npm test`: set up if needed, build, then every test suite. Each suite must
# run at least one test; the closing line sums them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh

export PATH="$PWD/node_modules/.bin:$PATH"
LOGDIR=target/test-logs; mkdir -p "$LOGDIR"
TOTAL_PASS=0; TOTAL_FAIL=0; SUMMARY=()

# run_suite NAME COUNT_KIND CMD...  — runs CMD, tees its output, extracts counts.
run_suite() {
  local name=$1 kind=$2; shift 2
  local log="$LOGDIR/$name.log" status=0 pass=0 fail=0 extra=""
  printf '\n=== %s: %s\n' "$name" "$*"
  "$@" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
  case $kind in
    cargo) # "test result: ok. N passed; M failed" (cargo test and wasm-bindgen-test-runner)
      pass=$(grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END{print s+0}')
      fail=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END{print s+0}') ;;
    node)  # node --test TAP summary
      pass=$(grep -E '^# pass [0-9]+' "$log" | awk '{s+=$3} END{print s+0}')
      fail=$(grep -E '^# fail [0-9]+' "$log" | awk '{s+=$3} END{print s+0}') ;;
    pytest)
      # The closing line, e.g. "120 passed, 2 skipped, 3 deselected in 40.1s" (with or without
      # the ===== frame). Collection/fixture errors count as failures; skips and deselections
      # are shown. (`|| true`: with pipefail, a grep that finds nothing would end the script.)
      local final errors skipped deselected
      final=$(grep -E '[0-9]+ (passed|failed|errors?|skipped|deselected).* in [0-9.]+s' "$log" | tail -1 || true)
      count() { printf '%s\n' "$final" | grep -Eo "[0-9]+ $1" | awk '{print $1+0}' | head -1 || true; }
      pass=$(count passed); fail=$(count failed); errors=$(count 'errors?')
      skipped=$(count skipped); deselected=$(count deselected)
      fail=$(( ${fail:-0} + ${errors:-0} ))
      extra=" (${errors:-0} errors, ${skipped:-0} skipped, ${deselected:-0} deselected)" ;;
    single) # a check that is one test (e.g. tsc): pass iff exit 0
      if [ $status = 0 ]; then pass=1; else fail=1; fi ;;
  esac
  pass=${pass:-0}; fail=${fail:-0}
  if [ "$status" != 0 ] && [ "$fail" = 0 ]; then fail=1; fi
  if [ "$pass" = 0 ] && [ "$fail" = 0 ]; then
    echo "!!! $name ran no test"; fail=1
  fi
  SUMMARY+=("$(printf '%-22s %5d passed %3d failed%s' "$name" "$pass" "$fail" "$extra")")
  TOTAL_PASS=$((TOTAL_PASS + pass)); TOTAL_FAIL=$((TOTAL_FAIL + fail))
}

# 0. Formatting (default rustfmt settings) over the whole workspace: one test, pass iff clean.
run_suite fmt single cargo fmt --all --check
run_suite clippy single cargo clippy --workspace --all-targets -- -D warnings
# The bindings (src/bindings) build for wasm32 only: lint them there too.
run_suite clippy-wasm single cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings
# No import cycle between sibling modules anywhere in src/ (scripts/module-cycles.py explains how).
run_suite module-cycles single python3 scripts/module-cycles.py src

# 1. Native Rust: the Xet core, the client logic, local-hub.
run_suite native cargo cargo test --workspace
# The JS and Python suites start this binary (cargo test above already built it for local-hub's
# integration tests; a separate `cargo build` would rebuild it with other dependency features).
export LOCAL_HUB_BIN="${LOCAL_HUB_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/local-hub}"
[ -x "$LOCAL_HUB_BIN" ] || cargo build --quiet -p local-hub
# Uploads keep their shards in a local cache (js/node/shard-cache.js): the run's go to a folder
# of its own, removed at the end, not to the user's cache.
HF_BUCKETS_CACHE="$(mktemp -d "${TMPDIR:-/tmp}/hfb-test-cache.XXXXXX")"
export HF_BUCKETS_CACHE
trap 'rm -rf "$HF_BUCKETS_CACHE"' EXIT

# 2. wasm-bindgen tests in Node, then the same binary in headless Chromium.
#    Built with the target features of the shipped wasm (as in scripts/build.sh).
if ls tests/wasm/*.rs >/dev/null 2>&1; then
  WASM_RUSTFLAGS="-C target-feature=+simd128,+bulk-memory,+nontrapping-fptoint,+sign-ext"
  RUSTFLAGS="$WASM_RUSTFLAGS" run_suite wasm-node cargo \
    cargo test --target wasm32-unknown-unknown --no-default-features --test 'wasm_*'
  RUSTFLAGS="$WASM_RUSTFLAGS" WASM_BINDGEN_USE_BROWSER=1 run_suite wasm-chromium cargo \
    cargo test --target wasm32-unknown-unknown --no-default-features --test 'wasm_*'
fi

# 3. The generated and hand-written .d.ts, checked by tsc.
if ls tests/types/*.ts >/dev/null 2>&1; then
  run_suite types single tsc -p tests/types/tsconfig.json
fi

#    The package's own JS and the widget (js/, www/) against their JSDoc and those .d.ts files.
run_suite jscheck single tsc -p jsconfig.json

# 4. The package as users see it (node:test), incl. browser tests driven by playwright-core.
if ls tests/js/*.test.mjs >/dev/null 2>&1; then
  run_suite js node node --test --test-concurrency=1 tests/js/
fi

# 4a. The `hf-buckets` command line, spawned against local-hub (and beside the official `hf`
#     CLI of the venv for the parity test; npm pack + npx for the packed bin). (issue 14)
if ls tests/cli/*.test.mjs >/dev/null 2>&1; then
  run_suite cli node node --test --test-concurrency=1 tests/cli/
fi

# 4a'. The randomized fault campaign, 50 seeded runs against one local-hub (tests/soak; the long
#     campaign is `npm run soak -- --runs 1000`).
if ls tests/soak/*.test.mjs >/dev/null 2>&1; then
  run_suite soak node node --test --test-concurrency=1 tests/soak/
fi

# 4b. The packed package (npm pack → a fresh app) built with Vite, webpack, esbuild and Rollup and
#     run in Chromium, run in Bun, Deno and workerd; the type tests with `bundler` resolution.
#     (tests/bundlers, issue 15)
if ls tests/bundlers/*.test.mjs >/dev/null 2>&1; then
  run_suite types-bundler single tsc -p tests/types/tsconfig.bundler.json
  run_suite bundlers node node --test --test-concurrency=1 tests/bundlers/
fi

# 5. Interop with the official Python client (huggingface_hub + hf_xet) through local-hub.
if ls tests/python/test_*.py >/dev/null 2>&1; then
  run_suite python pytest .venv/bin/python -m pytest -q tests/python
fi

# 6. The official client's own bucket tests (from its sdist, fetched by setup.sh) against a
#    fresh local-hub; wiring, users and deselections in tests/python-official (the summary
#    shows passed/failed/errors/skipped/deselected; each deselection's reason is in
#    local-hub/README.md "Knowingly not emulated").
if [ -f tests/python-official/run.py ]; then
  run_suite python-official pytest .venv/bin/python tests/python-official/run.py -q -rs
fi

printf '\n=== summary\n'
printf '%s\n' "${SUMMARY[@]}"
echo "all: $TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" = 0 ]
