#!/usr/bin/env bash
# What `npm test` needs beyond setup.sh and setup-browser.sh (run by `npm test` itself):
#   docker-registry   Debian's CNCF distribution v2 registry, started by the tests on loopback
#   apache2-utils     htpasswd -B: bcrypt htpasswd files for the test registry (and infra/zot scripts)
#   ShellCheck        the linter the tests run on every shell script (infra/zot, tools/images, tools/bootstrap, tools/scripts)
#   requests, pytest  into the project venv .cache/venv (the interpreter the tests use), pinned
#   jaeger            the trace store of the tracing e2e test (Jaeger all-in-one), built like promtool by
#                     `tools/cluster/build.sh jaeger` (cold: ~5 min of CPU, 8 min wall on a busy machine)
#   promtool          Prometheus's rule checker (the alert rules' unit tests, libs/dashboards), and
#   prometheus        the server the dashboards' query check is tested against, built from the Go module
#                     proxy by `tools/cluster/build.sh prometheus` into the cluster cache
#                     (needs Go; cold: ~5 min of CPU, 21 min wall on a busy 2-core machine; then cached)
# Idempotent: installs only what is missing. apt-get needs root (as in CI); otherwise it says what to run.
#   bash tools/scripts/setup-test-tools.sh
# Environment: PYTHON (interpreter that creates the venv, default python3); PROMTOOL and PROMETHEUS (a
# promtool and a prometheus to use instead of building them; both or neither); OLEADA_JAEGER (a
# jaeger-all-in-one to use instead of building one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.cache/venv"
PY="${PYTHON:-python3}"
PYTEST_VERSION="9.2.0"

log() { printf '[setup-test-tools] %s\n' "$*"; }
die() { printf '[setup-test-tools] ERROR: %s\n' "$*" >&2; exit 1; }

# --- Debian packages ---------------------------------------------------------------------------
missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run as root, or: sudo apt-get install -y ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get on this machine"
  log "apt-get install -y ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian starts docker-registry as a service where systemd runs; the tests start their own instance.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "docker-registry, htpasswd and shellcheck present"
fi
log "$(docker-registry --version 2>/dev/null | head -n1)"

# --- Python: requests (pinned in locust/requirements.txt) and pytest, in the project venv ----------
REQUESTS_PIN="$(grep -E '^requests==' "$ROOT/locust/requirements.txt" || true)"
[ -n "$REQUESTS_PIN" ] || die "locust/requirements.txt does not pin requests"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating Python venv ${VENV#"$ROOT"/}"
  mkdir -p "$ROOT/.cache"
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    [ "$(id -u)" = 0 ] || die "cannot create a venv: install python3-venv"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    "$PY" -m venv "$VENV"
  fi
fi
want=()
"$VENV/bin/python" - "$REQUESTS_PIN" <<'PY' || want+=("$REQUESTS_PIN")
import sys
from importlib.metadata import version, PackageNotFoundError
name, pinned = sys.argv[1].split("==")
try:
    sys.exit(0 if version(name) == pinned else 1)
except PackageNotFoundError:
    sys.exit(1)
PY
"$VENV/bin/python" -c 'import pytest' 2>/dev/null || want+=("pytest==$PYTEST_VERSION")
if [ "${#want[@]}" -gt 0 ]; then
  log "pip install ${want[*]}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${want[@]}"
else
  log "requests and pytest present in ${VENV#"$ROOT"/}"
fi
# --- promtool ----------------------------------------------------------------------------------
if [ -n "${PROMTOOL:-}" ]; then
  [ -x "$PROMTOOL" ] || die "PROMTOOL=$PROMTOOL is not an executable"
  [ -x "${PROMETHEUS:-}" ] || die "PROMTOOL is set: set PROMETHEUS to a prometheus server binary too (libs/dashboards' query check runs one)"
  log "promtool: $PROMTOOL, prometheus: $PROMETHEUS"
else
  # The cluster tool's cache (OLEADA_CLUSTER_CACHE), where the tests look for it; a subshell keeps
  # common.sh's log/die from replacing this script's.
  # shellcheck source=tools/cluster/lib/common.sh
  BIN_DIR="$(. "$ROOT/tools/cluster/lib/common.sh" && printf '%s' "$BIN_DIR")"
  if [ ! -x "$BIN_DIR/promtool" ] || [ ! -x "$BIN_DIR/prometheus" ]; then
    command -v go >/dev/null 2>&1 || die "promtool is missing and there is no Go to build it: install Go (go.dev/dl), or set PROMTOOL"
    log "building promtool (tools/cluster/build.sh prometheus; a cold build takes a while)"
    bash "$ROOT/tools/cluster/build.sh" prometheus
  fi
  log "$("$BIN_DIR/promtool" --version 2>&1 | head -n1)"
fi
# --- Jaeger (the tracing e2e test's trace store) --------------------------------------------------
if [ -n "${OLEADA_JAEGER:-}" ]; then
  [ -x "$OLEADA_JAEGER" ] || die "OLEADA_JAEGER=$OLEADA_JAEGER is not an executable"
  log "jaeger: $OLEADA_JAEGER"
else
  # shellcheck source=tools/cluster/lib/common.sh
  BIN_DIR="$(. "$ROOT/tools/cluster/lib/common.sh" && printf '%s' "$BIN_DIR")"
  if [ ! -x "$BIN_DIR/jaeger-all-in-one" ]; then
    command -v go >/dev/null 2>&1 || die "jaeger-all-in-one is missing and there is no Go to build it: install Go (go.dev/dl), or set OLEADA_JAEGER"
    log "building jaeger-all-in-one (tools/cluster/build.sh jaeger; a cold build takes a while)"
    bash "$ROOT/tools/cluster/build.sh" jaeger
  fi
  log "jaeger: $BIN_DIR/jaeger-all-in-one"
fi
log "done"
