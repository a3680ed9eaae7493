// Runs the Express and Fastify examples of README.md, unchanged, as real
// processes against the stand-in Firebreak: login failures reach the ingest
// endpoint, and a ban pushed on the stream closes the app to the client.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BOUNCER_KEY, INGEST_TOKEN, startFakeFirebreak, waitFor } from './testing/fake-firebreak.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(path.join(here, 'README.md'), 'utf8');

/** The first ```js block after the heading `## <title>`. */
function example(title) {
  const at = readme.indexOf(`\n## ${title}\n`);
  assert.ok(at >= 0, `README has a "${title}" section`);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  return m[1];
}

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

for (const title of ['Express', 'Fastify']) {
  test(`README ${title} example`, async (t) => {
    const fb = await startFakeFirebreak();
    t.after(() => fb.close());
    const port = await freePort();
    // cwd is the package root, so `firebreak/sdk` resolves to this folder (package self-reference).
    const child = spawn(process.execPath, ['--input-type=module', '-e', example(title)], {
      cwd: path.resolve(here, '..'),
      env: {
        ...process.env,
        FIREBREAK_URL: fb.url,
        FIREBREAK_BOUNCER_KEY: BOUNCER_KEY,
        FIREBREAK_INGEST_TOKEN: INGEST_TOKEN,
        PORT: String(port),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      () =>
        fetch(base).then(
          (r) => r.ok,
          () => false,
        ),
      10_000,
      `${title} example listening`,
    );

    const login = (password) =>
      fetch(`${base}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password }),
      });
    assert.equal((await login('guess')).status, 401);
    assert.equal((await login('correct horse battery staple')).status, 200);
    await waitFor(() => fb.batches.flatMap((b) => b.events).length === 2, 5000, 'events reported');
    const events = fb.batches.flatMap((b) => b.events);
    assert.deepEqual(
      events.map((e) => [e.type, e.ip, e.user_id, e.route]),
      [
        ['auth.login_failed', '127.0.0.1', 'alice', '/login'],
        ['auth.login_succeeded', '127.0.0.1', 'alice', '/login'],
      ],
    );

    fb.add({ id: 1, type: 'ban', scope: 'Ip', value: '127.0.0.1' });
    await waitFor(() => fetch(base).then((r) => r.status === 403), 5000, 'ban enforced');
    assert.equal((await login('correct horse battery staple')).status, 403);
  });
}
