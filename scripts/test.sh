#!/usr/bin/env bash
# `npm test`: lint, the type check and the whole mocha suite, started together. mocha's two workers
# spend much of the run waiting on containers, servers and child processes, so eslint and tsc use
# that time instead of running first; their caches (under node_modules/.cache, so `npm ci` starts
# them afresh) make a re-run check only what changed. Their output is printed after mocha's; the
# command fails when any of the three fails.
set -uo pipefail
cd "$(dirname "$0")/.."

CACHE=node_modules/.cache
mkdir -p "$CACHE"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

npx eslint --cache --cache-location "$CACHE/eslint/" . >"$logs/lint" 2>&1 &
lint=$!
npx tsc --noEmit --incremental --tsBuildInfoFile "$CACHE/tsbuildinfo" >"$logs/typecheck" 2>&1 &
typecheck=$!

npx mocha "$@"
mocha_status=$?
wait "$lint"
lint_status=$?
wait "$typecheck"
typecheck_status=$?

echo "lint (eslint): exit $lint_status"
cat "$logs/lint"
echo "typecheck (tsc --noEmit): exit $typecheck_status"
cat "$logs/typecheck"
echo "mocha: exit $mocha_status"
[ "$lint_status" -eq 0 ] && [ "$typecheck_status" -eq 0 ] && [ "$mocha_status" -eq 0 ]
