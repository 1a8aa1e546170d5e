#!/usr/bin/env bash
# npm run test:k8s — Oleada on a real single-node Kubernetes on this machine (tools/cluster):
#   cluster up → images built from apps/Dockerfile and pushed (TLS + basic auth) →
#   synth (local profile) → bootstrap Secrets → kubectl apply -f dist/ → every rollout complete →
#   Traefik serves the charts' Gateway + HTTPRoute (Kafka phase) or Ingress (RabbitMQ phase): a listed
#   route reaches the gateway, unlisted paths and methods are refused at the entry →
#   PodSecurity restricted, NetworkPolicies enforced (an outsider cannot reach Valkey, Kafka or the
#   writers; the real clients can) → Prometheus (lib/prometheus.sh): every app pod scraped, the rules
#   loaded, its RBAC and egress → Locust headless through Traefik's NodePort on 127.0.0.1 for a fixed time, a consumer and
#   a writer pod deleted mid-run, the gateway HPA's replicas recorded, in the Kafka phase then every
#   dashboard's Prometheus queries and the alert drill (consumer to 0 and back) → Valkey's count == the
#   events Locust had accepted → the report of what was measured in .cache/reports/test-k8s/local.md
#   (tools/cluster/write-report.sh; docs/deploy/local.md only with OLEADA_WRITE_DOCS=1).
# Fails (non-zero, with a message) on any check and whenever it cannot run (not root, no cluster):
# it never skips. The cluster is left up (npm run cluster -- down stops it); OLEADA_K8S_DOWN=1
# (CI) stops it at the end, pass or fail.
# Then the same again with RabbitMQ (OLEADA_BROKER=rabbitmq; the image is built here from Debian's
# rabbitmq-server): re-synth, apply, rollouts, NetworkPolicies, a shorter load with the deletions,
# then the client address the gateway rate-limits behind Traefik (lib/entry.sh xff_checks).
# npm run test:k8s:faults (`test-k8s.sh faults`) — the cluster fault suite, on its own so that a
# deployment check stays a short loop: the same cluster, images and clean slate, then the Kafka
# phase's deployment (no load, no checks of its own) broken on purpose one row at a time under load
# through Traefik (run_cluster_faults, tools/faults/src/k8s). .ci/run runs both, this one second.
# Environment: OLEADA_K8S_FAULTS (test:k8s:faults: ci, the default, or all), LOAD_SECONDS (90, the Kafka phase), ALERT_DRILL_SECONDS (120, the Kafka load's
# extension for the alert drill), LOAD_SECONDS_RABBITMQ (45), LOCUST_USERS (60),
# OLEADA_SCENARIO (blackfriday), OLEADA_WRITE_DOCS=1 (rewrite docs/deploy/local.md too),
# OLEADA_REPORT_DIR (the report's directory).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
# shellcheck source=tools/cluster/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=tools/cluster/lib/gateway-api.sh
. "$here/lib/gateway-api.sh"
cd "$ROOT"

LOAD_SECONDS="${LOAD_SECONDS:-90}"
# the Kafka phase's load goes on this long after LOAD_SECONDS for the alert drill (lib/prometheus.sh)
ALERT_DRILL_SECONDS="${ALERT_DRILL_SECONDS:-120}"
LOAD_SECONDS_RABBITMQ="${LOAD_SECONDS_RABBITMQ:-45}"
LOCUST_USERS="${LOCUST_USERS:-60}"
SCENARIO="${OLEADA_SCENARIO:-blackfriday}"
NS=oleada
# deploy: `npm run test:k8s`; faults: `npm run test:k8s:faults` (below)
MODE="${1:-deploy}"
case "$MODE" in
deploy) OUT="$STATE_DIR/test-k8s" COMMAND=test:k8s ;;
faults) OUT="$STATE_DIR/test-k8s-faults" COMMAND=test:k8s:faults ;;
*) die "test-k8s.sh $MODE: use deploy (npm run test:k8s) or faults (npm run test:k8s:faults)" ;;
esac
RESULTS="$OUT/results.env"
FAILURES=()
T0=$(date +%s)

[[ "$(id -u)" == 0 ]] || die "$COMMAND needs root (the cluster needs netfilter, mounts and cgroups): it cannot run here, and does not skip"
slate_pid=""
finish() {
  local rc=$?
  if [[ -n "$slate_pid" ]]; then kill "$slate_pid" 2>/dev/null || true; fi
  prometheus_stop_forward 2>/dev/null || true
  if [[ "${OLEADA_K8S_DOWN:-0}" == 1 ]]; then bash "$here/cluster.sh" down || rc=1; fi
  ((rc == 0)) || log "$COMMAND FAILED (exit $rc): see the messages above and $OUT"
  exit "$rc"
}
trap finish EXIT

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

# --- 1. setup, cluster -----------------------------------------------------------------------------
bash tools/scripts/setup.sh >/dev/null
npx tsc -b charts tools/oci tools/local tools/faults
t=$(date +%s)
bash "$here/cluster.sh" up
record CLUSTER_UP_SECONDS "$(($(date +%s) - t))"
export KUBECONFIG="$ADMIN_KUBECONFIG"
k() { "$BIN_DIR/kubectl" "$@"; }
crictl_() { "$BIN_DIR/crictl" --runtime-endpoint "unix://$CONTAINERD_SOCK" "$@"; }

# --- 2. a clean slate: the previous run's namespaces and volumes go --------------------------------
# The previous run is over: its pods get no graceful termination (their drain and the namespace
# controller's wait for the longest grace period cost a minute and prove nothing now). The three
# namespaces go at once; their pods are deleted with grace 0, and the slate is clean when the
# namespaces are gone and the node runs none of their containers.
APP_NAMESPACES=(oleada oleada-monitoring oleada-edge)
clean_slate() {
  local t0 present ns deadline left
  t0=$(date +%s)
  present="$(k get ns "${APP_NAMESPACES[@]}" --ignore-not-found -o name)"
  if [[ -n "$present" ]]; then
    # shellcheck disable=SC2086 # one word per namespace/<name>
    k delete $present --wait=false >/dev/null
    for ns in "${APP_NAMESPACES[@]}"; do
      k -n "$ns" delete pods --all --grace-period=0 --force >/dev/null 2>&1 || true
    done
  fi
  deadline=$((t0 + 180))
  while :; do
    left="$(k get ns "${APP_NAMESPACES[@]}" --ignore-not-found -o name | tr '\n' ' ')"
    for ns in "${APP_NAMESPACES[@]}"; do
      [[ -n "$(crictl_ ps -q --label "io.kubernetes.pod.namespace=$ns" 2>/dev/null)" ]] && left+="containers of $ns "
    done
    [[ -z "$left" ]] && break
    (($(date +%s) > deadline)) && die "the previous run's namespaces are not gone after 180 s: $left"
    sleep 1
  done
  # The local services' images are tagged by version, not by content: one rebuilt from changed inputs
  # (run-kafka.sh, KafkaAdmin.java, …) keeps its tag, and the node, which pulls IfNotPresent, goes on
  # running its old copy (the fault rows' `KafkaAdmin quorum` met a Kafka image from before it existed).
  # With the last run's pods gone the node forgets them (an image still in use stays), so the pods pull
  # what the registry holds now.
  # shellcheck source=tools/cluster/images.env
  . "$here/images.env"
  local image
  for image in "$VALKEY_IMAGE" "$KAFKA_IMAGE" "$RABBITMQ_IMAGE" "$TRAEFIK_IMAGE" "$PROMETHEUS_IMAGE" "$JAEGER_IMAGE"; do
    crictl_ rmi "$REGISTRY_ADDR/$image" >/dev/null 2>&1 || true
  done
  bash "$here/cluster.sh" volumes
  record CLEAN_SLATE_SECONDS "$(($(date +%s) - t0))"
  log "clean slate: the previous run's namespaces, containers and volumes gone ($(($(date +%s) - t0)) s)"
}

# --- 3. server-side dry runs of every profile × broker, on the clean slate (creates, not patches) -----
dry_runs() {
  local t0
  t0=$(date +%s)
  bash "$here/dry-run.sh" "$OUT/dry-run" >"$OUT/dry-run.log" 2>&1 || return 1
  record DRY_RUN_SECONDS "$(($(date +%s) - t0))"
  log "server-side dry runs: every variant accepted ($(($(date +%s) - t0)) s)"
}

# Sections 2 and 3 need the cluster only, the images the registry and dockerd only: they overlap.
rm -rf "$ROOT/dist"
t=$(date +%s)
(
  clean_slate
  [[ "$MODE" == faults ]] || dry_runs
) &
slate_pid=$!
t_images=$(date +%s)
bash "$here/images.sh" all
record IMAGES_SECONDS "$(($(date +%s) - t_images))"
TAG="$(cat "$STATE_DIR/app-tag")"
record TAG "$TAG"
wait "$slate_pid" || slate_rc=$?
slate_pid=""
if ((${slate_rc:-0})); then
  [[ -s "$OUT/dry-run.log" ]] && cat "$OUT/dry-run.log" >&2
  die "the clean slate or the server-side dry runs failed (see $OUT/dry-run.log and $OUT/dry-run)"
fi
record PREPARE_SECONDS "$(($(date +%s) - t))"
log "images, clean slate and dry runs ready ($(($(date +%s) - t)) s)"
# The dry runs removed their CRDs again; Traefik serves the charts' Gateway API objects for real.
crd_files=()
for crd in $(gateway_api_crds); do crd_files+=(-f "$crd"); done
k apply --server-side --force-conflicts "${crd_files[@]}" >/dev/null
k wait --for=condition=Established --timeout=60s "${crd_files[@]}" >/dev/null
log "Gateway API $(gateway_api_version) CRDs (standard) installed"

# --- 4. one phase per broker: synth, bootstrap, apply, rollouts, checks, load ----------------------
# The Kafka phase first; then the broker is switched to RabbitMQ as a user would: synth again,
# bootstrap (it adds RabbitMQ's Secret), apply, and delete what the new dist/ no longer has.
# shellcheck source=tools/cluster/lib/netcheck.sh
. "$here/lib/netcheck.sh"
# shellcheck source=tools/cluster/lib/load.sh
. "$here/lib/load.sh"
# shellcheck source=tools/cluster/lib/kafka.sh
. "$here/lib/kafka.sh"
# shellcheck source=tools/cluster/lib/entry.sh
. "$here/lib/entry.sh"
# shellcheck source=tools/cluster/lib/prometheus.sh
. "$here/lib/prometheus.sh"

# "ns kind/name" of every object in a dist directory (that exists in the cluster)
objects_of() {
  k get -f "$1" --ignore-not-found -o jsonpath='{range .items[*]}{.metadata.namespace} {.kind}/{.metadata.name}{"\n"}{end}' | sort
}

wait_rollouts() { # seconds since t_apply until every Deployment/StatefulSet is fully ready
  local workloads deadline pending listed w gen seen want have updated total
  declare -A ready_at=()
  workloads="$(k -n "$NS" get deploy,statefulset -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}{"\n"}{end}')"
  deadline=$((t_apply + 600))
  while :; do
    pending=0 listed=0
    # one kubectl for every workload (one each would take a core of a busy node's two from the rollouts)
    while IFS='|' read -r w gen seen want have updated total; do
      [[ -n "$w" ]] && listed=$((listed + 1))
      [[ -n "$w" && -z "${ready_at[$w]:-}" ]] || continue
      # ready means: every replica ready and on the applied template (no old pod left)
      if [[ "$seen" == "$gen" && -n "$have" && "$have" == "$want" && "$updated" == "$want" && "$total" == "$want" ]]; then
        ready_at[$w]=$(($(date +%s) - t_apply))
        log "[$PHASE] $w ready after ${ready_at[$w]} s"
      else
        pending=$((pending + 1))
      fi
    done < <(k -n "$NS" get deploy,statefulset -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}|{.metadata.generation}|{.status.observedGeneration}|{.spec.replicas}|{.status.readyReplicas}|{.status.updatedReplicas}|{.status.replicas}{"\n"}{end}')
    # (a listing that failed says nothing)
    ((pending == 0 && listed > 0)) && break
    if (($(date +%s) > deadline)); then
      k -n "$NS" get pods -o wide >&2 || true
      k -n "$NS" get events --sort-by=.lastTimestamp | tail -30 >&2 || true
      die "[$PHASE] rollouts incomplete after 600 s"
    fi
    sleep 2
  done
  for w in $workloads; do printf '| %s | %s |\n' "$w" "${ready_at[$w]:-gone}"; done >"$PHASE_OUT/rollouts.md"
}

# A finished rollout can leave pods of the replaced ReplicaSets shutting down (a consumer of the
# previous broker draining after that broker was deleted takes its whole grace period): the
# namespace's checks start once they are gone, and the wait is logged, not counted as rollout time.
wait_terminated() {
  local t0 deadline leaving
  t0=$(date +%s)
  deadline=$((t0 + 120))
  while :; do
    leaving="$(k -n "$NS" get pods -o jsonpath='{range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name} {end}')"
    [[ -z "$leaving" ]] && break
    (($(date +%s) > deadline)) && die "[$PHASE] pods still terminating after 120 s: $leaving"
    sleep 2
  done
  (($(date +%s) > t0)) && log "[$PHASE] replaced pods gone after $(($(date +%s) - t0)) s more"
  return 0
}

# A broker's deployment as a user makes it: synth (local profile), bootstrap, apply (deleting what the
# previous dist/ had that this one has not), every rollout complete, the entry serving.
deploy_phase() { # broker, entry mode (gateway-api | ingress)
  local broker="$1" entry="$2" previous=""
  PHASE="$(tr '[:lower:]' '[:upper:]' <<<"$broker")"
  PHASE_OUT="$OUT/$broker"
  mkdir -p "$PHASE_OUT"
  log "=== phase $PHASE: OLEADA_BROKER=$broker OLEADA_ENTRY=$entry"
  if [[ -d "$ROOT/dist" ]] && compgen -G "$ROOT/dist/*.yaml" >/dev/null; then
    previous="$OUT/dist-before-$broker"
    rm -rf "$previous" && cp -r "$ROOT/dist" "$previous"
  fi
  rm -rf "$ROOT/dist"
  OLEADA_PROFILE=local OLEADA_BROKER="$broker" OLEADA_ENTRY="$entry" REGISTRY="$REGISTRY_ADDR" TAG="$TAG" CDK8S_OUTDIR="$ROOT/dist" node charts/dist/main.js
  PATH="$BIN_DIR:$PATH" ZOT_USERNAME=oleada ZOT_PASSWORD="$(cat "$SECRETS/registry-password")" DIST="$ROOT/dist" \
    bash tools/bootstrap/bootstrap.sh >"$PHASE_OUT/bootstrap.log"
  t_apply=$(date +%s)
  k apply -f dist/ >"$PHASE_OUT/apply.log"
  if [[ -n "$previous" ]]; then
    # objects of the previous broker that this dist/ no longer has (its StatefulSet, Services, policies)
    local gone ns
    gone="$(comm -23 <(objects_of "$previous") <(objects_of "$ROOT/dist"))"
    # one kubectl per namespace (cluster-scoped objects have no namespace word and stay)
    while read -r ns; do
      [[ -n "$ns" ]] || continue
      # shellcheck disable=SC2046 # one word per kind/name
      k -n "$ns" delete $(awk -v ns="$ns" 'NF == 2 && $1 == ns {print $2}' <<<"$gone") --wait=false >>"$PHASE_OUT/apply.log"
    done < <(awk 'NF == 2 {print $1}' <<<"$gone" | sort -u)
    printf '%s\n' "$gone" >"$PHASE_OUT/pruned.txt"
  fi
  record "${PHASE}_APPLIED_OBJECTS" "$(grep -c . "$PHASE_OUT/apply.log")"

  log "[$PHASE] waiting for every rollout"
  wait_rollouts
  wait_terminated
  wait_entry "$entry"
  k -n "$NS" get pods -o wide >"$PHASE_OUT/pods.txt"
}

run_phase() { # broker, entry mode (gateway-api | ingress), seconds of load, "hpa" when the gateway HPA must scale out
  local broker="$1" entry="$2" seconds="$3" want_hpa="${4:-}" t_phase
  t_phase=$(date +%s)
  deploy_phase "$broker" "$entry"

  # PodSecurity: restricted enforced; every pod was admitted under it
  check "[$PHASE] namespace $NS enforces PodSecurity restricted" \
    test "$(k get ns "$NS" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" = restricted
  check "[$PHASE] every pod of $NS is running (all admitted under restricted)" \
    test -z "$(k -n "$NS" get pods --no-headers | awk '$3 != "Running"')"

  if [[ "$broker" == rabbitmq ]]; then
    record RABBITMQ_VERSION "$(k -n "$NS" exec rabbitmq-0 -c rabbitmq -- rabbitmqctl -q version 2>/dev/null | tail -1)"
  fi
  entry_checks "$entry"
  netpolicy_checks "$broker"
  if [[ "$broker" == kafka ]]; then
    kafka_acl_checks
    prometheus_checks
    run_load "$seconds" "$want_hpa" prometheus
    prometheus_stop_forward
  else
    run_load "$seconds" "$want_hpa"
    xff_checks
  fi
  # after the load and the pod deletions: every partition fully replicated again
  [[ "$broker" == kafka ]] && kafka_isr_checks
  record "${PHASE}_PHASE_SECONDS" "$(($(date +%s) - t_phase))"
  return 0
}

psa_probe() {
  # a pod without the restricted settings must be refused by the API server
  k -n "$NS" run psa-probe --image="$REGISTRY_ADDR/oleada-base/node-runtime:probe" --restart=Never --dry-run=server -o name >"$OUT/psa.txt" 2>&1 && return 1
  grep -q 'violates PodSecurity "restricted' "$OUT/psa.txt"
}

# Faults on the Kafka phase's deployment (tools/faults/src/k8s/k8s.fault.ts): rollouts, an image
# upgrade, Kafka brokers and the controller lost, Kafka paused, the Valkey primary lost — each under
# load through Traefik, counted exactly. Its table: .cache/reports/test-k8s-faults/reliability.md
# (docs/reliability.md, "On Kubernetes", only with OLEADA_WRITE_DOCS=1).
# OLEADA_K8S_FAULTS: ci (the default, and what .ci/run runs), all (every row).
run_cluster_faults() {
  local t rc=0 rows="${OLEADA_K8S_FAULTS:-ci}"
  record FAULTS_ROWS "$rows"
  case "$rows" in
  ci | all) ;;
  *) die "OLEADA_K8S_FAULTS=$rows: use ci or all" ;;
  esac
  t=$(date +%s)
  log "=== cluster faults ($rows) under load through $ENTRY_URL"
  OLEADA_K8S_FAULTS="$rows" OLEADA_KUBECTL="$BIN_DIR/kubectl" OLEADA_ENTRY_URL="$ENTRY_URL" OLEADA_SCENARIO="$SCENARIO" OLEADA_APP_TAG="$TAG" \
    OLEADA_IMAGES_SCRIPT="$here/images.sh" OLEADA_CLUSTER_SCRIPT="$here/cluster.sh" OLEADA_CONTAINERD_SOCK="$CONTAINERD_SOCK" \
    node --test --test-concurrency=1 --test-timeout=1800000 tools/faults/dist/k8s/k8s.fault.js >"$OUT/faults.log" 2>&1 || rc=$?
  record FAULTS_SECONDS "$(($(date +%s) - t))"
  grep -E '^ℹ (pass|fail) ' "$OUT/faults.log" | sed 's/^ℹ //' >"$OUT/faults-summary.txt" || true
  ((rc == 0)) || grep -E '^✖|AssertionError|Error:' "$OUT/faults.log" | head -20 >&2 || true
  check "cluster faults: every row lost nothing, counted nothing twice and showed what it must ($(tr '\n' ' ' <"$OUT/faults-summary.txt"); table in .cache/reports/test-k8s-faults/reliability.md)" test "$rc" -eq 0
}

# --- tracing (#26): the trace store deployed and one event's trace checked (lib/tracing.sh; OLEADA_K8S_TRACING=0: not) ---
# shellcheck source=tools/cluster/lib/tracing.sh
. "$here/lib/tracing.sh"
if [[ "$MODE" == faults ]]; then
  # npm run test:k8s:faults: the Kafka deployment of test:k8s's first phase, made afresh on the clean
  # slate, then broken one row at a time.
  t=$(date +%s)
  deploy_phase kafka gateway-api
  record KAFKA_DEPLOY_SECONDS "$(($(date +%s) - t))"
  log "[KAFKA] deployed for the fault rows ($(($(date +%s) - t)) s)"
  run_cluster_faults
else
  run_phase kafka gateway-api "$LOAD_SECONDS" hpa
  tracing_check # the Kafka phase's deployment; a no-op with OLEADA_K8S_TRACING=0
  check "a pod short of the restricted standard is refused (server dry run)" psa_probe
  run_phase rabbitmq ingress "$LOAD_SECONDS_RABBITMQ"
fi

# --- 5. the report ----------------------------------------------------------------------------------
record TOTAL_SECONDS "$(($(date +%s) - T0))"
if [[ "$MODE" == deploy ]]; then
  bash "$here/write-report.sh" "$OUT"
else
  log "the rows' table: .cache/reports/test-k8s-faults/reliability.md; the run's files: $OUT"
fi
if ((${#FAILURES[@]})); then
  log "FAILED checks: ${FAILURES[*]}"
  exit 1
fi
log "$COMMAND passed in $(($(date +%s) - T0)) s"
