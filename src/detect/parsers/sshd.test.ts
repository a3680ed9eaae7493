import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SshdParser } from './sshd.ts';
import { createLineParser } from './index.ts';

const us = (iso: string, frac = 0) => Date.parse(iso) * 1000 + frac;

type Want =
  { type: string; tsUs?: number; ip: string; user_id?: string; repeat?: number } | { skip: 'ignored' | 'unparseable'; reason?: string };

function check(line: string, want: Want, year = 2026): void {
  const p = new SshdParser({ year });
  const ev = p.parse(line);
  if ('skip' in want) {
    assert.equal(ev, null, line);
    assert.equal(p.skip, want.skip, `${line} (reason ${p.reason})`);
    if (want.reason) assert.equal(p.reason, want.reason, line);
    return;
  }
  assert.ok(ev, `${line}: ${p.skip} ${p.reason}`);
  assert.equal(ev.type, want.type, line);
  assert.equal(ev.ip, want.ip, line);
  assert.equal(ev.user_id, want.user_id, line);
  if (want.tsUs !== undefined) assert.equal(ev.tsUs, want.tsUs, line);
  assert.equal(p.repeat, want.repeat ?? 1, line);
}

const F = 'auth.login_failed';
const S = 'auth.login_succeeded';
const GOOD: [string, Want][] = [
  [
    'Mar  2 08:00:00 web1 sshd[1234]: Failed password for root from 203.0.113.5 port 52144 ssh2',
    { type: F, ip: '203.0.113.5', user_id: 'root', tsUs: us('2026-03-02T08:00:00Z') },
  ],
  [
    'Mar 12 23:59:59 web1 sshd[1234]: Failed password for invalid user admin from 203.0.113.5 port 1 ssh2',
    { type: F, ip: '203.0.113.5', user_id: 'admin', tsUs: us('2026-03-12T23:59:59Z') },
  ],
  [
    'Mar 2 08:00:00 web1 sshd[1]: Failed none for invalid user x from 203.0.113.5 port 1 ssh2',
    { type: F, ip: '203.0.113.5', user_id: 'x' },
  ],
  [
    'Mar  2 08:00:00 web1 sshd[1]: Failed keyboard-interactive/pam for bob from 2001:DB8:0:0::1 port 22 ssh2',
    { type: F, ip: '2001:db8::1', user_id: 'bob' },
  ],
  [
    '2026-03-02T08:00:00.218229+00:00 web1 sshd[99]: Failed password for root from 203.0.113.5 port 22 ssh2',
    { type: F, ip: '203.0.113.5', user_id: 'root', tsUs: us('2026-03-02T08:00:00Z', 218229) },
  ],
  [
    '2026-03-02T09:00:00.5+01:00 web1 sshd[99]: Failed password for root from 203.0.113.5 port 22 ssh2',
    { type: F, ip: '203.0.113.5', user_id: 'root', tsUs: us('2026-03-02T08:00:00Z', 500000) },
  ],
  [
    '2026-03-02T08:00:00Z web1 sshd-session[99]: Failed password for root from 203.0.113.5 port 22 ssh2 [preauth]',
    { type: F, ip: '203.0.113.5', user_id: 'root', tsUs: us('2026-03-02T08:00:00Z') },
  ],
  ['Mar  2 08:00:00 web1 sshd: Invalid user oracle from 198.51.100.7 port 40000', { type: F, ip: '198.51.100.7', user_id: 'oracle' }],
  ['Mar  2 08:00:00 web1 sshd[5]: Invalid user oracle from 198.51.100.7', { type: F, ip: '198.51.100.7', user_id: 'oracle' }],
  ['Mar  2 08:00:00 web1 sshd[5]: Invalid user  from 1.2.3.4 port 5', { type: F, ip: '1.2.3.4', user_id: undefined }],
  ['Mar  2 08:00:00 web1 sshd[5]: Invalid user a b from 1.2.3.4 port 5', { type: F, ip: '1.2.3.4', user_id: 'a b' }],
  // The user name is attacker-chosen: the address is the one sshd wrote last.
  [
    'Mar  2 08:00:00 web1 sshd[5]: Failed password for invalid user x from 9.9.9.9 port 1 from 1.2.3.4 port 22 ssh2',
    { type: F, ip: '1.2.3.4', user_id: 'x from 9.9.9.9 port 1' },
  ],
  [
    'Mar  2 08:00:00 web1 sshd[5]: Accepted publickey for alice from 192.0.2.10 port 50000 ssh2: ED25519 SHA256:abc/def+ghi',
    { type: S, ip: '192.0.2.10', user_id: 'alice' },
  ],
  [
    'Mar  2 08:00:00 web1 sshd[5]: Accepted password for bob from ::ffff:192.0.2.10 port 50000 ssh2',
    { type: S, ip: '192.0.2.10', user_id: 'bob' }, // IPv4-mapped: keyed as the IPv4 address
  ],
  ['Mar  2 08:00:00 sshd[5]: Failed password for root from 203.0.113.5 port 52144 ssh2', { type: F, ip: '203.0.113.5', user_id: 'root' }],
  // fail2ban counts a Failed line without a port (old OpenSSH, some PAM stacks).
  ['Mar  2 08:00:00 web1 sshd[5]: Failed password for root from 1.2.3.4', { type: F, ip: '1.2.3.4', user_id: 'root' }],
  // ISO 8601 without an offset: the source's time_zone (UTC by default).
  [
    '2026-03-02T08:00:00 web1 sshd[5]: Failed password for root from 1.2.3.4 port 22 ssh2',
    { type: F, ip: '1.2.3.4', user_id: 'root', tsUs: us('2026-03-02T08:00:00Z') },
  ],
  [
    'Mar  2 08:00:00 web1 sshd[5]: message repeated 3 times: [ Failed password for root from 203.0.113.5 port 22 ssh2]',
    { type: F, ip: '203.0.113.5', user_id: 'root', repeat: 3 },
  ],
  [
    'Mar  2 08:00:00 web1 sshd[5]: message repeated 2 times: [ Invalid user x from 203.0.113.5]',
    { type: F, ip: '203.0.113.5', user_id: 'x', repeat: 2 },
  ],
];

test('sshd: lines that count, with both timestamp styles', () => {
  for (const [line, want] of GOOD) check(line, want);
});

const BAD: [string, Want][] = [
  [
    'Mar  2 08:00:00 web1 sshd[5]: Failed publickey for root from 203.0.113.5 port 22 ssh2',
    { skip: 'ignored', reason: 'not a failure' }, // a user with several keys; counts only with a later failure
  ],
  [
    'Mar  2 08:00:00 web1 sshd[5]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root',
    { skip: 'ignored' },
  ],
  ['Mar  2 08:00:00 web1 sshd[5]: Connection closed by invalid user admin 203.0.113.5 port 22 [preauth]', { skip: 'ignored' }],
  ['Mar  2 08:00:00 web1 sshd[5]: Disconnected from authenticating user root 203.0.113.5 port 22 [preauth]', { skip: 'ignored' }],
  ['Mar  2 08:00:00 web1 sshd[5]: message repeated 2 times: [ pam_unix(sshd:auth): authentication failure]', { skip: 'ignored' }],
  ['Mar  2 08:00:00 web1 sshd[5]: message repeated 2 times: [ Failed publickey for root from 1.2.3.4 port 2 ssh2]', { skip: 'ignored' }],
  ['Mar  2 08:00:00 web1 CRON[77]: Failed password for root from 203.0.113.5 port 22 ssh2', { skip: 'ignored', reason: 'other program' }],
  ['Mar  2 08:00:00 web1 sshdx[5]: Failed password for root from 203.0.113.5 port 22 ssh2', { skip: 'ignored', reason: 'other program' }],
  ['Mar  2 08:00:00 web1 -- MARK --', { skip: 'ignored' }],
  ['', { skip: 'ignored', reason: 'blank line' }],
  [
    'Mar  2 08:00:00 web1 sshd[5]: Failed password for root from web.example.com port 22 ssh2',
    { skip: 'unparseable', reason: 'invalid address' },
  ],
  [
    'Mar  2 08:00:00 web1 sshd[5]: Failed password for root from fe80::1%eth0 port 22 ssh2',
    { skip: 'unparseable', reason: 'invalid address' },
  ],
  ['Mar  2 08:00:00 web1 sshd[5]: Failed password for root', { skip: 'unparseable', reason: 'no source address' }],
  ['Mar  2 08:00:00 web1 sshd[5]: Failed password', { skip: 'ignored' }],
  [
    'Feb 30 08:00:00 web1 sshd[5]: Failed password for root from 1.2.3.4 port 22 ssh2',
    { skip: 'unparseable', reason: 'invalid timestamp' },
  ],
  [
    'Mar  2 25:00:00 web1 sshd[5]: Failed password for root from 1.2.3.4 port 22 ssh2',
    { skip: 'unparseable', reason: 'invalid timestamp' },
  ],
  ['Foo  2 08:00:00 web1 sshd[5]: Failed password for root from 1.2.3.4 port 22 ssh2', { skip: 'unparseable' }],
  ['2026-03-02 web1 sshd[5]: Failed password for root from 1.2.3.4 port 22 ssh2', { skip: 'unparseable' }],
  ['garbage', { skip: 'unparseable' }],
];

test('sshd: ignored and unparseable lines', () => {
  for (const [line, want] of BAD) check(line, want);
});

test('sshd: parseRange inside a larger text never reads across the line end', () => {
  for (const [line] of [...GOOD, ...BAD]) {
    for (const [before, after] of [
      ['', ''],
      ['x\n', '\n port 22 ssh2'],
      ['Mar  2 08:00:00 web1 sshd[5]: Invalid user a from 9.9.9.9\n', '\r\n from 8.8.8.8 port 1'],
    ]) {
      const text = before + line + after;
      const a = new SshdParser({ year: 2026 });
      const b = new SshdParser({ year: 2026 });
      if (before) {
        b.parseRange(before, 0, before.length - 1);
        a.parse(before.slice(0, -1));
      }
      const end = before.length + line.length;
      assert.deepEqual(b.parseRange(text, before.length, end), a.parse(line), JSON.stringify(text));
      assert.deepEqual([b.skip, b.reason, b.repeat], [a.skip, a.reason, a.repeat], JSON.stringify(text));
    }
  }
  const p = new SshdParser({ year: 2026 });
  const t = 'Mar  2 08:00:00 web1 sshd[5]: Failed password for root from 1.2.3.4\n port 22 ssh2';
  assert.equal(p.parseRange(t, 0, t.indexOf('\n'))?.ip, '1.2.3.4');
  const t2 = 'Mar  2 08:00:00 web1 sshd[5]: Failed password for root\n from 1.2.3.4 port 22 ssh2';
  assert.equal(p.parseRange(t2, 0, t2.indexOf('\n')), null);
  const u = 'Mar  2 08:00:00\n web1 sshd[5]: Invalid user x from 1.2.3.4';
  assert.equal(p.parseRange(u, 0, u.indexOf('\n')), null);
  assert.equal(p.reason, 'invalid syslog header');
});

test('sshd: the year comes from the option, else the current year', () => {
  const line = 'Feb 29 10:00:00 h sshd[1]: Failed password for root from 1.2.3.4 port 2 ssh2';
  assert.equal(new SshdParser({ year: 2028 }).parse(line)?.tsUs, us('2028-02-29T10:00:00Z'));
  const p = createLineParser('sshd', { now: () => new Date('2024-06-01T00:00:00Z') });
  assert.equal(p.parse(line)?.tsUs, us('2024-02-29T10:00:00Z'));
  assert.equal(new SshdParser({ year: 2026 }).parse(line), null, 'no Feb 29 in 2026');
});

test('sshd: a timestamp more than six months before the previous one rolls into the next year', () => {
  const line = (t: string) => `${t} h sshd[1]: Failed password for root from 1.2.3.4 port 2 ssh2`;
  const p = new SshdParser({ year: 2025 });
  const seq: [string, string][] = [
    ['Dec 31 23:59:59', '2025-12-31T23:59:59Z'],
    ['Dec 31 23:00:00', '2025-12-31T23:00:00Z'], // slightly back: same year
    ['Jan  1 00:00:01', '2026-01-01T00:00:01Z'], // more than six months back: next year
    ['Mar  1 00:00:00', '2026-03-01T00:00:00Z'],
    ['Feb  1 00:00:00', '2026-02-01T00:00:00Z'], // back one month: same year
  ];
  for (const [t, want] of seq) assert.equal(p.parse(line(t))?.tsUs, us(want), t);
  // Exactly six months back stays in the year; one second more rolls over.
  const q = new SshdParser({ year: 2026 });
  q.parse(line('Jul  1 00:00:00'));
  assert.equal(q.parse(line('Jan  1 00:00:00'))?.tsUs, us('2026-01-01T00:00:00Z'), 'exactly six months before Jul 1 00:00:00');
  const r = new SshdParser({ year: 2026 });
  r.parse(line('Jul  1 00:00:01'));
  assert.equal(r.parse(line('Jan  1 00:00:00'))?.tsUs, us('2027-01-01T00:00:00Z'), 'more than six months before Jul 1 00:00:01');
});

test('sshd: ignored lines also advance the year inference; the state is per parser (file)', () => {
  const p = new SshdParser({ year: 2025 });
  assert.equal(p.parse('Dec 31 23:59:59 h CRON[1]: (root) CMD (true)'), null);
  assert.equal(p.parse('Jan  1 00:00:05 h sshd[1]: Invalid user x from 1.2.3.4')?.tsUs, us('2026-01-01T00:00:05Z'));
  const fresh = new SshdParser({ year: 2025 });
  assert.equal(fresh.parse('Jan  1 00:00:05 h sshd[1]: Invalid user x from 1.2.3.4')?.tsUs, us('2025-01-01T00:00:05Z'));
});

test('sshd: repeated seconds reuse the previous value without hiding a rollover', () => {
  const line = (t: string) => `${t} h sshd[1]: Failed password for root from 1.2.3.4 port 2 ssh2`;
  const p = new SshdParser({ year: 2026 });
  const seq: [string, string][] = [
    ['Mar  1 00:00:05', '2026-03-01T00:00:05Z'],
    ['Mar  1 00:00:05', '2026-03-01T00:00:05Z'],
    ['Mar  1 00:00:05.25', '2026-03-01T00:00:05.250Z'],
    ['Oct  1 00:00:00.5', '2026-10-01T00:00:00.500Z'],
    ['Mar  1 00:00:05', '2027-03-01T00:00:05Z'], // more than six months before Oct 1: next year, cache or not
    ['Mar  1 00:00:05', '2027-03-01T00:00:05Z'],
    ['Mar  1 00:00:06', '2027-03-01T00:00:06Z'],
  ];
  for (const [t, want] of seq) assert.equal(p.parse(line(t))?.tsUs, Date.parse(want) * 1000, t);
});
