#!/usr/bin/env bash
# Server-side dry runs of what the local cluster cannot run, for every profile and broker: synth
# each variant and `kubectl apply --dry-run=server -f` it against the running local cluster with
# the CRDs installed: Strimzi 1.2.0 and KubeVirt's VirtualMachine (generated from its v1.9.0
# OpenAPI by charts/scripts/kubevirt-crd.mjs) from the repository; Gateway API at the version the
# project pins (libs/k8s/src/versions.json, what the bootstrap installs), its standard-channel CRDs
# from the Go module sigs.k8s.io/gateway-api fetched through the Go module proxy (the module cache
# keeps it). The CRDs are removed again at the end, and so are the namespaces it made (waiting
# for them to go, so that a real apply may follow at once).
#   bash tools/cluster/dry-run.sh            (the cluster must be up: npm run cluster -- up)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
# shellcheck source=tools/cluster/lib/common.sh
. "$here/lib/common.sh"
cd "$ROOT"
export KUBECONFIG="$ADMIN_KUBECONFIG"
k() { "$BIN_DIR/kubectl" "$@"; }
k get --raw /readyz >/dev/null || die "the cluster is not up: npm run cluster -- up"
[[ -f charts/dist/main.js ]] || npx tsc -b charts

# shellcheck source=tools/cluster/lib/gateway-api.sh
. "$here/lib/gateway-api.sh"
GATEWAY_API_VERSION="$(gateway_api_version)"
mapfile -t gateway_api_crds < <(gateway_api_crds)
((${#gateway_api_crds[@]} > 0)) || die "no Gateway API CRDs found"
CRDS=(charts/schemas/strimzi-1.2.0/*.yaml "${gateway_api_crds[@]}" charts/schemas/kubevirt-v1.9.0/virtualmachine-crd.yaml)
OUT="${1:-$STATE_DIR/dry-run}"
rm -rf "$OUT" && mkdir -p "$OUT"
log "installing CRDs: Strimzi 1.2.0, Gateway API $GATEWAY_API_VERSION (standard), KubeVirt v1.9.0 VirtualMachine"
crd_files=()
for crd in "${CRDS[@]}"; do crd_files+=(-f "$crd"); done
# one kubectl for all of them (a process each costs a second on a busy node)
k apply --server-side --force-conflicts "${crd_files[@]}" >/dev/null
k wait --for=condition=Established --timeout=60s "${crd_files[@]}" >/dev/null
created_ns=()
for ns in oleada oleada-monitoring oleada-edge; do
  if ! k get ns "$ns" >/dev/null 2>&1; then
    k create ns "$ns" >/dev/null
    created_ns+=("$ns")
  fi
done

variants=()
for profile in gke eks kind local; do
  for broker in kafka rabbitmq both; do
    case "$profile" in
    gke | eks) combos="kubevirt:ingress kubevirt:gateway-api" ;;
    kind) combos="kubevirt:ingress kubevirt:gateway-api statefulset:ingress statefulset:gateway-api" ;;
    local) combos="statefulset:ingress statefulset:gateway-api" ;;
    esac
    for combo in $combos; do variants+=("$profile $broker ${combo%%:*} ${combo#*:}"); done
  done
done
name_of() { tr ' ' - <<<"$1"; }

# Every variant synthesized by one node process (a process per variant costs seconds each).
t=$(date +%s)
# shellcheck disable=SC2016 # JavaScript, not shell
printf '%s\n' "${variants[@]}" | node -e '
const { synthesize } = require("./charts/dist/app");
const { loadConfig } = require("./charts/dist/config");
for (const line of require("node:fs").readFileSync(0, "utf8").trim().split("\n")) {
  const [profile, broker, valkey, entry] = line.split(" ");
  const env = { ...process.env, OLEADA_PROFILE: profile, OLEADA_BROKER: broker, OLEADA_VALKEY: valkey, OLEADA_ENTRY: entry, REGISTRY: "zot.oleada.test:5000", TAG: "dry-run" };
  synthesize(loadConfig(env), `${process.argv[1]}/${line.replaceAll(" ", "-")}`);
}' "$OUT"
log "synthesized ${#variants[@]} variants in $(($(date +%s) - t)) s"

# The dry runs, three at a time (each waits mostly on the API server; nothing is persisted).
dry_run_one() {
  local name="$1" dir="$OUT/$1" kinds
  kinds="$(grep -h '^kind:' "$dir"/*.yaml | awk '{print $2}' | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
  if k apply --dry-run=server -f "$dir/" >"$dir.log" 2>&1; then
    printf '| %s | ok | %s |\n' "$name" "$kinds" >"$dir.result"
  else
    printf '| %s | FAILED: %s | %s |\n' "$name" "$(grep -m1 -i error "$dir.log" | cut -c1-200)" "$kinds" >"$dir.result"
  fi
}
t=$(date +%s)
for v in "${variants[@]}"; do
  dry_run_one "$(name_of "$v")" &
  while (($(jobs -rp | wc -l) >= 3)); do wait -n || true; done
done
wait
log "server-side dry runs of ${#variants[@]} variants in $(($(date +%s) - t)) s"
: >"$OUT/summary.md"
for v in "${variants[@]}"; do cat "$OUT/$(name_of "$v").result" >>"$OUT/summary.md"; done
failed="$(grep -c '| FAILED' "$OUT/summary.md" || true)"
# (empty: nothing was persisted) all at once, waiting for every one to go
((${#created_ns[@]} == 0)) || k delete ns "${created_ns[@]}" --wait=true --timeout=180s >/dev/null
k delete "${crd_files[@]}" --ignore-not-found >/dev/null
cat "$OUT/summary.md"
((failed == 0)) || die "$failed variants failed the server-side dry run (logs in $OUT)"
log "every variant passed the server-side dry run"
