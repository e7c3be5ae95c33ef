#!/usr/bin/env bash
# Runs the official-client suite (tests/client, node --test) against one host, started here on
# 127.0.0.1 with a fresh database in a temporary directory and a fixed test secret.
#
#   scripts/client-suite.sh native    cargo build --release; target/release/portcullis (PORT, default 3999)
#   scripts/client-suite.sh worker    scripts/build-worker.sh; wrangler dev in workerd (PORT, default 8787)
#   scripts/client-suite.sh spin      the Spin component (cargo build --target wasm32-wasip2 --release --lib);
#                                     `spin up` (Spin 4.0.x; SPIN, default `spin` on PATH) on PORT (default 3000),
#                                     state in the temporary directory, the core migration and the enabled
#                                     plugins' migrations applied with --sqlite @file. Skipped (exit 0, with a
#                                     message) when no spin CLI is found: no registry ships one, so CI has none.
#
# Mail: tests/client/mail-sink.mjs is started first (a local HTTP server appending each POSTed mail as a JSON
# line to $STATE/mail.log); the server's webhook mailer posts to it and the tests read that file (env
# MAIL_LOG, tests/client/mail.mjs).
#
# Social sign-on: tests/client/fake-idp.mjs (a fake OAuth/OIDC provider on 127.0.0.1) is started too; the
# default configuration points github, google, discord, apple, railway and a generic OIDC provider ("acme")
# at it, and the tests get its URL as FAKE_IDP_URL when the configuration uses it (@FAKE_IDP_URL@ in
# PORTCULLIS_CONFIG is replaced by it); social.test.mjs skips itself otherwise.
#
# Environment:
#   PORT                  port to serve on (the server's baseURL is http://127.0.0.1:$PORT)
#   PORTCULLIS_CONFIG     JSON options passed to the server. Unset: change-email and delete-user enabled,
#                         the built-in plugins on, mail to the sink:
#                           {"user":{"changeEmail":{"enabled":true},"deleteUser":{"enabled":true}},
#                            "plugins":{"twoFactor":{},"username":{},"magicLink":{},"emailOTP":{},"jwt":{},"bearer":{}},
#                            "email":{"provider":"webhook","webhookUrl":"<sink URL>"}}
#                           plus socialProviders at the fake identity provider (see above).
#                         Set (even empty): used as given, with @MAIL_SINK_URL@ and @FAKE_IDP_URL@ replaced.
#   SECONDARY_STORAGE=1   sessions in the host's KV too: adds {"secondaryStorage":{"enabled":true}} to the
#                         options (native: the in-memory KV; worker: the KV binding of wrangler.toml;
#                         spin: the `default` key-value store)
#   D1_SESSIONS=1         worker only: D1 read replication, adds {"d1":{"readReplication":true}} and turns on
#                         d1-sessions.test.mjs (skipped otherwise). Pass d1-sessions.test.mjs as the argument:
#                         the other files assert Better Auth's exact Set-Cookie lists, which the bookmark
#                         cookie adds to.
#   LIBSQL=1              the database is libSQL over HTTP instead of SQLite/D1: the Hrana test server
#                         (examples/hrana_server.rs, built here) on HRANA_PORT (default: a free port), over
#                         a SQLite file in the state directory, with a bearer token; migrated with
#                         `portcullis migrate`; native gets DATABASE_URL, the Worker LIBSQL_URL.
#                         With LIBSQL_SERVER_URL (and LIBSQL_AUTH_TOKEN), that server is used instead,
#                         e.g. a real sqld.
#   POSTGRES=1            native only: the database is PostgreSQL, a throwaway cluster started here with
#                         scripts/postgres.sh on PG_PORT (default: a free port); DATABASE_URL=postgres://….
#                         The server migrates it at start (the core's and the enabled plugins' tables).
#   DELETE_USER           off|on|verify for account.test.mjs (default: derived from the effective config)
#   READY_TIMEOUT         seconds to wait for GET /api/auth/ok (default 60 native and spin, 180 worker)
#   SKIP_BUILD=1          use the existing build (target/release/portcullis, build/worker or
#                         target/wasm32-wasip2/release/portcullis.wasm)
#   KEEP_SERVER_LOG=1     print the server log even when the suite passes
# Extra arguments go to `node --test` (e.g. --test-name-pattern=sign-in core.test.mjs); without any,
# every tests/client/*.test.mjs runs except interop.test.mjs (two servers: scripts/interop.sh).
# Exits with the suite's status; the server (its whole process group) is stopped on exit.
set -euo pipefail

MODE="${1:-}"
shift || true
case "$MODE" in
  native | worker | spin) ;;
  *)
    echo "usage: $0 native|worker|spin [node --test arguments...]" >&2
    exit 2
    ;;
esac

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SAY_PREFIX="client-suite[$MODE]"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

if [[ "$MODE" == spin ]]; then
  SPIN="${SPIN:-spin}"
  if ! command -v "$SPIN" >/dev/null; then
    say "skipped: no Spin CLI ('$SPIN' is not on PATH; set SPIN to its path). No registry ships one."
    exit 0
  fi
fi

SECRET="portcullis-client-suite-secret-0123456789abcdef"
case "$MODE" in
  native) PORT="${PORT:-3999}" ;;
  worker) PORT="${PORT:-8787}" ;;
  spin) PORT="${PORT:-3000}" ;;
esac
BASE_URL="http://127.0.0.1:$PORT"
READY_TIMEOUT="${READY_TIMEOUT:-$([[ "$MODE" == worker ]] && echo 180 || echo 60)}"

STATE="$(mktemp -d "${TMPDIR:-/tmp}/portcullis-suite.XXXXXX")"
LOG="$STATE/server.log"
SERVER_PID=""
SINK_PID=""
IDP_PID=""
IDP_URL=""
MAIL_LOG="$STATE/mail.log"

# shellcheck disable=SC2317 # called through on_exit (scripts/lib.sh)
cleanup() {
  stop_group "$SERVER_PID"
  stop_group "$SINK_PID"
  stop_group "$IDP_PID"
  stop_group "${HRANA_PID:-}"
  if [[ -n "${PG_DIR:-}" ]]; then
    [[ $1 -eq 0 ]] || show_tail "$PG_DIR/server.log" 50 "----- PostgreSQL log -----"
    "$ROOT/scripts/postgres.sh" stop "$PG_DIR"
    rm -rf "$PG_DIR"
  fi
  if [[ $1 -ne 0 || -n "${KEEP_SERVER_LOG:-}" ]]; then
    show_tail "$LOG" 200 "----- server log ($LOG, last 200 lines) -----" "----- end of server log -----"
    show_tail "$MAIL_LOG" 50 "----- captured mail ($MAIL_LOG, last 50 lines) -----"
  fi
  rm -rf "$STATE"
}
on_exit cleanup

if http_answers "$BASE_URL/api/auth/ok"; then
  say "something already answers on $BASE_URL; stop it or choose another PORT"
  exit 1
fi

npm_ci_when_missing tests/client node_modules

: >"$MAIL_LOG"
start_helper SINK_PID SINK_URL "the mail sink (tests/client/mail-sink.mjs)" "$STATE/mail-sink.out" \
  env -u PORT MAIL_LOG="$MAIL_LOG" node "$ROOT/tests/client/mail-sink.mjs" "$MAIL_LOG"
say "mail sink on $SINK_URL (writing $MAIL_LOG)"
start_helper IDP_PID IDP_URL "the fake identity provider (tests/client/fake-idp.mjs)" "$STATE/fake-idp.out" \
  node "$ROOT/tests/client/fake-idp.mjs" "${FAKE_IDP_PORT:-0}"
say "fake identity provider on $IDP_URL"

if [[ -z "${PORTCULLIS_CONFIG+set}" ]]; then
  # Social providers point at the fake identity provider (endpoint overrides: README, configuration).
  PORTCULLIS_CONFIG=$(node -e '
    const idp = "@FAKE_IDP_URL@";
    const p = (id, extra) => ({ clientId: `${id}-client`, clientSecret: `secret-${id}-client`,
      authorizationEndpoint: `${idp}/authorize`, tokenEndpoint: `${idp}/token`, ...extra });
    console.log(JSON.stringify({
      user: { changeEmail: { enabled: true }, deleteUser: { enabled: true } },
      email: { provider: "webhook", webhookUrl: "@MAIL_SINK_URL@" },
      socialProviders: {
        github: p("github", { userInfoEndpoint: `${idp}/user` }),
        google: p("google", { jwksEndpoint: `${idp}/jwks`, issuer: idp }),
        discord: p("discord", { userInfoEndpoint: `${idp}/users/@me` }),
        apple: p("apple", { jwksEndpoint: `${idp}/jwks`, issuer: idp, appBundleIdentifier: "com.example.app" }),
        railway: p("railway", { userInfoEndpoint: `${idp}/userinfo` }),
        acme: { clientId: "acme-client", clientSecret: "secret-acme-client",
          discoveryUrl: `${idp}/.well-known/openid-configuration` },
      },
      account: { accountLinking: { trustedProviders: ["google"] } },
      plugins: { twoFactor: {}, username: {}, magicLink: {}, emailOTP: {}, jwt: {}, bearer: {} },
    }));')
fi
PORTCULLIS_CONFIG=${PORTCULLIS_CONFIG//@MAIL_SINK_URL@/$SINK_URL}
PORTCULLIS_CONFIG=${PORTCULLIS_CONFIG//@FAKE_IDP_URL@/$IDP_URL}
# social.test.mjs runs only when the configuration points providers at the fake provider.
TESTS_IDP_URL=""
[[ "$PORTCULLIS_CONFIG" == *"$IDP_URL"* ]] && TESTS_IDP_URL="$IDP_URL"
if [[ -n "${SECONDARY_STORAGE:-}" ]]; then
  PORTCULLIS_CONFIG=$(node -e '
    const c = JSON.parse(process.argv[1] || "{}") || {};
    c.secondaryStorage = { ...(c.secondaryStorage || {}), enabled: true };
    console.log(JSON.stringify(c));' "$PORTCULLIS_CONFIG")
  SAY_PREFIX="$SAY_PREFIX[kv]"
  say "sessions in secondary storage: $PORTCULLIS_CONFIG"
fi
if [[ -n "${D1_SESSIONS:-}" ]]; then
  [[ "$MODE" == worker ]] || die "D1_SESSIONS=1 needs the worker mode"
  PORTCULLIS_CONFIG=$(node -e '
    const c = JSON.parse(process.argv[1] || "{}") || {};
    c.d1 = { ...(c.d1 || {}), readReplication: true };
    console.log(JSON.stringify(c));' "$PORTCULLIS_CONFIG")
  SAY_PREFIX="$SAY_PREFIX[d1-sessions]"
  say "D1 read replication: $PORTCULLIS_CONFIG"
fi
# What account.test.mjs should expect of /delete-user under this configuration.
if [[ -z "${DELETE_USER:-}" ]]; then
  DELETE_USER=$(node -e '
    let c = {};
    try { c = JSON.parse(process.argv[1] || "{}") || {}; } catch {}
    const d = (c.user && c.user.deleteUser) || {};
    console.log(!d.enabled ? "off" : d.sendDeleteAccountVerification ? "verify" : "on");' "$PORTCULLIS_CONFIG")
fi

EXTRA_ENV=()
WRANGLER_VARS=()
if [[ -n "${LIBSQL:-}" ]]; then
  SAY_PREFIX="$SAY_PREFIX[libsql]"
  if [[ -n "${LIBSQL_SERVER_URL:-}" ]]; then
    # A libSQL server of your own (e.g. a real sqld), used as it is; token in LIBSQL_AUTH_TOKEN.
    cargo build --release --bin portcullis
    LIBSQL_URL=$LIBSQL_SERVER_URL
    LIBSQL_TOKEN=${LIBSQL_AUTH_TOKEN:-}
    say "using the libSQL server at $LIBSQL_URL"
  else
    say "building the Hrana test server and the CLI (cargo build --release --example hrana_server)"
    cargo build --release --example hrana_server --bin portcullis
    HRANA_PORT=${HRANA_PORT:-$(free_ports 1)}
    LIBSQL_TOKEN="client-suite-libsql-token"
    HRANA_PID=""
    start_in_group HRANA_PID "$STATE/hrana.log" \
      "$ROOT/target/release/examples/hrana_server" "$HRANA_PORT" "$STATE/libsql.db" "$LIBSQL_TOKEN"
    LIBSQL_URL="http://127.0.0.1:$HRANA_PORT"
    wait_http_ok "$HRANA_PID" "$LIBSQL_URL/v2" 10 || die "the Hrana test server did not start (see $STATE/hrana.log)"
  fi
  # With the suite's options, so the enabled plugins' tables are created too.
  LIBSQL_AUTH_TOKEN=$LIBSQL_TOKEN PORTCULLIS_CONFIG="$PORTCULLIS_CONFIG" \
    "$ROOT/target/release/portcullis" migrate --database "$LIBSQL_URL" \
    || die "portcullis migrate to $LIBSQL_URL failed"
  EXTRA_ENV=(DATABASE_URL="$LIBSQL_URL" LIBSQL_AUTH_TOKEN="$LIBSQL_TOKEN")
  WRANGLER_VARS=(--var "LIBSQL_URL:$LIBSQL_URL" --var "LIBSQL_AUTH_TOKEN:$LIBSQL_TOKEN")
fi

if [[ -n "${POSTGRES:-}" ]]; then
  [[ "$MODE" == native ]] || die "POSTGRES=1 needs the native mode"
  SAY_PREFIX="$SAY_PREFIX[postgres]"
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-pg.XXXXXX")
  chmod 755 "$PG_DIR"
  PG_PORT=${PG_PORT:-$(free_ports 1)}
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT (scripts/postgres.sh)"
  PG_URL=$("$ROOT/scripts/postgres.sh" start "$PG_DIR" "$PG_PORT") || die "PostgreSQL did not start"
  EXTRA_ENV=(DATABASE_URL="$PG_URL")
fi

case "$MODE" in
  native)
    if [[ -z "${SKIP_BUILD:-}" ]]; then
      say "cargo build --release"
      cargo build --release
    fi
    BIN="$ROOT/target/release/portcullis"
    say "starting $BIN on $BASE_URL (database ${PG_URL:-${LIBSQL_URL:-$STATE/portcullis.db}})"
    # cwd is the state directory, so no portcullis.json of the checkout is picked up.
    start_in_group SERVER_PID "$LOG" env -C "$STATE" \
      DATABASE_URL="$STATE/portcullis.db" PORT="$PORT" \
      BETTER_AUTH_SECRET="$SECRET" BETTER_AUTH_URL="$BASE_URL" \
      PORTCULLIS_CONFIG="$PORTCULLIS_CONFIG" BETTER_AUTH_TRUSTED_ORIGINS= \
      "${EXTRA_ENV[@]}" "$BIN"
    ;;
  worker)
    worker_prepare "$STATE"
    say "starting wrangler dev on $BASE_URL"
    start_wrangler_dev SERVER_PID "$LOG" "$STATE" "$PORT" "$SECRET" "$PORTCULLIS_CONFIG" "${WRANGLER_VARS[@]}"
    ;;
  spin)
    [[ -z "${LIBSQL:-}${POSTGRES:-}" ]] || die "LIBSQL and POSTGRES are not supported with spin"
    if [[ -z "${SKIP_BUILD:-}" ]]; then
      say "cargo build --target wasm32-wasip2 --release --lib"
      cargo build --target wasm32-wasip2 --release --lib
    fi
    # The core migration and those of the enabled plugins (migrations/NNNN_plugin_<name>.sql for
    # plugins.<name in camelCase>): the state directory is new, so each ALTER TABLE runs once.
    mapfile -t migrations < <(node -e '
      const fs = require("node:fs"), path = require("node:path");
      let c = {};
      try { c = JSON.parse(process.argv[2] || "{}") || {}; } catch {}
      const plugins = c.plugins || {};
      for (const f of fs.readdirSync(process.argv[1]).filter((f) => f.endsWith(".sql")).sort()) {
        const m = /^\d+_plugin_(\w+)\.sql$/.exec(f);
        const name = m && m[1].replace(/_([a-z])/g, (_, x) => x.toUpperCase());
        if (!m || plugins[name]) console.log(path.join(process.argv[1], f));
      }' "$ROOT/migrations" "$PORTCULLIS_CONFIG")
    sqlite_args=()
    for m in "${migrations[@]}"; do sqlite_args+=(--sqlite "@$m"); done
    say "starting spin up on $BASE_URL (state in $STATE/spin; migrations: ${migrations[*]##*/})"
    # cwd is the state directory; every variable of spin.toml the component reads is given here,
    # so none comes from the developer's environment (SPIN_VARIABLE_*).
    start_in_group SERVER_PID "$LOG" env -C "$STATE" "$SPIN" up -f "$ROOT/spin.toml" \
      --listen "127.0.0.1:$PORT" --state-dir "$STATE/spin" "${sqlite_args[@]}" \
      --variable "better_auth_secret=$SECRET" --variable "better_auth_url=$BASE_URL" \
      --variable "better_auth_trusted_origins=" --variable "portcullis_config=$PORTCULLIS_CONFIG"
    ;;
esac

say "waiting up to ${READY_TIMEOUT}s for GET $BASE_URL/api/auth/ok"
wait_http_ok "$SERVER_PID" "$BASE_URL/api/auth/ok" "$READY_TIMEOUT" || {
  case $? in
    3) say "the server answers but is misconfigured (see its log)" ;;
    2) say "the server exited before it was ready" ;;
    *) say "the server did not answer within ${READY_TIMEOUT}s" ;;
  esac
  exit 1
}
say "ready (${SECONDS}s after this script started); running node --test"

if [[ $# -eq 0 ]]; then
  mapfile -t tests < <(client_test_files)
  set -- "${tests[@]}"
fi
start_ms=$(date +%s%3N)
set +e
(cd tests/client && AUTH_BASE_URL="$BASE_URL" MAIL_LOG="$MAIL_LOG" FAKE_IDP_URL="$TESTS_IDP_URL" PORTCULLIS=1 DELETE_USER="$DELETE_USER" \
  D1_SESSIONS="${D1_SESSIONS:+1}" node --test "$@")
status=$?
set -e
say "node --test exited with $status after $(($(date +%s%3N) - start_ms)) ms"
# With sessions in KV, the Worker must have written Better Auth's layout to its KV namespace.
if [[ $status -eq 0 && -n "${SECONDARY_STORAGE:-}" && "$MODE" == worker ]]; then
  keys=$("$WRANGLER" kv key list --binding KV --local --persist-to "$STATE" 2>>"$LOG") || keys=""
  lists=$(grep -o '"active-sessions-[^"]*"' <<<"$keys" | wc -l)
  say "Workers KV holds $lists active-sessions-<userId> lists"
  if [[ "$lists" -eq 0 ]]; then
    say "expected the Worker to keep sessions in KV; wrangler kv key list gave: ${keys:0:500}"
    status=1
  fi
fi
# Likewise Spin's `default` key-value store (a SQLite file in the state directory).
if [[ $status -eq 0 && -n "${SECONDARY_STORAGE:-}" && "$MODE" == spin ]]; then
  lists=$(sqlite3 "$STATE/spin/sqlite_key_value.db" \
    "SELECT count(*) FROM spin_key_value WHERE store = 'default' AND key LIKE 'active-sessions-%'" 2>>"$LOG") || lists=0
  say "Spin KV holds $lists active-sessions-<userId> lists"
  if [[ "$lists" -eq 0 ]]; then
    say "expected the component to keep sessions in Spin KV"
    status=1
  fi
fi
exit "$status"
