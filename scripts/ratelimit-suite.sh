#!/usr/bin/env bash
# Runs tests/client/ratelimit.test.mjs against one host with rate limiting on: scripts/client-suite.sh with
# PORTCULLIS_CONFIG turning rateLimit on (memory storage) and RATE_LIMIT_TEST=1 (the file skips itself without
# it, so the ordinary client suites, where rate limiting is off, are unaffected).
#
#   scripts/ratelimit-suite.sh native    the native server (cargo build --release)
#   scripts/ratelimit-suite.sh worker    the Worker in workerd (wrangler dev)
#   scripts/ratelimit-suite.sh spin      the Spin component under `spin up` (skipped without a spin CLI)
#
# The test sends its client address as `x-forwarded-for`, which reaches the server unchanged under both
# hosts locally; on Cloudflare `cf-connecting-ip` is the header to trust, hence both are configured (in the
# order that lets the test choose its address). Environment as for client-suite.sh (PORT, SKIP_BUILD, ...).
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

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PORTCULLIS_CONFIG='{"rateLimit":{"enabled":true},"advanced":{"ipAddress":{"ipAddressHeaders":["x-forwarded-for","cf-connecting-ip"]}}}'
export RATE_LIMIT_TEST=1
if [[ $# -eq 0 ]]; then set -- ratelimit.test.mjs; fi
exec "$ROOT/scripts/client-suite.sh" "$MODE" "$@"
