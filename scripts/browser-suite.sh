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
#                               protected but /public/**, and a GitHub provider at the fake
#                               identity provider, tests/client/fake-idp.mjs, started here;
#                               @FAKE_IDP_URL@ is replaced by its URL)
#   FAKE_IDP_PORT               port of the fake identity provider (default: any free port)
#   READY_TIMEOUT               seconds to wait for GET /api/auth/ok (default 180)
#   SKIP_BUILD=1                use the existing build/worker (do not run scripts/build-worker.sh)
#   PORTCULLIS_WORKER_PREBUILT  honoured by scripts/build-worker.sh: skip when build/worker exists
#   ARTIFACTS_DIR               screenshots (default tests/browser/artifacts, gitignored)
#   KEEP_SERVER_LOG=1           print the Worker's log even when the suite passes
# Extra arguments go to `node --test` (default: every tests/browser/*.test.mjs).
# Exits with the suite's status; wrangler (its whole process group) is stopped on exit.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SAY_PREFIX=browser-suite
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

SECRET="portcullis-browser-suite-secret-0123456789abcdef"
PORT="${PORT:-8790}"
BASE_URL="http://127.0.0.1:$PORT"
READY_TIMEOUT="${READY_TIMEOUT:-180}"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-$ROOT/tests/browser/artifacts}"

STATE="$(mktemp -d "${TMPDIR:-/tmp}/portcullis-browser.XXXXXX")"
LOG="$STATE/server.log"
SERVER_PID=""
IDP_PID=""
IDP_URL=""

# shellcheck disable=SC2317 # called through on_exit (scripts/lib.sh)
cleanup() {
  stop_group "$SERVER_PID"
  stop_group "$IDP_PID"
  if [[ $1 -ne 0 || -n "${KEEP_SERVER_LOG:-}" ]]; then
    show_tail "$LOG" 200 "----- wrangler log ($LOG, last 200 lines) -----" "----- end of wrangler log -----"
  fi
  rm -rf "$STATE"
}
on_exit cleanup

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
npm_ci_when_missing tests/client node_modules

if http_answers "$BASE_URL/api/auth/ok"; then
  say "something already answers on $BASE_URL; stop it or choose another PORT"
  exit 1
fi

# The fake identity provider (tests/client/fake-idp.mjs) for the social sign-on button.
start_helper IDP_PID IDP_URL "the fake identity provider (tests/client/fake-idp.mjs)" "$STATE/fake-idp.out" \
  node "$ROOT/tests/client/fake-idp.mjs" "${FAKE_IDP_PORT:-0}"
say "fake identity provider on $IDP_URL"

if [[ -z "${PORTCULLIS_CONFIG+set}" ]]; then
  PORTCULLIS_CONFIG='{"gate":{"enabled":true,"protect":["/**"],"public":["/public/**"],"userIdHeader":"x-portcullis-user-id","pagesPath":"/_auth"},"socialProviders":{"github":{"clientId":"github-client","clientSecret":"secret-github-client","authorizationEndpoint":"@FAKE_IDP_URL@/authorize","tokenEndpoint":"@FAKE_IDP_URL@/token","userInfoEndpoint":"@FAKE_IDP_URL@/user"}}}'
fi
PORTCULLIS_CONFIG=${PORTCULLIS_CONFIG//@FAKE_IDP_URL@/$IDP_URL}

worker_prepare "$STATE"

say "starting wrangler dev on $BASE_URL (gate on, assets from examples/static-site)"
start_wrangler_dev SERVER_PID "$LOG" "$STATE" "$PORT" "$SECRET" "$PORTCULLIS_CONFIG"

say "waiting up to ${READY_TIMEOUT}s for GET $BASE_URL/api/auth/ok"
wait_http_ok "$SERVER_PID" "$BASE_URL/api/auth/ok" "$READY_TIMEOUT" || {
  case $? in
    3) say "the Worker answers but is misconfigured (see its log)" ;;
    2) say "wrangler exited before it was ready" ;;
    *) say "the Worker did not answer within ${READY_TIMEOUT}s" ;;
  esac
  exit 1
}
say "ready (${SECONDS}s after this script started); running node --test"

if [[ $# -eq 0 ]]; then
  set -- "$ROOT"/tests/browser/*.test.mjs
  set -- "${@##*/}"
fi
mkdir -p "$ARTIFACTS_DIR"
start_ms=$(date +%s%3N)
set +e
(cd tests/browser && GATE_BASE_URL="$BASE_URL" CHROMIUM_PATH="$CHROMIUM" node --test "$@")
status=$?
set -e
say "node --test exited with $status after $(($(date +%s%3N) - start_ms)) ms (screenshots in $ARTIFACTS_DIR)"
exit "$status"
