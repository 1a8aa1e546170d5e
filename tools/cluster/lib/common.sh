# shellcheck shell=bash
# shellcheck disable=SC2034 # settings used by the scripts that source this file
# Shared settings of the local cluster tool (tools/cluster). Everything built or generated lives
# outside the clone: binaries and images in the cache, runtime state (PKI, kubeconfigs, etcd data,
# pids, logs, generated credentials) in the state directory.
CACHE_DIR="${OLEADA_CLUSTER_CACHE:-/var/cache/oleada-cluster}"
BIN_DIR="$CACHE_DIR/bin"
STATE_DIR="${OLEADA_CLUSTER_STATE:-/var/lib/oleada-cluster}"
RUN_DIR="/run/oleada-cluster"
export CACHE_DIR BIN_DIR STATE_DIR RUN_DIR

K8S_VERSION=v1.37.2
NODE_NAME=oleada-node
CLUSTER_NAME=oleada-local
# Pod and service ranges: never routed off this machine (the guard table drops them towards the
# uplink), and chosen clear of the machine's resolver (checked by `up`).
POD_CIDR=10.244.0.0/16
NODE_POD_CIDR=10.244.0.0/24
BRIDGE=oleada0
NODE_IP=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
APISERVER_PORT=6443
ETCD_CLIENT_PORT=12379
ETCD_PEER_PORT=12380
REGISTRY_ADDR=127.0.0.1:5443
METRICS_SERVER_PORT=4443
GUARD_TABLE=oleada-cluster-guard
CONTAINERD_SOCK="$RUN_DIR/containerd.sock"
DOCKER_SOCK="$RUN_DIR/docker.sock"

PKI="$STATE_DIR/pki"
KUBECONFIGS="$STATE_DIR/kubeconfig"
ADMIN_KUBECONFIG="$KUBECONFIGS/admin.conf"
PIDS="$STATE_DIR/pids"
LOGS="$STATE_DIR/logs"
BASELINE="$STATE_DIR/baseline"
SECRETS="$STATE_DIR/secrets"

log() { printf '[cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

kctl() { "$BIN_DIR/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# pid of a component started by this tool, if it is still that process.
pid_of() {
  local file="$PIDS/$1.pid" pid
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file")"
  [[ -n "$pid" && -d "/proc/$pid" ]] || return 1
  # the recorded start time guards against pid reuse
  [[ "$(cut -d' ' -f22 "/proc/$pid/stat" 2>/dev/null)" == "$(cat "$PIDS/$1.start" 2>/dev/null)" ]] || return 1
  printf '%s\n' "$pid"
}

# start NAME CMD...: runs CMD in the background as its own session, records pid and start time.
start_process() {
  local name="$1" pid
  shift
  if pid_of "$name" >/dev/null; then
    log "$name already running (pid $(pid_of "$name"))"
    return 0
  fi
  mkdir -p "$PIDS" "$LOGS"
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" >"$PIDS/$name.pid"
  sleep 0.2
  cut -d' ' -f22 "/proc/$pid/stat" >"$PIDS/$name.start" 2>/dev/null || die "$name exited at once: see $LOGS/$name.log"
  log "started $name (pid $pid)"
}

# stop NAME: SIGTERM to the recorded pid, SIGKILL after a grace period.
stop_process() {
  local name="$1" pid i
  if pid="$(pid_of "$name")"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      [[ -d "/proc/$pid" ]] || break
      sleep 0.1
    done
    if [[ -d "/proc/$pid" ]]; then
      log "$name (pid $pid) ignored SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$PIDS/$name.pid" "$PIDS/$name.start"
}

wait_for() { # description, seconds, command...
  local what="$1" seconds="$2" i
  shift 2
  for i in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$what not ready after ${seconds}s"
}
