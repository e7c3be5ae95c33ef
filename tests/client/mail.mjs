// Captured mail for the official-client suite.
//
// The server under test "sends" mail into a JSON-lines file named by env MAIL_LOG, one mail per line:
//   the Better Auth reference (reference/auth.mjs, BA_MAIL_LOG) writes {t, kind, email, url, token};
//   tests/client/mail-sink.mjs (Portcullis' webhook mailer posts to it) writes {t, kind, email, url, token,
//   subject, text}.
// `kind` is "verify-email" (send-verification-email, and the change-email link sent to the new address),
// "reset-password" or "delete-account". Addresses are compared case-insensitively; a record's address is
// its `email` (or `to`, should a writer keep the webhook's field name).
//
// Delivery may lag the HTTP response (a Worker can post the webhook after answering), so the readers
// below poll the file for a short while instead of reading it once.

import fs from 'node:fs';

export const MAIL_LOG = process.env.MAIL_LOG;

/** How long waitForMail polls before giving up (env MAIL_WAIT_MS, default 5000 ms). */
export const MAIL_WAIT_MS = Number(process.env.MAIL_WAIT_MS || 5000);
/** How long expectNoMail watches for a stray mail (env MAIL_SETTLE_MS, default 750 ms). */
export const MAIL_SETTLE_MS = Number(process.env.MAIL_SETTLE_MS || 750);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function requireLog() {
  if (!MAIL_LOG) {
    throw new Error(
      'MAIL_LOG is not set: these tests read captured mail from that JSON-lines file ' +
        '(scripts/client-suite.sh and scripts/reference-suite.sh set it)',
    );
  }
  return MAIL_LOG;
}

/** The address a mail record was sent to, lower-cased. */
export function recipient(mail) {
  return String(mail.email ?? mail.to ?? '').toLowerCase();
}

/**
 * Every mail in the log so far, oldest first (an incomplete last line, still being written, is left out).
 * A missing file is an empty log.
 */
export function readMails() {
  let text;
  try {
    text = fs.readFileSync(requireLog(), 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n') ? lines : lines.slice(0, -1);
  const mails = [];
  for (const line of complete) {
    if (!line.trim()) continue;
    try {
      mails.push(JSON.parse(line));
    } catch {
      throw new Error(`${MAIL_LOG}: not a JSON line: ${line.slice(0, 200)}`);
    }
  }
  return mails;
}

/** Mails sent to `email` so far (optionally only of `kind`), oldest first. */
export function mailsFor(email, { kind } = {}) {
  const to = email.toLowerCase();
  return readMails().filter((m) => recipient(m) === to && (kind === undefined || [].concat(kind).includes(m.kind)));
}

/**
 * Waits until at least `count` mails (of `kind`, if given) have reached `email` and returns the `count`-th
 * one (so `count: mailsFor(email).length + 1` waits for the next mail). Fails after `timeout` ms, listing
 * what did arrive for that address.
 */
export async function waitForMail(email, { kind, count = 1, timeout = MAIL_WAIT_MS } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const found = mailsFor(email, { kind });
    if (found.length >= count) return found[count - 1];
    if (Date.now() >= deadline) {
      const any = mailsFor(email);
      throw new Error(
        `no ${kind ?? 'mail'} #${count} for ${email} in ${MAIL_LOG} within ${timeout} ms ` +
          `(mails to that address: ${JSON.stringify(any.map((m) => ({ kind: m.kind, url: m.url })))})`,
      );
    }
    await sleep(50);
  }
}

/**
 * Asserts that `email` receives no more than `count` mails (of `kind`, if given) while watching for
 * `settle` ms — a mail that is sent late still shows up.
 */
export async function expectNoMail(email, { kind, count = 0, settle = MAIL_SETTLE_MS } = {}) {
  const deadline = Date.now() + settle;
  for (;;) {
    const found = mailsFor(email, { kind });
    if (found.length > count) {
      throw new Error(
        `unexpected ${kind ?? 'mail'} for ${email}: ${JSON.stringify(found.slice(count).map((m) => ({ kind: m.kind, url: m.url })))}`,
      );
    }
    if (Date.now() >= deadline) return;
    await sleep(50);
  }
}

/** The decoded header and payload of a compact JWS (the verification links carry one). */
export function decodeJwt(token) {
  const [header, payload] = token.split('.');
  const dec = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  return { header: dec(header), payload: dec(payload) };
}
