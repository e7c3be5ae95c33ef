// A fixed number of requests, one at a time on one keep-alive connection: the load for the workerd
// CPU-per-request figures (wrk runs for a fixed time, not a fixed count). Reads the same BENCH_*
// variables as bench/wrk.lua (BENCH_MODE get | signin, BENCH_PATH, BENCH_COOKIE, BENCH_ORIGIN,
// BENCH_BODY) and prints the same "BENCHJSON {...}" line.
//   node bench/seq.mjs <base url> <count> [timeout seconds]
import http from 'node:http';

const [base, countArg, timeoutArg] = process.argv.slice(2);
const count = Number(countArg);
const deadline = Date.now() + 1000 * Number(timeoutArg || 300);
if (!base || !(count > 0)) {
  console.error('usage: seq.mjs <base url> <count> [timeout seconds]');
  process.exit(2);
}
const env = process.env;
const mode = env.BENCH_MODE || 'get';
const url = new URL(env.BENCH_PATH || '/api/auth/get-session', base);
const headers = {};
if (env.BENCH_COOKIE) headers.cookie = env.BENCH_COOKIE;
let body;
if (mode === 'signin') {
  body = Buffer.from(env.BENCH_BODY || '{}');
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(body.length);
  if (env.BENCH_ORIGIN) headers.origin = env.BENCH_ORIGIN;
} else if (mode !== 'get') {
  throw new Error(`unsupported BENCH_MODE ${mode}`);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function once() {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: body ? 'POST' : 'GET', headers, agent }, (res) => {
      let bytes = 0;
      res.on('data', (c) => { bytes += c.length; });
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const lat = [];
let bytes = 0;
let statusErrors = 0;
let readErrors = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < count && Date.now() < deadline; i++) {
  const t0 = process.hrtime.bigint();
  try {
    const r = await once();
    bytes += r.bytes;
    if (r.status > 399) statusErrors++;
  } catch {
    readErrors++;
  }
  lat.push(Number(process.hrtime.bigint() - t0) / 1000);
}
const duration = Number(process.hrtime.bigint() - start) / 1000;
agent.destroy();
lat.sort((a, b) => a - b);
const pct = (q) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil((q / 100) * lat.length) - 1)] : 0);
const mean = lat.reduce((a, b) => a + b, 0) / (lat.length || 1);
console.log(`BENCHJSON ${JSON.stringify({
  requests: lat.length, duration_us: Math.round(duration), bytes, connect_errors: 0, read_errors: readErrors,
  write_errors: 0, status_errors: statusErrors, timeouts: 0, p50_us: Math.round(pct(50)), p90_us: Math.round(pct(90)),
  p99_us: Math.round(pct(99)), max_us: Math.round(lat.at(-1) ?? 0), mean_us: +mean.toFixed(1),
})}`);
