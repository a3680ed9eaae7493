/**
 * The sshd messages that matter (docs/log-sources.md has the table), read at
 * the positions OpenSSH writes them: each message is anchored on its fixed
 * words, and the address is taken only where sshd puts it. Text a client
 * controls (user names, protocol banners, hostbased `client user "…"`) comes
 * before the address or after a `: `; the address is found from the end of
 * the message's fixed tail (the real one is always the last candidate), or,
 * when both sides can hold attacker text (`Failed …`), only if exactly one
 * position fits the grammar. Two candidates → the line counts for no one.
 *
 * Each message is a failure (FAIL), a helper that only carries the address or
 * user of an sshd process for a later failure (NOFAIL), or nothing; `forget`
 * ends the process's state, `gained` is a successful login. Which messages
 * count depends on the mode, as fail2ban's sshd filter: `normal`, `ddos`
 * (connections that never authenticate), `extra` (negotiation failures),
 * `aggressive` (both).
 */

import { at, indexIn, lastIndexIn } from '../../domain/time.ts';
import {
  DDOS,
  EXTRA,
  FAIL,
  NOFAIL,
  SshdMatch,
  TAIL_PORT_SSH,
  TAIL_SUFFIX,
  TAIL_VIA,
  fromAtEnd,
  isDigit,
  onPort,
  setAddr,
  span,
  suffixEnds,
  tokenAt,
  tokenEnd,
  trimEnd,
} from './sshd-grammar.ts';
import {
  badVersion,
  changeOfUser,
  found,
  kex,
  negotiate,
  other,
  receivedDisconnect,
  refusedConnect,
  sshServer,
} from './sshd-connection.ts';

export { FAIL, NOFAIL, SSHD_MODES, SshdMatch, modeBits, type SshdMode } from './sshd-grammar.ts';

/** Classifies the message [m, end) of an sshd line into `r` for the mode bits `mb`. */
export function classify(text: string, m: number, end: number, mb: number, r: SshdMatch): void {
  r.reset();
  // `error: `, `fatal: `, then `PAM: ` (fail2ban's __pref)
  if (at(text, 'error: ', m) || at(text, 'fatal: ', m)) {
    m += 7;
    if (at(text, 'PAM: ', m)) m += 5;
  }
  switch (m < end ? text.charCodeAt(m) : 0) {
    case 70: // F
      if (at(text, 'Failed ', m)) failed(text, m + 7, end, r);
      return;
    case 73: // I
    case 105: // i
      if (at(text, 'nvalid user ', m + 1) || at(text, 'llegal user ', m + 1)) fromAtEnd(text, m + 13, end, TAIL_SUFFIX, FAIL, r);
      return;
    case 65: // A
      if (at(text, 'Accepted ', m)) return accepted(text, m + 9, end, r);
      if (at(text, 'Authentication ', m)) authFailure(text, m + 15, end, r);
      return;
    case 97: // a
      if (at(text, 'authentication ', m)) authFailure(text, m + 15, end, r);
      return;
    case 112: // p
      if (at(text, 'pam_', m)) pamFailure(text, m + 4, end, r);
      return;
    case 67: // C
      if (at(text, 'Connection from ', m)) return tokenAt(text, m + 16, end, NOFAIL, r);
      if (at(text, 'Connection closed ', m) || at(text, 'Connection reset ', m))
        other(text, text.indexOf(' ', m + 11) + 1, end, mb, false, r);
      return;
    case 68: // D
      if (at(text, 'Disconnected ', m)) return other(text, m + 13, end, mb, true, r);
      if (at(text, 'Disconnecting: Too many authentication failures', m)) {
        const p = m + 47;
        if (at(text, ' for ', p)) span(r, p + 5, tokenEnd(text, p + 5, end));
        r.kind = FAIL;
        return;
      }
      if (at(text, 'Disconnecting ', m)) return changeOfUser(text, m + 14, end, r);
      if (mb & DDOS && at(text, 'Did not receive identification string from ', m)) tokenAt(text, m + 43, end, FAIL, r);
      return;
    case 82: // R
      if (at(text, 'Received disconnect from ', m)) return receivedDisconnect(text, m + 25, end, mb, r);
      if (at(text, 'ROOT LOGIN REFUSED FROM ', m)) {
        span(r, m, m + 4);
        return tokenAt(text, m + 24, end, FAIL, r);
      }
      if (mb & DDOS && at(text, 'Read from socket failed: Connection reset by peer', m)) {
        r.kind = FAIL;
        r.forget = true;
      }
      return;
    case 114: // r
      if (at(text, 'refused connect from ', m)) refusedConnect(text, m + 21, end, r);
      return;
    case 85: // U
      if (at(text, 'User not known to the underlying authentication module for ', m))
        return fromAtEnd(text, m + 59, end, TAIL_SUFFIX, FAIL, r);
      if (at(text, 'User ', m)) return userNotAllowed(text, m + 5, end, r);
      if (mb & EXTRA && at(text, 'Unable to negotiate ', m)) negotiate(text, m + 20, end, r);
      return;
    case 109: // m
      if (at(text, 'maximum authentication attempts exceeded for ', m)) fromAtEnd(text, m + 45, end, TAIL_PORT_SSH, FAIL, r);
      return;
    case 110: // n
      if (mb & EXTRA && at(text, 'no matching ', m) && found(text, m + 12, end, ' found:')) r.kind = FAIL;
      return;
    case 107: // k
      if (mb & DDOS && at(text, 'kex_exchange_identification: ', m)) kex(text, m + 29, r);
      return;
    case 66: // B
      if (mb & DDOS && at(text, "Bad protocol version identification '", m)) badVersion(text, m + 37, end, r);
      return;
    case 98: // b
      if (mb & DDOS && at(text, 'banner exchange: Connection from ', m)) {
        const te = tokenEnd(text, m + 33, end);
        const p = onPort(text, te, end);
        if (at(text, ': invalid format', p)) setAddr(r, m + 33, te, FAIL);
      }
      return;
    case 83: // S
      if (mb & DDOS && at(text, 'SSH: Server;Ltype: ', m)) sshServer(text, m + 19, end, r);
      return;
  }
}

function authFailure(text: string, p: number, end: number, r: SshdMatch): void {
  let u = -1;
  if (at(text, 'failure for ', p) || at(text, 'failed for ', p)) u = p + (text.charCodeAt(p + 6) === 101 ? 12 : 11);
  else if (at(text, 'error for ', p)) u = p + 10;
  if (u > 0) fromAtEnd(text, u, end, TAIL_VIA, FAIL, r);
}

/** `Failed <method> for [invalid user ]<user> from <addr> port <n> ssh2[: <auth info>]`; see the module comment. */
function failed(text: string, p: number, end: number, r: SshdMatch): void {
  const sp = indexIn(text, ' for ', p, end);
  if (sp < 0 || lastIndexIn(text, ' ', sp - 1, p) >= p) return;
  const pub = sp - p === 9 && at(text, 'publickey', p);
  let u = sp + 5;
  const invalid = at(text, 'invalid user ', u);
  if (invalid) u += 13;
  // Candidates: ` from <addr> port <n>[ ssh2]` reaching the end, `: <auth info>` or a suffix (sshd's
  // shape); else ` from <addr>` reaching the end (old sshd without a port). The user name can forge
  // either before sshd's own, a hostbased auth info after it: one full-shape candidate is sshd's,
  // two are ambiguous (the line counts for no one). Port-less ones compete only when no full one exists.
  let full = -1;
  let fullEnd = -1;
  let nFull = 0;
  let bare = -1;
  let bareEnd = -1;
  let nBare = 0;
  // From `u`: an empty user name is logged as `user  from` (the space at `u` starts ` from `).
  for (let f = indexIn(text, ' from ', u, end); f >= 0 && nFull < 2; f = indexIn(text, ' from ', f + 1, end)) {
    const a = f + 6;
    const te = tokenEnd(text, a, end);
    let q = onPort(text, te, end);
    const ported = q !== te;
    if (at(text, ' ssh', q)) for (q += 4; isDigit(text.charCodeAt(q)) && q < end;) q++;
    if (!(q >= end || (text.charCodeAt(q) === 58 && text.charCodeAt(q + 1) === 32) || suffixEnds(text, q, end))) continue;
    if (ported) {
      if (nFull++ === 0) {
        full = f;
        fullEnd = te;
      }
    } else if (nBare++ === 0) {
      bare = f;
      bareEnd = te;
    }
  }
  if (nFull === 0 && nBare === 0) {
    r.bad = 'no source address';
    return;
  }
  if (nFull > 1 || (nFull === 0 && nBare > 1)) {
    r.bad = 'ambiguous address';
    return;
  }
  const first = nFull === 1 ? full : bare;
  const firstEnd = nFull === 1 ? fullEnd : bareEnd;
  span(r, u, Math.max(u, first));
  setAddr(r, first + 6, firstEnd, pub && !invalid ? NOFAIL : FAIL);
}

/** `Accepted <method> for <user> from <addr> port <n> …`: the user is one word (sshd knows it). */
function accepted(text: string, p: number, end: number, r: SshdMatch): void {
  const sp = indexIn(text, ' for ', p, end);
  if (sp < 0 || lastIndexIn(text, ' ', sp - 1, p) >= p) return;
  const u = sp + 5;
  const ue = tokenEnd(text, u, end);
  if (ue === u || !at(text, ' from ', ue)) return;
  span(r, u, ue);
  tokenAt(text, ue + 6, end, NOFAIL, r);
  r.gained = r.forget = r.kind === NOFAIL;
}

/** `pam_<module>(sshd:auth): authentication failure; [logname= uid= euid= tty=] ruser=<u> rhost=<addr> [user=<u>]` */
function pamFailure(text: string, p: number, end: number, r: SshdMatch): void {
  while (p < end && text.charCodeAt(p) >= 97 && text.charCodeAt(p) <= 122) p++;
  if (!at(text, '(sshd:auth): authentication failure;', p)) return;
  p += 36;
  let ru = -1;
  let rue = -1;
  let a = -1;
  let ae = -1;
  for (let k = 0; k < 8; k++) {
    while (p < end && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
    if (p >= end) break;
    const te = tokenEnd(text, p, end);
    let eq = p;
    while (eq < te && text.charCodeAt(eq) !== 61) eq++;
    const n = eq - p;
    if (a < 0) {
      if (keyIs(text, p, n, 'ruser')) {
        ru = p + 6;
        rue = te;
      } else if (keyIs(text, p, n, 'rhost')) {
        if (ru < 0) return;
        a = p + 6;
        ae = te;
      } else if (
        ru >= 0 ||
        !(keyIs(text, p, n, 'logname') || keyIs(text, p, n, 'uid') || keyIs(text, p, n, 'euid') || keyIs(text, p, n, 'tty'))
      )
        return;
    } else if (keyIs(text, p, n, 'user')) {
      if (te > p + 5) span(r, p + 5, te);
    } else if (!(te - p === 9 && at(text, '[preauth]', p))) return;
    p = te;
  }
  if (a < 0) return;
  if (r.u < 0 && rue > ru) span(r, ru, rue);
  setAddr(r, a, ae, NOFAIL);
}

/** The `n` characters at `p` (a `key=` of a PAM line) are `key`; compared inline. */
function keyIs(text: string, p: number, n: number, key: string): boolean {
  if (n !== key.length || text.charCodeAt(p + n) !== 61) return false;
  for (let i = 0; i < n; i++) if (text.charCodeAt(p + i) !== key.charCodeAt(i)) return false;
  return true;
}

/** `User <u> from <addr> not allowed because <reason>` / `User <u> not allowed because account is locked`. */
function userNotAllowed(text: string, p: number, end: number, r: SshdMatch): void {
  const n = lastIndexIn(text, ' not allowed because ', end, p);
  if (n < p) return;
  const why = n + 21;
  const e = trimEnd(text, why, end);
  let known = false;
  for (const reason of REASONS) if (at(text, reason, why) && suffixEnds(text, why + reason.length, e)) known = true;
  if (!known) return;
  if (at(text, 'account is locked', why)) {
    span(r, p, n);
    r.kind = FAIL;
    return;
  }
  const sp = lastIndexIn(text, ' ', n - 1, p + 4);
  if (sp < p + 4 || !at(text, ' from ', sp - 5)) return;
  span(r, p, sp - 5);
  setAddr(r, sp + 1, n, FAIL);
}

const REASONS = [
  'not listed in AllowUsers',
  'listed in DenyUsers',
  'not in any group',
  'a group is listed in DenyGroups',
  "none of user's groups are listed in AllowGroups",
  'account is locked',
];
