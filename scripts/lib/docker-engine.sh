# Sourced by scripts/test-docker.sh, test-distro-node.sh and test-systemd.sh: a Docker
# engine and a Debian 12 base on a machine with no container registry.
#
# - Uses a running Docker engine if there is one, else starts its own dockerd
#   with its data, exec root and socket under $work, and stops it after,
#   putting back what it changed in the host's network.
# - The base is a debootstrap --variant=minbase bookworm, cached as a tarball in
#   $CACHE_DIR (/var/cache/inotify-csync-docker unless INOTIFY_CSYNC_DOCKER_CACHE).
#
# The caller calls script_start (log, skip and fail, the checks every such
# test needs, and the EXIT trap finish_script), may define remove_containers,
# and sets $work (a private temporary directory).
# shellcheck shell=bash

CACHE_DIR="${INOTIFY_CSYNC_DOCKER_CACHE:-/var/cache/inotify-csync-docker}"
work="${work:-}"
dockerd_pid=""
own_engine=0
had_docker0=0
had_docker_chain=0
forward_policy=""
ip_forward=""
had_run_docker=0
had_key_json=0

# Defines log, skip and fail with the script's name as prefix, and skips unless
# this is Linux and root. $2: more advice for a user who is not root.
script_start() {
  script_name="$1"
  log() { echo "$script_name: $*"; }
  skip() { log "SKIP: $*"; exit 0; }
  fail() { log "FAIL: $*"; exit 1; }
  [ "$(uname -s)" = Linux ] || skip "needs Linux (this is $(uname -s))"
  [ "$(id -u)" = 0 ] || skip "needs root to start dockerd and debootstrap (run as root${2:+, $2})"
  started=$(date +%s)
  imported_base=0
  trap finish_script EXIT
  trap 'exit 130' INT TERM
}

# The EXIT trap: the script's own remove_containers (if it defines one), the
# base image this run imported into an engine it keeps, the engine, the time.
finish_script() {
  local status=$?
  set +e
  if declare -F remove_containers >/dev/null; then remove_containers; fi
  if [ "$imported_base" = 1 ] && [ "$own_engine" = 0 ]; then docker rmi "$BASE_IMAGE" >/dev/null 2>&1; fi
  engine_teardown
  log "done in $(( $(date +%s) - started )) s"
  exit "$status"
}

# Installs what is missing of dockerd, docker and debootstrap (and the packages
# named as arguments) with apt-get, or skips.
ensure_docker_tools() {
  local need=("$@")
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v docker >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  [ "${#need[@]}" -gt 0 ] || return 0
  command -v apt-get >/dev/null || skip "missing ${need[*]} and no apt-get to install them"
  log "installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } \
    || skip "apt-get install ${need[*]} failed"
}

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

# Stops the dockerd this script started, then removes $work. Call with set +e.
engine_teardown() {
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
}

# Uses the running engine, or starts dockerd under $work; skips when none can run.
engine_start() {
  if docker version >/dev/null 2>&1; then
    log "using the running Docker engine ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    return 0
  fi
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
}

debian_mirror() {
  local uri
  uri="$(sed -n 's/^URIs:[[:space:]]*\(http[^ ]*debian\/\{0,1\}\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)"
  [ -n "$uri" ] || uri="$(sed -n 's/^deb[[:space:]]\+\(http[^ ]*debian\/\{0,1\}\)[[:space:]]\+bookworm[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1 || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}

# Unpacks a Debian 12 minbase into directory $1: debootstrap once, then the cached tarball.
bookworm_rootfs() {
  local rootfs="$1" tarball="$CACHE_DIR/bookworm-minbase.tar"
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
}

# Makes $BASE_IMAGE (debian:bookworm) from the cached debootstrap minbase unless
# the engine has it; sets imported_base=1 when this run imported it.
import_bookworm_base() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "$BASE_IMAGE is already in the engine: used as it is"
    return
  fi
  bookworm_rootfs "$work/rootfs"
  tar -C "$work/rootfs" -c . | docker import -c 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null \
    || skip "the engine cannot import a base image here (docker import failed)"
  rm -rf "$work/rootfs"
  imported_base=1
  log "built $BASE_IMAGE locally from a debootstrap minbase"
}
