#!/usr/bin/env bash
# Fails when the Worker's upload, gzipped, is larger than the budget in budgets/worker-gzip-bytes.
# The size is wrangler's own figure ("Total Upload: … KiB / gzip: … KiB" of `wrangler deploy --dry-run`,
# the script and the wasm module as they would be uploaded), converted to bytes.
#
#   scripts/check-worker-size.sh              builds the Worker first (scripts/build-worker.sh)
#   SKIP_BUILD=1 scripts/check-worker-size.sh reuses build/worker (as scripts/test.sh does after the Worker suite)
#   PORTCULLIS_WORKER_FEATURES=same-as-better-auth BUDGET_FILE=budgets/worker-same-as-better-auth-gzip-bytes \
#     scripts/check-worker-size.sh            builds the six-plugin Worker BENCHMARKS.md compares with
#                                             Better Auth's and checks it against its own budget
#
# Raising the budget is a decision: say why in the commit that does it. bench/run.sh reports the size
# next to Better Auth's Worker (BENCHMARKS.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUDGET_FILE=${BUDGET_FILE:-budgets/worker-gzip-bytes}
WRANGLER=tests/client/node_modules/.bin/wrangler
say() { echo "check-worker-size: $*" >&2; }

BUDGET=$(grep -v '^[[:space:]]*#' "$BUDGET_FILE" | tr -d '[:space:]')
[[ "$BUDGET" =~ ^[0-9]+$ ]] || { say "no byte count in $BUDGET_FILE"; exit 1; }
[[ -x "$WRANGLER" ]] || { say "wrangler missing: (cd tests/client && npm ci)"; exit 1; }

if [[ -n "${SKIP_BUILD:-}" && -f build/worker/shim.mjs && -f build/index_bg.wasm ]]; then
  say "using the existing build/worker"
else
  bash scripts/build-worker.sh
fi

OUT=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-size.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
# wrangler runs the [build] command first; the build above is fresh, so it is skipped.
if ! CI=true WRANGLER_SEND_METRICS=false NO_COLOR=1 FORCE_COLOR=0 PORTCULLIS_WORKER_PREBUILT=1 \
  "$WRANGLER" deploy --dry-run --outdir "$OUT/bundle" >"$OUT/wrangler.log" 2>&1; then
  cat "$OUT/wrangler.log" >&2
  say "wrangler deploy --dry-run failed"
  exit 1
fi
LINE=$(grep -m1 'Total Upload:' "$OUT/wrangler.log") || { cat "$OUT/wrangler.log" >&2; say "no 'Total Upload' line from wrangler"; exit 1; }
RAW_KIB=$(sed -E 's/.*Total Upload: ([0-9.]+) KiB.*/\1/' <<<"$LINE")
GZIP_KIB=$(sed -E 's/.*gzip: ([0-9.]+) KiB.*/\1/' <<<"$LINE")
GZIP=$(awk -v k="$GZIP_KIB" 'BEGIN { printf "%d", k * 1024 + 0.5 }')
PCT=$(awk -v g="$GZIP" -v b="$BUDGET" 'BEGIN { printf "%.1f", 100 * g / b }')
if ((GZIP > BUDGET)); then
  say "FAIL: the Worker upload is $GZIP bytes gzip ($GZIP_KIB KiB; raw $RAW_KIB KiB), over the budget of $BUDGET bytes in $BUDGET_FILE"
  exit 1
fi
say "ok: the Worker upload is $GZIP bytes gzip ($GZIP_KIB KiB; raw $RAW_KIB KiB), $PCT% of the budget ($BUDGET bytes)"
