#!/usr/bin/env bash
# npm run test:docker: builds and runs the docker/ two-node cluster for real
# and runs docker/check.sh against it, on a machine with no container registry.
#
# - Installs docker.io, docker-compose and debootstrap with apt-get when missing (root).
# - Uses a running Docker engine if there is one, else starts its own dockerd with
#   its data, exec root and socket in a temporary directory, and stops it after.
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
CACHE_DIR="${INOTIFY_CSYNC_DOCKER_CACHE:-/var/cache/inotify-csync-docker}"
PROJECT="inotify-csync-test-$$"
COMPOSE_FILE=docker/docker-compose.yml
started=$(date +%s)

log() { echo "test:docker: $*"; }
skip() { log "SKIP: $*"; exit 0; }
fail() { log "FAIL: $*"; exit 1; }

[ "$(uname -s)" = Linux ] || skip "needs Linux (this is $(uname -s))"
[ "$(id -u)" = 0 ] || skip "needs root to start dockerd and debootstrap (run as root, or use an engine yourself: docker compose -f $COMPOSE_FILE up --build)"

# --- tools -------------------------------------------------------------------
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker >/dev/null || need+=(docker.io)
{ docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null; } || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ "${#need[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || skip "missing ${need[*]} and no apt-get to install them"
  log "installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } \
    || skip "apt-get install ${need[*]} failed"
fi
if docker compose version >/dev/null 2>&1; then compose_base=(docker compose); else compose_base=(docker-compose); fi
log "compose: ${compose_base[*]} $("${compose_base[@]}" version --short 2>/dev/null || true)"
compose_base+=(-p "$PROJECT")
compose=("${compose_base[@]}" -f "$COMPOSE_FILE")

# The compose file must be valid before any engine is involved.
"${compose[@]}" config -q || fail "$COMPOSE_FILE is not a valid compose file"
log "$COMPOSE_FILE: valid (${compose_base[0]} config)"

# --- teardown (runs on every exit) -----------------------------------------
work=""
dockerd_pid=""
own_engine=0
imported_base=0
compose_up=0
had_docker0=0
had_docker_chain=0
forward_policy=""
ip_forward=""
had_run_docker=0
had_key_json=0

cleanup() {
  local status=$?
  set +e
  if [ "$compose_up" = 1 ]; then
    log "teardown: containers, network, volume and images of $PROJECT"
    "${compose[@]}" down -v --rmi local --remove-orphans >/dev/null 2>&1
  fi
  if [ "$imported_base" = 1 ] && [ "$own_engine" = 0 ]; then docker rmi "$BASE_IMAGE" >/dev/null 2>&1; fi
  if [ -n "$dockerd_pid" ]; then
    log "teardown: stopping dockerd (PID $dockerd_pid)"
    kill -TERM "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 200); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$dockerd_pid" 2>/dev/null
    restore_network
  fi
  if [ -n "$work" ]; then
    # Mounts left by a killed engine (overlay, netns) must go before the tree.
    grep -o " $work/[^ ]*" /proc/mounts | sort -r | while read -r mnt; do umount -l "$mnt"; done
    rm -rf "$work"
  fi
  log "done in $(( $(date +%s) - started )) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Puts back what dockerd changed in the host's network when it was not there before.
restore_network() {
  if [ "$had_docker0" = 0 ] && ip link show docker0 >/dev/null 2>&1; then ip link delete docker0; fi
  if [ "$had_docker_chain" = 0 ] && command -v iptables >/dev/null; then
    local table rule chain
    for table in filter nat; do
      iptables -t "$table" -S 2>/dev/null | grep -E '^-A .*(DOCKER|docker0)' | while read -r rule; do
        # shellcheck disable=SC2086 # a rule is a list of words
        iptables -t "$table" ${rule/#-A/-D} 2>/dev/null
      done
      iptables -t "$table" -S 2>/dev/null | sed -n 's/^-N \(DOCKER[A-Z0-9-]*\)$/\1/p' | while read -r chain; do
        iptables -t "$table" -F "$chain" 2>/dev/null
        iptables -t "$table" -X "$chain" 2>/dev/null
      done
    done
    if [ -n "$forward_policy" ]; then iptables -P FORWARD "$forward_policy" 2>/dev/null; fi
  fi
  if [ -n "$ip_forward" ]; then sysctl -qw net.ipv4.ip_forward="$ip_forward" >/dev/null 2>&1; fi
  # dockerd also leaves its plugin directory and its identity key behind.
  if [ "$had_run_docker" = 0 ]; then rm -rf /run/docker; fi
  if [ "$had_key_json" = 0 ]; then rm -f /etc/docker/key.json; fi
}

work="$(mktemp -d /tmp/inotify-csync-docker.XXXXXX)"

# --- engine ------------------------------------------------------------------
if docker version >/dev/null 2>&1; then
  log "using the running Docker engine ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
else
  ip link show docker0 >/dev/null 2>&1 && had_docker0=1
  if command -v iptables >/dev/null; then
    iptables -t nat -S DOCKER >/dev/null 2>&1 && had_docker_chain=1
    forward_policy="$(iptables -S FORWARD 2>/dev/null | sed -n 's/^-P FORWARD //p' || true)"
  fi
  ip_forward="$(sysctl -n net.ipv4.ip_forward 2>/dev/null || true)"
  [ -e /run/docker ] && had_run_docker=1
  [ -e /etc/docker/key.json ] && had_key_json=1
  export DOCKER_HOST="unix://$work/docker.sock"
  mkdir -p "$work/data" "$work/exec"
  log "starting dockerd (data root $work/data)"
  dockerd --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/dockerd.pid" \
    -H "$DOCKER_HOST" >"$work/dockerd.log" 2>&1 </dev/null &
  dockerd_pid=$!
  own_engine=1
  for _ in $(seq 1 300); do
    docker version >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! docker version >/dev/null 2>&1; then
    log "dockerd log (last lines):"
    tail -n 15 "$work/dockerd.log" | sed 's/^/  /'
    skip "dockerd could not start here (see its log above)"
  fi
  log "dockerd $(docker version --format '{{.Server.Version}}') runs (PID $dockerd_pid)"
fi

# --- base image ---------------------------------------------------------------
debian_mirror() {
  local uri
  uri="$(sed -n 's/^URIs:[[:space:]]*\(http[^ ]*debian\/\{0,1\}\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)"
  [ -n "$uri" ] || uri="$(sed -n 's/^deb[[:space:]]\+\(http[^ ]*debian\/\{0,1\}\)[[:space:]]\+bookworm[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1 || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

build_base() {
  local tarball="$CACHE_DIR/bookworm-minbase.tar" rootfs="$work/rootfs" node npm_dir lib
  if [ ! -s "$tarball" ]; then
    local mirror
    mirror="$(debian_mirror)"
    log "debootstrap --variant=minbase bookworm from $mirror (cached in $tarball)"
    timeout 900 debootstrap --variant=minbase bookworm "$work/debootstrap" "$mirror" >"$work/debootstrap.log" 2>&1 \
      || { tail -n 20 "$work/debootstrap.log"; skip "debootstrap from $mirror failed: no base image can be built here"; }
    mkdir -p "$CACHE_DIR"
    tar -C "$work/debootstrap" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$work/debootstrap"
  fi
  mkdir -p "$rootfs"
  tar -C "$rootfs" -xf "$tarball"
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
