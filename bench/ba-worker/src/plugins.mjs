// Better Auth 1.7.25 as a Worker with what Portcullis compiles in: email and password, two social
// providers (every built-in provider is bundled by better-auth anyway), and the six plugins
// Portcullis ships (twoFactor, username, magicLink, emailOTP, bearer, jwt). For the upload size only
// (budgets/worker-gzip-bytes):
//   ../../tests/client/node_modules/.bin/wrangler deploy src/plugins.mjs --dry-run --outdir out-plugins
import { betterAuth } from 'better-auth';
import { bearer, emailOTP, jwt, magicLink, twoFactor, username } from 'better-auth/plugins';

let auth;

function authFor(env) {
  auth ??= betterAuth({
    database: env.DB,
    secret: env.BETTER_AUTH_SECRET,
    baseURL: env.BETTER_AUTH_URL,
    telemetry: { enabled: false },
    emailAndPassword: { enabled: true },
    session: { cookieCache: { enabled: true, maxAge: 300 } },
    socialProviders: {
      github: { clientId: 'x', clientSecret: 'y' },
      google: { clientId: 'x', clientSecret: 'y' },
    },
    plugins: [
      twoFactor(),
      username(),
      magicLink({ sendMagicLink: async () => {} }),
      emailOTP({ sendVerificationOTP: async () => {} }),
      bearer(),
      jwt(),
    ],
  });
  return auth;
}

export default {
  fetch(request, env) {
    return authFor(env).handler(request);
  },
};
