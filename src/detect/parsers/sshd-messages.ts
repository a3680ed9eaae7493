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

import { at, endsAt } from './time.ts';

export const FAIL = 1;
export const NOFAIL = 2;

/** The modes of fail2ban's sshd filter. */
export const SSHD_MODES = ['normal', 'ddos', 'extra', 'aggressive'] as const;
export type SshdMode = (typeof SSHD_MODES)[number];
const DDOS = 1;
const EXTRA = 2;

export function modeBits(mode: SshdMode): number {
  return mode === 'ddos' ? DDOS : mode === 'extra' ? EXTRA : mode === 'aggressive' ? DDOS | EXTRA : 0;
}

/** The classification of one message; reused (no allocation). Spans are [start, end) of the line text. */
export class SshdMatch {
  kind = 0;
  forget = false;
  gained = false;
  a = -1;
  ae = -1;
  u = -1;
  ue = -1;
  /** Set with kind 0 when a message that would count cannot be attributed (ambiguous address). */
  bad = '';

  reset(): void {
    this.kind = 0;
    this.forget = false;
    this.gained = false;
    this.a = this.ae = this.u = this.ue = -1;
    this.bad = '';
  }
}

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

const TAIL_SUFFIX = 0;
const TAIL_VIA = 1;
const TAIL_PORT_SSH = 2;

function span(r: SshdMatch, u: number, ue: number): void {
  r.u = u;
  r.ue = ue;
}

function setAddr(r: SshdMatch, a: number, ae: number, kind: number): void {
  if (ae <= a) return;
  r.a = a;
  r.ae = ae;
  r.kind = kind;
}

/** End of the token at `p`: the next space, or `end`. */
function tokenEnd(text: string, p: number, end: number): number {
  const sp = text.indexOf(' ', p);
  return sp < 0 || sp > end ? end : sp;
}

function tokenAt(text: string, p: number, end: number, kind: number, r: SshdMatch): void {
  setAddr(r, p, tokenEnd(text, p, end), kind);
}

/** `( port N| on S){0,2}` at `p`; the index after it. */
function onPort(text: string, p: number, end: number): number {
  for (let k = 0; k < 2; k++) {
    if (at(text, ' port ', p) && isDigit(text.charCodeAt(p + 6))) {
      p += 6;
      while (p < end && isDigit(text.charCodeAt(p))) p++;
    } else if (at(text, ' on ', p) && p + 4 < end) p = tokenEnd(text, p + 4, end);
    else break;
  }
  return p;
}

/** fail2ban's __suff: `( (port N|on S|[preauth])){0,3}\s*` reaching `end`. */
function suffixEnds(text: string, p: number, end: number): boolean {
  for (let k = 0; k < 3; k++) {
    const q = onPort(text, p, end);
    if (q !== p) p = q;
    else if (at(text, ' [preauth]', p)) p += 10;
    else break;
  }
  while (p < end && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
  return p >= end;
}

function tailEnds(text: string, p: number, end: number, tail: number): boolean {
  if (tail === TAIL_VIA && at(text, ' via ', p)) p = tokenEnd(text, p + 5, end);
  else if (tail === TAIL_PORT_SSH) {
    p = onPort(text, p, end);
    if (at(text, ' ssh', p)) for (p += 4; isDigit(text.charCodeAt(p)) && p < end;) p++;
  }
  return suffixEnds(text, p, end);
}

/**
 * `<user> from <addr><tail>` reaching the end: the last ` from ` whose address is followed by the tail.
 * The tail is sshd's own text, so the real address is the last candidate; a user name holding
 * ` from x` comes before it.
 */
function fromAtEnd(text: string, u: number, end: number, tail: number, kind: number, r: SshdMatch): void {
  for (let f = text.lastIndexOf(' from ', end - 6); f >= u; f = text.lastIndexOf(' from ', f - 1)) {
    const a = f + 6;
    const te = tokenEnd(text, a, end);
    if (tailEnds(text, te, end, tail)) {
      if (f > u) span(r, u, f);
      else if (f === u) span(r, u, u);
      return setAddr(r, a, te, kind);
    }
    if (f === 0) break;
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
  const sp = text.indexOf(' for ', p);
  if (sp < 0 || sp >= end || text.lastIndexOf(' ', sp - 1) >= p) return;
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
  for (let f = text.indexOf(' from ', u); f >= 0 && f < end && nFull < 2; f = text.indexOf(' from ', f + 1)) {
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
  const sp = text.indexOf(' for ', p);
  if (sp < 0 || sp >= end || text.lastIndexOf(' ', sp - 1) >= p) return;
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

/**
 * `Connection closed by|Connection reset by|Disconnected from [invalid user|authenticating user <u>] <addr>
 * [port N] [[preauth]]`: read from the end (the user is free text).
 */
function other(text: string, p: number, end: number, mb: number, disconnected: boolean, r: SshdMatch): void {
  if (at(text, 'by ', p)) p += 3;
  else if (at(text, 'from ', p)) p += 5;
  else if (!disconnected) return;
  let u = -1;
  if (at(text, 'invalid user ', p)) u = p + 13;
  else if (at(text, 'authenticating user ', p)) u = p + 20;
  let e = end;
  while (e > p && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 9)) e--;
  const preauth = endsAt(text, ' [preauth]', e);
  if (preauth) e -= 10;
  for (let k = 0; k < 2; k++) {
    const sp = text.lastIndexOf(' ', e - 1);
    if (sp < p) break;
    const prev = text.lastIndexOf(' ', sp - 1);
    const word = prev >= p - 1 ? sp - prev - 1 : -1;
    if (word === 4 && at(text, 'port', prev + 1) && allDigits(text, sp + 1, e)) e = prev;
    else if (word === 2 && at(text, 'on', prev + 1)) e = prev;
    else break;
  }
  const a = u < 0 ? p : text.lastIndexOf(' ', e - 1) + 1;
  if (a < (u < 0 ? p : u) || text.lastIndexOf(' ', e - 1) >= a) return;
  if (u >= 0) span(r, u, a - 1 >= u ? a - 1 : u);
  let kind = 0;
  if (mb & DDOS) kind = preauth ? FAIL : NOFAIL;
  else if (mb & EXTRA) kind = disconnected && u >= 0 && preauth ? FAIL : 0;
  else kind = NOFAIL;
  if (kind === 0) return;
  setAddr(r, a, e, kind);
  r.forget = true;
}

const CHANGE = ': Change of username or service not allowed: ';

/**
 * `Disconnecting [from ](invalid|authenticating) user <u> <addr> port <n>: Change of username or service not
 * allowed: (<u>,<svc>) -> (<u2>,<svc2>) [preauth]`: client text on both sides of the address, so it counts
 * only when exactly one `<addr> port <n>: Change of username…` fits.
 */
function changeOfUser(text: string, p: number, end: number, r: SshdMatch): void {
  if (at(text, 'from ', p)) p += 5;
  if (at(text, 'invalid user ', p)) p += 13;
  else if (at(text, 'authenticating user ', p)) p += 20;
  else return;
  if (!endsAt(text, '[preauth]', trimEnd(text, p, end))) return;
  let a = -1;
  let ae = -1;
  let n = 0;
  for (let c = text.indexOf(CHANGE, p); c >= 0 && c < end && n < 2; c = text.indexOf(CHANGE, c + 1)) {
    // Backwards from the colon: ` port <digits>`, then the address token.
    let d = c;
    while (d > p && isDigit(text.charCodeAt(d - 1))) d--;
    if (d === c || !endsAt(text, ' port ', d)) continue;
    const e = d - 6;
    const s = text.lastIndexOf(' ', e - 1);
    if (s < p) continue;
    if (n++ === 0) {
      a = s + 1;
      ae = e;
    }
  }
  if (n !== 1) {
    if (n > 1) r.bad = 'ambiguous address';
    return;
  }
  span(r, p, a - 1);
  setAddr(r, a, ae, FAIL);
  r.forget = true;
}

/** `Received disconnect from <addr>[ port N]:[ ]<code>: <text>`: 3 … Auth fail, 11 (helper), 14 No … methods (extra). */
function receivedDisconnect(text: string, p: number, end: number, mb: number, r: SshdMatch): void {
  let te = tokenEnd(text, p, end);
  let q = te;
  if (text.charCodeAt(te - 1) === 58) te--;
  else {
    q = onPort(text, te, end);
    if (text.charCodeAt(q) !== 58) return;
    q++;
  }
  while (text.charCodeAt(q) === 32) q++;
  let code = 0;
  const c0 = q;
  for (; isDigit(text.charCodeAt(q)) && q < c0 + 3; q++) code = code * 10 + text.charCodeAt(q) - 48;
  if (q === c0 || text.charCodeAt(q) !== 58) return;
  q++;
  let kind = 0;
  if (code === 11) kind = NOFAIL;
  else if (code === 3) {
    const af = text.lastIndexOf(': Auth fail', end);
    kind = af > q - 2 && suffixEnds(text, af + 11, end) ? FAIL : 0;
  } else if (code === 14 && mb & EXTRA) {
    while (text.charCodeAt(q) === 32) q++;
    if (at(text, 'No supported authentication methods available', q) || at(text, 'No authentication methods available', q)) kind = FAIL;
  }
  if (kind === 0) return;
  setAddr(r, p, te, kind);
  r.forget = true;
}

/** `refused connect from <name> (<addr>)` (tcp wrappers): the address in the final parentheses. */
function refusedConnect(text: string, p: number, end: number, r: SshdMatch): void {
  const e = trimEnd(text, p, end);
  const lp = text.lastIndexOf(' (', e);
  // `<name> (<addr>)`: one word, then the address alone in the parentheses.
  const inner = text.indexOf(' ', lp + 2);
  if (lp < p || text.charCodeAt(e - 1) !== 41 || (inner >= 0 && inner < e)) return;
  if (text.lastIndexOf(' ', lp - 1) >= p) return;
  setAddr(r, lp + 2, e - 1, FAIL);
}

/** `User <u> from <addr> not allowed because <reason>` / `User <u> not allowed because account is locked`. */
function userNotAllowed(text: string, p: number, end: number, r: SshdMatch): void {
  const n = text.lastIndexOf(' not allowed because ', end);
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
  const sp = text.lastIndexOf(' ', n - 1);
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

function negotiate(text: string, p: number, end: number, r: SshdMatch): void {
  if (at(text, 'a ', p)) {
    r.kind = FAIL;
    return;
  }
  if (!at(text, 'with ', p)) return;
  const te = tokenEnd(text, p + 5, end);
  const q = onPort(text, te, end);
  if (at(text, ': no matching ', q) && found(text, q + 14, end, ' found.')) setAddr(r, p + 5, te, FAIL);
}

/** `<alg> found<suffix>` with `<alg>` one to three words. */
function found(text: string, p: number, end: number, word: string): boolean {
  const f = text.indexOf(word, p);
  if (f < 0 || f > end) return false;
  let spaces = 0;
  for (let i = p; i < f; i++) if (text.charCodeAt(i) === 32) spaces++;
  return spaces <= 2;
}

function kex(text: string, p: number, r: SshdMatch): void {
  if (at(text, 'read: ', p)) p += 6;
  const c = text.charCodeAt(p);
  if (c !== 67 && c !== 99) return;
  if (
    at(text, 'lient sent invalid protocol identifier', p + 1) ||
    at(text, 'onnection closed by remote host', p + 1) ||
    at(text, 'onnection reset by peer', p + 1)
  )
    r.kind = FAIL;
}

/** `Bad protocol version identification '<client text>' from <addr>[ port N]`: from the end. */
function badVersion(text: string, p: number, end: number, r: SshdMatch): void {
  const e = trimEnd(text, p, end);
  for (let f = text.lastIndexOf("' from ", e); f >= p - 1; f = text.lastIndexOf("' from ", f - 1)) {
    const te = tokenEnd(text, f + 7, e);
    if (onPort(text, te, e) >= e) return setAddr(r, f + 7, te, FAIL);
    if (f === 0) return;
  }
}

/** `SSH: Server;Ltype: (Authname|Version|Kex);Remote: <addr>-<port>;<Field>:` (helper). */
function sshServer(text: string, p: number, end: number, r: SshdMatch): void {
  const semi = text.indexOf(';Remote: ', p);
  if (semi < 0 || semi > p + 8) return;
  const a = semi + 9;
  const next = text.indexOf(';', a);
  const dash = text.lastIndexOf('-', next);
  if (next < 0 || next > end || dash <= a || !allDigits(text, dash + 1, next)) return;
  setAddr(r, a, dash, NOFAIL);
}

function trimEnd(text: string, p: number, end: number): number {
  while (end > p && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return end;
}

function allDigits(text: string, b: number, e: number): boolean {
  if (e <= b) return false;
  for (let i = b; i < e; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
