/**
 * Test support for HTTP-level tests: a Firebreak built on a fresh test
 * database (embedded or server), with an admin token and helpers to call the
 * API through inject() (no socket). Used only by tests.
 */
import { loadConfig, type Config } from './config.ts';
import { createFirebreak, type Firebreak, type CreateOptions } from './main.ts';
import { createTestDatabase, type Backend, type TestDatabase } from './store/test-databases.ts';
import pino from 'pino';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';

export interface TestFirebreak {
  fb: Firebreak;
  config: Config;
  tdb: TestDatabase;
  /** Calls the API as admin unless `token` is given (null = no Authorization header). */
  call(
    method: string,
    url: string,
    body?: unknown,
    token?: string | null,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  makeToken(role: string, name?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestFirebreak(
  backend: Backend,
  opts: { configYaml?: Record<string, unknown>; create?: CreateOptions; env?: Record<string, string> } = {},
): Promise<TestFirebreak> {
  const tdb = await createTestDatabase(backend);
  // Tests post webhooks to receivers on loopback, which outbound webhooks refuse unless allowed, and
  // some ban /8 and /15 ranges, wider than the default decisions.max_range (/16).
  const raw = {
    data_dir: tdb.dataDir,
    log_level: 'silent',
    outbound: { allow: ['127.0.0.0/8', '::1'] },
    decisions: { max_range: { ipv4: 8, ipv6: 32 } },
    ...(opts.configYaml ?? {}),
  };
  const { writeFileSync } = await import('node:fs');
  const file = `${tdb.dataDir}.yaml`;
  writeFileSync(file, JSON.stringify(raw)); // JSON is YAML
  const config = loadConfig({
    file,
    env: { FIREBREAK_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...(tdb.databaseUrl ? { DATABASE_URL: tdb.databaseUrl } : {}), ...(opts.env ?? {}) },
  });
  const fb = await createFirebreak(config, { logger: pino({ level: 'silent' }), background: false, ...(opts.create ?? {}) });
  const call: TestFirebreak['call'] = async (method, url, body, token = TEST_ADMIN_TOKEN, headers = {}) => {
    // Events are sent again after a 503 (storage slower than the answer's 800 ms budget, as on a loaded CI
    // machine), as the API tells a client to: nothing of such a request was accepted. A few tries, so
    // storage that stays down still fails the test. (A 429 is answered as is: tests of back-pressure read it.)
    for (let attempt = 1; ; attempt++) {
      const r = await callOnce(method, url, body, token, headers);
      const resend = method === 'POST' && url.startsWith('/api/v1/events') && r.status === 503;
      if (!resend || attempt === 5) return r;
      await new Promise((res) => setTimeout(res, 100 * attempt));
    }
  };
  const callOnce: TestFirebreak['call'] = async (method, url, body, token = TEST_ADMIN_TOKEN, headers = {}) => {
    const res = await fb.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  };
  return {
    fb,
    config,
    tdb,
    call,
    async makeToken(role, name = `${role}-token`) {
      const r = await call('POST', '/api/v1/tokens', { role, name });
      if (r.status !== 201) throw new Error(`token create failed: ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async close() {
      await fb.close();
      await tdb.destroy();
    },
  };
}
