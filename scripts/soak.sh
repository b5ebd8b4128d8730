#!/usr/bin/env bash
# Soak test (not part of CI; issue #10 item 9): 10,000 sockets across 100
# tenants held for 10 minutes with light traffic (messages and reconnects),
# while chatd's RSS (/proc/PID/status VmRSS) and goroutines (/metrics
# go_goroutines) are sampled every 10 s. Prints a table and a verdict: flat
# when the last third of the samples after a 1-minute warm-up averages within
# SOAK_FLAT_PCT (10) % of the first third, for both. Exit status 0 = flat.
#
#   scripts/soak.sh                       # the full soak, about 12 minutes
#   SOAK_SOCKETS=1000 SOAK_DURATION=2m scripts/soak.sh   # a quick one
#
# Needs PostgreSQL (SOAK_DB_URL; the database is dropped and re-created) and
# an open-file limit above the socket count (raised to the hard limit here).
# On a shared machine take the perf lock: flock /tmp/chatd-perf.lock scripts/soak.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sockets=${SOAK_SOCKETS:-10000}
tenants=${SOAK_TENANTS:-100}
duration=${SOAK_DURATION:-10m}
warmup=${SOAK_WARMUP:-1m}
db_url=${SOAK_DB_URL:-postgres://postgres@127.0.0.1:5432/chatd_soak?sslmode=disable}
port=${SOAK_PORT:-23101}
metrics_port=${SOAK_METRICS_PORT:-23102}
work=$(mktemp -d /tmp/chatd-soak.XXXXXX)
chatd_pid=
cleanup() {
  if [ -n "$chatd_pid" ]; then kill -TERM "$chatd_pid" 2>/dev/null && wait "$chatd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "# building chatd and chatd-soak"
(cd "$root" && go build -o "$work/chatd" ./cmd/chatd && go build -o "$work/chatd-soak" ./cmd/chatd-soak)

ulimit -n "$(ulimit -Hn)"
need=$((sockets + 1000))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  echo "soak: the open-file limit is $(ulimit -n); $need are needed for $sockets sockets" >&2; exit 1
fi

export DATABASE_URL=$db_url BETTER_AUTH_SECRET=soak-secret-at-least-32-characters-long
export NODE_ENV=production HOST=127.0.0.1 PORT=$port API_PORT=$port METRICS_ADDR=127.0.0.1:$metrics_port
export CORS_ORIGINS=http://localhost:3000 UPLOADS_DIR=$work/uploads LOG_LEVEL=${SOAK_LOG_LEVEL:-warn}
unset REDIS_URL TRUSTED_PROXIES STRICT_AUTH
cd "$work"

echo "# fresh database, $tenants tenants"
base=${db_url%%\?*}
psql "${base%/*}/postgres" -v ON_ERROR_STOP=1 -q -c "DROP DATABASE IF EXISTS \"${base##*/}\" WITH (FORCE)"
"$work/chatd" migrate >/dev/null 2>&1
for i in $(seq 0 $((tenants - 1))); do
  "$work/chatd" tenant create --slug "$(printf 'soak-%03d' "$i")" --name "Soak $i" >/dev/null
done

"$work/chatd" serve >"$work/chatd.log" 2>&1 &
chatd_pid=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "# chatd pid $chatd_pid on :$port; $sockets sockets over $tenants tenants for $duration (warm-up $warmup)"

status=0
"$work/chatd-soak" -url "http://127.0.0.1:$port" -pid "$chatd_pid" -metrics "http://127.0.0.1:$metrics_port/metrics" \
  -n "$sockets" -tenants "$tenants" -dur "$duration" -warmup "$warmup" -flat "${SOAK_FLAT_PCT:-10}" \
  -messages "${SOAK_MESSAGES:-10}" -reconnects "${SOAK_RECONNECTS:-5}" || status=$?
if grep -q 'level=ERROR' "$work/chatd.log"; then
  echo "# chatd logged errors:"; grep 'level=ERROR' "$work/chatd.log" | sort | uniq -c | sort -rn | head -20
fi
exit "$status"
