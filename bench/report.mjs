// Turns bench/run.sh's raw results (JSON lines) into the tables: prints them and writes BENCHMARKS.md.
//   node bench/report.mjs bench/results.jsonl [BENCHMARKS.md]
// Every figure is the median across rounds; ratios are Portcullis / Better Auth of those medians.
// bench/notes.md, if present, is appended as the reviewed notes on the last run.
import fs from 'node:fs';
import path from 'node:path';

const ALL_PARTS = ['native', 'workerd', 'size', 'hash', 'roundtrips'];
// Which part of bench/run.sh a result row belongs to ('meta': a run's machine, versions and end rows).
function partOf(r) {
  switch (r.kind) {
    case 'load': case 'probe': return 'native';
    case 'idle': return r.env === 'workerd' ? 'workerd' : 'native';
    case 'workerd': return 'workerd';
    case 'size': return 'size';
    case 'hash': return 'hash';
    case 'roundtrip': return 'roundtrips';
    default: return 'meta';
  }
}
const readRows = (file) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const runParts = (rows) => Object.fromEntries(rows.filter((r) => r.kind === 'machine').map((r) => [r.run ?? '', r.parts ?? ALL_PARTS]));

// `report.mjs --drop-parts a,b results.jsonl`: remove those parts' rows before a rerun of them (and
// the meta rows of runs that have nothing else left).
if (process.argv[2] === '--drop-parts') {
  const drop = process.argv[3].split(',');
  const file = process.argv[4];
  const rows = readRows(file);
  const parts = runParts(rows);
  const kept = rows.filter((r) => {
    const p = partOf(r);
    if (p !== 'meta') return !drop.includes(p);
    return (parts[r.run ?? ''] ?? ALL_PARTS).some((x) => !drop.includes(x));
  });
  fs.writeFileSync(file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  process.exit(0);
}

const [resultsFile, outFile] = process.argv.slice(2);
if (!resultsFile) {
  console.error('usage: report.mjs results.jsonl [BENCHMARKS.md]');
  process.exit(2);
}
const rows = readRows(resultsFile);
// The runs whose rows are here, oldest first, each with the parts it still provides.
const runs = rows.filter((r) => r.kind === 'machine').map((m) => ({
  machine: m,
  versions: rows.find((r) => r.kind === 'versions' && (r.run ?? '') === (m.run ?? '')) ?? {},
  end: rows.find((r) => r.kind === 'end' && (r.run ?? '') === (m.run ?? '')) ?? {},
  parts: (m.parts ?? ALL_PARTS).filter((p) => rows.some((r) => partOf(r) === p)),
}));
for (let i = 0; i < runs.length; i++) {
  runs[i].parts = runs[i].parts.filter((p) => !runs.slice(i + 1).some((later) => (later.machine.parts ?? ALL_PARTS).includes(p)));
}
const latest = runs.at(-1) ?? { machine: {}, versions: {}, end: {} };
const versions = latest.versions;
// The settings of the run that produced a part.
const settingsFor = (part) => (runs.findLast((r) => r.parts.includes(part)) ?? latest).machine;
const machine = latest.machine;
const clk = machine.clk_tck || 100;

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, digits) => {
  if (!Number.isFinite(x)) return '—';
  if (digits !== undefined) return x.toFixed(digits);
  const a = Math.abs(x);
  return a >= 1000 ? Math.round(x).toLocaleString('en-US') : a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toFixed(3);
};
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN);
const fmtRatio = (r) => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)}×` : '—');
const table = (head, body, left = 1) =>
  [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i < left ? '---' : '---:')).join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const LABEL = {
  pc: 'Portcullis (scrypt)', pc_argon2: 'Portcullis (argon2id)', ba: 'Better Auth 1.7.25', bare: 'bare HMAC floor',
  wpc: 'Portcullis Worker (scrypt)', wpc_argon2: 'Portcullis Worker (argon2id)',
  wpc_pbkdf2: 'Portcullis Worker (pbkdf2-sha256)', wba: 'Better Auth Worker',
};
const SCENARIO = {
  'gs-cached': 'get-session, cookie cache', 'gs-db': 'get-session, database (`?disableCookieCache=true`)',
  'sign-in': 'sign-in/email', 'sign-up': 'sign-up/email (unique e-mails)',
};

// Per-run figures from one load row.
function runFigures(r) {
  const w = r.wrk;
  const seconds = w.duration_us / 1e6;
  const cpu = r.cpu_ticks / clk;
  // The CPU is read once the server is idle again, so it includes the requests still in flight when
  // the load stopped (at most one per connection: r.inflight).
  const served = w.requests + (r.inflight ?? 0);
  return {
    rps: w.requests / seconds,
    p50: w.p50_us / 1000,
    p99: w.p99_us / 1000,
    cpu1k: served ? (cpu / served) * 1000 : NaN,
    cpuReq: served ? (cpu / served) * 1000 : NaN, // ms per request
    mem: r.hwm_kb / 1024,
    errors: w.connect_errors + w.read_errors + w.write_errors + w.status_errors + w.timeouts,
    requests: w.requests,
  };
}
function summarise(kind, scenario, server) {
  const runs = rows.filter((r) => r.kind === kind && r.scenario === scenario && r.server === server).map(runFigures);
  if (!runs.length) return null;
  const pick = (k) => median(runs.map((f) => f[k]));
  return {
    rounds: runs.length, rps: pick('rps'), p50: pick('p50'), p99: pick('p99'), cpu1k: pick('cpu1k'),
    cpuReq: pick('cpuReq'), mem: pick('mem'), errors: runs.reduce((a, f) => a + f.errors, 0),
    requests: runs.reduce((a, f) => a + f.requests, 0),
  };
}

const out = [];
const headline = [];
const p = (s = '') => out.push(s);

// ------------------------------------------------------------------------------------------------
const native = rows.some((r) => r.kind === 'load');
const sections = [];

if (native) {
  const body = [];
  const ratios = [];
  for (const [scenario, servers] of [
    ['gs-cached', ['pc', 'ba', 'bare']], ['gs-db', ['pc', 'ba']],
    ['sign-in', ['pc', 'pc_argon2', 'ba']], ['sign-up', ['pc', 'pc_argon2', 'ba']],
  ]) {
    const s = Object.fromEntries(servers.map((x) => [x, summarise('load', scenario, x)]));
    for (const x of servers) {
      const f = s[x];
      if (!f) continue;
      body.push([SCENARIO[scenario], LABEL[x], fmt(f.rps), fmt(f.p50), fmt(f.p99), fmt(f.cpu1k), fmt(f.mem, 0),
        f.errors ? `${f.errors} of ${f.requests}` : '0']);
    }
    const ba = s.ba;
    for (const x of servers.filter((x) => x !== 'ba' && x !== 'bare')) {
      const f = s[x];
      if (!f || !ba) continue;
      ratios.push([SCENARIO[scenario], `${LABEL[x]} / Better Auth`, fmtRatio(ratio(f.rps, ba.rps)),
        fmtRatio(ratio(f.p50, ba.p50)), fmtRatio(ratio(f.p99, ba.p99)), fmtRatio(ratio(f.cpu1k, ba.cpu1k)),
        fmtRatio(ratio(f.mem, ba.mem))]);
    }
    if (scenario === 'gs-cached' && s.pc && s.bare) {
      ratios.push([SCENARIO[scenario], 'Portcullis / bare HMAC floor', fmtRatio(ratio(s.pc.rps, s.bare.rps)),
        fmtRatio(ratio(s.pc.p50, s.bare.p50)), fmtRatio(ratio(s.pc.p99, s.bare.p99)),
        fmtRatio(ratio(s.pc.cpu1k, s.bare.cpu1k)), fmtRatio(ratio(s.pc.mem, s.bare.mem))]);
    }
    if (s.pc && ba) {
      const name = { 'gs-cached': 'cached get-session', 'gs-db': 'get-session from the database', 'sign-in': 'sign-in', 'sign-up': 'sign-up' }[scenario];
      let line = `${name}: Portcullis ${fmt(s.pc.rps)} req/s vs Better Auth ${fmt(ba.rps)} (${fmtRatio(ratio(s.pc.rps, ba.rps))}), ` +
        `CPU ${fmt(s.pc.cpu1k)} vs ${fmt(ba.cpu1k)} s per 1,000 requests`;
      if (scenario === 'gs-cached' && s.bare) {
        line += `; the bare-HMAC floor: ${fmt(s.bare.cpu1k * 1000)} µs of CPU per request (Portcullis ${fmt(s.pc.cpu1k * 1000)} µs, ` +
          `${fmtRatio(ratio(s.pc.cpu1k, s.bare.cpu1k))} the floor) and ${fmt(s.bare.rps)} req/s (Portcullis at ${fmt(100 * s.pc.rps / s.bare.rps, 0)}% of it; ` +
          'at these rates wrk, on the same 2 cores, is the limit, so compare CPU)';
      }
      if ((scenario === 'sign-in' || scenario === 'sign-up') && s.pc_argon2) line += `; with argon2id ${fmt(s.pc_argon2.rps)} req/s`;
      headline.push(line);
    }
  }
  sections.push(() => {
    p('## Native: Portcullis against the Better Auth reference server');
    p();
    const m = settingsFor('native');
    p(`wrk, ${m.threads} threads, ${m.connections} connections, ${m.duration_s} s per run, ` +
      `${m.rounds} rounds alternating the servers (A B A B …); medians across rounds. ` +
      'CPU is the server process\'s user + system time (every thread) per 1,000 requests; peak RSS is VmHWM, reset before each run.');
    p();
    p(table(['request', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU s / 1k req', 'peak RSS MiB', 'non-2xx / errors'], body, 2));
    p();
    p('Ratios of the medians (req/s: higher is better for Portcullis; the others: lower is better):');
    p();
    p(table(['request', 'ratio', 'req/s', 'p50', 'p99', 'CPU / req', 'peak RSS'], ratios, 2));
    p();
  });

  // The probe.
  const probeRows = [];
  for (const x of ['pc', 'pc_argon2', 'ba']) {
    const alone = summarise('probe', 'alone', x);
    const during = rows.filter((r) => r.kind === 'probe' && r.scenario === 'during-sign-up' && r.server === x);
    if (!alone && !during.length) continue;
    const pr = during.map((r) => runFigures(r));
    const load = during.map((r) => runFigures({ wrk: r.load, cpu_ticks: r.cpu_ticks, hwm_kb: r.hwm_kb }));
    probeRows.push([LABEL[x], alone ? fmt(alone.p50) : '—', alone ? fmt(alone.p99) : '—',
      fmt(median(pr.map((f) => f.p50))), fmt(median(pr.map((f) => f.p99))),
      String(pr.reduce((a, f) => a + f.requests, 0)), fmt(median(load.map((f) => f.rps))),
      fmt(median(load.map((f) => f.mem)), 0)]);
    if (x === 'pc' || x === 'ba') {
      headline.push(`get-session (database) while sign-ups run: ${LABEL[x]} p50 ${fmt(median(pr.map((f) => f.p50)))} ms, ` +
        `p99 ${fmt(median(pr.map((f) => f.p99)))} ms (alone: p50 ${alone ? fmt(alone.p50) : '—'} ms)`);
    }
  }
  if (probeRows.length) {
    sections.push(() => {
      p('### get-session while sign-ups are running');
      p();
      const m = settingsFor('native');
      p(`A paced probe (one connection, one get-session from the database every ${m.probe_delay_ms} ms) alone, then while ` +
        `${m.signup_connections} connections sign up new users as fast as the server takes them. ` +
        'Better Auth hashes inside the sign-up transaction, on its single SQLite connection, so its other queries wait; ' +
        'Portcullis hashes before it writes, off the request thread.');
      p();
      p(table(['server', 'alone p50 ms', 'alone p99 ms', 'during sign-ups p50 ms', 'p99 ms', 'probe samples',
        'sign-ups/s meanwhile', 'peak RSS MiB'], probeRows));
      p();
    });
  }
}

// ------------------------------------------------------------------------------------------------
const workerd = rows.some((r) => r.kind === 'workerd');
if (workerd) {
  const body = [];
  for (const [scenario, servers] of [['gs-cached', ['wpc', 'wba']], ['gs-db', ['wpc', 'wba']], ['sign-in', ['wpc', 'wpc_argon2', 'wba']]]) {
    const s = Object.fromEntries(servers.map((x) => [x, summarise('workerd', scenario, x)]));
    for (const x of servers) {
      const f = s[x];
      if (!f) continue;
      body.push([SCENARIO[scenario], LABEL[x], fmt(f.cpuReq), fmt(f.p50), fmt(f.mem, 0),
        x === 'wba' ? '' : fmtRatio(ratio(f.cpuReq, s.wba?.cpuReq))]);
    }
    if (s.wpc && s.wba) {
      let line = `workerd, ${SCENARIO[scenario].replace(/ \(.*\)/, '')}: ${fmt(s.wpc.cpuReq)} ms CPU per request vs Better Auth's ${fmt(s.wba.cpuReq)} ms (${fmtRatio(ratio(s.wpc.cpuReq, s.wba.cpuReq))})`;
      if (s.wpc_argon2) line += ` in scrypt mode; with argon2id ${fmt(s.wpc_argon2.cpuReq)} ms (${fmtRatio(ratio(s.wpc_argon2.cpuReq, s.wba.cpuReq))})`;
      headline.push(line);
    }
  }
  sections.push(() => {
    p('## workerd: CPU per request');
    p();
    p('Each Worker bundled as for upload (`wrangler deploy --dry-run`) and served by Miniflare ' +
      '(`bench/workerd-serve.mjs`: no inspector, no `wrangler dev` proxy), with an in-memory local D1. ' +
      `${settingsFor('workerd').workerd_requests} get-sessions and ${settingsFor('workerd').workerd_signins} sign-ins per run, one at a time, ` +
      `${settingsFor('workerd').rounds} rounds alternating; CPU is the workerd process's (user + system, /proc) divided by the requests. ` +
      'It includes what workerd does around the Worker (HTTP, Miniflare\'s entry worker, the local D1 emulation), ' +
      'the same for both; Cloudflare bills only the Worker\'s own CPU, so production figures are lower for both.');
    p();
    p(table(['request', 'Worker', 'CPU ms / request', 'wall p50 ms', 'peak RSS MiB', 'vs Better Auth'], body, 2));
    p();
  });
}

// Hashes.
const hashNative = rows.filter((r) => r.kind === 'hash');
const hashWorkerd = ['wpc_argon2', 'wpc_pbkdf2', 'wpc', 'wba'].map((x) => {
  const v = rows.filter((r) => r.kind === 'workerd' && r.scenario === 'hash-verify' && r.server === x);
  const b = rows.filter((r) => r.kind === 'workerd' && r.scenario === 'hash-baseline' && r.server === x);
  if (!v.length || !b.length) return null;
  const per = (r) => (r.cpu_ticks / clk / r.wrk.requests) * 1000;
  const diffs = v.map((r, i) => (b[i] ? per(r) - per(b[i]) : NaN));
  const walls = v.map((r, i) => (b[i] ? r.wrk.p50_us / 1000 - b[i].wrk.p50_us / 1000 : NaN));
  return { server: x, cpu: median(diffs), wall: median(walls), verify: median(v.map(per)), base: median(b.map(per)) };
}).filter(Boolean);
if (hashNative.length || hashWorkerd.length) {
  sections.push(() => {
    p('## Password hashing: CPU per hash');
    p();
    if (hashNative.length) {
      p(`Natively, one hash at a time (\`examples/bench_hash.rs\`: thread CPU time; \`bench/ba-hash.mjs\`: Node process CPU), ${settingsFor('hash').hash_runs} hashes each; CPU is their mean, wall the median:`);
      p();
      const algs = [['portcullis', 'argon2id', 'Argon2id m=19 MiB t=2 p=1 (Portcullis default)'],
        ['portcullis', 'pbkdf2-sha256', 'PBKDF2-HMAC-SHA256 600,000 (Portcullis)'],
        ['portcullis', 'scrypt', 'scrypt N=16384 r=16 p=1 (Portcullis, Better Auth\'s format)'],
        ['better-auth', 'scrypt', 'scrypt N=16384 r=16 p=1 (Better Auth, node:crypto)']];
      p(table(['algorithm', 'hash CPU ms', 'verify CPU ms', 'hash wall ms'], algs.map(([impl, alg, name]) => {
        const h = hashNative.find((r) => r.impl === impl && r.algorithm === alg && r.op === 'hash');
        const v = hashNative.find((r) => r.impl === impl && r.algorithm === alg && r.op === 'verify');
        return [name, fmt(h?.cpu_ms), fmt(v?.cpu_ms), fmt(h?.wall_ms)];
      })));
      p();
    }
    if (hashWorkerd.length) {
      p('In workerd: CPU per sign-in with a wrong password (one read + one verify) minus CPU per sign-up of a taken ' +
        'e-mail (one read, no hash), per request, median across rounds (the `bench/hash-cost.mjs` approach, with CPU instead of wall time). ' +
        'Local workerd enforces neither the CPU limit nor WebCrypto\'s 100,000-iteration PBKDF2 cap; Portcullis hashes in wasm.');
      p();
      p(table(['Worker', 'verify CPU ms', 'verify wall ms', 'sign-in (wrong) CPU ms', 'sign-up (taken) CPU ms'],
        hashWorkerd.map((h) => [LABEL[h.server], fmt(h.cpu), fmt(h.wall), fmt(h.verify), fmt(h.base)])));
      p();
    }
  });
}

// Sizes.
const sizes = rows.filter((r) => r.kind === 'size');
if (sizes.length) {
  const pc = sizes.find((r) => r.server === 'portcullis');
  const ba = sizes.find((r) => r.server === 'better-auth');
  const pcPlugins = sizes.find((r) => r.server === 'portcullis-plugins');
  const baPlugins = sizes.find((r) => r.server === 'better-auth-plugins');
  const label = {
    portcullis: 'Portcullis, everything compiled in (Rust → wasm + JS glue)',
    'portcullis-plugins': 'Portcullis, the six plugins (no gate)',
    'better-auth': 'Better Auth 1.7.25, email and password (JS, D1)',
    'better-auth-plugins': 'Better Auth 1.7.25, the six plugins + two social providers',
  };
  if (pcPlugins && baPlugins) headline.push(`Worker upload with the same six plugins: Portcullis ${pcPlugins.raw_kib} KiB (gzip ${pcPlugins.gzip_kib} KiB) vs Better Auth ${baPlugins.raw_kib} KiB (gzip ${baPlugins.gzip_kib} KiB)`);
  else if (pc && ba) headline.push(`Worker upload: Portcullis ${pc.raw_kib} KiB (gzip ${pc.gzip_kib} KiB) vs Better Auth ${ba.raw_kib} KiB (gzip ${ba.gzip_kib} KiB)`);
  sections.push(() => {
    p('## Worker upload size');
    p();
    p('As `wrangler deploy --dry-run --outdir` reports it ("Total Upload … / gzip …"); the last column is `gzip -9` of the ' +
      'bundled files (source maps excluded). The limit on the Workers free plan is 3 MB gzip, 10 MB on paid plans; ' +
      'a larger script also starts slower. `scripts/check-worker-size.sh` fails when Portcullis\'s gzip figure ' +
      'exceeds `budgets/worker-gzip-bytes` (everything compiled in) or, for the six-plugin build, ' +
      '`budgets/worker-same-as-better-auth-gzip-bytes`. Both Portcullis builds have social sign-on (24 providers and ' +
      'generic OIDC) and KV sessions; "everything" adds the static-site gate. The six plugins: twoFactor, username, ' +
      'magicLink, emailOTP, bearer, jwt (`bench/ba-worker/src/plugins.mjs` on Better Auth\'s side).');
    p();
    p(table(['Worker', 'raw KiB', 'gzip KiB', 'files, gzip -9 KiB'], sizes.map((r) => [
      label[r.server] ?? r.server,
      fmt(r.raw_kib, 2), fmt(r.gzip_kib, 2), fmt(r.files_gzip9_bytes / 1024, 2)])));
    if (pcPlugins && baPlugins) {
      p();
      p(`With the same six plugins, Portcullis / Better Auth: raw ${fmtRatio(pcPlugins.raw_kib / baPlugins.raw_kib)}, gzip ${fmtRatio(pcPlugins.gzip_kib / baPlugins.gzip_kib)}.`);
    }
    if (pc && ba) {
      p();
      p(`Everything compiled in / Better Auth with email and password only: raw ${fmtRatio(pc.raw_kib / ba.raw_kib)}, gzip ${fmtRatio(pc.gzip_kib / ba.gzip_kib)}.`);
    }
    p();
  });
}

// Round trips.
const trips = rows.filter((r) => r.kind === 'roundtrip');
if (trips.length) {
  const BUDGET = {
    'sign-up/email': '1 write batch (+1 read)', 'sign-in/email': '≤ 2', 'get-session (cookie cache)': '0',
    'get-session (database)': '1',
  };
  const fits = (name, t) => {
    const n = t.queries + t.batches;
    switch (name) {
      case 'sign-up/email': return t.batches === 1 && t.queries <= 1;
      case 'sign-in/email': return n <= 2;
      case 'get-session (cookie cache)': return n === 0;
      case 'get-session (database)': return n === 1;
      default: return null;
    }
  };
  const names = [...new Set(trips.map((t) => t.endpoint))];
  sections.push(() => {
    p('## Database round trips per request');
    p();
    p('Counted at the driver, in process: Portcullis through `CountingSql` (`examples/bench_roundtrips.rs`, a query and a ' +
      'batch are one round trip each; a batch is one transaction), Better Auth by counting the statements its Kysely driver ' +
      'prepares on better-sqlite3 (`bench/ba-roundtrips.mjs`, same options). On D1 Better Auth has no transactions ' +
      '(its D1 dialect refuses them) and sends each statement on its own, so each is a round trip there. ' +
      'The budgets are DESIGN.md\'s; they are enforced as tests in `tests/sessions.rs` (`cargo test`), not by this report.');
    p();
    p(table(['request', 'status', 'Portcullis queries + batches', 'budget (DESIGN.md)', 'within', 'Better Auth statements'],
      names.map((name) => {
        const t = trips.find((x) => x.impl === 'portcullis' && x.endpoint === name);
        const b = trips.find((x) => x.impl === 'better-auth' && x.endpoint === name);
        const ok = t ? fits(name, t) : null;
        return [name, t ? String(t.status) : (b ? String(b.status) : '—'), t ? `${t.queries} + ${t.batches}` : '—',
          BUDGET[name] ?? '—', ok === null ? '' : ok ? 'yes' : '**no**',
          b ? `${b.statements}${b.control ? ` (${b.control} BEGIN/COMMIT)` : ''}` : '—'];
      })));
    p();
  });
}

// ------------------------------------------------------------------------------------------------
const doc = [];
const d = (s = '') => doc.push(s);
d('# Benchmarks: Portcullis and Better Auth 1.7.25, side by side');
d();
d('Written by `bench/run.sh` (rerun it to refresh every figure here; `bench/report.mjs` rebuilds this file from ' +
  '`bench/results.jsonl`). Both servers run on the same machine with the same options, one after the other, ' +
  'under the same load generator.');
d();
d('## Machine and method');
d();
d(`- ${machine.cpus ?? '?'} CPUs (${machine.cpu_model ?? '?'}), ${machine.mem_gib ?? '?'} GiB, Linux ${machine.kernel ?? '?'}; ` +
  `Node ${machine.node ?? '?'}, rustc ${versions.rustc ?? '?'}, wrk ${versions.wrk ?? '?'}, wrangler ${versions.wrangler ?? '?'} (Miniflare/workerd from it).`);
for (const r of runs.filter((x) => x.parts.length)) {
  d(`- Run of ${r.machine.date ?? '?'} (${r.parts.join(', ')}): load average ${r.machine.load_start ?? '?'} at the start, ` +
    `${r.end.load_end ?? '?'} at the end; it took ${r.end.seconds ?? '?'} s` +
    (r.end.samples ? `; a compiler (rustc/cargo) was running in ${r.end.compiler_busy_samples} of its ${r.end.samples} 5-second samples.` : '.'));
}
{
  const m = settingsFor('native');
  d(`- **${machine.cpus ?? 2} cores shared by the server and the load generator**, on a virtual machine that other work may share: ` +
    'absolute figures are lower bounds and move between runs; compare the ratios, and rerun before trusting a difference of less than ~20%. ' +
    `Load is modest for that reason (${m.connections} connections, ${m.threads} wrk threads, ${m.duration_s} s runs); ` +
    `every figure is the median of ${m.rounds} rounds, and the servers alternate within each round (A B A B …) so drift hits both.`);
}
d('- Only 127.0.0.1 is loaded; each load is bounded in time, and the Worker loads in request count too.');
d('- Better Auth: the reference deployment in `../shared/better-auth/reference` (better-auth 1.7.25 on Node, better-sqlite3, ' +
  '`node:http` + `toNodeHandler`), `NODE_ENV` unset, ' +
  (settingsFor('native').ba_config === 'reference'
    ? 'with the reference\'s own `auth.mjs` (plugins and social providers loaded, `RATE_LIMIT` default).'
    : 'configured by `bench/ba-auth.mjs`: email and password, cookie cache on (300 s), rate limiting off, telemetry off — ' +
      'what Portcullis has, without the reference\'s plugins (`BENCH_BA_CONFIG=reference` runs its own `auth.mjs`).'));
d('- Portcullis: `target/release/portcullis` (one thread per core, SQLite in WAL mode, hashing on a fixed pool of one thread per core), ' +
  'cookie cache on (300 s, its default), rate limiting off (the default for an `http` base URL), the same secret. ' +
  '**`password.algorithm: "scrypt"` is the apples-to-apples row**: the same scrypt parameters and hash format as Better Auth. ' +
  'The argon2id rows are Portcullis\'s default (OWASP\'s minimum Argon2id); they cost a different amount of work per hash and are not a like-for-like comparison.');
d('- The bare-HMAC floor (`examples/bare_hmac.rs`): hyper served the way the native host serves (a current-thread runtime per core), ' +
  'checking the `session_token` cookie\'s HMAC-SHA256 and answering a fixed 14-byte body. A cached get-session also verifies ' +
  'the `session_data` HMAC over ~700 bytes of JSON, decodes it and writes a ~500-byte body, so the floor is not reachable, only approachable.');
d();
if (headline.length) {
  d('## Headline');
  d();
  for (const h of headline) d(`- ${h}`);
  d();
}
for (const s of sections) s();
doc.push(...out);
d('## Budgets that are tests');
d();
d('- Database round trips per endpoint: `tests/sessions.rs` (`cargo test`) asserts DESIGN.md\'s budget — get-session from the cookie ' +
  'cache 0, from the database 1, sign-in at most 2, sign-up 1 read + 1 write batch.');
d('- Worker size: `scripts/check-worker-size.sh` (run by `scripts/test.sh` after the Worker suite) fails when the gzip size of the Worker ' +
  'upload, as `wrangler deploy --dry-run` reports it, exceeds the number of bytes in `budgets/worker-gzip-bytes` (everything compiled in), ' +
  'and, for the build with the six plugins only, `budgets/worker-same-as-better-auth-gzip-bytes` (each set about 2% above the size when it was written).');
d('- The other figures here are measurements, not tests: they depend on the machine.');
d();
d('## Rerun');
d();
d('```sh');
d('bench/run.sh                   # everything, ~11 min on 2 cores; prints the tables, writes BENCHMARKS.md');
d('bench/run.sh --quick           # 1 round of 2 s runs: checks the machinery, writes bench/out/BENCHMARKS.quick.md');
d('BENCH_PARTS=native bench/run.sh                      # parts: native, workerd, size, hash, roundtrips');
d('BENCH_ROUNDS=5 BENCH_DURATION=10 bench/run.sh         # longer; see the header of bench/run.sh for every knob');
d('node bench/report.mjs bench/results.jsonl BENCHMARKS.md   # rebuild this file from the raw results');
d('scripts/check-worker-size.sh   # the size budget alone');
d('```');
d();
d('It installs what is missing: wrk (apt), the Better Auth reference\'s node_modules (cached in `tests/client/.reference/`, ' +
  'shared with `scripts/interop.sh`), better-auth for the JS Worker (`bench/ba-worker`, npm), and builds Portcullis (release, ' +
  'the examples it needs, and the Worker with `scripts/build-worker.sh`; `SKIP_BUILD=1` reuses what is built). ' +
  'Run it on an otherwise idle machine: it warns when a cargo/rustc build is running.');
d();
const notes = path.join(path.dirname(new URL(import.meta.url).pathname), 'notes.md');
if (fs.existsSync(notes)) {
  d(fs.readFileSync(notes, 'utf8').trimEnd());
  d();
}

const text = doc.join('\n');
process.stdout.write([...out, ''].join('\n'));
if (headline.length) process.stdout.write(`Headline:\n${headline.map((h) => `  - ${h}`).join('\n')}\n`);
if (outFile) fs.writeFileSync(outFile, text);
