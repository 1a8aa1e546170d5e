#!/usr/bin/env bash
# Builds or pushes the image of one Oleada app with docker buildx from apps/Dockerfile (--build-arg
# APP=<app>); the build context is the repo root.
#
#   tools/images/docker-image.sh build <app>   load ${REGISTRY}/oleada/<app>:<tag> into the local engine
#   tools/images/docker-image.sh push <app>    build and push it to ${REGISTRY} (Zot)
#
# <app> is gateway, relay, writer or consumer (or its directory, apps/<app>: Nx passes {projectRoot}).
# Environment:
#   REGISTRY             host:port of the registry; required to push (build names the image oleada/<app>)
#   TAG                  image tag; default the git commit (12 hex digits), "-dirty" if the tree has changes
#   PLATFORMS            e.g. linux/amd64,linux/arm64: a multi-arch image (push only; the build stages
#                        run on the builder's platform, so no emulation is needed). Default: the builder's.
#   ZOT_USERNAME, ZOT_PASSWORD
#                        when both are set, `docker login` (password on stdin) before pushing
#   REGISTRY_INSECURE=1  push over plain HTTP (a loopback test registry)
#   BUILDER              buildx builder to use (default: the current one)
#   DRY_RUN=1            print the commands, one per line prefixed "+ ", and run none of them
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
APPS=(gateway relay writer consumer)

die() { printf 'docker-image: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: $0 build|push <app>   (app: ${APPS[*]})"; }

# One word as a shell would read it: bare when safe, else single-quoted.
quote() {
  if [[ "$1" =~ ^[A-Za-z0-9_./:=,@+%-]+$ ]]; then printf '%s' "$1"; else printf "'%s'" "${1//\'/\'\\\'\'}"; fi
}

# Prints a command (one line, "+ " first); runs it unless DRY_RUN=1.
run() {
  local line="" word
  for word in "$@"; do line+="${line:+ }$(quote "$word")"; done
  printf '+ %s\n' "$line"
  if [ "${DRY_RUN:-0}" != 1 ]; then "$@"; fi
}

[ "$#" -eq 2 ] || usage
MODE="$1"
APP="${2#apps/}"
APP="${APP%/}"
case "$MODE" in build | push) ;; *) usage ;; esac
case " ${APPS[*]} " in *" $APP "*) ;; *) die "unknown app \"$APP\" (known: ${APPS[*]})" ;; esac
DOCKERFILE="apps/Dockerfile"
[ -f "$ROOT/$DOCKERFILE" ] || die "$DOCKERFILE is missing"

REGISTRY="${REGISTRY:-}"
case "$REGISTRY" in *://*) die "REGISTRY must be host:port without a scheme, got \"$REGISTRY\"" ;; esac
if [ "$MODE" = push ] && [ -z "$REGISTRY" ]; then
  die "REGISTRY is not set: the host:port of Zot (see docs/images-and-registry.md)"
fi

COMMIT="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)"
if [ -z "${TAG:-}" ]; then
  [ -n "$COMMIT" ] || die "not a git checkout: set TAG"
  TAG="${COMMIT:0:12}"
  if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ]; then TAG="$TAG-dirty"; fi
fi
[[ "$TAG" =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$ ]] || die "invalid tag \"$TAG\""
IMAGE="${REGISTRY:+$REGISTRY/}oleada/$APP:$TAG"

PLATFORMS="${PLATFORMS:-}"
if [ "$MODE" = build ] && [[ "$PLATFORMS" == *,* ]]; then
  die "a multi-platform image ($PLATFORMS) cannot be loaded into the local engine: use push"
fi

if [ "${DRY_RUN:-0}" != 1 ]; then
  command -v docker >/dev/null 2>&1 || die "docker CLI not found"
  docker buildx version >/dev/null 2>&1 || die "docker buildx is not available (install the buildx plugin)"
  docker info >/dev/null 2>&1 || die "no Docker engine reachable (docker info failed): start one, or use DRY_RUN=1"
fi

if [ "$MODE" = push ] && [ -n "${ZOT_USERNAME:-}" ] && [ -n "${ZOT_PASSWORD:-}" ]; then
  printf '+ %s\n' "docker login $REGISTRY --username $ZOT_USERNAME --password-stdin"
  if [ "${DRY_RUN:-0}" != 1 ]; then
    printf '%s' "$ZOT_PASSWORD" | docker login "$REGISTRY" --username "$ZOT_USERNAME" --password-stdin >/dev/null
  fi
fi

args=(docker buildx build)
if [ -n "${BUILDER:-}" ]; then args+=(--builder "$BUILDER"); fi
args+=(--file "$DOCKERFILE" --build-arg "APP=$APP" --tag "$IMAGE")
args+=(--build-arg "GIT_COMMIT=${COMMIT:-unknown}")
if [ -n "$PLATFORMS" ]; then args+=(--platform "$PLATFORMS"); fi
if [ "$MODE" = build ]; then
  args+=(--load)
elif [ "${REGISTRY_INSECURE:-0}" = 1 ]; then
  args+=(--output "type=image,name=$IMAGE,push=true,registry.insecure=true")
else
  args+=(--push)
fi
args+=(.)

cd "$ROOT"
run "${args[@]}"
if [ "${DRY_RUN:-0}" = 1 ]; then
  printf 'dry run: would %s %s\n' "$MODE" "$IMAGE"
else
  printf '%s %s\n' "$([ "$MODE" = push ] && echo pushed || echo built)" "$IMAGE"
fi
