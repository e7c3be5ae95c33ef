// SQL statements per endpoint for Better Auth 1.7.25 (the options of ba-auth.mjs, in process, on an
// in-memory better-sqlite3 database), counted at the driver: every statement Kysely prepares.
// better-sqlite3 is in process, so these are not network round trips; on D1 (no interactive
// transactions: Better Auth runs each statement on its own) every one of them would be.
// Run from a directory whose node_modules has better-auth and better-sqlite3 (bench/run.sh runs it
// in the reference copy). Prints tab-separated lines: `name  status  statements  of_which_transaction_control`.
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';

const db = new Database(':memory:');
let statements = 0;
let control = 0;
const prepare = db.prepare.bind(db);
db.prepare = (sql) => {
  statements++;
  if (/^\s*(begin|commit|rollback|savepoint|release)\b/i.test(sql)) control++;
  return prepare(sql);
};
const base = 'http://127.0.0.1:3100';
const auth = betterAuth({
  database: db,
  secret: 'Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4',
  baseURL: base,
  telemetry: { enabled: false },
  emailAndPassword: { enabled: true, requireEmailVerification: false },
  session: { cookieCache: { enabled: true, maxAge: 300 } },
  rateLimit: { enabled: false },
  logger: { disabled: true },
});
await (await getMigrations(auth.options)).runMigrations();

let jar = new Map();
function cookieHeader() {
  return [...jar].map(([n, v]) => `${n}=${v}`).join('; ');
}
async function call(method, path, body, { cookies = true } = {}) {
  const headers = { origin: base };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (cookies && jar.size) headers.cookie = cookieHeader();
  statements = 0;
  control = 0;
  const res = await auth.handler(new Request(`${base}/api/auth${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  }));
  await res.arrayBuffer();
  const counted = [statements, control];
  if (cookies) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const [n, v] = [pair.slice(0, i), pair.slice(i + 1)];
      if (v) jar.set(n, v); else jar.delete(n);
    }
  }
  return [res.status, ...counted];
}

const rows = [];
const email = 'roundtrips@example.com';
rows.push(['sign-up/email', ...(await call('POST', '/sign-up/email', { name: 'Test', email, password: 'password123' }))]);
jar = new Map();
rows.push(['sign-in/email', ...(await call('POST', '/sign-in/email', { email, password: 'password123' }))]);
rows.push(['sign-in/email (wrong password)', ...(await call('POST', '/sign-in/email', { email, password: 'wrong-password-1' }, { cookies: false }))]);
rows.push(['sign-in/email (unknown email)', ...(await call('POST', '/sign-in/email', { email: 'nobody@example.com', password: 'password123' }, { cookies: false }))]);
rows.push(['get-session (cookie cache)', ...(await call('GET', '/get-session'))]);
rows.push(['get-session (database)', ...(await call('GET', '/get-session?disableCookieCache=true'))]);
rows.push(['list-sessions', ...(await call('GET', '/list-sessions'))]);
rows.push(['update-user', ...(await call('POST', '/update-user', { name: 'Renamed' }))]);
rows.push(['change-password', ...(await call('POST', '/change-password', { currentPassword: 'password123', newPassword: 'password456' }))]);
rows.push(['sign-out', ...(await call('POST', '/sign-out', {}))]);
for (const r of rows) console.log(r.join('\t'));
