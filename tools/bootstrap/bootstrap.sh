#!/usr/bin/env bash
# Oleada cluster bootstrap: installs what the synthesized manifests need, then you `kubectl apply -f dist/`.
#
#   npx nx run charts:synth                      # builds, then cdk8s synth: writes dist/ (and dist/bootstrap.env, dist/helm/*)
#   bash tools/bootstrap/bootstrap.sh              # or: npx nx run charts:bootstrap
#   kubectl apply -f dist/
#
# On the cluster of the current kubectl context it installs, each step idempotent (safe to re-run):
#   1. the namespaces of dist/ (so the Secrets below have a home)
#   2. Secrets: the Zot pull secret (infra/zot/k8s/create-pull-secret.sh), Valkey ACL passwords, Grafana's
#      admin and Valkey password, and with RabbitMQ its user's password and Erlang cookie
#      (passwords are generated once and kept; nothing is written to disk)
#   3. the Strimzi operator (Helm), watching the app namespace, with the "restricted" pod security provider
#      (only when Kafka runs: synth's OLEADA_BROKER is kafka or both)
#   4. KubeVirt and CDI (only when synth chose OLEADA_VALKEY=kubevirt), with software emulation if the profile asks
#   5. the entry controller: F5 NGINX Ingress Controller (ingress) or Gateway API CRDs + NGINX Gateway Fabric
#   6. Prometheus (Helm, prometheus-community/prometheus, pinned) with dist/helm/prometheus-values.yaml:
#      the server alone, scraping the apps' /metrics in the app namespace
#   7. Grafana (Helm) with dist/helm/grafana-values.yaml
#
# Needs kubectl, helm (3.8+) and openssl. Environment:
#   ZOT_USERNAME, ZOT_PASSWORD            the Zot account (required the first time; afterwards the existing
#                                         pull Secret is kept unless both are set)
#   GRAFANA_ADMIN_PASSWORD                Grafana admin password (default: generated on first run)
#   STRIMZI_VERSION (1.2.0)  KUBEVIRT_VERSION (v1.9.0)  CDI_VERSION (latest)  GATEWAY_API_VERSION (latest)
#   NGINX_INGRESS_CHART_VERSION, NGF_CHART_VERSION, GRAFANA_CHART_VERSION (default: newest chart)
#   PROMETHEUS_CHART_VERSION (default: the version dist/helm/prometheus-values.yaml is written for, from
#                            bootstrap.env; libs/k8s/src/prometheus.ts pins it)
#   GRAFANA_HELM_REPO (https://grafana.github.io/helm-charts)
#   PROMETHEUS_HELM_REPO (https://prometheus-community.github.io/helm-charts)  WAIT_TIMEOUT (15m)  DIST (dist)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="${DIST:-$ROOT/dist}"
STRIMZI_VERSION="${STRIMZI_VERSION:-1.2.0}"
KUBEVIRT_VERSION="${KUBEVIRT_VERSION:-v1.9.0}"
CDI_VERSION="${CDI_VERSION:-latest}"
GATEWAY_API_VERSION="${GATEWAY_API_VERSION:-latest}"
GRAFANA_HELM_REPO="${GRAFANA_HELM_REPO:-https://grafana.github.io/helm-charts}"
PROMETHEUS_HELM_REPO="${PROMETHEUS_HELM_REPO:-https://prometheus-community.github.io/helm-charts}"
WAIT_TIMEOUT="${WAIT_TIMEOUT:-15m}"

log() { printf '[bootstrap] %s\n' "$*"; }
die() {
  printf '[bootstrap] ERROR: %s\n' "$*" >&2
  exit 1
}
# Prints a command, then runs it.
run() {
  printf '[bootstrap] $ %s\n' "$*"
  "$@"
}

[ -f "$DIST/bootstrap.env" ] || die "$DIST/bootstrap.env not found: run \`npx nx run charts:synth\` (the build, then cdk8s synth) first"
for tool in kubectl helm openssl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
# shellcheck source=/dev/null
. "$DIST/bootstrap.env"
: "${OLEADA_PROFILE:?}" "${OLEADA_NAMESPACE:?}" "${OLEADA_MONITORING_NAMESPACE:?}" "${OLEADA_ENTRY:?}" "${OLEADA_VALKEY:?}"
: "${OLEADA_REGISTRY:?}" "${OLEADA_REGISTRY_SECRET:?}" "${OLEADA_VALKEY_SECRET:?}" "${OLEADA_VALKEY_KEYS:?}"
: "${OLEADA_VALKEY_GRAFANA_KEY:?}" "${OLEADA_GRAFANA_ADMIN_SECRET:?}" "${OLEADA_GRAFANA_VALKEY_SECRET:?}" "${OLEADA_CONTROLLER_NAMESPACE:?}"
: "${OLEADA_PROMETHEUS_CHART_VERSION:?}"
PROMETHEUS_CHART_VERSION="${PROMETHEUS_CHART_VERSION:-$OLEADA_PROMETHEUS_CHART_VERSION}"
# Synth names the broker only when RabbitMQ runs; without the line it is Kafka alone.
OLEADA_BROKER="${OLEADA_BROKER:-kafka}"
case "$OLEADA_BROKER" in
  kafka) uses_kafka=true uses_rabbitmq=false ;;
  rabbitmq) uses_kafka=false uses_rabbitmq=true ;;
  both) uses_kafka=true uses_rabbitmq=true ;;
  *) die "OLEADA_BROKER=$OLEADA_BROKER in $DIST/bootstrap.env: expected kafka, rabbitmq or both" ;;
esac
if [ "$uses_rabbitmq" = true ]; then
  : "${OLEADA_RABBITMQ_SECRET:?}" "${OLEADA_RABBITMQ_USERNAME:?}" "${OLEADA_RABBITMQ_USERNAME_KEY:?}"
  : "${OLEADA_RABBITMQ_PASSWORD_KEY:?}" "${OLEADA_RABBITMQ_COOKIE_KEY:?}"
fi

context="$(kubectl config current-context 2>/dev/null)" || die "no current kubectl context"
log "cluster: $context (profile $OLEADA_PROFILE, broker $OLEADA_BROKER, valkey $OLEADA_VALKEY, entry $OLEADA_ENTRY)"
kubectl version >/dev/null || die "cannot reach the cluster of context $context"

# GitHub release asset URL of a version, or of the newest release for "latest".
release_url() {
  local repo="$1" version="$2" asset="$3"
  if [ "$version" = latest ]; then
    printf 'https://github.com/%s/releases/latest/download/%s' "$repo" "$asset"
  else
    printf 'https://github.com/%s/releases/download/%s/%s' "$repo" "$version" "$asset"
  fi
}

secret_exists() { kubectl get secret "$2" -n "$1" >/dev/null 2>&1; }

# Applies a Secret built by `kubectl create secret ... --dry-run=client` (create or update in place).
apply_secret() {
  local namespace="$1"
  shift
  kubectl create secret "$@" -n "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
}

# --- 1. namespaces ------------------------------------------------------------------------------
log "namespaces"
run kubectl apply -f "$DIST/0000-namespaces.k8s.yaml"

# --- 2. Secrets ---------------------------------------------------------------------------------
if [ -n "${ZOT_USERNAME:-}" ] && [ -n "${ZOT_PASSWORD:-}" ]; then
  log "secret $OLEADA_NAMESPACE/$OLEADA_REGISTRY_SECRET: pull credentials for $OLEADA_REGISTRY (infra/zot/k8s/create-pull-secret.sh)"
  REGISTRY="$OLEADA_REGISTRY" NAMESPACE="$OLEADA_NAMESPACE" bash "$ROOT/infra/zot/k8s/create-pull-secret.sh" >/dev/null
  secret_exists "$OLEADA_NAMESPACE" "$OLEADA_REGISTRY_SECRET" || die "create-pull-secret.sh did not create $OLEADA_REGISTRY_SECRET"
elif secret_exists "$OLEADA_NAMESPACE" "$OLEADA_REGISTRY_SECRET"; then
  log "secret $OLEADA_NAMESPACE/$OLEADA_REGISTRY_SECRET exists: kept"
else
  die "set ZOT_USERNAME and ZOT_PASSWORD (the Zot account) to create the pull secret $OLEADA_REGISTRY_SECRET"
fi

if secret_exists "$OLEADA_NAMESPACE" "$OLEADA_VALKEY_SECRET"; then
  log "secret $OLEADA_NAMESPACE/$OLEADA_VALKEY_SECRET exists: kept (delete it to rotate the Valkey passwords)"
else
  log "secret $OLEADA_NAMESPACE/$OLEADA_VALKEY_SECRET: generating passwords for $OLEADA_VALKEY_KEYS"
  literals=()
  for key in $OLEADA_VALKEY_KEYS; do
    literals+=("--from-literal=$key=$(openssl rand -hex 24)")
  done
  apply_secret "$OLEADA_NAMESPACE" generic "$OLEADA_VALKEY_SECRET" "${literals[@]}"
fi

log "secret $OLEADA_MONITORING_NAMESPACE/$OLEADA_GRAFANA_VALKEY_SECRET: Grafana's Valkey password (copied from $OLEADA_VALKEY_SECRET)"
grafana_valkey_password="$(kubectl get secret "$OLEADA_VALKEY_SECRET" -n "$OLEADA_NAMESPACE" \
  -o "jsonpath={.data.$OLEADA_VALKEY_GRAFANA_KEY}" | openssl base64 -d -A)"
[ -n "$grafana_valkey_password" ] || die "$OLEADA_VALKEY_SECRET has no key $OLEADA_VALKEY_GRAFANA_KEY"
apply_secret "$OLEADA_MONITORING_NAMESPACE" generic "$OLEADA_GRAFANA_VALKEY_SECRET" --from-literal="password=$grafana_valkey_password"
unset grafana_valkey_password

if secret_exists "$OLEADA_MONITORING_NAMESPACE" "$OLEADA_GRAFANA_ADMIN_SECRET" && [ -z "${GRAFANA_ADMIN_PASSWORD:-}" ]; then
  log "secret $OLEADA_MONITORING_NAMESPACE/$OLEADA_GRAFANA_ADMIN_SECRET exists: kept"
else
  log "secret $OLEADA_MONITORING_NAMESPACE/$OLEADA_GRAFANA_ADMIN_SECRET: admin user 'admin'"
  apply_secret "$OLEADA_MONITORING_NAMESPACE" generic "$OLEADA_GRAFANA_ADMIN_SECRET" \
    --from-literal=admin-user=admin --from-literal="admin-password=${GRAFANA_ADMIN_PASSWORD:-$(openssl rand -hex 16)}"
fi

if [ "$uses_rabbitmq" = true ]; then
  if secret_exists "$OLEADA_NAMESPACE" "$OLEADA_RABBITMQ_SECRET"; then
    # RabbitMQ creates its default user from the Secret on its first start only: a new password also
    # needs `rabbitmqctl change_password` in the pod (or a fresh data volume).
    log "secret $OLEADA_NAMESPACE/$OLEADA_RABBITMQ_SECRET exists: kept"
  else
    log "secret $OLEADA_NAMESPACE/$OLEADA_RABBITMQ_SECRET: user '$OLEADA_RABBITMQ_USERNAME', generated password and Erlang cookie"
    apply_secret "$OLEADA_NAMESPACE" generic "$OLEADA_RABBITMQ_SECRET" \
      --from-literal="$OLEADA_RABBITMQ_USERNAME_KEY=$OLEADA_RABBITMQ_USERNAME" \
      --from-literal="$OLEADA_RABBITMQ_PASSWORD_KEY=$(openssl rand -hex 24)" \
      --from-literal="$OLEADA_RABBITMQ_COOKIE_KEY=$(openssl rand -hex 32)"
  fi
fi

# --- 3. Strimzi ---------------------------------------------------------------------------------
if [ "$uses_kafka" = true ]; then
  log "Strimzi $STRIMZI_VERSION (namespace strimzi, watching $OLEADA_NAMESPACE)"
  run helm upgrade --install strimzi-cluster-operator oci://quay.io/strimzi-helm/strimzi-kafka-operator \
    --version "$STRIMZI_VERSION" --namespace strimzi --create-namespace \
    --set "watchNamespaces={$OLEADA_NAMESPACE}" \
    --set "extraEnvs[0].name=STRIMZI_POD_SECURITY_PROVIDER_CLASS" --set "extraEnvs[0].value=restricted" \
    --wait --timeout "$WAIT_TIMEOUT"
else
  log "Strimzi: not needed (RabbitMQ carries the events)"
fi

# --- 4. KubeVirt and CDI ------------------------------------------------------------------------
if [ "$OLEADA_VALKEY" = kubevirt ]; then
  log "KubeVirt $KUBEVIRT_VERSION (emulation: $OLEADA_KUBEVIRT_EMULATION)"
  run kubectl apply -f "$(release_url kubevirt/kubevirt "$KUBEVIRT_VERSION" kubevirt-operator.yaml)"
  run kubectl apply -f "$(release_url kubevirt/kubevirt "$KUBEVIRT_VERSION" kubevirt-cr.yaml)"
  if [ "$OLEADA_KUBEVIRT_EMULATION" = true ]; then
    run kubectl -n kubevirt patch kubevirt kubevirt --type merge \
      -p '{"spec":{"configuration":{"developerConfiguration":{"useEmulation":true}}}}'
  fi
  run kubectl -n kubevirt wait kubevirt kubevirt --for condition=Available --timeout "$WAIT_TIMEOUT"
  log "CDI $CDI_VERSION"
  run kubectl apply -f "$(release_url kubevirt/containerized-data-importer "$CDI_VERSION" cdi-operator.yaml)"
  run kubectl apply -f "$(release_url kubevirt/containerized-data-importer "$CDI_VERSION" cdi-cr.yaml)"
  run kubectl wait cdi cdi --for condition=Available --timeout "$WAIT_TIMEOUT"
else
  log "KubeVirt and CDI: not needed (Valkey runs as StatefulSets)"
fi

# --- 5. entry controller ------------------------------------------------------------------------
# `--version X` when a chart version is pinned; nothing (the newest chart) otherwise.
version_args() {
  versions=()
  if [ -n "${1:-}" ]; then versions=(--version "$1"); fi
}
if [ "$OLEADA_ENTRY" = ingress ]; then
  log "F5 NGINX Ingress Controller (namespace $OLEADA_CONTROLLER_NAMESPACE, class $OLEADA_INGRESS_CLASS)"
  version_args "${NGINX_INGRESS_CHART_VERSION:-}"
  run helm upgrade --install nginx-ingress oci://ghcr.io/nginx/charts/nginx-ingress \
    ${versions[@]+"${versions[@]}"} --namespace "$OLEADA_CONTROLLER_NAMESPACE" --create-namespace \
    --values "$DIST/helm/nginx-ingress-values.yaml" --wait --timeout "$WAIT_TIMEOUT"
else
  log "Gateway API CRDs $GATEWAY_API_VERSION and NGINX Gateway Fabric (namespace nginx-gateway)"
  run kubectl apply --server-side -f "$(release_url kubernetes-sigs/gateway-api "$GATEWAY_API_VERSION" standard-install.yaml)"
  version_args "${NGF_CHART_VERSION:-}"
  run helm upgrade --install ngf oci://ghcr.io/nginx/charts/nginx-gateway-fabric \
    ${versions[@]+"${versions[@]}"} --namespace nginx-gateway --create-namespace \
    --values "$DIST/helm/nginx-gateway-fabric-values.yaml" --wait --timeout "$WAIT_TIMEOUT"
fi

# --- 6. Prometheus ------------------------------------------------------------------------------
log "Prometheus chart $PROMETHEUS_CHART_VERSION (namespace $OLEADA_MONITORING_NAMESPACE, chart from $PROMETHEUS_HELM_REPO)"
run helm repo add prometheus-community "$PROMETHEUS_HELM_REPO" --force-update
run helm repo update prometheus-community
run helm upgrade --install prometheus prometheus-community/prometheus --version "$PROMETHEUS_CHART_VERSION" \
  --namespace "$OLEADA_MONITORING_NAMESPACE" --values "$DIST/helm/prometheus-values.yaml" --wait --timeout "$WAIT_TIMEOUT"

# --- 7. Grafana ---------------------------------------------------------------------------------
log "Grafana (namespace $OLEADA_MONITORING_NAMESPACE, chart from $GRAFANA_HELM_REPO)"
run helm repo add grafana "$GRAFANA_HELM_REPO" --force-update
run helm repo update grafana
version_args "${GRAFANA_CHART_VERSION:-}"
run helm upgrade --install grafana grafana/grafana ${versions[@]+"${versions[@]}"} \
  --namespace "$OLEADA_MONITORING_NAMESPACE" --values "$DIST/helm/grafana-values.yaml" --wait --timeout "$WAIT_TIMEOUT"

log "done. Next: kubectl apply -f $DIST/"
log "Grafana admin password: kubectl -n $OLEADA_MONITORING_NAMESPACE get secret $OLEADA_GRAFANA_ADMIN_SECRET -o jsonpath='{.data.admin-password}' | base64 -d"
