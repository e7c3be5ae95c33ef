#!/usr/bin/env bash
# Builds the Cloudflare Worker into build/ (worker/shim.mjs -> index.js + index_bg.wasm) with worker-build,
# using only local tools: worker-build would otherwise download wasm-bindgen, wasm-opt and esbuild
# from GitHub. wrangler runs this as the [build] command of wrangler.toml; it also runs by hand.
#
#   scripts/build-worker.sh            build (cargo, wasm-bindgen, wasm-opt, esbuild)
#   PORTCULLIS_WORKER_PREBUILT=1 ...   skip when build/worker/shim.mjs already exists (used by
#                                      scripts/client-suite.sh so `wrangler dev` does not rebuild)
#   PORTCULLIS_WORKER_FEATURES=LIST    only these optional parts (comma-separated cargo features:
#                                      two-factor, username, magic-link, email-otp, jwt, bearer,
#                                      gate, worker-libsql); unset means the defaults (every plugin
#                                      and the gate), empty means the core alone. A Worker started
#                                      with a configuration that enables a part left out refuses
#                                      to start and says which feature is missing.
#   PORTCULLIS_WORKER_FEATURES=same-as-better-auth   the six plugins without the gate: the set
#                                      BENCHMARKS.md compares with Better Auth's Worker
#   PORTCULLIS_WORKER_TOOLCHAIN=stable build with the default (stable) toolchain and its prebuilt
#                                      std instead of the pinned nightly below (about 34 KB gzip
#                                      larger); any other value names the nightly to use instead
#
# By default the Worker is built with a pinned nightly (NIGHTLY below) that rebuilds std for the
# Worker (-Zbuild-std) at the release profile's opt-level "z", with std's optimize_for_size
# algorithms, the immediate-abort panic strategy and no panic locations. Six-plugin Worker:
# 336,282 bytes gzip with stable, 301,875 with this (-34,407, -10.2%); CPU per request in workerd
# unchanged within noise. The cost: a panic (which is a bug: the handler never panics on input)
# is logged only as "Critical RuntimeError: unreachable" and a wasm stack, without the panic
# message and source location that the stable build logs; worker-build's panic recovery still
# resets the instance, and later requests are served. The pinned nightly and rust-src are
# installed by .ci/run (about 40 s, 770 MB).
#
# Tools, installed once and reused when present:
#   worker-build 0.8.7          cargo install worker-build --version 0.8.7
#   wasm-bindgen (CLI)          cargo install wasm-bindgen-cli --version <wasm-bindgen in Cargo.lock>
#   wasm-opt, esbuild           tests/client/node_modules (binaryen, and wrangler's esbuild): npm ci
#   the pinned nightly          rustup toolchain install <NIGHTLY> --profile minimal \
#                                 --component rust-src --target wasm32-unknown-unknown
# Set PORTCULLIS_INSTALL_TOOLS=1 to let this script run those installs when a tool is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ -n "${PORTCULLIS_WORKER_PREBUILT:-}" && -f build/worker/shim.mjs && -f build/index.js && -f build/index_bg.wasm ]]; then
  echo "build-worker: using the existing build/worker (PORTCULLIS_WORKER_PREBUILT is set)" >&2
  exit 0
fi

export PATH="$HOME/.cargo/bin:$PATH"
NODE_BIN="$ROOT/tests/client/node_modules/.bin"
WORKER_BUILD_VERSION=0.8.7
BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"

missing() {
  echo "build-worker: $1 is missing; install it with: $2" >&2
  echo "build-worker: (or rerun with PORTCULLIS_INSTALL_TOOLS=1 to install it here)" >&2
  exit 1
}

if [[ ! -x "$NODE_BIN/wasm-opt" || ! -x "$NODE_BIN/esbuild" ]]; then
  if [[ -n "${PORTCULLIS_INSTALL_TOOLS:-}" ]]; then
    (cd tests/client && npm ci --no-audit --no-fund)
  else
    missing "tests/client/node_modules (wasm-opt, esbuild)" "(cd tests/client && npm ci)"
  fi
fi

if ! command -v worker-build >/dev/null || [[ "$(worker-build --version 2>/dev/null)" != *"$WORKER_BUILD_VERSION"* ]]; then
  if [[ -n "${PORTCULLIS_INSTALL_TOOLS:-}" ]]; then
    cargo install worker-build --version "$WORKER_BUILD_VERSION"
  else
    missing "worker-build $WORKER_BUILD_VERSION" "cargo install worker-build --version $WORKER_BUILD_VERSION"
  fi
fi

if [[ -z "${WASM_BINDGEN_BIN:-}" ]]; then
  if ! command -v wasm-bindgen >/dev/null || [[ "$(wasm-bindgen --version 2>/dev/null)" != *" $BINDGEN_VERSION"* ]]; then
    if [[ -n "${PORTCULLIS_INSTALL_TOOLS:-}" ]]; then
      cargo install wasm-bindgen-cli --version "$BINDGEN_VERSION"
    else
      missing "wasm-bindgen $BINDGEN_VERSION" "cargo install wasm-bindgen-cli --version $BINDGEN_VERSION"
    fi
  fi
  WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
fi

export WASM_BINDGEN_BIN
export WASM_OPT_BIN="${WASM_OPT_BIN:-$NODE_BIN/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$NODE_BIN/esbuild}"
# With the release profile's `strip = true`, wasm-bindgen 0.2.130 warns that the target_features
# section is missing; harmless: it then detects reference types from the module's exports. Building
# with CARGO_PROFILE_RELEASE_STRIP=debuginfo silences it and keeps the wasm name section (readable
# stack traces) for about +88 KB raw / +24 KB gzip.

# Size over speed for the Worker's own code (Cargo.toml keeps the hashing crates at opt-level 3);
# the native release build is unaffected.
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-z}"

# The toolchain (see the top of this file). -Zbuild-std compiles std with the release profile, so
# std is at opt-level "z" too; the hashing crates keep their opt-level 3 from Cargo.toml. The
# flags go to the wasm target only: with --target, RUSTFLAGS does not reach build scripts and
# proc macros.
NIGHTLY=nightly-2026-05-20
TOOLCHAIN="${PORTCULLIS_WORKER_TOOLCHAIN:-$NIGHTLY}"
if [[ "$TOOLCHAIN" != stable ]]; then
  if ! rustc "+$TOOLCHAIN" --print sysroot >/dev/null 2>&1 \
    || [[ ! -d "$(rustc "+$TOOLCHAIN" --print sysroot)/lib/rustlib/src/rust/library/std" ]] \
    || [[ ! -d "$(rustc "+$TOOLCHAIN" --print sysroot)/lib/rustlib/wasm32-unknown-unknown" ]]; then
    install=(rustup toolchain install "$TOOLCHAIN" --profile minimal --component rust-src --target wasm32-unknown-unknown)
    if [[ -n "${PORTCULLIS_INSTALL_TOOLS:-}" ]]; then
      "${install[@]}"
    else
      echo "build-worker: $TOOLCHAIN with rust-src and the wasm32-unknown-unknown target is missing; install it with: ${install[*]}" >&2
      echo "build-worker: (or rerun with PORTCULLIS_INSTALL_TOOLS=1 to install it here, or build with the" >&2
      echo "build-worker: default stable toolchain, about 34 KB gzip larger: PORTCULLIS_WORKER_TOOLCHAIN=stable)" >&2
      exit 1
    fi
  fi
  export RUSTUP_TOOLCHAIN="$TOOLCHAIN"
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
  export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
fi
echo "build-worker: toolchain $TOOLCHAIN" >&2

FEATURE_ARGS=()
if [[ -n "${PORTCULLIS_WORKER_FEATURES+set}" ]]; then
  FEATURES="$PORTCULLIS_WORKER_FEATURES"
  [[ "$FEATURES" == same-as-better-auth ]] && FEATURES=two-factor,username,magic-link,email-otp,jwt,bearer
  FEATURE_ARGS=(--no-default-features)
  [[ -n "$FEATURES" ]] && FEATURE_ARGS+=(--features "$FEATURES")
  echo "build-worker: cargo features: ${FEATURES:-(none: the core alone)}" >&2
fi

exec worker-build --release "${FEATURE_ARGS[@]}" "$@"
