#!/usr/bin/env bash
# npm run test:systemd: the shipped template unit under a real systemd as PID 1.
# Two Debian 12 containers (node1, node2 on one docker network) boot
# /lib/systemd/systemd with only systemd, systemd-sysv and dbus installed: a bare
# server. docker/systemd-check.sh then runs the four lines of the README's first
# screen on them (apt-get install of the tools and of the .deb from npm run
# package:deb, csync2 -k, systemctl enable --now inotify-csync@$(hostname)) and
# checks READY after the start-up full sync, STATUS=, syncing both ways,
# systemctl reload, csync2's port held by the socket unit through a restart,
# the watchdog, systemctl stop and a kill -9.
#
# The engine and the debian:bookworm base (a debootstrap minbase, cached in
# /var/cache/inotify-csync-docker) come from scripts/lib/docker-engine.sh.
# Where no container can boot systemd here, it says why, runs systemd-analyze
# verify on the packaged unit instead, and exits 0 with a "SKIP" line; exit 1
# when a check fails. INOTIFY_CSYNC_SYSTEMD_FALLBACK=1 takes that fallback path
# on purpose (to try it where systemd does boot).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=debian:bookworm
NAME="inotify-csync-systemd-$$"
IMAGE="$NAME-image:latest"
NETWORK="$NAME-net"
NODES=(node1 node2)

# shellcheck source=scripts/lib/docker-engine.sh
. scripts/lib/docker-engine.sh
script_start test:systemd
ensure_docker_tools

image_built=0
remove_containers() {
  local node
  for node in "${NODES[@]}"; do docker rm -f "$NAME-$node" >/dev/null 2>&1; done
  docker rm -f "$NAME-build" >/dev/null 2>&1
  docker network rm "$NETWORK" >/dev/null 2>&1
  if [ "${image_built:-0}" = 1 ]; then docker rmi "$IMAGE" >/dev/null 2>&1; fi
}

work="$(mktemp -d /tmp/inotify-csync-systemd.XXXXXX)"
artifacts="$work/artifacts"
mkdir -p "$artifacts" "$work/apt-archives/partial"

# The lines under the README's "On a server" marker, exactly as written there.
readme_lines() {
  awk '/npm run test:systemd runs these four lines/ { found = 1; next }
       found && /^```sh/ { inside = 1; next }
       inside && /^```/ { exit }
       inside { print }' README.md
}

# Builds $IMAGE: the debian:bookworm base plus systemd, systemd-sysv and dbus,
# with Debian's security updates listed as on a server; nothing of ours.
build_image() {
  import_bookworm_base
  local script='set -e
    if ! grep -rqs bookworm-security /etc/apt/sources.list /etc/apt/sources.list.d; then
      echo "deb http://deb.debian.org/debian-security bookworm-security main" >>/etc/apt/sources.list
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus >/dev/null
    apt-get clean
    # No console in a container: no getty to start.
    systemctl mask getty@tty1.service console-getty.service >/dev/null 2>&1'
  local build_started
  build_started=$(date +%s)
  docker run --name "$NAME-build" "$BASE_IMAGE" bash -c "$script" >"$work/build.log" 2>&1 \
    || { tail -n 30 "$work/build.log"; fail "installing systemd into $BASE_IMAGE failed"; }
  docker commit -c 'ENV container=docker' \
    -c 'CMD ["/lib/systemd/systemd"]' "$NAME-build" "$IMAGE" >/dev/null
  docker rm "$NAME-build" >/dev/null
  image_built=1
  log "built $IMAGE (bookworm + systemd, systemd-sysv, dbus) in $(( $(date +%s) - build_started )) s"
}

# Starts one node with systemd as PID 1 (the nodes install one after the other,
# so they share one directory of downloaded packages). The host's cgroup tree
# is cgroup v1 here (a hybrid layout), which systemd in a container only uses
# with the host's hierarchy mounted read-write and the host cgroup namespace.
# Not --privileged: it asks for every capability, and runc refuses ("unable to
# apply caps") where the host's bounding set lacks one (CAP_SYS_RESOURCE on the
# machine this was written on); every capability the host has does.
start_node() {
  local node="$1" caps=() missing
  missing="$(missing_caps)"
  if [ -n "$missing" ]; then
    caps=(--cap-add ALL)
    for cap in $missing; do caps+=(--cap-drop "$cap"); done
  else
    caps=(--privileged)
  fi
  docker run -d --name "$NAME-$node" --hostname "$node" \
    --network "$NETWORK" --network-alias "$node" \
    "${caps[@]}" --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    -v "$artifacts:/artifacts:ro" -v "$work/apt-archives:/var/cache/apt/archives" \
    "$IMAGE" >"$work/run-$node.log" 2>&1
}

# The capabilities (docker's names) missing from this process's bounding set.
missing_caps() {
  local bnd bit name names
  bnd=$(( 16#$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status) ))
  names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
    NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
    SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
    AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ)
  for bit in "${!names[@]}"; do
    name="${names[$bit]}"
    if (( (bnd >> bit & 1) == 0 )); then echo "$name"; fi
  done
}

# systemd reached "running" (or "degraded", with the failed units listed).
wait_for_boot() {
  local node="$1" state
  state="$(timeout 120 docker exec "$NAME-$node" systemctl is-system-running --wait 2>/dev/null || true)"
  case "$state" in
    running) log "$node: systemd $(docker exec "$NAME-$node" systemctl --version | head -n 1 | cut -d' ' -f2) is PID 1, system running" ;;
    degraded)
      log "$node: system degraded; failed units: $(docker exec "$NAME-$node" systemctl --failed --plain --no-legend | cut -d' ' -f1 | paste -sd' ')" ;;
    *) return 1 ;;
  esac
}

# The strongest check left when systemd cannot boot in a container here.
fallback_verify() {
  local reason="$1"
  log "systemd cannot run as PID 1 here: $reason"
  docker logs "$NAME-node1" 2>&1 | tail -n 15 | sed 's/^/  node1 console: /' || true
  log "fallback: systemd-analyze verify of the packaged unit, in a container without systemd as PID 1"
  docker run --rm -v "$artifacts:/artifacts:ro" "$IMAGE" bash -c '
    set -euo pipefail
    # Without its dependencies: verify only needs the unit and its ExecStart= binary
    # (--man=no: no man(1) in the image to check Documentation= with).
    dpkg -i --force-depends /artifacts/inotify-csync_*_all.deb >/dev/null 2>&1
    systemd-analyze verify --man=no /lib/systemd/system/inotify-csync@node1.socket /lib/systemd/system/inotify-csync@node1.service' 2>&1 | sed 's/^/  /' \
    || fail "systemd-analyze verify found errors in the packaged unit"
  skip "systemd did not boot in a container here ($reason); only systemd-analyze verify ran, and passed"
}

# --- artifacts ---------------------------------------------------------------------
OUT_DIR="$artifacts" bash scripts/package-deb.sh | sed 's/^/  /'
readme_lines >"$artifacts/readme-lines.sh"
[ "$(grep -c . "$artifacts/readme-lines.sh")" = 4 ] || { cat "$artifacts/readme-lines.sh"; fail "README.md: expected four lines under 'npm run test:systemd runs these four lines'"; }
log "README's four lines:"
sed 's/^/  | /' "$artifacts/readme-lines.sh"

# --- engine, image, nodes ------------------------------------------------------------
engine_start
log "host cgroup file system: $(stat -fc %T /sys/fs/cgroup) ($( [ -e /sys/fs/cgroup/unified ] && echo 'hybrid v1 + unified' || echo 'cgroup v2 or v1'))"
build_image
docker network create "$NETWORK" >/dev/null
missing="$(missing_caps | paste -sd' ')"
[ -z "$missing" ] || log "this host's capability bounding set lacks $missing: the nodes get every other capability instead of --privileged"
if [ "${INOTIFY_CSYNC_SYSTEMD_FALLBACK:-0}" = 1 ]; then
  fallback_verify "INOTIFY_CSYNC_SYSTEMD_FALLBACK=1 asked for the fallback"
fi
for node in "${NODES[@]}"; do
  start_node "$node" || fallback_verify "docker run of $node failed: $(tr '\n' ' ' <"$work/run-$node.log")"
done
for node in "${NODES[@]}"; do
  wait_for_boot "$node" || fallback_verify "$node did not reach systemctl is-system-running within 120 s (state: $(docker exec "$NAME-$node" systemctl is-system-running 2>&1 || true))"
done

# --- the checks -------------------------------------------------------------------------
checks_started=$(date +%s)
bash docker/systemd-check.sh "$NAME-node1" "$NAME-node2" "$artifacts/readme-lines.sh" \
  || fail "docker/systemd-check.sh failed (its output above)"
log "PASS: the packaged unit under systemd as PID 1, from the README's four lines (checks: $(( $(date +%s) - checks_started )) s)"
