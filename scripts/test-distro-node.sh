#!/usr/bin/env bash
# npm run test:distro-node: proves, in bare Debian 12 containers with Debian's
# own nodejs (18.x) rather than this machine's Node, that
#   1. the README's install line (apt-get install nodejs csync2 inotify-tools
#      rsync) plus the single file dist/inotify-csync.mjs runs a two-node csync2
#      cluster on loopback: files and a delete sync both ways, status works;
#   2. apt-get install ./inotify-csync_<version>_all.deb (npm run package:deb)
#      pulls its dependencies from Debian, the packaged command runs the same
#      cluster, its maintainer scripts enable nothing, stop the service on
#      removal and reload systemd, and remove/purge leave nothing behind.
# The checks themselves are docker/distro-node-check.sh, run in one container each.
#
# The engine and the debian:bookworm base (a debootstrap minbase, cached in
# /var/cache/inotify-csync-docker) come from scripts/lib/docker-engine.sh, as for
# test:docker; the containers reach Debian's archive through the engine's NAT.
# Exit 0 with a "SKIP" line when Docker cannot run here; exit 1 when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=debian:bookworm
NAME="inotify-csync-distro-$$"

# shellcheck source=scripts/lib/docker-engine.sh
. scripts/lib/docker-engine.sh
script_start test:distro-node
ensure_docker_tools

remove_containers() {
  docker rm -f "$NAME-single" "$NAME-deb" >/dev/null 2>&1
}

work="$(mktemp -d /tmp/inotify-csync-distro.XXXXXX)"
artifacts="$work/artifacts"
mkdir -p "$artifacts" "$work/apt-archives/partial" "$work/apt-lists/partial"

# --- artifacts (this machine's Node builds them; Debian's runs them) ---------------
OUT_DIR="$artifacts" bash scripts/package-deb.sh | sed 's/^/  /'
cp dist/inotify-csync.mjs docker/distro-node-check.sh "$artifacts/"

# --- engine and base ---------------------------------------------------------------
engine_start
import_bookworm_base
if ! docker run --rm "$BASE_IMAGE" true >"$work/run.log" 2>&1; then
  sed 's/^/  /' "$work/run.log"
  skip "the engine runs but cannot start a container here (see above)"
fi

# --- the checks: one fresh container each; the downloaded .debs are shared ---------
for mode in single deb; do
  mode_started=$(date +%s)
  log "container $NAME-$mode: docker/distro-node-check.sh $mode"
  docker run --rm --name "$NAME-$mode" \
    -v "$artifacts:/artifacts:ro" \
    -v "$work/apt-archives:/var/cache/apt/archives" \
    -v "$work/apt-lists:/var/lib/apt/lists" \
    "$BASE_IMAGE" bash /artifacts/distro-node-check.sh "$mode" 2>&1 | sed 's/^/  /' \
    || fail "docker/distro-node-check.sh $mode failed (its output above)"
  log "$mode: passed in $(( $(date +%s) - mode_started )) s"
done
log "PASS: Debian 12's own nodejs runs the single file and the .deb on a two-node cluster"
