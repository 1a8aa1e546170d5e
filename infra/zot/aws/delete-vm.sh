#!/usr/bin/env bash
# Deletes what aws/create-vm.sh created: the instance (and its volume, i.e. every stored image),
# the Elastic IP and the security group. Each step is skipped when already gone.
#
#   AWS_REGION=us-east-1 bash infra/zot/aws/delete-vm.sh
# Environment: AWS_REGION, ZOT_VM_NAME as for create-vm.sh.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

require_cmd aws
NAME="${ZOT_VM_NAME:-oleada-zot}"
ec2() { aws ec2 ${AWS_REGION:+--region "$AWS_REGION"} "$@"; }

instances=()
read -r -d '' -a instances < <(ec2 describe-instances --filters "Name=tag:Name,Values=$NAME" \
  "Name=instance-state-name,Values=pending,running,stopping,stopped" --query 'Reservations[].Instances[].InstanceId' --output text) || true
if [ "${#instances[@]}" -gt 0 ]; then
  log "terminating ${instances[*]}"
  ec2 terminate-instances --instance-ids "${instances[@]}" >/dev/null
  ec2 wait instance-terminated --instance-ids "${instances[@]}"
fi

ALLOC="$(ec2 describe-addresses --filters "Name=tag:Name,Values=$NAME" --query 'Addresses[0].AllocationId' --output text)"
if found "$ALLOC"; then
  log "releasing Elastic IP $ALLOC"
  ec2 release-address --allocation-id "$ALLOC"
fi

SG="$(ec2 describe-security-groups --filters "Name=group-name,Values=$NAME" --query 'SecurityGroups[0].GroupId' --output text)"
if found "$SG"; then
  log "deleting security group $SG"
  ec2 delete-security-group --group-id "$SG"
fi
rm -f "$STATE_DIR/$NAME-ca.crt"
log "done"
