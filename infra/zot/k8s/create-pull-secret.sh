#!/usr/bin/env bash
# Creates (or updates) the image pull secret the cluster uses for Zot: a kubernetes.io/dockerconfigjson
# Secret named zot-pull-secret, from the environment. Nothing is written to disk and the password
# never appears on a command line: the manifest goes to `kubectl apply -f -` on stdin.
#
#   REGISTRY=203.0.113.7:5000 ZOT_USERNAME=… ZOT_PASSWORD=… bash infra/zot/k8s/create-pull-secret.sh
#
# Environment: REGISTRY, ZOT_USERNAME, ZOT_PASSWORD (required); NAMESPACE (default oleada; created if
# missing); KUBECTL (default kubectl); DRY_RUN=1 prints the manifest with the credentials redacted.
set -euo pipefail

die() { printf 'create-pull-secret: %s\n' "$*" >&2; exit 1; }
for name in REGISTRY ZOT_USERNAME ZOT_PASSWORD; do
  [ -n "${!name:-}" ] || die "$name is not set"
done
[[ "$REGISTRY" =~ ^[A-Za-z0-9.-]+(:[0-9]+)?$|^\[[0-9a-fA-F:]+\](:[0-9]+)?$ ]] || die "REGISTRY must be host[:port], got \"$REGISTRY\""
NAMESPACE="${NAMESPACE:-oleada}"
[[ "$NAMESPACE" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "invalid NAMESPACE \"$NAMESPACE\""
KUBECTL="${KUBECTL:-kubectl}"

# {"auths":{"<registry>":{"auth":"base64(user:password)"}}}: the base64 "auth" field is all kubelet
# needs, and base64 needs no JSON escaping whatever the password contains.
auth="$(printf '%s:%s' "$ZOT_USERNAME" "$ZOT_PASSWORD" | base64 -w0)"
if [ "${DRY_RUN:-0}" = 1 ]; then auth="REDACTED"; fi
config="$(printf '{"auths":{"%s":{"auth":"%s"}}}' "$REGISTRY" "$auth" | base64 -w0)"
if [ "${DRY_RUN:-0}" = 1 ]; then config="REDACTED"; fi

manifest="$(cat <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $NAMESPACE
---
apiVersion: v1
kind: Secret
metadata:
  name: zot-pull-secret
  namespace: $NAMESPACE
  labels:
    app.kubernetes.io/part-of: oleada
    app.kubernetes.io/component: registry-credentials
  annotations:
    oleada.dev/registry: "$REGISTRY"
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: $config
YAML
)"

if [ "${DRY_RUN:-0}" = 1 ]; then
  printf '%s\n' "$manifest"
  exit 0
fi
command -v "$KUBECTL" >/dev/null 2>&1 || die "$KUBECTL not found"
printf '%s\n' "$manifest" | "$KUBECTL" apply -f -
printf 'zot-pull-secret in namespace %s now holds credentials for %s\n' "$NAMESPACE" "$REGISTRY"
