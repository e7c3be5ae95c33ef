#!/usr/bin/env bash
# Better Auth 1.7.25 and Portcullis on one PostgreSQL database, run inside `scripts/postgres.sh run`
# (PORTCULLIS_TEST_POSTGRES_URL names the "portcullis" database; "better_auth" is beside it):
#   1. Better Auth's own migration creates "better_auth"; `portcullis migrate` creates "portcullis";
#      their schemas (pg_dump -s, less d1_migrations) must be identical;
#   2. `portcullis migrate` on Better Auth's database must leave its schema unchanged;
#   3. a user Better Auth signed up signs in on Portcullis (on Better Auth's database), and Better
#      Auth reads the session Portcullis made (same secret).
# Needs target/release/portcullis (cargo build --release) and tests/client's node_modules (pg).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SAY_PREFIX="postgres-interop"
cd "$ROOT"

PC_URL=${PORTCULLIS_TEST_POSTGRES_URL:?run me through scripts/postgres.sh run}
BA_URL=${PC_URL%/*}/better_auth
BIN="$ROOT/target/release/portcullis"
[[ -x "$BIN" ]] || die "$BIN is missing (cargo build --release)"
SECRET="portcullis-postgres-interop-secret-0123456789"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
STATE=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-pg-interop.XXXXXX")
SERVER_PID=""
cleanup() {
  stop_group "$SERVER_PID"
  [[ $1 -eq 0 ]] || show_tail "$STATE/server.log" 50 "----- Portcullis log -----"
  rm -rf "$STATE"
}
on_exit cleanup

better_auth() { (cd tests/client && PG_URL=$BA_URL SECRET=$SECRET BASE_URL=$BASE_URL node pg-better-auth.mjs "$@"); }
# The schema, less wrangler's d1_migrations and pg_dump's per-run \restrict keys.
schema() {
  "$pgbin/pg_dump" --schema-only --no-owner -T d1_migrations -T d1_migrations_id_seq "$1" \
    | grep -v -e '^--' -e '^$' -e '^\\restrict' -e '^\\unrestrict'
}

PORT=${PORT:-$(free_ports 1)}
BASE_URL="http://127.0.0.1:$PORT"

say "Better Auth's migration on $BA_URL; portcullis migrate on $PC_URL"
better_auth migrate >/dev/null
"$BIN" migrate --database "$PC_URL"
schema "$BA_URL" >"$STATE/better-auth.sql"
schema "$PC_URL" >"$STATE/portcullis.sql"
diff -u "$STATE/better-auth.sql" "$STATE/portcullis.sql" \
  || die "the schema portcullis migrate makes differs from Better Auth's (diff above)"
say "identical schemas ($(grep -c '^CREATE TABLE' "$STATE/portcullis.sql") tables)"

"$BIN" migrate --database "$BA_URL"
schema "$BA_URL" >"$STATE/better-auth-after.sql"
diff -u "$STATE/better-auth.sql" "$STATE/better-auth-after.sql" \
  || die "portcullis migrate changed Better Auth's schema (diff above)"
say "portcullis migrate leaves Better Auth's database as it is"

email="pg-interop-$(date +%s%N)@example.com"
[[ "$(better_auth sign-up "$email")" == "$email" ]] || die "Better Auth's sign-up failed"
start_in_group SERVER_PID "$STATE/server.log" env -C "$STATE" DATABASE_URL="$BA_URL" PORT="$PORT" \
  BETTER_AUTH_SECRET="$SECRET" BETTER_AUTH_URL="$BASE_URL" BETTER_AUTH_TRUSTED_ORIGINS= \
  PORTCULLIS_CONFIG='{"password":{"algorithm":"scrypt"}}' "$BIN"
wait_http_ok "$SERVER_PID" "$BASE_URL/api/auth/ok" 30 || die "Portcullis did not start on $BA_URL"
cookie=$(curl -s -D - -o "$STATE/sign-in.json" -X POST -H 'content-type: application/json' \
  -H "origin: $BASE_URL" -d "{\"email\":\"$email\",\"password\":\"password123\"}" \
  "$BASE_URL/api/auth/sign-in/email" | grep -io 'better-auth.session_token=[^;]*' | head -n1)
[[ -n "$cookie" ]] || { cat "$STATE/sign-in.json" >&2; die "Portcullis refused a user Better Auth signed up"; }
say "a user Better Auth signed up signs in on Portcullis"
[[ "$(better_auth session "$cookie")" == "$email" ]] || die "Better Auth does not read the session Portcullis made"
say "Better Auth reads the session Portcullis made"
echo "postgres-interop: 3 passed, 0 failed"
