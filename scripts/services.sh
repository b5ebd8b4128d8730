#!/usr/bin/env bash
# Makes sure the local PostgreSQL and Redis the tests use are up: starts them
# with the machine's own commands when they are installed but stopped, and
# fails loudly when they cannot be reached.
set -uo pipefail

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
redis_url="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"

pg_up() { psql "$pg_url" -Atqc 'select 1' >/dev/null 2>&1; }
redis_up() { redis-cli -u "$redis_url" ping 2>/dev/null | grep -q PONG; }

if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
  for v in /etc/postgresql/*; do
    [ -d "$v" ] && pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start 2>/dev/null || true
  done
  for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
fi
if ! pg_up; then echo "PostgreSQL is unreachable at $pg_url" >&2; exit 1; fi
echo "PostgreSQL up"

if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
fi
if ! redis_up; then echo "Redis is unreachable at $redis_url" >&2; exit 1; fi
echo "Redis up"
