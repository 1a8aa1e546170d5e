#!/usr/bin/env bash
# npm run test:k8s — Oleada on a real single-node Kubernetes on this machine (tools/cluster):
#   cluster up → images built from the apps' own Dockerfiles and pushed (TLS + basic auth) →
#   synth (local profile) → bootstrap Secrets → kubectl apply -f dist/ → every rollout complete →
#   PodSecurity restricted, NetworkPolicies enforced (an outsider cannot reach Valkey, Kafka or the
#   writers; the real clients can) → Locust headless on 127.0.0.1 for a fixed time, a consumer and
#   a writer pod deleted mid-run, the gateway HPA's replicas recorded → Valkey's count == the
#   events Locust had accepted → docs/deploy/local.md written with what was measured.
# Fails (non-zero) on any check. The cluster is left up (npm run cluster -- down stops it);
# OLEADA_K8S_DOWN=1 stops it at the end.
# Environment: LOAD_SECONDS (90), LOCUST_USERS (60), OLEADA_SCENARIO (blackfriday).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
# shellcheck source=tools/cluster/lib/common.sh
. "$here/lib/common.sh"
cd "$ROOT"

LOAD_SECONDS="${LOAD_SECONDS:-90}"
LOCUST_USERS="${LOCUST_USERS:-60}"
SCENARIO="${OLEADA_SCENARIO:-blackfriday}"
NS=oleada
OUT="$STATE_DIR/test-k8s"
RESULTS="$OUT/results.env"
FAILURES=()
T0=$(date +%s)

rm -rf "$OUT" && mkdir -p "$OUT"
: >"$RESULTS"
record() { printf '%s=%q\n' "$1" "$2" >>"$RESULTS"; }
check() { # description, command...
  local what="$1"
  shift
  if "$@"; then
    log "ok: $what"
    printf -- '- ok: %s\n' "$what" >>"$OUT/checks.md"
  else
    log "FAILED: $what"
    printf -- '- FAILED: %s\n' "$what" >>"$OUT/checks.md"
    FAILURES+=("$what")
  fi
}

# --- 1. setup, cluster, images ------------------------------------------------------------------
bash tools/scripts/setup.sh >/dev/null
npx tsc -b charts tools/oci tools/local
t=$(date +%s)
bash "$here/cluster.sh" up
record CLUSTER_UP_SECONDS "$(($(date +%s) - t))"
export KUBECONFIG="$ADMIN_KUBECONFIG"
k() { "$BIN_DIR/kubectl" "$@"; }
t=$(date +%s)
bash "$here/images.sh" all
record IMAGES_SECONDS "$(($(date +%s) - t))"
TAG="$(cat "$STATE_DIR/app-tag")"
record TAG "$TAG"

# --- 2. a clean slate: the previous run's namespaces and volumes go --------------------------------
for ns in oleada oleada-monitoring; do k delete namespace "$ns" --ignore-not-found --wait=true --timeout=180s >/dev/null; done
bash "$here/cluster.sh" volumes

# --- 3. synth, bootstrap, apply ---------------------------------------------------------------------
OLEADA_PROFILE=local REGISTRY="$REGISTRY_ADDR" TAG="$TAG" CDK8S_OUTDIR="$ROOT/dist" node charts/dist/main.js
PATH="$BIN_DIR:$PATH" ZOT_USERNAME=oleada ZOT_PASSWORD="$(cat "$SECRETS/registry-password")" DIST="$ROOT/dist" \
  bash tools/bootstrap/bootstrap.sh >"$OUT/bootstrap.log"
t_apply=$(date +%s)
k apply -f dist/ >"$OUT/apply.log"

# --- 4. rollouts: seconds from apply until each workload is fully available -----------------------
log "waiting for every rollout"
declare -A ready_at=()
workloads="$(k -n "$NS" get deploy,statefulset -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}{"\n"}{end}')"
deadline=$((t_apply + 600))
while :; do
  pending=0
  for w in $workloads; do
    [[ -n "${ready_at[$w]:-}" ]] && continue
    read -r want have < <(k -n "$NS" get "$w" -o jsonpath='{.spec.replicas} {.status.readyReplicas}{"\n"}')
    if [[ -n "$have" && "$have" == "$want" ]]; then
      ready_at[$w]=$(($(date +%s) - t_apply))
      log "$w ready after ${ready_at[$w]} s"
    else
      pending=$((pending + 1))
    fi
  done
  ((pending == 0)) && break
  if (($(date +%s) > deadline)); then
    k -n "$NS" get pods -o wide >&2 || true
    k -n "$NS" get events --sort-by=.lastTimestamp | tail -30 >&2 || true
    die "rollouts incomplete after 600 s"
  fi
  sleep 2
done
for w in $workloads; do printf '| %s | %s |\n' "$w" "${ready_at[$w]}"; done >"$OUT/rollouts.md"
k -n "$NS" get pods -o wide >"$OUT/pods.txt"

# --- 5. PodSecurity: restricted enforced; every pod was admitted under it --------------------------
check "namespace $NS enforces PodSecurity restricted" \
  test "$(k get ns "$NS" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" = restricted
psa_probe() {
  # a pod without the restricted settings must be refused by the API server
  k -n "$NS" run psa-probe --image="$REGISTRY_ADDR/oleada-base/node-runtime:probe" --restart=Never --dry-run=server -o name >"$OUT/psa.txt" 2>&1 && return 1
  grep -q 'violates PodSecurity "restricted' "$OUT/psa.txt"
}
check "a pod short of the restricted standard is refused (server dry run)" psa_probe
check "every pod of $NS is running (all admitted under restricted)" \
  test -z "$(k -n "$NS" get pods --no-headers | awk '$3 != "Running"')"

# --- 6. NetworkPolicies: outsiders blocked, real clients through ------------------------------------
# shellcheck source=tools/cluster/lib/netcheck.sh
. "$here/lib/netcheck.sh"
netpolicy_checks

# --- 7. load: Locust through the NodePort on loopback; a consumer and a writer pod deleted mid-run --
# shellcheck source=tools/cluster/lib/load.sh
. "$here/lib/load.sh"
run_load

# --- 8. the report ----------------------------------------------------------------------------------
record TOTAL_SECONDS "$(($(date +%s) - T0))"
bash "$here/write-report.sh" "$OUT"
if [[ "${OLEADA_K8S_DOWN:-0}" == 1 ]]; then bash "$here/cluster.sh" down; fi
if ((${#FAILURES[@]})); then
  log "FAILED: ${FAILURES[*]}"
  exit 1
fi
log "test:k8s passed in $(($(date +%s) - T0)) s"
