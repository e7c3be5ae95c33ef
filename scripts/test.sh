#!/usr/bin/env bash
# Every test, in order of cost. README's test command (via .ci/run, which installs the tools).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "format and lint"
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings
cargo clippy --lib --target wasm32-wasip2 -- -D warnings

step "unit and behavioural tests (native)"
cargo test

step "PostgreSQL in process: round-trip budgets (core and plugins) and Better Auth's column types (a throwaway cluster)"
scripts/postgres.sh run cargo test --test postgres -- --ignored

step "Spin component (wasm32-wasip2)"
scripts/check-spin.sh

step "official client against Spin (SQLite, then SQLite + KV; skipped with a message when no spin CLI is on PATH, as in CI: no registry ships one)"
scripts/client-suite.sh spin
SKIP_BUILD=1 SECONDARY_STORAGE=1 scripts/client-suite.sh spin

step "official client against the native server"
scripts/client-suite.sh native

step "official client against the Worker in workerd"
scripts/client-suite.sh worker

step "official client with sessions in KV, native and the Worker (D1 + KV) (reuses the builds)"
SKIP_BUILD=1 SECONDARY_STORAGE=1 scripts/client-suite.sh native
SKIP_BUILD=1 SECONDARY_STORAGE=1 scripts/client-suite.sh worker

step "official client against the native server on PostgreSQL (Debian's, a throwaway cluster; every plugin on)"
SKIP_BUILD=1 POSTGRES=1 scripts/client-suite.sh native

step "Better Auth 1.7.25 and Portcullis on one PostgreSQL database, twoFactor/username/jwt on (schemas identical, sign-in, sessions and TOTP enrolments both ways)"
scripts/postgres.sh run scripts/postgres-interop.sh

step "official client on libSQL over HTTP (the Hrana test server), native"
SKIP_BUILD=1 LIBSQL=1 scripts/client-suite.sh native

step "official client against the Worker with D1 read replication (Sessions API, bookmark cookie)"
SKIP_BUILD=1 D1_SESSIONS=1 scripts/client-suite.sh worker d1-sessions.test.mjs

step "jwt plugin with ES256 keys, native and in workerd (builds from the steps above)"
ES256='{"plugins":{"jwt":{"jwks":{"keyPairConfig":{"alg":"ES256"}}}}}'
SKIP_BUILD=1 JWT_ALG=ES256 PORTCULLIS_CONFIG="$ES256" scripts/client-suite.sh native jwt.test.mjs
SKIP_BUILD=1 JWT_ALG=ES256 PORTCULLIS_CONFIG="$ES256" scripts/client-suite.sh worker jwt.test.mjs

step "rate limiting on, native and in workerd (builds from the steps above)"
SKIP_BUILD=1 scripts/ratelimit-suite.sh native
SKIP_BUILD=1 scripts/ratelimit-suite.sh worker

step "live interoperability with Better Auth 1.7.25"
scripts/interop.sh

step "real browser against the gate in workerd (reuses the Worker build from above)"
SKIP_BUILD=1 scripts/browser-suite.sh

step "Worker gzip size against budgets/worker-gzip-bytes (reuses the Worker build)"
SKIP_BUILD=1 scripts/check-worker-size.sh

step "the Worker with Better Auth's comparison set (six plugins, no gate) against its budget, and a build without the gate and jwt refusing them at start-up"
PORTCULLIS_WORKER_FEATURES=same-as-better-auth BUDGET_FILE=budgets/worker-same-as-better-auth-gzip-bytes \
  scripts/check-worker-size.sh
cargo test --lib --no-default-features --features two-factor,username,magic-link,email-otp,bearer \
  left_out_of_the_build

step "official client on libSQL over HTTP from the Worker (rebuilt with --features worker-libsql; last, as it replaces the build)"
scripts/build-worker.sh --features worker-libsql
SKIP_BUILD=1 LIBSQL=1 scripts/client-suite.sh worker core.test.mjs
