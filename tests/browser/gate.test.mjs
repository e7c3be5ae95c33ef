// The static-site gate (issue 6) in a real browser: Debian's Chromium, driven by playwright-core,
// against the Worker under `wrangler dev --local` serving examples/static-site through the ASSETS
// binding with the gate enabled. scripts/browser-suite.sh starts the Worker and runs this file.
//
// Environment:
//   GATE_BASE_URL      the Worker's origin (required), e.g. http://127.0.0.1:8790
//   CHROMIUM_PATH      the browser (default /usr/bin/chromium; never a downloaded one)
//   ARTIFACTS_DIR      where screenshots go (default tests/browser/artifacts)
//
// Pages are driven by form field `name` attributes and by role/type (button[type=submit],
// [role=alert]) rather than by wording, so relabelling a button does not break a test. Only the
// example site's own texts ("Welcome to the members area", "Public page") are matched.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.GATE_BASE_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const HERE = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.ARTIFACTS_DIR || join(HERE, 'artifacts');
const PAGES = '/_auth';
const PASSWORD = 'correct horse battery staple 42';
// The example site's pages (examples/static-site) and the heading each shows.
const HOME = { path: '/', heading: 'Welcome to the members area' };
const MEMBERS = { path: '/members/page.html', heading: 'Members page' };
const PUBLIC = { path: '/public/index.html', heading: 'Public page' };
const PROTECTED_TEXT = /Welcome to the members area|members only/;

// Chromium's flags for this machine: without the background-networking ones it keeps trying to
// reach Google's hosts, which the closed network refuses. playwright-core's launch() gives each
// run a fresh, empty --user-data-dir of its own (a temporary directory it removes on close);
// each test then has its own browser context, so no cookie crosses from one test to another.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser;
let shot = 0;
let emailSeq = 0;

const url = (path) => BASE + path;
const uniqueEmail = (tag) => `${tag}-${Date.now().toString(36)}-${++emailSeq}@example.com`;

async function screenshot(page, name) {
  shot += 1;
  const file = join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  // The pages run no script and allow one hashed style: a CSP report means a page broke its own
  // policy (an unhashed style, a form posting elsewhere), which the tests below would not notice.
  context.cspViolations = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) context.cspViolations.push(`${page.url()}: ${msg.text()}`);
  });
  return { context, page };
}



function here(page) {
  return new URL(page.url());
}

/**
 * Whether a URL shows the given site path. Workers Static Assets may canonicalise HTML paths
 * (html_handling: /a/index.html → /a/, /a/page.html → /a/page), so those spellings count too.
 */
function showsPath(u, path) {
  const canon = (p) => p.replace(/\/index\.html$/, '/').replace(/\.html$/, '');
  return u.origin === BASE && canon(u.pathname) === canon(path);
}

/** Waits for the site page's own heading. */
async function expectSitePage(page, { path, heading }) {
  assert.ok(showsPath(here(page), path), `on ${path} (at ${page.url()})`);
  const h1 = page.locator('h1').first();
  await h1.waitFor();
  assert.equal((await h1.innerText()).trim(), heading, `the heading of ${path}`);
}

async function noProtectedContent(page) {
  assert.equal(await page.getByText(PROTECTED_TEXT).count(), 0, `no protected content at ${page.url()}`);
}

/** The submit button of the form holding the given field (the page may hold other forms). */
function submitOf(page, field) {
  return page
    .locator(`form:has([name="${field}"])`)
    .first()
    .locator('button[type="submit"], input[type="submit"]')
    .first();
}

/** Clicks `button` and waits until the page has navigated to a URL that satisfies `pred`. */
async function submitAndWait(page, button, pred) {
  await Promise.all([page.waitForURL((u) => pred(new URL(u)), { waitUntil: 'load' }), button.click()]);
}

/** A visible role=alert element with some text in it. */
function alertWithText(page) {
  return page.locator('[role="alert"]').filter({ hasText: /\S/ }).first();
}

function assertOnSignIn(page, callbackURL) {
  const u = here(page);
  assert.equal(u.origin, BASE, `still on the Worker's origin (at ${u.href})`);
  assert.equal(u.pathname, `${PAGES}/sign-in`, `on the sign-in page (at ${u.href})`);
  if (callbackURL !== undefined) {
    assert.equal(u.searchParams.get('callbackURL'), callbackURL, `callbackURL in ${u.href}`);
  }
}

async function assertSignedOutRedirect(response, fromPath) {
  // The navigation ended on the sign-in page; the request before it was the gate's 302.
  assert.ok(response, `a response for ${fromPath}`);
  assert.equal(response.status(), 200, 'the sign-in page itself answers 200');
  const first = response.request().redirectedFrom();
  assert.ok(first, `${fromPath} was redirected`);
  assert.equal(new URL(first.url()).pathname, fromPath);
  const firstResponse = await first.response();
  assert.equal(firstResponse.status(), 302, `${fromPath} answers 302 to a signed-out browser`);
  const location = await firstResponse.headerValue('location');
  const target = new URL(location, BASE);
  assert.equal(target.pathname, `${PAGES}/sign-in`, `Location: ${location}`);
  assert.equal(target.searchParams.get('callbackURL'), fromPath, `Location: ${location}`);
}

/** Fills and submits the sign-up form on the current page (reached from sign-in). */
async function fillSignUp(page, { name, email, password }) {
  await page.locator('input[name="name"]').fill(name);
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
}

async function fillSignIn(page, { email, password, rememberMe }) {
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill(password);
  const remember = page.locator('input[name="rememberMe"]');
  if (rememberMe !== undefined && (await remember.count()) > 0) {
    await remember.setChecked(rememberMe);
  }
}

/** Creates an account through the JSON API, as a script would (no browser involved). */
async function signUpByApi(email, password, name = 'API User') {
  const res = await fetch(url('/api/auth/sign-up/email'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: BASE },
    body: JSON.stringify({ name, email, password }),
  });
  const body = await res.text();
  assert.equal(res.status, 200, `sign-up by API: ${res.status} ${body}`);
}

/**
 * get-session with the browser context's cookies (null when signed out). Asked through the
 * context's request API, not from inside the page, so the pages' CSP stays as strict as served.
 */
async function sessionOf(page) {
  const res = await page.context().request.get(url('/api/auth/get-session'), {
    headers: { accept: 'application/json' },
  });
  assert.equal(res.status(), 200, `get-session: ${res.status()}`);
  return res.json();
}

describe('static-site gate in Chromium', () => {
  before(async () => {
    assert.ok(BASE, 'GATE_BASE_URL must name the Worker (scripts/browser-suite.sh sets it)');
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
  });

  test('the public page is visible signed out', async () => {
    const { context, page } = await newPage();
    try {
      const res = await page.goto(url(PUBLIC.path));
      assert.equal(res.status(), 200);
      for (let r = res.request().redirectedFrom(); r; r = r.redirectedFrom()) {
        assert.ok(!new URL(r.url()).pathname.startsWith(PAGES), `no detour through the pages: ${r.url()}`);
      }
      await expectSitePage(page, PUBLIC);
      await screenshot(page, 'public-page-signed-out');
    } finally {
      await context.close();
    }
    assert.deepEqual(context.cspViolations, [], 'no Content-Security-Policy violations');
  });

  test('a protected page sends a signed-out browser to sign-in with a callbackURL, and sign-up lands back on it', async () => {
    const { context, page } = await newPage();
    try {
      // Blocked → redirected.
      const res = await page.goto(url(MEMBERS.path));
      await assertSignedOutRedirect(res, MEMBERS.path);
      assertOnSignIn(page, MEMBERS.path);
      await page.locator('input[name="email"]').waitFor();
      await page.locator('input[name="password"]').waitFor();
      assert.equal(
        await page.locator('input[name="callbackURL"]').first().inputValue(),
        MEMBERS.path,
        'the sign-in form carries the callbackURL',
      );
      await noProtectedContent(page);
      await screenshot(page, 'sign-in-after-redirect');

      // → sign-up, through the sign-in page's own link.
      const link = page.locator(`a[href*="${PAGES}/sign-up"]`).first();
      await Promise.all([page.waitForURL((u) => new URL(u).pathname === `${PAGES}/sign-up`), link.click()]);
      await page.locator('input[name="name"]').waitFor();
      assert.equal(
        await page.locator('input[name="callbackURL"]').first().inputValue(),
        MEMBERS.path,
        'the sign-up form still carries the callbackURL',
      );
      const email = uniqueEmail('journey');
      await fillSignUp(page, { name: 'Ada Lovelace', email, password: PASSWORD });
      await screenshot(page, 'sign-up-filled');

      // → create the account → back on the page first asked for, now served.
      await submitAndWait(page, submitOf(page, 'name'), (u) => showsPath(u, MEMBERS.path));
      await expectSitePage(page, MEMBERS);
      console.log(`# after sign-up: ${page.url()}`);
      const session = await sessionOf(page);
      assert.equal(session?.user?.email, email, `signed in as ${email}: ${JSON.stringify(session)}`);
      await screenshot(page, 'members-page-after-sign-up');

      // The rest of the site is open to this browser too.
      const home = await page.goto(url(HOME.path));
      assert.equal(home.status(), 200);
      await expectSitePage(page, HOME);
    } finally {
      await context.close();
    }
    assert.deepEqual(context.cspViolations, [], 'no Content-Security-Policy violations');
  });

  test('sign out, then visiting / redirects to sign-in again', async () => {
    const { context, page } = await newPage();
    try {
      // Signed in through the pages: / → sign-in → sign-up → /.
      await page.goto(url(HOME.path));
      assertOnSignIn(page, HOME.path);
      const link = page.locator(`a[href*="${PAGES}/sign-up"]`).first();
      await Promise.all([page.waitForURL((u) => new URL(u).pathname === `${PAGES}/sign-up`), link.click()]);
      await fillSignUp(page, { name: 'Grace Hopper', email: uniqueEmail('signout'), password: PASSWORD });
      await submitAndWait(page, submitOf(page, 'name'), (u) => showsPath(u, HOME.path));
      await expectSitePage(page, HOME);

      // GET /_auth/sign-out asks for confirmation; POSTing it signs out and lands on sign-in.
      const confirm = await page.goto(url(`${PAGES}/sign-out`));
      assert.equal(confirm.status(), 200);
      assert.equal(here(page).pathname, `${PAGES}/sign-out`, 'GET does not sign out by itself');
      assert.ok((await sessionOf(page))?.user, 'still signed in after the GET');
      await screenshot(page, 'sign-out-confirm');
      const button = page.locator('form button[type="submit"], form input[type="submit"]').first();
      await submitAndWait(page, button, (u) => u.pathname === `${PAGES}/sign-in`);
      assertOnSignIn(page);
      const after = await sessionOf(page);
      assert.ok(after === null || !after.user, `signed out: get-session gave ${JSON.stringify(after)}`);
      await screenshot(page, 'sign-in-after-sign-out');

      // Blocked again.
      const res = await page.goto(url(HOME.path));
      await assertSignedOutRedirect(res, HOME.path);
      assertOnSignIn(page, HOME.path);
      await noProtectedContent(page);
      await screenshot(page, 'blocked-again-after-sign-out');
    } finally {
      await context.close();
    }
    assert.deepEqual(context.cspViolations, [], 'no Content-Security-Policy violations');
  });

  test('a wrong password on sign-in shows the error and stays on the sign-in page', async () => {
    const email = uniqueEmail('wrongpw');
    await signUpByApi(email, PASSWORD);
    const { context, page } = await newPage();
    try {
      await page.goto(url(MEMBERS.path));
      assertOnSignIn(page, MEMBERS.path);
      await fillSignIn(page, { email, password: 'not the password at all' });
      const responded = page.waitForResponse((r) => r.request().method() === 'POST');
      await submitOf(page, 'password').click();
      const failed = await responded;
      await page.waitForLoadState('load');
      const alert = alertWithText(page);
      await alert.waitFor({ state: 'visible' });
      const text = (await alert.innerText()).trim();
      assertOnSignIn(page);
      await page.locator('input[name="password"]').waitFor();
      await noProtectedContent(page);
      const session = await sessionOf(page);
      assert.ok(session === null || !session.user, `not signed in: ${JSON.stringify(session)}`);
      await screenshot(page, 'sign-in-wrong-password');
      console.log(`# wrong password: ${failed.status()} ${JSON.stringify(text)} at ${page.url()}`);

      // The same form, with the right password (and rememberMe), still goes where it was asked to.
      const cb = await page.locator('input[name="callbackURL"]').first().inputValue();
      assert.equal(cb, MEMBERS.path, 'the callbackURL survives the failed attempt');
      await fillSignIn(page, { email, password: PASSWORD, rememberMe: true });
      await submitAndWait(page, submitOf(page, 'password'), (u) => showsPath(u, MEMBERS.path));
      await expectSitePage(page, MEMBERS);
      await screenshot(page, 'members-page-after-sign-in');
      const cookies = await context.cookies(BASE);
      const token = cookies.find((c) => c.name.endsWith('better-auth.session_token'));
      assert.ok(token, `a session cookie: ${cookies.map((c) => c.name).join(', ')}`);
      assert.ok(token.httpOnly, 'the session cookie is HttpOnly');
      assert.ok(token.expires > Date.now() / 1000, 'rememberMe: a persistent session cookie');
    } finally {
      await context.close();
    }
    assert.deepEqual(context.cspViolations, [], 'no Content-Security-Policy violations');
  });

  test('fetch() of a protected path asking for JSON while signed out gets 401', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(url(PUBLIC.path));
      await expectSitePage(page, PUBLIC);
      const results = await page.evaluate(async (paths) => {
        const out = {};
        for (const path of paths) {
          const res = await fetch(path, { headers: { accept: 'application/json' }, redirect: 'manual' });
          out[path] = { status: res.status, type: res.type, body: await res.text() };
        }
        return out;
      }, [MEMBERS.path, HOME.path]);
      console.log(`# signed-out fetch(): ${JSON.stringify(results)}`);
      for (const [path, r] of Object.entries(results)) {
        assert.equal(r.status, 401, `${path}: ${JSON.stringify(r)}`);
        assert.doesNotMatch(r.body, PROTECTED_TEXT, `${path}: no protected content in the 401`);
      }
    } finally {
      await context.close();
    }
    assert.deepEqual(context.cspViolations, [], 'no Content-Security-Policy violations');
  });

  test('a callbackURL to another origin is not followed after sign-in', async () => {
    // Loopback only: 127.0.0.2 is never contacted unless the gate redirects there, and nothing
    // answers on port 9 anyway.
    const email = uniqueEmail('redirect');
    await signUpByApi(email, PASSWORD);
    const { context, page } = await newPage();
    try {
      for (const evil of ['http://127.0.0.2:9/steal', '//127.0.0.2:9/steal', '/\\127.0.0.2:9/steal']) {
        await context.clearCookies();
        await page.goto(url(`${PAGES}/sign-in?callbackURL=${encodeURIComponent(evil)}`));
        await fillSignIn(page, { email, password: PASSWORD });
        const nav = page.waitForEvent('framenavigated');
        await submitOf(page, 'password').click();
        await nav;
        await page.waitForLoadState('load');
        assert.equal(here(page).origin, BASE, `stayed on the Worker's origin for ${evil} (at ${page.url()})`);
        console.log(`# callbackURL ${JSON.stringify(evil)}: ended at ${page.url()}`);
      }
    } finally {
      await context.close();
    }
    assert.deepEqual(context.cspViolations, [], 'no Content-Security-Policy violations');
  });

  test('the social sign-on button goes through the identity provider and lands on the callbackURL signed in', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(url(`${PAGES}/sign-in?callbackURL=${encodeURIComponent(MEMBERS.path)}`));
      const button = page.getByRole('link', { name: 'Continue with GitHub' });
      await button.waitFor();
      await screenshot(page, 'sign-in-with-social-button');
      // The Worker starts the flow (state cookie), the fake provider approves and redirects to
      // /api/auth/callback/github, which sets the session and redirects to the callbackURL.
      await Promise.all([
        page.waitForURL((u) => showsPath(new URL(u), MEMBERS.path), { waitUntil: 'load' }),
        button.click(),
      ]);
      await expectSitePage(page, MEMBERS);
      await screenshot(page, 'signed-in-through-github');
    } finally {
      await context.close();
    }
    assert.deepEqual(context.cspViolations, [], 'no Content-Security-Policy violations');
  });
});
