#!/usr/bin/env bash
# Live interoperability test: the real Better Auth 1.7.25 reference server and Portcullis (native,
# release build) run side by side on ONE SQLite file with the same secret, and
# tests/client/interop.test.mjs moves users, password hashes and session cookies between them.
#
#   scripts/interop.sh            (no arguments; non-interactive, CI-safe)
#
# Needs: git, node (20+) + npm, cargo, curl, a C/C++ toolchain + python3 for better-sqlite3's node-gyp
# build on the first run. The reference server's node_modules are cached in tests/client/.reference/
# (gitignored), keyed by the reference package.json, the node ABI and the platform, so reruns skip npm.
#
# Env overrides: BA_REFERENCE_DIR (default <repo>/../shared/better-auth/reference),
# INTEROP_KEEP=1 (keep the temp dir with the database and the server logs).
set -euo pipefail

ROOT=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
REF_SRC=${BA_REFERENCE_DIR:-$ROOT/../shared/better-auth/reference}
CLIENT_DIR=$ROOT/tests/client
CACHE_ROOT=$CLIENT_DIR/.reference
# The reference auth.mjs hard-codes this secret; Portcullis must sign with the same one.
SECRET='Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4'

log() { printf 'interop: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in node npm cargo curl; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[ -f "$REF_SRC/package.json" ] || die "Better Auth reference not found at $REF_SRC (set BA_REFERENCE_DIR)"
REF_SRC=$(cd "$REF_SRC" && pwd)

# Both servers must see exactly their own base URL (derived from PORT); inherited settings would skew it.
unset BETTER_AUTH_URL BETTER_AUTH_TRUSTED_ORIGINS BETTER_AUTH_SECRET DATABASE_URL PORTCULLIS_CONFIG \
  PORTCULLIS_CONFIG_FILE NODE_ENV COOKIE_CACHE RATE_LIMIT CHANGE_EMAIL AUTH_BASE_URL

WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-interop.XXXXXX")
BA_PID=
PC_PID=
STATUS=1

stop() { # stop <pid>: TERM the process group, KILL it if it lingers
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  STATUS=$?
  trap - EXIT INT TERM
  stop "$BA_PID"
  stop "$PC_PID"
  if [ "$STATUS" -ne 0 ]; then
    for f in "$WORK"/*.log; do
      [ -f "$f" ] || continue
      log "---- last lines of $(basename "$f") ----"
      tail -n 40 "$f" >&2 || true
    done
  fi
  if [ "${INTEROP_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$STATUS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

START=$SECONDS

# ---------------------------------------------------------------------------------------------------
# 1. The reference server: a copy of its sources, node_modules from the cache (npm install on a miss).
NODE_ABI=$(node -p 'process.versions.modules + "-" + process.platform + "-" + process.arch')
KEY=$( (cat "$REF_SRC/package.json"; echo "$NODE_ABI") | sha256sum | cut -c1-16)
CACHE=$CACHE_ROOT/$KEY
if [ ! -f "$CACHE/.complete" ]; then
  log "installing the Better Auth reference's dependencies (cache miss, key $KEY)"
  mkdir -p "$CACHE_ROOT"
  BUILD=$(mktemp -d "$CACHE_ROOT/.install.XXXXXX")
  cp "$REF_SRC/package.json" "$BUILD/"
  [ -f "$REF_SRC/package-lock.json" ] && cp "$REF_SRC/package-lock.json" "$BUILD/"
  (cd "$BUILD" && npm install --no-audit --no-fund --loglevel=error) >"$WORK/npm-install.log" 2>&1 \
    || { cat "$WORK/npm-install.log" >&2; rm -rf "$BUILD"; die "npm install of the reference failed"; }
  # Prove the native module loads before caching it.
  (cd "$BUILD" && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()") \
    || { rm -rf "$BUILD"; die "better-sqlite3 does not load after npm install"; }
  touch "$BUILD/.complete"
  rm -rf "$CACHE"
  mv "$BUILD" "$CACHE"
  # Older keys are dead weight.
  find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -not -name "$KEY" -exec rm -rf {} +
else
  log "reference dependencies from cache ($KEY)"
fi
REF=$WORK/reference
mkdir -p "$REF/logs"
cp "$REF_SRC"/*.mjs "$REF_SRC/package.json" "$REF/"
ln -s "$CACHE/node_modules" "$REF/node_modules"

# ---------------------------------------------------------------------------------------------------
# 2. Portcullis, release build.
log "cargo build --release"
(cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
PORTCULLIS=$ROOT/target/release/portcullis
[ -x "$PORTCULLIS" ] || die "$PORTCULLIS missing after the build"

# The tests' own client (better-auth/client) — install only if missing.
if [ ! -f "$CLIENT_DIR/node_modules/better-auth/package.json" ]; then
  log "npm ci in tests/client"
  (cd "$CLIENT_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in tests/client failed"
fi

# ---------------------------------------------------------------------------------------------------
# 3. Both servers on one database file.
DB=$WORK/shared.db
read -r BA_PORT PC_PORT < <(node -e '
  const net = require("node:net");
  const a = net.createServer().listen(0, "127.0.0.1", () => {
    const b = net.createServer().listen(0, "127.0.0.1", () => {
      console.log(a.address().port, b.address().port); a.close(); b.close();
    });
  });')
BA_URL=http://127.0.0.1:$BA_PORT
PC_URL=http://127.0.0.1:$PC_PORT

log "migrating $DB with Better Auth's own migration"
(cd "$REF" && BA_DB=$DB node migrate.mjs) >"$WORK/ba-migrate.log" 2>&1 \
  || { cat "$WORK/ba-migrate.log" >&2; die "node migrate.mjs failed"; }

# setsid: each server leads its own process group, so the trap can stop it with everything it spawned.
(cd "$REF" && exec setsid env BA_DB="$DB" PORT="$BA_PORT" BA_MAIL_LOG="$WORK/ba-mail.log" \
  node server.mjs) >"$WORK/better-auth.log" 2>&1 &
BA_PID=$!
(cd "$WORK" && exec setsid env DATABASE_URL="$DB" PORT="$PC_PORT" BETTER_AUTH_SECRET="$SECRET" \
  PORTCULLIS_CONFIG='{"password":{"algorithm":"scrypt"}}' "$PORTCULLIS") >"$WORK/portcullis.log" 2>&1 &
PC_PID=$!

wait_ok() { # wait_ok <name> <pid> <base url>
  local name=$1 pid=$2 url=$3/api/auth/ok
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start-up"
    if [ "$(curl -s -m 2 "$url" 2>/dev/null || true)" = '{"ok":true}' ]; then
      log "$name is up on $3"
      return 0
    fi
    sleep 0.1
  done
  die "$name did not answer $url within 30 s"
}
wait_ok "Better Auth" "$BA_PID" "$BA_URL"
wait_ok "Portcullis" "$PC_PID" "$PC_URL"

# ---------------------------------------------------------------------------------------------------
# 4. The tests.
log "setup took $((SECONDS - START)) s; running tests/client/interop.test.mjs"
(cd "$CLIENT_DIR" && BA_URL=$BA_URL PC_URL=$PC_URL AUTH_BASE_URL=$PC_URL node --test interop.test.mjs)
log "passed in $((SECONDS - START)) s"
