// A fake OAuth 2.0 / OpenID Connect identity provider for tests, speaking the real protocol on
// 127.0.0.1 with node:http and no dependencies. One process plays GitHub, Google, Discord, Apple and
// a generic OIDC provider: the server under test points each provider's endpoints here.
//
//   node tests/client/fake-idp.mjs [PORT]        (PORT 0 or unset: any free port)
//
// Prints `fake-idp: http://127.0.0.1:<port>` once it listens. Ends on SIGTERM/SIGINT.
//
// Protocol (what a browser and the server under test see):
//   GET  /authorize       RFC 6749 §4.1.1. The "user" is chosen by the test, as a person would pick an
//                         account: `as=<JSON profile>` ({id, email, name, email_verified, hide_email,
//                         avatar, discriminator, picture}); `deny=1` answers error=access_denied.
//                         302 to redirect_uri?code&state, or with response_mode=form_post (Apple) a
//                         200 HTML page with an auto-submitting form (code, state, user, id_token).
//   POST /token           authorization_code (PKCE S256 checked: a code issued with a challenge needs the
//                         verifier; one issued without refuses one) and refresh_token grants. Client
//                         authentication: client_secret_post or client_secret_basic, the secret must be
//                         `secret-<client_id>`. Codes are single use. An id_token (RS256) is returned
//                         when the scope has `openid` or the client is Google/Apple-like (`aud` = client_id).
//   GET  /user, /user/emails        GitHub's API shape (Bearer token)
//   GET  /users/@me                 Discord's
//   GET  /userinfo                  OIDC
//   GET  /jwks                      RS256 and ES256 public keys (kid `rs1`, `es1`)
//   GET  /.well-known/openid-configuration
//   POST /mint            test helper: JSON {claims, alg: RS256|ES256, kid?, tamper?} → {token}: an id
//                         token signed with this IdP's keys (`tamper` flips a signature byte).
//   GET  /log             test helper: every token request seen, as JSON.

import crypto from 'node:crypto';
import http from 'node:http';

const port = Number(process.argv[2] ?? process.env.FAKE_IDP_PORT ?? 0);
let BASE = '';

const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = (key, kid, alg) => ({ ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' });
const JWKS = { keys: [jwk(rsa.publicKey, 'rs1', 'RS256'), jwk(ec.publicKey, 'es1', 'ES256')] };

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** A compact JWS over `claims`. */
function sign(claims, alg = 'RS256', kid, tamper = false) {
  const header = { alg, typ: 'JWT', kid: kid ?? (alg === 'ES256' ? 'es1' : 'rs1') };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig =
    alg === 'ES256'
      ? crypto.sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })
      : crypto.sign('sha256', Buffer.from(input), rsa.privateKey);
  if (tamper) sig[sig.length - 1] ^= 1;
  return `${input}.${b64url(sig)}`;
}

const codes = new Map(); // code -> grant
const tokens = new Map(); // access token -> profile
const refreshTokens = new Map(); // refresh token -> { profile, clientId, scope }
const tokenLog = [];

const random = () => crypto.randomBytes(24).toString('base64url');

function profileFrom(param) {
  let p = {};
  try {
    p = JSON.parse(param || '{}');
  } catch {
    p = {};
  }
  const id = String(p.id ?? crypto.randomInt(1, 2 ** 31));
  return {
    id,
    email: p.email ?? `user-${id}@idp.example`,
    name: p.name ?? `User ${id}`,
    email_verified: p.email_verified ?? true,
    hide_email: !!p.hide_email,
    avatar: p.avatar ?? null,
    discriminator: p.discriminator ?? '0',
    picture: p.picture ?? `${BASE}/avatar/${id}.png`,
    hd: p.hd,
  };
}

function idToken(profile, clientId, nonce) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: BASE,
    aud: clientId,
    sub: profile.id,
    email: profile.email,
    email_verified: profile.email_verified,
    // Apple never puts the name in its id tokens: it comes once, in the form_post `user` field.
    ...(/apple/.test(clientId) ? {} : { name: profile.name, picture: profile.picture }),
    iat: now,
    exp: now + 3600,
  };
  if (profile.hd) claims.hd = profile.hd;
  if (nonce) claims.nonce = nonce;
  return sign(claims);
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json',
    ...headers,
  });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function bearer(req) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
  return m ? tokens.get(m[1]) : undefined;
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function authorize(url, res) {
  const q = url.searchParams;
  const redirectUri = q.get('redirect_uri');
  const state = q.get('state');
  if (!redirectUri || q.get('response_type')?.split(' ')[0] !== 'code' || !q.get('client_id')) {
    return send(res, 400, { error: 'invalid_request' });
  }
  const method = q.get('code_challenge_method');
  if (q.get('code_challenge') && method !== 'S256') return send(res, 400, { error: 'invalid_request', error_description: 'S256 only' });
  const target = new URL(redirectUri);
  const params = {};
  if (q.get('deny')) {
    params.error = 'access_denied';
    params.error_description = 'The user denied the request';
  } else {
    const code = random();
    const profile = profileFrom(q.get('as'));
    codes.set(code, {
      clientId: q.get('client_id'),
      redirectUri,
      challenge: q.get('code_challenge'),
      scope: q.get('scope') || '',
      nonce: q.get('nonce'),
      profile,
    });
    params.code = code;
    if (q.get('response_type').includes('id_token')) params.id_token = idToken(profile, q.get('client_id'), q.get('nonce'));
    if (q.get('response_mode') === 'form_post' && q.get('first_time')) {
      const [firstName, ...rest] = profile.name.split(' ');
      params.user = JSON.stringify({ name: { firstName, lastName: rest.join(' ') }, email: profile.email });
    }
  }
  if (state !== null) params.state = state;
  if (q.get('response_mode') === 'form_post') {
    const inputs = Object.entries(params)
      .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`)
      .join('');
    return send(
      res,
      200,
      `<!doctype html><form method="post" action="${escape(redirectUri)}">${inputs}</form><script>document.forms[0].submit()</script>`,
    );
  }
  for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
  res.writeHead(302, { location: target.href }).end();
}

function clientAuth(req, form) {
  let clientId = form.get('client_id');
  let secret = form.get('client_secret');
  const basic = /^Basic (.+)$/.exec(req.headers.authorization || '');
  if (basic) {
    const [id, s] = Buffer.from(basic[1], 'base64').toString('utf8').split(':').map(decodeURIComponent);
    clientId = id;
    secret = s;
  }
  return clientId && secret === `secret-${clientId}` ? clientId : undefined;
}

function issue(profile, clientId, scope, nonce) {
  const access = random();
  const refresh = random();
  tokens.set(access, profile);
  refreshTokens.set(refresh, { profile, clientId, scope });
  const body = { access_token: access, token_type: 'bearer', expires_in: 3600, refresh_token: refresh, scope };
  if (scope.split(/[ ,]/).includes('openid') || /google|apple/.test(clientId)) body.id_token = idToken(profile, clientId, nonce);
  return body;
}

async function token(req, res) {
  const form = new URLSearchParams(await readBody(req));
  tokenLog.push({ ...Object.fromEntries(form), authorization: req.headers.authorization ?? null });
  const clientId = clientAuth(req, form);
  if (!clientId) return send(res, 401, { error: 'invalid_client' });
  if (form.get('grant_type') === 'refresh_token') {
    const grant = refreshTokens.get(form.get('refresh_token'));
    if (!grant || grant.clientId !== clientId) return send(res, 400, { error: 'invalid_grant' });
    refreshTokens.delete(form.get('refresh_token'));
    return send(res, 200, issue(grant.profile, clientId, grant.scope));
  }
  if (form.get('grant_type') !== 'authorization_code') return send(res, 400, { error: 'unsupported_grant_type' });
  const grant = codes.get(form.get('code'));
  codes.delete(form.get('code'));
  if (!grant || grant.clientId !== clientId || grant.redirectUri !== form.get('redirect_uri')) {
    // GitHub answers errors with 200 and an `error` member; others with 400.
    return send(res, clientId.includes('github') ? 200 : 400, { error: 'bad_verification_code' });
  }
  const verifier = form.get('code_verifier');
  if (grant.challenge) {
    const expected = crypto.createHash('sha256').update(verifier ?? '').digest('base64url');
    if (!verifier || expected !== grant.challenge) return send(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
  } else if (verifier) {
    return send(res, 400, { error: 'invalid_request', error_description: 'code_verifier without a challenge' });
  }
  send(res, 200, issue(grant.profile, clientId, grant.scope, grant.nonce));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, BASE);
  try {
    if (req.method === 'GET' && url.pathname === '/authorize') return authorize(url, res);
    if (req.method === 'POST' && url.pathname === '/token') return await token(req, res);
    if (req.method === 'GET' && url.pathname === '/jwks') return send(res, 200, JWKS);
    if (req.method === 'GET' && url.pathname === '/log') return send(res, 200, tokenLog);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer: BASE,
        authorization_endpoint: `${BASE}/authorize`,
        token_endpoint: `${BASE}/token`,
        userinfo_endpoint: `${BASE}/userinfo`,
        jwks_uri: `${BASE}/jwks`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      });
    }
    if (req.method === 'POST' && url.pathname === '/mint') {
      const { claims, alg, kid, tamper } = JSON.parse(await readBody(req));
      return send(res, 200, { token: sign(claims, alg, kid, tamper) });
    }
    if (req.method === 'GET' && ['/user', '/user/emails', '/users/@me', '/userinfo'].includes(url.pathname)) {
      const p = bearer(req);
      if (!p) return send(res, 401, { message: 'Bad credentials' });
      switch (url.pathname) {
        case '/user':
          return send(res, 200, {
            login: p.name.toLowerCase().replace(/\W+/g, '-'),
            id: Number(p.id),
            avatar_url: p.picture,
            name: p.name,
            email: p.hide_email ? null : p.email,
          });
        case '/user/emails':
          return send(res, 200, [
            { email: `old-${p.id}@idp.example`, primary: false, verified: true, visibility: null },
            { email: p.email, primary: true, verified: p.email_verified, visibility: 'private' },
          ]);
        case '/users/@me':
          return send(res, 200, {
            id: p.id,
            username: p.name.toLowerCase().replace(/\W+/g, ''),
            global_name: p.name,
            avatar: p.avatar,
            discriminator: p.discriminator,
            email: p.email,
            verified: p.email_verified,
          });
        default:
          return send(res, 200, { sub: p.id, name: p.name, email: p.email, email_verified: p.email_verified, picture: p.picture });
      }
    }
    send(res, 404, { error: 'not_found' });
  } catch (e) {
    send(res, 500, { error: 'server_error', error_description: String(e) });
  }
});

server.listen(port, '127.0.0.1', () => {
  BASE = `http://127.0.0.1:${server.address().port}`;
  console.log(`fake-idp: ${BASE}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
