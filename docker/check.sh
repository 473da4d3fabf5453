#!/usr/bin/env bash
# Checks a running docker/ cluster: a file written on node1 reaches node2 with
# the same bytes, one written on node2 reaches node1, and a delete on node1
# removes it from node2. Exit 0 when all three pass.
#   docker/check.sh                       # after: docker compose -f docker/docker-compose.yml up -d --build
#   COMPOSE="docker-compose -p NAME" docker/check.sh
set -euo pipefail

FILE="$(cd "$(dirname "$0")" && pwd)/docker-compose.yml"
TIMEOUT="${CHECK_TIMEOUT:-60}"   # seconds, per step (the first includes the nodes' start-up)

if [ -n "${COMPOSE:-}" ]; then
  read -r -a compose <<< "$COMPOSE"
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  compose=(docker-compose)
fi

container() {
  local id
  id="$("${compose[@]}" -f "$FILE" ps -q "$1")"
  [ -n "$id" ] || { echo "check: service $1 is not running (start it with: ${compose[*]} -f $FILE up -d --build)" >&2; exit 1; }
  echo "$id"
}
node1="$(container node1)"
node2="$(container node2)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
now_ms() { date +%s%3N; }

# waits until the command succeeds, or fails the check after $TIMEOUT seconds
wait_until() {
  local what="$1"; shift
  local deadline=$(( $(now_ms) + TIMEOUT * 1000 )) started
  started=$(now_ms)
  until "$@" 2>/dev/null; do
    if [ "$(now_ms)" -gt "$deadline" ]; then
      echo "check: FAIL: $what (not within ${TIMEOUT} s)" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "check: ok: $what ($(( $(now_ms) - started )) ms)"
}

same_bytes() { docker exec "$1" cat -- "$2" | cmp -s - "$3"; }
absent() { ! docker exec "$1" test -e "$2"; }

# writes local file $3 to path $2 inside container $1
put() { docker exec -i "$1" sh -c 'cat > "$1"' sh "$2" < "$3"; }

run="check-$(date +%s)-$$"
head -c 200000 /dev/urandom > "$work/one.bin"
head -c 300000 /dev/urandom > "$work/two.bin"

put "$node1" "/data/$run-1.bin" "$work/one.bin"
wait_until "node1 -> node2: /data/$run-1.bin, same bytes" same_bytes "$node2" "/data/$run-1.bin" "$work/one.bin"

put "$node2" "/data/$run-2.bin" "$work/two.bin"
wait_until "node2 -> node1: /data/$run-2.bin, same bytes" same_bytes "$node1" "/data/$run-2.bin" "$work/two.bin"

docker exec "$node1" rm -- "/data/$run-1.bin"
wait_until "delete on node1: /data/$run-1.bin gone from node2" absent "$node2" "/data/$run-1.bin"

echo "check: PASS"
