#!/usr/bin/env bash
# Live interoperability test: the real Better Auth 1.7.25 reference server and Portcullis (native,
# release build) run side by side on ONE SQLite file with the same secret, and
# tests/client/interop.test.mjs moves users, password hashes and session cookies between them.
#
#   scripts/interop.sh            (no arguments; non-interactive, CI-safe)
#
# Needs: node (20+) + npm, cargo, curl, a C/C++ toolchain + python3 for better-sqlite3's node-gyp
# build on the first run. The reference server's node_modules are cached in tests/client/.reference/
# (gitignored), keyed by the reference package.json, the node ABI and the platform, so reruns skip npm
# (scripts/lib.sh: prepare_reference).
#
# Env overrides: BA_REFERENCE_DIR (default <repo>/../shared/better-auth/reference),
# INTEROP_KEEP=1 (keep the temp dir with the database and the server logs).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SAY_PREFIX=interop
CLIENT_DIR=$ROOT/tests/client
# The reference auth.mjs hard-codes this secret; Portcullis must sign with the same one.
SECRET='Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4'

require_tools node npm cargo curl

# Both servers must see exactly their own base URL (derived from PORT); inherited settings would skew it.
unset BETTER_AUTH_URL BETTER_AUTH_TRUSTED_ORIGINS BETTER_AUTH_SECRET DATABASE_URL PORTCULLIS_CONFIG \
  PORTCULLIS_CONFIG_FILE NODE_ENV COOKIE_CACHE RATE_LIMIT CHANGE_EMAIL AUTH_BASE_URL

WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-interop.XXXXXX")
BA_PID=
PC_PID=

# shellcheck disable=SC2317 # called through on_exit (scripts/lib.sh)
cleanup() {
  stop_group "$BA_PID"
  stop_group "$PC_PID"
  if [ "$1" -ne 0 ]; then
    for f in "$WORK"/*.log; do
      show_tail "$f" 40 "interop: ---- last lines of $(basename "$f") ----"
    done
  fi
  if [ "${INTEROP_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
on_exit cleanup

START=$SECONDS

# ---------------------------------------------------------------------------------------------------
# 1. The reference server: a copy of its sources, node_modules from the cache (npm install on a miss).
REF=$WORK/reference
prepare_reference "$REF"

# ---------------------------------------------------------------------------------------------------
# 2. Portcullis, release build.
say "cargo build --release"
(cd "$ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
PORTCULLIS=$ROOT/target/release/portcullis
[ -x "$PORTCULLIS" ] || die "$PORTCULLIS missing after the build"

# The tests' own client (better-auth/client) — install only if missing.
npm_ci_when_missing tests/client node_modules/better-auth/package.json || die "npm ci in tests/client failed"

# ---------------------------------------------------------------------------------------------------
# 3. Both servers on one database file.
DB=$WORK/shared.db
# INTEROP_PORTS="<better-auth port> <portcullis port>" pins them (a shared machine); else any free two.
read -r BA_PORT PC_PORT < <(if [[ -n "${INTEROP_PORTS:-}" ]]; then echo "$INTEROP_PORTS"; else free_ports 2; fi)
BA_URL=http://127.0.0.1:$BA_PORT
PC_URL=http://127.0.0.1:$PC_PORT

say "migrating $DB with Better Auth's own migration"
migrate_reference "$REF" "$DB" "$WORK/ba-migrate.log"

start_in_group BA_PID "$WORK/better-auth.log" \
  env -C "$REF" BA_DB="$DB" PORT="$BA_PORT" BA_MAIL_LOG="$WORK/ba-mail.log" node server.mjs
start_in_group PC_PID "$WORK/portcullis.log" \
  env -C "$WORK" DATABASE_URL="$DB" PORT="$PC_PORT" BETTER_AUTH_SECRET="$SECRET" \
  PORTCULLIS_CONFIG='{"password":{"algorithm":"scrypt"},"socialProviders":{"github":{"clientId":"x","clientSecret":"y"},"google":{"clientId":"x","clientSecret":"y"}},"plugins":{"twoFactor":{},"username":{}}}' "$PORTCULLIS"

wait_ok() { # wait_ok <name> <pid> <base url>
  local url=$3/api/auth/ok
  wait_http_ok "$2" "$url" 30 || case $? in
    2) die "$1 exited during start-up" ;;
    *) die "$1 did not answer $url within 30 s" ;;
  esac
  say "$1 is up on $3"
}
wait_ok "Better Auth" "$BA_PID" "$BA_URL"
wait_ok "Portcullis" "$PC_PID" "$PC_URL"

# ---------------------------------------------------------------------------------------------------
# 4. The tests.
say "setup took $((SECONDS - START)) s; running tests/client/interop.test.mjs"
(cd "$CLIENT_DIR" && export BA_URL PC_URL AUTH_BASE_URL=$PC_URL && node --test interop.test.mjs)
say "passed in $((SECONDS - START)) s"
