// A mail sink for tests: Portcullis's webhook mailer (email.provider = "webhook") posts each mail
// here as JSON, and the sink appends one JSON line per mail to a file, in the shape the Better Auth
// reference server's logMail writes (shared/better-auth/reference/auth.mjs):
//
//   {"t": "<ISO time>", "kind": "verify-email", "email": "...", "url": "...", "token": "...",
//    "subject": "...", "text": "..."}
//
// so a test reads mail from either server the same way. No dependencies.
//
//   node tests/client/mail-sink.mjs [LOG_FILE] [PORT]
//   MAIL_LOG=/tmp/mail.log MAIL_SINK_PORT=0 node tests/client/mail-sink.mjs
//
// Listens on 127.0.0.1 (port 0 = any free port) and prints its URL on the first line of stdout
// once it accepts connections: `mail-sink: http://127.0.0.1:<port>/`. Point the server at it
// with {"email": {"provider": "webhook", "webhookUrl": "<that URL>"}}. Any POST path is accepted;
// a body that is not a JSON object is answered 400, anything else 200. Ends on SIGTERM/SIGINT.

import fs from 'node:fs';
import http from 'node:http';

const logFile = process.argv[2] || process.env.MAIL_LOG;
if (!logFile) {
  console.error('mail-sink: give the log file as the first argument or MAIL_LOG');
  process.exit(2);
}
const port = Number(process.argv[3] ?? process.env.MAIL_SINK_PORT ?? 0);
const MAX_BODY = 1 << 20;

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST mail here\n');
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      res.writeHead(413).end();
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    let mail;
    try {
      mail = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      mail = undefined;
    }
    if (!mail || typeof mail !== 'object' || Array.isArray(mail)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('expected a JSON object\n');
      return;
    }
    const line = JSON.stringify({
      t: new Date().toISOString(),
      kind: mail.kind,
      email: mail.email ?? mail.to,
      url: mail.url,
      token: mail.token,
      subject: mail.subject,
      text: mail.text,
    });
    // Written before answering, so the mail is in the file when the server's request returns.
    fs.appendFileSync(logFile, line + '\n');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});

server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  console.log(`mail-sink: http://127.0.0.1:${actual}/`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
