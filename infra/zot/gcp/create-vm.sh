#!/usr/bin/env bash
# Creates the Zot registry VM on Google Cloud: a static external IP, a firewall rule for the
# registry port, and an Ubuntu 24.04 VM whose cloud-init installs Zot (infra/zot/render-cloud-init.sh).
# Then it waits for Zot and saves the registry's CA from the serial console to infra/zot/.state/.
#
#   GCP_PROJECT=my-project ZOT_USERNAME=… ZOT_PASSWORD=… ZOT_ALLOWED_CIDRS=203.0.113.0/24 \
#     bash infra/zot/gcp/create-vm.sh
#
# Environment (required: GCP_PROJECT, ZOT_USERNAME, ZOT_PASSWORD, ZOT_ALLOWED_CIDRS):
#   ZOT_ALLOWED_CIDRS  who may reach :5000 — the cluster's egress (node IPs or Cloud NAT) and yours;
#                      for a GKE cluster in the same VPC add its node range (e.g. 10.128.0.0/9)
#   GCP_ZONE           default us-central1-a         ZOT_VM_NAME     default oleada-zot
#   ZOT_MACHINE_TYPE   default e2-small              ZOT_DISK_GB     default 50
#   GCP_NETWORK        default "default"             ZOT_HOSTNAME    optional DNS name for the certificate
#   ZOT_VERSION, ZOT_SHA256                          see render-cloud-init.sh
# Idempotent for the address and firewall rule; fails if the VM already exists.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

require_cmd gcloud "https://cloud.google.com/sdk/docs/install"
require_env GCP_PROJECT ZOT_USERNAME ZOT_PASSWORD
allowed_cidrs
ZONE="${GCP_ZONE:-us-central1-a}"
REGION="${ZONE%-*}"
NAME="${ZOT_VM_NAME:-oleada-zot}"
NETWORK="${GCP_NETWORK:-default}"
gc() { gcloud --project "$GCP_PROJECT" --quiet "$@"; }

if ! gc compute addresses describe "$NAME-ip" --region "$REGION" >/dev/null 2>&1; then
  log "reserving static address $NAME-ip in $REGION"
  gc compute addresses create "$NAME-ip" --region "$REGION"
fi
IP="$(gc compute addresses describe "$NAME-ip" --region "$REGION" --format='value(address)')"
log "address $IP"

if ! gc compute firewall-rules describe "$NAME-registry" >/dev/null 2>&1; then
  log "firewall rule $NAME-registry: tcp:$ZOT_PORT from $ZOT_ALLOWED_CIDRS"
  gc compute firewall-rules create "$NAME-registry" --network "$NETWORK" --direction INGRESS \
    --allow "tcp:$ZOT_PORT" --source-ranges "$ZOT_ALLOWED_CIDRS" --target-tags "$NAME"
fi

USER_DATA="$(render_user_data "IP:$IP${ZOT_HOSTNAME:+,DNS:$ZOT_HOSTNAME}")"
trap 'rm -f "$USER_DATA"' EXIT

log "creating VM $NAME ($ZONE)"
gc compute instances create "$NAME" --zone "$ZONE" \
  --machine-type "${ZOT_MACHINE_TYPE:-e2-small}" \
  --image-family ubuntu-2404-lts-amd64 --image-project ubuntu-os-cloud \
  --boot-disk-size "${ZOT_DISK_GB:-50}GB" --boot-disk-type pd-balanced \
  --network "$NETWORK" --address "$IP" --tags "$NAME" \
  --shielded-secure-boot --shielded-vtpm --shielded-integrity-monitoring \
  --no-service-account --no-scopes \
  --metadata-from-file "user-data=$USER_DATA" \
  --labels app=oleada,component=zot

CA="$STATE_DIR/$NAME-ca.crt"
wait_for_ca "$CA" gcloud --project "$GCP_PROJECT" compute instances get-serial-port-output "$NAME" --zone "$ZONE"
print_next_steps "$IP" "$CA"
