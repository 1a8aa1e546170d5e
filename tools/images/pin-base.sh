#!/usr/bin/env bash
# Pins the base images of the apps' Dockerfile to the digests their tags point to now.
#
#   tools/images/pin-base.sh [Dockerfile...]        (default: apps/Dockerfile)
#
# Reads the tags of ARG NODE_BUILD_IMAGE and ARG NODE_RUNTIME_IMAGE (the part before "@sha256:"),
# resolves each to the digest of its multi-arch index with `crane digest` when crane is installed,
# else `docker buildx imagetools inspect`, and rewrites those ARG lines in every file given.
# Environment: NODE_BUILD_TAG / NODE_RUNTIME_TAG move to another tag (e.g. node:22-bookworm-slim);
# DRY_RUN=1 prints the new lines and changes nothing. Review and commit the diff like any bump.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
die() { printf 'pin-base: %s\n' "$*" >&2; exit 1; }

files=("$@")
if [ "${#files[@]}" -eq 0 ]; then files=("$ROOT/apps/Dockerfile"); fi
for f in "${files[@]}"; do [ -f "$f" ] || die "no such Dockerfile: $f"; done

resolve_digest() {
  local ref="$1" digest
  if command -v crane >/dev/null 2>&1; then
    digest="$(crane digest "$ref")"
  elif docker buildx version >/dev/null 2>&1; then
    digest="$(docker buildx imagetools inspect "$ref" --format '{{.Manifest.Digest}}')"
  else
    die "need crane (go install github.com/google/go-containerregistry/cmd/crane@latest) or docker buildx"
  fi
  [[ "$digest" =~ ^sha256:[a-f0-9]{64}$ ]] || die "could not resolve $ref (got \"$digest\")"
  printf '%s' "$digest"
}

current_tag() {
  local name="$1" line
  line="$(grep -m1 -E "^ARG $name=" "${files[0]}")" || die "${files[0]} has no ARG $name"
  line="${line#ARG "$name"=}"
  printf '%s' "${line%%@*}"
}

for name in NODE_BUILD_IMAGE NODE_RUNTIME_IMAGE; do
  case "$name" in
    NODE_BUILD_IMAGE) tag="${NODE_BUILD_TAG:-$(current_tag "$name")}" ;;
    NODE_RUNTIME_IMAGE) tag="${NODE_RUNTIME_TAG:-$(current_tag "$name")}" ;;
  esac
  pinned="$tag@$(resolve_digest "$tag")"
  printf 'ARG %s=%s\n' "$name" "$pinned"
  if [ "${DRY_RUN:-0}" != 1 ]; then
    for f in "${files[@]}"; do
      sed -i -E "s|^ARG $name=.*$|ARG $name=$pinned|" "$f"
    done
  fi
done
