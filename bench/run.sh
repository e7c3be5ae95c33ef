#!/usr/bin/env bash
# Portcullis against Better Auth 1.7.25, side by side on this machine. One command: it installs what
# it needs, builds, starts both servers, loads them in turn (A B A B ...), prints a table and writes
# BENCHMARKS.md.
#
#   bench/run.sh                 the full run (~11 min on 2 cores)
#   bench/run.sh --quick         1 round, 2-second runs, small counts: a smoke test of the machinery;
#                                writes bench/out/BENCHMARKS.quick.md, not BENCHMARKS.md
#
# Parts (BENCH_PARTS, comma-separated; default all):
#   native      Portcullis native (release; password.algorithm scrypt, and argon2id for the rows that
#               hash) and the Better Auth reference (Node, better-sqlite3, node:http), and the bare-HMAC
#               floor (examples/bare_hmac.rs), under wrk: get-session from the cookie cache, get-session
#               from the database, sign-in, sign-up (unique e-mails), and a paced get-session probe alone
#               and while sign-ups run.
#   workerd     both Workers in workerd through Miniflare (bench/workerd-serve.mjs, no inspector): CPU per
#               request from /proc over a fixed number of requests, and CPU per password hash.
#   size        the upload size (raw and gzip) of both Workers (wrangler deploy --dry-run).
#   hash        CPU per password hash natively (examples/bench_hash.rs, bench/ba-hash.mjs).
#   roundtrips  database round trips per endpoint, counted at the driver (examples/bench_roundtrips.rs,
#               bench/ba-roundtrips.mjs), against DESIGN.md's budget.
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS [3]  BENCH_DURATION [8] s per run  BENCH_CONNECTIONS [20]  BENCH_THREADS [2]
#   BENCH_SIGNUP_CONNECTIONS [8]  BENCH_PROBE_DELAY_MS [50]  BENCH_PROBE_DURATION [10] s
#   BENCH_WORKERD_REQUESTS [2000]
#   BENCH_WORKERD_SIGNINS [30]  BENCH_WORKERD_HASHES [10]  BENCH_HASH_RUNS [7]
#   BENCH_OUTPUT [BENCHMARKS.md]  BENCH_BA_CONFIG [bench: ba-auth.mjs | reference: the reference's auth.mjs]
#   SKIP_BUILD=1      reuse target/release and build/worker as they are
#   BENCH_KEEP=1      keep the scratch directory (logs, raw wrk output)
# Only 127.0.0.1 is loaded. Every load is bounded: wrk in time (-d), the Worker loads (bench/seq.mjs) in
# request count and time.
# Raw results: bench/results.jsonl, kept in git next to BENCHMARKS.md (bench/report.mjs rebuilds the
# tables from it); --quick writes bench/out/ (ignored) instead.
set -euo pipefail

SAY_PREFIX=bench
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh" # ROOT, WRANGLER, say, die, stop_group, prepare_reference...
BENCH=$ROOT/bench
# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"
export PATH="$HOME/.cargo/bin:$PATH"

QUICK=
if [[ "${1:-}" == --quick ]]; then
  QUICK=1
  shift
fi
[[ $# -eq 0 ]] || { echo "usage: $0 [--quick]" >&2; exit 2; }

if [[ -n $QUICK ]]; then
  : "${BENCH_ROUNDS:=1}" "${BENCH_DURATION:=2}" "${BENCH_WORKERD_REQUESTS:=100}" "${BENCH_WORKERD_SIGNINS:=3}"
  : "${BENCH_WORKERD_HASHES:=2}" "${BENCH_HASH_RUNS:=1}" "${BENCH_PROBE_DURATION:=4}"
  : "${BENCH_OUTPUT:=$BENCH/out/BENCHMARKS.quick.md}"
fi
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNECTIONS:-20}
THREADS=${BENCH_THREADS:-2}
SIGNUP_CONNS=${BENCH_SIGNUP_CONNECTIONS:-8}
PROBE_DELAY=${BENCH_PROBE_DELAY_MS:-50}
WORKERD_GETS=${BENCH_WORKERD_REQUESTS:-2000}
WORKERD_SIGNINS=${BENCH_WORKERD_SIGNINS:-30}
WORKERD_HASHES=${BENCH_WORKERD_HASHES:-10}
HASH_RUNS=${BENCH_HASH_RUNS:-7}
OUTPUT=${BENCH_OUTPUT:-$ROOT/BENCHMARKS.md}
PARTS=${BENCH_PARTS:-native,workerd,size,hash,roundtrips}
BA_CONFIG=${BENCH_BA_CONFIG:-bench}
WARMUP=$((DURATION < 2 ? DURATION : 2))
PROBE_DURATION=${BENCH_PROBE_DURATION:-$((DURATION < 10 ? 10 : DURATION))}
((THREADS <= CONNS)) || THREADS=$CONNS

SECRET='Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4' # the reference's secret; both servers sign with it
EMAIL=bench@bench.example
PASSWORD=bench-password-123

has_part() { [[ ",$PARTS," == *",$1,"* ]]; }

# Inherited settings would change either server's configuration or base URL.
unset BETTER_AUTH_URL BETTER_AUTH_TRUSTED_ORIGINS BETTER_AUTH_SECRET DATABASE_URL PORTCULLIS_CONFIG \
  PORTCULLIS_CONFIG_FILE NODE_ENV COOKIE_CACHE RATE_LIMIT CHANGE_EMAIL BA_DB BA_MAIL_LOG AUTH_BASE_URL
export WRANGLER_SEND_METRICS=false NO_COLOR=1 FORCE_COLOR=0

WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
mkdir -p "$BENCH/out"
RESULTS=$BENCH/results.jsonl # kept in git with BENCHMARKS.md
[[ -n $QUICK ]] && RESULTS=$BENCH/out/results.quick.jsonl
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
# Rows of the parts rerun now are replaced; the other parts' rows (and the run that made them) stay,
# so e.g. BENCH_PARTS=workerd refreshes the workerd tables of an earlier full run.
if [[ -f $RESULTS ]]; then
  node "$BENCH/report.mjs" --drop-parts "$PARTS" "$RESULTS"
else
  : >"$RESULTS"
fi
GROUPS_STARTED=()

cleanup() {
  local status=$1 pid
  [[ -z ${SAMPLER_PID:-} ]] || kill "$SAMPLER_PID" 2>/dev/null || true
  for pid in "${GROUPS_STARTED[@]}"; do stop_group "$pid"; done
  if [[ $status -ne 0 ]]; then
    for f in "$WORK"/*.log; do show_tail "$f" 30 "bench: ---- last lines of $(basename "$f") ----"; done
  fi
  if [[ -n ${BENCH_KEEP:-} || $status -ne 0 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
on_exit cleanup

# start <name> <dir> <command...>: runs the command in <dir> as its own process group, output to
# $WORK/<name>.log; sets STARTED_PID.
start() {
  local name=$1 dir=$2
  shift 2
  start_in_group STARTED_PID "$WORK/$name.log" env -C "$dir" "$@"
  GROUPS_STARTED+=("$STARTED_PID")
}

record() { printf '%s\n' "$1" >>"$RESULTS"; }

# ---------------------------------------------------------------------------------------------------
# Tools.
require_tools node npm cargo curl awk sha256sum gzip
if ! command -v wrk >/dev/null; then
  say "installing wrk (apt-get)"
  if ! apt-cache show wrk >/dev/null 2>&1; then apt-get update -qq >&2; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2 || die "apt-get install wrk failed"
fi
if [[ ! -x $WRANGLER ]]; then
  say "npm ci in tests/client (wrangler, miniflare, better-auth client)"
  (cd "$ROOT/tests/client" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

if pgrep -x rustc >/dev/null || pgrep -x cargo >/dev/null; then
  say "warning: a cargo/rustc build is running; figures will be lower and noisier"
fi
read -r LOAD_START _ </proc/loadavg
CLK_TCK=$(getconf CLK_TCK)
record "$(node -e '
  const os = require("node:os");
  const [load, clk, rounds, dur, conns, threads, su, delay, wg, ws, wh, hr, quick, cfg, run, parts] = process.argv.slice(1);
  console.log(JSON.stringify({ kind: "machine", date: new Date().toISOString(), cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model, kernel: os.release(), mem_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version, load_start: +load, clk_tck: +clk, rounds: +rounds, duration_s: +dur,
    connections: +conns, threads: +threads, signup_connections: +su, probe_delay_ms: +delay,
    workerd_requests: +wg, workerd_signins: +ws, workerd_hashes: +wh, hash_runs: +hr, quick: quick === "1",
    ba_config: cfg, run, parts: parts.split(",") }));' "$LOAD_START" "$CLK_TCK" "$ROUNDS" "$DURATION" "$CONNS" \
  "$THREADS" "$SIGNUP_CONNS" "$PROBE_DELAY" "$WORKERD_GETS" "$WORKERD_SIGNINS" "$WORKERD_HASHES" "$HASH_RUNS" \
  "${QUICK:-0}" "$BA_CONFIG" "$RUN_ID" "$PARTS")"
record "$(printf '{"kind":"versions","run":"%s","rustc":"%s","wrk":"%s","wrangler":"%s"}' "$RUN_ID" \
  "$(rustc --version 2>/dev/null | cut -d' ' -f2)" "$(wrk -v 2>&1 | head -1 | cut -d' ' -f2)" \
  "$(node -p "require('$ROOT/tests/client/node_modules/wrangler/package.json').version")")"

# ---------------------------------------------------------------------------------------------------
# Builds.
if [[ -z ${SKIP_BUILD:-} ]]; then
  if has_part native || has_part hash; then
    say "cargo build --release (portcullis; examples bare_hmac, bench_hash)"
    (cd "$ROOT" && cargo build --release --quiet && cargo build --release --quiet --example bare_hmac --example bench_hash) >&2
  fi
  if has_part workerd || has_part size; then
    say "building the Worker (scripts/build-worker.sh)"
    bash "$ROOT/scripts/build-worker.sh" >"$WORK/build-worker.log" 2>&1 || { cat "$WORK/build-worker.log" >&2; die "Worker build failed"; }
  fi
fi
PORTCULLIS=$ROOT/target/release/portcullis
BARE=$ROOT/target/release/examples/bare_hmac

# The Better Auth reference: a copy of its sources with node_modules from the shared cache.
REF=$WORK/reference
if has_part native || has_part hash || has_part roundtrips; then
  prepare_reference "$REF" # node_modules from the cache in tests/client/.reference, shared with interop.sh
  [[ $BA_CONFIG == reference ]] || cp "$BENCH/ba-auth.mjs" "$REF/auth.mjs"
  cp "$BENCH/ba-hash.mjs" "$BENCH/ba-roundtrips.mjs" "$REF/"
fi

# ---------------------------------------------------------------------------------------------------
# Load runs. Callers export the BENCH_* variables that bench/wrk.lua reads.
set_load() { # set_load <mode> <path> <cookie> <origin> <body> <prefix> <delay ms>
  export BENCH_MODE=$1 BENCH_PATH=$2 BENCH_COOKIE=$3 BENCH_ORIGIN=$4 BENCH_BODY=$5 BENCH_PREFIX=$6 BENCH_DELAY=$7
}

wrk_json() { # wrk_json <output file>: the BENCHJSON line's object (wrk.lua, seq.mjs)
  local json
  json=$(grep -m1 '^BENCHJSON ' "$1" | cut -d' ' -f2-) || true
  [[ -n $json ]] || { cat "$1" >&2; die "no BENCHJSON result in $1"; }
  printf '%s' "$json"
}

summary() { # summary <wrk json> <cpu ticks>: a one-line progress summary
  node -e '
    const w = JSON.parse(process.argv[1]); const ticks = +process.argv[2]; const clk = +process.argv[3];
    const rps = w.requests / (w.duration_us / 1e6);
    const errors = w.connect_errors + w.read_errors + w.write_errors + w.status_errors + w.timeouts;
    console.log(`${w.requests} req, ${rps.toFixed(1)} req/s, p50 ${(w.p50_us / 1000).toFixed(2)} ms, p99 ${(w.p99_us / 1000).toFixed(2)} ms, ` +
      `cpu ${(ticks / clk).toFixed(2)} s${errors ? `, ${errors} errors/non-2xx` : ""}`);' "$1" "$2" "$CLK_TCK"
}

alive() { # alive <server> <pid> <what>: die, with how it ended, if the server is gone
  kill -0 "$2" 2>/dev/null && return 0
  local status=0
  wait "$2" 2>/dev/null || status=$?
  ((status > 128)) && status="signal $((status - 128))"
  die "$1 (pid $2) ended during $3 (exit status: $status); see $WORK/$1.log"
}

wrk_load() { wrk --timeout 30s -s "$BENCH/wrk.lua" "$@"; } # wrk for a fixed time
seq_load() { node "$BENCH/seq.mjs" "$@"; }                 # <url> <count>: a fixed number, one at a time

# measure <kind> <scenario> <server> <round> <pid> <in flight> <load command...>: one recorded run.
# The server is idle when it starts; its CPU is read once it is idle again, so the CPU spent on the
# requests still in flight when the load generator stopped (at most <in flight>: its connections) is
# counted, and bench/report.mjs divides by completed + <in flight>. That matters only where a request
# is expensive (sign-in, sign-up: tens of requests a run); it is noise for get-session.
measure() {
  local kind=$1 scenario=$2 server=$3 round=$4 pid=$5 inflight=$6
  shift 6
  local out=$WORK/load-$kind-$scenario-$server-$round.out t0 t1 json
  settle "$pid"
  reset_hwm "$pid"
  t0=$(cpu_ticks "$pid")
  "$@" >"$out" 2>&1 || true
  alive "$server" "$pid" "$scenario #$round"
  settle "$pid"
  t1=$(cpu_ticks "$pid")
  json=$(wrk_json "$out")
  record "$(printf '{"kind":"%s","scenario":"%s","server":"%s","round":%s,"cpu_ticks":%s,"inflight":%s,"hwm_kb":%s,"rss_after_kb":%s,"wrk":%s}' \
    "$kind" "$scenario" "$server" "$round" "$((t1 - t0))" "$inflight" "$(hwm_kb "$pid")" "$(rss_kb "$pid")" "$json")"
  say "  $kind $scenario $server #$round: $(summary "$json" "$((t1 - t0))")"
}

warm() { # warm <pid> <load command...>: an unrecorded run, then wait for the server to finish it
  local pid=$1
  shift
  "$@" >/dev/null 2>&1 || true
  settle "$pid"
}

declare -A URL PID GRP

sign_up_user() { # sign_up_user <server>
  local body
  body=$(auth_post "${URL[$1]}" /sign-up/email \
    "{\"name\":\"Bench\",\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$WORK/signup-$1.h")
  [[ $body == *'"token"'* ]] || die "sign-up on $1 (${URL[$1]}) failed: $body"
}

fresh_cookie() { # fresh_cookie <server>: a Cookie header from a new sign-in (cache valid 300 s)
  sign_in_cookies "${URL[$1]}" "$EMAIL" "$PASSWORD" "$WORK/signin-$1.h" || die "sign-in on $1 failed"
}

check_session() { # check_session <server> <cookie> <path>: the load would measure a real session
  local body
  body=$(curl -s -m 10 -H "cookie: $2" "${URL[$1]}$3")
  [[ $body == *'"session"'* || $body == '{"valid":true}' ]] || die "$1 answered $3 with: ${body:0:200}"
}

run_native() {
  say "native: starting Portcullis (scrypt, argon2id), Better Auth and the bare-HMAC floor"
  local port dir
  for server in pc pc_argon2; do
    port=$(free_port)
    dir=$WORK/$server
    mkdir -p "$dir"
    local config='{"password":{"algorithm":"scrypt"}}'
    [[ $server == pc_argon2 ]] && config='{"password":{"algorithm":"argon2id"}}'
    start "$server" "$dir" env DATABASE_URL="$dir/portcullis.db" PORT="$port" BETTER_AUTH_SECRET="$SECRET" \
      BETTER_AUTH_TRUSTED_ORIGINS= PORTCULLIS_CONFIG="$config" "$PORTCULLIS"
    URL[$server]=http://127.0.0.1:$port
    PID[$server]=$STARTED_PID
  done
  port=$(free_port)
  migrate_reference "$REF" "$WORK/ba.db" "$WORK/ba-migrate.log"
  start ba "$REF" env -u NODE_ENV BA_DB="$WORK/ba.db" BA_MAIL_LOG="$WORK/ba-mail.log" PORT="$port" node server.mjs
  URL[ba]=http://127.0.0.1:$port
  PID[ba]=$STARTED_PID
  port=$(free_port)
  start bare "$WORK" env BETTER_AUTH_SECRET="$SECRET" PORT="$port" "$BARE"
  URL[bare]=http://127.0.0.1:$port
  PID[bare]=$STARTED_PID
  for server in pc pc_argon2 ba; do wait_ok "$server" "${PID[$server]}" "${URL[$server]}"; done
  for _ in $(seq 1 100); do
    curl -s -m 1 -o /dev/null "${URL[bare]}/" && break
    sleep 0.1
  done
  for server in pc pc_argon2 ba bare; do
    [[ "$(cat "/proc/${PID[$server]}/comm")" =~ ^(portcullis|node|bare_hmac)$ ]] \
      || die "$server: pid ${PID[$server]} is $(cat "/proc/${PID[$server]}/comm"), not the server"
    record "$(printf '{"kind":"idle","env":"native","server":"%s","rss_kb":%s}' "$server" "$(rss_kb "${PID[$server]}")")"
  done
  for server in pc pc_argon2 ba; do sign_up_user "$server"; done

  local gs=/api/auth/get-session gsdb='/api/auth/get-session?disableCookieCache=true' round cookie
  local signin_body="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
  local load=(-t"$THREADS" -c"$CONNS")

  say "native: get-session from the cookie cache (${CONNS} connections, ${DURATION}s runs)"
  for round in $(seq 1 "$ROUNDS"); do
    for server in pc ba bare; do
      local from=$server
      [[ $server == bare ]] && from=pc # the floor checks Portcullis's session_token signature
      cookie=$(fresh_cookie "$from")
      check_session "$server" "$cookie" "$gs"
      set_load get "$gs" "$cookie" "" "" "" ""
      ((round > 1)) || warm "${PID[$server]}" wrk_load "${load[@]}" -d"${WARMUP}s" "${URL[$server]}"
      measure load gs-cached "$server" "$round" "${PID[$server]}" "$CONNS" wrk_load "${load[@]}" -d"${DURATION}s" "${URL[$server]}"
    done
  done

  say "native: get-session from the database (?disableCookieCache=true)"
  for round in $(seq 1 "$ROUNDS"); do
    for server in pc ba; do
      cookie=$(fresh_cookie "$server")
      check_session "$server" "$cookie" "$gsdb"
      set_load get "$gsdb" "$cookie" "" "" "" ""
      ((round > 1)) || warm "${PID[$server]}" wrk_load "${load[@]}" -d"${WARMUP}s" "${URL[$server]}"
      measure load gs-db "$server" "$round" "${PID[$server]}" "$CONNS" wrk_load "${load[@]}" -d"${DURATION}s" "${URL[$server]}"
    done
  done

  say "native: sign-in (one user, a new session each)"
  for round in $(seq 1 "$ROUNDS"); do
    for server in pc pc_argon2 ba; do
      set_load signin /api/auth/sign-in/email "" "${URL[$server]}" "$signin_body" "" ""
      ((round > 1)) || warm "${PID[$server]}" wrk_load "${load[@]}" -d"${WARMUP}s" "${URL[$server]}"
      measure load sign-in "$server" "$round" "${PID[$server]}" "$CONNS" wrk_load "${load[@]}" -d"${DURATION}s" "${URL[$server]}"
    done
  done

  say "native: sign-up (unique e-mails)"
  for round in $(seq 1 "$ROUNDS"); do
    for server in pc pc_argon2 ba; do
      if ((round == 1)); then
        set_load signup /api/auth/sign-up/email "" "${URL[$server]}" "" "warm-$server-$$" ""
        warm "${PID[$server]}" wrk_load "${load[@]}" -d"${WARMUP}s" "${URL[$server]}"
      fi
      set_load signup /api/auth/sign-up/email "" "${URL[$server]}" "" "su-$server-$round-$$" ""
      measure load sign-up "$server" "$round" "${PID[$server]}" "$CONNS" wrk_load "${load[@]}" -d"${DURATION}s" "${URL[$server]}"
    done
  done

  say "native: get-session probe (database path, 1 connection, ${PROBE_DELAY} ms apart), alone and during sign-ups (${SIGNUP_CONNS} connections)"
  for round in $(seq 1 "$ROUNDS"); do
    for server in pc pc_argon2 ba; do
      cookie=$(fresh_cookie "$server")
      check_session "$server" "$cookie" "$gsdb"
      set_load get "$gsdb" "$cookie" "" "" "" "$PROBE_DELAY"
      measure probe alone "$server" "$round" "${PID[$server]}" 1 wrk_load -t1 -c1 -d"$((PROBE_DURATION / 2))s" "${URL[$server]}"
      # The sign-up load in the background, the probe in the foreground from 1 s in to 1 s before its end.
      local su_out=$WORK/probe-signup-$server-$round.out pid=${PID[$server]} t0 t1 probe_json su_json
      settle "$pid"
      reset_hwm "$pid"
      t0=$(cpu_ticks "$pid")
      (set_load signup /api/auth/sign-up/email "" "${URL[$server]}" "" "probe-$server-$round-$$" "" &&
        exec wrk --timeout 30s -s "$BENCH/wrk.lua" -t"$((SIGNUP_CONNS < 2 ? 1 : 2))" -c"$SIGNUP_CONNS" \
          -d"${PROBE_DURATION}s" "${URL[$server]}") >"$su_out" 2>&1 &
      local su_pid=$!
      sleep 1
      set_load get "$gsdb" "$cookie" "" "" "" "$PROBE_DELAY"
      wrk --timeout 30s -s "$BENCH/wrk.lua" -t1 -c1 -d"$((PROBE_DURATION - 2))s" "${URL[$server]}" \
        >"$WORK/probe-$server-$round.out" 2>&1 || true
      wait "$su_pid" || true
      alive "$server" "$pid" "probe during sign-ups #$round"
      settle "$pid"
      t1=$(cpu_ticks "$pid")
      probe_json=$(wrk_json "$WORK/probe-$server-$round.out")
      su_json=$(wrk_json "$su_out")
      record "$(printf '{"kind":"probe","scenario":"during-sign-up","server":"%s","round":%s,"cpu_ticks":%s,"inflight":%s,"hwm_kb":%s,"wrk":%s,"load":%s}' \
        "$server" "$round" "$((t1 - t0))" "$SIGNUP_CONNS" "$(hwm_kb "$pid")" "$probe_json" "$su_json")"
      say "  probe during-sign-up $server #$round: probe $(summary "$probe_json" 0 | sed 's/, cpu.*//'); sign-ups $(summary "$su_json" "$((t1 - t0))")"
    done
  done

  for server in pc pc_argon2 ba bare; do
    stop_group "${PID[$server]}"
  done
}

# ---------------------------------------------------------------------------------------------------
# Workers.
dry_run() { # dry_run <name> <dir with wrangler.toml> <outdir> [main]: bundle for upload; record the sizes
  local name=$1 dir=$2 out=$3 main=${4:-} log=$WORK/dry-run-$1.log
  (cd "$dir" && CI=true PORTCULLIS_WORKER_PREBUILT=1 "$WRANGLER" deploy ${main:+"$main"} --dry-run --outdir "$out") >"$log" 2>&1 \
    || { cat "$log" >&2; die "wrangler deploy --dry-run failed for $name"; }
  local line raw gz own_raw=0 own_gz=0 f
  line=$(grep -m1 'Total Upload:' "$log") || die "no 'Total Upload' line from wrangler for $name"
  raw=$(sed -E 's/.*Total Upload: ([0-9.]+) KiB.*/\1/' <<<"$line")
  gz=$(sed -E 's/.*gzip: ([0-9.]+) KiB.*/\1/' <<<"$line")
  for f in "$out"/*; do
    case $f in *.map | */README.md) continue ;; esac
    own_raw=$((own_raw + $(stat -c %s "$f")))
    own_gz=$((own_gz + $(gzip -9 -c "$f" | wc -c)))
  done
  record "$(printf '{"kind":"size","server":"%s","raw_kib":%s,"gzip_kib":%s,"files_bytes":%s,"files_gzip9_bytes":%s}' \
    "$name" "$raw" "$gz" "$own_raw" "$own_gz")"
  say "  $name upload: $raw KiB, gzip $gz KiB"
}

workerd_start() { # workerd_start <server> <bundle dir> <main> <flags> <vars json>
  local server=$1 port
  port=$(free_port)
  local vars=${5//@URL@/http://127.0.0.1:$port}
  start "$server" "$ROOT" node "$BENCH/workerd-serve.mjs" --dir "$2" --main "$3" --port "$port" \
    --flags "$4" --vars "$vars"
  local node_pid=$STARTED_PID
  GRP[$server]=$node_pid
  for _ in $(seq 1 600); do
    grep -q 'workerd-serve: ready' "$WORK/$server.log" 2>/dev/null && break
    kill -0 "$node_pid" 2>/dev/null || die "$server: workerd-serve exited during start-up"
    sleep 0.1
  done
  grep -q 'workerd-serve: ready' "$WORK/$server.log" || die "$server: workerd did not start within 60 s"
  URL[$server]=http://127.0.0.1:$port
  PID[$server]=$(pgrep -P "$node_pid" -x workerd | head -1) || true
  [[ -n ${PID[$server]} ]] || die "$server: no workerd child of $node_pid"
  wait_ok "$server" "${PID[$server]}" "${URL[$server]}"
  record "$(printf '{"kind":"idle","env":"workerd","server":"%s","rss_kb":%s}' "$server" "$(rss_kb "${PID[$server]}")")"
}

run_workerd() {
  local pc_bundle=$WORK/bundle-portcullis ba_bundle=$WORK/bundle-better-auth
  [[ -f $ROOT/build/worker/shim.mjs ]] || die "build/worker/shim.mjs missing (run scripts/build-worker.sh)"
  if [[ ! -d $BENCH/ba-worker/node_modules/better-auth ]]; then
    say "npm ci in bench/ba-worker (better-auth 1.7.25)"
    (cd "$BENCH/ba-worker" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  say "workers: bundling both (wrangler deploy --dry-run)"
  dry_run portcullis "$ROOT" "$pc_bundle"
  dry_run better-auth "$BENCH/ba-worker" "$ba_bundle"
  if has_part size; then
    # The like-for-like pair: Better Auth with the six plugins and two social providers
    # (ba-worker/src/plugins.mjs), and Portcullis built with the same six plugins and without the
    # gate (PORTCULLIS_WORKER_FEATURES=same-as-better-auth; social sign-on and KV sessions are
    # always compiled in). The build is put back to the default one afterwards.
    dry_run better-auth-plugins "$BENCH/ba-worker" "$WORK/bundle-better-auth-plugins" src/plugins.mjs
    if [[ -z ${SKIP_BUILD:-} ]]; then
      say "building the Worker with the six plugins only (PORTCULLIS_WORKER_FEATURES=same-as-better-auth)"
      PORTCULLIS_WORKER_FEATURES=same-as-better-auth bash "$ROOT/scripts/build-worker.sh" >"$WORK/build-worker-plugins.log" 2>&1 \
        || { cat "$WORK/build-worker-plugins.log" >&2; die "Worker build (six plugins) failed"; }
      dry_run portcullis-plugins "$ROOT" "$WORK/bundle-portcullis-plugins"
      bash "$ROOT/scripts/build-worker.sh" >"$WORK/build-worker.log" 2>&1 || { cat "$WORK/build-worker.log" >&2; die "Worker build failed"; }
    else
      say "SKIP_BUILD: no Portcullis six-plugin size row (it needs its own build)"
    fi
  fi
  has_part workerd || return 0

  say "workerd: starting the Workers in Miniflare (Portcullis scrypt, argon2id, pbkdf2-sha256; Better Auth)"
  local common="\"BETTER_AUTH_SECRET\":\"$SECRET\",\"BETTER_AUTH_URL\":\"@URL@\",\"BETTER_AUTH_TRUSTED_ORIGINS\":\"\""
  local pc_main
  pc_main=$(cd "$pc_bundle" && ls -- *.js | head -1)
  for alg in scrypt argon2id pbkdf2-sha256; do
    local server=wpc
    [[ $alg == argon2id ]] && server=wpc_argon2
    [[ $alg == pbkdf2-sha256 ]] && server=wpc_pbkdf2
    workerd_start "$server" "$pc_bundle" "$pc_main" nodejs_compat \
      "{$common,\"PORTCULLIS_CONFIG\":\"{\\\"password\\\":{\\\"algorithm\\\":\\\"$alg\\\"}}\"}"
  done
  workerd_start wba "$ba_bundle" index.js nodejs_compat "{$common}"
  for server in wpc wpc_argon2 wpc_pbkdf2 wba; do sign_up_user "$server"; done

  local gs=/api/auth/get-session gsdb='/api/auth/get-session?disableCookieCache=true' round cookie server
  local signin_body="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
  local wrong_body="{\"email\":\"$EMAIL\",\"password\":\"wrong-password-123\"}"
  local taken_body="{\"name\":\"Bench\",\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"

  say "workerd: CPU per request, ${WORKERD_GETS} sequential get-sessions, ${WORKERD_SIGNINS} sign-ins"
  for path_name in gs-cached gs-db; do
    local path=$gs
    [[ $path_name == gs-db ]] && path=$gsdb
    for round in $(seq 1 "$ROUNDS"); do
      for server in wpc wba; do
        cookie=$(fresh_cookie "$server")
        check_session "$server" "$cookie" "$path"
        if ((round == 1)); then
          set_load get "$path" "$cookie" "" "" "" ""
          warm "${PID[$server]}" seq_load "${URL[$server]}" "$((WORKERD_GETS / 4 + 1))"
        fi
        set_load get "$path" "$cookie" "" "" "" ""
        measure workerd "$path_name" "$server" "$round" "${PID[$server]}" 0 seq_load "${URL[$server]}" "$WORKERD_GETS"
      done
    done
  done
  for round in $(seq 1 "$ROUNDS"); do
    for server in wpc wpc_argon2 wba; do
      if ((round == 1)); then
        set_load signin /api/auth/sign-in/email "" "${URL[$server]}" "$signin_body" "" ""
        warm "${PID[$server]}" seq_load "${URL[$server]}" 3
      fi
      set_load signin /api/auth/sign-in/email "" "${URL[$server]}" "$signin_body" "" ""
      measure workerd sign-in "$server" "$round" "${PID[$server]}" 0 seq_load "${URL[$server]}" "$WORKERD_SIGNINS"
    done
  done

  say "workerd: CPU per password hash = sign-in with a wrong password (read + verify) - sign-up of a taken e-mail (read, no hash)"
  for round in $(seq 1 "$ROUNDS"); do
    for server in wpc_argon2 wpc_pbkdf2 wpc wba; do
      if ((round == 1)); then
        set_load signin /api/auth/sign-in/email "" "${URL[$server]}" "$wrong_body" "" ""
        warm "${PID[$server]}" seq_load "${URL[$server]}" 2
      fi
      set_load signin /api/auth/sign-in/email "" "${URL[$server]}" "$wrong_body" "" ""
      measure workerd hash-verify "$server" "$round" "${PID[$server]}" 0 seq_load "${URL[$server]}" "$WORKERD_HASHES"
      set_load signin /api/auth/sign-up/email "" "${URL[$server]}" "$taken_body" "" ""
      measure workerd hash-baseline "$server" "$round" "${PID[$server]}" 0 seq_load "${URL[$server]}" "$WORKERD_HASHES"
    done
  done
  for server in wpc wpc_argon2 wpc_pbkdf2 wba; do
    stop_group "${GRP[$server]}"
  done
}

# ---------------------------------------------------------------------------------------------------
run_hash() {
  say "hash: CPU per hash natively (${HASH_RUNS} runs each)"
  local line
  while IFS=$'\t' read -r alg op med min max wall runs; do
    line=$(printf '{"kind":"hash","env":"native","impl":"portcullis","algorithm":"%s","op":"%s","cpu_ms":%s,"min_ms":%s,"max_ms":%s,"wall_ms":%s,"runs":%s}' \
      "$alg" "$op" "$med" "$min" "$max" "$wall" "$runs")
    record "$line"
    say "  portcullis $alg $op: ${med} ms CPU"
  done < <("$ROOT/target/release/examples/bench_hash" "$HASH_RUNS")
  while IFS=$'\t' read -r alg op med min max wall runs; do
    record "$(printf '{"kind":"hash","env":"native","impl":"better-auth","algorithm":"scrypt","op":"%s","cpu_ms":%s,"min_ms":%s,"max_ms":%s,"wall_ms":%s,"runs":%s}' \
      "$op" "$med" "$min" "$max" "$wall" "$runs")"
    say "  better-auth scrypt $op: ${med} ms CPU"
  done < <(cd "$REF" && node ba-hash.mjs "$HASH_RUNS")
}

run_roundtrips() {
  say "roundtrips: counting SQL calls per endpoint (in process)"
  local name status q b
  while IFS=$'\t' read -r name status q b; do
    record "$(printf '{"kind":"roundtrip","impl":"portcullis","endpoint":"%s","status":%s,"queries":%s,"batches":%s}' "$name" "$status" "$q" "$b")"
  done < <(cd "$ROOT" && cargo run --quiet --example bench_roundtrips 2>"$WORK/roundtrips.log")
  while IFS=$'\t' read -r name status q b; do
    record "$(printf '{"kind":"roundtrip","impl":"better-auth","endpoint":"%s","status":%s,"statements":%s,"control":%s}' "$name" "$status" "$q" "$b")"
  done < <(cd "$REF" && node ba-roundtrips.mjs 2>>"$WORK/roundtrips.log")
}

START=$SECONDS
# Counting is not timing: it runs before the sampler below, since it runs cargo itself.
has_part roundtrips && run_roundtrips

# Other work on the machine skews every figure: note every 5 s whether a compiler is running.
(
  while :; do
    if pgrep -x rustc >/dev/null || pgrep -x cargo >/dev/null; then echo busy; else echo idle; fi
    sleep 5
  done
) >"$WORK/interference" 2>/dev/null &
SAMPLER_PID=$!

has_part hash && run_hash
has_part native && run_native
if has_part workerd || has_part size; then run_workerd; fi
read -r LOAD_END _ </proc/loadavg
kill "$SAMPLER_PID" 2>/dev/null || true
BUSY=$(grep -c busy "$WORK/interference" || true)
SAMPLES=$(wc -l <"$WORK/interference")
((BUSY == 0)) || say "warning: a cargo/rustc build ran during $BUSY of $SAMPLES 5-second samples of this run"
record "$(printf '{"kind":"end","run":"%s","load_end":%s,"seconds":%s,"compiler_busy_samples":%s,"samples":%s}' \
  "$RUN_ID" "$LOAD_END" "$((SECONDS - START))" "$BUSY" "$SAMPLES")"

say "report"
node "$BENCH/report.mjs" "$RESULTS" "$OUTPUT"
say "wrote $OUTPUT (raw results: $RESULTS) in $((SECONDS - START)) s"
