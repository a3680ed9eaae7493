import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { createEmailChannel, emailSubject, smtpTransportOptions } from './email-channel.ts';
import { startSilentSmtp } from '../../test/support/silent-smtp.ts';
import type { Notification } from './channel.ts';

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP sink on loopback. `rcptReply` lets a test refuse recipients with an SMTP code. */
async function smtpSink(rcptReply?: {
  code: number;
  message: string;
}): Promise<{ url: string; mails: Mail[]; close: () => Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, cb) {
      if (!rcptReply) return cb();
      const err = Object.assign(new Error(rcptReply.message), { responseCode: rcptReply.code });
      cb(err);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise((r) => server.close(() => r())) };
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`); whitespace between adjacent words is dropped. */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_m, enc: string, data: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(
          data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

/** Minimal MIME reading for the test: headers, and the decoded text/plain and text/html parts. */
function parseMail(raw: string): { headers: Map<string, string>; text: string; html: string } {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of head!.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type')!)![1]!;
  const parts = rest.join('\r\n\r\n').split(`--${boundary}`).slice(1, -1);
  const decoded: Record<string, string> = {};
  for (const part of parts) {
    const [ph, ...pb] = part.replace(/^\r\n/, '').split('\r\n\r\n');
    let body = pb.join('\r\n\r\n').replace(/\r\n$/, '');
    const type = /content-type:\s*([^;\r\n]+)/i.exec(ph!)![1]!.trim();
    const enc = /content-transfer-encoding:\s*(\S+)/i.exec(ph!)?.[1]?.toLowerCase();
    if (enc === 'quoted-printable') {
      body = Buffer.from(
        body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8');
    } else if (enc === 'base64') {
      body = Buffer.from(body, 'base64').toString('utf8');
    }
    decoded[type] = body.replace(/\r\n/g, '\n');
  }
  return { headers, text: decoded['text/plain']!, html: decoded['text/html']! };
}

const msg: Notification = {
  kind: 'incident.triggered',
  incident: {
    id: 'inc_9',
    type: 'data_corruption',
    severity: 'critical',
    status: 'triggered',
    title: 'Integrity errors in <orders> & "payments"',
    description: 'Checksum mismatch <img src=x onerror=alert(1)>',
    created_at: '2026-03-02T08:00:00.000Z',
    ack_deadline: '2026-03-02T08:15:00.000Z',
  },
  level: 1,
  ackUrl: 'https://firebreak.example/ack/tok.sig?x=1&y="2"',
  recipient: { id: 'alice', name: 'Alice', email: 'alice@example.com' },
};

test('email through a real SMTP sink: subject, text and escaped HTML with the acknowledge link', async (t) => {
  const sink = await smtpSink();
  t.after(sink.close);
  const channel = createEmailChannel({ name: 'mail', smtp_url: sink.url, from: 'firebreak@example.com', to: ['ops@example.com'] });
  const result = await channel.send(msg);
  assert.deepEqual(result, { ok: true, retryable: false });
  assert.equal(sink.mails.length, 1);
  const mail = sink.mails[0]!;
  assert.equal(mail.from, 'firebreak@example.com');
  assert.deepEqual(mail.to, ['alice@example.com'], 'the recipient address wins over the channel `to`');

  const { headers, text, html } = parseMail(mail.raw);
  assert.equal(decodeWords(headers.get('subject')!), '[FIREBREAK][CRITICAL] Integrity errors in <orders> & "payments"');
  assert.equal(headers.get('references'), '<incident-inc_9@firebreak>');
  assert.equal(headers.get('x-firebreak-incident'), 'inc_9');

  assert.match(text, /\[CRITICAL\] Incident triggered: Integrity errors in <orders> & "payments"/);
  assert.match(text, /Acknowledge by: 2026-03-02T08:15:00.000Z/);
  assert.ok(text.includes('Acknowledge: https://firebreak.example/ack/tok.sig?x=1&y="2"'));

  assert.ok(html.includes('Integrity errors in &lt;orders&gt; &amp; &quot;payments&quot;'));
  assert.ok(html.includes('Checksum mismatch &lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(!html.includes('<img') && !html.includes('<orders>'), 'no unescaped markup from incident data');
  assert.ok(html.includes('<a href="https://firebreak.example/ack/tok.sig?x=1&amp;y=&quot;2&quot;"><strong>Acknowledge</strong></a>'));
});

test('without a recipient address the channel `to` list is used; with neither, a final error', async (t) => {
  const sink = await smtpSink();
  t.after(sink.close);
  const noRecipient = { ...msg, recipient: undefined };
  const channel = createEmailChannel({
    name: 'mail',
    smtp_url: sink.url,
    from: 'firebreak@example.com',
    to: ['ops@example.com', 'sec@example.com'],
  });
  assert.equal((await channel.send(noRecipient)).ok, true);
  assert.deepEqual(sink.mails[0]!.to, ['ops@example.com', 'sec@example.com']);

  const bare = createEmailChannel({ name: 'mail', smtp_url: sink.url, from: 'firebreak@example.com' });
  assert.deepEqual(await bare.send(noRecipient), { ok: false, error: 'mail: no recipient address', retryable: false });
  assert.equal(sink.mails.length, 1);
});

test('SMTP replies decide retryability: 4xx retryable, 5xx final; a dead server is retryable', async (t) => {
  const cases: [number, boolean][] = [
    [450, true],
    [550, false],
  ];
  for (const [code, retryable] of cases) {
    const sink = await smtpSink({ code, message: `refused with ${code}` });
    t.after(sink.close);
    const r = await createEmailChannel({ name: 'mail', smtp_url: sink.url, from: 'firebreak@example.com' }).send(msg);
    assert.equal(r.ok, false, String(code));
    assert.equal(r.status, code);
    assert.equal(r.retryable, retryable, String(code));
    assert.equal(sink.mails.length, 0);
  }
  const sink = await smtpSink();
  await sink.close();
  const dead = await createEmailChannel({ name: 'mail', smtp_url: sink.url, from: 'firebreak@example.com' }, { timeoutMs: 2000 }).send(msg);
  assert.equal(dead.ok, false);
  assert.equal(dead.retryable, true);
});

test('subjects name the kind for everything but a trigger', () => {
  const cases: [Notification['kind'], number | undefined, string][] = [
    ['incident.triggered', undefined, '[FIREBREAK][CRITICAL] T'],
    ['incident.escalated', 3, '[FIREBREAK][CRITICAL] T (escalated to level 3)'],
    ['incident.acknowledged', undefined, '[FIREBREAK][CRITICAL] T (acknowledged)'],
    ['incident.resolved', undefined, '[FIREBREAK][CRITICAL] T (resolved)'],
    ['reminder', undefined, '[FIREBREAK][CRITICAL] T (reminder)'],
    ['test', undefined, '[FIREBREAK][CRITICAL] T (test)'],
  ];
  for (const [kind, level, want] of cases) {
    assert.equal(emailSubject({ ...msg, kind, level, incident: { ...msg.incident, title: 'T' } }), want);
  }
  assert.equal(emailSubject({ ...msg, incident: { ...msg.incident, title: 'a\r\nBcc: x@y' } }), '[FIREBREAK][CRITICAL] a Bcc: x@y');
});

test('a server that greets and goes silent, or never greets, fails the attempt after the timeout, retryable', async (t) => {
  for (const greet of [true, false]) {
    const peer = await startSilentSmtp({ greet });
    t.after(peer.close);
    const started = process.hrtime.bigint();
    const r = await createEmailChannel({ name: 'mail', smtp_url: peer.url, from: 'firebreak@example.com' }, { timeoutMs: 300 }).send(msg);
    const tookMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(r.ok, false, `greet=${greet}`);
    assert.equal(r.retryable, true, `greet=${greet}: a timeout is worth retrying`);
    assert.match(r.error!, /^mail: ETIMEDOUT /, `greet=${greet}: ${r.error}`);
    assert.equal(peer.accepted, 1);
    if (greet) assert.match(peer.received, /^EHLO /, 'the greeting was answered, then the server went silent');
    // Not a timing assertion on the machine's speed: nodemailer's defaults are
    // 30 s (greeting) and 10 min (socket), so finishing before them proves ours applied.
    assert.ok(tookMs < 30_000, `greet=${greet}: gave up after ${tookMs} ms, not nodemailer's default`);
  }
});

test('the transport is built with the timeouts (nodemailer.createTransport({url, ...}) would drop them)', () => {
  const smtp = new SMTPTransport(smtpTransportOptions('smtp://127.0.0.1:2525', 1234));
  const o = smtp.options as SMTPTransport.Options;
  assert.equal(o.host, '127.0.0.1');
  assert.equal(o.port, 2525);
  assert.equal(o.greetingTimeout, 1234);
  assert.equal(o.connectionTimeout, 1234);
  assert.equal(o.socketTimeout, 1234);
  // What the old code did: every key but the URL is lost.
  const lost = nodemailer.createTransport({ url: 'smtp://127.0.0.1:2525', greetingTimeout: 1234 } as SMTPTransport.Options);
  assert.equal((lost.transporter as unknown as { options: SMTPTransport.Options }).options.greetingTimeout, undefined);
});
