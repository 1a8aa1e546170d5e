#!/usr/bin/env bash
# Deletes what gcp/create-vm.sh created: the VM (and its boot disk, i.e. every stored image),
# the firewall rule and the static address. Each step is skipped when already gone.
#
#   GCP_PROJECT=my-project bash infra/zot/gcp/delete-vm.sh
# Environment: GCP_PROJECT (required), GCP_ZONE, ZOT_VM_NAME as for create-vm.sh.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

require_cmd gcloud
require_env GCP_PROJECT
ZONE="${GCP_ZONE:-us-central1-a}"
REGION="${ZONE%-*}"
NAME="${ZOT_VM_NAME:-oleada-zot}"
gc() { gcloud --project "$GCP_PROJECT" --quiet "$@"; }

if gc compute instances describe "$NAME" --zone "$ZONE" >/dev/null 2>&1; then
  log "deleting VM $NAME"
  gc compute instances delete "$NAME" --zone "$ZONE" --delete-disks all
fi
if gc compute firewall-rules describe "$NAME-registry" >/dev/null 2>&1; then
  log "deleting firewall rule $NAME-registry"
  gc compute firewall-rules delete "$NAME-registry"
fi
if gc compute addresses describe "$NAME-ip" --region "$REGION" >/dev/null 2>&1; then
  log "releasing address $NAME-ip"
  gc compute addresses delete "$NAME-ip" --region "$REGION"
fi
rm -f "$STATE_DIR/$NAME-ca.crt"
log "done"
