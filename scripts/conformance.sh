#!/usr/bin/env bash
# Usage: scripts/conformance.sh [N]
#
# Runs the official Engine.IO v4 and Socket.IO v5 test suites (mocha, kept
# unchanged in compat/official/, see its README) against compat/conformance
# N times in a row (default 1), without retries. Each run starts a fresh
# conformance server and runs both suites; the first failure stops the script
# and prints which run and which test failed, with the server's log. At the
# end it prints "N/N consecutive green". Not part of scripts/test.sh: the
# suites need port 3000 (hard-coded in them) and take about 25 s per run.
#
# The suites expect http://localhost:3000. When unprivileged user namespaces
# are available the runs happen in a private network namespace, so another
# process on port 3000 (or another run of this script) cannot interfere;
# otherwise port 3000 must be free.
#
# CONFORMANCE_SERVER=node runs the same against the Node reference
# (compat/official/reference-server.mjs: engine.io and socket.io 4.8 with the
# same settings), to compare a failure with what the reference does on the
# same machine under the same load.
set -euo pipefail
cd "$(dirname "$0")/.."

N="${1:-1}"
if ! [[ "$N" =~ ^[1-9][0-9]*$ ]]; then echo "usage: $0 [N]" >&2; exit 2; fi

suites=(compat/official/engine.io-protocol-v4-test-suite compat/official/socket.io-protocol-v5-test-suite)

if [ "${CONFORMANCE_INSIDE:-}" != 1 ]; then
  # Outside the namespace (it has no network): install the suites' packages
  # and build the server once, as `go run ./compat/conformance` would.
  for s in "${suites[@]}"; do
    if [ ! -d "$s/node_modules" ] || [ "$s/package-lock.json" -nt "$s/node_modules/.package-lock.json" ]; then
      (cd "$s" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  if [ "${CONFORMANCE_SERVER:-chatd}" = node ]; then
    [ -d compat/node_modules ] || (cd compat && npm ci --no-audit --no-fund --loglevel=error)
  else
    go build -o "$work/conformance" ./compat/conformance
  fi
  export CONFORMANCE_BIN="$work/conformance" CONFORMANCE_WORK="$work" CONFORMANCE_INSIDE=1
  if unshare -rn true 2>/dev/null; then
    unshare -rn bash "$0" "$N"
  else
    echo "(no private network namespace: using the host's port 3000)"
    bash "$0" "$N"
  fi
  exit $?
fi

# Inside: the loopback interface of a new namespace starts down.
ip link set lo up 2>/dev/null || true
work="$CONFORMANCE_WORK"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

start_server() {
  : >"$work/server.log"
  if [ "${CONFORMANCE_SERVER:-chatd}" = node ]; then
    node compat/official/reference-server.mjs 3000 >"$work/server.out" 2>"$work/server.log" &
  else
    "$CONFORMANCE_BIN" -addr 127.0.0.1:3000 -v >"$work/server.out" 2>"$work/server.log" &
  fi
  server_pid=$!
  for _ in $(seq 1 100); do
    if grep -q '^listening on' "$work/server.out" 2>/dev/null; then return 0; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "conformance server did not start:" >&2
  cat "$work/server.out" "$work/server.log" >&2
  exit 1
}

for run in $(seq 1 "$N"); do
  start_server
  for s in "${suites[@]}"; do
    log="$work/mocha.log"
    from=$(($(wc -l <"$work/server.log") + 1))
    # Mocha's exit status is its number of failures; no retries.
    if ! (cd "$s" && node_modules/.bin/mocha --reporter spec test-suite.js) >"$log" 2>&1; then
      echo "run $run/$N: FAILED in $(basename "$s")"
      # The failures section: the numbered test titles and their errors.
      sed -n '/passing\|failing/,$p' "$log"
      echo "--- the server's log (-v: each session's end and why) during this suite:"
      tail -n "+$from" "$work/server.log"
      echo "$((run - 1))/$N consecutive green before the failure"
      exit 1
    fi
    summary="$(grep -E '^ +[0-9]+ passing' "$log" | sed 's/^ *//')"
    echo "run $run/$N: $(basename "$s"): $summary"
  done
  stop_server
done
echo "$N/$N consecutive green (${CONFORMANCE_SERVER:-chatd})"
