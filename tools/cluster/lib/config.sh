# shellcheck shell=bash
# shellcheck disable=SC2034 # settings used by the scripts that source this file
# Configuration the cluster's components start from: PKI and kubeconfigs (kubeadm's phases, which
# need no systemd), the registry, containerd, kubelet, kube-proxy, CoreDNS, and the objects the
# control plane needs before the node joins (RBAC for the host components, kube-dns and
# metrics-server Services, local PersistentVolumes).

REGISTRY_USER=oleada
LOCAL_STORAGE_CLASS=oleada-local
LOCAL_VOLUMES=8

kubeadm_config() {
  cat <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: $NODE_IP
  bindPort: $APISERVER_PORT
nodeRegistration:
  name: $NODE_NAME
  criSocket: unix://$CONTAINERD_SOCK
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $K8S_VERSION
clusterName: $CLUSTER_NAME
certificatesDir: $PKI
controlPlaneEndpoint: $NODE_IP:$APISERVER_PORT
networking:
  dnsDomain: cluster.local
  podSubnet: $POD_CIDR
  serviceSubnet: $SERVICE_CIDR
apiServer:
  certSANs: [127.0.0.1, localhost, $NODE_IP, $KUBERNETES_SERVICE_IP]
etcd:
  local:
    dataDir: $STATE_DIR/etcd
    serverCertSANs: [127.0.0.1]
    peerCertSANs: [127.0.0.1]
EOF
}

# CA-signed server certificate: name, CA dir prefix, subject CN, subjectAltName
sign_server_cert() {
  local out="$1" ca="$2" cn="$3" san="$4"
  [[ -f "$out.crt" ]] && return 0
  openssl req -new -newkey rsa:2048 -nodes -keyout "$out.key" -subj "/CN=$cn" -out "$out.csr" 2>/dev/null
  openssl x509 -req -in "$out.csr" -CA "$ca.crt" -CAkey "$ca.key" -CAcreateserial -days 365 -out "$out.crt" \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' "$san") 2>/dev/null
  rm -f "$out.csr"
  chmod 600 "$out.key"
}

write_pki() {
  mkdir -p "$PKI" "$KUBECONFIGS"
  kubeadm_config >"$STATE_DIR/kubeadm.yaml"
  if [[ ! -f "$PKI/ca.crt" ]]; then
    log "PKI and kubeconfigs (kubeadm init phases)"
    "$BIN_DIR/kubeadm" init phase certs all --config "$STATE_DIR/kubeadm.yaml" >/dev/null
  fi
  if [[ ! -f "$KUBECONFIGS/admin.conf" ]]; then
    "$BIN_DIR/kubeadm" init phase kubeconfig all --config "$STATE_DIR/kubeadm.yaml" --kubeconfig-dir "$KUBECONFIGS" >/dev/null
  fi
  local user
  for user in system:kube-proxy:kube-proxy oleada:coredns:coredns oleada:metrics-server:metrics-server oleada:kube-router:kube-router; do
    local name="${user##*:}" cn="${user%:*}"
    [[ -f "$KUBECONFIGS/$name.conf" ]] && continue
    "$BIN_DIR/kubeadm" kubeconfig user --config "$STATE_DIR/kubeadm.yaml" --client-name "$cn" >"$KUBECONFIGS/$name.conf"
    chmod 600 "$KUBECONFIGS/$name.conf"
  done
  # kubelet's serving certificate, signed by the cluster CA (metrics-server verifies it)
  mkdir -p "$STATE_DIR/kubelet/pki"
  sign_server_cert "$STATE_DIR/kubelet/pki/kubelet" "$PKI/ca" "system:node:$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
}

# the registry's own CA and certificate (as Zot is served with TLS)
write_registry_pki() {
  mkdir -p "$PKI/registry"
  if [[ ! -f "$PKI/registry/ca.crt" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=oleada-local-registry-ca" \
      -keyout "$PKI/registry/ca.key" -out "$PKI/registry/ca.crt" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    chmod 600 "$PKI/registry/ca.key"
  fi
  sign_server_cert "$PKI/registry/server" "$PKI/registry/ca" "${REGISTRY_ADDR%:*}" "IP:${REGISTRY_ADDR%:*}"
}

registry_password() {
  if [[ ! -s "$SECRETS/registry-password" ]]; then
    (umask 077 && openssl rand -hex 24 >"$SECRETS/registry-password")
  fi
  cat "$SECRETS/registry-password"
}

start_registry() {
  local dir="$STATE_DIR/registry"
  mkdir -p "$dir" "$CACHE_DIR/registry"
  (umask 077 && htpasswd -Bbn "$REGISTRY_USER" "$(registry_password)" >"$dir/htpasswd")
  [[ -f "$ROOT/tools/oci/dist/registry-config-cli.js" ]] || (cd "$ROOT" && npx tsc -b tools/oci)
  (umask 077 && node "$ROOT/tools/oci/dist/registry-config-cli.js" "$REGISTRY_ADDR" "$CACHE_DIR/registry" "$dir/htpasswd" \
    "$PKI/registry/server.crt" "$PKI/registry/server.key" >"$dir/config.yml")
  start_process registry docker-registry serve "$dir/config.yml"
  wait_for registry 20 curl -sf -o /dev/null --cacert "$PKI/registry/ca.crt" -u "$REGISTRY_USER:$(registry_password)" "https://$REGISTRY_ADDR/v2/"
}

write_containerd_config() {
  local dir="$STATE_DIR/containerd" trust="$ROOT/infra/zot/trust/node-trust.sh"
  mkdir -p "$STATE_DIR/cni/net.d"
  # The registry's CA through the same script the cloud guides run on their nodes (certs.d).
  ROOT="" REGISTRY="$REGISTRY_ADDR" CA_FILE="$PKI/registry/ca.crt" CERTS_D="$dir/certs.d" bash "$trust" >/dev/null
  (
    umask 077
    cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$RUN_DIR/containerd"
oom_score = 0

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$REGISTRY_ADDR/oleada-cluster/pause:1"
  restrict_oom_score_adj = true
  enable_unprivileged_ports = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE_DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$dir/certs.d"
    # the pause image is pulled by containerd itself, outside any pod's imagePullSecrets
    [plugins."io.containerd.grpc.v1.cri".registry.configs."$REGISTRY_ADDR".auth]
      username = "$REGISTRY_USER"
      password = "$(registry_password)"
EOF
  )
  cat >"$STATE_DIR/cni/net.d/10-oleada.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "oleada",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE_DIR/cni/ipam",
        "ranges": [[{ "subnet": "$NODE_POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

# stdin to FILE, leaving FILE untouched when its content is the same: kube-proxy watches its
# configuration file and exits on any write ("content of the proxy server's configuration file was
# updated"), so a second `up` on a running cluster must not rewrite it.
write_if_changed() {
  local file="$1" tmp
  tmp="$(mktemp "$file.XXXXXX")"
  cat >"$tmp"
  if [[ -f "$file" ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
  else
    chmod 644 "$tmp"
    mv -f "$tmp" "$file"
  fi
}

write_component_configs() {
  mkdir -p "$STATE_DIR/kubelet/root" "$STATE_DIR/coredns" "$STATE_DIR/metrics-server"
  write_if_changed "$STATE_DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $PKI/ca.crt }
authorization: { mode: Webhook }
tlsCertFile: $STATE_DIR/kubelet/pki/kubelet.crt
tlsPrivateKeyFile: $STATE_DIR/kubelet/pki/kubelet.key
cgroupDriver: cgroupfs
failCgroupV1: false
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
resolvConf: $STATE_DIR/kubelet/resolv.conf
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
podLogsDir: $STATE_DIR/pod-logs
rotateCertificates: false
serverTLSBootstrap: false
staticPodPath: ""
maxPods: 110
# The node shares the host's disk with everything else on it: 5 % of a 252 GB disk evicted Kafka's
# pods mid-run with 13 GB still free. Evict only when the disk is really short.
evictionHard:
  memory.available: 500Mi
  nodefs.available: 2Gi
  imagefs.available: 2Gi
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
EOF
  # pods with dnsPolicy Default get no resolver at all: nothing outside the cluster to resolve
  printf 'nameserver %s\n' "$DNS_SERVICE_IP" | write_if_changed "$STATE_DIR/kubelet/resolv.conf"
  write_if_changed "$STATE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: $POD_CIDR
clientConnection:
  kubeconfig: $KUBECONFIGS/kube-proxy.conf
# NodePorts answer on loopback only: the load generator reaches the entry at 127.0.0.1:<nodePort>.
nodePortAddresses: [127.0.0.0/8]
iptables:
  localhostNodePorts: true
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
  # CoreDNS serves cluster.local only (no forward plugin): pods resolve nothing outside the cluster.
  write_if_changed "$STATE_DIR/coredns/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $NODE_IP
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIGS/coredns.conf
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
    loadbalance
}
EOF
}

# binding NAME ROLE SUBJECT_KIND SUBJECT [NAMESPACE]: a ClusterRoleBinding to a ClusterRole, or with a
# namespace a RoleBinding to a Role there, as YAML.
binding() {
  local kind=ClusterRoleBinding role_kind=ClusterRole ns=""
  if [[ -n "${5:-}" ]]; then kind=RoleBinding role_kind=Role ns=", namespace: $5"; fi
  cat <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: $kind
metadata: { name: "$1"$ns }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: $role_kind, name: "$2" }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: $3, name: "$4" }]
EOF
}

apply_bootstrap_objects() {
  local super="$KUBECONFIGS/super-admin.conf"
  "$BIN_DIR/kubectl" --kubeconfig "$super" apply -f - >/dev/null <<EOF
$(binding kubeadm:cluster-admins cluster-admin Group kubeadm:cluster-admins)
EOF
  kctl apply -f - >/dev/null <<EOF
$(binding oleada-cluster:apiserver-kubelet-api-admin system:kubelet-api-admin User kube-apiserver-kubelet-client)
---
$(binding oleada-cluster:kube-proxy system:node-proxier User system:kube-proxy)
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "oleada-cluster:coredns" }
rules:
  - { apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch] }
---
$(binding oleada-cluster:coredns oleada-cluster:coredns User oleada:coredns)
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "oleada-cluster:kube-router" }
rules:
  - { apiGroups: [""], resources: [namespaces, pods, services, endpoints], verbs: [get, list, watch] }
  - { apiGroups: [""], resources: [nodes], verbs: [get, list, watch, patch, update] }
  - { apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [get, list, watch] }
  - { apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch] }
  - { apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update] }
  - { apiGroups: [""], resources: [events], verbs: [create, patch] }
---
$(binding oleada-cluster:kube-router oleada-cluster:kube-router User oleada:kube-router)
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: "oleada-cluster:metrics-server" }
rules:
  - { apiGroups: [""], resources: [nodes/metrics], verbs: [get] }
  - { apiGroups: [""], resources: [pods, nodes], verbs: [get, list, watch] }
---
$(binding oleada-cluster:metrics-server oleada-cluster:metrics-server User oleada:metrics-server)
---
$(binding oleada-cluster:metrics-server:auth-delegator system:auth-delegator User oleada:metrics-server)
---
$(binding oleada-cluster:metrics-server:auth-reader extension-apiserver-authentication-reader User oleada:metrics-server kube-system)
---
# CoreDNS and metrics-server run on the host (plain processes): Services without selectors whose
# EndpointSlices name the node address.
apiVersion: v1
kind: Service
metadata: { name: kube-dns, namespace: kube-system, labels: { k8s-app: kube-dns } }
spec:
  clusterIP: $DNS_SERVICE_IP
  ports:
    - { name: dns, port: 53, protocol: UDP, targetPort: 53 }
    - { name: dns-tcp, port: 53, protocol: TCP, targetPort: 53 }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-host
  namespace: kube-system
  labels: { kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: oleada-cluster }
addressType: IPv4
endpoints: [{ addresses: [$NODE_IP], conditions: { ready: true } }]
ports:
  - { name: dns, port: 53, protocol: UDP }
  - { name: dns-tcp, port: 53, protocol: TCP }
---
apiVersion: v1
kind: Service
metadata: { name: metrics-server, namespace: kube-system }
spec:
  ports: [{ name: https, port: 443, protocol: TCP, targetPort: $METRICS_SERVER_PORT }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: metrics-server-host
  namespace: kube-system
  labels: { kubernetes.io/service-name: metrics-server, endpointslice.kubernetes.io/managed-by: oleada-cluster }
addressType: IPv4
endpoints: [{ addresses: [$NODE_IP], conditions: { ready: true } }]
ports: [{ name: https, port: $METRICS_SERVER_PORT, protocol: TCP }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: metrics-server, namespace: kube-system }
subsets: [{ addresses: [{ ip: $NODE_IP }], ports: [{ name: https, port: $METRICS_SERVER_PORT, protocol: TCP }] }]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: v1beta1.metrics.k8s.io }
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  # metrics-server serves a self-signed certificate, as in its upstream manifest
  insecureSkipTLSVerify: true
  service: { name: metrics-server, namespace: kube-system, port: 443 }
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: $LOCAL_STORAGE_CLASS }
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
  ensure_volumes
}

# Local PersistentVolumes under the state directory (no dynamic provisioner here): Released ones
# are wiped and made Available again, so every run starts from empty disks.
ensure_volumes() {
  local i name phase
  for i in $(seq 1 "$LOCAL_VOLUMES"); do
    name="oleada-local-$i"
    phase="$(kctl get pv "$name" -o jsonpath='{.status.phase}' 2>/dev/null || true)"
    if [[ "$phase" == Released || "$phase" == Failed ]]; then
      kctl delete pv "$name" --wait=true >/dev/null
      phase=""
    fi
    [[ -n "$phase" ]] && continue
    rm -rf "$STATE_DIR/volumes/$name"
    mkdir -p "$STATE_DIR/volumes/$name"
    chmod 0777 "$STATE_DIR/volumes/$name"
    kctl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: { name: $name, labels: { oleada.io/local-volume: "true" } }
spec:
  capacity: { storage: 20Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: $LOCAL_STORAGE_CLASS
  local: { path: $STATE_DIR/volumes/$name }
  nodeAffinity:
    required:
      nodeSelectorTerms: [{ matchExpressions: [{ key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME] }] }]
EOF
  done
}

start_docker() {
  pid_of containerd >/dev/null || die "the cluster is not up (containerd): npm run cluster -- up"
  mkdir -p "$CACHE_DIR/docker" "$RUN_DIR/docker-exec" "$STATE_DIR/docker-config"
  # No networking of its own: no bridge, no iptables, no forwarding; builds that need a registry
  # use --network host. It shares the cluster's containerd.
  start_process dockerd dockerd --data-root "$CACHE_DIR/docker" --exec-root "$RUN_DIR/docker-exec" \
    -H "unix://$DOCKER_SOCK" --pidfile "$RUN_DIR/docker.pid" --containerd "$CONTAINERD_SOCK" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none --userland-proxy=false \
    --storage-driver overlay2 --log-level warn
  wait_for dockerd 60 docker -H "unix://$DOCKER_SOCK" info
  registry_password | DOCKER_CONFIG="$STATE_DIR/docker-config" docker -H "unix://$DOCKER_SOCK" \
    login "$REGISTRY_ADDR" --username "$REGISTRY_USER" --password-stdin >/dev/null 2>&1
  log "dockerd up: DOCKER_HOST=unix://$DOCKER_SOCK DOCKER_CONFIG=$STATE_DIR/docker-config"
}
