// The jwt plugin through the official client and jwtClient (better-auth/client/plugins, 1.7.25): `/token`,
// `/jwks` and the `set-auth-jwt` header on get-session, each token verified here by an independent JOSE
// implementation (jose, with the server's own /jwks as a remote key set), plus a forged token refused.
//
// The Better Auth reference deployment has no jwt plugin, so this file skips itself there (REFERENCE=1);
// scripts/client-suite.sh turns the plugin on for Portcullis. JWT_ALG names the key type the server was
// configured with (EdDSA, the default, or ES256; scripts/test.sh runs this file once more with ES256).
//
//   scripts/client-suite.sh native|worker jwt.test.mjs

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { jwtClient } from 'better-auth/client/plugins';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { API, BASE_URL, PASSWORD, makeClient, uniqueEmail } from './helpers.mjs';

const skip = process.env.REFERENCE ? 'the reference deployment has no jwt plugin' : false;
const ALG = process.env.JWT_ALG || 'EdDSA';
const CURVE = { EdDSA: 'Ed25519', ES256: 'P-256' }[ALG];
const keySet = createRemoteJWKSet(new URL(`${API}/jwks`));
const verify = (token) => jwtVerify(token, keySet, { issuer: BASE_URL, audience: BASE_URL });

describe('jwt (jwtClient)', { skip }, () => {
  test(`/token is an ${ALG} JWT for the signed-in user that verifies against /jwks`, async () => {
    const c = makeClient({ plugins: [jwtClient()] });
    const email = uniqueEmail('jwt');
    const up = await c.client.signUp.email({ email, password: PASSWORD, name: 'Jay' });
    const { data, error } = await c.client.token();
    assert.equal(error, null, JSON.stringify(error));
    const header = decodeProtectedHeader(data.token);
    assert.equal(header.alg, ALG);
    const jwks = await c.client.jwks();
    assert.ok(jwks.data.keys.some((k) => k.kid === header.kid && k.alg === ALG && k.crv === CURVE));
    const { payload } = await verify(data.token);
    assert.equal(payload.sub, up.data.user.id);
    assert.equal(payload.email, email);
    assert.equal(payload.exp - payload.iat, 900);
  });

  test('get-session carries set-auth-jwt; a forged token is refused', async () => {
    let jwt = null;
    const c = makeClient({
      plugins: [jwtClient()],
      fetchOptions: {
        onSuccess: (ctx) => {
          jwt = ctx.response.headers.get('set-auth-jwt') ?? jwt;
        },
      },
    });
    const email = uniqueEmail('jwt');
    await c.client.signUp.email({ email, password: PASSWORD, name: 'Kay' });
    await c.client.getSession();
    assert.ok(jwt, 'set-auth-jwt header');
    const { payload } = await verify(jwt);
    assert.equal(payload.email, email);
    const [h, p, s] = jwt.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.email = 'root@example.com';
    const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
    await assert.rejects(verify(forged), /signature verification failed/);
  });

  test('/token without a session is 401', async () => {
    const { error } = await makeClient({ plugins: [jwtClient()] }).client.token();
    assert.equal(error.status, 401);
  });
});
