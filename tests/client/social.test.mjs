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

// ---------------------------------------------------------------------------------------------------------
// Apple: form_post callback carrying the name once

/** The hidden inputs of the IdP's auto-submitting form_post page, and its action. */
function formPost(html) {
  const action = /<form method="post" action="([^"]+)"/.exec(html)[1].replace(/&#38;/g, '&');
  const fields = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.set(m[1], m[2].replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))));
  }
  return { action, fields };
}

test('apple sign-in: form_post to the callback, 302 to the GET callback, the name from the user field', { skip }, async () => {
  const c = makeClient();
  const profile = identity({ name: 'Ada Lovelace' });
  const { data } = await c.client.signIn.social({ provider: 'apple', callbackURL: '/dashboard', disableRedirect: true });
  const url = new URL(data.url);
  assert.equal(url.searchParams.get('response_type'), 'code id_token');
  assert.equal(url.searchParams.get('response_mode'), 'form_post');
  assert.equal(url.searchParams.get('scope'), 'email name');
  const page = await authorize(data.url, { profile, extra: { first_time: '1' } });
  assert.equal(page.status, 200);
  const { action, fields } = formPost(await page.text());
  assert.equal(action, `${API}/callback/apple`);
  // The provider's page posts cross-site: no cookies go with it (SameSite=Lax).
  const posted = await fetch(action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://appleid.apple.com' },
    body: fields.toString(),
  });
  assert.equal(posted.status, 302);
  const location = new URL(posted.headers.get('location'));
  assert.equal(`${location.origin}${location.pathname}`, `${API}/callback/apple`);
  assert.equal(location.searchParams.get('state'), fields.get('state'));
  const callback = await c.fetch(location.href);
  assert.equal(callback.headers.get('location'), '/dashboard');
  const session = await c.client.getSession();
  assert.equal(session.data.user.name, 'Ada Lovelace');
  assert.equal(session.data.user.email, profile.email);
});

// ---------------------------------------------------------------------------------------------------------
// ID-token sign-in

async function mint(claims, { alg = 'RS256', kid, tamper = false } = {}) {
  const res = await fetch(`${IDP}/mint`, { method: 'POST', body: JSON.stringify({ claims, alg, kid, tamper }) });
  return (await res.json()).token;
}

function claimsFor(profile, aud, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { iss: IDP, aud, sub: profile.id, email: profile.email, email_verified: true, name: profile.name, iat: now, exp: now + 600, ...extra };
}

test('google id-token sign-in (RS256 against the JWKS) answers {redirect:false, token, user} and a session', { skip }, async () => {
  const c = makeClient();
  const profile = identity();
  const token = await mint(claimsFor(profile, 'google-client', { nonce: 'n-1' }));
  const { data, error } = await c.client.signIn.social({ provider: 'google', idToken: { token, nonce: 'n-1', accessToken: 'at-1' } });
  assert.equal(error, null, JSON.stringify(error));
  assert.deepEqual(Object.keys(data), ['redirect', 'token', 'user']);
  assert.equal(data.redirect, false);
  assert.equal(data.user.email, profile.email);
  const session = await c.client.getSession();
  assert.equal(session.data.session.token, data.token);
});

test('generic OIDC id-token sign-in accepts ES256; apple accepts its bundle id as audience', { skip }, async () => {
  const es = makeClient();
  const token = await mint(claimsFor(identity(), 'acme-client'), { alg: 'ES256' });
  const res = await es.client.signIn.social({ provider: 'acme', idToken: { token } });
  assert.equal(res.error, null, JSON.stringify(res.error));
  const apple = makeClient();
  const appleToken = await mint(claimsFor(identity(), 'com.example.app'));
  const a = await apple.client.signIn.social({ provider: 'apple', idToken: { token: appleToken } });
  assert.equal(a.error, null, JSON.stringify(a.error));
});

test('id tokens with a bad signature, wrong audience, wrong issuer, expired, wrong nonce or unknown key are 401 INVALID_TOKEN', { skip }, async () => {
  const c = makeClient();
  const p = identity();
  const cases = {
    'bad signature': await mint(claimsFor(p, 'google-client'), { tamper: true }),
    'wrong audience': await mint(claimsFor(p, 'someone-else')),
    'wrong issuer': await mint(claimsFor(p, 'google-client', { iss: 'https://evil.example' })),
    expired: await mint(claimsFor(p, 'google-client', { exp: Math.floor(Date.now() / 1000) - 120 })),
    'wrong nonce': await mint(claimsFor(p, 'google-client', { nonce: 'other' })),
    'unknown key': await mint(claimsFor(p, 'google-client'), { kid: 'nope' }),
    'ES256 for google': await mint(claimsFor(p, 'google-client'), { alg: 'ES256' }),
    'not a JWT': 'abc.def',
  };
  for (const [name, token] of Object.entries(cases)) {
    const { error } = await c.client.signIn.social({ provider: 'google', idToken: { token, nonce: name === 'wrong nonce' ? 'mine' : undefined } });
    assert.equal(error?.status, 401, name);
    assert.equal(error.code, 'INVALID_TOKEN', name);
  }
  assert.equal(c.jar.has('better-auth.session_token'), false);
});

test('id-token sign-in with a provider that has none is 404 ID_TOKEN_NOT_SUPPORTED', { skip }, async () => {
  const c = makeClient();
  const { error } = await c.client.signIn.social({ provider: 'github', idToken: { token: 'a.b.c' } });
  assert.equal(error.status, 404);
  assert.equal(error.code, 'ID_TOKEN_NOT_SUPPORTED');
});

// ---------------------------------------------------------------------------------------------------------
// Accounts: link, list, tokens, unlink

test('link-social links a provider to the signed-in user; tokens, refresh, account-info and unlink work on it', { skip }, async () => {
  const c = makeClient();
  const email = uniqueEmail('linker');
  await c.client.signUp.email({ email, password: 'correct-horse-battery', name: 'Linker' });
  const { data } = await c.client.linkSocial({ provider: 'github', callbackURL: '/linked', disableRedirect: true });
  const profile = identity({ email });
  const idp = await authorize(data.url, { profile });
  const callback = await c.fetch(idp.headers.get('location'));
  assert.equal(callback.headers.get('location'), '/linked');

  const accounts = (await c.client.listAccounts()).data;
  assert.deepEqual(accounts.map((a) => a.providerId).sort(), ['credential', 'github']);
  const github = accounts.find((a) => a.providerId === 'github');
  assert.deepEqual(Object.keys(github), ['accountId', 'providerId', 'userId', 'createdAt', 'updatedAt', 'id', 'scopes']);
  assert.equal(github.accountId, profile.id);

  const access = await c.client.getAccessToken({ accountId: github.id });
  assert.equal(access.error, null, JSON.stringify(access.error));
  assert.ok(access.data.accessToken);
  assert.deepEqual(access.data.scopes, ['read:user', 'user:email']);

  const refreshed = await c.client.refreshToken({ accountId: github.id });
  assert.equal(refreshed.error, null, JSON.stringify(refreshed.error));
  assert.notEqual(refreshed.data.accessToken, access.data.accessToken);
  assert.equal(refreshed.data.providerId, 'github');
  assert.equal(refreshed.data.accountId, github.id);
  const after = await c.client.getAccessToken({ accountId: github.id });
  assert.equal(after.data.accessToken, refreshed.data.accessToken);

  const info = await c.client.accountInfo({ query: { accountId: github.id } });
  assert.equal(info.error, null, JSON.stringify(info.error));
  assert.equal(info.data.user.email, email);
  assert.equal(info.data.data.id, Number(profile.id));
  assert.deepEqual(info.data.account, { id: github.id, providerId: 'github', accountId: profile.id });

  const missing = await c.client.getAccessToken({ accountId: 'nope' });
  assert.equal(missing.error.code, 'ACCOUNT_NOT_FOUND');
  const credential = accounts.find((a) => a.providerId === 'credential');
  const notSupported = await c.client.getAccessToken({ accountId: credential.id });
  assert.equal(notSupported.error.code, 'PROVIDER_NOT_SUPPORTED');

  const unlinked = await c.client.unlinkAccount({ accountId: github.id });
  assert.deepEqual(unlinked.data, { status: true });
  const last = await c.client.unlinkAccount({ accountId: credential.id });
  assert.equal(last.error.status, 400);
  assert.equal(last.error.code, 'FAILED_TO_UNLINK_LAST_ACCOUNT');
});

test('linking an account whose e-mail differs is email_does_not_match; one linked elsewhere is refused', { skip }, async () => {
  const c = makeClient();
  await c.client.signUp.email({ email: uniqueEmail('a'), password: 'correct-horse-battery', name: 'A' });
  const { data } = await c.client.linkSocial({ provider: 'github', callbackURL: '/linked', errorCallbackURL: '/link-error', disableRedirect: true });
  const idp = await authorize(data.url, { profile: identity() });
  const callback = await c.fetch(idp.headers.get('location'));
  assert.equal(callback.headers.get('location'), '/link-error?error=email_does_not_match');

  // An account already owned by a social user cannot be linked by someone else.
  const owner = makeClient();
  const email = uniqueEmail('b');
  const profile = identity({ email });
  await signInSocial(owner, 'google', { profile });
  const other = makeClient();
  await other.client.signUp.email({ email: uniqueEmail('c'), password: 'correct-horse-battery', name: 'C' });
  const token = await mint(claimsFor(profile, 'google-client'));
  const res = await other.client.linkSocial({ provider: 'google', idToken: { token } });
  assert.equal(res.error.status, 409);
  assert.equal(res.error.code, 'SOCIAL_ACCOUNT_ALREADY_LINKED');
});

test('a link whose session signed out before the callback is unable_to_link_account, and nothing is linked', { skip }, async () => {
  const c = makeClient();
  const email = uniqueEmail('gone');
  await c.client.signUp.email({ email, password: 'correct-horse-battery', name: 'Gone' });
  const { data } = await c.client.linkSocial({ provider: 'github', callbackURL: '/linked', errorCallbackURL: '/link-error', disableRedirect: true });
  const idp = await authorize(data.url, { profile: identity({ email }) });
  await c.client.signOut();
  const callback = await c.fetch(idp.headers.get('location'));
  assert.equal(callback.headers.get('location'), '/link-error?error=unable_to_link_account');
  const again = await c.client.signIn.email({ email, password: 'correct-horse-battery' });
  assert.equal(again.error, null, JSON.stringify(again.error));
  const accounts = (await c.client.listAccounts()).data;
  assert.deepEqual(accounts.map((a) => a.providerId), ['credential']);
});

test('account endpoints need a session; get-access-token validates its body', { skip }, async () => {
  const c = makeClient();
  const list = await c.fetch('/list-accounts');
  assert.equal(list.status, 401);
  const bad = await c.fetch('/get-access-token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ providerId: 'github' }),
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).code, 'VALIDATION_ERROR');
});

test('a callback whose iss is not the discovered issuer is issuer_mismatch (RFC 9207)', { skip }, async () => {
  const c = makeClient();
  const { data } = await c.client.signIn.social({ provider: 'acme', errorCallbackURL: '/login-error', disableRedirect: true });
  const idp = await authorize(data.url, { profile: identity() });
  const location = new URL(idp.headers.get('location'));
  location.searchParams.set('iss', 'https://evil.example');
  const callback = await c.fetch(location.href);
  assert.equal(callback.headers.get('location'), '/login-error?error=issuer_mismatch');
});

test('link-social with a google id token links at once for the same e-mail: {url:"", status:true, redirect:false}', { skip }, async () => {
  const c = makeClient();
  const email = uniqueEmail('idlink');
  await c.client.signUp.email({ email, password: 'correct-horse-battery', name: 'Id Linker' });
  const profile = identity({ email });
  const token = await mint(claimsFor(profile, 'google-client'));
  const res = await c.client.linkSocial({ provider: 'google', idToken: { token } });
  assert.equal(res.error, null, JSON.stringify(res.error));
  assert.deepEqual(res.data, { url: '', status: true, redirect: false });
  const accounts = (await c.client.listAccounts()).data;
  assert.deepEqual(accounts.map((a) => [a.providerId, a.accountId]).sort(), [['credential', accounts.find((a) => a.providerId === 'credential').accountId], ['google', profile.id]].sort());
  // Signing in with the same Google identity now reaches this user.
  const other = makeClient();
  const signedIn = await other.client.signIn.social({ provider: 'google', idToken: { token: await mint(claimsFor(profile, 'google-client')) } });
  assert.equal(signedIn.data.user.email, email);
});

test('a provider with HTTP Basic client authentication (Railway) sends its credentials in the header, with PKCE', { skip }, async () => {
  const c = makeClient();
  const profile = identity();
  const { start, callback } = await signInSocial(c, 'railway', { profile });
  assert.equal(callback.headers.get('location'), '/welcome');
  const challenge = new URL(start.url).searchParams.get('code_challenge');
  const { createHash } = await import('node:crypto');
  const log = await (await fetch(`${IDP}/log`)).json();
  const entry = log.find((e) => e.code_verifier && createHash('sha256').update(e.code_verifier).digest('base64url') === challenge);
  assert.equal(entry.authorization, `Basic ${Buffer.from('railway-client:secret-railway-client').toString('base64')}`);
  assert.equal(entry.client_secret, undefined);
  const session = await c.client.getSession();
  assert.equal(session.data.user.email, profile.email);
  assert.equal(session.data.user.emailVerified, false, "Railway's addresses never count as verified");
});
