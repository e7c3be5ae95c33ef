#!/usr/bin/env bash
# Builds the Spin component and checks its interfaces with wasm-tools: it must export the WASI
# HTTP handler that Spin 4.0.x runs (spin-sdk 6: wasi:http/handler@0.3.0-rc-…) and import Spin's
# SQLite, key-value and variables interfaces. Prints what it found and the component's size.
#
# Non-interactive; exits non-zero on any failure. Installs wasm-tools with cargo when it is
# absent (about 5 minutes on 2 cores). No Spin CLI is needed (none can be installed here).
#
# Environment: WASM_TOOLS_VERSION (default 1.263.0) for the install; SKIP_BUILD=1 to check the
# component already built.
set -euo pipefail

cd "$(dirname "$0")/.."
WASM=target/wasm32-wasip2/release/portcullis.wasm

fail() {
    echo "check-spin: FAIL: $*" >&2
    exit 1
}

if [ "${SKIP_BUILD:-}" != 1 ]; then
    rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 ||
        rustup target add wasm32-wasip2
    # --lib: on this target the `portcullis` binary would be written to the same file.
    cargo build --target wasm32-wasip2 --release --lib
fi
[ -f "$WASM" ] || fail "$WASM was not built"

if ! command -v wasm-tools >/dev/null 2>&1; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v wasm-tools >/dev/null 2>&1; then
    version="${WASM_TOOLS_VERSION:-1.263.0}"
    echo "check-spin: installing wasm-tools $version (cargo install, a few minutes)"
    cargo install wasm-tools --locked --version "$version"
fi
echo "check-spin: $(wasm-tools --version)"

wasm-tools validate "$WASM" || fail "$WASM does not validate"
wit="$(wasm-tools component wit "$WASM")" || fail "$WASM is not a component"
world="$(printf '%s\n' "$wit" | sed -n '/^world root {/,/^}/p')"
[ -n "$world" ] || fail "no world in the component's WIT"

echo "check-spin: the component's world:"
printf '%s\n' "$world" | sed 's/^/    /'

exports="$(printf '%s\n' "$world" | sed -n 's/^ *export \([^;]*\);.*/\1/p')"
imports="$(printf '%s\n' "$world" | sed -n 's/^ *import \([^;]*\);.*/\1/p')"

# The HTTP handler. spin-sdk 6 exports the WASI 0.3 release candidate that Spin 4.0.x
# implements; the final wasi:http/handler@0.3.0 (spin-sdk 7) is refused by Spin 4.0.2, and
# wasi:http/incoming-handler@0.2.x would mean an older SDK.
handler="$(printf '%s\n' "$exports" | grep -E '^wasi:http/(handler|incoming-handler)@' || true)"
[ -n "$handler" ] || fail "no wasi:http handler export (exports: $(echo $exports))"
[ "$(printf '%s\n' "$handler" | wc -l)" -eq 1 ] || fail "several http handler exports: $handler"
case "$handler" in
    wasi:http/handler@0.3.0-rc-*) ;;
    wasi:http/handler@0.3.0) fail "exports $handler (WASI 0.3 final, spin-sdk 7): Spin 4.0.2 refuses it" ;;
    *) fail "exports $handler, expected wasi:http/handler@0.3.0-rc-… (spin-sdk 6)" ;;
esac
if printf '%s\n' "$exports" | grep -q '^wasi:cli/run@'; then
    fail "$WASM exports wasi:cli/run: it is the binary, not the library's component"
fi

need_import() {
    local found
    found="$(printf '%s\n' "$imports" | grep -E "^$1@" || true)"
    [ -n "$found" ] || fail "no import of $1 (imports: $(echo $imports))"
    echo "check-spin: imports $found"
}
echo "check-spin: exports $handler"
need_import 'spin:sqlite/sqlite'
need_import 'spin:key-value/key-value'
need_import 'spin:variables/variables'
http_types="$(printf '%s\n' "$imports" | grep -E '^wasi:http/types@' || true)"
[ -z "$http_types" ] || echo "check-spin: imports $http_types"

raw=$(wc -c <"$WASM")
gz=$(gzip -9 -c "$WASM" | wc -c)
echo "check-spin: component size: $raw bytes ($gz bytes gzip -9)"
echo "check-spin: OK"
