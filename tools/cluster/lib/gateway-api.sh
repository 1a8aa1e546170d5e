# shellcheck shell=bash
# The Gateway API CRDs (standard channel) at the version the project pins (libs/k8s/src/versions.json,
# what the bootstrap installs), from the Go module sigs.k8s.io/gateway-api fetched through the Go
# module proxy (the module cache keeps it). Run from the repository root.

gateway_api_version() {
  node -p "require('./libs/k8s/src/versions.json').components.find((c) => c.id === 'gateway-api').version"
}

# The CRD files, one path a line.
gateway_api_crds() {
  local version dir f
  version="$(gateway_api_version)"
  dir="$(cd /tmp && go mod download -json "sigs.k8s.io/gateway-api@$version" | node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).Dir))')" ||
    die "could not fetch sigs.k8s.io/gateway-api@$version through the Go module proxy"
  for f in "$dir"/config/crd/standard/*.yaml; do
    grep -q '^kind: CustomResourceDefinition' "$f" && printf '%s\n' "$f"
  done
}
