#!/usr/bin/env bash
# Fails when the committed contracts are not what proto/ generates.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r libs/contracts/src/generated "$tmp/before"
bash tools/scripts/generate-contracts.sh
if ! diff -ru "$tmp/before" libs/contracts/src/generated; then
  echo "libs/contracts/src/generated is stale: run 'npm run generate' and commit the result" >&2
  exit 1
fi
echo "generated contracts are up to date"
