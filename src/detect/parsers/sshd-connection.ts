/**
 * sshd messages of the connection phase and of key exchange (see sshd-messages.ts for the rules of
 * reading them): closes and disconnects, change of user, tcp-wrappers refusals, negotiation failures,
 * protocol banners.
 */
import { at, endsAt, indexIn, lastIndexIn } from '../../domain/time.ts';
import {
  DDOS,
  EXTRA,
  FAIL,
  NOFAIL,
  SshdMatch,
  allDigits,
  isDigit,
  onPort,
  setAddr,
  span,
  suffixEnds,
  tokenEnd,
  trimEnd,
} from './sshd-grammar.ts';

/**
 * `Connection closed by|Connection reset by|Disconnected from [invalid user|authenticating user <u>] <addr>
 * [port N] [[preauth]]`: read from the end (the user is free text).
 */
export function other(text: string, p: number, end: number, mb: number, disconnected: boolean, r: SshdMatch): void {
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
    const sp = lastIndexIn(text, ' ', e - 1, p);
    if (sp < p) break;
    const prev = lastIndexIn(text, ' ', sp - 1, p - 1);
    const word = prev >= p - 1 ? sp - prev - 1 : -1;
    if (word === 4 && at(text, 'port', prev + 1) && allDigits(text, sp + 1, e)) e = prev;
    else if (word === 2 && at(text, 'on', prev + 1)) e = prev;
    else break;
  }
  // The last space before `e`, looked for only as far back as it can matter (at `u - 1`, or `p`).
  const lastSpace = lastIndexIn(text, ' ', e - 1, u < 0 ? p : u - 1);
  const a = u < 0 ? p : lastSpace + 1;
  if (a < (u < 0 ? p : u) || lastSpace >= a) return;
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
export function changeOfUser(text: string, p: number, end: number, r: SshdMatch): void {
  if (at(text, 'from ', p)) p += 5;
  if (at(text, 'invalid user ', p)) p += 13;
  else if (at(text, 'authenticating user ', p)) p += 20;
  else return;
  if (!endsAt(text, '[preauth]', trimEnd(text, p, end))) return;
  let a = -1;
  let ae = -1;
  let n = 0;
  for (let c = indexIn(text, CHANGE, p, end); c >= 0 && n < 2; c = indexIn(text, CHANGE, c + 1, end)) {
    // Backwards from the colon: ` port <digits>`, then the address token.
    let d = c;
    while (d > p && isDigit(text.charCodeAt(d - 1))) d--;
    if (d === c || !endsAt(text, ' port ', d)) continue;
    const e = d - 6;
    const s = lastIndexIn(text, ' ', e - 1, p);
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
export function receivedDisconnect(text: string, p: number, end: number, mb: number, r: SshdMatch): void {
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
    const af = lastIndexIn(text, ': Auth fail', end, q - 1);
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
export function refusedConnect(text: string, p: number, end: number, r: SshdMatch): void {
  const e = trimEnd(text, p, end);
  const lp = lastIndexIn(text, ' (', e, p);
  // `<name> (<addr>)`: one word, then the address alone in the parentheses.
  if (lp < p || text.charCodeAt(e - 1) !== 41 || indexIn(text, ' ', lp + 2, e) >= 0) return;
  if (lastIndexIn(text, ' ', lp - 1, p) >= p) return;
  setAddr(r, lp + 2, e - 1, FAIL);
}

export function negotiate(text: string, p: number, end: number, r: SshdMatch): void {
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
export function found(text: string, p: number, end: number, word: string): boolean {
  const f = indexIn(text, word, p, end + 1);
  if (f < 0) return false;
  let spaces = 0;
  for (let i = p; i < f; i++) if (text.charCodeAt(i) === 32) spaces++;
  return spaces <= 2;
}

export function kex(text: string, p: number, r: SshdMatch): void {
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
export function badVersion(text: string, p: number, end: number, r: SshdMatch): void {
  const e = trimEnd(text, p, end);
  const lo = p > 0 ? p - 1 : 0;
  for (let f = lastIndexIn(text, "' from ", e, lo); f >= p - 1; f = lastIndexIn(text, "' from ", f - 1, lo)) {
    const te = tokenEnd(text, f + 7, e);
    if (onPort(text, te, e) >= e) return setAddr(r, f + 7, te, FAIL);
    if (f === 0) return;
  }
}

/** `SSH: Server;Ltype: (Authname|Version|Kex);Remote: <addr>-<port>;<Field>:` (helper). */
export function sshServer(text: string, p: number, end: number, r: SshdMatch): void {
  const semi = indexIn(text, ';Remote: ', p, p + 9);
  if (semi < 0) return;
  const a = semi + 9;
  const next = indexIn(text, ';', a, end + 1);
  if (next < 0) return;
  const dash = lastIndexIn(text, '-', next, a + 1);
  if (dash <= a || !allDigits(text, dash + 1, next)) return;
  setAddr(r, a, dash, NOFAIL);
}
