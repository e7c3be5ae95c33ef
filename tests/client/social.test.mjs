// Social sign-on through the official client against a fake identity provider (fake-idp.mjs, started by
// scripts/client-suite.sh, URL in FAKE_IDP_URL): `authClient.signIn.social`, then the redirects followed
// by hand as a browser would (authorize at the IdP, back to /callback/:provider with the state cookie),
// then the session through the client. Error paths: denied consent, missing, unknown, replayed and
// cookie-less state, a bad code.
//
// Skipped when FAKE_IDP_URL is unset (a PORTCULLIS_CONFIG without the providers).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API, BASE_URL, makeClient, uniqueEmail, RUN_ID } from './helpers.mjs';

const IDP = process.env.FAKE_IDP_URL;
const skip = IDP ? false : 'FAKE_IDP_URL is not set (scripts/client-suite.sh starts the fake identity provider)';
let idCounter = 0;

/** A fresh identity at the IdP. */
function identity(extra = {}) {
  idCounter += 1;
  const id = `${Date.now() % 1e9}${idCounter}`;
  return { id, email: uniqueEmail(`social${idCounter}`), name: `Social ${RUN_ID} ${idCounter}`, ...extra };
}

/** The browser at the IdP: the user picks `profile` (or denies), the IdP answers with a redirect. */
async function authorize(url, { profile, deny = false, extra = {} } = {}) {
  const u = new URL(url);
  if (profile) u.searchParams.set('as', JSON.stringify(profile));
  if (deny) u.searchParams.set('deny', '1');
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return fetch(u, { redirect: 'manual' });
}

/** Starts sign-in with the official client and follows the flow to the callback's answer. */
async function signInSocial(c, provider, { profile, deny, body = {} } = {}) {
  const { data, error } = await c.client.signIn.social({
    provider,
    callbackURL: '/dashboard',
    errorCallbackURL: '/login-error',
    newUserCallbackURL: '/welcome',
    disableRedirect: true,
    ...body,
  });
  assert.equal(error, null, JSON.stringify(error));
  const idp = await authorize(data.url, { profile, deny });
  assert.equal(idp.status, 302);
  const callback = await c.fetch(idp.headers.get('location'));
  return { start: data, callback };
}

test('github sign-in: authorize URL with state and PKCE S256, state cookie and row, 302 to newUserCallbackURL with a session', { skip }, async () => {
  const c = makeClient();
  const profile = identity();
  const { data } = await c.client.signIn.social({ provider: 'github', callbackURL: '/dashboard', newUserCallbackURL: '/welcome' });
  assert.equal(data.redirect, true);
  assert.equal(c.lastHeaders().get('location'), data.url);
  const url = new URL(data.url);
  assert.equal(`${url.origin}${url.pathname}`, `${IDP}/authorize`);
  assert.deepEqual(
    [...url.searchParams.keys()],
    ['response_type', 'client_id', 'state', 'scope', 'redirect_uri', 'code_challenge_method', 'code_challenge'],
  );
  assert.equal(url.searchParams.get('scope'), 'read:user user:email');
  assert.equal(url.searchParams.get('redirect_uri'), `${API}/callback/github`);
  assert.match(url.searchParams.get('state'), /^[A-Za-z0-9_-]{32}$/);
  assert.match(url.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  const stateCookie = c.jar.cookie('better-auth.state');
  assert.equal(stateCookie.attributes['max-age'], '300');
  assert.ok(decodeURIComponent(stateCookie.value).startsWith(`${url.searchParams.get('state')}.`));

  const idp = await authorize(data.url, { profile });
  const callback = await c.fetch(idp.headers.get('location'));
  assert.equal(callback.status, 302);
  assert.equal(callback.headers.get('location'), '/welcome');
  assert.equal(c.jar.has('better-auth.state'), false, 'the state cookie is expired');
  const session = await c.client.getSession();
  assert.equal(session.data.user.email, profile.email);
  assert.equal(session.data.user.name, profile.name);
  assert.equal(session.data.user.emailVerified, true);
  assert.equal(session.data.user.image, `${IDP}/avatar/${profile.id}.png`);
  const accounts = await c.client.listAccounts();
  assert.deepEqual(accounts.data.map((a) => [a.providerId, a.accountId]), [['github', profile.id]]);
  assert.deepEqual(accounts.data[0].scopes, ['read:user', 'user:email']);
});

test('github sign-in with a hidden e-mail takes the primary address from /user/emails; a second sign-in goes to callbackURL', { skip }, async () => {
  const profile = identity({ hide_email: true });
  const first = makeClient();
  const { callback } = await signInSocial(first, 'github', { profile });
  assert.equal(callback.headers.get('location'), '/welcome');
  const session = await first.client.getSession();
  assert.equal(session.data.user.email, profile.email);

  const again = makeClient();
  const second = await signInSocial(again, 'github', { profile });
  assert.equal(second.callback.headers.get('location'), '/dashboard');
  const s2 = await again.client.getSession();
  assert.equal(s2.data.user.id, session.data.user.id);
});

test('the token request carries the PKCE verifier of the challenge and the client credentials', { skip }, async () => {
  const c = makeClient();
  const { start } = await signInSocial(c, 'github', { profile: identity() });
  const log = await (await fetch(`${IDP}/log`)).json();
  const challenge = new URL(start.url).searchParams.get('code_challenge');
  const { createHash } = await import('node:crypto');
  const entry = log.find((e) => e.code_verifier && createHash('sha256').update(e.code_verifier).digest('base64url') === challenge);
  assert.ok(entry, 'a token request with the matching verifier');
  assert.equal(entry.code_verifier.length, 128);
  assert.equal(entry.client_id, 'github-client');
  assert.equal(entry.client_secret, 'secret-github-client');
  assert.equal(entry.redirect_uri, `${API}/callback/github`);
});

test('google sign-in reads the profile from the id token and sends include_granted_scopes', { skip }, async () => {
  const c = makeClient();
  const profile = identity({ picture: 'https://images.example/p.png' });
  const { start, callback } = await signInSocial(c, 'google', { profile });
  const url = new URL(start.url);
  assert.equal(url.searchParams.get('scope'), 'email profile openid');
  assert.equal(url.searchParams.get('include_granted_scopes'), 'true');
  assert.equal(callback.headers.get('location'), '/welcome');
  const session = await c.client.getSession();
  assert.equal(session.data.user.email, profile.email);
  assert.equal(session.data.user.image, 'https://images.example/p.png');
});

test('discord sign-in: no PKCE, prompt=none, avatar URL from the avatar hash', { skip }, async () => {
  const c = makeClient();
  const profile = identity({ avatar: 'a_abc123' });
  const { start, callback } = await signInSocial(c, 'discord', { profile });
  const url = new URL(start.url);
  assert.equal(url.searchParams.get('code_challenge'), null);
  assert.equal(url.searchParams.get('prompt'), 'none');
  assert.equal(callback.headers.get('location'), '/welcome');
  const session = await c.client.getSession();
  assert.equal(session.data.user.image, `https://cdn.discordapp.com/avatars/${profile.id}/a_abc123.gif`);
});

test('a generic OIDC provider configured by discovery URL signs in through its userinfo endpoint', { skip }, async () => {
  const c = makeClient();
  const profile = identity();
  const { start, callback } = await signInSocial(c, 'acme', { profile });
  assert.ok(start.url.startsWith(`${IDP}/authorize?`));
  assert.equal(new URL(start.url).searchParams.get('scope'), 'openid email profile');
  assert.equal(callback.headers.get('location'), '/welcome');
  const session = await c.client.getSession();
  assert.equal(session.data.user.email, profile.email);
});

test('unknown provider is 404 PROVIDER_NOT_FOUND; an untrusted callbackURL is 403', { skip }, async () => {
  const c = makeClient();
  const unknown = await c.client.signIn.social({ provider: 'myspace' });
  assert.equal(unknown.error.status, 404);
  assert.equal(unknown.error.code, 'PROVIDER_NOT_FOUND');
  const evil = await c.client.signIn.social({ provider: 'github', callbackURL: 'https://evil.example.com/' });
  assert.equal(evil.error.status, 403);
  assert.equal(evil.error.code, 'INVALID_CALLBACK_URL');
});

test('denied consent redirects to errorCallbackURL with the provider error; the state is spent', { skip }, async () => {
  const c = makeClient();
  const { start, callback } = await signInSocial(c, 'github', { deny: true });
  assert.equal(callback.status, 302);
  assert.equal(callback.headers.get('location'), '/login-error?error=access_denied&error_description=The+user+denied+the+request');
  assert.equal(c.jar.has('better-auth.state'), false);
  const state = new URL(start.url).searchParams.get('state');
  const replay = await c.fetch(`/callback/github?code=x&state=${state}`);
  assert.equal(replay.headers.get('location'), `${API}/error?error=state_mismatch`);
});

test('callback without state is state_not_found; with an unknown state it is state_mismatch', { skip }, async () => {
  const c = makeClient();
  const none = await c.fetch('/callback/github?code=abc');
  assert.equal(none.status, 302);
  assert.equal(none.headers.get('location'), `${API}/error?error=state_not_found`);
  const bogus = await c.fetch('/callback/github?code=abc&state=bogus');
  assert.equal(bogus.headers.get('location'), `${API}/error?error=state_mismatch`);
});

test('a callback without the state cookie is state_mismatch to the flow error URL, and creates no session', { skip }, async () => {
  const c = makeClient();
  const { data } = await c.client.signIn.social({ provider: 'github', errorCallbackURL: '/login-error', disableRedirect: true });
  const idp = await authorize(data.url, { profile: identity() });
  const other = makeClient();
  const callback = await other.fetch(idp.headers.get('location'));
  assert.equal(callback.headers.get('location'), '/login-error?error=state_mismatch');
  assert.equal(other.jar.has('better-auth.session_token'), false);
});

test('replaying a completed callback is state_mismatch', { skip }, async () => {
  const c = makeClient();
  const { data } = await c.client.signIn.social({ provider: 'github', disableRedirect: true });
  const idp = await authorize(data.url, { profile: identity() });
  const location = idp.headers.get('location');
  const stateCookie = c.jar.get('better-auth.state');
  const first = await c.fetch(location);
  assert.equal(first.headers.get('location'), BASE_URL);
  c.jar.set('better-auth.state', stateCookie);
  const replay = await c.fetch(location);
  assert.equal(replay.headers.get('location'), `${API}/error?error=state_mismatch`);
});

test('a code the provider refuses is invalid_code', { skip }, async () => {
  const c = makeClient();
  const { data } = await c.client.signIn.social({ provider: 'google', errorCallbackURL: '/login-error', disableRedirect: true });
  const state = new URL(data.url).searchParams.get('state');
  const callback = await c.fetch(`/callback/google?code=not-a-code&state=${state}`);
  assert.equal(callback.headers.get('location'), '/login-error?error=invalid_code');
});

test('form_post callback (POST) redirects to the GET callback with the parameters in the query', { skip }, async () => {
  const c = makeClient();
  const res = await c.fetch('/callback/apple', {
    method: 'POST',
    origin: false,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'state=xyz&code=abc&user=%7B%7D',
  });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), `${API}/callback/apple?code=abc&state=xyz&user=%7B%7D`);
});

test('an existing e-mail user is not linked implicitly to an unverified provider e-mail', { skip }, async () => {
  const email = uniqueEmail('exists');
  const owner = makeClient();
  await owner.client.signUp.email({ email, password: 'correct-horse-battery', name: 'Owner' });
  const c = makeClient();
  const { callback } = await signInSocial(c, 'github', { profile: identity({ email, email_verified: false }) });
  assert.equal(callback.headers.get('location'), '/login-error?error=account_not_linked');
});
