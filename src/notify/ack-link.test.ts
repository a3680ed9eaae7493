import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signAckToken, verifyAckToken, newAckNonce, type AckTokenPayload } from './ack-link.ts';
import { AppError } from '../errors.ts';

const SECRET = 'k'.repeat(32);
const payload: AckTokenPayload = { incidentId: 'inc_42', level: 2, expiresAtMs: 1_800_000_000_000, nonce: 'n-1' };
const token = signAckToken(payload, SECRET);
const [payloadPart, sigPart] = token.split('.') as [string, string];

/** Re-signs arbitrary payload JSON with the real secret (what a holder of the secret could do). */
function forge(json: string): string {
  const p = Buffer.from(json).toString('base64url');
  return `${p}.${createHmac('sha256', SECRET).update(`firebreak-ack-v1.${p}`).digest('base64url')}`;
}
const flipLast = (s: string): string => s.slice(0, -1) + (s.at(-1) === 'A' ? 'Q' : 'A');

test('tokens are URL-safe and round-trip', () => {
  assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(verifyAckToken(token, SECRET, payload.expiresAtMs - 1), { ok: true, payload });
  assert.equal(signAckToken(payload, SECRET), token, 'deterministic for one payload');
  assert.notEqual(newAckNonce(), newAckNonce());
  assert.match(newAckNonce(), /^[A-Za-z0-9_-]{22}$/);
});

test('verifyAckToken rejects with the right reason', () => {
  const now = payload.expiresAtMs - 1;
  const cases: [string, string, string, number, string][] = [
    ['empty', '', SECRET, now, 'malformed'],
    ['no dot', payloadPart, SECRET, now, 'malformed'],
    ['three parts', `${token}.x`, SECRET, now, 'malformed'],
    ['short signature', `${payloadPart}.${sigPart.slice(1)}`, SECRET, now, 'malformed'],
    ['non-base64url characters', `${payloadPart}+.${sigPart}`, SECRET, now, 'malformed'],
    ['too long', `${'a'.repeat(3000)}.${sigPart}`, SECRET, now, 'malformed'],
    ['tampered payload', `${flipLast(payloadPart)}.${sigPart}`, SECRET, now, 'bad_signature'],
    [
      'other level, old signature',
      `${signAckToken({ ...payload, level: 3 }, SECRET).split('.')[0]}.${sigPart}`,
      SECRET,
      now,
      'bad_signature',
    ],
    ['tampered signature', `${payloadPart}.${flipLast(sigPart.slice(0, -1)) + sigPart.at(-1)}`, SECRET, now, 'bad_signature'],
    ['wrong secret', token, 'other-secret', now, 'bad_signature'],
    ['signed but not JSON', forge('{nope'), SECRET, now, 'malformed'],
    ['signed but missing fields', forge('{"incidentId":"x","level":1}'), SECRET, now, 'malformed'],
    ['expired exactly at expiry', token, SECRET, payload.expiresAtMs, 'expired'],
    ['expired later', token, SECRET, payload.expiresAtMs + 86_400_000, 'expired'],
  ];
  for (const [name, t, secret, at, reason] of cases) {
    assert.deepEqual(verifyAckToken(t, secret, at), { ok: false, reason }, name);
  }
});

test('a wrong signature is reported before expiry, so expiry leaks nothing about forgeries', () => {
  assert.deepEqual(verifyAckToken(token, 'other-secret', payload.expiresAtMs + 1), { ok: false, reason: 'bad_signature' });
});

test('non-canonical signature encodings are refused', () => {
  // The 43rd character carries 2 spare bits; changing only those decodes to the same bytes.
  const last = sigPart.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
  const variant = `${payloadPart}.${sigPart.slice(0, -1)}${sibling}`;
  assert.equal(Buffer.from(variant.split('.')[1]!, 'base64url').equals(Buffer.from(sigPart, 'base64url')), true);
  assert.deepEqual(verifyAckToken(variant, SECRET, 0), { ok: false, reason: 'malformed' });
});

test('empty secrets and incomplete payloads are programming errors', () => {
  assert.throws(() => signAckToken(payload, ''), AppError);
  assert.throws(() => verifyAckToken(token, '', 0), AppError);
  assert.throws(() => signAckToken({ ...payload, nonce: '' }, SECRET), AppError);
});
