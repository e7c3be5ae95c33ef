// Two-factor through the official client and twoFactorClient (better-auth/client/plugins, 1.7.25): enrolment
// with a TOTP code computed here from the enrolment URI (RFC 6238, HMAC-SHA1), the sign-in interception
// (onTwoFactorRedirect), trusted devices, backup codes, and the error paths (wrong code, spent challenge,
// replayed backup code).
//
// The server must have the twoFactor plugin on: the Better Auth reference does (reference/auth.mjs), and
// scripts/client-suite.sh enables it in its default configuration.
//
// Run against the Better Auth reference: scripts/reference-suite.sh two-factor.test.mjs
// Against Portcullis:                    scripts/client-suite.sh native|worker two-factor.test.mjs

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { twoFactorClient } from 'better-auth/client/plugins';
import { PASSWORD, SESSION_TOKEN, makeClient, totp, uniqueEmail } from './helpers.mjs';

const TWO_FACTOR = 'better-auth.two_factor';
const TRUST_DEVICE = 'better-auth.trust_device';

const wrongCode = (uri) => (totp(uri) === '000000' ? '111111' : '000000');

function twoFactorUser() {
  const redirects = [];
  const c = makeClient({ plugins: [twoFactorClient({ onTwoFactorRedirect: () => redirects.push(true) })] });
  return { ...c, redirects };
}

/** Signs a new user up and turns TOTP on; returns { email, uri, backupCodes }. */
async function enrolled(label) {
  const c = twoFactorUser();
  const email = uniqueEmail(label);
  await c.client.signUp.email({ email, password: PASSWORD, name: 'Two Factor' });
  const enabled = await c.client.twoFactor.enable({ password: PASSWORD });
  assert.equal(enabled.error, null, JSON.stringify(enabled.error));
  const uri = enabled.data.totpURI;
  const verified = await c.client.twoFactor.verifyTotp({ code: totp(uri) });
  assert.equal(verified.error, null, JSON.stringify(verified.error));
  return { email, uri, backupCodes: enabled.data.backupCodes, owner: c };
}

describe('two-factor (twoFactorClient)', () => {
  test('enable returns a TOTP URI and backup codes; a first code turns two-factor on', async () => {
    const c = twoFactorUser();
    const email = uniqueEmail('2fa');
    await c.client.signUp.email({ email, password: PASSWORD, name: 'Dave' });
    const wrongPassword = await c.client.twoFactor.enable({ password: 'not-the-password' });
    assert.equal(wrongPassword.error.status, 400);
    assert.equal(wrongPassword.error.code, 'INVALID_PASSWORD');
    const enabled = await c.client.twoFactor.enable({ password: PASSWORD });
    assert.equal(enabled.data.method, 'totp');
    const uri = new URL(enabled.data.totpURI);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), `/Better Auth:${email}`);
    assert.equal(uri.searchParams.get('issuer'), 'Better Auth');
    assert.equal(enabled.data.backupCodes.length, 10);
    assert.ok(enabled.data.backupCodes.every((code) => /^[a-zA-Z0-9]{5}-[a-zA-Z0-9]{5}$/.test(code)));
    const before = await c.client.getSession({ query: { disableCookieCache: true } });
    assert.equal(before.data.user.twoFactorEnabled, false);

    const wrong = await c.client.twoFactor.verifyTotp({ code: wrongCode(enabled.data.totpURI) });
    assert.equal(wrong.error.status, 401);
    assert.equal(wrong.error.code, 'INVALID_CODE');
    const verified = await c.client.twoFactor.verifyTotp({ code: totp(enabled.data.totpURI) });
    assert.equal(verified.error, null, JSON.stringify(verified.error));
    const after = await c.client.getSession({ query: { disableCookieCache: true } });
    assert.equal(after.data.user.twoFactorEnabled, true);
    const again = await c.client.twoFactor.enable({ password: PASSWORD });
    assert.equal(again.error.code, 'TOTP_ALREADY_ENABLED');
    const uriAgain = await c.client.twoFactor.getTotpUri({ password: PASSWORD });
    assert.equal(uriAgain.data.totpURI, enabled.data.totpURI);
  });

  test('sign-in is intercepted, then completed with a TOTP code', async () => {
    const { email, uri } = await enrolled('2fa');
    const c = twoFactorUser();
    const challenged = await c.client.signIn.email({ email, password: PASSWORD });
    assert.equal(challenged.error, null);
    assert.equal(challenged.data.twoFactorRedirect, true);
    assert.deepEqual(challenged.data.twoFactorMethods, ['totp']);
    assert.equal(c.redirects.length, 1, 'onTwoFactorRedirect fired');
    assert.ok(!c.jar.get(SESSION_TOKEN), 'no session yet');
    assert.ok(c.jar.get(TWO_FACTOR), 'two_factor cookie set');
    assert.equal((await c.client.getSession()).data, null);

    const wrong = await c.client.twoFactor.verifyTotp({ code: wrongCode(uri) });
    assert.equal(wrong.error.status, 401);
    assert.equal(wrong.error.code, 'INVALID_CODE');
    const verified = await c.client.twoFactor.verifyTotp({ code: totp(uri) });
    assert.equal(verified.error, null, JSON.stringify(verified.error));
    assert.equal(verified.data.user.email, email);
    assert.ok(c.jar.get(SESSION_TOKEN));
    assert.ok(!c.jar.get(TWO_FACTOR), 'two_factor cookie expired');
    assert.equal((await c.client.getSession()).data.user.email, email);
  });

  test('without a challenge cookie or a session, verify-totp is INVALID_TWO_FACTOR_COOKIE', async () => {
    const res = await twoFactorUser().client.twoFactor.verifyTotp({ code: '123456' });
    assert.equal(res.error.status, 401);
    assert.equal(res.error.code, 'INVALID_TWO_FACTOR_COOKIE');
  });

  test('five wrong codes spend the challenge', async () => {
    const { email, uri } = await enrolled('2fa');
    const c = twoFactorUser();
    await c.client.signIn.email({ email, password: PASSWORD });
    for (let i = 0; i < 5; i += 1) {
      const r = await c.client.twoFactor.verifyTotp({ code: wrongCode(uri) });
      assert.equal(r.error.code, 'INVALID_CODE', `attempt ${i + 1}`);
    }
    const sixth = await c.client.twoFactor.verifyTotp({ code: totp(uri) });
    assert.equal(sixth.error.status, 400);
    assert.equal(sixth.error.code, 'TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE');
  });

  test('ten failed codes lock the second factor: even the right code is refused (429)', async () => {
    const { email, uri } = await enrolled('2fa');
    for (let round = 0; round < 2; round += 1) {
      const c = twoFactorUser();
      await c.client.signIn.email({ email, password: PASSWORD });
      for (let i = 0; i < 5; i += 1) {
        const r = await c.client.twoFactor.verifyTotp({ code: wrongCode(uri) });
        assert.equal(r.error.code, 'INVALID_CODE', `round ${round + 1}, attempt ${i + 1}`);
      }
    }
    const c = twoFactorUser();
    await c.client.signIn.email({ email, password: PASSWORD });
    const locked = await c.client.twoFactor.verifyTotp({ code: totp(uri) });
    assert.equal(locked.error.status, 429);
    assert.equal(locked.error.code, 'ACCOUNT_TEMPORARILY_LOCKED');
  });

  test('a trusted device skips the challenge next time, and its cookie is rotated', async () => {
    const { email, uri } = await enrolled('2fa');
    const c = twoFactorUser();
    await c.client.signIn.email({ email, password: PASSWORD });
    const verified = await c.client.twoFactor.verifyTotp({ code: totp(uri), trustDevice: true });
    assert.equal(verified.error, null);
    const trust = c.jar.get(TRUST_DEVICE);
    assert.ok(trust, 'trust_device cookie set');
    await c.client.signOut();
    assert.equal(c.jar.get(TRUST_DEVICE), trust, 'sign-out keeps the trusted device');
    const again = await c.client.signIn.email({ email, password: PASSWORD });
    assert.equal(again.error, null);
    assert.equal(again.data.twoFactorRedirect, undefined);
    assert.equal(again.data.user.email, email);
    assert.equal(c.redirects.length, 1);
    assert.notEqual(c.jar.get(TRUST_DEVICE), trust, 'rotated');
  });

  test('a backup code completes a sign-in once', async () => {
    const { email, backupCodes } = await enrolled('2fa');
    const c = twoFactorUser();
    await c.client.signIn.email({ email, password: PASSWORD });
    const used = await c.client.twoFactor.verifyBackupCode({ code: backupCodes[0] });
    assert.equal(used.error, null, JSON.stringify(used.error));
    assert.equal((await c.client.getSession()).data.user.email, email);
    const d = twoFactorUser();
    await d.client.signIn.email({ email, password: PASSWORD });
    const replay = await d.client.twoFactor.verifyBackupCode({ code: backupCodes[0] });
    assert.equal(replay.error.status, 401);
    assert.equal(replay.error.code, 'INVALID_BACKUP_CODE');
  });

  test('new backup codes replace the old ones; disable turns two-factor off', async () => {
    const { email, backupCodes, owner } = await enrolled('2fa');
    const fresh = await owner.client.twoFactor.generateBackupCodes({ password: PASSWORD });
    assert.equal(fresh.error, null, JSON.stringify(fresh.error));
    assert.equal(fresh.data.status, true);
    assert.equal(fresh.data.backupCodes.length, 10);
    const c = twoFactorUser();
    await c.client.signIn.email({ email, password: PASSWORD });
    const old = await c.client.twoFactor.verifyBackupCode({ code: backupCodes[1] });
    assert.equal(old.error.code, 'INVALID_BACKUP_CODE');

    const disabled = await owner.client.twoFactor.disable({ password: PASSWORD });
    assert.deepEqual(disabled.data, { status: true });
    const plain = await twoFactorUser().client.signIn.email({ email, password: PASSWORD });
    assert.equal(plain.data.twoFactorRedirect, undefined);
    assert.equal(plain.data.user.twoFactorEnabled, false);
  });
});
