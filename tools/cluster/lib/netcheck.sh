# shellcheck shell=bash
# NetworkPolicy checks for one test-k8s.sh phase: a pod whose labels no policy names cannot open
# Valkey, the phase's broker (Kafka, its nodes' internal listeners too, or RabbitMQ), the writers or the relay; the real clients
# (consumer → Valkey and the broker, writer → the broker, relay → writers) can. A TCP connect with
# a 3 s limit decides.

# node one-liner: "open" or "blocked <reason>" for host:port
PROBE_JS='const [h,p]=process.argv[1].split(":");const s=require("net").connect({host:h,port:+p});const t=setTimeout(()=>{console.log("blocked timeout");process.exit(0)},3000);s.on("connect",()=>{clearTimeout(t);console.log("open");s.destroy();process.exit(0)});s.on("error",e=>{clearTimeout(t);console.log("blocked "+e.code);process.exit(0)})'

probe_from() { # pod node-binary host:port -> prints open|blocked...
  k -n "$NS" exec "$1" -- "$2" -e "$PROBE_JS" "$3" 2>&1 | tail -1
}

outsider_pod() {
  k -n "$NS" delete pod np-outsider --ignore-not-found --wait=true >/dev/null
  k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: np-outsider
  labels: { app.kubernetes.io/name: np-outsider, app.kubernetes.io/part-of: oleada-test }
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
  k -n "$NS" wait pod/np-outsider --for=condition=Ready --timeout=120s >/dev/null
}

first_pod() { k -n "$NS" get pods -l "app.kubernetes.io/name=$1" -o jsonpath='{.items[0].metadata.name}'; }

netpolicy_checks() { # broker: kafka | rabbitmq
  local broker_target
  case "$1" in
  kafka) broker_target=oleada-kafka-bootstrap:9092 ;;
  rabbitmq) broker_target=rabbitmq:5672 ;;
  *) die "netpolicy_checks: unknown broker $1" ;;
  esac
  outsider_pod
  local target result writer_ip
  writer_ip="$(k -n "$NS" get pods -l app.kubernetes.io/name=writer-1 -o jsonpath='{.items[0].status.podIP}')"
  : >"$PHASE_OUT/netpol.md"
  local internal=()
  if [[ "$1" == kafka ]]; then
    # the Kafka nodes' replication and controller listeners: only the nodes themselves
    local kafka_ip
    kafka_ip="$(k -n "$NS" get pod oleada-kafka-0 -o jsonpath='{.status.podIP}')"
    internal=("$kafka_ip:9091" "$kafka_ip:9093")
  fi
  for target in valkey:6379 valkey-replica:6379 "$broker_target" "${internal[@]}" "$writer_ip:50051" relay:8080 gateway:8080; do
    result="$(probe_from np-outsider /nodejs/bin/node "$target")"
    printf '| np-outsider (labels outside every policy) | %s | %s |\n' "$target" "$result" >>"$PHASE_OUT/netpol.md"
    check "[$PHASE] outsider cannot reach $target ($result)" test "${result%% *}" = blocked
  done
  local consumer writer1 writer2 relay
  consumer="$(first_pod consumer)" writer1="$(first_pod writer-1)" writer2="$(first_pod writer-2)" relay="$(first_pod relay)"
  for pair in "$consumer valkey:6379" "$consumer $broker_target" "$writer1 $broker_target" "$writer2 $broker_target" "$relay $writer_ip:50051"; do
    read -r pod target <<<"$pair"
    result="$(probe_from "$pod" /nodejs/bin/node "$target")"
    printf '| %s (real client) | %s | %s |\n' "$pod" "$target" "$result" >>"$PHASE_OUT/netpol.md"
    check "[$PHASE] $pod reaches $target" test "$result" = open
  done
  k -n "$NS" delete pod np-outsider --wait=false >/dev/null
}
