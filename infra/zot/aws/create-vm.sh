#!/usr/bin/env bash
# Creates the Zot registry VM on AWS: a security group for the registry port, an Elastic IP, and an
# Ubuntu 24.04 instance whose cloud-init installs Zot (infra/zot/render-cloud-init.sh). Then it
# waits for Zot and saves the registry's CA from the instance console to infra/zot/.state/.
#
#   AWS_REGION=us-east-1 ZOT_USERNAME=… ZOT_PASSWORD=… ZOT_ALLOWED_CIDRS=203.0.113.0/24 \
#     bash infra/zot/aws/create-vm.sh
#
# Environment (required: ZOT_USERNAME, ZOT_PASSWORD, ZOT_ALLOWED_CIDRS; AWS credentials as usual):
#   ZOT_ALLOWED_CIDRS  who may reach :5000 — the cluster's egress (NAT gateway EIPs) and yours;
#                      for an EKS cluster in the same VPC add the VPC CIDR
#   AWS_REGION         default: the CLI's configured region
#   ZOT_VPC_ID         default: the default VPC      ZOT_SUBNET_ID   default: the VPC's first public subnet
#   ZOT_VM_NAME        default oleada-zot            ZOT_INSTANCE_TYPE default t3.small
#   ZOT_DISK_GB        default 50                    ZOT_HOSTNAME    optional DNS name for the certificate
#   ZOT_VERSION, ZOT_SHA256                          see render-cloud-init.sh
# Idempotent for the security group and address; fails if a live instance with the name exists.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

require_cmd aws "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
require_env ZOT_USERNAME ZOT_PASSWORD
allowed_cidrs
NAME="${ZOT_VM_NAME:-oleada-zot}"
AMI="resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"
ec2() { aws ec2 ${AWS_REGION:+--region "$AWS_REGION"} "$@"; }
tags() { printf 'ResourceType=%s,Tags=[{Key=Name,Value=%s},{Key=app,Value=oleada},{Key=component,Value=zot}]' "$1" "$NAME"; }

existing="$(ec2 describe-instances --filters "Name=tag:Name,Values=$NAME" \
  "Name=instance-state-name,Values=pending,running,stopping,stopped" --query 'Reservations[].Instances[].InstanceId' --output text)"
[ -z "$existing" ] || die "instance $NAME already exists ($existing): delete it first (aws/delete-vm.sh)"

VPC="${ZOT_VPC_ID:-$(ec2 describe-vpcs --filters Name=isDefault,Values=true --query 'Vpcs[0].VpcId' --output text)}"
found "$VPC" || die "no default VPC: set ZOT_VPC_ID and ZOT_SUBNET_ID"
SUBNET="${ZOT_SUBNET_ID:-$(ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC" Name=map-public-ip-on-launch,Values=true \
  --query 'Subnets[0].SubnetId' --output text)}"
found "$SUBNET" || die "no public subnet in $VPC: set ZOT_SUBNET_ID"

SG="$(ec2 describe-security-groups --filters "Name=vpc-id,Values=$VPC" "Name=group-name,Values=$NAME" \
  --query 'SecurityGroups[0].GroupId' --output text)"
if ! found "$SG"; then
  log "security group $NAME: tcp:$ZOT_PORT from $ZOT_ALLOWED_CIDRS"
  SG="$(ec2 create-security-group --vpc-id "$VPC" --group-name "$NAME" \
    --description "Oleada Zot registry" --tag-specifications "$(tags security-group)" --query GroupId --output text)"
  IFS=',' read -r -a cidrs <<<"$ZOT_ALLOWED_CIDRS"
  for cidr in "${cidrs[@]}"; do
    ec2 authorize-security-group-ingress --group-id "$SG" --protocol tcp --port "$ZOT_PORT" --cidr "$cidr" >/dev/null
  done
fi

ALLOC="$(ec2 describe-addresses --filters "Name=tag:Name,Values=$NAME" --query 'Addresses[0].AllocationId' --output text)"
if ! found "$ALLOC"; then
  log "allocating Elastic IP $NAME"
  ALLOC="$(ec2 allocate-address --domain vpc --tag-specifications "$(tags elastic-ip)" --query AllocationId --output text)"
fi
IP="$(ec2 describe-addresses --allocation-ids "$ALLOC" --query 'Addresses[0].PublicIp' --output text)"
log "address $IP"

USER_DATA="$(render_user_data "IP:$IP${ZOT_HOSTNAME:+,DNS:$ZOT_HOSTNAME}")"
trap 'rm -f "$USER_DATA"' EXIT

log "launching instance $NAME"
INSTANCE="$(ec2 run-instances --image-id "$AMI" --instance-type "${ZOT_INSTANCE_TYPE:-t3.small}" \
  --subnet-id "$SUBNET" --security-group-ids "$SG" \
  --user-data "file://$USER_DATA" \
  --metadata-options HttpTokens=required,HttpEndpoint=enabled \
  --block-device-mappings "DeviceName=/dev/sda1,Ebs={VolumeSize=${ZOT_DISK_GB:-50},VolumeType=gp3,Encrypted=true,DeleteOnTermination=true}" \
  --tag-specifications "$(tags instance)" "$(tags volume)" \
  --query 'Instances[0].InstanceId' --output text)"
ec2 wait instance-running --instance-ids "$INSTANCE"
ec2 associate-address --instance-id "$INSTANCE" --allocation-id "$ALLOC" >/dev/null
log "instance $INSTANCE running at $IP"

CA="$STATE_DIR/$NAME-ca.crt"
wait_for_ca "$CA" aws ec2 ${AWS_REGION:+--region "$AWS_REGION"} get-console-output --instance-id "$INSTANCE" --latest --output text
print_next_steps "$IP" "$CA"
