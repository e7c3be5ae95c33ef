#!/usr/bin/env bash
# Runs the real-browser suite (tests/browser, node --test): Debian's Chromium, driven by
# playwright-core, against the Worker under `wrangler dev --local` serving examples/static-site
# (the ASSETS binding) behind the static-site gate, with a fresh local D1 in a temporary directory.
#
#   scripts/browser-suite.sh [node --test arguments...]
#
# What it sets up, each only when missing:
#   /usr/bin/chromium          apt-get install chromium (non-interactive; never a downloaded browser)
#   tests/browser/node_modules npm ci (also when package-lock.json changed since its last npm ci)
#   tests/client/node_modules  npm ci when missing (wrangler, and the build's wasm-opt and esbuild)
#
# Environment:
#   PORT                        port for wrangler dev (default 8790; the client suites use 8787)
#   PORTCULLIS_CONFIG           JSON options for the Worker (default: the gate on, everything
#                               protected but /public/**)
#   READY_TIMEOUT               seconds to wait for GET /api/auth/ok (default 180)
#   SKIP_BUILD=1                use the existing build/worker (do not run scripts/build-worker.sh)
#   PORTCULLIS_WORKER_PREBUILT  honoured by scripts/build-worker.sh: skip when build/worker exists
#   ARTIFACTS_DIR               screenshots (default tests/browser/artifacts, gitignored)
#   KEEP_SERVER_LOG=1           print the Worker's log even when the suite passes
# Extra arguments go to `node --test` (default: every tests/browser/*.test.mjs).
# Exits with the suite's status; wrangler (its whole process group) is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

SECRET="portcullis-browser-suite-secret-0123456789abcdef"
PORT="${PORT:-8790}"
BASE_URL="http://127.0.0.1:$PORT"
READY_TIMEOUT="${READY_TIMEOUT:-180}"
WRANGLER="$ROOT/tests/client/node_modules/.bin/wrangler"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-$ROOT/tests/browser/artifacts}"

STATE="$(mktemp -d "${TMPDIR:-/tmp}/portcullis-browser.XXXXXX")"
LOG="$STATE/server.log"
SERVER_PID=""

say() { echo "browser-suite: $*" >&2; }

show_log() {
  if [[ -s "$LOG" ]]; then
    echo "----- wrangler log ($LOG, last 200 lines) -----" >&2
    tail -n 200 "$LOG" >&2
    echo "----- end of wrangler log -----" >&2
  fi
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  # wrangler runs in its own process group (set -m below): workerd goes with it.
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
  if [[ $status -ne 0 || -n "${KEEP_SERVER_LOG:-}" ]]; then
    show_log
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

# Chromium from Debian's packages.
if [[ ! -x "$CHROMIUM" ]]; then
  say "installing chromium (apt-get)"
  SUDO=()
  [[ "$(id -u)" -eq 0 ]] || SUDO=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q chromium
fi
[[ -x "$CHROMIUM" ]] || { say "no browser at $CHROMIUM"; exit 1; }
say "$("$CHROMIUM" --version 2>/dev/null | head -n1)"

# npm packages: playwright-core here; wrangler (and the build's wasm-opt, esbuild) in tests/client.
# tests/browser is reinstalled when package-lock.json changed since our last `npm ci` (a copy of
# it is kept in node_modules; npm's own node_modules/.package-lock.json never equals it byte for
# byte). tests/client is shared with the other suites and running servers, so it is only
# installed when missing, as scripts/client-suite.sh does.
STAMP=tests/browser/node_modules/.portcullis-package-lock.json
if [[ ! -d tests/browser/node_modules ]] || ! cmp -s tests/browser/package-lock.json "$STAMP"; then
  say "installing tests/browser dependencies (npm ci)"
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  cp tests/browser/package-lock.json "$STAMP"
fi
if [[ ! -d tests/client/node_modules ]]; then
  say "installing tests/client dependencies (npm ci)"
  (cd tests/client && npm ci --no-audit --no-fund)
fi

if [[ "$(ok_status)" != "000" ]]; then
  say "something already answers on $BASE_URL; stop it or choose another PORT"
  exit 1
fi

if [[ -z "${PORTCULLIS_CONFIG+set}" ]]; then
  PORTCULLIS_CONFIG='{"gate":{"enabled":true,"protect":["/**"],"public":["/public/**"],"userIdHeader":"x-portcullis-user-id","pagesPath":"/_auth"}}'
fi

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

say "starting wrangler dev on $BASE_URL (gate on, assets from examples/static-site)"
# Every variable the Worker reads is given here, so a developer's .dev.vars cannot leak in.
vars=(--var "BETTER_AUTH_SECRET:$SECRET" --var "BETTER_AUTH_URL:$BASE_URL"
  --var "BETTER_AUTH_TRUSTED_ORIGINS:" --var "PORTCULLIS_CONFIG:$PORTCULLIS_CONFIG")
set -m
"$WRANGLER" dev --local --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" \
  --show-interactive-dev-session=false --live-reload=false --inspector-port "$((PORT + 10000))" "${vars[@]}" >"$LOG" 2>&1 </dev/null &
SERVER_PID=$!
set +m

say "waiting up to ${READY_TIMEOUT}s for GET $BASE_URL/api/auth/ok"
deadline=$((SECONDS + READY_TIMEOUT))
until [[ "$(ok_status)" == "200" ]]; do
  if grep -qs "Server misconfigured" "$STATE/ok.body"; then
    say "the Worker answers but is misconfigured (see its log)"
    exit 1
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    say "wrangler exited before it was ready"
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    say "the Worker did not answer within ${READY_TIMEOUT}s"
    exit 1
  fi
  sleep 0.5
done
say "ready (${SECONDS}s after this script started); running node --test"

if [[ $# -eq 0 ]]; then
  set -- $(cd tests/browser && ls -- *.test.mjs)
fi
mkdir -p "$ARTIFACTS_DIR"
start_ms=$(date +%s%3N)
set +e
(cd tests/browser && GATE_BASE_URL="$BASE_URL" CHROMIUM_PATH="$CHROMIUM" node --test "$@")
status=$?
set -e
say "node --test exited with $status after $(($(date +%s%3N) - start_ms)) ms (screenshots in $ARTIFACTS_DIR)"
exit "$status"
