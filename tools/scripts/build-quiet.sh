#!/usr/bin/env bash
# `nx run-many -t build` in one line: Nx's ~150 lines go to .cache/build.log and are printed only when
# the build fails (then in full, and its status is this script's). Run after tools/scripts/use-node.sh.
# OLEADA_BUILD_VERBOSE=1 shows Nx's output as it comes.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit
mkdir -p .cache
log=.cache/build.log
if [ "${OLEADA_BUILD_VERBOSE:-}" = 1 ]; then
  NX_DAEMON=false npx nx run-many -t build
  exit
fi
SECONDS=0
NX_DAEMON=false NX_TUI=false npx nx run-many -t build --outputStyle=static >"$log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
  cat "$log" >&2
  printf '[build] FAILED (exit %s); the output above is also in %s\n' "$status" "$log" >&2
  exit "$status"
fi
# Nx's own summary: "Successfully ran target build for 23 projects" and, when it used the cache,
# "Nx read the output from the cache instead of running the command for 20 out of 23 tasks."
projects=$(grep -o 'target build for [0-9]* projects' "$log" | grep -o '[0-9]*' | tail -1)
cached=$(grep -o 'for [0-9]* out of [0-9]* tasks' "$log" | grep -o '^for [0-9]*' | grep -o '[0-9]*' | tail -1)
printf '[build] %s projects built (%s from the cache) in %s s; output in %s\n' "${projects:-?}" "${cached:-0}" "$SECONDS" "$log"
