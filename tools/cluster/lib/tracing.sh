# shellcheck shell=bash
# test:k8s's tracing step (#26), on unless OLEADA_K8S_TRACING=0 (it passed on the cluster on 2026-12-05).
#
# Sourced by test-k8s.sh before the phases. Unless OLEADA_K8S_TRACING=0 it exports OLEADA_TRACING=jaeger
# (and OLEADA_TRACES_SAMPLER_ARG, 0.1 unless set), so every phase's synth deploys the trace store (Jaeger
# all-in-one in oleada-monitoring, image oleada-local/jaeger from images.sh) and points every app's
# OTLP endpoint at it. tracing_check, run in the Kafka phase's deployment, then sends one event through
# the entry (Traefik on 127.0.0.1:30080) with a sampled W3C traceparent (sampled whatever the ratio:
# the samplers are parent-based), finds its trace through the store's query API (kubectl port-forward
# on loopback, OLEADA_K8S_TRACING_PORT, default 16686) with tools/local/dist/cli/trace-event.js, and
# checks that it has every hop's span (gateway, relay, writer, consumer) and that each span's
# service.instance.id is a running pod of that app's Deployment. Files in $OUT/kafka/tracing, results
# recorded as TRACING_*; write-report.sh puts the trace in the report.

K8S_TRACING="${OLEADA_K8S_TRACING:-1}"
case "$K8S_TRACING" in
0) ;;
1)
  export OLEADA_TRACING=jaeger
  export OLEADA_TRACES_SAMPLER_ARG="${OLEADA_TRACES_SAMPLER_ARG:-0.1}"
  ;;
*) die "OLEADA_K8S_TRACING=$K8S_TRACING: use 1 (the tracing step) or 0" ;;
esac
TRACING_PORT="${OLEADA_K8S_TRACING_PORT:-16686}"
TRACING_NS=oleada-monitoring

# Every "hop <service> <instance,...>" line of trace-event.js's output names running pods of that
# app's Deployments (a ReplicaSet's pods whose app.kubernetes.io/name is the service's app: gateway,
# relay, writer-N, consumer-…); the mismatches are printed.
tracing_instances_are_pods() { # trace-event output file
  local pods service instances instance app bad=0
  grep -q '^hop ' "$1" || return 1
  pods="$(k -n "$NS" get pods --field-selector=status.phase=Running \
    -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.labels.app\.kubernetes\.io/name}{" "}{.metadata.ownerReferences[0].kind}{"\n"}{end}')"
  while read -r _ service instances; do
    app="${service#oleada-}"
    for instance in ${instances//,/ }; do
      if ! awk -v pod="$instance" -v app="$app" '$1 == pod && ($2 == app || index($2, app "-") == 1) && $3 == "ReplicaSet" {found = 1} END {exit !found}' <<<"$pods"; then
        log "[tracing] $service span from $instance: not a running pod of the $app Deployment(s)"
        bad=1
      fi
    done
  done < <(grep '^hop ' "$1")
  return "$bad"
}

tracing_check() {
  if [[ "$K8S_TRACING" != 1 ]]; then
    log "tracing check not run (OLEADA_K8S_TRACING=0)"
    return 0
  fi
  local dir="$PHASE_OUT/tracing" pf rc=0 deadline
  mkdir -p "$dir"
  log "[$PHASE] tracing: one event's trace through the store's query API"
  k -n "$TRACING_NS" rollout status deploy/jaeger --timeout=180s >/dev/null || {
    check "[$PHASE] the trace store (Jaeger) is ready" false
    return 0
  }
  # kubectl itself in the background (not the k function's subshell), so $! is the process to stop
  "$BIN_DIR/kubectl" -n "$TRACING_NS" port-forward --address 127.0.0.1 svc/jaeger "$TRACING_PORT:16686" >"$dir/port-forward.log" 2>&1 &
  pf=$!
  deadline=$(($(date +%s) + 60))
  until curl -sf -m 2 -o /dev/null "http://127.0.0.1:$TRACING_PORT/api/services"; do
    if (($(date +%s) > deadline)) || ! kill -0 "$pf" 2>/dev/null; then
      rc=1
      break
    fi
    sleep 1
  done
  if ((rc == 0)); then
    node tools/local/dist/cli/trace-event.js --entry-url "$ENTRY_URL" --query-url "http://127.0.0.1:$TRACING_PORT" --scenario "$SCENARIO" >"$dir/trace.txt" 2>&1 || rc=$?
  else
    printf 'the query API did not answer on 127.0.0.1:%s (see port-forward.log)\n' "$TRACING_PORT" >"$dir/trace.txt"
  fi
  kill "$pf" 2>/dev/null || true
  wait "$pf" 2>/dev/null || true
  k -n "$NS" get pods -o wide >"$dir/pods.txt"
  record TRACING_EVENT_ID "$(awk '$1 == "event" {print $2; exit}' "$dir/trace.txt")"
  record TRACING_TRACE_ID "$(awk '$1 == "event" {print $4; exit}' "$dir/trace.txt")"
  record TRACING_HOPS "$(awk '$1 == "hop" {printf "%s%s=%s", sep, $2, $3; sep = " "}' "$dir/trace.txt")"
  record TRACING_SAMPLER_ARG "$OLEADA_TRACES_SAMPLER_ARG"
  check "[$PHASE] one event sent through Traefik has one trace in the store with every hop's span (gateway, relay, writer, consumer; $dir/trace.txt)" test "$rc" -eq 0
  check "[$PHASE] every span of that trace comes from a running pod of its app's Deployment (service.instance.id)" \
    tracing_instances_are_pods "$dir/trace.txt"
}
