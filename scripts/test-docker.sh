#!/usr/bin/env bash
# npm run test:docker: builds and runs the docker/ two-node cluster for real
# and runs docker/check.sh against it, on a machine with no container registry.
#
# - Installs docker.io, docker-compose and debootstrap with apt-get when missing (root).
# - Uses a running Docker engine if there is one, else starts its own dockerd with
#   its data, exec root and socket in a temporary directory, and stops it after
#   (scripts/lib/docker-engine.sh, shared with scripts/test-distro-node.sh).
# - node:20-bookworm-slim cannot be pulled: when the engine lacks it, it is built
#   here under that tag from a debootstrap minbase (tarball cached in $CACHE_DIR)
#   plus this machine's node and npm, so docker/Dockerfile builds unchanged.
# - Tears down containers, networks, volumes and images it made, and the engine.
#
# Exit 0 with a "SKIP" line when Docker cannot run here (not root, no engine can
# start, containers cannot run); exit 1 when the cluster runs but does not sync.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=node:20-bookworm-slim
PROJECT="inotify-csync-test-$$"
COMPOSE_FILE=docker/docker-compose.yml

# shellcheck source=scripts/lib/docker-engine.sh
. scripts/lib/docker-engine.sh
script_start test:docker "or use an engine yourself: docker compose -f $COMPOSE_FILE up --build"

# --- tools -------------------------------------------------------------------
compose_need=()
{ docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null; } || compose_need+=(docker-compose)
ensure_docker_tools "${compose_need[@]}"
if docker compose version >/dev/null 2>&1; then compose_base=(docker compose); else compose_base=(docker-compose); fi
log "compose: ${compose_base[*]} $("${compose_base[@]}" version --short 2>/dev/null || true)"
compose_base+=(-p "$PROJECT")
compose=("${compose_base[@]}" -f "$COMPOSE_FILE")

# The compose file must be valid before any engine is involved.
"${compose[@]}" config -q || fail "$COMPOSE_FILE is not a valid compose file"
log "$COMPOSE_FILE: valid (${compose_base[0]} config)"

# --- teardown (runs on every exit) -----------------------------------------
compose_up=0

remove_containers() {
  if [ "${compose_up:-0}" = 1 ]; then
    log "teardown: containers, network, volume and images of $PROJECT"
    "${compose[@]}" down -v --rmi local --remove-orphans >/dev/null 2>&1
  fi
}

work="$(mktemp -d /tmp/inotify-csync-docker.XXXXXX)"

# --- engine ------------------------------------------------------------------
engine_start

# --- base image ---------------------------------------------------------------
build_base() {
  local rootfs="$work/rootfs" node npm_dir lib
  bookworm_rootfs "$rootfs"
  # The official image keeps node and npm in /usr/local.
  node="$(readlink -f "$(command -v node)")"
  install -D -m 755 "$node" "$rootfs/usr/local/bin/node"
  for lib in $(ldd "$node" | awk '$3 ~ /^\// {print $3}'); do
    [ -e "$rootfs$lib" ] || [ -e "$rootfs/usr$lib" ] || install -D "$(readlink -f "$lib")" "$rootfs$lib"
  done
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  local changes=(-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["node"]')
  # This machine may reach the npm registry through a TLS proxy whose CA only it trusts.
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    install -D -m 644 "$NODE_EXTRA_CA_CERTS" "$rootfs/usr/local/share/host-ca-certificates.crt"
    changes+=(-c 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca-certificates.crt')
  fi
  tar -C "$rootfs" -c . | docker import "${changes[@]}" - "$BASE_IMAGE" >/dev/null \
    || skip "the engine cannot import a base image here (docker import failed)"
  rm -rf "$rootfs"
  imported_base=1
  log "built $BASE_IMAGE locally: debootstrap minbase + node $("$node" --version) + npm $(npm --version 2>/dev/null)"
}

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "$BASE_IMAGE is already in the engine: used as it is"
else
  build_base
fi
if ! docker run --rm "$BASE_IMAGE" node -e 'process.exit(0)' >"$work/run.log" 2>&1; then
  sed 's/^/  /' "$work/run.log"
  skip "the engine runs but cannot start a container here (see above)"
fi

# --- the cluster ----------------------------------------------------------------
log "building and starting node1 and node2"
compose_up=1
build_started=$(date +%s)
timeout 900 "${compose[@]}" build >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; fail "the image did not build"; }
"${compose[@]}" up -d || fail "the cluster did not start"
log "built and started in $(( $(date +%s) - build_started )) s"

for node in node1 node2; do
  deadline=$(( $(date +%s) + 60 ))
  until "${compose[@]}" logs --no-color "$node" 2>/dev/null | grep -q ' running: watching '; do
    if [ "$(date +%s)" -gt "$deadline" ]; then
      "${compose[@]}" logs --no-color --tail 40 "$node"
      fail "$node did not report running within 60 s"
    fi
    sleep 0.2
  done
done
log "both daemons run"

if ! COMPOSE="${compose_base[*]}" CHECK_TIMEOUT=30 docker/check.sh; then
  "${compose[@]}" logs --no-color --tail 60
  fail "the docker cluster does not sync"
fi
log "PASS: the docker cluster syncs both ways and deletes"
