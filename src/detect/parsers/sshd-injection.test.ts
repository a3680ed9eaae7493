/**
 * Attacker-chosen text (user names, protocol banners, auth info, PAM fields)
 * that spells an address must never be charged: every line here counts for
 * the real source (REAL) or for no one. Also the shapes fail2ban's samples
 * lack: envelopes, time zones, sshd-session, state bounds and expiry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SshdParser, MAX_PROCS, STATE_TTL_US } from './sshd.ts';
import type { SshdMode } from './sshd-messages.ts';

const REAL = '203.0.113.7';
const FAKE = '198.51.100.98';
const H = 'Mar  2 08:00:00 web1 sshd[4242]: ';

/** Lines whose only true source is REAL; FAKE is injected. `true`: must count (for REAL); `false`: may count for no one. */
const INJECTIONS: [string, boolean][] = [
  // The example: the user name or the auth info may be forged, nothing tells which: no one.
  [`Failed password for bob from ${REAL} port 22 ssh2: from ${FAKE} port 2 ssh2`, false],
  [`Failed password for invalid user x from ${FAKE} port 1 ssh2 from ${REAL} port 22 ssh2`, true],
  [`Failed password for invalid user x from ${FAKE} from ${REAL} port 22 ssh2`, true],
  [`Failed password for invalid user from ${FAKE} port 1 ssh2: y from ${REAL} port 22 ssh2`, false],
  [`Failed password for invalid user a b from ${REAL} port 22 ssh2: c from ${FAKE} port 1 ssh2`, false],
  [`Failed publickey for invalid user x from ${FAKE} port 1 ssh2: z from ${REAL} port 22 ssh2: RSA SHA256:x`, false],
  [`Failed hostbased for bob from ${REAL} port 22 ssh2: RSA SHA256:x, client user "a from ${FAKE} port 1 ssh2", client host "h"`, true],
  [`Failed keyboard-interactive/pam for invalid user from ${FAKE} port 5 ssh2 from ${REAL} port 22 ssh2`, true],
  [`Invalid user x from ${FAKE} port 1 from ${REAL} port 22`, true],
  [`Invalid user x from ${FAKE} from ${REAL}`, true],
  [`error: PAM: Authentication failure for x from ${FAKE} from ${REAL}`, true],
  [`error: PAM: User not known to the underlying authentication module for illegal user a from ${FAKE} from ${REAL}`, true],
  [`error: maximum authentication attempts exceeded for x from ${FAKE} port 1 ssh2 from ${REAL} port 22 ssh2 [preauth]`, true],
  [`User x from ${FAKE} not allowed because listed in DenyUsers from ${REAL} not allowed because listed in DenyUsers`, true],
  [`User x from ${FAKE} not allowed because not in any group from ${REAL} not allowed because listed in DenyUsers`, true],
  [`Connection closed by invalid user x ${FAKE} port 1 ${REAL} port 22 [preauth]`, false], // normal mode: not a failure
  [`Disconnected from authenticating user ${FAKE} port 1 ${REAL} port 22 [preauth]`, false],
  [
    `Disconnecting invalid user a ${FAKE} port 1: Change of username or service not allowed: x ${REAL} port 22: Change of username or service not allowed: (a,x) -> (b,y) [preauth]`,
    false,
  ],
  [
    `Disconnecting invalid user a ${FAKE} port 1 ${REAL} port 22: Change of username or service not allowed: (a,x) -> (${FAKE},y) [preauth]`,
    true,
  ],
  [`pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=x rhost=${REAL}  user=a rhost=${FAKE}`, false],
  [`Received disconnect from ${REAL} port 22:3: x from ${FAKE}: Auth fail [preauth]`, true],
  [`message repeated 3 times: [ Failed password for invalid user x from ${FAKE} port 1 ssh2 from ${REAL} port 22 ssh2]`, true],
];

/** The same in ddos/aggressive mode (banners and connection messages). */
const DDOS_INJECTIONS: [string, boolean][] = [
  [`Bad protocol version identification 'x' from ${FAKE} port 1' from ${REAL} port 22`, true],
  [`Connection closed by authenticating user a ${FAKE} port 1 ${REAL} port 22 [preauth]`, true],
  [`Connection reset by invalid user ${FAKE} ${REAL} port 22 [preauth]`, true],
  [`Did not receive identification string from ${REAL}`, true],
];

function charged(mode: SshdMode, line: string): string[] {
  const p = new SshdParser({ year: 2026, mode });
  const ev = p.parse(H + line);
  return [ev, p.also].filter((e) => e?.type === 'auth.login_failed').map((e) => e!.ip!);
}

test('sshd injection: an address in attacker text is never charged; the true source or no one', () => {
  for (const [line, counts] of INJECTIONS) {
    for (const mode of ['normal', 'aggressive'] as const) {
      const ips = charged(mode, line);
      assert.ok(!ips.includes(FAKE), `${mode}: charged the injected address: ${line}`);
      if (counts) assert.deepEqual(ips, [REAL], `${mode}: ${line}`);
    }
  }
  for (const [line, counts] of DDOS_INJECTIONS) {
    const ips = charged('ddos', line);
    assert.ok(!ips.includes(FAKE), line);
    if (counts) assert.deepEqual(ips, [REAL], line);
  }
});

test('sshd injection: a multi-line failure takes the address sshd logged for the process, not a user name', () => {
  const p = new SshdParser({ year: 2026 });
  assert.equal(p.parse(`${H}Connection from ${REAL} port 5000 on 192.0.2.1 port 22`), null);
  assert.equal(p.parse(`${H}Invalid user a from ${FAKE} x from ${REAL} port 5000`)?.ip, REAL);
  const ev = p.parse(`${H}Disconnecting: Too many authentication failures for x from ${FAKE} port 1 [preauth]`);
  assert.equal(ev?.ip, REAL);
});

const us = (iso: string) => Date.parse(iso) * 1000;
const MSG = `Failed password for root from ${REAL} port 22 ssh2`;

test('sshd envelopes: every syslog and journalctl layout gives the same event and time', () => {
  const cases: [string, string, string?][] = [
    [`<38>Mar  2 08:00:00 web1 sshd[1]: ${MSG}`, '2026-03-02T08:00:00Z'],
    [`<38>1 2026-03-02T09:00:00.5+01:00 web1 sshd 1 - - ${MSG}`, '2026-03-02T08:00:00.5Z'],
    [`<38>1 2026-03-02T08:00:00Z web1 sshd-session 77 ID47 [a@1 x="]"][b@2 y="q"] ${MSG}`, '2026-03-02T08:00:00Z'],
    [`Mar  2 08:00:00 web1 authpriv.info sshd[1]: ${MSG}`, '2026-03-02T08:00:00Z'],
    [`Mar  2 08:00:00 [sshd]: ${MSG}`, '2026-03-02T08:00:00Z'],
    [`Mar  2 08:00:00 [sshd] ${MSG}`, '2026-03-02T08:00:00Z'],
    [`Mon 2026-03-02 08:00:00 UTC web1 sshd[1]: ${MSG}`, '2026-03-02T08:00:00Z'],
    [`Mon 2026-03-02 09:00:00 CET web1 sshd[1]: ${MSG}`, '2026-03-02T08:00:00Z', 'Europe/Berlin'],
    [`1772438400.250000 web1 sshd[1]: ${MSG}`, '2026-03-02T08:00:00.25Z'],
    [`2026-03-02T09:00:00+0100 web1 sshd[1]: ${MSG}`, '2026-03-02T08:00:00Z'],
    [`2026-03-02T09:00:00 web1 sshd[1]: ${MSG}`, '2026-03-02T08:00:00Z', 'Europe/Berlin'],
    [`Mar  2 09:00:00 web1 sshd[1]: ${MSG}`, '2026-03-02T08:00:00Z', 'Europe/Berlin'],
    [`Jul  2 10:00:00 web1 sshd[1]: ${MSG}`, '2026-07-02T08:00:00Z', 'Europe/Berlin'],
    [`Mar  2 08:00:00 web1 sshd-session[1]: ${MSG}`, '2026-03-02T08:00:00Z'],
    [`Mar  2 08:00:00 web1 sshd[1]: [ID 800047 auth.info] ${MSG}`, '2026-03-02T08:00:00Z'],
    [`Mar  2 08:00:00 web1 sshd[1]: Failed password for root from ::ffff:${REAL} port 22 ssh2`, '2026-03-02T08:00:00Z'],
  ];
  for (const [line, iso, timeZone] of cases) {
    const p = new SshdParser({ year: 2026, timeZone });
    const ev = p.parse(line);
    assert.ok(ev, `${line}: ${p.skip} ${p.reason}`);
    assert.equal(ev.ip, REAL, line);
    assert.equal(ev.tsUs, us(iso), line);
  }
});

test('sshd state: bounded to MAX_PROCS processes and forgotten after STATE_TTL_US of log time', () => {
  const line = (pid: number, msg: string, t = '08:00:00') => `Mar  2 ${t} web1 sshd[${pid}]: ${msg}`;
  const p = new SshdParser({ year: 2026 });
  p.parse(line(1, `Connection from ${REAL} port 1 on 192.0.2.1 port 22`));
  for (let pid = 2; pid <= MAX_PROCS + 1; pid++) p.parse(line(pid, `Connection from 192.0.2.9 port 1 on 192.0.2.1 port 22`));
  // Process 1 was the oldest and was dropped: its failure now waits for an address instead of using REAL.
  assert.equal(p.parse(line(1, 'Disconnecting: Too many authentication failures [preauth]')), null);
  assert.equal(p.reason, 'failure waiting for its address');

  const q = new SshdParser({ year: 2026 });
  q.parse(line(7, `Connection from ${REAL} port 1 on 192.0.2.1 port 22`));
  assert.equal(q.parse(line(7, 'Disconnecting: Too many authentication failures [preauth]', '08:09:59'))?.ip, REAL);
  const later = 8 * 60 + 9 + Math.ceil(STATE_TTL_US / 60_000_000) + 1; // after the 08:09:59 line
  const t = `${String(Math.floor(later / 60)).padStart(2, '0')}:${String(later % 60).padStart(2, '0')}:00`;
  assert.equal(q.parse(line(7, 'Disconnecting: Too many authentication failures [preauth]', t)), null, 'expired');
});

test('sshd repeat counts: capped at 100 with the rest clamped; implausible counts skipped', () => {
  const p = new SshdParser({ year: 2026 });
  const rep = (n: string) => `${H}message repeated ${n} times: [ ${MSG}]`;
  assert.ok(p.parse(rep('7')));
  assert.deepEqual([p.repeat, p.clamped], [7, 0]);
  assert.ok(p.parse(rep('5000')));
  assert.deepEqual([p.repeat, p.clamped], [100, 4900]);
  for (const n of ['1000001', '99999999999999999999', '0001000000000']) {
    assert.equal(p.parse(rep(n)), null, n);
    assert.deepEqual([p.skip, p.reason, p.repeat, p.clamped], ['unparseable', 'implausible repeat count', 1, 0], n);
  }
});
