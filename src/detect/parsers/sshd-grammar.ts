/**
 * Shared pieces of the sshd message grammar (sshd-messages.ts, sshd-connection.ts): the match
 * record, the modes, and the anchored readers of addresses, ports and fail2ban's suffixes.
 */
import { at, lastIndexIn } from '../../domain/time.ts';

export const FAIL = 1;
export const NOFAIL = 2;

/** The modes of fail2ban's sshd filter. */
export const SSHD_MODES = ['normal', 'ddos', 'extra', 'aggressive'] as const;
export type SshdMode = (typeof SSHD_MODES)[number];
export const DDOS = 1;
export const EXTRA = 2;

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

export const TAIL_SUFFIX = 0;
export const TAIL_VIA = 1;
export const TAIL_PORT_SSH = 2;

export function span(r: SshdMatch, u: number, ue: number): void {
  r.u = u;
  r.ue = ue;
}

export function setAddr(r: SshdMatch, a: number, ae: number, kind: number): void {
  if (ae <= a) return;
  r.a = a;
  r.ae = ae;
  r.kind = kind;
}

/** End of the token at `p`: the next space, or `end` (a loop that stops there: see indexIn). */
export function tokenEnd(text: string, p: number, end: number): number {
  for (let i = p < 0 ? 0 : p; i < end; i++) if (text.charCodeAt(i) === 32) return i;
  return end;
}

export function tokenAt(text: string, p: number, end: number, kind: number, r: SshdMatch): void {
  setAddr(r, p, tokenEnd(text, p, end), kind);
}

/** `( port N| on S){0,2}` at `p`; the index after it. */
export function onPort(text: string, p: number, end: number): number {
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
export function suffixEnds(text: string, p: number, end: number): boolean {
  for (let k = 0; k < 3; k++) {
    const q = onPort(text, p, end);
    if (q !== p) p = q;
    else if (at(text, ' [preauth]', p)) p += 10;
    else break;
  }
  while (p < end && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
  return p >= end;
}

export function tailEnds(text: string, p: number, end: number, tail: number): boolean {
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
export function fromAtEnd(text: string, u: number, end: number, tail: number, kind: number, r: SshdMatch): void {
  for (let f = lastIndexIn(text, ' from ', end - 6, u); f >= u; f = lastIndexIn(text, ' from ', f - 1, u)) {
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

export function trimEnd(text: string, p: number, end: number): number {
  while (end > p && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return end;
}

export function allDigits(text: string, b: number, e: number): boolean {
  if (e <= b) return false;
  for (let i = b; i < e; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
