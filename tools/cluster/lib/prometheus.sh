# shellcheck shell=bash
# Prometheus on the cluster (the charts' PrometheusServer in oleada-monitoring, the binary build.sh
# builds), checked in test-k8s.sh's Kafka phase through its HTTP API (a kubectl port-forward on
# 127.0.0.1):
#   prometheus_checks      it scrapes every app pod (appsScrapeJob), loaded the alert rules, its
#                          account may list pods in the apps' namespace and nothing more, and its
#                          egress reaches the apps' metrics port only
#   prometheus_alert_drill during the load: the consumer scaled to 0 → OleadaNothingCounted firing
#                          within its `for` + 1 min; scaled back → resolved (timeline recorded)
#   prometheus_dashboards  then: every Prometheus query of every dashboard in dist/ (libs/dashboards'
#                          check-queries.js) returns data over the dashboard's range, and the
#                          accepted-events series agrees with Locust's own rate within 10 %
# Files go to $PHASE_OUT, results are recorded as PROM_*.

MON_NS=oleada-monitoring
PROM_URL=""
PROM_FORWARD_PID=""
PROM_ACCOUNT=system:serviceaccount:oleada-monitoring:prometheus-server

prometheus_forward() {
  [[ -n "$PROM_FORWARD_PID" ]] && kill "$PROM_FORWARD_PID" 2>/dev/null
  local port="" _
  k -n "$MON_NS" port-forward --address 127.0.0.1 svc/prometheus-server :80 >"$PHASE_OUT/prometheus-forward.log" 2>&1 &
  PROM_FORWARD_PID=$!
  for _ in $(seq 1 100); do
    port="$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$PHASE_OUT/prometheus-forward.log" | head -1)"
    [[ -n "$port" ]] && break
    sleep 0.2
  done
  [[ -n "$port" ]] || die "[$PHASE] kubectl port-forward to Prometheus did not start: $(cat "$PHASE_OUT/prometheus-forward.log")"
  PROM_URL="http://127.0.0.1:$port"
}

prometheus_stop_forward() {
  [[ -n "$PROM_FORWARD_PID" ]] && kill "$PROM_FORWARD_PID" 2>/dev/null
  PROM_FORWARD_PID=""
  return 0
}

prom_get() { curl -fsS -m 10 "$PROM_URL$1"; }

# "<up> <total>" of the apps' scrape job's active targets
prom_targets() {
  prom_get /api/v1/targets?state=active | python3 -c '
import json, sys
t = [x for x in json.load(sys.stdin)["data"]["activeTargets"] if x["labels"].get("job") == "oleada"]
print(sum(1 for x in t if x["health"] == "up"), len(t))'
}

prometheus_checks() {
  k -n "$MON_NS" rollout status deploy/prometheus-server --timeout=180s >/dev/null || die "[$PHASE] Prometheus did not become ready"
  prometheus_forward
  local pods up total deadline
  # the app pods the scrape job must find: Running pods of the app Deployments (a container port named http)
  pods="$(k -n "$NS" get pods -l app.kubernetes.io/part-of=oleada --field-selector=status.phase=Running -o json |
    python3 -c 'import json,sys; print(sum(1 for p in json.load(sys.stdin)["items"] if not p["metadata"].get("deletionTimestamp") and any(port.get("name") == "http" for c in p["spec"]["containers"] for port in c.get("ports", []))))')"
  deadline=$(($(date +%s) + 90))
  while :; do
    read -r up total < <(prom_targets || echo "0 0")
    [[ "$up" == "$pods" && "$total" == "$pods" ]] && break
    (($(date +%s) > deadline)) && break
    sleep 3
  done
  prom_get /api/v1/targets?state=active | python3 -c '
import json, sys
for x in sorted(json.load(sys.stdin)["data"]["activeTargets"], key=lambda x: x["labels"].get("pod", "")):
    l = x["labels"]
    print("| %s | %s | %s | %s |" % (l.get("app", "?"), l.get("pod", "?"), x["scrapeUrl"], x["health"]))' >"$PHASE_OUT/prometheus-targets.md"
  record PROM_TARGETS_UP "$up"
  record PROM_APP_PODS "$pods"
  record PROM_VERSION "$(prom_get /api/v1/status/buildinfo | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["version"])')"
  check "[$PHASE] Prometheus scrapes every app pod through the apps' job ($up of $total targets up, $pods app pods)" test "$up" = "$pods" -a "$total" = "$pods"

  local rules want
  rules="$(prom_get /api/v1/rules?type=alert | python3 -c 'import json,sys; print(" ".join(r["name"] for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]))')"
  want="$(node -e "const {alertRuleGroups}=require('@oleada/dashboards');console.log(alertRuleGroups().flatMap(g=>g.rules.map(r=>r.alert)).join(' '))")"
  record PROM_RULES "$rules"
  check "[$PHASE] Prometheus loaded the alert rules of libs/dashboards ($(wc -w <<<"$rules") rules)" test "$rules" = "$want"

  # RBAC: the chart's values and the local server bind the same role, in the apps' namespace only
  local can
  : >"$PHASE_OUT/prometheus-rbac.md"
  for can in "list pods -n $NS:yes" "watch pods -n $NS:yes" "list pods -n $MON_NS:no" "get secrets -n $NS:no" "list pods -n kube-system:no" "list nodes:no" "list services -n $NS:no"; do
    local verb="${can%:*}" want_answer="${can##*:}" answer
    # shellcheck disable=SC2086 # the verb, resource and namespace flags are words
    answer="$(k auth can-i $verb --as="$PROM_ACCOUNT" 2>/dev/null || true)"
    printf '| %s | %s |\n' "$verb" "$answer" >>"$PHASE_OUT/prometheus-rbac.md"
    check "[$PHASE] Prometheus's account: can-i $verb → $want_answer ($answer)" test "$answer" = "$want_answer"
  done

  prometheus_egress_checks
  prometheus_drill_facts
}

# A pod with the server's labels (so the server's egress policy selects it, not its Service) probes:
# an app's metrics port is open; Valkey, Kafka, a writer's gRPC port and Traefik (whose own ingress is
# open to anyone: only the egress policy can stop it) are not. Addresses, not names: the policy allows no DNS.
prometheus_egress_checks() {
  local probe=prom-egress-probe target result gateway_ip valkey_ip kafka_ip writer_ip traefik_ip
  k -n "$MON_NS" delete pod "$probe" --ignore-not-found --wait=true >/dev/null
  k -n "$MON_NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $probe
  labels: { app.kubernetes.io/name: prometheus, app.kubernetes.io/component: server, app.kubernetes.io/part-of: oleada-test }
spec:
  automountServiceAccountToken: false
  imagePullSecrets: [{ name: zot-pull-secret }]
  securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: probe
      image: $REGISTRY_ADDR/oleada-base/node-runtime:24.19.0-bookworm
      command: [/nodejs/bin/node, -e, "setInterval(() => {}, 1 << 30)"]
      resources: { requests: { cpu: 10m, memory: 32Mi }, limits: { cpu: 100m, memory: 64Mi } }
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
YAML
  k -n "$MON_NS" wait "pod/$probe" --for=condition=Ready --timeout=120s >/dev/null
  ip_of() { k -n "$1" get pods -l "app.kubernetes.io/name=$2" -o jsonpath='{.items[0].status.podIP}'; }
  gateway_ip="$(ip_of "$NS" gateway)" valkey_ip="$(ip_of "$NS" valkey-primary)" kafka_ip="$(k -n "$NS" get pod oleada-kafka-0 -o jsonpath='{.status.podIP}')"
  writer_ip="$(ip_of "$NS" writer-1)" traefik_ip="$(ip_of oleada-edge traefik)"
  : >"$PHASE_OUT/prometheus-egress.md"
  for target in "$gateway_ip:8080:open:the gateway's metrics port" "$valkey_ip:6379:blocked:Valkey" "$kafka_ip:9092:blocked:Kafka" \
    "$writer_ip:50051:blocked:a writer's gRPC port" "$traefik_ip:80:blocked:Traefik's entry (open to anyone but Prometheus)"; do
    IFS=: read -r ip port want what <<<"$target"
    result="$(k -n "$MON_NS" exec "$probe" -- /nodejs/bin/node -e "$PROBE_JS" "$ip:$port" 2>&1 | tail -1)"
    printf '| %s | %s:%s | %s |\n' "$what" "$ip" "$port" "$result" >>"$PHASE_OUT/prometheus-egress.md"
    check "[$PHASE] Prometheus's egress: $what ($ip:$port) $want ($result)" test "${result%% *}" = "$want"
  done
  k -n "$MON_NS" delete pod "$probe" --wait=false >/dev/null
}

prometheus_dashboards() { # runs every dashboard query now; compares with Locust's history
  local out="$PHASE_OUT/dashboards" rc=0
  # 12 s back: Locust flushes its stats history every 10 s
  node libs/dashboards/dist/cli/check-queries.js --prometheus "$PROM_URL" --dashboards "$ROOT/dist" --at "$(($(date +%s) - 12))" \
    --locust-history "$PHASE_OUT/locust_stats_history.csv" --tolerance 0.1 --out "$out" >"$PHASE_OUT/dashboards.log" 2>&1 || rc=$?
  local summary
  summary="$(python3 - "$out/queries.json" <<'PY' 2>/dev/null || echo "0 0 ? ?"
import json, sys
r = json.load(open(sys.argv[1]))
ok = sum(1 for o in r["outcomes"] if o["ok"])
c = r.get("comparison") or {}
print(ok, len(r["outcomes"]), f'{c.get("prometheus", float("nan")):.2f}', f'{c.get("locust", float("nan")):.2f}')
PY
)"
  local ok total prom locust
  read -r ok total prom locust <<<"$summary"
  record PROM_QUERIES_OK "$ok"
  record PROM_QUERIES "$total"
  record PROM_ACCEPTED_RATE "$prom"
  record LOCUST_ACCEPTED_RATE "$locust"
  grep '^FAILED' "$PHASE_OUT/dashboards.log" >&2 || true
  check "[$PHASE] every Prometheus query of every dashboard returned data ($ok of $total)" test "$ok" = "$total" -a "$total" -gt 0
  check "[$PHASE] accepted events: Prometheus ${prom}/s, Locust ${locust}/s, within 10 % (exit $rc)" test "$rc" = 0
}

# state of one alert now: firing | pending | inactive
alert_state() {
  prom_get /api/v1/alerts | python3 -c '
import json, sys
states = [a["state"] for a in json.load(sys.stdin)["data"]["alerts"] if a["labels"].get("alertname") == sys.argv[1]]
print("firing" if "firing" in states else "pending" if "pending" in states else "inactive")' "$1" 2>/dev/null || echo unknown
}

# The drill's alert, its for (seconds), its expression and the consumer's counter, asked of
# libs/dashboards once, before the load (a node process each takes seconds on the loaded node).
DRILL_ALERT=""
prometheus_drill_facts() {
  [[ -n "$DRILL_ALERT" ]] && return 0
  DRILL_ALERT="$(node -e "console.log(require('@oleada/dashboards').ALERT_NAMES.nothingCounted)")"
  DRILL_FOR_SECONDS="$(node -e "const {alertRuleGroups,ALERT_NAMES,parseDuration}=require('@oleada/dashboards');console.log(parseDuration(alertRuleGroups().flatMap(g=>g.rules).find(r=>r.alert===ALERT_NAMES.nothingCounted).for)/1000)")"
  DRILL_EXPR="$(node -e "const {alertRuleGroups,ALERT_NAMES}=require('@oleada/dashboards');console.log(alertRuleGroups().flatMap(g=>g.rules).find(r=>r.alert===ALERT_NAMES.nothingCounted).expr)")"
  DRILL_METRIC="$(node -e "console.log(require('@oleada/shared').METRIC_NAMES.consumerEvents)")"
}

# number of series a PromQL query returns now (0 when it fails)
prom_count() {
  curl -fsS -m 10 --get --data-urlencode "query=$1" "$PROM_URL/api/v1/query" 2>/dev/null |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["result"]))' 2>/dev/null || echo 0
}

# Waits until the drill can start fairly: the consumer that replaced the one deleted mid-run is scraped
# and counting as Prometheus sees it (each running consumer pod up, with a counting rate), the
# alert's condition is clear and the alert inactive — polled, instead of a fixed point of the load;
# at the latest at the deadline (then the drill starts anyway and its timeline says what state the
# alert was in).
prometheus_wait_counted() { # deadline (epoch seconds)
  local deadline="$1" alert expr metric pods pod ok t0
  t0=$(date +%s)
  prometheus_drill_facts
  alert="$DRILL_ALERT" expr="$DRILL_EXPR" metric="$DRILL_METRIC"
  while :; do
    ok=1
    pods="$(k -n "$NS" get pods -l app.kubernetes.io/name=consumer -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.metadata.name} {.metadata.deletionTimestamp}{"\n"}{end}' | awk 'NF == 1 {print $1}')"
    [[ -n "$pods" ]] || ok=0
    for pod in $pods; do
      ((ok)) || break
      (($(prom_count "sum(rate($metric{job=\"oleada\",pod=\"$pod\"}[1m])) > 0 and on () up{job=\"oleada\",pod=\"$pod\"} == 1") == 1)) || ok=0
    done
    ((ok)) && (($(prom_count "$expr") == 0)) && [[ "$(alert_state "$alert")" == inactive ]] && break
    if (($(date +%s) >= deadline)); then
      log "[$PHASE] the drill starts at its latest point: the consumer's replacement not yet seen counting, or $alert not inactive ($(alert_state "$alert"))"
      return 0
    fi
    sleep 3
  done
  log "[$PHASE] the consumer's replacement counts as Prometheus sees it, $alert inactive ($(($(date +%s) - t0)) s after the deletions)"
}

prometheus_alert_drill() { # t0 of the load; seconds the drill may take before the load ends
  local t0="$1" alert for_s scaled firing="" pending="" back resolved="" state now deadline
  prometheus_drill_facts
  alert="$DRILL_ALERT" for_s="$DRILL_FOR_SECONDS"
  : >"$PHASE_OUT/alert-timeline.txt"
  stamp() { printf '%s  +%3d s  %s\n' "$(date -u +%H:%M:%S)" "$(($(date +%s) - t0))" "$*" >>"$PHASE_OUT/alert-timeline.txt"; }
  [[ "$(alert_state "$alert")" == inactive ]] || log "[$PHASE] $alert is $(alert_state "$alert") before the drill"
  record PROM_ALERT "$alert"
  record PROM_ALERT_FOR_SECONDS "$for_s"
  k -n "$NS" scale deploy/consumer --replicas=0 >/dev/null
  scaled=$(date +%s)
  stamp "consumer scaled to 0 (load continues; $alert has for: ${for_s}s)"
  deadline=$((scaled + for_s + 60))
  while :; do
    state="$(alert_state "$alert")"
    now=$(date +%s)
    if [[ "$state" == pending && -z "$pending" ]]; then pending=$now && stamp "$alert pending"; fi
    if [[ "$state" == firing ]]; then firing=$now && stamp "$alert firing" && break; fi
    ((now > deadline)) && stamp "$alert not firing $((now - scaled)) s after the scale-down (state $state)" && break
    sleep 3
  done
  prom_get /api/v1/alerts >"$PHASE_OUT/alerts-firing.json" || true
  k -n "$NS" scale deploy/consumer --replicas=1 >/dev/null
  back=$(date +%s)
  stamp "consumer scaled back to 1"
  deadline=$((back + 180))
  while :; do
    state="$(alert_state "$alert")"
    now=$(date +%s)
    if [[ "$state" == inactive ]]; then resolved=$now && stamp "$alert resolved" && break; fi
    ((now > deadline)) && stamp "$alert still $state $((now - back)) s after the scale-up" && break
    sleep 3
  done
  prom_get /api/v1/alerts >"$PHASE_OUT/alerts-after.json" || true
  record PROM_ALERT_FIRING_AFTER "${firing:+$((firing - scaled))}"
  record PROM_ALERT_PENDING_AFTER "${pending:+$((pending - scaled))}"
  record PROM_ALERT_RESOLVED_AFTER "${resolved:+$((resolved - back))}"
  local fired_text="not firing" resolved_text="not resolved"
  [[ -n "$firing" ]] && fired_text="after $((firing - scaled)) s"
  [[ -n "$resolved" ]] && resolved_text="$((resolved - back)) s after the scale-up"
  check "[$PHASE] consumer at 0 under load: $alert firing within its for + 1 min ($fired_text, limit $((for_s + 60)) s)" test -n "$firing"
  check "[$PHASE] consumer back: $alert resolved ($resolved_text)" test -n "$resolved"
}
