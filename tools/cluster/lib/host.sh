# shellcheck shell=bash
# The host changes the cluster needs, recorded before `up` makes them and undone by `down`:
# sysctls (the ones this tool, kubelet and kube-proxy write), netfilter tables, the pod bridge,
# mounts, network namespaces and cgroups. The baseline is taken once, by the first `up`.

# sysctls that `up`, kubelet (kernel tunables) and kube-proxy (route_localnet, conntrack) may write.
SYSCTL_KEYS=(
  net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.ipv4.conf.default.route_localnet
  net.ipv4.conf.all.forwarding net.ipv4.conf.default.forwarding
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait net.netfilter.nf_conntrack_tcp_be_liberal
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
)

uplink() { ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}'; }

nft_tables() { nft list tables 2>/dev/null | sort; }

cgroup_dirs() { # the top two levels of every cgroup hierarchy
  find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -type d 2>/dev/null | sort
}

record_baseline() {
  if [[ -f "$BASELINE/complete" ]]; then
    log "host baseline already recorded ($BASELINE)"
    return 0
  fi
  rm -rf "$BASELINE"
  mkdir -p "$BASELINE"
  local key
  for key in "${SYSCTL_KEYS[@]}"; do
    if value="$(sysctl -n "$key" 2>/dev/null)"; then printf '%s=%s\n' "$key" "$value"; fi
  done >"$BASELINE/sysctl"
  nft_tables >"$BASELINE/nft-tables"
  nft list ruleset >"$BASELINE/nft-ruleset" 2>/dev/null || true
  iptables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//' >"$BASELINE/iptables" || true
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort >"$BASELINE/links"
  awk '{print $2}' /proc/self/mounts | sort >"$BASELINE/mounts"
  find /var/run/netns -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort >"$BASELINE/netns" || true
  [[ -d /var/run/netns ]] && touch "$BASELINE/netns-dir-existed"
  cgroup_dirs >"$BASELINE/cgroups"
  uplink >"$BASELINE/uplink"
  touch "$BASELINE/complete"
  log "recorded the host baseline in $BASELINE"
}

# Pod and service ranges must not contain the machine's resolvers (a rule on them would cut DNS).
check_ranges() {
  local ns
  while read -r ns; do
    python3 - "$ns" "$POD_CIDR" "$SERVICE_CIDR" <<'EOF' || die "resolver $ns lies in the pod or service range: pick other ranges"
import ipaddress, sys
ip = ipaddress.ip_address(sys.argv[1])
sys.exit(1 if any(ip in ipaddress.ip_network(n) for n in sys.argv[2:]) else 0)
EOF
  done < <(awk '$1 == "nameserver" {print $2}' /etc/resolv.conf)
}

apply_host_changes() {
  local up_if
  up_if="$(cat "$BASELINE/uplink")"
  [[ -n "$up_if" ]] || die "no default route: cannot tell the uplink"
  # The pod bridge, made here so the API server and kubelet can bind the node address before the
  # first pod exists; the CNI bridge plugin then uses it.
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NODE_IP/${NODE_POD_CIDR#*/}" dev "$BRIDGE"
    ip link set "$BRIDGE" up
  fi
  # The service range is local too: routed to the bridge, never to the uplink.
  ip route replace "$SERVICE_CIDR" dev "$BRIDGE"
  # Forwarding only for packets that arrive from pods (service DNAT back onto the bridge); the
  # host's global ip_forward is left as it is.
  sysctl -qw "net.ipv4.conf.$BRIDGE.forwarding=1"
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
  # The guard: nothing with a pod or service address, and nothing forwarded from the pod bridge,
  # leaves through the uplink. Scoped to the cluster's own ranges and bridge only.
  nft delete table inet "$GUARD_TABLE" 2>/dev/null || true
  nft -f - <<EOF
table inet $GUARD_TABLE {
  chain postrouting {
    type filter hook postrouting priority 100; policy accept;
    oifname "$up_if" ip saddr { $POD_CIDR, $SERVICE_CIDR } drop
    oifname "$up_if" ip daddr { $POD_CIDR, $SERVICE_CIDR } drop
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "$BRIDGE" oifname "$up_if" drop
  }
}
EOF
}

restore_host() {
  [[ -f "$BASELINE/complete" ]] || {
    log "no baseline recorded: nothing to restore"
    return 0
  }
  local key value current table m ns dir link
  # netfilter: tables that did not exist before `up` are removed (kube-proxy's and kube-router's
  # iptables-nft tables, the guard); tables that existed are checked below.
  while read -r table; do
    [[ -n "$table" ]] || continue
    if ! grep -qxF "$table" "$BASELINE/nft-tables"; then
      # shellcheck disable=SC2086 # "table FAMILY NAME"
      nft delete ${table} && log "removed nft ${table}"
    fi
  done < <(nft_tables)
  if [[ -s "$BASELINE/iptables" ]]; then
    if ! diff -q <(iptables-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//') "$BASELINE/iptables" >/dev/null; then
      log "iptables differ from the baseline: restoring it"
      iptables-restore <"$BASELINE/iptables"
    fi
  fi
  # ipsets kube-router made
  if command -v ipset >/dev/null; then
    for m in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router)' || true); do ipset destroy "$m" 2>/dev/null || true; done
  fi
  # mounts made since the baseline (pod volumes, overlay rootfs, netns bind mounts), deepest first
  while read -r m; do
    [[ -n "$m" ]] || continue
    grep -qxF "$m" "$BASELINE/mounts" && continue
    case "$m" in "$STATE_DIR"/* | "$RUN_DIR"/* | "$CACHE_DIR"/* | /run/netns/* | /var/run/netns/*) ;; *) continue ;; esac
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk '{print $2}' /proc/self/mounts | sort -r)
  # network namespaces the CNI made
  for ns in /var/run/netns/*; do
    [[ -e "$ns" ]] || continue
    grep -qxF "$(basename "$ns")" "$BASELINE/netns" 2>/dev/null || rm -f "$ns"
  done
  [[ -f "$BASELINE/netns-dir-existed" ]] || rmdir /var/run/netns 2>/dev/null || true
  # links: the pod bridge and any veth of it left behind
  while read -r link; do
    grep -qxF "$link" "$BASELINE/links" && continue
    case "$link" in "$BRIDGE" | veth*) ;; *) continue ;; esac
    if ip link delete "$link" 2>/dev/null; then log "removed link $link"; fi
  done < <(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//')
  ip route del "$SERVICE_CIDR" 2>/dev/null || true
  # cgroups made by kubelet and containerd (kubepods, …), deepest first
  while read -r dir; do
    grep -qxF "$dir" "$BASELINE/cgroups" && continue
    [[ "$(basename "$dir")" =~ ^(kubepods|docker|buildkit|k8s.io|moby) ]] || continue
    find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done < <(cgroup_dirs | sort -r)
  # sysctls
  while IFS='=' read -r key value; do
    current="$(sysctl -n "$key" 2>/dev/null)" || continue
    if [[ "$current" != "$value" ]]; then
      sysctl -qw "$key=$value" && log "restored $key=$value (was $current)"
    fi
  done <"$BASELINE/sysctl"
}

# Differences from the baseline that remain (empty when the host is as it was).
host_diff() {
  local ok=0
  diff <(nft_tables) "$BASELINE/nft-tables" >&2 || ok=1
  diff <(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort) "$BASELINE/links" >&2 || ok=1
  diff <(awk '{print $2}' /proc/self/mounts | sort) "$BASELINE/mounts" >&2 || ok=1
  diff <(cgroup_dirs) "$BASELINE/cgroups" >&2 || ok=1
  local key value
  while IFS='=' read -r key value; do
    [[ "$(sysctl -n "$key" 2>/dev/null)" == "$value" ]] || {
      echo "sysctl $key differs" >&2
      ok=1
    }
  done <"$BASELINE/sysctl"
  return $ok
}
