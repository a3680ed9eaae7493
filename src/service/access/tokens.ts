/**
 * API tokens: random secrets shown once, stored only as SHA-256 hashes (they
 * carry 256 bits of entropy, so a slow hash adds nothing), one role each.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { ROLES, type Role } from '../../domain/roles.ts';
import {
  insertToken,
  findTokenByHash,
  listTokens as repoList,
  revokeToken as repoRevoke,
  countActiveAdmins,
  getToken,
  touchToken,
  fixChosenTokenPrefix,
  type TokenRecord,
} from '../../store/token-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from './authorize.ts';
import { parseInput } from '../core/validate.ts';

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * What the token list shows of a token chosen by a person (FIREBREAK_ADMIN_TOKEN):
 * an id derived from its hash, never its first characters, which would give
 * away part of a secret that may be reused elsewhere or have little entropy.
 * Generated tokens show their first 10 characters (random, `fbk_` + 6).
 */
export function chosenTokenPrefix(secret: string): string {
  return `sha256:${hashToken(secret).slice(0, 8)}`;
}

function newSecret(): string {
  return `fbk_${randomBytes(32).toString('base64url')}`;
}

export const createTokenInput = z.object({ role: z.enum(ROLES), name: z.string().trim().min(1, 'must not be empty').max(100) }).strict();

export interface CreatedToken extends TokenRecord {
  /** The secret, shown only once. */
  token: string;
}

export async function createToken(deps: Deps, actor: Actor, raw: unknown): Promise<CreatedToken> {
  authorize(actor, 'admin');
  const input = parseInput(createTokenInput, raw);
  const token = newSecret();
  const rec = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const r = await insertToken(q, {
      id: `tok_${randomBytes(6).toString('hex')}`,
      name: input.name,
      role: input.role,
      hash: hashToken(token),
      prefix: token.slice(0, 10),
      createdAt: now,
      createdBy: actor.name,
    });
    if (!r) throw new AppError('conflict', 'token collision; try again');
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'token.create',
      target: r.id,
      ip: actor.ip,
      details: { role: r.role, name: r.name },
    });
    return r;
  });
  return { ...rec, token };
}

export async function listTokens(deps: Deps, actor: Actor, includeRevoked = false): Promise<TokenRecord[]> {
  authorize(actor, 'admin');
  return repoList(deps.db, includeRevoked);
}

export async function revokeToken(deps: Deps, actor: Actor, id: string): Promise<TokenRecord> {
  authorize(actor, 'admin');
  const revoked = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const existing = await getToken(q, id);
    if (!existing) throw new AppError('not_found', `token ${id} not found`);
    if (existing.revoked_at) throw new AppError('conflict', `token ${id} is already revoked`);
    if (existing.role === 'admin' && (await countActiveAdmins(q)) <= 1) {
      throw new AppError('conflict', 'refusing to revoke the last admin token; create another admin token first');
    }
    const r = await repoRevoke(q, id, now);
    await writeAudit(q, { at: now, actor: actor.id, action: 'token.revoke', target: id, ip: actor.ip });
    return r!;
  });
  // After the commit: no request authenticates with the revoked token from here on.
  const cache = tokenCache(deps.db);
  cache.entries.clear();
  cache.generation++;
  return revoked;
}

/**
 * Valid tokens seen lately, per database, by hash: a busy sender (the
 * middleware, a bouncer polling its stream, small ingestion batches) costs
 * no database lookup per request. An entry lives TOKEN_CACHE_MS of monotonic
 * time; revoking a token through this process drops the cache at once, and
 * another process (a CLI on a shared server database, a second instance)
 * sees the revocation within TOKEN_CACHE_MS. Unknown tokens are not cached.
 *
 * A token in use is looked up again in the background during the last
 * TOKEN_REFRESH_AHEAD_MS of its entry, so a steady sender never waits for
 * the lookup: on the embedded database it would queue behind whatever holds
 * the one session (a storm's ban transactions), and an ingest answer with it.
 */
export const TOKEN_CACHE_MS = 5_000;
const TOKEN_REFRESH_AHEAD_MS = 2_000;
const TOKEN_CACHE_MAX = 1_000;
interface CachedToken {
  rec: TokenRecord;
  /** performance.now() after which the entry is looked up again. */
  freshUntil: number;
  /** A background lookup of this entry is under way. */
  refreshing: boolean;
  /** deps.clock() time of the last `last_used_at` update. */
  touchedAt: number;
}
/** Forgets every cached token: another instance revoked one (cluster mode, src/cluster/token-revocations.ts). */
export function dropTokenCache(db: object): void {
  const cache = tokenCache(db);
  cache.entries.clear();
  cache.generation++;
}

/** The cache and its generation: a lookup that began before a revocation does not fill the cache after it. */
interface TokenCache {
  entries: Map<string, CachedToken>;
  generation: number;
}
const tokenCaches = new WeakMap<object, TokenCache>();

function tokenCache(db: object): TokenCache {
  let c = tokenCaches.get(db);
  if (!c) tokenCaches.set(db, (c = { entries: new Map(), generation: 0 }));
  return c;
}

/** Resolves a presented secret to its actor, or throws unauthorized. */
export async function authenticate(deps: Pick<Deps, 'db' | 'clock'>, secret: string | undefined, ip?: string): Promise<Actor> {
  if (!secret) throw new AppError('unauthorized', 'missing token: send Authorization: Bearer <token>');
  const hash = hashToken(secret);
  const cache = tokenCache(deps.db);
  let entry = cache.entries.get(hash);
  if (!entry || performance.now() > entry.freshUntil) {
    if (entry) cache.entries.delete(hash);
    const generation = cache.generation;
    const rec = await findTokenByHash(deps.db, hash);
    // Compare again in constant time (the lookup is by hash, so timing leaks nothing useful, but keep it explicit).
    if (!rec || rec.revoked_at || !timingSafeEqual(Buffer.from(hashToken(secret)), Buffer.from(hash))) {
      throw new AppError('unauthorized', 'invalid or revoked token');
    }
    entry = {
      rec,
      freshUntil: performance.now() + TOKEN_CACHE_MS,
      refreshing: false,
      touchedAt: rec.last_used_at ? Date.parse(rec.last_used_at) : -Infinity,
    };
    if (cache.generation === generation) {
      if (cache.entries.size >= TOKEN_CACHE_MAX) cache.entries.clear();
      cache.entries.set(hash, entry);
    }
  } else if (!entry.refreshing && performance.now() > entry.freshUntil - TOKEN_REFRESH_AHEAD_MS) refreshAhead(deps, cache, hash, entry);
  const rec = entry.rec;
  const now = deps.clock();
  if (now.getTime() - entry.touchedAt > 60_000) {
    entry.touchedAt = now.getTime();
    touchToken(deps.db, rec.id, now).catch(() => {});
  }
  return { id: `token:${rec.id}`, name: rec.name, role: rec.role as Role, ip };
}

/** Looks a cached token up again without anyone waiting; a revoked or deleted one leaves the cache, a live one stays TOKEN_CACHE_MS more. */
function refreshAhead(deps: Pick<Deps, 'db'>, cache: TokenCache, hash: string, entry: CachedToken): void {
  entry.refreshing = true;
  const generation = cache.generation;
  findTokenByHash(deps.db, hash)
    .then((rec) => {
      if (cache.generation !== generation || cache.entries.get(hash) !== entry) return;
      if (!rec || rec.revoked_at) cache.entries.delete(hash);
      else {
        entry.rec = rec;
        entry.freshUntil = performance.now() + TOKEN_CACHE_MS;
      }
    })
    .catch(() => {}) // the entry expires as usual and the next request looks it up itself
    .finally(() => {
      entry.refreshing = false;
    });
}

/**
 * First admin (docs/design.md "Interfaces"): FIREBREAK_ADMIN_TOKEN is registered
 * idempotently; otherwise, when no admin token exists, one is generated,
 * returned (the caller prints it once) and written to <data_dir>/admin-token (0600).
 */
export async function bootstrapAdmin(deps: Deps): Promise<{ generated?: string; file?: string; registered?: boolean }> {
  const now = deps.clock();
  if (deps.config.adminToken) {
    const token = deps.config.adminToken;
    const rec = await insertToken(deps.db, {
      id: `tok_${randomBytes(6).toString('hex')}`,
      name: 'bootstrap-admin',
      role: 'admin',
      hash: hashToken(token),
      prefix: chosenTokenPrefix(token),
      createdAt: now,
      createdBy: 'FIREBREAK_ADMIN_TOKEN',
    });
    // Databases made before this change show the chosen token's first characters: replace them.
    await fixChosenTokenPrefix(deps.db, hashToken(token), chosenTokenPrefix(token));
    if (rec) await writeAudit(deps.db, { at: now, actor: 'system', action: 'token.bootstrap', target: rec.id });
    return { registered: rec !== null };
  }
  if ((await countActiveAdmins(deps.db)) > 0) return {};
  const token = newSecret();
  const rec = await insertToken(deps.db, {
    id: `tok_${randomBytes(6).toString('hex')}`,
    name: 'first-admin',
    role: 'admin',
    hash: hashToken(token),
    prefix: token.slice(0, 10),
    createdAt: now,
    createdBy: 'system',
  });
  await writeAudit(deps.db, { at: now, actor: 'system', action: 'token.bootstrap', target: rec?.id ?? null });
  mkdirSync(deps.config.data_dir, { recursive: true });
  const file = path.join(deps.config.data_dir, 'admin-token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { generated: token, file };
}
