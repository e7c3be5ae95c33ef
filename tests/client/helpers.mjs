// Shared helpers for the official-client test suite.
//
// The server under test is given by env AUTH_BASE_URL (scheme://host:port, no path); its Better Auth
// routes live under /api/auth. The Origin the "browser" sends is the origin of AUTH_BASE_URL, which is the
// server's own baseURL origin and therefore trusted (WIRE.md §5) — so AUTH_BASE_URL must be spelled exactly
// as the server's baseURL (127.0.0.1 and localhost are different origins).
//
// Node's fetch has no cookie jar, so each client made here gets its own: Set-Cookie headers are stored
// (Max-Age<=0 or an Expires in the past deletes), a Cookie header is sent on every request, and non-GET
// requests carry `Origin: <base origin>` as a browser would.

import { createAuthClient } from 'better-auth/client';
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

const rawBase = process.env.AUTH_BASE_URL;
if (!rawBase) {
  throw new Error('AUTH_BASE_URL is not set (e.g. AUTH_BASE_URL=http://127.0.0.1:3100 node --test)');
}
export const BASE_URL = rawBase.replace(/\/+$/, '');
export const ORIGIN = new URL(BASE_URL).origin;
export const API = `${BASE_URL}/api/auth`;

// Cookie names used by Better Auth over plain http (no __Secure- prefix).
export const SESSION_TOKEN = 'better-auth.session_token';
export const SESSION_DATA = 'better-auth.session_data';
export const DONT_REMEMBER = 'better-auth.dont_remember';

export const PASSWORD = 'correct-horse-battery';

/** Random suffix shared by every address made in this process, so reruns against one database work. */
export const RUN_ID = `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
let emailCounter = 0;
/** A fresh address for this run; `label` only helps reading server logs. */
export function uniqueEmail(label = 'user') {
  emailCounter += 1;
  return `${label}-${RUN_ID}-${emailCounter}@example.com`;
}

// ---------------------------------------------------------------------------------------------------------
// Cookie jar

/** Parse one Set-Cookie header line into { name, value, attributes, raw }. Attribute names are lower-cased. */
export function parseSetCookie(line) {
  const parts = line.split(';');
  const first = parts.shift();
  const eq = first.indexOf('=');
  const name = (eq === -1 ? first : first.slice(0, eq)).trim();
  const value = eq === -1 ? '' : first.slice(eq + 1).trim();
  const attributes = {};
  for (const part of parts) {
    const i = part.indexOf('=');
    const key = (i === -1 ? part : part.slice(0, i)).trim().toLowerCase();
    if (!key) continue;
    attributes[key] = i === -1 ? true : part.slice(i + 1).trim();
  }
  return { name, value, attributes, raw: line };
}

export class CookieJar {
  constructor() {
    /** @type {Map<string, {name:string, value:string, attributes:object, raw:string}>} */
    this.cookies = new Map();
    /** Parsed Set-Cookie lines of the most recent response (in order, deletions included). */
    this.lastSetCookies = [];
  }

  /** Apply the Set-Cookie lines of one response, in order. */
  store(setCookieLines) {
    this.lastSetCookies = setCookieLines.map(parseSetCookie);
    for (const c of this.lastSetCookies) {
      const maxAge = c.attributes['max-age'];
      const expires = c.attributes.expires;
      const expired =
        (maxAge !== undefined && maxAge !== true && Number(maxAge) <= 0) ||
        (maxAge === undefined && typeof expires === 'string' && Date.parse(expires) <= Date.now());
      if (expired) this.cookies.delete(c.name);
      else {
        // Re-setting a cookie keeps browsers' ordering simple enough for us: latest value wins.
        this.cookies.delete(c.name);
        this.cookies.set(c.name, c);
      }
    }
  }

  /** Raw (still percent-encoded) value of a cookie, or undefined. */
  get(name) {
    return this.cookies.get(name)?.value;
  }

  /** Full parsed cookie ({ name, value, attributes, raw }) as last stored, or undefined. */
  cookie(name) {
    return this.cookies.get(name);
  }

  has(name) {
    return this.cookies.has(name);
  }

  names() {
    return [...this.cookies.keys()];
  }

  /** Max-Age attribute as a number, or undefined when the cookie is a browser-session cookie. */
  maxAge(name) {
    const v = this.cookies.get(name)?.attributes['max-age'];
    return v === undefined || v === true ? undefined : Number(v);
  }

  /** The Set-Cookie of the last response for `name` (the last one if several), or undefined. */
  lastSet(name) {
    return this.lastSetCookies.filter((c) => c.name === name).at(-1);
  }

  header() {
    return [...this.cookies.values()].map((c) => `${c.name}=${c.value}`).join('; ');
  }

  clear() {
    this.cookies.clear();
  }

  /** Set a cookie by hand (e.g. to copy one client's session into a raw request). */
  set(name, value) {
    this.cookies.set(name, { name, value, attributes: {}, raw: `${name}=${value}` });
  }
}

/**
 * A browser-like fetch bound to a jar. Options per call (in init): `origin` — a string to send as Origin,
 * or `false` to send none (default: ORIGIN on non-GET/HEAD requests); `cookies: false` to send no Cookie.
 * Redirects are not followed (so Set-Cookie on a 302 is not lost and `location` can be inspected).
 */
export function makeJarFetch(jar, log = []) {
  return async function jarFetch(input, init = {}) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method || (typeof input === 'object' && input.method) || 'GET').toUpperCase();
    const headers = new Headers(init.headers || (typeof input === 'object' && input.headers) || undefined);
    const cookieHeader = jar.header();
    if (init.cookies !== false && cookieHeader && !headers.has('cookie')) headers.set('cookie', cookieHeader);
    if (method !== 'GET' && method !== 'HEAD' && !headers.has('origin')) {
      const origin = init.origin === undefined ? ORIGIN : init.origin;
      if (origin !== false) headers.set('origin', origin);
    }
    const res = await fetch(url, {
      method,
      headers,
      body: init.body,
      signal: init.signal,
      redirect: 'manual',
    });
    jar.store(res.headers.getSetCookie());
    log.push({ method, url, status: res.status, headers: res.headers });
    return res;
  };
}

/**
 * The official client with its own cookie jar (and, optionally, client plugins and fetch options).
 * Returns { client, jar, fetch, log } — `fetch(path, init)` is a jar-aware raw fetch relative to /api/auth,
 * `log` lists every response the jar saw ({ method, url, status, headers }).
 */
export function makeClient({ plugins = [], fetchOptions = {} } = {}) {
  const jar = new CookieJar();
  const log = [];
  const jarFetch = makeJarFetch(jar, log);
  const client = createAuthClient({
    baseURL: BASE_URL,
    plugins,
    fetchOptions: { customFetchImpl: jarFetch, ...fetchOptions },
  });
  return {
    client,
    jar,
    log,
    fetch: (path, init) => jarFetch(path.startsWith('http') ? path : `${API}${path}`, init),
    /** Headers of the most recent response seen through this jar. */
    lastHeaders: () => log.at(-1)?.headers,
  };
}

/**
 * Plain fetch against /api/auth with no jar, no Origin, no redirect following.
 * NB: Node's fetch (undici) always adds `sec-fetch-mode: cors`, which for cookie-less POSTs to the login
 * endpoints makes the server demand an Origin (WIRE.md §5). Use `plainRequest` to send exactly chosen headers.
 */
export function rawFetch(path, init = {}) {
  return fetch(`${API}${path}`, { redirect: 'manual', ...init });
}

/**
 * A curl-like request with exactly the given headers (plus Host/Connection/Content-Length from node:http):
 * no Sec-Fetch-*, no Origin, no Accept. Resolves to { status, headers (lower-cased object), body (string) }.
 */
export function plainRequest(path, { method = 'GET', headers = {}, body } = {}) {
  const url = new URL(`${API}${path}`);
  const lib = url.protocol === 'https:' ? https : http;
  const allHeaders = { ...headers };
  if (body !== undefined) allHeaders['content-length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, headers: allHeaders, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Sign up a fresh user through a new client. Returns { ...makeClient(), email, password, name, data }. */
export async function signUpNew(label = 'user', extra = {}) {
  const c = makeClient();
  const email = uniqueEmail(label);
  const name = `Test ${label}`;
  const { data, error } = await c.client.signUp.email({ email, password: PASSWORD, name, ...extra });
  if (error) throw new Error(`sign-up of ${email} failed: ${JSON.stringify(error)}`);
  return { ...c, email, password: PASSWORD, name, data };
}

/** Sign an existing user in through a new client. Returns { ...makeClient(), data }. */
export async function signInNew(email, password = PASSWORD, extra = {}) {
  const c = makeClient();
  const { data, error } = await c.client.signIn.email({ email, password, ...extra });
  if (error) throw new Error(`sign-in of ${email} failed: ${JSON.stringify(error)}`);
  return { ...c, data };
}

/** The unsigned part of a signed cookie value (`encodeURIComponent(value + "." + sig)`). */
export function unsignCookieValue(cookieValue) {
  const decoded = decodeURIComponent(cookieValue);
  const dot = decoded.lastIndexOf('.');
  return { value: decoded.slice(0, dot), signature: decoded.slice(dot + 1) };
}

export const CORE_USER_FIELDS = ['id', 'name', 'email', 'emailVerified', 'image', 'createdAt', 'updatedAt'];
export const CORE_SESSION_FIELDS = ['id', 'token', 'userId', 'expiresAt', 'createdAt', 'updatedAt', 'ipAddress', 'userAgent'];

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The TOTP for an otpauth:// enrolment URI at `at` (RFC 6238: HMAC-SHA1, its digits and period). */
export function totp(uri, at = Date.now()) {
  const url = new URL(uri);
  const key = base32Decode(url.searchParams.get('secret'));
  const period = Number(url.searchParams.get('period') || 30);
  const digits = Number(url.searchParams.get('digits') || 6);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / period)));
  const hash = createHmac('sha1', key).update(counter).digest();
  const offset = hash[hash.length - 1] & 15;
  const code = (hash.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}
