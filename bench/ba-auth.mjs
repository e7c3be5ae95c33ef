// Better Auth 1.7.25 as bench/run.sh runs it natively: the reference deployment
// (../shared/better-auth/reference: server.mjs on node:http + better-sqlite3) with the options
// Portcullis has, so both servers do the same work:
//   email and password on, cookie cache on (300 s), rate limiting off, telemetry off, the same secret.
// The reference's own auth.mjs also loads plugins (two-factor, username, magic link, email OTP, bearer)
// and two social providers that Portcullis does not have yet; BENCH_BA_CONFIG=reference runs it instead.
// Env: BA_DB (SQLite file), PORT / BETTER_AUTH_URL (base URL), as the reference reads them.
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';

export const auth = betterAuth({
  database: new Database(process.env.BA_DB || 'bench.db'),
  secret: 'Qm9vN3pXc2lGd2tKcFh2R2tLc0xyT2VhWnNWYmRqTnU4',
  baseURL: process.env.BETTER_AUTH_URL || `http://127.0.0.1:${process.env.PORT || 3100}`,
  telemetry: { enabled: false },
  emailAndPassword: { enabled: true, requireEmailVerification: false },
  session: { cookieCache: { enabled: true, maxAge: 300 } },
  rateLimit: { enabled: false },
});
