#!/usr/bin/env bash
# Headless Chromium for the dashboard preview (tools/dashboard): its PNG (`npm run demo`) and its
# browser test. Debian's own package; no browser is ever downloaded by npm or Playwright.
#   bash tools/scripts/setup-browser.sh      (run by .ci/run, `npm test` and `npm run demo`)
# Idempotent: does nothing when a chromium is already installed.
# Environment override: OLEADA_CHROMIUM (path of the browser binary; default /usr/bin/chromium).
set -euo pipefail

CHROMIUM="${OLEADA_CHROMIUM:-/usr/bin/chromium}"
log() { printf '[setup-browser] %s\n' "$*"; }
die() { printf '[setup-browser] ERROR: %s\n' "$*" >&2; exit 1; }

if [ -x "$CHROMIUM" ]; then
  log "chromium present: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
[ "$(id -u)" = "0" ] || die "no chromium at $CHROMIUM and not root: install it (Debian: apt-get install -y chromium) or set OLEADA_CHROMIUM"
command -v apt-get >/dev/null 2>&1 || die "no chromium at $CHROMIUM and no apt-get on this machine: install Chromium and set OLEADA_CHROMIUM"

log "apt-get update"
DEBIAN_FRONTEND=noninteractive apt-get update -qq
log "apt-get install -y chromium (and fonts for readable labels)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
[ -x "$CHROMIUM" ] || die "chromium was installed but $CHROMIUM does not exist: set OLEADA_CHROMIUM"
log "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
