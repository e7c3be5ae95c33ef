// Better Auth 1.7.25 on Cloudflare Workers with D1: the JS counterpart of Portcullis's Worker in
// bench/run.sh. One auth instance per isolate, built on the first request (the bindings arrive with it).
// Vars: BETTER_AUTH_SECRET, BETTER_AUTH_URL. Binding: DB (D1).
import { betterAuth } from 'better-auth';

let auth;

function authFor(env) {
  auth ??= betterAuth({
    database: env.DB,
    secret: env.BETTER_AUTH_SECRET,
    baseURL: env.BETTER_AUTH_URL,
    telemetry: { enabled: false },
    emailAndPassword: { enabled: true, requireEmailVerification: false },
    session: { cookieCache: { enabled: true, maxAge: 300 } },
    rateLimit: { enabled: false },
  });
  return auth;
}

export default {
  fetch(request, env) {
    return authFor(env).handler(request);
  },
};
