#!/usr/bin/env bash
# Runs every test chatd has: formatting and vet, the Go tests with the race
# detector against a real PostgreSQL and Redis, then the Node suites under
# compat/ (the real socket.io-client and better-auth driving the chatd
# binary). A missing PostgreSQL or Redis fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

export CHATD_REQUIRE_SERVICES=1
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"

step() { printf '\n== %s\n' "$*"; }

step "services"
bash scripts/services.sh

step "browser"
export CHROMIUM_PATH="$(bash scripts/browser.sh)"

step "gofmt and go vet"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './compat/node_modules/*'))
if [ -n "$unformatted" ]; then echo "gofmt needed on:"; echo "$unformatted"; exit 1; fi
go vet ./...

step "build"
mkdir -p bin
go build -race -o bin/chatd ./cmd/chatd
export CHATD_BIN="$PWD/bin/chatd"

# Before go test: TestRealClientSeesServerDisconnect drives the real
# socket.io-client from compat/node_modules.
step "npm ci (compat/)"
(cd compat && npm ci --no-audit --no-fund --loglevel=error)

# Tests marked parallel mostly wait on PostgreSQL and Redis, not the CPU:
# more of them at once than the machine has cores.
step "go test -race"
go test -race -count=1 -parallel 8 ./...

step "node suites (compat/)"
node --test --test-concurrency=1 compat/test/
