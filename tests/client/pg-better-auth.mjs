// Better Auth 1.7.25 itself on PostgreSQL, for scripts/postgres-interop.sh (not a test file):
//   node pg-better-auth.mjs migrate           Better Auth's own migration (core tables, rateLimit)
//   node pg-better-auth.mjs sign-up <email>   signs a user up (password "password123")
//   node pg-better-auth.mjs session <cookie>  prints the user's email of the session in <cookie>, or null
// Env: PG_URL (the database), SECRET (BETTER_AUTH_SECRET, shared with Portcullis), BASE_URL.
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.PG_URL });
const auth = betterAuth({
  database: pool,
  baseURL: process.env.BASE_URL || 'http://127.0.0.1:3000',
  secret: process.env.SECRET,
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false, storage: 'database' },
  logger: { disabled: true },
});
const [command, arg] = process.argv.slice(2);
try {
  if (command === 'migrate') {
    const { runMigrations } = await getMigrations(auth.options);
    await runMigrations();
    console.log('migrated');
  } else if (command === 'sign-up') {
    const r = await auth.api.signUpEmail({ body: { email: arg, password: 'password123', name: 'Better Auth user' } });
    console.log(r.user.email);
  } else if (command === 'session') {
    const s = await auth.api.getSession({ headers: new Headers({ cookie: arg }) });
    console.log(s?.user?.email ?? 'null');
  } else {
    throw new Error(`unknown command ${command}`);
  }
} finally {
  await pool.end();
}
