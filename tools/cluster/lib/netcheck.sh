# shellcheck shell=bash
# NetworkPolicy checks for test-k8s.sh: a pod whose labels no policy names cannot open Valkey,
# Kafka, the writers or the relay; the real clients (consumer → Valkey and Kafka, writer → Kafka,
# relay → writers) can. A TCP connect with a 3 s limit decides.

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

netpolicy_checks() {
  outsider_pod
  local target result writer_ip
  writer_ip="$(k -n "$NS" get pods -l app.kubernetes.io/name=writer-1 -o jsonpath='{.items[0].status.podIP}')"
  : >"$OUT/netpol.md"
  for target in valkey:6379 valkey-replica:6379 oleada-kafka-bootstrap:9092 "$writer_ip:50051" relay:8080 gateway:8080; do
    result="$(probe_from np-outsider /nodejs/bin/node "$target")"
    printf '| np-outsider (labels outside every policy) | %s | %s |\n' "$target" "$result" >>"$OUT/netpol.md"
    check "outsider cannot reach $target ($result)" test "${result%% *}" = blocked
  done
  local consumer writer relay
  consumer="$(first_pod consumer)" writer="$(first_pod writer-1)" relay="$(first_pod relay)"
  for pair in "$consumer valkey:6379" "$consumer oleada-kafka-bootstrap:9092" "$writer oleada-kafka-bootstrap:9092" "$relay $writer_ip:50051"; do
    read -r pod target <<<"$pair"
    result="$(probe_from "$pod" /nodejs/bin/node "$target")"
    printf '| %s (real client) | %s | %s |\n' "$pod" "$target" "$result" >>"$OUT/netpol.md"
    check "$pod reaches $target" test "$result" = open
  done
  k -n "$NS" delete pod np-outsider --wait=false >/dev/null
}
