# shellcheck shell=bash
# The entry of one test-k8s.sh phase: Traefik (the local profile's Gateway API and Ingress
# controller) in front of the gateway, reached on its NodePort on 127.0.0.1. Waits until Traefik
# serves the phase's entry object (the charts' Gateway + HTTPRoute, or their Ingress), then checks
# what it lets through: a listed route reaches the gateway, an unlisted path (and, with the
# HTTPRoute's POST-only matches, an unlisted method) is refused by Traefik itself, and the gateway
# has no NodePort of its own. Files go to $PHASE_OUT, results are recorded as <PHASE>_ENTRY_*.

ENTRY_URL="http://127.0.0.1:30080"
EDGE_NS=oleada-edge

# "<status> <body's first 60 characters>" of a request to the entry
entry_request() { # method path [body]
  local out
  out="$(curl -s -m 5 -X "$1" -H 'content-type: application/json' ${3:+--data "$3"} -w '\n%{http_code}' "$ENTRY_URL$2" 2>/dev/null)" || true
  printf '%s %s\n' "$(tail -1 <<<"$out")" "$(head -n -1 <<<"$out" | tr -d '\n' | cut -c1-60)"
}

wait_entry() { # entry mode
  local route deadline answer
  route="$(node -e "const s=require('@oleada/scenarios');console.log(s.canonicalRoute(s.getScenario(process.argv[1])))" "$SCENARIO")"
  ENTRY_ROUTE="$route"
  k -n "$EDGE_NS" rollout status deploy/traefik --timeout=180s >/dev/null || die "[$PHASE] Traefik did not become ready"
  # The gateway answers an empty event with 422 (JSON naming the fields): the route is served once it does.
  deadline=$(($(date +%s) + 120))
  while :; do
    answer="$(entry_request POST "$route" '{}')"
    [[ "$answer" == "422 {"* ]] && break
    (($(date +%s) > deadline)) && die "[$PHASE] Traefik does not route $route to the gateway after 120 s (last answer: $answer)"
    sleep 2
  done
  # shellcheck disable=SC2154 # t_apply: set by test-k8s.sh run_phase
  log "[$PHASE] Traefik serves the $1 entry ($(($(date +%s) - t_apply)) s after apply)"
}

entry_checks() { # entry mode: gateway-api | ingress
  local mode="$1" answer status
  : >"$PHASE_OUT/entry.md"
  if [[ "$mode" == gateway-api ]]; then
    status="$(k -n "$EDGE_NS" get gateway oleada -o jsonpath='{.status.conditions[?(@.type=="Programmed")].status}')"
    check "[$PHASE] Traefik programmed the charts' Gateway (Programmed=$status)" test "$status" = True
    status="$(k -n oleada get httproute gateway -o jsonpath='{.status.parents[0].conditions[?(@.type=="Accepted")].status}')"
    check "[$PHASE] Traefik accepted the charts' HTTPRoute (Accepted=$status)" test "$status" = True
  else
    status="$(k -n oleada get ingress gateway -o jsonpath='{.spec.ingressClassName}')"
    check "[$PHASE] the charts' Ingress names Traefik's IngressClass ($status)" test "$status" = traefik
  fi
  answer="$(entry_request POST "$ENTRY_ROUTE" '{}')"
  printf '| POST %s (listed), empty event | %s |\n' "$ENTRY_ROUTE" "$answer" >>"$PHASE_OUT/entry.md"
  check "[$PHASE] POST $ENTRY_ROUTE through Traefik reaches the gateway (its 422 naming the fields: $answer)" test "${answer%% *}" = 422
  # Traefik's own refusal: 404 with its plain-text body, never the gateway's JSON
  answer="$(entry_request POST /api/v1/not-a-route '{}')"
  printf '| POST /api/v1/not-a-route (unlisted path) | %s |\n' "$answer" >>"$PHASE_OUT/entry.md"
  check "[$PHASE] an unlisted path is refused by Traefik ($answer)" test "$answer" = "404 404 page not found"
  answer="$(entry_request GET "$ENTRY_ROUTE")"
  printf '| GET %s (method not listed) | %s |\n' "$ENTRY_ROUTE" "$answer" >>"$PHASE_OUT/entry.md"
  if [[ "$mode" == gateway-api ]]; then
    check "[$PHASE] GET on a POST-only route is refused by Traefik ($answer)" test "$answer" = "404 404 page not found"
  else
    # an Ingress cannot match methods: the gateway refuses it (its JSON)
    check "[$PHASE] GET on a route is refused (an Ingress matches no method: the gateway answers, $answer)" test "${answer:0:1}" = 4
  fi
  record "${PHASE}_ENTRY_MODE" "$mode"
  check "[$PHASE] the gateway has no NodePort (Traefik's is the only way in)" \
    test -z "$(k -n oleada get svc -o jsonpath='{range .items[?(@.spec.type=="NodePort")]}{.metadata.name} {end}')"
}

# What the entry costs: Traefik's request-duration histogram against the gateway's own, and each
# one's CPU, read from their /metrics through the API server's pod proxy before and after the load.
# Prints "<traefik requests> <traefik seconds> <traefik cpu s> <gateway requests> <gateway seconds> <gateway cpu s>".
entry_cost_sample() {
  local pod traefik gateway
  traefik="$(for pod in $(k -n "$EDGE_NS" get pods -l app.kubernetes.io/name=traefik -o jsonpath='{.items[*].metadata.name}'); do
    k get --raw "/api/v1/namespaces/$EDGE_NS/pods/$pod:8080/proxy/metrics" 2>/dev/null
  done | awk '/^traefik_entrypoint_request_duration_seconds_count\{.*entrypoint="web"/ {n += $NF}
    /^traefik_entrypoint_request_duration_seconds_sum\{.*entrypoint="web"/ {s += $NF}
    /^process_cpu_seconds_total[ {]/ {c += $NF}
    END {printf "%d %.6f %.3f", n, s, c}')"
  gateway="$(for pod in $(k -n "$NS" get pods -l app.kubernetes.io/name=gateway -o jsonpath='{.items[*].metadata.name}'); do
    k get --raw "/api/v1/namespaces/$NS/pods/$pod:8080/proxy/metrics" 2>/dev/null
  done | awk '/^oleada_gateway_request_duration_seconds_count/ {n += $NF}
    /^oleada_gateway_request_duration_seconds_sum/ {s += $NF}
    /^process_cpu_seconds_total[ {]/ {c += $NF}
    END {printf "%d %.6f %.3f", n, s, c}')"
  printf '%s %s\n' "$traefik" "$gateway"
}

# The difference of two samples as a report table row and recorded results.
entry_cost_report() { # before after
  local row
  row="$(awk -v b="$1" -v a="$2" 'BEGIN {
    split(b, x, " "); split(a, y, " ")
    tn = y[1] - x[1]; ts = y[2] - x[2]; tc = y[3] - x[3]; gn = y[4] - x[4]; gs = y[5] - x[5]; gc = y[6] - x[6]
    if (tn <= 0 || gn <= 0) { print "none"; exit }
    printf "%d %.2f %d %.2f %.2f %.3f %.3f", tn, 1000 * ts / tn, gn, 1000 * gs / gn, 1000 * (ts / tn - gs / gn), 1000 * tc / tn, 1000 * gc / gn
  }')"
  printf '%s\n' "$row" >"$PHASE_OUT/entry-cost.txt"
  [[ "$row" == none ]] && return 0
  read -r tn tms gn gms added tcpu gcpu <<<"$row"
  record "${PHASE}_TRAEFIK_REQUESTS" "$tn"
  record "${PHASE}_TRAEFIK_MEAN_MS" "$tms"
  record "${PHASE}_GATEWAY_REQUESTS" "$gn"
  record "${PHASE}_GATEWAY_MEAN_MS" "$gms"
  record "${PHASE}_TRAEFIK_ADDED_MS" "$added"
  record "${PHASE}_TRAEFIK_CPU_MS_PER_REQUEST" "$tcpu"
  record "${PHASE}_GATEWAY_CPU_MS_PER_REQUEST" "$gcpu"
}

# Which client address the gateway rate-limits behind Traefik (X-Forwarded-For from a trusted proxy
# only): the gateway is given a tiny per-client limit (a rollout), then
#   - from outside (127.0.0.1 → Traefik's NodePort) 30 requests, each with a fresh spoofed
#     X-Forwarded-For: Traefik drops the header and names the address it saw, so they all count
#     against one client and most get 429 — were the spoofed header believed, none would;
#   - right after, from a pod (another client) through Traefik's Service: its own budget, so it gets
#     the gateway's 422 for its empty event — were the gateway limiting Traefik's address, a 429.
# Empty events (422 when admitted) add nothing to the counts. The limit is removed again afterwards.
xff_checks() {
  local statuses limited admitted other replicas
  k -n "$NS" set env deploy/gateway RATE_LIMIT_PER_SECOND=0.2 RATE_LIMIT_BURST=2 >/dev/null
  k -n "$NS" rollout status deploy/gateway --timeout=180s >/dev/null || die "[$PHASE] the gateway did not roll out with the rate limit"
  wait_terminated
  replicas="$(k -n "$NS" get deploy gateway -o jsonpath='{.status.readyReplicas}')"
  # the other client is ready before the burst, so that it asks right after it (a bucket refills in 5 s)
  outsider_pod
  statuses="$(for i in $(seq 1 30); do
    curl -s -o /dev/null -m 5 -w '%{http_code}\n' -X POST -H 'content-type: application/json' -H "X-Forwarded-For: 198.51.100.$i" \
      --data '{}' "$ENTRY_URL$ENTRY_ROUTE" || true
  done)"
  limited="$(grep -c '^429$' <<<"$statuses" || true)"
  admitted="$(grep -c '^422$' <<<"$statuses" || true)"
  # shellcheck disable=SC2016 # the JavaScript's template literal
  other="$(k -n "$NS" exec np-outsider -- /nodejs/bin/node -e '
const req = require("http").request({ host: "traefik.oleada-edge.svc.cluster.local", port: 80, path: process.argv[1], method: "POST",
  headers: { "content-type": "application/json" }, timeout: 5000 },
  (res) => { console.log(res.statusCode); res.resume(); });
req.on("error", (e) => console.log("error " + e.code)); req.end("{}");' "$ENTRY_ROUTE" 2>&1 | tail -1)"
  k -n "$NS" delete pod np-outsider --wait=false >/dev/null
  k -n "$NS" set env deploy/gateway RATE_LIMIT_PER_SECOND- RATE_LIMIT_BURST- >/dev/null
  {
    printf '| from | requests | answers |\n|---|---|---|\n'
    printf '| 127.0.0.1 through the NodePort, a fresh spoofed X-Forwarded-For each | 30 | %s × 429, %s × 422 |\n' "$limited" "$admitted"
    printf '| a pod through Traefik'"'"'s Service, right after (another client) | 1 | %s |\n' "$other"
  } >"$PHASE_OUT/xff.md"
  record XFF_GATEWAY_REPLICAS "$replicas"
  record XFF_LIMITED "$limited"
  record XFF_ADMITTED "$admitted"
  record XFF_OTHER_CLIENT "$other"
  check "[$PHASE] a spoofed X-Forwarded-For from outside is not believed: $limited of 30 requests limited as one client (gateway replicas: $replicas, burst 2 each)" \
    test "$limited" -ge 15 -a $((limited + admitted)) -eq 30
  check "[$PHASE] another client through Traefik has its own budget: the gateway limits the client's address, not Traefik's ($other)" test "$other" = 422
}
