#!/usr/bin/env bash
# Runs one of the tools' command lines the way the npm scripts do: setup (when asked), a quiet build,
# then the CLI with the caller's arguments. When the CLI is already built and newer than its sources,
# `--help` answers at once and a bad command line is refused (exit 64, one line) before any setup or
# build. Run after tools/scripts/use-node.sh.
#   bash tools/scripts/run-cli.sh [--setup] [--browser] <dist/…/cli.js> [arguments…]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
setup=0 browser=0
while [ $# -gt 0 ]; do
  case "$1" in
    --setup) setup=1 ;;
    --browser) browser=1 ;;
    *) break ;;
  esac
  shift
done
cli="$1"
shift
# A project is fresh when tsc built it after the last change to its sources (tsc -b touches the
# build info even when nothing it emits changed): its options are then the ones its source declares.
fresh() {
  [ -f "$1/dist/tsconfig.tsbuildinfo" ] && [ -z "$(find "$1/src" -newer "$1/dist/tsconfig.tsbuildinfo" -print -quit 2>/dev/null)" ]
}
if [ -f "$cli" ] && fresh "${cli%%/dist/*}" && fresh tools/local; then
  for arg in "$@"; do
    [ "$arg" = -- ] && break
    if [ "$arg" = -h ] || [ "$arg" = --help ]; then exec node "$cli" "$@"; fi
  done
  OLEADA_CLI_CHECK_ONLY=1 node "$cli" "$@" || exit $?
fi
if [ "$setup" = 1 ]; then bash tools/scripts/setup.sh; fi
if [ "$browser" = 1 ]; then bash tools/scripts/setup-browser.sh; fi
bash tools/scripts/build-quiet.sh
exec node "$cli" "$@"
