#!/usr/bin/env bash
# Oleada cluster bootstrap: installs what the synthesized manifests need, then you `kubectl apply -f dist/`.
#
#   npx nx run charts:synth                      # builds, then cdk8s synth: writes dist/ (and dist/bootstrap.env, dist/helm/*)
#   bash tools/bootstrap/bootstrap.sh              # or: npx nx run charts:bootstrap
#   kubectl apply -f dist/
#   bash tools/bootstrap/bootstrap.sh --print-versions   # what it installs, pinned, and until when it is supported
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
#   6. Prometheus (Helm, prometheus-community/prometheus) with dist/helm/prometheus-values.yaml:
#      the server alone, scraping the apps' /metrics in the app namespace
#   7. Grafana (Helm, grafana-community/grafana) with dist/helm/grafana-values.yaml
#
# Every version is pinned in libs/k8s/src/versions.json (the one list, with support dates and sources; the
# manifests, this script and docs/versions.md read it). Needs kubectl, helm (3.8+), openssl and node. Environment:
#   ZOT_USERNAME, ZOT_PASSWORD            the Zot account (required the first time; afterwards the existing
#                                         pull Secret is kept unless both are set)
#   GRAFANA_ADMIN_PASSWORD                Grafana admin password (default: generated on first run)
#   STRIMZI_VERSION  KUBEVIRT_VERSION  CDI_VERSION  GATEWAY_API_VERSION  NGINX_INGRESS_CHART_VERSION
#   NGF_CHART_VERSION  GRAFANA_CHART_VERSION  override a pin (an exact version; `latest` or empty is refused)
#   PROMETHEUS_CHART_VERSION (default: the version dist/helm/prometheus-values.yaml is written for, from bootstrap.env)
#   GRAFANA_HELM_REPO (https://grafana-community.github.io/helm-charts)
#   PROMETHEUS_HELM_REPO (https://prometheus-community.github.io/helm-charts)  WAIT_TIMEOUT (15m)  DIST (dist)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="${DIST:-$ROOT/dist}"
VERSIONS="$ROOT/libs/k8s/src/versions.json"

log() { printf '[bootstrap] %s\n' "$*"; }
die() {
  printf '[bootstrap] ERROR: %s\n' "$*" >&2
  exit 1
}

command -v node >/dev/null 2>&1 || die "node is not installed (it reads the pins in $VERSIONS)"
# Prints a field of every component of versions.json, one line each: `fields id version …`.
pins() {
  node -e '
    const [file, ...fields] = process.argv.slice(1);
    for (const c of require(file).components) console.log(fields.map((f) => c[f] ?? "-").join("\t"));
  ' "$VERSIONS" "$@"
}
# The pinned version of a component: `pin strimzi`.
pin() {
  local id version
  while IFS=$'\t' read -r id version; do
    if [ "$id" = "$1" ]; then
      printf '%s' "$version"
      return
    fi
  done < <(pins id version)
  die "no pin for $1 in $VERSIONS"
}

if [ "${1:-}" = "--print-versions" ]; then
  while IFS=$'\t' read -r id version name until source; do
    printf '%-21s %-9s %s\n  supported until: %s\n  source: %s\n' "$id" "$version" "$name" "$until" "$source"
  done < <(pins id version name supportedUntil source)
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument $1 (the only one is --print-versions)"

# An exact version: the override in the environment, else the pin; never `latest`.
pinned_version() {
  local name="$1" id="$2" value
  value="${!name:-$(pin "$id")}"
  case "$value" in
    "" | latest | */*) die "$name=\"$value\": name an exact version (the pin is in $VERSIONS)" ;;
  esac
  printf '%s' "$value"
}
STRIMZI_VERSION="$(pinned_version STRIMZI_VERSION strimzi)"
KUBEVIRT_VERSION="$(pinned_version KUBEVIRT_VERSION kubevirt)"
CDI_VERSION="$(pinned_version CDI_VERSION cdi)"
GATEWAY_API_VERSION="$(pinned_version GATEWAY_API_VERSION gateway-api)"
NGINX_INGRESS_CHART_VERSION="$(pinned_version NGINX_INGRESS_CHART_VERSION nginx-ingress)"
NGF_CHART_VERSION="$(pinned_version NGF_CHART_VERSION nginx-gateway-fabric)"
GRAFANA_CHART_VERSION="$(pinned_version GRAFANA_CHART_VERSION grafana)"
GRAFANA_HELM_REPO="${GRAFANA_HELM_REPO:-https://grafana-community.github.io/helm-charts}"
PROMETHEUS_HELM_REPO="${PROMETHEUS_HELM_REPO:-https://prometheus-community.github.io/helm-charts}"
WAIT_TIMEOUT="${WAIT_TIMEOUT:-15m}"
# Prints a command, then runs it.
run() {
  printf '[bootstrap] $ %s\n' "$*"
  "$@"
}

[ -f "$DIST/bootstrap.env" ] || die "$DIST/bootstrap.env not found: run \`npx nx run charts:synth\` (the build, then cdk8s synth) first"
# shellcheck source=/dev/null
. "$DIST/bootstrap.env"
# The local profile (tools/cluster) installs nothing with Helm.
tools=(kubectl openssl)
[ "${OLEADA_PROFILE:-}" = local ] || tools+=(helm)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
: "${OLEADA_PROFILE:?}" "${OLEADA_NAMESPACE:?}" "${OLEADA_MONITORING_NAMESPACE:?}" "${OLEADA_ENTRY:?}" "${OLEADA_VALKEY:?}"
: "${OLEADA_REGISTRY:?}" "${OLEADA_REGISTRY_SECRET:?}" "${OLEADA_VALKEY_SECRET:?}" "${OLEADA_VALKEY_KEYS:?}"
: "${OLEADA_VALKEY_GRAFANA_KEY:?}" "${OLEADA_GRAFANA_ADMIN_SECRET:?}" "${OLEADA_GRAFANA_VALKEY_SECRET:?}" "${OLEADA_CONTROLLER_NAMESPACE:?}"
: "${OLEADA_PROMETHEUS_CHART_VERSION:?}"
PROMETHEUS_CHART_VERSION="${PROMETHEUS_CHART_VERSION:-$OLEADA_PROMETHEUS_CHART_VERSION}"
PROMETHEUS_CHART_VERSION="$(pinned_version PROMETHEUS_CHART_VERSION prometheus)"
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

# GitHub release asset URL of an exact version.
release_url() {
  printf 'https://github.com/%s/releases/download/%s/%s' "$1" "$2" "$3"
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

# --- local profile: no operators ---------------------------------------------------------------
# The single-node cluster of tools/cluster runs Kafka as a StatefulSet: the SCRAM users' Secrets
# are made here, as Strimzi's User Operator would make them (key `password`), and the nodes' admin's. No Strimzi, KubeVirt,
# entry controller, Prometheus or Grafana: their objects are checked with server-side dry runs.
if [ "$OLEADA_PROFILE" = local ]; then
  if [ "$uses_kafka" = true ]; then
    : "${OLEADA_KAFKA_USERS:?}"
    for user in $OLEADA_KAFKA_USERS; do
      if secret_exists "$OLEADA_NAMESPACE" "$user"; then
        log "secret $OLEADA_NAMESPACE/$user exists: kept"
      else
        log "secret $OLEADA_NAMESPACE/$user: Kafka user's password (generated)"
        apply_secret "$OLEADA_NAMESPACE" generic "$user" --from-literal="password=$(openssl rand -hex 24)"
      fi
    done
  fi
  log "profile local: no operators or Helm releases to install"
  log "done. Next: kubectl apply -f $DIST/"
  exit 0
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
if [ "$OLEADA_ENTRY" = ingress ]; then
  log "F5 NGINX Ingress Controller chart $NGINX_INGRESS_CHART_VERSION (namespace $OLEADA_CONTROLLER_NAMESPACE, class $OLEADA_INGRESS_CLASS)"
  run helm upgrade --install nginx-ingress oci://ghcr.io/nginx/charts/nginx-ingress \
    --version "$NGINX_INGRESS_CHART_VERSION" --namespace "$OLEADA_CONTROLLER_NAMESPACE" --create-namespace \
    --values "$DIST/helm/nginx-ingress-values.yaml" --wait --timeout "$WAIT_TIMEOUT"
else
  # NGINX Gateway Fabric supports one Gateway API version: with a newer CRD minor its GatewayClass reports
  # SupportedVersion=False, so both are pinned together in versions.json.
  log "Gateway API CRDs $GATEWAY_API_VERSION and NGINX Gateway Fabric chart $NGF_CHART_VERSION (namespace nginx-gateway)"
  run kubectl apply --server-side -f "$(release_url kubernetes-sigs/gateway-api "$GATEWAY_API_VERSION" standard-install.yaml)"
  run helm upgrade --install ngf oci://ghcr.io/nginx/charts/nginx-gateway-fabric \
    --version "$NGF_CHART_VERSION" --namespace nginx-gateway --create-namespace \
    --values "$DIST/helm/nginx-gateway-fabric-values.yaml" --wait --timeout "$WAIT_TIMEOUT"
fi

# --- 6. Prometheus ------------------------------------------------------------------------------
log "Prometheus chart $PROMETHEUS_CHART_VERSION (namespace $OLEADA_MONITORING_NAMESPACE, chart from $PROMETHEUS_HELM_REPO)"
run helm repo add prometheus-community "$PROMETHEUS_HELM_REPO" --force-update
run helm repo update prometheus-community
run helm upgrade --install prometheus prometheus-community/prometheus --version "$PROMETHEUS_CHART_VERSION" \
  --namespace "$OLEADA_MONITORING_NAMESPACE" --values "$DIST/helm/prometheus-values.yaml" --wait --timeout "$WAIT_TIMEOUT"

# --- 7. Grafana ---------------------------------------------------------------------------------
# The chart moved to grafana-community (grafana/helm-charts froze it on 2026-01-30); the release name stays `grafana`.
log "Grafana chart $GRAFANA_CHART_VERSION (namespace $OLEADA_MONITORING_NAMESPACE, chart from $GRAFANA_HELM_REPO)"
run helm repo add grafana-community "$GRAFANA_HELM_REPO" --force-update
run helm repo update grafana-community
run helm upgrade --install grafana grafana-community/grafana --version "$GRAFANA_CHART_VERSION" \
  --namespace "$OLEADA_MONITORING_NAMESPACE" --values "$DIST/helm/grafana-values.yaml" --wait --timeout "$WAIT_TIMEOUT"

log "done. Next: kubectl apply -f $DIST/"
log "Grafana admin password: kubectl -n $OLEADA_MONITORING_NAMESPACE get secret $OLEADA_GRAFANA_ADMIN_SECRET -o jsonpath='{.data.admin-password}' | base64 -d"
