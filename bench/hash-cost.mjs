// Wall time of requests that differ by one password hash, against a running server:
//   AUTH_BASE_URL=http://127.0.0.1:8787 node bench/hash-cost.mjs [runs]
// Prints medians (ms) of: GET /ok; sign-up of a taken email (one read, 422, no hash); sign-in with a
// wrong password (one read + one verify = one hash); sign-up of a new email (one read, one hash, one
// write batch). verify ≈ sign-in(wrong) − sign-up(taken); hash + write ≈ sign-up(new) − sign-up(taken).
// Requests run one at a time; run it on an idle machine and compare medians, not single runs.
const base = (process.env.AUTH_BASE_URL || 'http://127.0.0.1:8787').replace(/\/+$/, '');
const api = `${base}/api/auth`;
const origin = new URL(base).origin;
const runs = Number(process.argv[2] || 15);
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const password = 'correct-horse-battery';
let n = 0;

async function timed(path, body) {
  const start = performance.now();
  const res = await fetch(`${api}${path}`, body === undefined ? {} : {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return { ms: performance.now() - start, status: res.status };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const existing = `hash-cost-${run}@example.com`;
const first = await timed('/sign-up/email', { email: existing, password, name: 'Hash Cost' });
if (first.status !== 200) throw new Error(`sign-up answered ${first.status}`);

const cases = {
  ok: () => timed('/ok'),
  'sign-up (taken)': () => timed('/sign-up/email', { email: existing, password, name: 'Hash Cost' }),
  'sign-in (wrong password)': () => timed('/sign-in/email', { email: existing, password: 'wrong-password-123' }),
  'sign-up (new)': () => timed('/sign-up/email', { email: `hash-cost-${run}-${++n}@example.com`, password, name: 'Hash Cost' }),
};
const expected = { ok: 200, 'sign-up (taken)': 422, 'sign-in (wrong password)': 401, 'sign-up (new)': 200 };
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const k of Object.keys(cases)) await cases[k](); // warm-up
for (let i = 0; i < runs; i++) {
  for (const [k, f] of Object.entries(cases)) {
    const { ms, status } = await f();
    if (status !== expected[k]) throw new Error(`${k} answered ${status}, expected ${expected[k]}`);
    samples[k].push(ms);
  }
}
const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
for (const [k, v] of Object.entries(samples)) {
  console.log(`${k.padEnd(26)} median ${m[k].toFixed(1).padStart(7)} ms  min ${Math.min(...v).toFixed(1).padStart(7)}  max ${Math.max(...v).toFixed(1).padStart(7)}  (n=${v.length})`);
}
console.log(`verify   ≈ sign-in(wrong) − sign-up(taken) = ${(m['sign-in (wrong password)'] - m['sign-up (taken)']).toFixed(1)} ms`);
console.log(`hash+write ≈ sign-up(new) − sign-up(taken) = ${(m['sign-up (new)'] - m['sign-up (taken)']).toFixed(1)} ms`);
