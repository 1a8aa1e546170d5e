#!/usr/bin/env bash
# Makes a GKE node pool trust Zot's CA with GKE's own containerd configuration (no DaemonSet):
# the CA goes into Secret Manager, the node pool's containerd reads it for the registry's address.
#
#   GCP_PROJECT=… GKE_CLUSTER=oleada GKE_LOCATION=us-central1 REGISTRY=203.0.113.7:5000 \
#     CA_FILE=infra/zot/.state/oleada-zot-ca.crt bash infra/zot/trust/gke-node-pool-trust.sh
#
# Environment: GKE_NODE_POOL (default default-pool), GKE_NODE_SA (the nodes' service account, granted
# secretAccessor on the secret; default: the pool's), ZOT_CA_SECRET (default oleada-zot-ca),
# DRY_RUN=1 prints the containerd configuration and the gcloud commands without running them.
set -euo pipefail

die() { printf 'gke-node-pool-trust: %s\n' "$*" >&2; exit 1; }
for name in GCP_PROJECT GKE_CLUSTER GKE_LOCATION REGISTRY CA_FILE; do
  [ -n "${!name:-}" ] || die "$name is not set"
done
[ -f "$CA_FILE" ] || die "no CA file $CA_FILE"
POOL="${GKE_NODE_POOL:-default-pool}"
SECRET="${ZOT_CA_SECRET:-oleada-zot-ca}"
run() { printf '+ %s\n' "$*"; if [ "${DRY_RUN:-0}" != 1 ]; then "$@"; fi; }
gc() { run gcloud --project "$GCP_PROJECT" --quiet "$@"; }

if [ "${DRY_RUN:-0}" = 1 ] || ! gcloud --project "$GCP_PROJECT" secrets describe "$SECRET" >/dev/null 2>&1; then
  gc secrets create "$SECRET" --replication-policy automatic
fi
# containerd's configuration names one secret version: the one added now.
if [ "${DRY_RUN:-0}" = 1 ]; then
  gc secrets versions add "$SECRET" --data-file "$CA_FILE"
  VERSION="projects/$GCP_PROJECT/secrets/$SECRET/versions/<new>"
else
  printf '+ gcloud secrets versions add %s --data-file %s\n' "$SECRET" "$CA_FILE"
  VERSION="$(gcloud --project "$GCP_PROJECT" --quiet secrets versions add "$SECRET" --data-file "$CA_FILE" --format 'value(name)')"
fi

SA="${GKE_NODE_SA:-}"
if [ -z "$SA" ] && [ "${DRY_RUN:-0}" != 1 ]; then
  SA="$(gcloud --project "$GCP_PROJECT" container node-pools describe "$POOL" --cluster "$GKE_CLUSTER" \
    --location "$GKE_LOCATION" --format 'value(config.serviceAccount)')"
  if [ "$SA" = default ]; then
    SA="$(gcloud projects describe "$GCP_PROJECT" --format 'value(projectNumber)')-compute@developer.gserviceaccount.com"
  fi
fi
gc secrets add-iam-policy-binding "$SECRET" --member "serviceAccount:${SA:-<node-service-account>}" --role roles/secretmanager.secretAccessor

config="$(mktemp)"
trap 'rm -f "$config"' EXIT
cat >"$config" <<YAML
privateRegistryAccessConfig:
  enabled: true
  certificateAuthorityDomainConfig:
  - gcpSecretManagerCertificateConfig:
      secretURI: "$VERSION"
    fqdns:
    - "$REGISTRY"
YAML
cat "$config"
gc container node-pools update "$POOL" --cluster "$GKE_CLUSTER" --location "$GKE_LOCATION" --containerd-config-from-file "$config"
