#!/usr/bin/env bash
# Better Auth 1.7.25 and Portcullis on one PostgreSQL database, both with the twoFactor, username and
# jwt plugins, run inside `scripts/postgres.sh run` (PORTCULLIS_TEST_POSTGRES_URL names the
# "portcullis" database; "better_auth" is beside it):
#   1. Better Auth's own migration creates "better_auth"; `portcullis migrate` creates "portcullis";
#      their schemas (pg_dump -s, less d1_migrations) must be identical;
#   2. `portcullis migrate` on Better Auth's database must leave its schema unchanged, and so on a
#      database Better Auth made without the plugins and then upgraded with them (its migration
#      adds them differently: `twoFactorEnabled boolean default false`, a unique index on username);
#   3. a user Better Auth signed up signs in on Portcullis (on Better Auth's database), and Better
#      Auth reads the session Portcullis made (same secret);
#   4. a TOTP enrolment Better Auth made completes a two-factor sign-in on Portcullis, and one
#      Portcullis made completes a two-factor sign-in on Better Auth.
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

# The same plugins on both sides (Better Auth's are in tests/client/pg-better-auth.mjs).
CONFIG='{"password":{"algorithm":"scrypt"},"plugins":{"twoFactor":{},"username":{},"jwt":{}}}'
migrate() { PORTCULLIS_CONFIG=$CONFIG "$BIN" migrate --database "$1"; }

say "Better Auth's migration on $BA_URL; portcullis migrate on $PC_URL (twoFactor, username, jwt on)"
better_auth migrate >/dev/null
migrate "$PC_URL"
schema "$BA_URL" >"$STATE/better-auth.sql"
schema "$PC_URL" >"$STATE/portcullis.sql"
diff -u "$STATE/better-auth.sql" "$STATE/portcullis.sql" \
  || die "the schema portcullis migrate makes differs from Better Auth's (diff above)"
say "identical schemas ($(grep -c '^CREATE TABLE' "$STATE/portcullis.sql") tables)"

migrate "$BA_URL"
schema "$BA_URL" >"$STATE/better-auth-after.sql"
diff -u "$STATE/better-auth.sql" "$STATE/better-auth-after.sql" \
  || die "portcullis migrate changed Better Auth's schema (diff above)"
say "portcullis migrate leaves Better Auth's database as it is"

UP_URL=${PC_URL%/*}/better_auth_upgraded
"$pgbin/psql" -q "$PC_URL" -c 'CREATE DATABASE better_auth_upgraded'
(cd tests/client && PG_URL=$UP_URL SECRET=$SECRET node pg-better-auth.mjs migrate-core >/dev/null)
(cd tests/client && PG_URL=$UP_URL SECRET=$SECRET node pg-better-auth.mjs migrate >/dev/null)
schema "$UP_URL" >"$STATE/upgraded.sql"
migrate "$UP_URL"
schema "$UP_URL" >"$STATE/upgraded-after.sql"
diff -u "$STATE/upgraded.sql" "$STATE/upgraded-after.sql" \
  || die "portcullis migrate changed the schema of a database Better Auth upgraded with the plugins (diff above)"
say "portcullis migrate leaves a database Better Auth upgraded with the plugins as it is"

email="pg-interop-$(date +%s%N)@example.com"
[[ "$(better_auth sign-up "$email")" == "$email" ]] || die "Better Auth's sign-up failed"
start_in_group SERVER_PID "$STATE/server.log" env -C "$STATE" DATABASE_URL="$BA_URL" PORT="$PORT" \
  BETTER_AUTH_SECRET="$SECRET" BETTER_AUTH_URL="$BASE_URL" BETTER_AUTH_TRUSTED_ORIGINS= \
  PORTCULLIS_CONFIG="$CONFIG" "$BIN"
wait_http_ok "$SERVER_PID" "$BASE_URL/api/auth/ok" 30 || die "Portcullis did not start on $BA_URL"
cookie=$(curl -s -D - -o "$STATE/sign-in.json" -X POST -H 'content-type: application/json' \
  -H "origin: $BASE_URL" -d "{\"email\":\"$email\",\"password\":\"password123\"}" \
  "$BASE_URL/api/auth/sign-in/email" | grep -io 'better-auth.session_token=[^;]*' | head -n1)
[[ -n "$cookie" ]] || { cat "$STATE/sign-in.json" >&2; die "Portcullis refused a user Better Auth signed up"; }
say "a user Better Auth signed up signs in on Portcullis"
[[ "$(better_auth session "$cookie")" == "$email" ]] || die "Better Auth does not read the session Portcullis made"
say "Better Auth reads the session Portcullis made"

# curl with a cookie jar; prints the body.
portcullis_post() { # <jar> <path> <json>
  curl -s -c "$1" -b "$1" -X POST -H 'content-type: application/json' -H "origin: $BASE_URL" \
    -d "$3" "$BASE_URL/api/auth$2"
}
session_cookie() { awk '$6 == "better-auth.session_token" { print $6 "=" $7 }' "$1"; }

email="pg-interop-ba-2fa-$(date +%s%N)@example.com"
uri=$(better_auth enrol "$email")
jar="$STATE/ba-2fa.jar"
challenge=$(portcullis_post "$jar" /sign-in/email "{\"email\":\"$email\",\"password\":\"password123\"}")
[[ "$challenge" == *'"twoFactorRedirect":true'* ]] || die "Portcullis did not challenge a user Better Auth enrolled: $challenge"
verified=$(portcullis_post "$jar" /two-factor/verify-totp "{\"code\":\"$(better_auth totp "$uri")\"}")
[[ "$verified" == *"\"email\":\"$email\""* ]] || die "Portcullis refused the TOTP of Better Auth's enrolment: $verified"
[[ "$(better_auth session "$(session_cookie "$jar")")" == "$email" ]] \
  || die "Better Auth does not read the session Portcullis made after two-factor"
say "a TOTP enrolment Better Auth made completes a two-factor sign-in on Portcullis"

email="pg-interop-pc-2fa-$(date +%s%N)@example.com"
jar="$STATE/pc-2fa.jar"
portcullis_post "$jar" /sign-up/email \
  "{\"name\":\"Portcullis user\",\"email\":\"$email\",\"password\":\"password123\"}" >/dev/null
enabled=$(portcullis_post "$jar" /two-factor/enable '{"password":"password123"}')
uri=$(node -e 'console.log(JSON.parse(process.argv[1]).totpURI)' "$enabled") \
  || die "Portcullis did not enable two-factor: $enabled"
verified=$(portcullis_post "$jar" /two-factor/verify-totp "{\"code\":\"$(better_auth totp "$uri")\"}")
[[ "$verified" == *'"token"'* ]] || die "Portcullis refused its own first TOTP: $verified"
[[ "$(better_auth complete-2fa "$email" "$uri")" == "$email" ]] \
  || die "Better Auth did not complete a two-factor sign-in with Portcullis' enrolment"
say "a TOTP enrolment Portcullis made completes a two-factor sign-in on Better Auth"
echo "postgres-interop: 7 passed, 0 failed"
