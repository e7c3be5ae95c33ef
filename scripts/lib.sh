# shellcheck shell=bash
# Helpers shared by the test runners in scripts/ (client-suite.sh, browser-suite.sh, interop.sh,
# reference-suite.sh). Sourced, never run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# after `set -euo pipefail`. Sourcing defines functions and these variables:
#   ROOT       the repository's top directory
#   WRANGLER   tests/client's wrangler (installed by npm ci there)
# and reads SAY_PREFIX (what say prints before each line; default: the script's file name).
# Nothing here starts a process or changes directory by itself.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WRANGLER="$ROOT/tests/client/node_modules/.bin/wrangler"

# ---------------------------------------------------------------------------------------------------
# Messages.

# say <words...>: one line on stderr, "<SAY_PREFIX>: <words>".
say() { echo "${SAY_PREFIX:-${0##*/}}: $*" >&2; }

# die <words...>: say "error: <words>", then exit 1.
die() {
  say "error: $*"
  exit 1
}

# require_tools <command...>: die naming the first command that is not on PATH.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found"
  done
}

# show_tail <file> <lines> <header> [<footer>]: when <file> is not empty, its last <lines> lines on
# stderr, between a <header> line and (if given) a <footer> line.
show_tail() {
  local file=$1 lines=$2 header=$3 footer=${4:-}
  [[ -s "$file" ]] || return 0
  echo "$header" >&2
  tail -n "$lines" "$file" >&2 || true
  [[ -z "$footer" ]] || echo "$footer" >&2
}

# ---------------------------------------------------------------------------------------------------
# Exit handling.

# on_exit <function>: run <function> <exit status> once when the script exits, however it exits,
# then exit with that status. Ctrl-C exits 130 and TERM 143, through the same path. <function>
# runs without errexit (a failing step does not cut the cleanup short or change the status).
# Typical use: stop the servers (stop_group), show their logs when the status is not 0, remove the
# temporary directory.
on_exit() {
  _LIB_ON_EXIT=$1
  trap _lib_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

_lib_exit() {
  local status=$?
  trap - EXIT INT TERM
  "$_LIB_ON_EXIT" "$status" || true
  exit "$status"
}

# ---------------------------------------------------------------------------------------------------
# Servers, each in its own process group, so that stopping one stops what it spawned (wrangler's
# workerd, npm's node).

# start_in_group <pid variable> <output file> <command> [<argument>...]
#   Starts the command in the background as the leader of a new process group, stdin from
#   /dev/null, stdout and stderr to <output file>, and stores its pid (= the group id) in the
#   variable named first. Use `env -C <dir> VAR=value ... <command>` for another directory or
#   environment.
start_in_group() {
  local _pid_var=$1 _out=$2
  shift 2
  set -m
  "$@" >"$_out" 2>&1 </dev/null &
  printf -v "$_pid_var" '%s' "$!"
  set +m
}

# start_helper <pid variable> <url variable> <name> <output file> <command...>: starts a test helper
# (mail sink, fake identity provider) through start_in_group and waits up to 10 s for the first
# http:// URL it prints once it listens; exits the script when it dies or prints none.
start_helper() {
  local -n pid_ref=$1 url_ref=$2
  local pid_var=$1 name=$3 out=$4
  shift 4
  start_in_group "$pid_var" "$out" "$@"
  url_ref=""
  for _ in $(seq 1 100); do
    url_ref=$(grep -o -m1 'http://[^[:space:]"]*' "$out" 2>/dev/null || true)
    [[ -n "$url_ref" ]] && return 0
    if ! kill -0 "$pid_ref" 2>/dev/null; then
      cat "$out" >&2
      say "$name exited during start-up"
      exit 1
    fi
    sleep 0.1
  done
  cat "$out" >&2
  say "$name printed no URL within 10 s"
  exit 1
}

# stop_group <pid>: stop a process group started by start_in_group: TERM to the whole group, up
# to 5 s for it to go, then KILL to whatever is left, and reap the leader. No-op for an empty
# <pid> or a group that is already gone.
stop_group() {
  local pid=$1 i
  [[ -n "$pid" ]] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# free_ports <count>: <count> distinct TCP ports free on 127.0.0.1 right now, on one line.
free_ports() {
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]), servers = [];
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join(" "));
        servers.forEach((s) => s.close());
        return;
      }
      const s = net.createServer();
      servers.push(s);
      s.listen(0, "127.0.0.1", next);
    };
    next();' "$1"
}

# http_answers <url>: succeeds when an HTTP server answers GET <url> (any status) within 5 s.
http_answers() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null || true)" != 000 ]]
}

# wait_http_ok <pid> <url> <seconds>
#   Polls GET <url> until it answers 200. Prints nothing; returns
#     0  it answered 200
#     1  <seconds> passed first
#     2  process <pid> exited first
#     3  the answer says "Server misconfigured" (Portcullis refusing its configuration)
#   so that each caller words its own message.
wait_http_ok() {
  local pid=$1 url=$2 deadline=$((SECONDS + $3)) out
  while :; do
    out=$(curl -s -w '\n%{http_code}' --max-time 5 "$url" 2>/dev/null || true)
    [[ "${out##*$'\n'}" != 200 ]] || return 0
    [[ "$out" != *"Server misconfigured"* ]] || return 3
    kill -0 "$pid" 2>/dev/null || return 2
    ((SECONDS < deadline)) || return 1
    sleep 0.25
  done
}

# ---------------------------------------------------------------------------------------------------
# npm packages and the test files.

# npm_ci_when_missing <dir> <file>: npm ci in <dir> (relative to ROOT) unless <dir>/<file> exists.
# Only when missing: tests/client's node_modules are shared by every suite and by running servers.
npm_ci_when_missing() {
  [[ ! -e "$ROOT/$1/$2" ]] || return 0
  say "installing $1 dependencies (npm ci)"
  (cd "$ROOT/$1" && npm ci --no-audit --no-fund)
}

# client_test_files: the tests/client/*.test.mjs file names, one a line, except interop.test.mjs
# (it needs two servers: scripts/interop.sh).
client_test_files() {
  local f
  for f in "$ROOT"/tests/client/*.test.mjs; do
    f=${f##*/}
    [[ "$f" == interop.test.mjs ]] || echo "$f"
  done
}

# ---------------------------------------------------------------------------------------------------
# The Worker under wrangler dev (run these from ROOT: wrangler reads ./wrangler.toml).

# worker_prepare <state dir>: the Worker build (scripts/build-worker.sh, unless SKIP_BUILD is set)
# and a local D1 in <state dir> with the migrations applied (log: <state dir>/migrations.log).
# Exports what keeps wrangler quiet and stops `wrangler dev` from rebuilding.
worker_prepare() {
  local state=$1
  export WRANGLER_SEND_METRICS=false CI=true NO_COLOR=1 FORCE_COLOR=0
  if [[ -z "${SKIP_BUILD:-}" ]]; then
    say "building the Worker (scripts/build-worker.sh)"
    bash "$ROOT/scripts/build-worker.sh"
  fi
  # wrangler dev runs the [build] command again; the build is fresh, so skip it.
  export PORTCULLIS_WORKER_PREBUILT=1
  say "applying migrations to a local D1 in $state"
  "$WRANGLER" d1 migrations apply DB --local --persist-to "$state" >"$state/migrations.log" 2>&1 || {
    cat "$state/migrations.log" >&2
    say "migrations failed"
    exit 1
  }
}

# start_wrangler_dev <pid variable> <log file> <state dir> <port> <secret> <PORTCULLIS_CONFIG>
#   `wrangler dev --local` on http://127.0.0.1:<port> (inspector on <port> + 10000) with the D1 of
#   worker_prepare, through start_in_group. Every variable the Worker reads is given here, so a
#   developer's .dev.vars cannot leak in.
start_wrangler_dev() {
  local port=$4
  start_in_group "$1" "$2" "$WRANGLER" dev --local --ip 127.0.0.1 --port "$port" --persist-to "$3" \
    --show-interactive-dev-session=false --live-reload=false --inspector-port "$((port + 10000))" \
    --var "BETTER_AUTH_SECRET:$5" --var "BETTER_AUTH_URL:http://127.0.0.1:$port" \
    --var "BETTER_AUTH_TRUSTED_ORIGINS:" --var "PORTCULLIS_CONFIG:$6"
}

# ---------------------------------------------------------------------------------------------------
# The Better Auth 1.7.25 reference server (scripts/interop.sh, scripts/reference-suite.sh).

# prepare_reference <copy dir>
#   Makes <copy dir> a runnable copy of the reference: its *.mjs and package.json, and a logs/
#   directory, from BA_REFERENCE_DIR (default <repo>/../shared/better-auth/reference; dies when it
#   is missing), with node_modules linked from the cache in tests/client/.reference/<key>, key =
#   the reference's package.json + the node ABI and platform (bench/lib.sh uses the same cache).
#   A miss runs npm install there once, proves better-sqlite3 loads, and drops the older keys.
prepare_reference() {
  local dest=$1 src abi key cache_root cache build
  src=${BA_REFERENCE_DIR:-$ROOT/../shared/better-auth/reference}
  [[ -f "$src/package.json" && -f "$src/auth.mjs" ]] \
    || die "Better Auth reference not found at $src (set BA_REFERENCE_DIR)"
  src=$(cd "$src" && pwd)
  cache_root=$ROOT/tests/client/.reference
  abi=$(node -p 'process.versions.modules + "-" + process.platform + "-" + process.arch')
  key=$( (cat "$src/package.json"; echo "$abi") | sha256sum | cut -c1-16)
  cache=$cache_root/$key
  if [[ ! -f "$cache/.complete" ]]; then
    say "installing the Better Auth reference's dependencies (cache miss, key $key)"
    mkdir -p "$cache_root"
    build=$(mktemp -d "$cache_root/.install.XXXXXX")
    cp "$src/package.json" "$build/"
    if [[ -f "$src/package-lock.json" ]]; then cp "$src/package-lock.json" "$build/"; fi
    (cd "$build" && npm install --no-audit --no-fund --loglevel=error) >"$build/npm-install.log" 2>&1 \
      || { cat "$build/npm-install.log" >&2; rm -rf "$build"; die "npm install of the reference failed"; }
    # Prove the native module loads before caching it.
    (cd "$build" && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()") \
      || { rm -rf "$build"; die "better-sqlite3 does not load after npm install"; }
    touch "$build/.complete"
    rm -rf "$cache"
    mv "$build" "$cache"
    # Older keys are dead weight.
    find "$cache_root" -mindepth 1 -maxdepth 1 -not -name "$key" -exec rm -rf {} +
  else
    say "reference dependencies from cache ($key)"
  fi
  mkdir -p "$dest/logs"
  cp "$src"/*.mjs "$src/package.json" "$dest/"
  ln -s "$cache/node_modules" "$dest/node_modules"
}

# migrate_reference <copy dir> <database> <log file>: creates the database with Better Auth's own
# migration (node migrate.mjs); on failure shows the log and dies.
migrate_reference() {
  (cd "$1" && BA_DB=$2 node migrate.mjs) >"$3" 2>&1 || {
    cat "$3" >&2
    die "node migrate.mjs failed"
  }
}
