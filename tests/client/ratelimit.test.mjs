// Rate limiting as Better Auth 1.7.25 answers it (WIRE.md §6), seen by the official client and on the wire.
// Needs a server with rate limiting on and `x-forwarded-for` among its IP headers: scripts/ratelimit-suite.sh
// starts one (native or Worker) and sets RATE_LIMIT_TEST=1; without that variable this file skips itself, so
// the ordinary client suites (rate limiting off on an http baseURL) stay as they are.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { ORIGIN, PASSWORD, makeClient, plainRequest, signUpNew } from './helpers.mjs';

const enabled = process.env.RATE_LIMIT_TEST === '1';
const BODY_429 = '{"message":"Too many requests. Please try again later."}';

/** A client address of our own (TEST-NET-3 plus randomness), so reruns and other tests never share a bucket. */
function randomIp() {
  return `203.0.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

function signInRaw(email, ip, password = PASSWORD) {
  return plainRequest('/sign-in/email', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, 'x-forwarded-for': ip },
    body: JSON.stringify({ email, password }),
  });
}

describe('rate limiting (Better Auth special rule: /sign-in* 3 per 10 s)', { skip: !enabled && 'set RATE_LIMIT_TEST=1 (scripts/ratelimit-suite.sh)' }, () => {
  test('the 4th sign-in from one IP within 10 s is 429 with x-retry-after and the exact body', async () => {
    const user = await signUpNew('ratelimit');
    const ip = randomIp();
    const { client } = makeClient();
    for (let i = 1; i <= 3; i += 1) {
      const { data, error } = await client.signIn.email(
        { email: user.email, password: PASSWORD },
        { headers: { 'x-forwarded-for': ip } },
      );
      assert.equal(error, null, `sign-in #${i}: ${JSON.stringify(error)}`);
      assert.equal(data.user.email, user.email);
    }

    const refused = await signInRaw(user.email, ip);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['x-retry-after'], '10');
    assert.equal(refused.headers['content-type'], 'application/json');
    assert.equal(refused.headers['retry-after'], undefined);
    assert.equal(refused.headers['set-cookie'], undefined);
    assert.equal(refused.body, BODY_429);

    // The official client reports it as an error with status 429 and Better Auth's message.
    const { data, error } = await client.signIn.email(
      { email: user.email, password: PASSWORD },
      { headers: { 'x-forwarded-for': ip } },
    );
    assert.equal(data, null);
    assert.equal(error.status, 429);
    assert.equal(error.message, 'Too many requests. Please try again later.');
  });

  test('another IP and another path have buckets of their own; wrong passwords count too', async () => {
    const user = await signUpNew('ratelimit-b');
    const ip = randomIp();
    for (let i = 1; i <= 3; i += 1) {
      const res = await signInRaw(user.email, ip, 'wrong-password-123');
      assert.equal(res.status, 401, `sign-in #${i}: ${res.body}`);
    }
    const refused = await signInRaw(user.email, ip);
    assert.equal(refused.status, 429);
    assert.ok(['9', '10'].includes(refused.headers['x-retry-after']), refused.headers['x-retry-after']);

    const other = await signInRaw(user.email, randomIp());
    assert.equal(other.status, 200, other.body);

    // Same IP, /sign-in/username: a separate key under the same rule (404 here: no username plugin).
    const elsewhere = await plainRequest('/sign-in/username', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN, 'x-forwarded-for': ip },
      body: '{}',
    });
    assert.notEqual(elsewhere.status, 429);
  });
});
