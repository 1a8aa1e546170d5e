#!/usr/bin/env bash
# Installs Zot as a systemd service on this VM. cloud-init runs it once, as root, after writing
# /etc/zot/config.json, /etc/zot/htpasswd, /etc/systemd/system/zot.service and /etc/oleada-zot.env
# (see render-cloud-init.sh). Safe to run again: it keeps an existing certificate and binary.
#
# /etc/oleada-zot.env:
#   ZOT_VERSION    release tag, e.g. v2.1.20 (the full binary: search, UI, scrub, metrics)
#   ZOT_SHA256     optional: expected sha256 of the binary for this VM's architecture
#   ZOT_TLS_SANS   comma-separated subjectAltName entries for the server certificate
#                  (IP:<static address>[,DNS:<name>]); the VM's own addresses are added
set -euo pipefail

# shellcheck source=/dev/null
. /etc/oleada-zot.env
: "${ZOT_VERSION:?ZOT_VERSION missing from /etc/oleada-zot.env}"

log() { printf '[oleada-zot] %s\n' "$*"; }
TLS=/etc/zot/tls

# --- binary: the release asset for this architecture, checked against the release's checksums ---
arch="$(dpkg --print-architecture)"
case "$arch" in amd64 | arm64) ;; *) log "unsupported architecture $arch"; exit 1 ;; esac
if [ ! -x /usr/local/bin/zot ] || ! /usr/local/bin/zot --version 2>&1 | grep -q "${ZOT_VERSION#v}"; then
  base="https://github.com/project-zot/zot/releases/download/$ZOT_VERSION"
  tmp="$(mktemp -d)"
  curl -fsSL --retry 5 -o "$tmp/zot" "$base/zot-linux-$arch"
  curl -fsSL --retry 5 -o "$tmp/checksums.sha256.txt" "$base/checksums.sha256.txt"
  listed="$(awk -v f="zot-linux-$arch" '$2 == f || $2 == "*"f {print $1}' "$tmp/checksums.sha256.txt")"
  actual="$(sha256sum "$tmp/zot" | awk '{print $1}')"
  if [ -z "$listed" ] || [ "$listed" != "$actual" ]; then
    log "checksum mismatch for zot-linux-$arch (listed ${listed:-nothing}, got $actual)"
    exit 1
  fi
  if [ -n "${ZOT_SHA256:-}" ] && [ "$ZOT_SHA256" != "$actual" ]; then
    log "zot-linux-$arch is $actual, not the pinned ZOT_SHA256"
    exit 1
  fi
  install -m 0755 "$tmp/zot" /usr/local/bin/zot
  rm -rf "$tmp"
fi
log "$(/usr/local/bin/zot --version 2>&1 | head -n1)"

# --- user and directories ---------------------------------------------------------------------
id zot >/dev/null 2>&1 || useradd --system --home-dir /var/lib/zot --shell /usr/sbin/nologin zot
install -d -o zot -g zot -m 0750 /var/lib/zot /var/log/zot
install -d -o root -g zot -m 0750 "$TLS"
chown root:zot /etc/zot/htpasswd
chmod 0640 /etc/zot/htpasswd

# --- TLS: a CA of this registry and a server certificate it signs (kept across reruns) ---------
if [ ! -s "$TLS/server.crt" ]; then
  sans="${ZOT_TLS_SANS:-}"
  for ip in $(hostname -I); do sans="${sans:+$sans,}IP:$ip"; done
  sans="${sans:+$sans,}DNS:$(hostname),IP:127.0.0.1"
  umask 077
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=Oleada Zot CA $(hostname)" -keyout "$TLS/ca.key" -out "$TLS/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$(hostname)" -keyout "$TLS/server.key" -out "$TLS/server.csr"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "$sans" > "$TLS/server.ext"
  openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial \
    -days 825 -extfile "$TLS/server.ext" -out "$TLS/server.crt"
  rm -f "$TLS/server.csr"
  chown root:zot "$TLS/server.key" "$TLS/server.crt" "$TLS/ca.crt"
  chmod 0640 "$TLS/server.key"
  chmod 0644 "$TLS/server.crt" "$TLS/ca.crt"
  log "server certificate for $sans"
fi

# --- service ----------------------------------------------------------------------------------
/usr/local/bin/zot verify /etc/zot/config.json
systemctl daemon-reload
systemctl enable zot
systemctl restart zot
for _ in $(seq 1 60); do
  code="$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS/ca.crt" https://127.0.0.1:5000/v2/ || true)"
  [ "$code" = 401 ] && break
  sleep 2
done
[ "${code:-}" = 401 ] || { log "zot did not answer on :5000 (last HTTP status ${code:-none})"; journalctl -u zot -n 50 --no-pager; exit 1; }
log "zot is serving https on :5000 with htpasswd authentication"

# The create scripts read the CA from the serial console (an IAM-authenticated channel), between
# these markers, and hand it to clients and cluster nodes. It is public; the CA key stays here.
{
  echo "OLEADA-ZOT-CA-BEGIN"
  cat "$TLS/ca.crt"
  echo "OLEADA-ZOT-CA-END"
} | tee /dev/ttyS0 2>/dev/null || true
