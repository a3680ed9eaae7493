// Token authentication with its short cache: a revocation through Firebreak
// takes effect at once; a change made behind its back (another process on a
// shared database) within TOKEN_CACHE_MS.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFirebreak, TEST_ADMIN_TOKEN, type TestFirebreak } from '../../test-harness.ts';
import { testBackends } from '../../store/test-databases.ts';
import { AppError } from '../../errors.ts';
import { authenticate, hashToken, revokeToken, TOKEN_CACHE_MS } from './tokens.ts';

const admin = { id: 'test', name: 'test', role: 'admin' as const };

for (const backend of testBackends()) {
  describe(`token authentication (${backend})`, () => {
    let t: TestFirebreak;
    before(async () => {
      t = await startTestFirebreak(backend);
    });
    after(() => t.close());

    const isUnauthorized = (err: unknown) => err instanceof AppError && err.code === 'unauthorized';
    const idOf = async (name: string) =>
      ((await t.call('GET', '/api/v1/tokens')).body.items as { id: string; name: string }[]).find((x) => x.name === name)!.id;

    test('a revocation through Firebreak refuses the token at once, even right after a cached use', async () => {
      const secret = await t.makeToken('ingest', 'sender-a');
      const actor = await authenticate(t.fb.deps, secret, '192.0.2.1');
      assert.deepEqual([actor.name, actor.role, actor.ip], ['sender-a', 'ingest', '192.0.2.1']);
      await authenticate(t.fb.deps, secret); // cached now
      await revokeToken(t.fb.deps, admin, await idOf('sender-a'));
      await assert.rejects(authenticate(t.fb.deps, secret), isUnauthorized);
      assert.equal((await t.call('POST', '/api/v1/events', [], secret)).status, 401);
    });

    test(`a revocation written by another process is seen within ${TOKEN_CACHE_MS} ms; unknown tokens are never cached`, async () => {
      const secret = await t.makeToken('ingest', 'sender-b');
      await authenticate(t.fb.deps, secret);
      await t.fb.deps.db.query(`UPDATE tokens SET revoked_at = now() WHERE hash = $1`, [hashToken(secret)]);
      await authenticate(t.fb.deps, secret); // still cached: the cost of no lookup per request
      await new Promise((r) => setTimeout(r, TOKEN_CACHE_MS + 50));
      await assert.rejects(authenticate(t.fb.deps, secret), isUnauthorized);

      await assert.rejects(authenticate(t.fb.deps, 'fbk_not-a-token'), isUnauthorized);
      await assert.rejects(authenticate(t.fb.deps, undefined), isUnauthorized);
    });

    test('the token list never shows characters of a chosen FIREBREAK_ADMIN_TOKEN, only a hash-derived id', async () => {
      const items = (await t.call('GET', '/api/v1/tokens')).body.items as { name: string; prefix: string }[];
      const boot = items.find((x) => x.name === 'bootstrap-admin')!;
      assert.equal(boot.prefix, `sha256:${hashToken(TEST_ADMIN_TOKEN).slice(0, 8)}`);
      assert.ok(!TEST_ADMIN_TOKEN.startsWith(boot.prefix.slice(0, 4)));
      const made = items.find((x) => x.name !== 'bootstrap-admin');
      if (made) assert.match(made.prefix, /^fbk_/, 'generated tokens keep their random prefix');
    });
  });
}
