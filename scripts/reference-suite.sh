#!/usr/bin/env bash
# Runs official-client test files (tests/client, node --test) against the REAL Better Auth 1.7.25 reference
# server — the oracle the suite must pass before it is used on Portcullis. The reference
# (../shared/better-auth/reference: auth.mjs + server.mjs) is started here on 127.0.0.1 with a fresh SQLite
# database migrated by Better Auth itself, and a fresh mail log (its sendResetPassword /
# sendVerificationEmail callbacks append {t, kind, email, url, token} lines to it).
#
#   scripts/reference-suite.sh                      every tests/client/*.test.mjs except interop.test.mjs
#   scripts/reference-suite.sh account.test.mjs     just these (any `node --test` arguments)
#
# The tests see: AUTH_BASE_URL (the server), MAIL_LOG (the mail log), REFERENCE=1, and DELETE_USER (off,
# or REF_DELETE_USER below).
#
# Environment:
#   PORT              port to serve on (default: a free one)
#   REF_DELETE_USER   on | verify: run a copy of auth.mjs with user.deleteUser enabled (verify: with
#                     sendDeleteAccountVerification logging kind "delete-account"), to prove the delete-user
#                     tests written for Portcullis against Better Auth itself. Default: the reference's own
#                     config (delete-user disabled).
#   BA_REFERENCE_DIR  the reference sources (default <repo>/../shared/better-auth/reference)
#   KEEP_SERVER_LOG=1 print the server log (and mail log) even when the tests pass
#
# The reference's node_modules are cached in tests/client/.reference/<key> (shared with scripts/interop.sh;
# key = reference package.json + node ABI); a miss runs npm install there once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REF_SRC=${BA_REFERENCE_DIR:-$ROOT/../shared/better-auth/reference}
CLIENT_DIR=$ROOT/tests/client
CACHE_ROOT=$CLIENT_DIR/.reference

say() { echo "reference-suite: $*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in node npm curl; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -f "$REF_SRC/package.json" && -f "$REF_SRC/auth.mjs" ]] || die "Better Auth reference not found at $REF_SRC (set BA_REFERENCE_DIR)"
REF_SRC=$(cd "$REF_SRC" && pwd)
case "${REF_DELETE_USER:-}" in
  "" | on | verify) ;;
  *) die "REF_DELETE_USER must be on or verify" ;;
esac

# The reference reads these; inherited values would change its configuration or base URL.
unset BETTER_AUTH_URL BETTER_AUTH_TRUSTED_ORIGINS BETTER_AUTH_SECRET NODE_ENV COOKIE_CACHE RATE_LIMIT \
  CHANGE_EMAIL BA_DB BA_MAIL_LOG AUTH_BASE_URL MAIL_LOG PORTCULLIS PORTCULLIS_CONFIG

WORK=$(mktemp -d "${TMPDIR:-/tmp}/reference-suite.XXXXXX")
LOG=$WORK/server.log
SERVER_PID=""

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_server
  if [[ $status -ne 0 || -n "${KEEP_SERVER_LOG:-}" ]]; then
    for f in "$LOG" "$WORK/mail.log"; do
      [[ -s "$f" ]] || continue
      echo "----- $(basename "$f") (last 100 lines) -----" >&2
      tail -n 100 "$f" >&2
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------------
# The reference install (node_modules from the cache shared with interop.sh).
NODE_ABI=$(node -p 'process.versions.modules + "-" + process.platform + "-" + process.arch')
KEY=$( (cat "$REF_SRC/package.json"; echo "$NODE_ABI") | sha256sum | cut -c1-16)
CACHE=$CACHE_ROOT/$KEY
if [[ ! -f "$CACHE/.complete" ]]; then
  say "installing the Better Auth reference's dependencies (cache miss, key $KEY)"
  mkdir -p "$CACHE_ROOT"
  BUILD=$(mktemp -d "$CACHE_ROOT/.install.XXXXXX")
  cp "$REF_SRC/package.json" "$BUILD/"
  [[ -f "$REF_SRC/package-lock.json" ]] && cp "$REF_SRC/package-lock.json" "$BUILD/"
  (cd "$BUILD" && npm install --no-audit --no-fund --loglevel=error) >"$WORK/npm-install.log" 2>&1 \
    || { cat "$WORK/npm-install.log" >&2; rm -rf "$BUILD"; die "npm install of the reference failed"; }
  (cd "$BUILD" && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()") \
    || { rm -rf "$BUILD"; die "better-sqlite3 does not load after npm install"; }
  touch "$BUILD/.complete"
  rm -rf "$CACHE"
  mv "$BUILD" "$CACHE"
fi
REF=$WORK/reference
mkdir -p "$REF/logs"
cp "$REF_SRC"/*.mjs "$REF_SRC/package.json" "$REF/"
ln -s "$CACHE/node_modules" "$REF/node_modules"

if [[ -n "${REF_DELETE_USER:-}" ]]; then
  # Enable user.deleteUser in this copy only: the `user:` option line of auth.mjs gains deleteUser.
  REF_DELETE_USER=$REF_DELETE_USER node - "$REF/auth.mjs" <<'EOF'
const fs = require('node:fs');
const file = process.argv[2];
const src = fs.readFileSync(file, 'utf8');
const needle = 'user: { changeEmail: { enabled: process.env.CHANGE_EMAIL !== \'0\' } },';
if (!src.includes(needle)) {
  console.error(`reference-suite: cannot enable deleteUser: ${file} no longer has the line\n  ${needle}`);
  process.exit(1);
}
const verify = process.env.REF_DELETE_USER === 'verify'
  ? ', sendDeleteAccountVerification: async ({ user, url, token }) => logMail(\'delete-account\', { email: user.email, url, token })'
  : '';
fs.writeFileSync(file, src.replace(needle,
  `user: { changeEmail: { enabled: process.env.CHANGE_EMAIL !== '0' }, deleteUser: { enabled: true${verify} } },`));
EOF
  say "deleteUser enabled in the reference copy (${REF_DELETE_USER})"
fi

# ---------------------------------------------------------------------------------------------------------
# Start it.
if [[ -z "${PORT:-}" ]]; then
  PORT=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
fi
BASE_URL="http://127.0.0.1:$PORT"
if curl -s -o /dev/null --max-time 2 "$BASE_URL/" 2>/dev/null; then
  die "something already answers on $BASE_URL; stop it or choose another PORT"
fi

DB=$WORK/ref.db
MAIL_LOG=$WORK/mail.log
: >"$MAIL_LOG"
(cd "$REF" && BA_DB=$DB node migrate.mjs) >"$WORK/migrate.log" 2>&1 \
  || { cat "$WORK/migrate.log" >&2; die "node migrate.mjs failed"; }

say "starting Better Auth (reference) on $BASE_URL"
# setsid: the server leads its own process group, so cleanup stops it with anything it spawned.
(cd "$REF" && exec setsid env BA_DB="$DB" BA_MAIL_LOG="$MAIL_LOG" PORT="$PORT" node server.mjs) >"$LOG" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 300); do
  kill -0 "$SERVER_PID" 2>/dev/null || die "the reference server exited during start-up"
  [[ "$(curl -s --max-time 2 "$BASE_URL/api/auth/ok" 2>/dev/null || true)" == '{"ok":true}' ]] && break
  sleep 0.1
done
[[ "$(curl -s --max-time 2 "$BASE_URL/api/auth/ok" 2>/dev/null || true)" == '{"ok":true}' ]] \
  || die "the reference server did not answer $BASE_URL/api/auth/ok within 30 s"

if [[ ! -f "$CLIENT_DIR/node_modules/better-auth/package.json" ]]; then
  say "installing tests/client dependencies (npm ci)"
  (cd "$CLIENT_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [[ $# -eq 0 ]]; then
  set -- $(cd "$CLIENT_DIR" && ls -- *.test.mjs | grep -vx 'interop.test.mjs')
fi
say "running node --test $* (DELETE_USER=${REF_DELETE_USER:-off})"
set +e
(cd "$CLIENT_DIR" && AUTH_BASE_URL="$BASE_URL" MAIL_LOG="$MAIL_LOG" REFERENCE=1 \
  DELETE_USER="${REF_DELETE_USER:-off}" node --test "$@")
status=$?
set -e
say "node --test exited with $status"
exit "$status"
