#!/usr/bin/env bash
# What the manifest tests need beyond npm: shellcheck for the bootstrap and VM scripts.
set -euo pipefail
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "[setup-k8s] apt-get install shellcheck"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
echo "[setup-k8s] $(shellcheck --version | sed -n 2p)"
