// Account-lifecycle flows through the official better-auth client (better-auth/client 1.7.25): update-user,
// change-password, verify-password, update-session, password reset, email verification, change-email and
// delete-user — with raw fetches where the client hides the wire (redirects are never followed: `location`
// is read), and with every emailed link taken from the captured mail (tests/client/mail.mjs, env MAIL_LOG)
// and followed end to end.
//
// Run against the Better Auth reference: scripts/reference-suite.sh account.test.mjs
// Against Portcullis:                    scripts/client-suite.sh native|worker account.test.mjs
//
// delete-user depends on the server's configuration; env DELETE_USER says which behaviour to prove:
//   off     disabled (Better Auth's default, the reference's config): 404 with an empty body
//   on      enabled, deletes at once (Portcullis under client-suite.sh)
//   verify  enabled with an emailed confirmation link (sendDeleteAccountVerification; mail kind delete-account)
// Default: "on" when PORTCULLIS=1, "off" when REFERENCE=1, otherwise the delete-user tests are skipped.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  API,
  ORIGIN,
  PASSWORD,
  SESSION_TOKEN,
  SESSION_DATA,
  DONT_REMEMBER,
  CORE_USER_FIELDS,
  makeClient,
  parseSetCookie,
  rawFetch,
  signUpNew,
  signInNew,
  uniqueEmail,
  unsignCookieValue,
} from './helpers.mjs';
import { waitForMail, expectNoMail, mailsFor, decodeJwt } from './mail.mjs';

// The change-email link to the new address: the reference server labels mail by the callback it
// went through (sendVerificationEmail → "verify-email"); Portcullis by its own template kind.
const CHANGE_EMAIL_MAIL = ['verify-email', 'change-email'];

const DELETE_USER =
  process.env.DELETE_USER ?? (process.env.PORTCULLIS === '1' ? 'on' : process.env.REFERENCE === '1' ? 'off' : '');

const RESET_MESSAGE = 'If this email exists in our system, check your email for the reset link';

// ---------------------------------------------------------------------------------------------------------
// Helpers

function assertError(error, status, code, message) {
  assert.ok(error, `expected an error ${status} ${code}`);
  assert.equal(error.status, status, `status (error: ${JSON.stringify(error)})`);
  assert.equal(error.code, code, `code (error: ${JSON.stringify(error)})`);
  if (message !== undefined) assert.equal(error.message, message);
}

function assertOk({ data, error }, label = 'request') {
  assert.equal(error, null, `${label} failed: ${JSON.stringify(error)}`);
  return data;
}

/** JSON POST through a client's jar (Origin added), answering { res, body } with the body parsed if any. */
async function post(c, path, body) {
  const res = await c.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { res, body: await readBody(res) };
}

/** JSON POST with no cookies and no Origin (an anonymous API caller). */
async function anonPost(path, body) {
  const res = await rawFetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { res, body: await readBody(res) };
}

async function readBody(res) {
  const text = await res.text();
  return text === '' ? '' : JSON.parse(text);
}

/** The DB view of the signed-in user (no cookie cache), or null. */
async function freshSession(c) {
  return assertOk(await c.client.getSession({ query: { disableCookieCache: true } }), 'get-session');
}

/** Session token carried by a jar's signed session_token cookie. */
function jarToken(c) {
  const raw = c.jar.get(SESSION_TOKEN);
  return raw === undefined ? undefined : unsignCookieValue(raw).value;
}

/** Signs in with a throwaway client; answers { data, error }. */
function trySignIn(email, password) {
  return makeClient().client.signIn.email({ email, password });
}

/** `url` made relative to the API base (asserting it is under it), for the jar fetch. */
function underApi(url) {
  assert.ok(url.startsWith(`${API}/`), `${url} is not under ${API}`);
  return url.slice(API.length);
}

/** The mailed link without its callbackURL (so the endpoint answers JSON instead of redirecting). */
function withoutCallback(url) {
  const u = new URL(url);
  u.searchParams.delete('callbackURL');
  return u.href;
}

/**
 * The bearer plugin (in the reference's config) mirrors every non-empty session_token Set-Cookie in a
 * `set-auth-token: <token>.<sig>` header. Portcullis may not offer the plugin, so the header is optional
 * here; when present it must carry `token`.
 */
function assertAuthTokenHeader(headers, token) {
  const header = headers.get('set-auth-token');
  if (header === null) return;
  assert.equal(header.slice(0, header.lastIndexOf('.')), token, 'set-auth-token carries the session token');
  assert.match(header.slice(header.lastIndexOf('.') + 1), /^[A-Za-z0-9+/]{43}=$/);
}

/** Asserts `setCookies` (parsed) expires session_token, session_data and dont_remember. */
function assertSessionCookiesCleared(setCookies) {
  for (const name of [SESSION_TOKEN, SESSION_DATA, DONT_REMEMBER]) {
    const c = setCookies.filter((x) => x.name === name);
    assert.ok(c.length > 0, `${name} expected to be cleared`);
    for (const x of c) {
      assert.equal(x.value, '');
      assert.equal(x.attributes['max-age'], '0');
    }
  }
}

/** Signs up a user and verifies its address through the mailed link; answers the signed-in client. */
async function signUpVerified(label) {
  const c = await signUpNew(label);
  assertOk(await c.client.sendVerificationEmail({ email: c.email }), 'send-verification-email');
  const mail = await waitForMail(c.email, { kind: 'verify-email' });
  const res = await makeClient().fetch(withoutCallback(mail.url));
  assert.equal(res.status, 200);
  assert.equal((await freshSession(c)).user.emailVerified, true);
  return c;
}

// ---------------------------------------------------------------------------------------------------------
describe('update-user', () => {
  test('update-user changes name and image: {status:true}, the same session_token and a fresh session_data are re-set, get-session shows the change', async () => {
    const c = await signUpNew('upd');
    const tokenBefore = jarToken(c);
    const image = 'https://example.com/avatar.png';
    const data = assertOk(await c.client.updateUser({ name: 'Renamed User', image }), 'update-user');
    assert.deepEqual(data, { status: true });

    const updateRes = c.log.find((e) => e.url.endsWith('/update-user'));
    assert.equal(updateRes.status, 200);
    const set = updateRes.headers.getSetCookie().map((l) => l.split('=')[0]);
    assert.ok(set.includes(SESSION_TOKEN), 'update-user re-sets session_token');
    assert.ok(set.includes(SESSION_DATA), 'update-user re-sets session_data');
    assert.equal(jarToken(c), tokenBefore, 'the session token does not change');

    const fresh = await freshSession(c);
    assert.equal(fresh.user.name, 'Renamed User');
    assert.equal(fresh.user.image, image);
    assert.equal(fresh.user.email, c.email);
    assert.ok(fresh.user.updatedAt > fresh.user.createdAt, 'updatedAt moves');
    // The re-issued cookie cache already carries the new values.
    const cached = assertOk(await c.client.getSession(), 'get-session (cookie cache)');
    assert.equal(cached.user.name, 'Renamed User');
    assert.equal(cached.user.image, image);
  });

  test('update-user with image:null clears the image', async () => {
    const c = await signUpNew('updimg', { image: 'https://example.com/a.png' });
    assert.equal((await freshSession(c)).user.image, 'https://example.com/a.png');
    assert.deepEqual(assertOk(await c.client.updateUser({ image: null })), { status: true });
    const fresh = await freshSession(c);
    assert.equal(fresh.user.image, null);
    assert.equal(fresh.user.name, c.name);
  });

  test('update-user with an email field → 400 EMAIL_CAN_NOT_BE_UPDATED, nothing changes', async () => {
    const c = await signUpNew('updmail');
    const { error } = await c.client.updateUser({ name: 'Not Applied', email: uniqueEmail('other') });
    assertError(error, 400, 'EMAIL_CAN_NOT_BE_UPDATED', 'Email can not be updated');
    const fresh = await freshSession(c);
    assert.equal(fresh.user.email, c.email);
    assert.equal(fresh.user.name, c.name);
  });

  test('update-user with {} → 400 {"message":"No fields to update"} (no code)', async () => {
    const c = await signUpNew('updempty');
    const { res, body } = await post(c, '/update-user', {});
    assert.equal(res.status, 400);
    assert.deepEqual(body, { message: 'No fields to update' });
  });

  test('update-user ignores non-updatable fields: {emailVerified:true} alone → 400 No fields to update', async () => {
    const c = await signUpNew('updverified');
    const { res, body } = await post(c, '/update-user', { emailVerified: true });
    assert.equal(res.status, 400);
    assert.deepEqual(body, { message: 'No fields to update' });
    assert.equal((await freshSession(c)).user.emailVerified, false);
  });

  test('update-user without a session → 401 UNAUTHORIZED', async () => {
    const { error } = await makeClient().client.updateUser({ name: 'Nobody' });
    assertError(error, 401, 'UNAUTHORIZED', 'Unauthorized');
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('change-password', () => {
  test('change-password with a wrong current password → 400 INVALID_PASSWORD; the password stays', async () => {
    const c = await signUpNew('cpwrong');
    const { error } = await c.client.changePassword({ currentPassword: 'not-the-password', newPassword: 'brand-new-pass-1' });
    assertError(error, 400, 'INVALID_PASSWORD', 'Invalid password');
    assert.equal((await trySignIn(c.email, PASSWORD)).error, null);
    assertError((await trySignIn(c.email, 'brand-new-pass-1')).error, 401, 'INVALID_EMAIL_OR_PASSWORD');
  });

  test('change-password with a too-short new password → 400 PASSWORD_TOO_SHORT', async () => {
    const c = await signUpNew('cpshort');
    const { error } = await c.client.changePassword({ currentPassword: PASSWORD, newPassword: 'short' });
    assertError(error, 400, 'PASSWORD_TOO_SHORT', 'Password too short');
  });

  test('change-password → {token:null, user}; only session_data is re-set; old password fails, new signs in; other sessions live on', async () => {
    const c = await signUpNew('cpok');
    const other = await signInNew(c.email);
    const tokenBefore = jarToken(c);
    const newPassword = 'changed-password-1';
    const data = assertOk(await c.client.changePassword({ currentPassword: PASSWORD, newPassword }), 'change-password');
    assert.equal(data.token, null);
    for (const f of CORE_USER_FIELDS) assert.ok(f in data.user, `user.${f}`);
    assert.equal(data.user.email, c.email);

    const res = c.log.find((e) => e.url.endsWith('/change-password'));
    const set = res.headers.getSetCookie().map((l) => l.split('=')[0]);
    assert.deepEqual(set, [SESSION_DATA], 'only the cookie cache is re-issued');
    assert.equal(res.headers.get('set-auth-token'), null, 'no set-auth-token without a new session cookie');
    assert.equal(jarToken(c), tokenBefore);

    assertError((await trySignIn(c.email, PASSWORD)).error, 401, 'INVALID_EMAIL_OR_PASSWORD', 'Invalid email or password');
    assert.equal((await trySignIn(c.email, newPassword)).error, null);
    assert.ok(await freshSession(c), 'own session kept');
    assert.ok(await freshSession(other), 'other session kept without revokeOtherSessions');
  });

  test('change-password with revokeOtherSessions:true → a new token and session cookie; every earlier session is gone', async () => {
    const c = await signUpNew('cprevoke');
    const other = await signInNew(c.email);
    const oldToken = jarToken(c);
    const oldCookie = c.jar.get(SESSION_TOKEN);
    const newPassword = 'changed-password-2';
    const data = assertOk(
      await c.client.changePassword({ currentPassword: PASSWORD, newPassword, revokeOtherSessions: true }),
      'change-password',
    );
    assert.match(data.token, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(data.token, oldToken);
    assert.equal(data.user.email, c.email);

    const res = c.log.find((e) => e.url.endsWith('/change-password'));
    assertAuthTokenHeader(res.headers, data.token);
    assert.equal(jarToken(c), data.token, 'the jar now carries the new session');
    assert.equal(c.jar.maxAge(SESSION_TOKEN), 604800);

    const mine = await freshSession(c);
    assert.equal(mine.session.token, data.token);
    assert.equal(await freshSession(other), null, 'the other session is revoked');
    // The old session of this very client is gone too (all sessions are deleted, then one is created).
    const stale = makeClient();
    stale.jar.set(SESSION_TOKEN, oldCookie);
    assert.equal(await freshSession(stale), null, 'the previous session of the caller is revoked');

    assert.equal((await trySignIn(c.email, newPassword)).error, null);
  });

  test('change-password without a session → 401 UNAUTHORIZED', async () => {
    const { error } = await makeClient().client.changePassword({ currentPassword: PASSWORD, newPassword: 'whatever-123' });
    assertError(error, 401, 'UNAUTHORIZED');
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('verify-password and update-session', () => {
  test('verify-password with the right password → 200 {status:true}', async () => {
    const c = await signUpNew('vp');
    const { res, body } = await post(c, '/verify-password', { password: PASSWORD });
    assert.equal(res.status, 200);
    assert.deepEqual(body, { status: true });
  });

  test('verify-password with a wrong password → 400 INVALID_PASSWORD; without a session → 401', async () => {
    const c = await signUpNew('vpwrong');
    const wrong = await post(c, '/verify-password', { password: 'wrong-password-1' });
    assert.equal(wrong.res.status, 400);
    assert.deepEqual(wrong.body, { message: 'Invalid password', code: 'INVALID_PASSWORD' });
    const anon = await post(makeClient(), '/verify-password', { password: PASSWORD });
    assert.equal(anon.res.status, 401);
    assert.deepEqual(anon.body, { message: 'Unauthorized', code: 'UNAUTHORIZED' });
  });

  test('update-session with {} → 400 {"message":"No fields to update"} (no code)', async () => {
    const c = await signUpNew('us');
    const { res, body } = await post(c, '/update-session', {});
    assert.equal(res.status, 400);
    assert.deepEqual(body, { message: 'No fields to update' });
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('password reset', () => {
  test('request-password-reset answers known and unknown addresses alike; only the known one gets a reset-password mail', async () => {
    const c = await signUpNew('rpr');
    const unknown = uniqueEmail('nobody');
    const known = await anonPost('/request-password-reset', { email: c.email, redirectTo: '/reset' });
    const missing = await anonPost('/request-password-reset', { email: unknown, redirectTo: '/reset' });
    assert.equal(known.res.status, 200);
    assert.equal(missing.res.status, 200);
    assert.deepEqual(known.body, { status: true, message: RESET_MESSAGE });
    assert.deepEqual(missing.body, known.body);

    const mail = await waitForMail(c.email, { kind: 'reset-password' });
    assert.match(mail.token, /^[A-Za-z0-9]{24}$/);
    assert.equal(mail.url, `${API}/reset-password/${mail.token}?callbackURL=%2Freset`);
    await expectNoMail(unknown);
  });

  test('request-password-reset matches the address case-insensitively and mails the stored address', async () => {
    const c = await signUpNew('rprcase');
    const data = assertOk(await makeClient().client.requestPasswordReset({ email: c.email.toUpperCase(), redirectTo: '/reset' }));
    assert.deepEqual(data, { status: true, message: RESET_MESSAGE });
    const mail = await waitForMail(c.email, { kind: 'reset-password' });
    assert.equal(mail.email ?? mail.to, c.email);
  });

  test('reset link: GET /reset-password/<token>?callbackURL=/reset → 302 to <origin>/reset?token=<token>; a bad token → 302 …/reset?error=INVALID_TOKEN', async () => {
    const c = await signUpNew('rprlink');
    assertOk(await makeClient().client.requestPasswordReset({ email: c.email, redirectTo: '/reset' }));
    const mail = await waitForMail(c.email, { kind: 'reset-password' });

    const res = await makeClient().fetch(mail.url);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `${ORIGIN}/reset?token=${mail.token}`);
    assert.deepEqual(res.headers.getSetCookie(), []);

    const bad = await rawFetch('/reset-password/not-a-real-token?callbackURL=%2Freset');
    assert.equal(bad.status, 302);
    assert.equal(bad.headers.get('location'), `${ORIGIN}/reset?error=INVALID_TOKEN`);

    // Following the link does not consume the token.
    const again = await rawFetch(underApi(mail.url));
    assert.equal(again.status, 302);
    assert.equal(again.headers.get('location'), `${ORIGIN}/reset?token=${mail.token}`);
  });

  test('reset link with an absolute trusted redirectTo keeps its query and appends token; an untrusted callbackURL on the link → 403 INVALID_CALLBACK_URL', async () => {
    const c = await signUpNew('rprabs');
    const redirectTo = `${ORIGIN}/account/reset?step=2`;
    assertOk(await makeClient().client.requestPasswordReset({ email: c.email, redirectTo }));
    const mail = await waitForMail(c.email, { kind: 'reset-password' });
    assert.equal(mail.url, `${API}/reset-password/${mail.token}?callbackURL=${encodeURIComponent(redirectTo)}`);
    const res = await rawFetch(underApi(mail.url));
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `${ORIGIN}/account/reset?step=2&token=${mail.token}`);

    const evil = await rawFetch(`/reset-password/${mail.token}?callbackURL=${encodeURIComponent('https://evil.example.com/reset')}`);
    assert.equal(evil.status, 403);
    assert.deepEqual(await evil.json(), { message: 'Invalid callbackURL', code: 'INVALID_CALLBACK_URL' });
  });

  test('request-password-reset without redirectTo mails a link with an empty callbackURL, which lands on <base>/error?error=INVALID_TOKEN', async () => {
    const c = await signUpNew('rprnocb');
    assertOk(await makeClient().client.requestPasswordReset({ email: c.email }));
    const mail = await waitForMail(c.email, { kind: 'reset-password' });
    assert.equal(mail.url, `${API}/reset-password/${mail.token}?callbackURL=`);
    const res = await rawFetch(underApi(mail.url));
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `${API}/error?error=INVALID_TOKEN`);
    // The token itself is still good.
    assert.deepEqual(assertOk(await makeClient().client.resetPassword({ newPassword: 'after-reset-0', token: mail.token })), { status: true });
  });

  test('reset-password with the mailed token → {status:true}; the token is single-use; old password fails, new signs in; existing sessions are kept', async () => {
    const c = await signUpNew('reset');
    assertOk(await makeClient().client.requestPasswordReset({ email: c.email, redirectTo: '/reset' }));
    const mail = await waitForMail(c.email, { kind: 'reset-password' });
    const link = await rawFetch(underApi(mail.url));
    const token = new URL(link.headers.get('location')).searchParams.get('token');
    assert.equal(token, mail.token);

    const browser = makeClient();
    // A too-short password is refused before the token is looked at, so the token survives it.
    assertError((await browser.client.resetPassword({ newPassword: 'short', token })).error, 400, 'PASSWORD_TOO_SHORT');

    const newPassword = 'reset-password-1';
    const data = assertOk(await browser.client.resetPassword({ newPassword, token }), 'reset-password');
    assert.deepEqual(data, { status: true });
    assert.deepEqual(browser.jar.names(), [], 'reset-password does not sign in');

    const reuse = await browser.client.resetPassword({ newPassword: 'reset-password-2', token });
    assertError(reuse.error, 400, 'INVALID_TOKEN', 'Invalid token');
    // The used link now redirects with the error.
    const relink = await rawFetch(underApi(mail.url));
    assert.equal(relink.headers.get('location'), `${ORIGIN}/reset?error=INVALID_TOKEN`);

    assertError((await trySignIn(c.email, PASSWORD)).error, 401, 'INVALID_EMAIL_OR_PASSWORD');
    assert.equal((await trySignIn(c.email, newPassword)).error, null);
    assert.ok(await freshSession(c), 'sessions are not revoked by a reset');
  });

  test('reset-password with an unknown or missing token → 400 INVALID_TOKEN', async () => {
    const c = makeClient();
    assertError((await c.client.resetPassword({ newPassword: 'whatever-123', token: 'abcdefghijklmnopqrstuvwx' })).error, 400, 'INVALID_TOKEN');
    const { res, body } = await anonPost('/reset-password', { newPassword: 'whatever-123' });
    assert.equal(res.status, 400);
    assert.deepEqual(body, { message: 'Invalid token', code: 'INVALID_TOKEN' });
  });

  test('request-password-reset with an untrusted redirectTo → 403 INVALID_REDIRECT_URL and no mail', async () => {
    const c = await signUpNew('rprevil');
    const { error } = await makeClient().client.requestPasswordReset({ email: c.email, redirectTo: 'https://evil.example.com/reset' });
    assertError(error, 403, 'INVALID_REDIRECT_URL', 'Invalid redirectURL');
    await expectNoMail(c.email);
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('email verification', () => {
  test('send-verification-email for an unknown address → {status:true} and no mail', async () => {
    const unknown = uniqueEmail('ghost');
    const data = assertOk(await makeClient().client.sendVerificationEmail({ email: unknown }));
    assert.deepEqual(data, { status: true });
    await expectNoMail(unknown);
  });

  test('send-verification-email without a session mails an unverified user; the link verifies: 200 {status:true,user:null}, no cookies, emailVerified true', async () => {
    const c = await signUpNew('verify');
    const anon = makeClient();
    assert.deepEqual(assertOk(await anon.client.sendVerificationEmail({ email: c.email })), { status: true });
    const mail = await waitForMail(c.email, { kind: 'verify-email' });
    // Without callbackURL in the request, the link still carries callbackURL=/ .
    assert.match(mail.url, /^.*\/verify-email\?token=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+&callbackURL=%2F$/);
    assert.equal(mail.url, `${API}/verify-email?token=${mail.token}&callbackURL=%2F`);
    const { header, payload } = decodeJwt(mail.token);
    assert.deepEqual(header, { alg: 'HS256' });
    assert.equal(payload.email, c.email);
    assert.equal(payload.userId, c.data.user.id);
    assert.equal(payload.exp - payload.iat, 3600);
    assert.equal(payload.updateTo, undefined);

    assert.equal((await freshSession(c)).user.emailVerified, false);
    const follower = makeClient();
    const res = await follower.fetch(withoutCallback(mail.url));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: true, user: null });
    assert.deepEqual(res.headers.getSetCookie(), [], 'verify-email does not sign in');
    assert.equal((await freshSession(c)).user.emailVerified, true);

    // The token is stateless: using it again answers the same.
    const again = await follower.client.verifyEmail({ query: { token: mail.token } });
    assert.deepEqual(assertOk(again), { status: true, user: null });
  });

  test('verify-email link followed as mailed (with callbackURL) → 302 to the callbackURL verbatim, no cookies', async () => {
    const c = await signUpNew('verifycb');
    assertOk(await c.client.sendVerificationEmail({ email: c.email, callbackURL: '/verified' }));
    const mail = await waitForMail(c.email, { kind: 'verify-email' });
    assert.equal(mail.url, `${API}/verify-email?token=${mail.token}&callbackURL=%2Fverified`);
    const res = await makeClient().fetch(mail.url);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/verified');
    assert.deepEqual(res.headers.getSetCookie(), []);
    assert.equal((await freshSession(c)).user.emailVerified, true);
  });

  test('verify-email with an invalid token → 401 INVALID_TOKEN; with callbackURL → 302 <callbackURL>?error=INVALID_TOKEN', async () => {
    const { error } = await makeClient().client.verifyEmail({ query: { token: 'invalid' } });
    assertError(error, 401, 'INVALID_TOKEN', 'Invalid token');

    const rel = await rawFetch('/verify-email?token=invalid&callbackURL=%2Fverified');
    assert.equal(rel.status, 302);
    assert.equal(rel.headers.get('location'), '/verified?error=INVALID_TOKEN');

    const abs = await rawFetch(`/verify-email?token=invalid&callbackURL=${encodeURIComponent(`${ORIGIN}/done?x=1`)}`);
    assert.equal(abs.status, 302);
    assert.equal(abs.headers.get('location'), `${ORIGIN}/done?x=1&error=INVALID_TOKEN`);
  });

  test('verify-email and send-verification-email refuse an untrusted callbackURL → 403 INVALID_CALLBACK_URL', async () => {
    const evil = encodeURIComponent('https://evil.example.com/');
    const res = await rawFetch(`/verify-email?token=invalid&callbackURL=${evil}`);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { message: 'Invalid callbackURL', code: 'INVALID_CALLBACK_URL' });

    const c = await signUpNew('verifyevil');
    const { error } = await c.client.sendVerificationEmail({ email: c.email, callbackURL: 'https://evil.example.com/' });
    assertError(error, 403, 'INVALID_CALLBACK_URL', 'Invalid callbackURL');
    await expectNoMail(c.email);
  });

  test('verify-email without a token → 400 VALIDATION_ERROR', async () => {
    const res = await rawFetch('/verify-email');
    assert.equal(res.status, 400);
    assert.equal((await res.json()).code, 'VALIDATION_ERROR');
  });

  test('send-verification-email signed in: already verified → 400 EMAIL_ALREADY_VERIFIED; another address → 400 EMAIL_MISMATCH', async () => {
    const c = await signUpVerified('verified');
    const mailsBefore = mailsFor(c.email).length;
    assertError((await c.client.sendVerificationEmail({ email: c.email })).error, 400, 'EMAIL_ALREADY_VERIFIED', 'Email is already verified');
    assertError((await c.client.sendVerificationEmail({ email: uniqueEmail('else') })).error, 400, 'EMAIL_MISMATCH', 'Email mismatch');
    // Signed out, an already-verified address gets {status:true} and no mail.
    assert.deepEqual(assertOk(await makeClient().client.sendVerificationEmail({ email: c.email })), { status: true });
    await expectNoMail(c.email, { count: mailsBefore });
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('change-email', () => {
  test('change-email (verified user) → {status:true}, row unchanged; the link goes to the NEW address; following it switches the email (still verified) and re-sets the session cookies', async () => {
    const c = await signUpVerified('chg');
    const oldEmail = c.email;
    const oldMails = mailsFor(oldEmail).length;
    const newEmail = uniqueEmail('chgnew');
    const data = assertOk(await c.client.changeEmail({ newEmail, callbackURL: '/dashboard' }), 'change-email');
    assert.deepEqual(data, { status: true });

    const before = await freshSession(c);
    assert.equal(before.user.email, oldEmail, 'nothing changes before the link is followed');
    assert.equal(before.user.emailVerified, true);

    const mail = await waitForMail(newEmail, { kind: CHANGE_EMAIL_MAIL });
    assert.equal(mail.url, `${API}/verify-email?token=${mail.token}&callbackURL=%2Fdashboard`);
    const { payload } = decodeJwt(mail.token);
    assert.equal(payload.email, oldEmail);
    assert.equal(payload.updateTo, newEmail);
    assert.equal(payload.requestType, 'change-email-verification');
    assert.equal(payload.userId, before.user.id);
    assert.equal(payload.exp - payload.iat, 3600);
    await expectNoMail(oldEmail, { count: oldMails });

    const token = jarToken(c);
    const res = await c.fetch(mail.url);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/dashboard');
    const set = res.headers.getSetCookie().map((l) => l.split('=')[0]);
    assert.deepEqual(set.sort(), [SESSION_DATA, SESSION_TOKEN].sort(), 'the signed-in follower gets its cookies re-set');
    assert.equal(jarToken(c), token, 'same session');
    assertAuthTokenHeader(res.headers, token);

    const after = await freshSession(c);
    assert.equal(after.user.email, newEmail);
    assert.equal(after.user.emailVerified, true);
    // The cookie cache re-issued by the link already has the new address.
    assert.equal(assertOk(await c.client.getSession()).user.email, newEmail);

    // The link is spent: the account's email no longer matches the token.
    const again = await c.fetch(mail.url);
    assert.equal(again.status, 302);
    assert.equal(again.headers.get('location'), '/dashboard?error=INVALID_TOKEN');

    assert.equal((await trySignIn(newEmail, PASSWORD)).error, null);
    assertError((await trySignIn(oldEmail, PASSWORD)).error, 401, 'INVALID_EMAIL_OR_PASSWORD');
  });

  test('change-email (unverified user): the link followed without a session answers {status:true,user} with the new email, emailVerified stays false, no cookies', async () => {
    const c = await signUpNew('chgunv');
    const newEmail = uniqueEmail('chgunvnew');
    assertOk(await c.client.changeEmail({ newEmail }), 'change-email');
    const mail = await waitForMail(newEmail, { kind: CHANGE_EMAIL_MAIL });
    assert.equal(mail.url, `${API}/verify-email?token=${mail.token}&callbackURL=%2F`);
    assert.equal((await freshSession(c)).user.email, c.email);

    const res = await makeClient().fetch(withoutCallback(mail.url));
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers.getSetCookie(), []);
    const body = await res.json();
    assert.equal(body.status, true);
    assert.equal(body.user.id, c.data.user.id);
    assert.equal(body.user.email, newEmail);
    assert.equal(body.user.emailVerified, false, 'the verified flag is carried over, not set');
    for (const f of CORE_USER_FIELDS) assert.ok(f in body.user, `user.${f}`);

    const after = await freshSession(c);
    assert.equal(after.user.email, newEmail);
    assert.equal(after.user.emailVerified, false);
  });

  test('change-email link followed by another signed-in user → 401 INVALID_USER (302 …?error=INVALID_USER with callbackURL); nothing changes', async () => {
    const c = await signUpNew('chgvictim');
    const intruder = await signUpNew('chgintruder');
    const newEmail = uniqueEmail('chgtarget');
    assertOk(await c.client.changeEmail({ newEmail }));
    const mail = await waitForMail(newEmail, { kind: CHANGE_EMAIL_MAIL });

    const json = await intruder.fetch(withoutCallback(mail.url));
    assert.equal(json.status, 401);
    assert.deepEqual(await json.json(), { message: 'Invalid user', code: 'INVALID_USER' });
    const redirect = await intruder.fetch(mail.url);
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/?error=INVALID_USER');
    assert.equal((await freshSession(c)).user.email, c.email);
    assert.equal((await freshSession(intruder)).user.email, intruder.email);
  });

  test('change-email to an address already in use → still {status:true}, no mail, nothing changes', async () => {
    const c = await signUpNew('chgtaken');
    const owner = await signUpNew('chgowner');
    const ownerMails = mailsFor(owner.email).length;
    const data = assertOk(await c.client.changeEmail({ newEmail: owner.email, callbackURL: '/dashboard' }));
    assert.deepEqual(data, { status: true });
    await expectNoMail(owner.email, { count: ownerMails });
    assert.equal((await freshSession(c)).user.email, c.email);
  });

  test('change-email to the same address (any case) → 400 {"message":"Email is the same"} (no code)', async () => {
    const c = await signUpNew('chgsame');
    const { res, body } = await post(c, '/change-email', { newEmail: c.email.toUpperCase() });
    assert.equal(res.status, 400);
    assert.deepEqual(body, { message: 'Email is the same' });
  });

  test('change-email errors: invalid address → 400 VALIDATION_ERROR; untrusted callbackURL → 403 INVALID_CALLBACK_URL; no session → 401', async () => {
    const c = await signUpNew('chgerr');
    const invalid = await c.client.changeEmail({ newEmail: 'not-an-email' });
    assertError(invalid.error, 400, 'VALIDATION_ERROR', '[body.newEmail] Invalid email address');
    const target = uniqueEmail('chgerrnew');
    const evil = await c.client.changeEmail({ newEmail: target, callbackURL: 'https://evil.example.com/' });
    assertError(evil.error, 403, 'INVALID_CALLBACK_URL', 'Invalid callbackURL');
    await expectNoMail(target);
    assertError((await makeClient().client.changeEmail({ newEmail: uniqueEmail('x') })).error, 401, 'UNAUTHORIZED');
  });
});

// ---------------------------------------------------------------------------------------------------------
describe('delete-user', () => {
  test('delete-user disabled (reference default) → 404 with an empty body; the account stays', { skip: DELETE_USER !== 'off' && `DELETE_USER=${DELETE_USER || 'unset'}` }, async () => {
    const c = await signUpNew('deloff');
    const res = await c.fetch('/delete-user', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    assert.equal(res.status, 404);
    assert.equal(await res.text(), '');
    assert.ok(await freshSession(c));
    // The session is checked before the feature: signed out → 401.
    const anon = await post(makeClient(), '/delete-user', {});
    assert.equal(anon.res.status, 401);
    assert.deepEqual(anon.body, { message: 'Unauthorized', code: 'UNAUTHORIZED' });
  });

  describe('enabled, immediate', { skip: DELETE_USER !== 'on' && `DELETE_USER=${DELETE_USER || 'unset'}` }, () => {
    test('delete-user with a wrong password → 400 INVALID_PASSWORD; the account stays', async () => {
      const c = await signUpNew('delwrong');
      const { error } = await c.client.deleteUser({ password: 'wrong-password-1' });
      assertError(error, 400, 'INVALID_PASSWORD', 'Invalid password');
      assert.ok(await freshSession(c));
      assert.equal((await trySignIn(c.email, PASSWORD)).error, null);
    });

    test('delete-user with the password → {success:true,message:"User deleted"}; cookies cleared, every session and the login gone', async () => {
      const c = await signUpNew('del');
      const other = await signInNew(c.email);
      const data = assertOk(await c.client.deleteUser({ password: PASSWORD }), 'delete-user');
      assert.deepEqual(data, { success: true, message: 'User deleted' });
      const res = c.log.find((e) => e.url.endsWith('/delete-user'));
      assertSessionCookiesCleared(res.headers.getSetCookie().map(parseSetCookie));
      assert.deepEqual(c.jar.names(), []);
      assert.equal(await freshSession(other), null);
      assertError((await trySignIn(c.email, PASSWORD)).error, 401, 'INVALID_EMAIL_OR_PASSWORD');
    });

    test('delete-user without a password on a fresh session → {success:true,message:"User deleted"}', async () => {
      const c = await signUpNew('delfresh');
      assert.deepEqual(assertOk(await c.client.deleteUser({})), { success: true, message: 'User deleted' });
      assertError((await trySignIn(c.email, PASSWORD)).error, 401, 'INVALID_EMAIL_OR_PASSWORD');
    });

    test('delete-user without a session → 401 UNAUTHORIZED', async () => {
      assertError((await makeClient().client.deleteUser({ password: PASSWORD })).error, 401, 'UNAUTHORIZED');
    });
  });

  describe('enabled, with emailed confirmation', { skip: DELETE_USER !== 'verify' && `DELETE_USER=${DELETE_USER || 'unset'}` }, () => {
    test('delete-user with the password → {success:true,message:"Verification email sent"}, a delete-account mail; the account stays until the link is followed', async () => {
      const c = await signUpNew('delv');
      const data = assertOk(await c.client.deleteUser({ password: PASSWORD, callbackURL: '/goodbye' }), 'delete-user');
      assert.deepEqual(data, { success: true, message: 'Verification email sent' });
      assert.ok(await freshSession(c), 'still signed in');
      const mail = await waitForMail(c.email, { kind: 'delete-account' });
      assert.match(mail.token, /^[0-9a-z]{32}$/);
      assert.equal(mail.url, `${API}/delete-user/callback?token=${mail.token}&callbackURL=%2Fgoodbye`);

      // The link needs the user's own session.
      const anon = await makeClient().fetch(mail.url);
      assert.equal(anon.status, 404);
      assert.deepEqual(await anon.json(), { message: 'Failed to get user info', code: 'FAILED_TO_GET_USER_INFO' });
      assert.ok(await freshSession(c), 'an anonymous click deletes nothing');

      const res = await c.fetch(mail.url);
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), '/goodbye');
      assert.deepEqual(c.jar.names(), [], 'cookies cleared');
      assertError((await trySignIn(c.email, PASSWORD)).error, 401, 'INVALID_EMAIL_OR_PASSWORD');
    });

    test('delete-user with the mailed token in the body deletes at once; a bogus token → 404 INVALID_TOKEN', async () => {
      const c = await signUpNew('delvtok');
      assertOk(await c.client.deleteUser({ password: PASSWORD }));
      const mail = await waitForMail(c.email, { kind: 'delete-account' });
      assert.equal(mail.url, `${API}/delete-user/callback?token=${mail.token}&callbackURL=%2F`);
      assertError((await c.client.deleteUser({ token: 'bogus' })).error, 404, 'INVALID_TOKEN', 'Invalid token');
      assert.deepEqual(assertOk(await c.client.deleteUser({ token: mail.token })), { success: true, message: 'User deleted' });
      assert.deepEqual(c.jar.names(), []);
      assertError((await trySignIn(c.email, PASSWORD)).error, 401, 'INVALID_EMAIL_OR_PASSWORD');
    });

    test('delete-user with a wrong password → 400 INVALID_PASSWORD and no mail', async () => {
      const c = await signUpNew('delvwrong');
      assertError((await c.client.deleteUser({ password: 'wrong-password-1' })).error, 400, 'INVALID_PASSWORD');
      await expectNoMail(c.email);
    });
  });
});
