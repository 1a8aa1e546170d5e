# shellcheck shell=bash
# The load phase of test-k8s.sh: Locust headless against the gateway's NodePort on 127.0.0.1, the
# HPAs sampled every 5 s, a consumer pod and a writer pod deleted mid-run, then Valkey's count of
# the scenario compared with the events Locust saw accepted (202).

ENTRY_URL="http://127.0.0.1:30080"

counter_key() {
  node -e "const {ScenarioKeys}=require('@oleada/valkey-schema');const {getScenario}=require('@oleada/scenarios');const {totalMetric}=require('@oleada/local');const s=getScenario(process.argv[1]);console.log(new ScenarioKeys(s.name).metric(totalMetric(s)))" "$SCENARIO"
}

# GET a key on the Valkey primary as the consumer user; the password travels on stdin.
valkey_get() {
  local pw
  pw="$(k -n "$NS" get secret valkey-auth -o jsonpath='{.data.consumer-password}' | base64 -d)"
  printf '%s\n' "$pw" | k -n "$NS" exec -i valkey-primary-0 -c valkey -- sh -c 'read -r p; REDISCLI_AUTH="$p" valkey-cli --no-auth-warning --user consumer GET "$1"' _ "$1" | tr -d '\r'
}

sample_hpas() {
  local t0="$1"
  while :; do
    k -n "$NS" get hpa -o jsonpath='{range .items[*]}{.metadata.name} {.status.currentReplicas} {.status.desiredReplicas} {.status.currentMetrics[0].resource.current.averageUtilization}{"\n"}{end}' 2>/dev/null |
      while read -r name cur want util; do printf '%s %s %s %s %s\n' "$(($(date +%s) - t0))" "$name" "$cur" "$want" "${util:-?}"; done >>"$OUT/hpa.txt"
    sleep 5
  done
}

run_load() {
  local key before t0 sampler locust_pid accepted requests failures counted after i
  key="$(counter_key)"
  before="$(valkey_get "$key")"
  before="${before:-0}"
  record VALKEY_KEY "$key"
  log "Locust: $LOCUST_USERS users for $LOAD_SECONDS s against $ENTRY_URL (scenario $SCENARIO); $key=$before before"
  t0=$(date +%s)
  : >"$OUT/hpa.txt"
  sample_hpas "$t0" &
  sampler=$!
  .cache/venv/bin/locust -f locust/locustfile.py --headless -u "$LOCUST_USERS" -r 20 -t "${LOAD_SECONDS}s" \
    --host "$ENTRY_URL" --scenario "$SCENARIO" --think-time 0 --stop-timeout 10 \
    --csv "$OUT/locust" --json-file "$OUT/locust" --only-summary >"$OUT/locust.log" 2>&1 &
  locust_pid=$!
  # mid-run: one consumer pod and one writer pod deleted (their replacements take over)
  sleep $((LOAD_SECONDS / 3))
  local victim
  victim="$(first_pod consumer)"
  k -n "$NS" delete pod "$victim" --wait=false >/dev/null
  printf '%s deleted pod %s\n' "$(($(date +%s) - t0))" "$victim" >>"$OUT/deletions.txt"
  sleep $((LOAD_SECONDS / 6))
  victim="$(first_pod writer-1)"
  k -n "$NS" delete pod "$victim" --wait=false >/dev/null
  printf '%s deleted pod %s\n' "$(($(date +%s) - t0))" "$victim" >>"$OUT/deletions.txt"
  wait "$locust_pid" || log "locust exited non-zero (failed requests count as not accepted; see $OUT/locust.log)"
  # accepted = requests that got their 202 (Locust counts anything else as a failure)
  read -r requests failures < <(python3 - "$OUT/locust.json" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
stats = stats if isinstance(stats, list) else stats.get("stats", [])
req = sum(s["num_requests"] for s in stats if s.get("method") == "POST")
fail = sum(s["num_failures"] for s in stats if s.get("method") == "POST")
print(req, fail)
PY
  )
  accepted=$((requests - failures))
  record LOCUST_REQUESTS "$requests"
  record LOCUST_FAILURES "$failures"
  record ACCEPTED "$accepted"
  log "Locust: $requests requests, $failures failures, $accepted accepted; waiting for Valkey"
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
  record COUNTED "$counted"
  record COUNT_SECONDS_AFTER_LOAD "$((i * 2))"
  check "Valkey counted exactly the accepted events ($counted counted, $accepted accepted)" test "$counted" -eq "$accepted"
  check "Locust sent load ($requests requests)" test "$requests" -gt 0
  local peak
  peak="$(awk '$2 == "gateway" && $3 > max {max = $3} END {print max + 0}' "$OUT/hpa.txt")"
  record GATEWAY_PEAK_REPLICAS "$peak"
  check "the gateway HPA scaled out under load (peak $peak replicas)" test "$peak" -gt 1
}
