#!/usr/bin/env bash
# `npm start [-- FLAGS]`: set up if needed, build, then run the main job.
# Main job: local-hub with a demo user, the upload widget (www/) on loopback with its URL printed,
# and examples/quickstart.mjs against it; serves until Ctrl-C (scripts/demo.mjs: `--once` exits after
# the quickstart, the default when $CI is set; `--temp` uses a throw-away data dir; `--port N`).
# Chunking a file of your own without any server: `node examples/chunk-file.mjs [FILE]`.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[start] %s\n' "$*" >&2; }

step_setup() {
  # setup.sh is idempotent and quick when everything is installed.
  bash scripts/setup.sh
}

step_build() {
  log "building the package (scripts/build.sh)"
  bash scripts/build.sh
}

main_job() {
  log "building local-hub (cargo build -p local-hub)"
  cargo build --quiet -p local-hub
  export LOCAL_HUB_BIN="${LOCAL_HUB_BIN:-${CARGO_TARGET_DIR:-target}/debug/local-hub}"
  exec node scripts/demo.mjs "$@"
}

step_setup
step_build
main_job "$@"
