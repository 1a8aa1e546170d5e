#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, from the package registries (see
# docs/deploy/local.md and ../shared notes): etcd, the control plane, kubelet, kube-proxy,
# containerd + runc + the CNI bridge, CoreDNS, metrics-server, a NetworkPolicy enforcer and a TLS
# registry (docker-registry with htpasswd, standing in for Zot), all as plain processes tracked by
# pid.
#
#   npm run cluster -- build    build the Go programs once (cached in $OLEADA_CLUSTER_CACHE)
#   npm run cluster -- up       start everything; prints the kubeconfig to use
#   npm run cluster -- down     stop exactly what `up` started; restore the host as it was
#   npm run cluster -- status   what runs, node and pods
#   npm run cluster -- env      KUBECONFIG=… REGISTRY=… lines for eval
#   npm run cluster -- registry-login   docker login to the local registry (for image pushes)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
export ROOT
# shellcheck source=tools/cluster/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=tools/cluster/lib/host.sh
. "$here/lib/host.sh"
# shellcheck source=tools/cluster/lib/config.sh
. "$here/lib/config.sh"

DEBIAN_PACKAGES=(containerd runc containernetworking-plugins docker.io docker-registry apache2-utils openssl nftables iptables ipset conntrack mmdebstrap)

ensure_packages() {
  local missing=() p
  for p in "${DEBIAN_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_binaries() {
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm etcd coredns metrics-server kube-router crictl pause; do
    [[ -x "$BIN_DIR/$b" ]] || {
      log "missing $BIN_DIR/$b: building"
      bash "$here/build.sh"
      return
    }
  done
  bash "$here/build.sh" # a no-op when the wrapper modules are unchanged
}

# ---------------------------------------------------------------------------------------------
start_containerd() {
  start_process containerd containerd --config "$STATE_DIR/containerd/config.toml"
  wait_for containerd 30 test -S "$CONTAINERD_SOCK"
}

start_kubelet() {
  start_process kubelet "$BIN_DIR/kubelet" --config "$STATE_DIR/kubelet/config.yaml" \
    --kubeconfig "$KUBECONFIGS/kubelet.conf" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --root-dir "$STATE_DIR/kubelet/root" --cert-dir "$STATE_DIR/kubelet/pki"
}

# restart containerd|kubelet: the node's runtime or agent stopped (SIGTERM) and started again, as a
# node upgrade or a crash does; the containers (their shims) run on meanwhile.
cmd_restart() {
  local name="${1:-}"
  case "$name" in
  containerd | kubelet) ;;
  *) die "usage: cluster.sh restart containerd|kubelet" ;;
  esac
  pid_of "$name" >/dev/null || die "$name is not running: npm run cluster -- up"
  stop_process "$name"
  "start_$name"
}

# The registry, containerd and dockerd: enough to build and push images (also `up`'s first half).
up_base() {
  [[ "$(id -u)" == 0 ]] || die "run as root (the cluster needs netfilter, mounts and cgroups)"
  check_ranges
  ensure_packages
  mkdir -p "$STATE_DIR" "$RUN_DIR" "$PIDS" "$LOGS" "$SECRETS"
  chmod 700 "$STATE_DIR" "$SECRETS"
  record_baseline
  apply_host_changes
  [[ -x "$BIN_DIR/pause" ]] || bash "$here/build.sh" pause
  write_registry_pki
  start_registry
  write_containerd_config
  start_containerd
  start_docker
  ensure_pause_image
}

cmd_up() {
  local t0
  t0=$(date +%s)
  up_base
  # OLEADA_CLUSTER_SKIP_BUILD=1: start with the binaries there are (a build may still be running);
  # a later `up` starts what was missing and leaves running components alone.
  [[ "${OLEADA_CLUSTER_SKIP_BUILD:-0}" == 1 ]] || ensure_binaries
  write_pki

  start_process etcd "$BIN_DIR/etcd" --name "$NODE_NAME" --data-dir "$STATE_DIR/etcd" \
    --listen-client-urls "https://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "https://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "https://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "https://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "$NODE_NAME=https://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
    --cert-file "$PKI/etcd/server.crt" --key-file "$PKI/etcd/server.key" --client-cert-auth --trusted-ca-file "$PKI/etcd/ca.crt" \
    --peer-cert-file "$PKI/etcd/peer.crt" --peer-key-file "$PKI/etcd/peer.key" --peer-client-cert-auth --peer-trusted-ca-file "$PKI/etcd/ca.crt" \
    --snapshot-count 10000 --quota-backend-bytes 2147483648

  start_process kube-apiserver "$BIN_DIR/kube-apiserver" \
    --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port "$APISERVER_PORT" \
    --allow-privileged=true --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --etcd-servers "https://127.0.0.1:$ETCD_CLIENT_PORT" --etcd-cafile "$PKI/etcd/ca.crt" \
    --etcd-certfile "$PKI/apiserver-etcd-client.crt" --etcd-keyfile "$PKI/apiserver-etcd-client.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --proxy-client-cert-file "$PKI/front-proxy-client.crt" --proxy-client-key-file "$PKI/front-proxy-client.key" \
    --requestheader-allowed-names front-proxy-client --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" \
    --requestheader-extra-headers-prefix X-Remote-Extra- --requestheader-group-headers X-Remote-Group \
    --requestheader-username-headers X-Remote-User --enable-aggregator-routing=true \
    --service-account-issuer https://kubernetes.default.svc.cluster.local --service-account-key-file "$PKI/sa.pub" \
    --service-account-signing-key-file "$PKI/sa.key" --service-cluster-ip-range "$SERVICE_CIDR" \
    --profiling=false --event-ttl 1h
  wait_for kube-apiserver 90 kctl get --raw /readyz

  start_process kube-controller-manager "$BIN_DIR/kube-controller-manager" \
    --kubeconfig "$KUBECONFIGS/controller-manager.conf" --authentication-kubeconfig "$KUBECONFIGS/controller-manager.conf" \
    --authorization-kubeconfig "$KUBECONFIGS/controller-manager.conf" --bind-address 127.0.0.1 \
    --client-ca-file "$PKI/ca.crt" --cluster-name "$CLUSTER_NAME" --cluster-signing-cert-file "$PKI/ca.crt" \
    --cluster-signing-key-file "$PKI/ca.key" --controllers '*,bootstrapsigner,tokencleaner' --leader-elect=false \
    --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" --root-ca-file "$PKI/ca.crt" \
    --service-account-private-key-file "$PKI/sa.key" --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr "$POD_CIDR" --node-cidr-mask-size 24 --service-cluster-ip-range "$SERVICE_CIDR" \
    --horizontal-pod-autoscaler-sync-period 10s --profiling=false
  start_process kube-scheduler "$BIN_DIR/kube-scheduler" \
    --kubeconfig "$KUBECONFIGS/scheduler.conf" --authentication-kubeconfig "$KUBECONFIGS/scheduler.conf" \
    --authorization-kubeconfig "$KUBECONFIGS/scheduler.conf" --bind-address 127.0.0.1 --leader-elect=false --profiling=false

  apply_bootstrap_objects
  write_component_configs

  start_kubelet
  start_process kube-proxy "$BIN_DIR/kube-proxy" --config "$STATE_DIR/kube-proxy.yaml" --hostname-override "$NODE_NAME"
  start_process coredns "$BIN_DIR/coredns" -conf "$STATE_DIR/coredns/Corefile"
  [[ -x "$BIN_DIR/metrics-server" ]] && start_process metrics-server "$BIN_DIR/metrics-server" \
    --kubeconfig "$KUBECONFIGS/metrics-server.conf" --authentication-kubeconfig "$KUBECONFIGS/metrics-server.conf" \
    --authorization-kubeconfig "$KUBECONFIGS/metrics-server.conf" --bind-address "$NODE_IP" --secure-port "$METRICS_SERVER_PORT" \
    --cert-dir "$STATE_DIR/metrics-server" --kubelet-preferred-address-types InternalIP \
    --kubelet-certificate-authority "$PKI/ca.crt" --metric-resolution 15s
  [[ -x "$BIN_DIR/kube-router" ]] && start_process kube-router "$BIN_DIR/kube-router" --kubeconfig "$KUBECONFIGS/kube-router.conf" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-ipv4=true --enable-ipv6=false \
    --hostname-override "$NODE_NAME" --health-port 0 --metrics-port 0 --enable-cni=false \
    --iptables-sync-period 30s --service-cluster-ip-range "$SERVICE_CIDR"

  wait_for "node $NODE_NAME Ready" 120 node_ready
  if [[ -x "$BIN_DIR/metrics-server" ]]; then wait_for "metrics API" 120 kctl get --raw /apis/metrics.k8s.io/v1beta1/nodes; fi
  for b in metrics-server kube-router; do [[ -x "$BIN_DIR/$b" ]] || log "warning: $b not built yet: run up again once it is"; done
  # every component still alive (one that exited right after "already running" is caught here)
  local c
  for c in registry containerd dockerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy coredns; do
    pid_of "$c" >/dev/null || die "$c is not running: see $LOGS/$c.log"
  done
  log "cluster up in $(($(date +%s) - t0)) s"
  printf '%s\n' "$(($(date +%s) - t0))" >"$STATE_DIR/last-up-seconds"
  printf 'KUBECONFIG=%s\n' "$ADMIN_KUBECONFIG"
}

node_ready() {
  [[ "$(kctl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# ---------------------------------------------------------------------------------------------
cmd_down() {
  [[ -d "$STATE_DIR" ]] || {
    log "no cluster state ($STATE_DIR): nothing to stop"
    return 0
  }
  stop_docker
  stop_process kube-router
  stop_process metrics-server
  stop_process coredns
  stop_process kubelet
  # Pods: stop and remove every sandbox through the CRI, so the CNI plugin removes veths, addresses
  # and network namespaces, and runc ends every container process.
  if pid_of containerd >/dev/null && [[ -x "$BIN_DIR/crictl" ]]; then
    "$BIN_DIR/crictl" --runtime-endpoint "unix://$CONTAINERD_SOCK" --timeout 60s rmp --all --force >/dev/null 2>&1 || true
  fi
  # kube-router and kube-proxy remove their own netfilter rules
  if [[ -x "$BIN_DIR/kube-router" ]]; then "$BIN_DIR/kube-router" --cleanup-config >/dev/null 2>&1 || true; fi
  stop_process kube-proxy
  if [[ -x "$BIN_DIR/kube-proxy" ]]; then "$BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  stop_process kube-scheduler
  stop_process kube-controller-manager
  stop_process kube-apiserver
  stop_process etcd
  stop_process containerd
  stop_process registry
  restore_host
  if [[ -f "$BASELINE/complete" ]]; then
    if host_diff; then
      log "host restored: netfilter tables, links, mounts, cgroups and sysctls are as before \`up\`"
      rm -rf "$BASELINE"
    else
      log "the differences above remain from the baseline"
    fi
  fi
}

stop_docker() { stop_process dockerd; }

docker_() { DOCKER_CONFIG="$STATE_DIR/docker-config" docker -H "unix://$DOCKER_SOCK" "$@"; }

# The pod sandbox image: our pause binary alone, pushed to the local registry (containerd pulls it).
ensure_pause_image() {
  local ref="$REGISTRY_ADDR/oleada-cluster/pause:1" tmp
  if curl -sf -o /dev/null --cacert "$PKI/registry/ca.crt" -u "$REGISTRY_USER:$(registry_password)" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "https://$REGISTRY_ADDR/v2/oleada-cluster/pause/manifests/1"; then
    return 0
  fi
  tmp="$(mktemp -d)"
  cp "$BIN_DIR/pause" "$tmp/pause"
  tar -C "$tmp" --owner=0 --group=0 -cf "$tmp/rootfs.tar" pause
  docker_ import --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535' "$tmp/rootfs.tar" "$ref" >/dev/null
  docker_ push "$ref" >/dev/null
  rm -rf "$tmp"
  log "pushed $ref"
}

# ---------------------------------------------------------------------------------------------
cmd_status() {
  local name pid
  for name in registry containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy coredns metrics-server kube-router dockerd; do
    if pid="$(pid_of "$name")"; then printf '%-24s running  pid %s\n' "$name" "$pid"; else printf '%-24s stopped\n' "$name"; fi
  done
  if pid_of kube-apiserver >/dev/null; then
    kctl get nodes -o wide 2>&1 || true
    kctl get pods -A -o wide 2>&1 || true
    printf 'KUBECONFIG=%s\n' "$ADMIN_KUBECONFIG"
  fi
}

cmd_env() {
  printf 'KUBECONFIG=%s\nREGISTRY=%s\nOLEADA_CLUSTER_REGISTRY_CA=%s\nDOCKER_HOST=unix://%s\n' \
    "$ADMIN_KUBECONFIG" "$REGISTRY_ADDR" "$PKI/registry/ca.crt" "$DOCKER_SOCK"
}

case "${1:-}" in
build) bash "$here/build.sh" ;;
up) cmd_up ;;
base-up) up_base ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
volumes) ensure_volumes ;;
restart) cmd_restart "${2:-}" ;;
*)
  echo "usage: npm run cluster -- build|up|base-up|down|status|env|volumes|restart containerd|kubelet" >&2
  exit 64
  ;;
esac
