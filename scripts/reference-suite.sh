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
# key = reference package.json + node ABI); a miss runs npm install there once (scripts/lib.sh:
# prepare_reference).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SAY_PREFIX=reference-suite
CLIENT_DIR=$ROOT/tests/client

require_tools node npm curl
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

# shellcheck disable=SC2317 # called through on_exit (scripts/lib.sh)
cleanup() {
  stop_group "$SERVER_PID"
  if [[ $1 -ne 0 || -n "${KEEP_SERVER_LOG:-}" ]]; then
    for f in "$LOG" "$WORK/mail.log"; do
      show_tail "$f" 100 "----- $(basename "$f") (last 100 lines) -----"
    done
  fi
  rm -rf "$WORK"
}
on_exit cleanup

# ---------------------------------------------------------------------------------------------------------
# The reference install (node_modules from the cache shared with interop.sh).
REF=$WORK/reference
prepare_reference "$REF"

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
  PORT=$(free_ports 1)
fi
BASE_URL="http://127.0.0.1:$PORT"
if http_answers "$BASE_URL/"; then
  die "something already answers on $BASE_URL; stop it or choose another PORT"
fi

DB=$WORK/ref.db
MAIL_LOG=$WORK/mail.log
: >"$MAIL_LOG"
migrate_reference "$REF" "$DB" "$WORK/migrate.log"

say "starting Better Auth (reference) on $BASE_URL"
start_in_group SERVER_PID "$LOG" env -C "$REF" BA_DB="$DB" BA_MAIL_LOG="$MAIL_LOG" PORT="$PORT" node server.mjs
wait_http_ok "$SERVER_PID" "$BASE_URL/api/auth/ok" 30 || case $? in
  2) die "the reference server exited during start-up" ;;
  *) die "the reference server did not answer $BASE_URL/api/auth/ok within 30 s" ;;
esac

npm_ci_when_missing tests/client node_modules/better-auth/package.json

if [[ $# -eq 0 ]]; then
  mapfile -t tests < <(client_test_files)
  set -- "${tests[@]}"
fi
say "running node --test $* (DELETE_USER=${REF_DELETE_USER:-off})"
set +e
(cd "$CLIENT_DIR" && AUTH_BASE_URL="$BASE_URL" MAIL_LOG="$MAIL_LOG" REFERENCE=1 \
  DELETE_USER="${REF_DELETE_USER:-off}" node --test "$@")
status=$?
set -e
say "node --test exited with $status"
exit "$status"
