#!/usr/bin/env bash
# Regenerates libs/contracts/src/generated from proto/ with buf and ts-proto.
# buf runs through npx at a pinned version instead of being a dependency: its package lists a
# binary per platform as optional dependencies, which not every npm registry serves, and a lock
# file without them makes `npm ci` refuse to install.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUF_VERSION=1.75.0
npx --yes "@bufbuild/buf@${BUF_VERSION}" generate
node tools/scripts/fix-generated.mjs
