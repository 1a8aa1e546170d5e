#!/usr/bin/env bash
# Prints the cloud-init user data that installs Zot on an Ubuntu VM (used by gcp/ and aws/create-vm.sh).
#
#   ZOT_USERNAME=… ZOT_PASSWORD=… ZOT_TLS_SANS=IP:203.0.113.7 bash infra/zot/render-cloud-init.sh > user-data
#
# The password never leaves this machine: only its bcrypt hash (htpasswd -B) goes into the user data.
# Environment:
#   ZOT_USERNAME, ZOT_PASSWORD   the registry account (required)
#   ZOT_TLS_SANS                 subjectAltNames of the server certificate, e.g. IP:203.0.113.7,DNS:zot.example.com
#   ZOT_VERSION                  Zot release (default below); ZOT_SHA256 optionally pins the binary's hash
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ZOT_VERSION="${ZOT_VERSION:-v2.1.20}"
die() { printf 'render-cloud-init: %s\n' "$*" >&2; exit 1; }

[ -n "${ZOT_USERNAME:-}" ] || die "ZOT_USERNAME is not set"
[ -n "${ZOT_PASSWORD:-}" ] || die "ZOT_PASSWORD is not set"
[[ "$ZOT_USERNAME" =~ ^[A-Za-z0-9._-]+$ ]] || die "ZOT_USERNAME may only contain letters, digits, . _ -"
[[ "$ZOT_VERSION" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "ZOT_VERSION must look like v2.1.20"
[[ "${ZOT_SHA256:-}" =~ ^([a-f0-9]{64})?$ ]] || die "ZOT_SHA256 must be 64 hex digits"
[[ "${ZOT_TLS_SANS:-}" =~ ^((IP|DNS):[A-Za-z0-9.:-]+)?(,(IP|DNS):[A-Za-z0-9.:-]+)*$ ]] || die "ZOT_TLS_SANS must be IP:…/DNS:… entries"
command -v htpasswd >/dev/null 2>&1 || die "htpasswd not found (Debian/Ubuntu: apt-get install apache2-utils)"

# -i reads the password from stdin, so it never shows in a process list.
HTPASSWD="$(printf '%s' "$ZOT_PASSWORD" | htpasswd -niB -C 12 "$ZOT_USERNAME")"
ENV_FILE="$(printf 'ZOT_VERSION=%s\nZOT_SHA256=%s\nZOT_TLS_SANS=%s\n' "$ZOT_VERSION" "${ZOT_SHA256:-}" "${ZOT_TLS_SANS:-}")"

b64() { base64 -w0; }

cat <<YAML
#cloud-config
# Oleada: Zot $ZOT_VERSION as a systemd service (infra/zot). Rendered by render-cloud-init.sh.
package_update: true
packages: [curl, openssl, ca-certificates]
write_files:
  - path: /etc/zot/config.json
    owner: root:root
    permissions: '0644'
    encoding: b64
    content: $(b64 <"$DIR/config.json")
  - path: /etc/zot/htpasswd
    owner: root:root
    permissions: '0640'
    encoding: b64
    content: $(printf '%s\n' "$HTPASSWD" | b64)
  - path: /etc/systemd/system/zot.service
    owner: root:root
    permissions: '0644'
    encoding: b64
    content: $(b64 <"$DIR/zot.service")
  - path: /etc/oleada-zot.env
    owner: root:root
    permissions: '0644'
    encoding: b64
    content: $(printf '%s\n' "$ENV_FILE" | b64)
  - path: /opt/oleada-zot/install-zot.sh
    owner: root:root
    permissions: '0755'
    encoding: b64
    content: $(b64 <"$DIR/install-zot.sh")
runcmd:
  - [bash, /opt/oleada-zot/install-zot.sh]
YAML
