-- One wrk script for every load in bench/run.sh, configured through the environment:
--   BENCH_MODE    get | signin | signup                        (default get)
--   BENCH_PATH    request path, e.g. /api/auth/get-session?disableCookieCache=true
--   BENCH_COOKIE  Cookie header (get)
--   BENCH_ORIGIN  Origin header (POSTs; the server's own origin)
--   BENCH_BODY    JSON body (signin)
--   BENCH_PREFIX  unique prefix for sign-up e-mails (signup): <prefix>-<thread>-<n>@bench.example
--   BENCH_DELAY   milliseconds to wait between a connection's requests (a paced probe)
-- done() prints one line "BENCHJSON {...}" with requests, duration, errors and latency percentiles
-- (microseconds), which bench/lib.sh reads.

local mode = os.getenv("BENCH_MODE") or "get"
local path = os.getenv("BENCH_PATH") or "/api/auth/get-session"
local cookie = os.getenv("BENCH_COOKIE")
local origin = os.getenv("BENCH_ORIGIN")
local body = os.getenv("BENCH_BODY")
local prefix = os.getenv("BENCH_PREFIX") or "bench"
local delay_ms = tonumber(os.getenv("BENCH_DELAY") or "")

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local headers = {}
if cookie and cookie ~= "" then headers["Cookie"] = cookie end

if mode == "get" then
  wrk.method = "GET"
  wrk.path = path
  wrk.headers = headers
elseif mode == "signin" then
  wrk.method = "POST"
  wrk.path = path
  headers["Content-Type"] = "application/json"
  headers["Origin"] = origin
  wrk.headers = headers
  wrk.body = body
elseif mode == "signup" then
  local counter = 0
  headers["Content-Type"] = "application/json"
  headers["Origin"] = origin
  function request()
    counter = counter + 1
    local b = string.format(
      '{"name":"Bench User","email":"%s-%d-%d@bench.example","password":"bench-password-123"}',
      prefix, id or 0, counter)
    return wrk.format("POST", path, headers, b)
  end
else
  error("unknown BENCH_MODE " .. mode)
end

if delay_ms then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
