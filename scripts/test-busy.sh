#!/usr/bin/env bash
# `npm run test:busy`: the whole `npm test` while a CPU hog keeps each core busy, as a loaded CI
# machine would. The hogs are started here and stopped by their pids, also when the suite fails or
# is interrupted. Arguments, when given, are the command to run under that load instead (e.g. one
# test file: `npm run test:busy -- npx mocha --no-config -r ./test/helpers/tsRequire.js FILE`).
set -euo pipefail
cd "$(dirname "$0")/.."

cores="$(nproc)"
hogs=()
stop_hogs() {
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

for _ in $(seq "$cores"); do
  # A pure busy loop: no I/O, one core's worth of runnable work, at the suite's own priority.
  sh -c 'while :; do :; done' &
  hogs+=("$!")
done
echo "test:busy: $cores CPU hogs running (pids ${hogs[*]})"

start=$(date +%s)
status=0
if (($# > 0)); then "$@" || status=$?; else npm test || status=$?; fi
echo "test:busy: ${*:-npm test} exited $status after $(( $(date +%s) - start )) s with $cores CPU hogs"
exit "$status"
