#!/usr/bin/env bash
# Makes a node's containerd trust Zot's CA, with a containerd hosts.toml (no DaemonSet: it runs once
# at node boot, from the node group's user data, or by hand on a kind/kubeadm node).
#
#   REGISTRY=203.0.113.7:5000 CA_FILE=infra/zot/.state/oleada-zot-ca.crt bash infra/zot/trust/node-trust.sh
#       installs /etc/containerd/certs.d/<REGISTRY>/{ca.crt,hosts.toml} (as root; ROOT=<dir> to stage elsewhere,
#       CERTS_D=<dir> when containerd's config_path is not /etc/containerd/certs.d)
#   … node-trust.sh --user-data
#       prints a self-contained boot script with the CA embedded, for an EKS launch template (a
#       text/x-shellscript part next to the NodeConfig) or any cloud-init node
#
# containerd reads certs.d per pull (config_path; EKS AL2023 and kind set it), so no restart is needed.
set -euo pipefail

die() { printf 'node-trust: %s\n' "$*" >&2; exit 1; }
[ -n "${REGISTRY:-}" ] || die "REGISTRY is not set (host:port of Zot)"
[[ "$REGISTRY" =~ ^[A-Za-z0-9.-]+(:[0-9]+)?$ ]] || die "REGISTRY must be host[:port], got \"$REGISTRY\""
[ -f "${CA_FILE:-}" ] || die "CA_FILE must name Zot's CA certificate (PEM)"
grep -q -- '-----BEGIN CERTIFICATE-----' "$CA_FILE" || die "$CA_FILE is not a PEM certificate"
CERTS_D="${CERTS_D:-/etc/containerd/certs.d}"
[[ "$CERTS_D" == /* ]] || die "CERTS_D must be an absolute path, got \"$CERTS_D\""

if [ "${1:-}" = --user-data ]; then
  cat <<SCRIPT
#!/bin/bash
# Oleada: trust the Zot registry $REGISTRY (infra/zot/trust/node-trust.sh --user-data)
set -eu
dir=$CERTS_D/$REGISTRY
mkdir -p "\$dir"
cat > "\$dir/ca.crt" <<'PEM'
$(cat "$CA_FILE")
PEM
cat > "\$dir/hosts.toml" <<'TOML'
server = "https://$REGISTRY"

[host."https://$REGISTRY"]
  capabilities = ["pull", "resolve"]
  ca = "$CERTS_D/$REGISTRY/ca.crt"
TOML
SCRIPT
  exit 0
fi

dir="${ROOT:-}$CERTS_D/$REGISTRY"
mkdir -p "$dir"
install -m 0644 "$CA_FILE" "$dir/ca.crt"
cat >"$dir/hosts.toml" <<TOML
server = "https://$REGISTRY"

[host."https://$REGISTRY"]
  capabilities = ["pull", "resolve"]
  ca = "$CERTS_D/$REGISTRY/ca.crt"
TOML
printf 'containerd on this node now trusts %s (%s)\n' "$REGISTRY" "$dir"
