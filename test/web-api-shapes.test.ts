// The dashboard's view of the API (web/src/types.ts) against the API itself:
// every field an interface there declares must be a field the server sends
// for that kind of object, so a renamed or dropped field fails here instead
// of leaving an empty cell in the dashboard. The declarations are read with
// the TypeScript compiler; the answers come from a real Firebreak.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { startTestFirebreak, TEST_ADMIN_TOKEN, type TestFirebreak } from '../src/test-harness.ts';
import { testBackends } from '../src/store/test-databases.ts';

const TYPES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'src', 'types.ts');

/** Property names of each interface declared in web/src/types.ts. */
function declaredFields(): Map<string, string[]> {
  const file = ts.createSourceFile(TYPES, readFileSync(TYPES, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out = new Map<string, string[]>();
  for (const st of file.statements) {
    if (!ts.isInterfaceDeclaration(st)) continue;
    out.set(
      st.name.text,
      st.members.filter(ts.isPropertySignature).map((m) => (m.name as ts.Identifier).text),
    );
  }
  return out;
}

/** Fields declared by the dashboard that none of the objects carries. */
function missing(fields: readonly string[], objects: readonly Record<string, unknown>[]): string[] {
  assert.ok(objects.length > 0, 'no object to compare with');
  const sent = new Set(objects.flatMap((o) => Object.keys(o)));
  return fields.filter((f) => !sent.has(f));
}

for (const backend of testBackends()) {
  describe(`the dashboard reads only fields the API sends (${backend})`, () => {
    let t: TestFirebreak;
    const declared = declaredFields();
    const fields = (name: string) => {
      const f = declared.get(name);
      assert.ok(f, `web/src/types.ts declares ${name}`);
      return f;
    };

    before(async () => {
      t = await startTestFirebreak(backend, {
        configYaml: {
          people: [{ id: 'alice', name: 'Alice' }],
          schedules: [{ name: 'primary', rotation: { every: '1w', handoff: '09:00', members: ['alice'] } }],
        },
      });
    });
    after(() => t?.close());

    test('TimelineEntry', async () => {
      const inc = await t.call('POST', '/api/v1/incidents', { type: 'ddos', severity: 'high', title: 'flood' });
      assert.equal(inc.status, 201, JSON.stringify(inc.body));
      const r = await t.call('GET', `/api/v1/incidents/${inc.body.id}/timeline`);
      assert.deepEqual(missing(fields('TimelineEntry'), r.body.items), []);
    });

    test('Decision', async () => {
      const d = await t.call('POST', '/api/v1/decisions', { scope: 'ip', value: '203.0.113.9', reason: 'test' });
      assert.equal(d.status, 201, JSON.stringify(d.body));
      const r = await t.call('GET', '/api/v1/decisions');
      assert.deepEqual(missing(fields('Decision'), r.body.items), []);
    });

    test('AllowEntry', async () => {
      const a = await t.call('POST', '/api/v1/allowlist', { cidr: '198.51.100.0/24', note: 'office' });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      const r = await t.call('GET', '/api/v1/allowlist');
      assert.deepEqual(missing(fields('AllowEntry'), r.body.items), []);
    });

    test('Schedule', async () => {
      const r = await t.call('GET', '/api/v1/schedules');
      assert.deepEqual(missing(fields('Schedule'), r.body.items), []);
    });

    test('SessionView', async () => {
      const r = await t.call('POST', '/api/v1/session', { token: TEST_ADMIN_TOKEN }, null);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(missing(fields('SessionView'), [r.body]), []);
    });
  });
}
