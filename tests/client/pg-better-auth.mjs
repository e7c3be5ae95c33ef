// Better Auth 1.7.25 itself on PostgreSQL, with the twoFactor, username and jwt plugins, for
// scripts/postgres-interop.sh (not a test file):
//   node pg-better-auth.mjs migrate            Better Auth's own migration (core tables, rateLimit, the plugins')
//   node pg-better-auth.mjs migrate-core       the same without the plugins (to add them later, as an upgrade does)
//   node pg-better-auth.mjs sign-up <email>    signs a user up (password "password123")
//   node pg-better-auth.mjs session <cookie>   prints the user's email of the session in <cookie>, or null
//   node pg-better-auth.mjs enrol <email>      signs a user up and turns TOTP on (a first code verified); prints
//                                              the enrolment URI
//   node pg-better-auth.mjs totp <uri>         prints the current code of an enrolment URI
//   node pg-better-auth.mjs complete-2fa <email> <uri>
//                                              signs in with the password, answers the challenge with the current
//                                              code; prints the signed-in user's email
// Env: PG_URL (the database), SECRET (BETTER_AUTH_SECRET, shared with Portcullis), BASE_URL.
import { createHmac } from 'node:crypto';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { jwt, twoFactor, username } from 'better-auth/plugins';
import pg from 'pg';

const PASSWORD = 'password123';
const [command, ...args] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: process.env.PG_URL });
const auth = betterAuth({
  database: pool,
  baseURL: process.env.BASE_URL || 'http://127.0.0.1:3000',
  secret: process.env.SECRET,
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false, storage: 'database' },
  logger: { disabled: true },
  // Portcullis' schema order (twoFactor, username, jwt), which its migrations follow.
  plugins: command === 'migrate-core' ? [] : [twoFactor(), username(), jwt()],
});

/** RFC 6238 with Better Auth's defaults (SHA-1, 6 digits, 30 s), from the URI's base32 secret. */
function totp(uri) {
  const secret = new URL(uri).searchParams.get('secret');
  let bits = '';
  for (const c of secret) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, '0');
}

/** The Cookie header a Response's Set-Cookie headers make. */
function cookieHeader(response) {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .filter((pair) => !pair.endsWith('='))
    .join('; ');
}

async function signIn(email) {
  const response = await auth.api.signInEmail({ body: { email, password: PASSWORD }, asResponse: true });
  if (!response.ok) throw new Error(`sign-in: ${response.status} ${await response.text()}`);
  return { body: await response.json(), cookie: cookieHeader(response) };
}

try {
  if (command === 'migrate' || command === 'migrate-core') {
    const { runMigrations } = await getMigrations(auth.options);
    await runMigrations();
    console.log('migrated');
  } else if (command === 'sign-up') {
    const r = await auth.api.signUpEmail({ body: { email: args[0], password: PASSWORD, name: 'Better Auth user' } });
    console.log(r.user.email);
  } else if (command === 'session') {
    const s = await auth.api.getSession({ headers: new Headers({ cookie: args[0] }) });
    console.log(s?.user?.email ?? 'null');
  } else if (command === 'enrol') {
    await auth.api.signUpEmail({ body: { email: args[0], password: PASSWORD, name: 'Better Auth user' } });
    const { cookie } = await signIn(args[0]);
    const headers = new Headers({ cookie });
    const { totpURI } = await auth.api.enableTwoFactor({ body: { password: PASSWORD }, headers });
    await auth.api.verifyTOTP({ body: { code: totp(totpURI) }, headers });
    console.log(totpURI);
  } else if (command === 'totp') {
    console.log(totp(args[0]));
  } else if (command === 'complete-2fa') {
    const challenge = await signIn(args[0]);
    if (!challenge.body.twoFactorRedirect) throw new Error(`no challenge: ${JSON.stringify(challenge.body)}`);
    const r = await auth.api.verifyTOTP({
      body: { code: totp(args[1]) },
      headers: new Headers({ cookie: challenge.cookie }),
      asResponse: true,
    });
    if (!r.ok) throw new Error(`verify-totp: ${r.status} ${await r.text()}`);
    console.log((await r.json()).user.email);
  } else {
    throw new Error(`unknown command ${command}`);
  }
} finally {
  await pool.end();
}
