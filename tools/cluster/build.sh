#!/usr/bin/env bash
# Builds the local cluster's Go programs once, into a cache outside the clone.
# Each program is rebuilt only when its wrapper module (go.mod/go.sum) changes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/cluster/lib/common.sh
. "$here/lib/common.sh"

K8S_VERSION=v1.37.2
K8S_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl kubeadm)

mkdir -p "$BIN_DIR" "$CACHE_DIR/stamps"

stamp_of() { # module dir -> content hash of its go.mod and go.sum (and sources, for our own)
  {
    cat "$1/go.mod" "$1/go.sum"
    cat "$1"/*.go 2>/dev/null || true
    # our files in subdirectories (go/traefik's), not the module cache copies in _local
    find "$1" -path "$1/_local" -prune -o -type f -path "$1/*/*" -print0 | sort -z | xargs -0 -r cat
  } | sha256sum | cut -c1-16
}

fresh() { # name, module dir, binaries...
  local name="$1" dir="$2" bin
  shift 2
  [[ -f "$CACHE_DIR/stamps/$name" && "$(cat "$CACHE_DIR/stamps/$name")" == "$(stamp_of "$dir")" ]] || return 1
  for bin in "$@"; do [[ -x "$BIN_DIR/$bin" ]] || return 1; done
}

build() { # name, module dir, ldflags, packages...
  local name="$1" dir="$2" ldflags="$3" start
  shift 3
  start=$(date +%s)
  log "building $name"
  (cd "$dir" && CGO_ENABLED="${CGO:-0}" go build -trimpath -tags "${TAGS:-}" -ldflags "$ldflags" -o "$BIN_DIR/" "$@")
  stamp_of "$dir" >"$CACHE_DIR/stamps/$name"
  log "built $name in $(($(date +%s) - start)) s"
}

go_dir="$here/go"
# `build.sh NAME...` builds only the named wrapper modules (e.g. etcd coredns) beside a running build.
only=" $* "
want() { [[ "$only" == "  " || "$only" == *" $1 "* ]]; }
if ! want kubernetes; then
  :
elif fresh kubernetes "$go_dir/kubernetes" "${K8S_COMMANDS[@]}"; then
  log "kubernetes $K8S_VERSION: cached"
else
  pkgs=()
  for c in "${K8S_COMMANDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  build kubernetes "$go_dir/kubernetes" \
    "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37" \
    "${pkgs[@]}"
fi

# Jaeger all-in-one v1.76.0 is the trace store (in-memory, OTLP in, query API out; no UI assets):
# `npm start -- --tracing` and the tracing e2e test run it (cold: ~280 CPU-s, 8 min wall on a busy
# 2-core machine, 52 MB).
# kube-network-policies (the preferred enforcer) is not built: this kernel lacks nft_queue, see
# go/kube-network-policies/README.md; kube-router enforces NetworkPolicies instead.
for spec in "pause:pause:oleada.local/cluster/pause" \
  "cri-tools:crictl:sigs.k8s.io/cri-tools/cmd/crictl" \
  "etcd:etcd:go.etcd.io/etcd/server/v3" \
  "coredns:coredns:oleada.local/cluster/coredns" \
  "metrics-server:metrics-server:sigs.k8s.io/metrics-server/cmd/metrics-server" \
  "kube-router:kube-router:github.com/cloudnativelabs/kube-router/v2/cmd/kube-router" \
  "jaeger:jaeger-all-in-one:github.com/jaegertracing/jaeger/cmd/all-in-one"; do
  IFS=: read -r name bin pkg <<<"$spec"
  want "$name" || continue
  if fresh "$name" "$go_dir/$name" "$bin"; then
    log "$name: cached"
  else
    build "$name" "$go_dir/$name" "-s -w" "$pkg"
    # go build names the binary after the package's last element
    # (ignoring a major version suffix: go.etcd.io/etcd/server/v3 → server)
    if [[ ! -x "$BIN_DIR/$bin" ]]; then
      if [[ "$(basename "$pkg")" =~ ^v[0-9]+$ ]]; then mv "$BIN_DIR/$(basename "$(dirname "$pkg")")" "$BIN_DIR/$bin"; else mv "$BIN_DIR/$(basename "$pkg")" "$BIN_DIR/$bin"; fi
    fi
  fi
done

# Prometheus and promtool from one module (promtool runs the alert rules' unit tests in npm test).
# remove_all_sd drops every service discovery but the one enable_kubernetes_sd keeps back in
# (plugins/plugin_*.go), so the cloud SDKs are not compiled; without builtinassets there is no web UI,
# the HTTP API is all the cluster and the tests use.
PROMETHEUS_VERSION=3.16.0
if ! want prometheus; then
  :
elif fresh prometheus "$go_dir/prometheus" prometheus promtool; then
  log "prometheus $PROMETHEUS_VERSION: cached"
else
  v=github.com/prometheus/common/version
  TAGS=netgo,remove_all_sd,enable_kubernetes_sd build prometheus "$go_dir/prometheus" \
    "-s -w -X $v.Version=$PROMETHEUS_VERSION -X $v.Revision=v0.316.0 -X $v.Branch=HEAD -X $v.BuildUser=oleada@build.sh -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)" \
    github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool
fi

# Traefik's go.mod replaces three requirements with sources the Go module proxy does not serve:
# go/traefik/_local links to copies made here from the module cache plus our own files, see
# go/traefik/README.md.
module_dir() { # module@version -> its directory in the module cache, downloaded if needed
  (cd /tmp && go mod download -json "$1") | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}
required_version() { # wrapper module dir, module path -> the version its go.mod requires
  awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2 }' "$1/go.mod"
}
traefik_sources() { # wrapper module dir
  local dir="$1" src="$CACHE_DIR/src/traefik" key tmp lego auth
  key="$(stamp_of "$dir")"
  if [[ "$(cat "$src/.stamp" 2>/dev/null)" != "$key" ]]; then
    lego="$(module_dir "github.com/go-acme/lego/v5@$(required_version "$dir" github.com/go-acme/lego/v5)")"
    auth="$(module_dir "github.com/abbot/go-http-auth@$(required_version "$dir" github.com/abbot/go-http-auth)")"
    [[ -d "$lego" && -d "$auth" ]] || die "could not fetch lego or go-http-auth through the Go module proxy"
    mkdir -p "$CACHE_DIR/src"
    tmp="$(mktemp -d "$CACHE_DIR/src/.traefik.XXXXXX")"
    cp -R "$lego" "$tmp/lego"
    cp -R "$auth" "$tmp/go-http-auth"
    chmod -R u+w "$tmp" # the module cache is read-only
    # lego's generated provider registry gives way to ours (SDK-free providers only)
    rm "$tmp/lego/providers/dns/"*.go
    cp "$dir/_overlay/lego/providers/dns/"*.go "$tmp/lego/providers/dns/"
    # go-http-auth v0.4.0 predates modules: our go.mod, the two functions Traefik's fork adds, a lock
    cp "$dir/_overlay/go-http-auth/go.mod" "$dir/_overlay/go-http-auth/"*.go "$tmp/go-http-auth/"
    patch -s -d "$tmp/go-http-auth" -p1 <"$dir/_overlay/go-http-auth/digest-lock.patch" || die "go-http-auth patch did not apply"
    printf '%s\n' "$key" >"$tmp/.stamp"
    rm -rf "$src"
    mv "$tmp" "$src"
  fi
  ln -sfn "$src" "$dir/_local"
}
if want traefik; then
  traefik_version="$(required_version "$go_dir/traefik" github.com/traefik/traefik/v3)"
  traefik_sources "$go_dir/traefik"
  if fresh traefik "$go_dir/traefik" traefik; then
    log "traefik: cached"
  else
    build traefik "$go_dir/traefik" "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$traefik_version" \
      github.com/traefik/traefik/v3/cmd/traefik
  fi
fi
log "binaries in $BIN_DIR"
