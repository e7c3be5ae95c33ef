// Plugin flows through the official better-auth client and its client plugins (better-auth/client/plugins,
// 1.7.25): username (usernameClient), bearer (the client's `fetchOptions.auth`), magic link
// (magicLinkClient) and email OTP (emailOTPClient), with every mailed link or code taken from the captured
// mail (tests/client/mail.mjs, env MAIL_LOG), and the error paths (wrong code, attempts, replayed token).
//
// The server must have these plugins on: the Better Auth reference does (reference/auth.mjs), and
// scripts/client-suite.sh enables them in its default configuration.
//
// Run against the Better Auth reference: scripts/reference-suite.sh plugins.test.mjs
// Against Portcullis:                    scripts/client-suite.sh native|worker plugins.test.mjs

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { usernameClient, magicLinkClient, emailOTPClient } from 'better-auth/client/plugins';
import { API, ORIGIN, PASSWORD, SESSION_TOKEN, makeClient, plainRequest, uniqueEmail } from './helpers.mjs';
import { waitForMail, mailsFor } from './mail.mjs';

const withPlugins = (options = {}) =>
  makeClient({ plugins: [usernameClient(), magicLinkClient(), emailOTPClient()], ...options });

let usernameCounter = 0;
const uniqueUsername = (label) => {
  usernameCounter += 1;
  return `${label}_${Date.now().toString(36)}${usernameCounter}`.slice(0, 30);
};

describe('username (usernameClient)', () => {
  test('sign-up with a username, then sign-in/username in any case', async () => {
    const c = withPlugins();
    const email = uniqueEmail('username');
    const username = uniqueUsername('Ada');
    const up = await c.client.signUp.email({ email, password: PASSWORD, name: 'Ada', username });
    assert.equal(up.error, null, JSON.stringify(up.error));
    assert.equal(up.data.user.username, username.toLowerCase());
    assert.equal(up.data.user.displayUsername, username);

    const d = withPlugins();
    const signedIn = await d.client.signIn.username({ username: username.toUpperCase(), password: PASSWORD });
    assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
    assert.equal(signedIn.data.redirect, false);
    assert.equal(signedIn.data.user.email, email);
    assert.ok(d.jar.get(SESSION_TOKEN), 'session cookie set');
    const session = await d.client.getSession();
    assert.equal(session.data.user.username, username.toLowerCase());
  });

  test('wrong password and unknown usernames are 401 INVALID_USERNAME_OR_PASSWORD', async () => {
    const c = withPlugins();
    const username = uniqueUsername('bob');
    await c.client.signUp.email({ email: uniqueEmail('username'), password: PASSWORD, name: 'B', username });
    const wrong = await withPlugins().client.signIn.username({ username, password: 'not-the-password' });
    assert.equal(wrong.error.status, 401);
    assert.equal(wrong.error.code, 'INVALID_USERNAME_OR_PASSWORD');
    const unknown = await withPlugins().client.signIn.username({ username: uniqueUsername('nobody'), password: PASSWORD });
    assert.equal(unknown.error.status, 401);
    assert.equal(unknown.error.code, 'INVALID_USERNAME_OR_PASSWORD');
    const short = await withPlugins().client.signIn.username({ username: 'ab', password: PASSWORD });
    assert.equal(short.error.status, 422);
    assert.equal(short.error.code, 'USERNAME_TOO_SHORT');
  });

  test('is-username-available, and a taken or invalid username refused on sign-up', async () => {
    const c = withPlugins();
    const username = uniqueUsername('carol');
    assert.deepEqual((await c.client.isUsernameAvailable({ username })).data, { available: true });
    await c.client.signUp.email({ email: uniqueEmail('username'), password: PASSWORD, name: 'C', username });
    assert.deepEqual((await c.client.isUsernameAvailable({ username: username.toUpperCase() })).data, {
      available: false,
    });
    const taken = await withPlugins().client.signUp.email({
      email: uniqueEmail('username'),
      password: PASSWORD,
      name: 'C2',
      username,
    });
    assert.equal(taken.error.status, 400);
    assert.equal(taken.error.code, 'USERNAME_IS_ALREADY_TAKEN');
    const invalid = await withPlugins().client.signUp.email({
      email: uniqueEmail('username'),
      password: PASSWORD,
      name: 'C3',
      username: 'has space',
    });
    assert.equal(invalid.error.status, 400);
    assert.equal(invalid.error.code, 'INVALID_USERNAME');
  });

  test('update-user sets a username', async () => {
    const c = withPlugins();
    await c.client.signUp.email({ email: uniqueEmail('username'), password: PASSWORD, name: 'D' });
    const username = uniqueUsername('Dora');
    const updated = await c.client.updateUser({ username });
    assert.equal(updated.error, null, JSON.stringify(updated.error));
    const session = await c.client.getSession({ query: { disableCookieCache: true } });
    assert.equal(session.data.user.username, username.toLowerCase());
  });
});

describe('bearer', () => {
  test('set-auth-token on sign-in, then Authorization: Bearer stands for the cookie', async () => {
    const email = uniqueEmail('bearer');
    await withPlugins().client.signUp.email({ email, password: PASSWORD, name: 'E' });
    let token = '';
    const signer = makeClient({
      fetchOptions: {
        onSuccess: (ctx) => {
          const header = ctx.response.headers.get('set-auth-token');
          if (header) token = header;
        },
      },
    });
    const signedIn = await signer.client.signIn.email({ email, password: PASSWORD });
    assert.equal(signedIn.error, null);
    assert.equal(token.slice(0, token.lastIndexOf('.')), signedIn.data.token);

    // A client with no cookies at all, authenticated by the token only.
    const bearer = makeClient({ fetchOptions: { auth: { type: 'Bearer', token: () => token } } });
    const session = await bearer.client.getSession();
    assert.equal(session.data.user.email, email);
    // A bare session token works too.
    const bare = makeClient({ fetchOptions: { auth: { type: 'Bearer', token: () => signedIn.data.token } } });
    assert.equal((await bare.client.getSession()).data.user.email, email);
    // A forged signature is signed out.
    const forged = makeClient({
      fetchOptions: { auth: { type: 'Bearer', token: () => `${signedIn.data.token}.${'A'.repeat(43)}=` } },
    });
    assert.equal((await forged.client.getSession()).data, null);
  });

  test('a bearer POST with a foreign Origin and no cookie is not origin-checked', async () => {
    const up = await withPlugins().client.signUp.email({ email: uniqueEmail('bearer'), password: PASSWORD, name: 'F' });
    const res = await plainRequest('/update-user', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'https://attacker.example',
        authorization: `Bearer ${up.data.token}`,
      },
      body: JSON.stringify({ name: 'Renamed' }),
    });
    assert.equal(res.status, 200, res.body);
    const out = await plainRequest('/sign-out', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${up.data.token}` },
      body: '{}',
    });
    assert.deepEqual(JSON.parse(out.body), { success: true });
    const after = await plainRequest('/get-session', { headers: { authorization: `Bearer ${up.data.token}` } });
    assert.equal(after.body, 'null');
  });
});

describe('magic link (magicLinkClient)', () => {
  test('a new address gets a link; verifying it signs up a verified user with the given name', async () => {
    const c = withPlugins();
    const email = uniqueEmail('magic');
    const sent = await c.client.signIn.magicLink({ email, name: 'Maggie' });
    assert.equal(sent.error, null, JSON.stringify(sent.error));
    assert.deepEqual(sent.data, { status: true });
    const mail = await waitForMail(email, { kind: 'magic-link' });
    const url = new URL(mail.url);
    assert.equal(url.pathname, '/api/auth/magic-link/verify');
    assert.equal(url.searchParams.get('token'), mail.token);
    assert.match(mail.token, /^[a-zA-Z]{32}$/);
    assert.equal(url.searchParams.get('callbackURL'), '/');

    const verified = await c.client.magicLink.verify({ query: { token: mail.token } });
    assert.equal(verified.error, null, JSON.stringify(verified.error));
    assert.equal(verified.data.user.email, email);
    assert.equal(verified.data.user.name, 'Maggie');
    assert.equal(verified.data.user.emailVerified, true);
    assert.equal(verified.data.session.token, verified.data.token);
    const session = await c.client.getSession();
    assert.equal(session.data.user.email, email);
  });

  test('the mailed link redirects to the callback (new users to newUserCallbackURL) and works once', async () => {
    const email = uniqueEmail('magic');
    const c = withPlugins();
    await c.client.signIn.magicLink({ email, callbackURL: '/dashboard', newUserCallbackURL: '/welcome' });
    const mail = await waitForMail(email, { kind: 'magic-link' });
    const first = await fetch(mail.url, { redirect: 'manual' });
    assert.equal(first.status, 302);
    assert.equal(first.headers.get('location'), `${ORIGIN}/welcome`);
    assert.ok(first.headers.getSetCookie().some((h) => h.startsWith(`${SESSION_TOKEN}=`)));
    const replay = await fetch(mail.url, { redirect: 'manual' });
    assert.equal(replay.status, 302);
    assert.equal(replay.headers.get('location'), `${ORIGIN}/dashboard?error=INVALID_TOKEN`);

    // The same address again: an existing user, so callbackURL.
    await c.client.signIn.magicLink({ email, callbackURL: '/dashboard', newUserCallbackURL: '/welcome' });
    const second = await waitForMail(email, { kind: 'magic-link', count: 2 });
    const again = await fetch(second.url, { redirect: 'manual' });
    assert.equal(again.headers.get('location'), `${ORIGIN}/dashboard`);
  });

  test('an unknown token redirects with INVALID_TOKEN, even without a callback', async () => {
    const res = await rawFetchManual(`/magic-link/verify?token=${'x'.repeat(32)}`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `${ORIGIN}/?error=INVALID_TOKEN`);
    const withError = await rawFetchManual(
      `/magic-link/verify?token=nope&callbackURL=%2Fa&errorCallbackURL=%2Foops`,
    );
    assert.equal(withError.headers.get('location'), `${ORIGIN}/oops?error=INVALID_TOKEN`);
  });
});

const rawFetchManual = (path) => fetch(`${API}${path}`, { redirect: 'manual' });
const otpOf = (mail) => mail.otp ?? mail.token;

describe('email OTP (emailOTPClient)', () => {
  test('sign-in by code signs up an unknown address, verified', async () => {
    const c = withPlugins();
    const email = uniqueEmail('otp');
    const sent = await c.client.emailOtp.sendVerificationOtp({ email, type: 'sign-in' });
    assert.equal(sent.error, null, JSON.stringify(sent.error));
    assert.deepEqual(sent.data, { success: true });
    const otp = otpOf(await waitForMail(email, { kind: 'email-otp' }));
    assert.match(otp, /^\d{6}$/);
    const signedIn = await c.client.signIn.emailOtp({ email, otp });
    assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
    assert.equal(signedIn.data.user.email, email);
    assert.equal(signedIn.data.user.emailVerified, true);
    assert.equal(signedIn.data.user.name, '');
    assert.equal((await c.client.getSession()).data.user.email, email);

    const replay = await withPlugins().client.signIn.emailOtp({ email, otp });
    assert.equal(replay.error.status, 400);
    assert.equal(replay.error.code, 'INVALID_OTP');
  });

  test('wrong codes count: after three, even the right code is refused', async () => {
    const c = withPlugins();
    const email = uniqueEmail('otp');
    await c.client.emailOtp.sendVerificationOtp({ email, type: 'sign-in' });
    const otp = otpOf(await waitForMail(email, { kind: 'email-otp' }));
    const wrong = otp === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i += 1) {
      const r = await c.client.signIn.emailOtp({ email, otp: wrong });
      assert.equal(r.error.status, 400, `attempt ${i + 1}`);
      assert.equal(r.error.code, 'INVALID_OTP');
    }
    const locked = await c.client.signIn.emailOtp({ email, otp });
    assert.equal(locked.error.status, 403);
    assert.equal(locked.error.code, 'TOO_MANY_ATTEMPTS');
    const after = await c.client.signIn.emailOtp({ email, otp });
    assert.equal(after.error.code, 'INVALID_OTP');
  });

  test('verify-email by code, after check-verification-otp leaves the code usable', async () => {
    const c = withPlugins();
    const email = uniqueEmail('otp');
    await c.client.signUp.email({ email, password: PASSWORD, name: 'V' });
    await c.client.emailOtp.sendVerificationOtp({ email, type: 'email-verification' });
    const otp = otpOf(await waitForMail(email, { kind: 'email-otp' }));
    const checked = await c.client.emailOtp.checkVerificationOtp({ email, type: 'email-verification', otp });
    assert.deepEqual(checked.data, { success: true });
    const verified = await c.client.emailOtp.verifyEmail({ email, otp });
    assert.equal(verified.error, null, JSON.stringify(verified.error));
    assert.equal(verified.data.status, true);
    assert.equal(verified.data.user.emailVerified, true);
    const session = await c.client.getSession({ query: { disableCookieCache: true } });
    assert.equal(session.data.user.emailVerified, true);
  });

  test('password reset by code, and no mail for an unknown address', async () => {
    const c = withPlugins();
    const email = uniqueEmail('otp');
    await c.client.signUp.email({ email, password: PASSWORD, name: 'R' });
    const asked = await c.client.emailOtp.requestPasswordReset({ email });
    assert.deepEqual(asked.data, { success: true });
    const otp = otpOf(await waitForMail(email, { kind: 'email-otp' }));
    const bad = await c.client.emailOtp.resetPassword({ email, otp: otp === '000000' ? '111111' : '000000', password: 'a-new-password-1' });
    assert.equal(bad.error.code, 'INVALID_OTP');
    const reset = await c.client.emailOtp.resetPassword({ email, otp, password: 'a-new-password-1' });
    assert.equal(reset.error, null, JSON.stringify(reset.error));
    assert.deepEqual(reset.data, { success: true });
    const signedIn = await withPlugins().client.signIn.email({ email, password: 'a-new-password-1' });
    assert.equal(signedIn.error, null);
    const replay = await c.client.emailOtp.resetPassword({ email, otp, password: 'another-password-2' });
    assert.equal(replay.error.code, 'INVALID_OTP');

    const unknown = uniqueEmail('otp-unknown');
    const quiet = await c.client.forgetPassword.emailOtp({ email: unknown });
    assert.deepEqual(quiet.data, { success: true });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(mailsFor(unknown).length, 0);
  });

  test('a bad type is a validation error', async () => {
    const res = await withPlugins().client.emailOtp.sendVerificationOtp({ email: uniqueEmail('otp'), type: 'nope' });
    assert.equal(res.error.status, 400);
    assert.equal(res.error.code, 'VALIDATION_ERROR');
  });
});
