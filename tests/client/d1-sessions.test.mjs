// D1 read replication through the Sessions API ({"d1":{"readReplication":true}}), against the Worker in
// workerd: the bookmark cookie round-trips and a client always reads its own writes. Local D1 has no
// replicas, so this proves the plumbing (withSession from the cookie's bookmark, getBookmark into the
// cookie) and reads-your-writes, not replica routing.
// Runs only when D1_SESSIONS=1 (scripts/client-suite.sh worker with D1_SESSIONS=1); skipped otherwise.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { signUpNew } from './helpers.mjs';

const BOOKMARK = 'better-auth.d1_bookmark';
const skip = process.env.D1_SESSIONS !== '1' && 'needs the Worker with d1.readReplication (D1_SESSIONS=1)';

describe('D1 read replication (Sessions API)', { skip }, () => {
  test('a write hands the client a bookmark cookie, HttpOnly on path /', async () => {
    const c = await signUpNew('bookmark');
    const set = c.jar.cookie(BOOKMARK);
    assert.ok(set, `sign-up sets ${BOOKMARK}`);
    assert.match(set.value, /^[0-9a-zA-Z-]+$/);
    assert.equal(set.attributes.path, '/');
    assert.equal(set.attributes.httponly, true);
  });

  test('the client reads its own writes on every following request', async () => {
    const c = await signUpNew('ryw');
    const first = c.jar.get(BOOKMARK);
    const renamed = `Renamed ${Date.now()}`;
    const update = await c.client.updateUser({ name: renamed });
    assert.equal(update.error, null, JSON.stringify(update.error));
    const after = c.jar.get(BOOKMARK);
    assert.ok(after, 'the bookmark is still carried');
    assert.notEqual(after, first, 'a write moves the bookmark on');
    const { data } = await c.client.getSession({ query: { disableCookieCache: true } });
    assert.equal(data.user.name, renamed);
  });

  test('a malformed bookmark cookie is ignored, not an error', async () => {
    const c = await signUpNew('garbage');
    c.jar.set(BOOKMARK, 'not a bookmark!%00');
    const res = await c.fetch('/get-session?disableCookieCache=true');
    assert.equal(res.status, 200);
    assert.equal((await res.json()).user.email, c.email);
  });
});
