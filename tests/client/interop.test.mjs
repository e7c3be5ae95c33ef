// Live interoperability between the real Better Auth 1.7.25 server and Portcullis, run side by side on ONE
// SQLite file with the same secret (scripts/interop.sh starts both). It proves the promise that a database and
// the session cookies can move between them both ways: password hashes verify across, a session cookie pair
// (session_token + session_data) minted by one is accepted by the other, from the cookie cache and from the
// database, and sign-out / revocation on one ends the session for the other.
//
// Run: BA_URL=http://127.0.0.1:<p1> PC_URL=http://127.0.0.1:<p2> node --test interop.test.mjs
//
// The two servers have different origins (ports) and their cookies are host-only, so nothing is shared by
// itself: the test copies cookie values from one client's jar into a client of the other server, and every
// request carries the Origin of the server it goes to (each trusts only its own, WIRE.md §5).
// Both run the twoFactor and username plugins (Portcullis as scripts/interop.sh configures it), so a two-factor
// enrolment made on one completes a sign-in on the other. Users are compared on core fields only.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient } from 'better-auth/client';

const BA_URL = process.env.BA_URL?.replace(/\/+$/, '');
const PC_URL = process.env.PC_URL?.replace(/\/+$/, '');
if (!BA_URL || !PC_URL) {
  throw new Error('BA_URL and PC_URL must be set (scripts/interop.sh starts both servers and sets them)');
}
// helpers.mjs insists on AUTH_BASE_URL at import; nothing here uses its single-server defaults.
process.env.AUTH_BASE_URL ||= PC_URL;
const {
  CookieJar,
  makeJarFetch,
  PASSWORD,
  SESSION_TOKEN,
  SESSION_DATA,
  DONT_REMEMBER,
  CORE_USER_FIELDS,
  CORE_SESSION_FIELDS,
  totp,
  uniqueEmail,
  unsignCookieValue,
} = await import('./helpers.mjs');

// Field order of get-session answered from the cookie cache (WIRE.md §0): a cache hit is visible on the wire.
const CACHE_SESSION_ORDER = ['id', 'createdAt', 'updatedAt', 'userId', 'expiresAt', 'token', 'ipAddress', 'userAgent'];
// ... and read from the database.
const DB_SESSION_ORDER = ['expiresAt', 'token', 'createdAt', 'updatedAt', 'ipAddress', 'userAgent', 'userId', 'id'];

const SERVERS = { BA: BA_URL, PC: PC_URL };
const NAMES = { BA: 'Better Auth', PC: 'Portcullis' };

/**
 * The official client for one server, with its own cookie jar; non-GET requests carry that server's own
 * origin as Origin. `fetch(path, init)` is a raw jar-aware fetch relative to /api/auth.
 */
function clientFor(server) {
  const base = SERVERS[server];
  const origin = new URL(base).origin;
  const jar = new CookieJar();
  const log = [];
  const jarFetch = makeJarFetch(jar, log);
  const fetchImpl = (input, init = {}) =>
    jarFetch(input, { ...init, origin: init.origin === undefined ? origin : init.origin });
  const client = createAuthClient({ baseURL: base, fetchOptions: { customFetchImpl: fetchImpl } });
  return { server, base, origin, jar, log, client, fetch: (path, init) => fetchImpl(`${base}/api/auth${path}`, init) };
}

/** A client of `server` holding a copy of `from`'s session cookies (what a shared cookie domain would do). */
function carry(from, server) {
  const to = clientFor(server);
  let copied = 0;
  for (const name of [SESSION_TOKEN, SESSION_DATA, DONT_REMEMBER]) {
    if (from.jar.has(name)) {
      to.jar.set(name, from.jar.get(name));
      copied += 1;
    }
  }
  assert.ok(from.jar.has(SESSION_TOKEN) && from.jar.has(SESSION_DATA), `nothing to carry: ${from.jar.names()}`);
  assert.ok(copied >= 2);
  return to;
}

/** Raw GET /get-session through a client's jar: { status, text, body, setCookies (names, in order) }. */
async function getSessionRaw(c, { disableCookieCache = false } = {}) {
  const res = await c.fetch(`/get-session${disableCookieCache ? '?disableCookieCache=true' : ''}`);
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: JSON.parse(text),
    setCookies: c.jar.lastSetCookies.map((x) => x.name),
    describe: `${NAMES[c.server]} GET /get-session${disableCookieCache ? '?disableCookieCache=true' : ''} -> ${res.status} ${text} set-cookie: ${JSON.stringify(c.jar.lastSetCookies.map((x) => x.raw))}`,
  };
}

/** Sign a fresh user up on `server`. Returns the client plus { email, data }. */
async function signUpOn(server, label) {
  const c = clientFor(server);
  const email = uniqueEmail(label);
  const { data, error } = await c.client.signUp.email({ email, password: PASSWORD, name: `Made on ${NAMES[server]}` });
  assert.equal(error, null, `sign-up on ${NAMES[server]} failed: ${JSON.stringify(error)}`);
  assertSessionCookieCarries(c.jar, data.token);
  return { ...c, email, data };
}

/** Sign an existing user in on `server`. */
async function signInOn(server, email) {
  const c = clientFor(server);
  const { data, error } = await c.client.signIn.email({ email, password: PASSWORD });
  assert.equal(error, null, `sign-in on ${NAMES[server]} failed: ${JSON.stringify(error)}`);
  assertSessionCookieCarries(c.jar, data.token);
  return { ...c, data };
}

function pick(object, fields) {
  return Object.fromEntries(fields.map((f) => [f, object[f]]));
}

/** Key order of an object restricted to `fields` (plugin fields dropped). */
function orderOf(object, fields) {
  return Object.keys(object).filter((k) => fields.includes(k));
}

function assertSessionCookieCarries(jar, token) {
  const raw = jar.get(SESSION_TOKEN);
  assert.ok(raw, `${SESSION_TOKEN} cookie expected, jar: ${jar.names()}`);
  const { value, signature } = unsignCookieValue(raw);
  assert.equal(value, token);
  assert.match(signature, /^[A-Za-z0-9+/]{43}=$/);
}

function assertError(error, status, code) {
  assert.ok(error, `expected an error ${status} ${code}`);
  assert.equal(error.status, status);
  assert.equal(error.code, code);
}

/** Both users are the same record: equal core fields (the client revives dates; deepEqual compares them). */
function assertSameCoreUser(actual, expected) {
  assert.deepEqual(pick(actual, CORE_USER_FIELDS), pick(expected, CORE_USER_FIELDS));
}

/**
 * `answer` (a get-session of `reader`) is the session `reference` (the owner's own get-session of the same
 * kind): same session fields in the same order, same core user fields in the same order.
 */
function assertSameSessionAnswer(answer, reference) {
  assert.equal(answer.status, 200, answer.describe);
  assert.ok(answer.body && answer.body.session && answer.body.user, answer.describe);
  assert.deepEqual(Object.keys(answer.body.session), Object.keys(reference.body.session), answer.describe);
  assert.deepEqual(pick(answer.body.session, CORE_SESSION_FIELDS), pick(reference.body.session, CORE_SESSION_FIELDS));
  assert.deepEqual(orderOf(answer.body.user, CORE_USER_FIELDS), orderOf(reference.body.user, CORE_USER_FIELDS), answer.describe);
  assert.deepEqual(pick(answer.body.user, CORE_USER_FIELDS), pick(reference.body.user, CORE_USER_FIELDS));
}

async function assertSignedOutInDb(c, why) {
  const r = await getSessionRaw(c, { disableCookieCache: true });
  assert.equal(r.status, 200, r.describe);
  assert.equal(r.text, 'null', `${why}: ${r.describe}`);
  assert.equal(c.jar.has(SESSION_TOKEN), false, `a validly signed but unknown token is cleared (${r.describe})`);
}

async function assertSignedInInDb(c, token) {
  const r = await getSessionRaw(c, { disableCookieCache: true });
  assert.equal(r.status, 200, r.describe);
  assert.equal(r.body?.session?.token, token, r.describe);
}

// ---------------------------------------------------------------------------------------------------------
describe('servers', () => {
  test('both servers answer /ok on their own origins', async () => {
    for (const base of [BA_URL, PC_URL]) {
      const res = await fetch(`${base}/api/auth/ok`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { ok: true });
    }
    assert.notEqual(new URL(BA_URL).origin, new URL(PC_URL).origin);
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('password hashes across servers', () => {
  test('a user signed up on Better Auth signs in on Portcullis with the same password (Better Auth scrypt hash verifies)', async () => {
    const ba = await signUpOn('BA', 'ba-signup');
    const pc = clientFor('PC');
    const wrong = await pc.client.signIn.email({ email: ba.email, password: 'not-the-password-42' });
    assertError(wrong.error, 401, 'INVALID_EMAIL_OR_PASSWORD');

    const { data, error } = await pc.client.signIn.email({ email: ba.email, password: PASSWORD });
    assert.equal(error, null, JSON.stringify(error));
    assert.equal(data.redirect, false);
    assert.match(data.token, /^[A-Za-z0-9]{32}$/);
    assertSameCoreUser(data.user, ba.data.user);
    assertSessionCookieCarries(pc.jar, data.token);
    await assertSignedInInDb(pc, data.token);
  });

  test('a user signed up on Portcullis in scrypt compatibility mode signs in on Better Auth with the same password', async () => {
    const pc = await signUpOn('PC', 'pc-signup');
    const ba = clientFor('BA');
    const wrong = await ba.client.signIn.email({ email: pc.email, password: 'not-the-password-42' });
    assertError(wrong.error, 401, 'INVALID_EMAIL_OR_PASSWORD');

    const { data, error } = await ba.client.signIn.email({ email: pc.email, password: PASSWORD });
    assert.equal(error, null, JSON.stringify(error));
    assert.equal(data.redirect, false);
    assert.match(data.token, /^[A-Za-z0-9]{32}$/);
    assertSameCoreUser(data.user, pc.data.user);
    assertSessionCookieCarries(ba.jar, data.token);
    await assertSignedInInDb(ba, data.token);
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('session cookies across servers', () => {
  test('Better Auth session cookies (session_token + session_data) are accepted by Portcullis get-session from the cookie cache (cache field order, no Set-Cookie)', async () => {
    const ba = await signUpOn('BA', 'ba-cookie-cache');
    const own = await getSessionRaw(ba);
    assert.deepEqual(Object.keys(own.body.session), CACHE_SESSION_ORDER, `Better Auth itself answers from cache: ${own.describe}`);

    const pc = carry(ba, 'PC');
    const r = await getSessionRaw(pc);
    assert.equal(r.status, 200, r.describe);
    assert.ok(r.body, r.describe);
    assert.deepEqual(Object.keys(r.body.session), CACHE_SESSION_ORDER, `answered from the cookie cache: ${r.describe}`);
    assert.deepEqual(r.setCookies, [], `a cache hit sets no cookie: ${r.describe}`);
    assertSameSessionAnswer(r, own);
    assert.equal(r.body.session.token, ba.data.token);
    assert.equal(r.body.user.id, ba.data.user.id);
  });

  test('Better Auth session cookies are accepted by Portcullis get-session?disableCookieCache=true (read from the shared database)', async () => {
    const ba = await signUpOn('BA', 'ba-cookie-db');
    const own = await getSessionRaw(ba, { disableCookieCache: true });
    assert.deepEqual(Object.keys(own.body.session), DB_SESSION_ORDER, `Better Auth itself reads the database: ${own.describe}`);

    const pc = carry(ba, 'PC');
    const r = await getSessionRaw(pc, { disableCookieCache: true });
    assertSameSessionAnswer(r, own);
    assert.equal(r.body.session.token, ba.data.token);
    assert.ok(r.setCookies.includes(SESSION_DATA), `the database path re-issues session_data: ${r.describe}`);

    // ... and the session_data Portcullis re-issued for Better Auth's session is good on Better Auth's cache.
    const back = carry(pc, 'BA');
    const again = await getSessionRaw(back);
    assert.deepEqual(Object.keys(again.body?.session ?? {}), CACHE_SESSION_ORDER, again.describe);
    assert.deepEqual(again.setCookies, [], again.describe);
    assert.equal(again.body.session.token, ba.data.token);
  });

  test('Portcullis session cookies (session_token + session_data) are accepted by Better Auth get-session from the cookie cache (cache field order, no Set-Cookie)', async () => {
    const pc = await signUpOn('PC', 'pc-cookie-cache');
    const own = await getSessionRaw(pc);
    assert.deepEqual(Object.keys(own.body.session), CACHE_SESSION_ORDER, `Portcullis itself answers from cache: ${own.describe}`);

    const ba = carry(pc, 'BA');
    const r = await getSessionRaw(ba);
    assert.equal(r.status, 200, r.describe);
    assert.ok(r.body, r.describe);
    assert.deepEqual(Object.keys(r.body.session), CACHE_SESSION_ORDER, `answered from the cookie cache: ${r.describe}`);
    assert.deepEqual(r.setCookies, [], `a cache hit sets no cookie: ${r.describe}`);
    assertSameSessionAnswer(r, own);
    assert.equal(r.body.session.token, pc.data.token);
    assert.equal(r.body.user.id, pc.data.user.id);
  });

  test('Portcullis session cookies are accepted by Better Auth get-session?disableCookieCache=true (read from the shared database)', async () => {
    const pc = await signUpOn('PC', 'pc-cookie-db');
    const own = await getSessionRaw(pc, { disableCookieCache: true });
    assert.deepEqual(Object.keys(own.body.session), DB_SESSION_ORDER, `Portcullis reads the database: ${own.describe}`);

    const ba = carry(pc, 'BA');
    const r = await getSessionRaw(ba, { disableCookieCache: true });
    assertSameSessionAnswer(r, own);
    assert.equal(r.body.session.token, pc.data.token);
    assert.ok(r.setCookies.includes(SESSION_DATA), `the database path re-issues session_data: ${r.describe}`);

    // ... and the session_data Better Auth re-issued for Portcullis's session is good on Portcullis's cache.
    const back = carry(ba, 'PC');
    const again = await getSessionRaw(back);
    assert.deepEqual(Object.keys(again.body?.session ?? {}), CACHE_SESSION_ORDER, again.describe);
    assert.deepEqual(again.setCookies, [], again.describe);
    assert.equal(again.body.session.token, pc.data.token);
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('ending sessions across servers', () => {
  test('sign-out on Better Auth ends the session for Portcullis (get-session?disableCookieCache=true -> null)', async () => {
    const ba = await signUpOn('BA', 'ba-signout');
    const pc = carry(ba, 'PC');
    await assertSignedInInDb(pc, ba.data.token);

    const { data, error } = await ba.client.signOut();
    assert.equal(error, null);
    assert.deepEqual(data, { success: true });
    await assertSignedOutInDb(pc, 'signed out on Better Auth');
  });

  test('sign-out on Portcullis ends the session for Better Auth (get-session?disableCookieCache=true -> null)', async () => {
    const pc = await signUpOn('PC', 'pc-signout');
    const ba = carry(pc, 'BA');
    await assertSignedInInDb(ba, pc.data.token);

    const { data, error } = await pc.client.signOut();
    assert.equal(error, null);
    assert.deepEqual(data, { success: true });
    await assertSignedOutInDb(ba, 'signed out on Portcullis');
  });

  test('revoke-other-sessions on Portcullis revokes a session created by Better Auth', async () => {
    const ba = await signUpOn('BA', 'revoke-from-pc');
    const pc = await signInOn('PC', ba.email);
    const before = await pc.client.listSessions();
    assert.equal(before.error, null, JSON.stringify(before.error));
    assert.deepEqual(new Set(before.data.map((s) => s.token)), new Set([ba.data.token, pc.data.token]), 'Portcullis lists both sessions');

    const { data, error } = await pc.client.revokeOtherSessions();
    assert.equal(error, null, JSON.stringify(error));
    assert.deepEqual(data, { status: true });

    await assertSignedOutInDb(ba, 'revoked by Portcullis');
    await assertSignedInInDb(pc, pc.data.token);
    const after = await pc.client.listSessions();
    assert.deepEqual(after.data.map((s) => s.token), [pc.data.token]);
  });

  test('revoke-other-sessions on Better Auth revokes a session created by Portcullis', async () => {
    const pc = await signUpOn('PC', 'revoke-from-ba');
    const ba = await signInOn('BA', pc.email);
    const before = await ba.client.listSessions();
    assert.equal(before.error, null, JSON.stringify(before.error));
    assert.deepEqual(new Set(before.data.map((s) => s.token)), new Set([pc.data.token, ba.data.token]), 'Better Auth lists both sessions');

    const { data, error } = await ba.client.revokeOtherSessions();
    assert.equal(error, null, JSON.stringify(error));
    assert.deepEqual(data, { status: true });

    await assertSignedOutInDb(pc, 'revoked by Better Auth');
    await assertSignedInInDb(ba, ba.data.token);
    const after = await ba.client.listSessions();
    assert.deepEqual(after.data.map((s) => s.token), [ba.data.token]);
  });
});

describe('two-factor across servers (the twoFactor plugin on both)', () => {
  const post = (c, path, body) =>
    c.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Signs up on `server`, enables TOTP and verifies a first code there; returns { email, uri, backupCodes }. */
  async function enrolOn(server) {
    const c = clientFor(server);
    const email = uniqueEmail(`2fa-${server.toLowerCase()}`);
    const up = await c.client.signUp.email({ email, password: PASSWORD, name: '2FA' });
    assert.equal(up.error, null, JSON.stringify(up.error));
    const enabled = await post(c, '/two-factor/enable', { password: PASSWORD });
    assert.equal(enabled.status, 200, await enabled.clone().text());
    const { totpURI, backupCodes } = await enabled.json();
    const verified = await post(c, '/two-factor/verify-totp', { code: totp(totpURI) });
    assert.equal(verified.status, 200, `verify-totp on ${NAMES[server]}: ${await verified.text()}`);
    return { email, uri: totpURI, backupCodes };
  }

  /** A password sign-in on `server` that two-factor intercepts; returns the client holding the challenge. */
  async function challengeOn(server, email) {
    const c = clientFor(server);
    const res = await post(c, '/sign-in/email', { email, password: PASSWORD });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).twoFactorRedirect, true, `${NAMES[server]} intercepts the sign-in`);
    return c;
  }

  test('a TOTP enrolment made on Portcullis completes a sign-in on Better Auth (secret decrypts there)', async () => {
    const { email, uri } = await enrolOn('PC');
    const c = await challengeOn('BA', email);
    const res = await post(c, '/two-factor/verify-totp', { code: totp(uri) });
    assert.equal(res.status, 200, await res.text());
    assert.equal((await getSessionRaw(c)).body.user.email, email);
  });

  test('a TOTP enrolment made on Better Auth completes a sign-in on Portcullis, and its backup codes work', async () => {
    const { email, uri, backupCodes } = await enrolOn('BA');
    const c = await challengeOn('PC', email);
    const res = await post(c, '/two-factor/verify-totp', { code: totp(uri) });
    assert.equal(res.status, 200, await res.text());
    assert.equal((await getSessionRaw(c)).body.user.email, email);
    const d = await challengeOn('PC', email);
    const backup = await post(d, '/two-factor/verify-backup-code', { code: backupCodes[0] });
    assert.equal(backup.status, 200, await backup.text());
    // Spent on Portcullis: Better Auth refuses it too (the re-encrypted list decrypts there).
    const e = await challengeOn('BA', email);
    const again = await post(e, '/two-factor/verify-backup-code', { code: backupCodes[0] });
    assert.equal(again.status, 401);
    const other = await post(e, '/two-factor/verify-backup-code', { code: backupCodes[1] });
    assert.equal(other.status, 200, await other.text());
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('social sign-on state across servers', () => {
  /** Starts a GitHub flow on `server`; returns the authorize URL, its state and the state cookie. */
  async function start(server, provider = 'github') {
    const c = clientFor(server);
    const { data, error } = await c.client.signIn.social({
      provider,
      callbackURL: '/after-login',
      errorCallbackURL: '/login-error',
      disableRedirect: true,
    });
    assert.equal(error, null, `${NAMES[server]}: ${JSON.stringify(error)}`);
    const url = new URL(data.url);
    return { url, state: url.searchParams.get('state'), cookie: c.jar.get('better-auth.state') };
  }

  test('both servers build the same GitHub and Google authorize URLs (parameters, order, scopes, PKCE S256)', async () => {
    for (const provider of ['github', 'google']) {
      const ba = await start('BA', provider);
      const pc = await start('PC', provider);
      const shape = ({ url }) =>
        [...url.searchParams.entries()].map(([k, v]) =>
          k === 'state' || k === 'code_challenge' ? [k, v.length] : k === 'redirect_uri' ? [k, new URL(v).pathname] : [k, v],
        );
      assert.equal(`${ba.url.origin}${ba.url.pathname}`, `${pc.url.origin}${pc.url.pathname}`, provider);
      assert.deepEqual(shape(pc), shape(ba), provider);
    }
  });

  test('list-accounts answers the same for the same user on both servers', async () => {
    const made = await signUpOn('BA', 'accounts');
    const lists = {};
    for (const server of ['BA', 'PC']) {
      const c = await signInOn(server, made.email);
      const { data, error } = await c.client.listAccounts();
      assert.equal(error, null, `${NAMES[server]}: ${JSON.stringify(error)}`);
      lists[server] = data;
    }
    assert.deepEqual(lists.PC, lists.BA);
    assert.deepEqual(Object.keys(lists.PC[0]), ['accountId', 'providerId', 'userId', 'createdAt', 'updatedAt', 'id', 'scopes']);
  });

  for (const [from, to] of [
    ['BA', 'PC'],
    ['PC', 'BA'],
  ]) {
    test(`a flow started on ${NAMES[from]} is finished by ${NAMES[to]}: its state row and signed cookie are read, then spent`, async () => {
      const { state, cookie } = await start(from);
      const headers = { cookie: `better-auth.state=${cookie}` };
      const denied = await fetch(`${SERVERS[to]}/api/auth/callback/github?state=${state}&error=access_denied&error_description=no`, {
        redirect: 'manual',
        headers,
      });
      assert.equal(denied.status, 302);
      assert.equal(denied.headers.get('location'), '/login-error?error=access_denied&error_description=no');
      const replay = await fetch(`${SERVERS[from]}/api/auth/callback/github?state=${state}&error=access_denied`, {
        redirect: 'manual',
        headers,
      });
      assert.equal(replay.headers.get('location'), `${SERVERS[from]}/api/auth/error?error=state_mismatch`);
    });
  }
});
