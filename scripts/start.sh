#!/usr/bin/env bash
# `npm start [-- FILE]`: set up if needed, build, then run the main job.
# Main job for now: chunk and hash FILE (or a generated sample) with `hf-buckets/xet`, printing
# chunk count, dedup ratio within the file and the file's Xet hash (examples/chunk-file.mjs).
# Later issues replace `main_job` with the local Hub + demo; the steps stay the same.
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
  node examples/chunk-file.mjs "$@"
}

step_setup
step_build
main_job "$@"
