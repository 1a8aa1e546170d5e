#!/usr/bin/env bash
# Shared by the GCP and AWS scripts of infra/zot (sourced, not run).
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

ZOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="${ZOT_STATE_DIR:-$ZOT_DIR/.state}"
ZOT_PORT=5000

log() { printf '[zot] %s\n' "$*" >&2; }
die() { printf '[zot] ERROR: %s\n' "$*" >&2; exit 1; }

require_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed${2:+ ($2)}"
}

# True for a value an AWS/gcloud query returned ("None" and "" mean nothing was found).
found() { [ -n "$1" ] && [ "$1" != None ]; }

require_env() {
  local name
  for name in "$@"; do
    [ -n "${!name:-}" ] || die "$name is not set"
  done
}

# Comma-separated CIDRs that may reach the registry port: required, there is no safe default.
allowed_cidrs() {
  require_env ZOT_ALLOWED_CIDRS
  local cidr
  IFS=',' read -r -a cidrs <<<"$ZOT_ALLOWED_CIDRS"
  for cidr in "${cidrs[@]}"; do
    [[ "$cidr" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$ ]] || die "ZOT_ALLOWED_CIDRS: \"$cidr\" is not an IPv4 CIDR"
  done
}

# Renders the cloud-init user data into a private temporary file and prints its path.
render_user_data() {
  local sans="$1" file
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  file="$(mktemp "$STATE_DIR/user-data.XXXXXX")"
  ZOT_TLS_SANS="$sans" bash "$ZOT_DIR/render-cloud-init.sh" >"$file"
  printf '%s' "$file"
}

# Reads console output on stdin; writes the last CA block between the markers to $1.
extract_ca() {
  local out="$1" pem
  pem="$(tr -d '\r' | sed -n '/^OLEADA-ZOT-CA-BEGIN$/,/^OLEADA-ZOT-CA-END$/p' \
    | awk '/^OLEADA-ZOT-CA-BEGIN$/ {buf=""; next} /^OLEADA-ZOT-CA-END$/ {last=buf; next} {buf=buf $0 "\n"} END {printf "%s", last}')"
  [[ "$pem" == *"-----BEGIN CERTIFICATE-----"* ]] || return 1
  printf '%s\n' "$pem" >"$out"
}

# Polls a command that prints the VM's console until it shows the CA (cloud-init takes minutes).
wait_for_ca() {
  local out="$1"
  shift
  local i
  for i in $(seq 1 60); do
    if "$@" 2>/dev/null | extract_ca "$out"; then
      log "registry CA saved to $out"
      return 0
    fi
    log "waiting for Zot to come up ($i/60)…"
    sleep 10
  done
  die "no CA on the console after 10 minutes: check the VM's serial console for cloud-init errors"
}

print_next_steps() {
  local ip="$1" ca="$2"
  cat <<NEXT

Zot is up: https://$ip:$ZOT_PORT (UI at the same address; log in with ZOT_USERNAME/ZOT_PASSWORD)
  export REGISTRY=$ip:$ZOT_PORT
  export REGISTRY_CA_FILE=$ca      # for npx nx run oci:publish-dataset and Locust
  sudo mkdir -p /etc/docker/certs.d/$ip:$ZOT_PORT && sudo cp $ca /etc/docker/certs.d/$ip:$ZOT_PORT/ca.crt
  nx run-many -t build docker-push                     # images → \$REGISTRY/oleada/<app>:<commit>
  npx nx run oci:publish-dataset                       # data sets → \$REGISTRY/oleada/datasets/<scenario>:v<version>
  bash infra/zot/k8s/create-pull-secret.sh             # the cluster's zot-pull-secret
Cluster nodes must trust $ca: see docs/images-and-registry.md ("Cluster nodes trust Zot").
NEXT
}
