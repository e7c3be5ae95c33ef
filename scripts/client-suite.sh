#!/usr/bin/env bash
# Runs the official-client suite (tests/client, node --test) against one host, started here on
# 127.0.0.1 with a fresh database in a temporary directory and a fixed test secret.
#
#   scripts/client-suite.sh native    cargo build --release; target/release/portcullis (PORT, default 3999)
#   scripts/client-suite.sh worker    scripts/build-worker.sh; wrangler dev in workerd (PORT, default 8787)
#
# Environment:
#   PORT                  port to serve on (the server's baseURL is http://127.0.0.1:$PORT)
#   PORTCULLIS_CONFIG     JSON options passed to the server (default: none)
#   READY_TIMEOUT         seconds to wait for GET /api/auth/ok (default 60 native, 180 worker)
#   SKIP_BUILD=1          use the existing build (target/release/portcullis or build/worker)
#   KEEP_SERVER_LOG=1     print the server log even when the suite passes
# Extra arguments go to `node --test` (e.g. --test-name-pattern=sign-in core.test.mjs); without any,
# every tests/client/*.test.mjs runs except interop.test.mjs (two servers: scripts/interop.sh).
# Exits with the suite's status; the server (its whole process group) is stopped on exit.
set -euo pipefail

MODE="${1:-}"
shift || true
case "$MODE" in
  native | worker) ;;
  *)
    echo "usage: $0 native|worker [node --test arguments...]" >&2
    exit 2
    ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

SECRET="portcullis-client-suite-secret-0123456789abcdef"
if [[ "$MODE" == native ]]; then PORT="${PORT:-3999}"; else PORT="${PORT:-8787}"; fi
BASE_URL="http://127.0.0.1:$PORT"
READY_TIMEOUT="${READY_TIMEOUT:-$([[ "$MODE" == native ]] && echo 60 || echo 180)}"
WRANGLER="$ROOT/tests/client/node_modules/.bin/wrangler"

STATE="$(mktemp -d "${TMPDIR:-/tmp}/portcullis-suite.XXXXXX")"
LOG="$STATE/server.log"
SERVER_PID=""

say() { echo "client-suite[$MODE]: $*" >&2; }

show_log() {
  if [[ -s "$LOG" ]]; then
    echo "----- server log ($LOG, last 200 lines) -----" >&2
    tail -n 200 "$LOG" >&2
    echo "----- end of server log -----" >&2
  fi
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  # The server runs in its own process group (set -m below): wrangler's workerd goes with it.
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 -- "-$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cleanup() {
  local status=$?
  stop_server
  if [[ $status -ne 0 || -n "${KEEP_SERVER_LOG:-}" ]]; then show_log; fi
  rm -rf "$STATE"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok_status() {
  curl -s -o "$STATE/ok.body" -w '%{http_code}' --max-time 5 "$BASE_URL/api/auth/ok" 2>/dev/null || true
}

if [[ "$(ok_status)" != "000" ]]; then
  say "something already answers on $BASE_URL; stop it or choose another PORT"
  exit 1
fi

if [[ ! -d tests/client/node_modules ]]; then
  say "installing tests/client dependencies (npm ci)"
  (cd tests/client && npm ci --no-audit --no-fund)
fi

# Start the server in its own process group ($SERVER_PID is the group id).
start() {
  set -m
  "$@" >"$LOG" 2>&1 </dev/null &
  SERVER_PID=$!
  set +m
}

case "$MODE" in
  native)
    if [[ -z "${SKIP_BUILD:-}" ]]; then
      say "cargo build --release"
      cargo build --release
    fi
    BIN="$ROOT/target/release/portcullis"
    say "starting $BIN on $BASE_URL (database $STATE/portcullis.db)"
    # cwd is the state directory, so no portcullis.json of the checkout is picked up.
    start env -C "$STATE" \
      DATABASE_URL="$STATE/portcullis.db" PORT="$PORT" \
      BETTER_AUTH_SECRET="$SECRET" BETTER_AUTH_URL="$BASE_URL" \
      PORTCULLIS_CONFIG="${PORTCULLIS_CONFIG:-}" BETTER_AUTH_TRUSTED_ORIGINS= \
      "$BIN"
    ;;
  worker)
    export WRANGLER_SEND_METRICS=false CI=true NO_COLOR=1 FORCE_COLOR=0
    if [[ -z "${SKIP_BUILD:-}" ]]; then
      say "building the Worker (scripts/build-worker.sh)"
      bash scripts/build-worker.sh
    fi
    # wrangler dev runs the [build] command again; the build is fresh, so skip it.
    export PORTCULLIS_WORKER_PREBUILT=1
    say "applying migrations to a local D1 in $STATE"
    "$WRANGLER" d1 migrations apply DB --local --persist-to "$STATE" >"$STATE/migrations.log" 2>&1 || {
      cat "$STATE/migrations.log" >&2
      say "migrations failed"
      exit 1
    }
    say "starting wrangler dev on $BASE_URL"
    # Every variable the Worker reads is given here, so a developer's .dev.vars cannot leak in.
    vars=(--var "BETTER_AUTH_SECRET:$SECRET" --var "BETTER_AUTH_URL:$BASE_URL"
      --var "BETTER_AUTH_TRUSTED_ORIGINS:" --var "PORTCULLIS_CONFIG:${PORTCULLIS_CONFIG:-}")
    start "$WRANGLER" dev --local --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" \
      --show-interactive-dev-session=false --live-reload=false "${vars[@]}"
    ;;
esac

say "waiting up to ${READY_TIMEOUT}s for GET $BASE_URL/api/auth/ok"
deadline=$((SECONDS + READY_TIMEOUT))
until [[ "$(ok_status)" == "200" ]]; do
  if grep -qs "Server misconfigured" "$STATE/ok.body"; then
    say "the server answers but is misconfigured (see its log)"
    exit 1
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    say "the server exited before it was ready"
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    say "the server did not answer within ${READY_TIMEOUT}s"
    exit 1
  fi
  sleep 0.5
done
say "ready (${SECONDS}s after this script started); running node --test"

if [[ $# -eq 0 ]]; then
  set -- $(cd tests/client && ls -- *.test.mjs | grep -vx 'interop.test.mjs')
fi
start_ms=$(date +%s%3N)
set +e
(cd tests/client && AUTH_BASE_URL="$BASE_URL" node --test "$@")
status=$?
set -e
say "node --test exited with $status after $(($(date +%s%3N) - start_ms)) ms"
exit "$status"
