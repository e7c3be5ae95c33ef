// Serves a bundled Worker (the output of `wrangler deploy --dry-run --outdir DIR`) in workerd through
// Miniflare's API, with no inspector and no wrangler dev proxy in front: what bench/run.sh measures.
// A fresh in-memory D1 database `DB` gets the SQL files of --migrations (one statement per line),
// and an in-memory KV namespace `KV` is bound too.
//
//   node bench/workerd-serve.mjs --dir DIR --main shim.js --port 8790 \
//        [--vars '{"BETTER_AUTH_SECRET":"..."}'] [--flags nodejs_compat] [--migrations migrations]
//
// Prints "workerd-serve: ready <url>" once it answers; stops workerd on SIGTERM / SIGINT.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    main: { type: 'string' },
    port: { type: 'string' },
    vars: { type: 'string', default: '{}' },
    flags: { type: 'string', default: '' },
    'compatibility-date': { type: 'string', default: '2026-04-01' },
    migrations: { type: 'string', default: path.join(root, 'migrations') },
  },
});
if (!args.dir || !args.main || !args.port) {
  console.error('usage: workerd-serve.mjs --dir DIR --main FILE --port PORT [--vars JSON] [--flags a,b] [--migrations DIR]');
  process.exit(2);
}

// Miniflare is wrangler's own dependency, installed in tests/client.
const require = createRequire(path.join(root, 'tests/client/package.json'));
const { Miniflare } = await import(pathToFileURL(require.resolve('miniflare')).href);

const dir = path.resolve(args.dir);
const mf = new Miniflare({
  host: '127.0.0.1',
  port: Number(args.port),
  // Every module listed up front, the entry first: Miniflare cannot follow the dynamic import()s
  // that better-auth's bundle keeps (for optional drivers).
  modulesRoot: dir,
  modules: [args.main, ...fs.readdirSync(dir).filter((f) => f !== args.main)]
    .filter((f) => /\.(m?js|wasm)$/.test(f))
    .map((f) => ({ type: f.endsWith('.wasm') ? 'CompiledWasm' : 'ESModule', path: path.join(dir, f) })),
  compatibilityDate: args['compatibility-date'],
  compatibilityFlags: args.flags ? args.flags.split(',') : [],
  d1Databases: { DB: 'bench-db' },
  d1Persist: false,
  kvNamespaces: { KV: 'bench-kv' },
  kvPersist: false,
  bindings: JSON.parse(args.vars),
});

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await mf.dispose();
  } finally {
    process.exit(code);
  }
}
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));

try {
  const url = await mf.ready;
  const db = await mf.getD1Database('DB');
  const files = fs.readdirSync(args.migrations).filter((f) => f.endsWith('.sql')).sort();
  for (const file of files) {
    const statements = fs
      .readFileSync(path.join(args.migrations, file), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('--'));
    if (statements.length) await db.batch(statements.map((s) => db.prepare(s)));
  }
  console.log(`workerd-serve: ready ${url.href.replace(/\/$/, '')} (${files.length} migration files)`);
} catch (error) {
  console.error('workerd-serve: failed to start:', error);
  await stop(1);
}
