#!/usr/bin/env bash
# Runs inside a bare Debian 12 container (scripts/test-distro-node.sh) as root,
# with the checkout's artifacts in /artifacts. Proves, with Debian's own nodejs:
#   single  the README's install line plus the single file: a two-node csync2
#           cluster on loopback syncs, both ways, under Node 18.
#   deb     apt-get install ./inotify-csync_*.deb pulls nodejs, csync2 and
#           inotify-tools from Debian; the packaged command runs the same
#           cluster; apt-get remove and purge leave nothing of it behind.
# Exit 0 when every step passes, 1 at the first that does not.
set -euo pipefail

MODE="${1:?usage: distro-node-check.sh single|deb}"
ARTIFACTS=/artifacts
TIMEOUT_S="${CHECK_TIMEOUT:-30}"
export DEBIAN_FRONTEND=noninteractive

log() { echo "distro-node[$MODE]: $*"; }
fail() { log "FAIL: $*"; exit 1; }
now_ms() { date +%s%3N; }

# waits until the command succeeds, or fails after $TIMEOUT_S seconds
wait_until() {
  local what="$1"; shift
  local started deadline
  started=$(now_ms)
  deadline=$(( started + TIMEOUT_S * 1000 ))
  until "$@" 2>/dev/null; do
    [ "$(now_ms)" -le "$deadline" ] || { show_logs; fail "$what (not within $TIMEOUT_S s)"; }
    sleep 0.1
  done
  log "ok: $what ($(( $(now_ms) - started )) ms)"
}

# Node 18.19 or later from Debian's archive, not another node on PATH.
check_node() {
  local version
  [ "$(command -v node)" = /usr/bin/node ] || fail "node is $(command -v node || echo missing), not Debian's /usr/bin/node"
  version="$(node --version)"
  log "node --version: $version (Debian package nodejs $(dpkg-query -W -f '${Version}' nodejs))"
  case "$version" in
    v18.19.* | v18.2[0-9].*) ;;
    *) fail "expected Node 18.19 or a later 18.x from Debian 12, got $version" ;;
  esac
}

W=""
pids=()
show_logs() {
  local f
  for f in "$W"/*.log; do [ -e "$f" ] && { echo "--- $f (last lines)"; tail -n 25 "$f"; }; done
}
stop_daemons() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
trap 'stop_daemons' EXIT

# Two nodes on 127.0.0.2 and 127.0.0.3 (/work/shared/CLUSTER.md), each run by
# its own command: $1 on node A (in thread mode: the worker loads the file
# itself), $2 on node B. A file written on each arrives on the other with the
# same bytes; a delete on A reaches B.
cluster_check() {
  local bin_a="$1" bin_b="$2" host
  W="$(mktemp -d /tmp/cluster.XXXXXX)"
  mkdir -p "$W"/{etc,dbA,dbB,a,b,tmp}
  csync2 -k "$W/etc/csync2.key"
  cat >"$W/etc/csync2.cfg" <<EOF
nossl * *;
tempdir $W/tmp;
group distro
{
  host 127.0.0.2 127.0.0.3;
  key $W/etc/csync2.key;
  include %data%;
  exclude *.tmp;
  auto younger;
}
prefix data
{
  on 127.0.0.2: $W/a;
  on 127.0.0.3: $W/b;
}
EOF
  export CSYNC2_SYSTEM_DIR="$W/etc"
  "$bin_a" -N 127.0.0.2 -D "$W/dbA" --queue-file "$W/qA/queue" --mode thread --disable-rsync >"$W/A.log" 2>&1 &
  pids+=($!)
  "$bin_b" -N 127.0.0.3 -D "$W/dbB" --queue-file "$W/qB/queue" --disable-rsync >"$W/B.log" 2>&1 &
  pids+=($!)
  for host in A B; do
    wait_until "node $host runs (FULL SYNC done, watching)" grep -q ' running: watching ' "$W/$host.log"
  done
  # Two daemons in one network namespace: each lock is a socket file in its
  # queue's directory, and status finds it.
  "$bin_a" status --queue-file "$W/qA/queue" >"$W/status.txt" 2>&1 || { cat "$W/status.txt"; fail "status of running node A did not exit 0"; }
  log "ok: status: $(head -n 1 "$W/status.txt")"
  # A second daemon on node A's queue is refused, naming the running one.
  local refused=0
  "$bin_a" -N 127.0.0.2 -D "$W/dbA" --queue-file "$W/qA/queue" --disable-rsync --no-server >"$W/second.log" 2>&1 || refused=$?
  [ "$refused" = 1 ] && grep -q "another inotify-csync (PID ${pids[0]}, uid 0) already runs" "$W/second.log" \
    || { cat "$W/second.log"; fail "a second daemon on node A's queue was not refused (exit $refused)"; }
  log "ok: a second daemon on the same queue: $(tail -n 1 "$W/second.log")"
  # Both daemons' node is Debian's: the process that runs each command.
  local pid exe
  for pid in "${pids[@]}"; do
    exe="$(readlink "/proc/$pid/exe")"
    [ "$exe" = /usr/bin/node ] || fail "daemon PID $pid runs $exe, not /usr/bin/node"
  done

  head -c 200000 /dev/urandom >"$W/one.bin"
  head -c 300000 /dev/urandom >"$W/two.bin"
  cp "$W/one.bin" "$W/a/one.bin"
  wait_until "A -> B: one.bin, same bytes" cmp -s "$W/one.bin" "$W/b/one.bin"
  mkdir "$W/b/sub"
  cp "$W/two.bin" "$W/b/sub/two.bin"
  wait_until "B -> A: sub/two.bin, same bytes" cmp -s "$W/two.bin" "$W/a/sub/two.bin"
  # SIGKILL leaves the lock's socket file behind: the next daemon takes it over.
  kill -KILL "${pids[0]}"
  wait "${pids[0]}" 2>/dev/null || true
  compgen -G "$W/qA/queue.lock.${pids[0]}-*.sock" >/dev/null || fail "no lock socket file $W/qA/queue.lock.${pids[0]}-NONCE.sock left by the killed daemon"
  "$bin_a" -N 127.0.0.2 -D "$W/dbA" --queue-file "$W/qA/queue" --mode thread --disable-rsync >"$W/A2.log" 2>&1 &
  pids[0]=$!
  wait_until "node A restarted after SIGKILL, over its stale lock socket" grep -q ' running: watching ' "$W/A2.log"
  rm "$W/a/one.bin"
  wait_until "delete on A: one.bin gone from B" test ! -e "$W/b/one.bin"
  stop_daemons
  grep -q 'SIGTERM received' "$W/A2.log" || { show_logs; fail "node A did not log its SIGTERM drain"; }
  rm -rf "$W"
}

# What the maintainer scripts ask of systemd, as on a host where it runs: a
# recording systemctl stands in (no systemd runs in this container), reached
# directly and through deb-systemd-invoke. Then removal and purge leave nothing.
maintainer_scripts_check() {
  local deb="$1" calls=/tmp/systemctl.calls
  # In /usr/bin: apt runs dpkg with PATH=/usr/sbin:/usr/bin:/sbin:/bin (DPkg::Path).
  [ ! -e /usr/bin/systemctl ] || fail "a systemctl is installed here: this check needs a container without systemd"
  mkdir -p /run/systemd/system
  rm -f "$calls"
  printf '#!/bin/sh\necho "$*" >>%s\n' "$calls" >/usr/bin/systemctl
  chmod 755 /usr/bin/systemctl
  expect_calls() {
    local what="$1" expected="$2" got
    got="$(cat "$calls" 2>/dev/null || true)"
    rm -f "$calls"
    [ "$got" = "$expected" ] || fail "$what: systemctl was called with
$got
instead of
$expected"
    log "ok: $what: systemctl $(echo "$expected" | paste -sd ';' | sed 's/;/; systemctl /g')"
  }
  # An instance an admin enabled, and the daemon's state, for purge to clean up.
  mkdir -p /etc/systemd/system/multi-user.target.wants /etc/systemd/system/sockets.target.wants /var/lib/inotify-csync
  ln -s /lib/systemd/system/inotify-csync@.service /etc/systemd/system/multi-user.target.wants/inotify-csync@h1.service
  ln -s /lib/systemd/system/inotify-csync@.socket /etc/systemd/system/sockets.target.wants/inotify-csync@h1.socket
  touch /var/lib/inotify-csync/h1.queue

  dpkg -i "$deb" >/dev/null
  expect_calls "upgrade (postinst configure OLD)" "--system daemon-reload
try-restart inotify-csync@*.service inotify-csync.service"
  apt-get remove -y -qq inotify-csync >/dev/null
  expect_calls "apt-get remove (prerm remove, postrm remove)" "stop inotify-csync@*.socket inotify-csync.socket
stop inotify-csync@*.service inotify-csync.service
--system daemon-reload"
  for f in /usr/bin/inotify-csync /usr/bin/inotify_csync /usr/lib/inotify-csync /lib/systemd/system/inotify-csync@.service /lib/systemd/system/inotify-csync@.socket /usr/share/man/man8/inotify-csync.8.gz; do
    [ ! -e "$f" ] || fail "$f is still there after apt-get remove"
  done
  log "ok: apt-get remove: no /usr/bin/inotify-csync, no unit, no man page"
  apt-get purge -y -qq inotify-csync >/dev/null
  expect_calls "apt-get purge (postrm purge)" "--system daemon-reload"
  [ -z "$(dpkg-query -W -f '${Status}' inotify-csync 2>/dev/null | grep -v not-installed || true)" ] \
    || fail "inotify-csync is still known to dpkg after purge"
  [ ! -L /etc/systemd/system/multi-user.target.wants/inotify-csync@h1.service ] || fail "purge left the enabled instance's link"
  [ ! -L /etc/systemd/system/sockets.target.wants/inotify-csync@h1.socket ] || fail "purge left the enabled socket's link"
  [ ! -e /var/lib/inotify-csync ] || fail "purge left /var/lib/inotify-csync"
  log "ok: purge: nothing left, the enable link and the state directory neither"
  dpkg -i "$deb" >/dev/null
  expect_calls "fresh install (postinst configure): reload only, nothing enabled or started" "--system daemon-reload"
  [ -z "$(find /etc/systemd/system -name 'inotify-csync*' 2>/dev/null)" ] || fail "installing enabled a unit"
  dpkg --purge inotify-csync >/dev/null
  rm -f /tmp/systemctl.calls /usr/bin/systemctl
  rmdir /run/systemd/system
}

# A Debian 12 server also has its security updates (nodejs 18 gets them there).
if grep -q '^deb http://deb.debian.org/debian bookworm main' /etc/apt/sources.list \
  && ! grep -rqs 'bookworm-security' /etc/apt/sources.list /etc/apt/sources.list.d; then
  echo 'deb http://deb.debian.org/debian-security bookworm-security main' >>/etc/apt/sources.list
fi
apt-get update -qq

case "$MODE" in
  single)
    # The README's install line, then the single file installed as the README says.
    log "apt-get install nodejs csync2 inotify-tools rsync"
    apt-get install -y -qq nodejs csync2 inotify-tools rsync >/dev/null
    check_node
    install -D -m 755 "$ARTIFACTS/inotify-csync.mjs" /usr/local/lib/inotify-csync/inotify-csync.mjs
    ln -sf ../lib/inotify-csync/inotify-csync.mjs /usr/local/bin/inotify-csync
    log "inotify-csync --version: $(inotify-csync --version)"
    # cac's commands need the CustomEvent shim on Node 18: an unknown command is a usage error (2).
    rc=0; inotify-csync bogus-command 2>/dev/null || rc=$?
    [ "$rc" = 2 ] || fail "an unknown command exited $rc, not 2"
    rc=0; inotify-csync status -N nobody >/dev/null 2>&1 || rc=$?
    [ "$rc" = 3 ] || fail "status of a stopped daemon exited $rc, not 3"
    cluster_check /usr/local/bin/inotify-csync /usr/local/bin/inotify-csync
    ;;
  deb)
    deb="$(ls "$ARTIFACTS"/inotify-csync_*_all.deb)"
    log "apt-get install ./$(basename "$deb") on a bare Debian 12"
    apt-get install -y -qq "$deb" >/dev/null
    for pkg in nodejs csync2 inotify-tools libsqlite3-0 rsync inotify-csync; do
      [ "$(dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null)" = 'install ok installed' ] || fail "$pkg was not installed with the package"
    done
    log "installed: inotify-csync $(dpkg-query -W -f '${Version}' inotify-csync) and its dependencies from Debian"
    check_node
    [ -x /usr/bin/inotify-csync ] || fail "/usr/bin/inotify-csync is missing"
    cmp -s "$(readlink -f /usr/bin/inotify-csync)" "$ARTIFACTS/inotify-csync.mjs" || fail "the packaged command is not the single file"
    log "inotify-csync --version: $(inotify-csync --version)"
    inotify-csync --help | grep -q 'Usage:' || fail "inotify-csync --help printed no usage"
    for f in /lib/systemd/system/inotify-csync@.service /lib/systemd/system/inotify-csync@.socket /usr/share/doc/inotify-csync/README.md.gz \
      /usr/share/doc/inotify-csync/copyright /usr/share/doc/inotify-csync/changelog.Debian.gz \
      /usr/share/man/man8/inotify-csync.8.gz; do
      [ -e "$f" ] || fail "$f is missing"
    done
    grep -q '^ExecStart=/usr/bin/inotify-csync ' /lib/systemd/system/inotify-csync@.service || fail "the unit does not start /usr/bin/inotify-csync"
    # Enables nothing by itself.
    [ -z "$(find /etc/systemd/system -name 'inotify-csync*' 2>/dev/null)" ] || fail "installing enabled a unit"
    cluster_check /usr/bin/inotify-csync /usr/bin/inotify-csync
    maintainer_scripts_check "$deb"
    ;;
  *) fail "unknown mode $MODE" ;;
esac
log "PASS"
