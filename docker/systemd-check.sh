#!/usr/bin/env bash
# Run by scripts/test-systemd.sh on the host, against two running containers
# whose PID 1 is systemd (hostnames node1 and node2, the .deb in /artifacts):
#   systemd-check.sh CONTAINER1 CONTAINER2 README_LINES
#
# Each node is set up with exactly the four lines of the README's first screen
# (README_LINES, cut from README.md under its "npm run test:systemd runs these
# four lines" marker): lines 1, 2 and 4 on both nodes, line 3 (csync2 -k) on
# node1 only; the key and /etc/csync2.cfg are then copied to node2, as the
# README's comment says. Then, each reported PASS (with its time) or FAIL:
#   ready      systemctl enable --now returns, and is-active turns active, only
#              after the start-up full sync (ActiveState is "activating" while
#              it runs; READY comes after the journal's "FULL SYNC done")
#   status     systemctl status shows the daemon's STATUS= line
#   both-ways  a file written on either node arrives on the other, same bytes
#   reload     systemctl reload rereads csync2.cfg: "CONFIG: reloaded", and a
#              newly included directory syncs
#   port       csync2's port stays bound while the service restarts: the daemon
#              serves the socket systemd holds (inotify-csync@HOST.socket, fd 3);
#              uid 65534 tries to bind the port all through a systemctl restart,
#              and while the service is stopped, and always gets EADDRINUSE; a
#              peer's update to the stopped node starts it (socket activation)
#              and arrives
#   kill-9     after kill -9 of the main PID systemd restarts the unit
#              (Restart=on-failure) over the stale lock; it syncs again
#   watchdog   SIGSTOP of the main PID: systemd's watchdog (WatchdogSec=) ends
#              and restarts it; the restarted daemon sends what changed meanwhile
#   stop       systemctl stop of the socket and the service leaves no process in
#              the unit's cgroup, no csync2, inotifywait or rsync anywhere on the
#              node, and csync2's port free
# Exit 0 when every check passes, 1 at the first that does not.
set -euo pipefail

C1="${1:?usage: systemd-check.sh CONTAINER1 CONTAINER2 README_LINES}"
C2="${2:?usage: systemd-check.sh CONTAINER1 CONTAINER2 README_LINES}"
LINES="${3:?usage: systemd-check.sh CONTAINER1 CONTAINER2 README_LINES}"
# Files in the tree before the first start: enough for a start-up full sync of a few seconds.
START_FILES="${START_FILES:-1500}"
TIMEOUT_S="${CHECK_TIMEOUT:-60}"
results=()

log() { echo "systemd-check: $*"; }
now_ms() { date +%s%3N; }

# --- helpers ---------------------------------------------------------------------
# A command on a node, through bash there.
on() { docker exec "$1" bash -euo pipefail -c "$2"; }
# The unit README line 4 enables: inotify-csync@$(hostname), the hostnames being node1 and node2.
unit_of() { if [ "$1" = "$C1" ]; then echo inotify-csync@node1.service; else echo inotify-csync@node2.service; fi; }
prop() { on "$1" "systemctl show -p $2 --value $(unit_of "$1")"; }
journal() { on "$1" "journalctl -u $(unit_of "$1") --no-pager -o short-monotonic"; }

show_journals() {
  local c
  for c in "$C1" "$C2"; do
    echo "--- journal of $(unit_of "$c") on $c (last lines)"
    journal "$c" 2>/dev/null | tail -n 30 || true
  done
}
summary() {
  local line
  log "results:"
  for line in "${results[@]}"; do echo "  $line"; done
}
pass() { results+=("PASS  $1 ($2)"); log "PASS: $1 ($2)"; }
fail() {
  results+=("FAIL  $1")
  log "FAIL: $1"
  show_journals
  summary
  exit 1
}

# waits until the command succeeds, or fails the check after $2 seconds
wait_until() {
  local what="$1" limit_s="$2"; shift 2
  local deadline=$(( $(now_ms) + limit_s * 1000 ))
  until "$@" 2>/dev/null; do
    [ "$(now_ms)" -le "$deadline" ] || fail "$what (not within $limit_s s)"
    sleep 0.2
  done
}

# Runs line $2 of the README's four on node $1, exactly as written, in /artifacts.
readme_line() {
  local c="$1" n="$2" line out
  line="$(sed -n "${n}p" "$LINES")"
  log "$c: README line $n: $line"
  out="$(mktemp)"
  docker exec -w /artifacts "$c" bash -euo pipefail -c "$line" >"$out" 2>&1 \
    || { tail -n 20 "$out"; rm -f "$out"; fail "README line $n on $c: $line"; }
  rm -f "$out"
}

same_file() {
  local from="$1" to="$2" path="$3"
  [ "$(on "$from" "sha256sum <$path")" = "$(on "$to" "sha256sum <$path" 2>/dev/null)" ]
}

# Writes random bytes to $2 on node $1, then waits until node $3 has the same bytes.
sync_one() {
  local from="$1" path="$2" to="$3" limit="${4:-$TIMEOUT_S}" t0
  on "$from" "mkdir -p \"\$(dirname $path)\" && head -c 300000 /dev/urandom >$path.part && mv $path.part $path"
  t0=$(now_ms)
  wait_until "$path written on $from arrives on $to with the same bytes" "$limit" same_file "$from" "$to" "$path"
  echo $(( $(now_ms) - t0 ))
}

# Microseconds of CLOCK_MONOTONIC in a short-monotonic journal line.
journal_usec() { sed -n 's/^\[ *\([0-9]*\)\.\([0-9]\{6\}\)\].*/\1\2/p' | head -n 1; }

# The unit's cgroup.procs file, on whichever hierarchy systemd uses on this host
# (the group's name has a literal \x2d in it: passed in the environment, quoted).
cgroup_procs_file() {
  local c="$1"
  docker exec -e G="$(prop "$c" ControlGroup)" "$c" bash -c '
    for root in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
      for f in "$root$G/cgroup.procs" "$root"/docker/*"$G/cgroup.procs"; do
        if [ -e "$f" ]; then echo "$f"; exit 0; fi
      done
    done
    exit 1'
}
# PID and name of each process listed in the cgroup.procs file $2 on node $1 (none when it is gone).
procs_in() {
  docker exec -e F="$2" "$1" bash -c '[ -e "$F" ] || exit 0; while read -r p; do echo "$p $(cat "/proc/$p/comm" 2>/dev/null)"; done <"$F"'
}
# csync2, inotifywait or rsync processes anywhere on the node.
stray_children() { on "$1" 'for d in /proc/[0-9]*; do c="$(cat "$d/comm" 2>/dev/null || true)"; case "$c" in csync2|inotifywait|rsync) echo "${d#/proc/} $c" ;; esac; done'; }

# The socket unit of node $1's service: inotify-csync@nodeN.socket.
socket_of() { local u; u="$(unit_of "$1")"; echo "${u%.service}.socket"; }

# Tries, as uid 65534 (nobody), to bind csync2's port on every address of node
# $1 (0.0.0.0, ::, its own address) every 20 ms until /tmp/bind-probe.stop
# appears; prints "bound=N inuse=N other=..." at the end. Node is Debian's
# (README line 1); setpriv comes with util-linux, which every Debian has.
BIND_PROBE='const net = require("net");
const fs = require("fs");
const hosts = ["0.0.0.0", "::", process.argv[1]];
let bound = 0, inuse = 0, tries = 0;
const other = {};
console.log("started");
(function next() {
  if (fs.existsSync("/tmp/bind-probe.stop")) { console.log(`bound=${bound} inuse=${inuse} tries=${tries} other=${JSON.stringify(other)}`); return; }
  const server = net.createServer();
  const host = hosts[tries++ % hosts.length];
  server.once("error", (e) => { if (e.code === "EADDRINUSE") inuse++; else other[e.code] = (other[e.code] || 0) + 1; setTimeout(next, 20); });
  server.listen({ port: 30865, host, exclusive: true }, () => { bound++; console.error(`BOUND ${host}:30865`); server.close(() => setTimeout(next, 20)); });
})();'
start_bind_probe() {
  local c="$1"
  on "$c" 'rm -f /tmp/bind-probe.*'
  docker exec -e PROBE="$BIND_PROBE" "$c" bash -c 'setpriv --reuid 65534 --regid 65534 --clear-groups node -e "$PROBE" "$(hostname -i | cut -d" " -f1)" >/tmp/bind-probe.out 2>/tmp/bind-probe.err' &
  probe_pid=$!
  wait_until "$c: the uid 65534 bind probe started" 20 on "$c" 'grep -qx started /tmp/bind-probe.out'
}
# Stops the probe on node $1 and prints its counts.
stop_bind_probe() {
  local c="$1"
  on "$c" 'touch /tmp/bind-probe.stop'
  wait "$probe_pid" || true
  on "$c" 'grep -v "^started$" /tmp/bind-probe.out; cat /tmp/bind-probe.err >&2'
}

# --- the four lines ---------------------------------------------------------------------
CFG='nossl * *;
tempdir /var/tmp/csync2;
group cluster
{
  host node1 node2;
  key /etc/csync2.key;
  include /srv/sync;
  exclude *.part;
  auto younger;
}'

setup_nodes() {
  local c t0
  t0=$(now_ms)
  for c in "$C1" "$C2"; do
    readme_line "$c" 1
    readme_line "$c" 2
  done
  readme_line "$C1" 3
  # The admin's csync2 setup: the same key and configuration on every node.
  on "$C1" 'cat /etc/csync2.key' | docker exec -i "$C2" bash -c 'umask 077; cat >/etc/csync2.key'
  for c in "$C1" "$C2"; do
    printf '%s\n' "$CFG" | docker exec -i "$c" bash -c 'cat >/etc/csync2.cfg'
    on "$c" 'mkdir -p /srv/sync /srv/more /var/tmp/csync2'
    on "$c" '[ "$(command -v node)" = /usr/bin/node ] && [ -x /usr/bin/inotify-csync ]' \
      || fail "$c: after lines 1-2, node is not Debian's /usr/bin/node or /usr/bin/inotify-csync is missing"
  done
  on "$C1" "mkdir -p /srv/sync/start && cd /srv/sync/start && for i in \$(seq 1 $START_FILES); do echo \"file \$i\" >f\$i; done"
  log "both nodes installed from the README's lines 1-3 ($(( $(now_ms) - t0 )) ms); node1 has $START_FILES files to send at start-up"
}

# --- checks ----------------------------------------------------------------------------------
check_ready() {
  local u1 t0 enable_pid states=0 status_seen="" state text done_us active_us ready_ms
  # node2 first: its tree is empty (node1 is not up yet; it retries node1 later).
  t0=$(now_ms)
  readme_line "$C2" 4
  [ "$(on "$C2" "systemctl is-active $(unit_of "$C2")")" = active ] || fail "node2 is not active after line 4"
  log "node2 active after $(( $(now_ms) - t0 )) ms"
  u1="$(unit_of "$C1")"
  t0=$(now_ms)
  readme_line "$C1" 4 &
  enable_pid=$!
  # While enable --now waits for READY=1, the unit is activating and STATUS= says why.
  while kill -0 "$enable_pid" 2>/dev/null; do
    state="$(on "$C1" "systemctl show -p ActiveState --value $u1" 2>/dev/null || true)"
    if [ "$state" = activating ]; then
      states=$((states + 1))
      text="$(on "$C1" "systemctl show -p StatusText --value $u1" 2>/dev/null || true)"
      case "$text" in *"full sync"*) status_seen="$text" ;; esac
    fi
    sleep 0.2
  done
  wait "$enable_pid" || fail "README line 4 on node1 failed"
  ready_ms=$(( $(now_ms) - t0 ))
  [ "$(on "$C1" "systemctl is-active $u1")" = active ] || fail "node1 is not active after systemctl enable --now returned"
  [ "$states" -ge 2 ] || fail "node1 was never seen 'activating' during its start-up full sync ($ready_ms ms)"
  [ -n "$status_seen" ] || fail "while node1 was activating, its STATUS= never named the start-up full sync"
  done_us="$(journal "$C1" | grep 'FULL SYNC done' | journal_usec)"
  active_us="$(prop "$C1" ActiveEnterTimestampMonotonic)"
  [ -n "$done_us" ] || fail "node1's journal has no 'FULL SYNC done' line"
  [ "$active_us" -ge "$done_us" ] || fail "node1 became active ($active_us us) before its journal's 'FULL SYNC done' ($done_us us)"
  # READY waits for the start-up updates too: node2 has every file when node1 turns active.
  [ "$(on "$C2" 'ls /srv/sync/start | wc -l')" = "$START_FILES" ] || fail "node1 is active but node2 has $(on "$C2" 'ls /srv/sync/start 2>/dev/null | wc -l') of $START_FILES start-up files"
  log "node1: 'activating' for ${ready_ms} ms (seen $states times; STATUS=\"$status_seen\"); READY $(( (active_us - done_us) / 1000 )) ms after 'FULL SYNC done'; node2 had all $START_FILES files"
  pass "ready: is-active only after the start-up full sync (Type=notify)" "${ready_ms} ms"
}

check_status() {
  local text
  text="$(on "$C1" "systemctl status --no-pager $(unit_of "$C1")" || true)"
  grep -q '^ *Status: "running: watching 1 root' <<<"$text" || { echo "$text"; fail "systemctl status shows no STATUS= line 'running: watching 1 root...'"; }
  log "$(grep '^ *Status:' <<<"$text" | sed 's/^ *//')"
  pass "status: systemctl status shows STATUS=" "$(grep '^ *Status:' <<<"$text" | sed 's/^ *//' | cut -c1-60)..."
}

check_both_ways() {
  local a b
  a="$(sync_one "$C1" /srv/sync/from-node1.bin "$C2")"
  b="$(sync_one "$C2" /srv/sync/sub/from-node2.bin "$C1")"
  pass "both-ways: node1 -> node2 and node2 -> node1, same bytes" "$a ms, $b ms"
}

check_reload() {
  local c before t0 ms
  t0=$(now_ms)
  for c in "$C1" "$C2"; do
    before="$(journal "$c" | grep -c 'CONFIG: reloaded' || true)"
    on "$c" "sed -i 's#^  include /srv/sync;#  include /srv/sync;\n  include /srv/more;#' /etc/csync2.cfg"
    on "$c" "systemctl reload $(unit_of "$c")" || fail "systemctl reload failed on $c"
    wait_until "$c: 'CONFIG: reloaded' in the journal after systemctl reload" "$TIMEOUT_S" \
      eval "[ \"\$(journal $c | grep -c 'CONFIG: reloaded')\" -gt $before ]"
  done
  ms="$(sync_one "$C1" /srv/more/new-include.bin "$C2")"
  pass "reload: csync2.cfg reread, the new include /srv/more syncs" "$(( $(now_ms) - t0 )) ms, file $ms ms"
}

check_port() {
  local c="$C2" u s pid result t0 to back
  u="$(unit_of "$c")"
  s="$(socket_of "$c")"
  t0=$(now_ms)
  [ "$(on "$c" "systemctl is-active $s")" = active ] || fail "$s is not active after README line 4 (the service's Wants= should start it)"
  [ "$(on "$c" "systemctl is-enabled $s")" = enabled ] || fail "$s is not enabled by 'systemctl enable $u' (the service's Also=)"
  [ "$(journal "$c" | grep -c 'accepting csync2 peers on .*(the socket systemd holds, fd 3)')" -gt 0 ] \
    || fail "node2's daemon did not log serving the socket systemd holds: $(journal "$c" | grep 'SERVER: accepting' | tail -n 1)"
  # All through a restart: the old daemon stops, the new one runs its start-up full sync, then READY.
  pid="$(prop "$c" MainPID)"
  start_bind_probe "$c"
  on "$c" "systemctl restart $u" || fail "systemctl restart $u failed"
  result="$(stop_bind_probe "$c")"
  log "bind attempts by uid 65534 on node2 during systemctl restart: $result"
  [ "$(prop "$c" MainPID)" != "$pid" ] || fail "node2's main PID did not change with systemctl restart"
  grep -q '^bound=0 inuse=[1-9]' <<<"$result" || fail "uid 65534 could bind csync2's port while node2 restarted, or never tried: $result"
  # Stopped (the service only): systemd still holds the port, and a peer's update starts the service.
  on "$c" "systemctl stop $u"
  [ "$(on "$c" "systemctl is-active $u" || true)" = inactive ] || fail "node2's service is not inactive after systemctl stop"
  start_bind_probe "$c"
  on "$c" 'sleep 1'
  result="$(stop_bind_probe "$c")"
  log "bind attempts by uid 65534 on node2 while its service was stopped: $result"
  grep -q '^bound=0 inuse=[1-9]' <<<"$result" || fail "uid 65534 could bind csync2's port while node2's service was stopped: $result"
  to="$(sync_one "$C1" /srv/sync/while-node2-stopped.bin "$c")"
  wait_until "node2's service active again after a peer's connection (socket activation)" 120 eval "[ \"\$(on $c 'systemctl is-active $u')\" = active ]"
  back="$(sync_one "$c" /srv/sync/after-activation.bin "$C1")"
  pass "port: uid 65534 got EADDRINUSE all through a restart and a stop; a peer's update started node2 again" "$(( $(now_ms) - t0 )) ms; file to the stopped node2 $to ms, back $back ms"
}

check_kill9() {
  local c="$C2" u pid restarts t0 ms stale="no"
  u="$(unit_of "$c")"
  pid="$(prop "$c" MainPID)"
  restarts="$(prop "$c" NRestarts)"
  t0=$(now_ms)
  on "$c" "kill -KILL $pid"
  # SIGKILL leaves the lock's socket file behind (src/daemon/instance-lock.ts).
  if on "$c" 'compgen -G "/var/lib/inotify-csync/node2.queue.lock.*.sock" >/dev/null'; then stale="yes"; fi
  wait_until "node2 restarted by systemd after kill -9 (NRestarts > $restarts)" 60 \
    eval "[ \"\$(prop $c NRestarts)\" -gt $restarts ]"
  wait_until "node2 active again after kill -9" 120 eval "[ \"\$(on $c 'systemctl is-active $u')\" = active ]"
  [ "$(prop "$c" MainPID)" != "$pid" ] || fail "node2's main PID did not change after kill -9"
  log "node2 back after kill -9 in $(( $(now_ms) - t0 )) ms; stale lock socket file left: $stale; journal: $(journal "$c" | grep -E 'RECOVERY|Scheduled restart|lock' | tail -n 2 | sed 's/^\[[^]]*\] [^ ]* //' | paste -sd'|')"
  ms="$(sync_one "$c" /srv/sync/after-kill9.bin "$C1")"
  pass "kill-9: restarted over the stale lock, syncs again" "$(( $(now_ms) - t0 )) ms, file $ms ms"
}

check_watchdog() {
  local c="$C1" u pid restarts watchdog t0 ms
  u="$(unit_of "$c")"
  watchdog="$(prop "$c" WatchdogUSec)"
  [ "$watchdog" != 0 ] && [ "$watchdog" != infinity ] || fail "the unit has no WatchdogSec= ($watchdog)"
  pid="$(prop "$c" MainPID)"
  restarts="$(prop "$c" NRestarts)"
  t0=$(now_ms)
  on "$c" "kill -STOP $pid"
  # Changed while the daemon is frozen: its start-up full sync after the restart must send it.
  on "$c" 'head -c 300000 /dev/urandom >/srv/sync/while-stopped.bin'
  wait_until "systemd's watchdog restarts node1 (WatchdogSec=$watchdog, NRestarts > $restarts)" 240 \
    eval "[ \"\$(prop $c NRestarts)\" -gt $restarts ]"
  log "node1 restarted $(( $(now_ms) - t0 )) ms after SIGSTOP; journal: $(on "$c" "journalctl -u $u --no-pager -o cat" | grep -iE 'watchdog' | tail -n 1)"
  # grep -c reads to the end: grep -q would stop early and fail the pipe (pipefail) on journalctl's SIGPIPE.
  [ "$(on "$c" "journalctl -u $u --no-pager -o cat" | grep -ci 'watchdog timeout')" -gt 0 ] || fail "the journal names no watchdog timeout for node1"
  wait_until "node1 active again after the watchdog restart" 120 eval "[ \"\$(on $c 'systemctl is-active $u')\" = active ]"
  wait_until "while-stopped.bin (written while node1 was frozen) arrives on node2" "$TIMEOUT_S" same_file "$c" "$C2" /srv/sync/while-stopped.bin
  ms="$(sync_one "$c" /srv/sync/after-watchdog.bin "$C2")"
  pass "watchdog: SIGSTOP -> restart by WatchdogSec=$watchdog; the change made meanwhile synced" "$(( $(now_ms) - t0 )) ms, next file $ms ms"
}

check_stop() {
  local c file before after stray t0
  t0=$(now_ms)
  for c in "$C1" "$C2"; do
    file="$(cgroup_procs_file "$c")" || fail "$c: no cgroup.procs for the unit's ControlGroup $(prop "$c" ControlGroup)"
    before="$(procs_in "$c" "$file" | paste -sd',')"
    grep -q inotifywait <<<"$before" || fail "$c: no inotifywait in the unit's cgroup before the stop ($before)"
    # The socket too (the README's way to stop): else a peer's connection starts the service again.
    on "$c" "systemctl stop $(socket_of "$c") $(unit_of "$c")"
    after="$(procs_in "$c" "$file" | paste -sd',')"
    [ -z "$after" ] || fail "$c: processes left in the unit's cgroup after systemctl stop: $after"
    stray="$(stray_children "$c")"
    [ -z "$stray" ] || fail "$c: csync2, inotifywait or rsync still running after systemctl stop: $stray"
    # Port 30865 (7891 in hex) no longer listens: LISTEN rows of /proc/net/tcp and tcp6 (state 0A).
    [ "$(on "$c" "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null" | grep -Eic '^ *[0-9]+: [0-9A-F]+:7891 [0-9A-F]+:0000 0A')" = 0 ] \
      || fail "$c: csync2's port still listens after stopping $(socket_of "$c") and $(unit_of "$c")"
    log "$c: cgroup before stop: $before; after: empty; no csync2/inotifywait/rsync left; port 30865 free"
  done
  pass "stop: nothing left in the units' cgroups" "$(( $(now_ms) - t0 )) ms"
}

# --- run ---------------------------------------------------------------------------------------
setup_nodes
check_ready
check_status
check_both_ways
check_reload
check_port
check_kill9
check_watchdog
check_stop
summary
