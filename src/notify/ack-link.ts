/**
 * Signed, expiring, single-use acknowledge links: the token in
 * `<public_url>/ack/<token>` lets someone acknowledge one incident from a
 * notification without logging in.
 *
 * Token: `<payload>.<signature>`, where payload is base64url(JSON of
 * AckTokenPayload) and signature is base64url(HMAC-SHA256(secret,
 * "firebreak-ack-v1." + payload)). The prefix keeps a signature made here from
 * being valid for any other use of the same secret.
 *
 * What this module guarantees: integrity (constant-time comparison) and expiry.
 * What it cannot: SINGLE USE. The caller (the acknowledge verb) must, in the
 * same transaction as the acknowledgement, insert `payload.nonce` into a
 * used-nonce table with a unique constraint and refuse the link when the
 * nonce is already there. Nonces can be purged once `expiresAtMs` has passed,
 * since expired tokens are refused here anyway.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';

export interface AckTokenPayload {
  incidentId: string;
  /** The escalation level the link was sent to (same numbering as Notification.level, 1-based). */
  level: number;
  expiresAtMs: number;
  /** Unique per link; the caller's used-nonce store makes the link single-use. */
  nonce: string;
}

export type AckVerifyResult = { ok: true; payload: AckTokenPayload } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

const DOMAIN = 'firebreak-ack-v1.';
/** Longer tokens are refused before any hashing. */
const MAX_TOKEN_LENGTH = 2048;
const TOKEN_RE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

function mac(payloadPart: string, secret: string): Buffer {
  return createHmac('sha256', secret)
    .update(DOMAIN + payloadPart)
    .digest();
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) throw new AppError('invalid', 'the ack link secret is empty');
}

function isPayload(v: unknown): v is AckTokenPayload {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return (
    typeof p.incidentId === 'string' &&
    p.incidentId.length > 0 &&
    typeof p.level === 'number' &&
    Number.isInteger(p.level) &&
    p.level >= 0 &&
    typeof p.expiresAtMs === 'number' &&
    Number.isFinite(p.expiresAtMs) &&
    typeof p.nonce === 'string' &&
    p.nonce.length > 0
  );
}

/** A fresh random nonce (128 bits, base64url). */
export function newAckNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** Signs a payload into a URL-safe token. Throws AppError('invalid') for an empty secret or a bad payload. */
export function signAckToken(payload: AckTokenPayload, secret: string): string {
  checkSecret(secret);
  if (!isPayload(payload)) throw new AppError('invalid', 'ack token payload is incomplete');
  // Fixed key order: the token is a function of the payload.
  const json = JSON.stringify({
    incidentId: payload.incidentId,
    level: payload.level,
    expiresAtMs: payload.expiresAtMs,
    nonce: payload.nonce,
  });
  const payloadPart = Buffer.from(json, 'utf8').toString('base64url');
  return `${payloadPart}.${mac(payloadPart, secret).toString('base64url')}`;
}

/**
 * Verifies a token at `nowMs`. Checks, in order: shape (`malformed`),
 * signature (`bad_signature`, constant time), payload fields (`malformed`),
 * expiry (`expired` when nowMs >= expiresAtMs). Does NOT check single use.
 */
export function verifyAckToken(token: string, secret: string, nowMs: number): AckVerifyResult {
  checkSecret(secret);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const m = TOKEN_RE.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const [, payloadPart, sigPart] = m as unknown as [string, string, string];
  const given = Buffer.from(sigPart, 'base64url');
  // Canonical encoding only: the spare bits of the last character must be zero.
  if (given.length !== 32 || given.toString('base64url') !== sigPart) return { ok: false, reason: 'malformed' };
  if (!timingSafeEqual(mac(payloadPart, secret), given)) return { ok: false, reason: 'bad_signature' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isPayload(payload)) return { ok: false, reason: 'malformed' };
  if (nowMs >= payload.expiresAtMs) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    payload: { incidentId: payload.incidentId, level: payload.level, expiresAtMs: payload.expiresAtMs, nonce: payload.nonce },
  };
}
