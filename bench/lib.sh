# Measurement helpers for bench/run.sh (sourced after scripts/lib.sh; bash). Nothing here starts
# load by itself.

# free_port: a TCP port free on 127.0.0.1 right now.
free_port() {
  free_ports 1
}

# cpu_ticks <pid>: user + system clock ticks of the whole process (every thread, live or exited).
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat") || return 1
  stat=${stat##*) }
  # After "pid (comm) ", field 1 is the state; utime and stime are fields 12 and 13.
  awk '{ print $12 + $13 }' <<<"$stat"
}

# hwm_kb <pid>: peak resident set (VmHWM) in KiB.
hwm_kb() {
  awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# rss_kb <pid>: current resident set (VmRSS) in KiB.
rss_kb() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# reset_hwm <pid>: restart the peak at the current RSS (writing 5 to clear_refs), so each run
# reports its own peak. Harmless where the kernel refuses.
reset_hwm() {
  echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true
}

# wait_ok <name> <pid> <base url> [seconds]: wait for GET <base>/api/auth/ok to answer {"ok":true}.
wait_ok() {
  local name=$1 pid=$2 url=$3 limit=${4:-60} i
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { echo "bench: $name exited during start-up" >&2; return 1; }
    [[ "$(curl -s -m 2 "$url/api/auth/ok" 2>/dev/null || true)" == '{"ok":true}' ]] && return 0
    sleep 0.1
  done
  echo "bench: $name did not answer $url/api/auth/ok within ${limit}s" >&2
  return 1
}

# auth_post <base url> <path> <json body> <header file>: POST as a browser on the server's own
# origin would; prints the body, writes the response headers to the file.
auth_post() {
  curl -s -m 30 -D "$4" -H 'content-type: application/json' -H "origin: $1" \
    --data-raw "$3" "$1/api/auth$2"
}

# cookies_from <header file>: a Cookie header with every non-empty cookie the response set.
cookies_from() {
  grep -i '^set-cookie:' "$1" | sed -e 's/^[Ss][Ee][Tt]-[Cc][Oo][Oo][Kk][Ii][Ee]: *//' -e 's/;.*//' -e 's/\r$//' \
    | grep -v '=$' | paste -sd';' - | sed 's/;/; /g'
}

# sign_in_cookies <base url> <email> <password> <scratch file>: signs in; prints the Cookie header.
sign_in_cookies() {
  local body
  body=$(auth_post "$1" /sign-in/email "{\"email\":\"$2\",\"password\":\"$3\"}" "$4")
  [[ "$body" == *'"token"'* ]] || { echo "bench: sign-in at $1 failed: $body" >&2; return 1; }
  cookies_from "$4"
}

# settle <pid> [max seconds]: wait until the process is idle (at most 1 clock tick of CPU in 300 ms),
# so work a load generator left behind (requests still queued when it stopped) is done before the
# next run starts or the CPU figure is read. Gives up after max seconds (default 60), with a warning.
settle() {
  local pid=$1 limit=${2:-60} start=$SECONDS a b
  a=$(cpu_ticks "$pid") || return 0
  while ((SECONDS - start < limit)); do
    sleep 0.3
    b=$(cpu_ticks "$pid") || return 0
    ((b - a <= 1)) && return 0
    a=$b
  done
  echo "bench: warning: pid $pid still busy after ${limit}s" >&2
}
