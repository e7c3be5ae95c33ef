#!/usr/bin/env bash
# Runs the official-client suite (tests/client, node --test) against one host, started here on
# 127.0.0.1 with a fresh database in a temporary directory and a fixed test secret.
#
#   scripts/client-suite.sh native    cargo build --release; target/release/portcullis (PORT, default 3999)
#   scripts/client-suite.sh worker    scripts/build-worker.sh; wrangler dev in workerd (PORT, default 8787)
#
# Mail: tests/client/mail-sink.mjs is started first (a local HTTP server appending each POSTed mail as a JSON
# line to $STATE/mail.log); the server's webhook mailer posts to it and the tests read that file (env
# MAIL_LOG, tests/client/mail.mjs).
#
# Environment:
#   PORT                  port to serve on (the server's baseURL is http://127.0.0.1:$PORT)
#   PORTCULLIS_CONFIG     JSON options passed to the server. Unset: change-email and delete-user enabled,
#                         mail to the sink:
#                           {"user":{"changeEmail":{"enabled":true},"deleteUser":{"enabled":true}},
#                            "email":{"provider":"webhook","webhookUrl":"<sink URL>"}}
#                         Set (even empty): used as given, with @MAIL_SINK_URL@ replaced by the sink's URL.
#   DELETE_USER           off|on|verify for account.test.mjs (default: derived from the effective config)
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
SINK_PID=""
MAIL_LOG="$STATE/mail.log"

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

stop_sink() {
  [[ -n "$SINK_PID" ]] || return 0
  kill -TERM -- "-$SINK_PID" 2>/dev/null || kill -TERM "$SINK_PID" 2>/dev/null || true
  for _ in $(seq 1 30); do
    kill -0 "$SINK_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$SINK_PID" 2>/dev/null || true
  wait "$SINK_PID" 2>/dev/null || true
  SINK_PID=""
}

cleanup() {
  local status=$?
  stop_server
  stop_sink
  if [[ $status -ne 0 || -n "${KEEP_SERVER_LOG:-}" ]]; then
    show_log
    if [[ -s "$MAIL_LOG" ]]; then
      echo "----- captured mail ($MAIL_LOG, last 50 lines) -----" >&2
      tail -n 50 "$MAIL_LOG" >&2
    fi
  fi
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

# The mail sink, in its own process group too; it prints its URL once it listens.
: >"$MAIL_LOG"
set -m
env -u PORT MAIL_LOG="$MAIL_LOG" node "$ROOT/tests/client/mail-sink.mjs" "$MAIL_LOG" \
  >"$STATE/mail-sink.out" 2>&1 </dev/null &
SINK_PID=$!
set +m
SINK_URL=""
for _ in $(seq 1 100); do
  SINK_URL=$(grep -o -m1 'http://[^[:space:]"]*' "$STATE/mail-sink.out" 2>/dev/null || true)
  [[ -n "$SINK_URL" ]] && break
  if ! kill -0 "$SINK_PID" 2>/dev/null; then
    cat "$STATE/mail-sink.out" >&2
    say "the mail sink (tests/client/mail-sink.mjs) exited during start-up"
    exit 1
  fi
  sleep 0.1
done
[[ -n "$SINK_URL" ]] || { cat "$STATE/mail-sink.out" >&2; say "the mail sink printed no URL within 10 s"; exit 1; }
say "mail sink on $SINK_URL (writing $MAIL_LOG)"

if [[ -z "${PORTCULLIS_CONFIG+set}" ]]; then
  PORTCULLIS_CONFIG='{"user":{"changeEmail":{"enabled":true},"deleteUser":{"enabled":true}},"email":{"provider":"webhook","webhookUrl":"@MAIL_SINK_URL@"}}'
fi
PORTCULLIS_CONFIG=${PORTCULLIS_CONFIG//@MAIL_SINK_URL@/$SINK_URL}
# What account.test.mjs should expect of /delete-user under this configuration.
if [[ -z "${DELETE_USER:-}" ]]; then
  DELETE_USER=$(node -e '
    let c = {};
    try { c = JSON.parse(process.argv[1] || "{}") || {}; } catch {}
    const d = (c.user && c.user.deleteUser) || {};
    console.log(!d.enabled ? "off" : d.sendDeleteAccountVerification ? "verify" : "on");' "$PORTCULLIS_CONFIG")
fi

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
      PORTCULLIS_CONFIG="$PORTCULLIS_CONFIG" BETTER_AUTH_TRUSTED_ORIGINS= \
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
      --var "BETTER_AUTH_TRUSTED_ORIGINS:" --var "PORTCULLIS_CONFIG:$PORTCULLIS_CONFIG")
    start "$WRANGLER" dev --local --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" \
      --show-interactive-dev-session=false --live-reload=false --inspector-port "$((PORT + 10000))" "${vars[@]}"
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
(cd tests/client && AUTH_BASE_URL="$BASE_URL" MAIL_LOG="$MAIL_LOG" PORTCULLIS=1 DELETE_USER="$DELETE_USER" \
  node --test "$@")
status=$?
set -e
say "node --test exited with $status after $(($(date +%s%3N) - start_ms)) ms"
exit "$status"
