# shellcheck shell=bash
# The load of one test-k8s.sh phase (one broker): Locust headless against the entry (Traefik's
# NodePort on 127.0.0.1, lib/entry.sh), the HPAs sampled every 5 s, a consumer pod and a writer pod deleted mid-run,
# in the Kafka phase the dashboards' queries and the alert drill after the first part (lib/prometheus.sh), then
# Valkey's count of the scenario compared with the events Locust saw accepted (202). Files go to
# $PHASE_OUT, results are recorded as <PHASE>_<NAME>.

counter_key() {
  node -e "const {ScenarioKeys}=require('@oleada/valkey-schema');const {getScenario}=require('@oleada/scenarios');const {totalMetric}=require('@oleada/local');const s=getScenario(process.argv[1]);console.log(new ScenarioKeys(s.name).metric(totalMetric(s)))" "$SCENARIO"
}

# GET a key on the Valkey primary as the consumer user; the password travels on stdin.
valkey_get() {
  local pw
  pw="$(k -n "$NS" get secret valkey-auth -o jsonpath='{.data.consumer-password}' | base64 -d)"
  # shellcheck disable=SC2016 # $p and $1 expand in the pod's shell
  printf '%s\n' "$pw" | k -n "$NS" exec -i valkey-primary-0 -c valkey -- sh -c 'read -r p; REDISCLI_AUTH="$p" valkey-cli --no-auth-warning --user consumer GET "$1"' _ "$1" | tr -d '\r'
}

sample_hpas() {
  local t0="$1"
  while :; do
    k -n "$NS" get hpa -o jsonpath='{range .items[*]}{.metadata.name} {.status.currentReplicas} {.status.desiredReplicas} {.status.currentMetrics[0].resource.current.averageUtilization}{"\n"}{end}' 2>/dev/null |
      while read -r name cur want util; do printf '%s %s %s %s %s\n' "$(($(date +%s) - t0))" "$name" "$cur" "$want" "${util:-?}"; done >>"$PHASE_OUT/hpa.txt"
    sleep 5
  done
}

# Deletes the first pod of a workload mid-run; its log is followed until it is gone (kept in logs/).
delete_pod() { # t0, workload
  local victim
  victim="$(first_pod "$2")"
  mkdir -p "$PHASE_OUT/logs"
  k -n "$NS" logs -f "$victim" --all-containers --timestamps >"$PHASE_OUT/logs/$victim.deleted.log" 2>&1 &
  k -n "$NS" delete pod "$victim" --wait=false >/dev/null
  printf '%s deleted pod %s\n' "$(($(date +%s) - $1))" "$victim" >>"$PHASE_OUT/deletions.txt"
}

# Every pod's log after the load (logs/), and the warnings of the whole phase by service and
# message (warnings.txt, in the report): what made a request fail, when one did.
save_logs() {
  local pod
  mkdir -p "$PHASE_OUT/logs"
  for pod in $(k -n "$NS" get pods -o jsonpath='{.items[*].metadata.name}'); do
    k -n "$NS" logs "$pod" --all-containers --timestamps >"$PHASE_OUT/logs/$pod.log" 2>&1 || true
  done
  python3 - "$PHASE_OUT/logs" >"$PHASE_OUT/warnings.txt" <<'PY'
import collections, json, pathlib, sys
seen = collections.Counter()
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.log")):
    for line in path.read_text(errors="replace").splitlines():
        brace = line.find("{")
        if brace < 0:
            continue
        try:
            entry = json.loads(line[brace:])
        except ValueError:
            continue
        if entry.get("level") not in ("warn", "error", "fatal"):
            continue
        detail = entry.get("cause") or entry.get("details") or entry.get("code") or entry.get("status") or ""
        seen[(entry.get("service", path.stem), entry.get("level"), entry.get("msg", ""), str(detail))] += 1
for (service, level, msg, detail), n in sorted(seen.items(), key=lambda kv: -kv[1]):
    print(f"{n:6d}  {service}  {level}  {msg}{'  [' + detail + ']' if detail else ''}")
if not seen:
    print("(no warnings or errors)")
PY
}

run_load() { # seconds of load; "hpa" when the gateway HPA must scale out in this phase; "prometheus": then the dashboards and the alert drill
  local seconds="$1" want_hpa="${2:-}" drill="${3:-}" total="$1" key before t0 sampler locust_pid accepted requests failures counted after i
  # the alert drill (lib/prometheus.sh) runs after the first part, under the same load
  [[ "$drill" == prometheus ]] && total=$((seconds + ALERT_DRILL_SECONDS))
  key="$(counter_key)"
  before="$(valkey_get "$key")"
  before="${before:-0}"
  record VALKEY_KEY "$key"
  record "${PHASE}_VALKEY_BEFORE" "$before"
  record "${PHASE}_LOAD_SECONDS" "$total"
  log "[$PHASE] Locust: $LOCUST_USERS users for $total s against $ENTRY_URL (scenario $SCENARIO); $key=$before before"
  t0=$(date +%s)
  : >"$PHASE_OUT/hpa.txt"
  : >"$PHASE_OUT/deletions.txt"
  sample_hpas "$t0" &
  sampler=$!
  local cost_before
  cost_before="$(entry_cost_sample)"
  .cache/venv/bin/locust -f locust/locustfile.py --headless -u "$LOCUST_USERS" -r 20 -t "${total}s" \
    --host "$ENTRY_URL" --scenario "$SCENARIO" --think-time 0 --stop-timeout 10 \
    --csv "$PHASE_OUT/locust" --json-file "$PHASE_OUT/locust" --only-summary >"$PHASE_OUT/locust.log" 2>&1 &
  locust_pid=$!
  # mid-run: one consumer pod and one writer pod deleted (their replacements take over)
  sleep $((seconds / 3))
  delete_pod "$t0" consumer
  sleep $((seconds / 6))
  delete_pod "$t0" writer-1
  if [[ "$drill" == prometheus ]]; then
    # as soon as the deleted consumer's replacement counts (lib/prometheus.sh), at the latest near
    # the end of the first part
    prometheus_wait_counted $((t0 + seconds - 2))
    prometheus_alert_drill "$t0"
    # after the drill, near the end of the load: the dashboards' 30 min range holds the whole load, and
    # the accepted rate is compared at every point of it whose window Locust's history covers
    prometheus_dashboards
  fi
  wait "$locust_pid" || log "locust exited non-zero (failed requests count as not accepted; see $PHASE_OUT/locust.log)"
  entry_cost_report "$cost_before" "$(entry_cost_sample)"
  save_logs
  # accepted = requests that got their 202 (Locust counts anything else as a failure)
  read -r requests failures < <(python3 - "$PHASE_OUT/locust.json" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
stats = stats if isinstance(stats, list) else stats.get("stats", [])
req = sum(s["num_requests"] for s in stats if s.get("method") == "POST")
fail = sum(s["num_failures"] for s in stats if s.get("method") == "POST")
print(req, fail)
PY
  )
  accepted=$((requests - failures))
  record "${PHASE}_LOCUST_REQUESTS" "$requests"
  record "${PHASE}_LOCUST_FAILURES" "$failures"
  record "${PHASE}_ACCEPTED" "$accepted"
  log "[$PHASE] Locust: $requests requests, $failures failures, $accepted accepted; waiting for Valkey"
  counted=0
  for i in $(seq 1 90); do
    after="$(valkey_get "$key")"
    counted=$((${after:-0} - before))
    if ((counted >= accepted)); then
      sleep 5
      after="$(valkey_get "$key")"
      counted=$((${after:-0} - before))
      break
    fi
    sleep 2
  done
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  record "${PHASE}_COUNTED" "$counted"
  record "${PHASE}_COUNT_SECONDS_AFTER_LOAD" "$((i * 2))"
  check "[$PHASE] Valkey counted exactly the accepted events ($counted counted, $accepted accepted)" test "$counted" -eq "$accepted"
  check "[$PHASE] Locust sent load ($requests requests)" test "$requests" -gt 0
  local peak
  peak="$(awk '$2 == "gateway" && $3 > max {max = $3} END {print max + 0}' "$PHASE_OUT/hpa.txt")"
  record "${PHASE}_GATEWAY_PEAK_REPLICAS" "$peak"
  if [[ "$want_hpa" == hpa ]]; then check "[$PHASE] the gateway HPA scaled out under load (peak $peak replicas)" test "$peak" -gt 1; fi
}
