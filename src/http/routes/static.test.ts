import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startTestFirebreak, type TestFirebreak } from '../../test-harness.ts';
import { buildApp } from '../app.ts';
import { healthRoutes } from './health.ts';
import type { HttpContext } from '../http-context.ts';
import { resolveInside, staticRoutes } from './static.ts';

const SECRET = 'secret-outside-the-root';

describe('dashboard static files', () => {
  let t: TestFirebreak;
  let dir: string;
  let root: string;
  let app: FastifyInstance;
  let missing: FastifyInstance;
  const bigJs = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;

  before(async () => {
    t = await startTestFirebreak('embedded');
    dir = mkdtempSync(path.join(tmpdir(), 'firebreak-static-'));
    root = path.join(dir, 'dist');
    mkdirSync(path.join(root, 'assets'), { recursive: true });
    mkdirSync(path.join(root, '.hidden'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>dash</title><div id="root"></div>');
    writeFileSync(path.join(root, 'assets', 'index-AbC123.js'), bigJs);
    writeFileSync(path.join(root, 'assets', 'index-AbC123.css'), 'body{}');
    writeFileSync(path.join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(path.join(root, '.hidden', 'x.txt'), SECRET);
    writeFileSync(path.join(dir, 'secret.txt'), SECRET);
    // What the health and static routes read: the database, readiness, the dashboard directory.
    const ctx = {
      deps: t.fb.deps,
      actor: () => Promise.reject(new Error('no auth in these tests')),
      isReady: () => true,
      health: [],
    } as Partial<HttpContext> as HttpContext;
    app = buildApp({ ...ctx, webDist: root }, [healthRoutes, staticRoutes]);
    missing = buildApp({ ...ctx, webDist: path.join(dir, 'not-built') }, [healthRoutes, staticRoutes]);
  });
  after(async () => {
    await app?.close();
    await missing?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = {}, on = app) => on.inject({ method: 'GET', url, headers });
  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  test('/ is index.html, revalidated every time, with a strict content security policy', async () => {
    const r = await get('/', html);
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(String(r.headers['content-security-policy']), /script-src 'self';/);
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.match(r.body, /<title>dash<\/title>/);
    const etag = String(r.headers.etag);
    const again = await get('/', { ...html, 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    const head = await app.inject({ method: 'HEAD', url: '/' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
  });

  test('hashed assets are immutable for a year; other files are revalidated; types are right', async () => {
    const js = await get('/assets/index-AbC123.js');
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    assert.equal(js.body, bigJs);
    assert.equal(js.headers['content-security-policy'], undefined, 'the policy is for pages');
    const css = await get('/assets/index-AbC123.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const svg = await get('/favicon.svg');
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.equal(svg.headers['cache-control'], 'no-cache');
  });

  test('text is gzipped when the client accepts it', async () => {
    const r = await app.inject({ method: 'GET', url: '/assets/index-AbC123.js', headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers.vary, 'Accept-Encoding');
    assert.ok(r.rawPayload.length < bigJs.length / 4);
    assert.equal(gunzipSync(r.rawPayload).toString(), bigJs);
  });

  test('client-side routes get index.html when a browser asks for a page; everything else 404s as JSON', async () => {
    for (const url of ['/incidents/12', '/security', '/health', '/oncall?x=1']) {
      const r = await get(url, html);
      assert.equal(r.statusCode, 200, url);
      assert.match(r.body, /<title>dash<\/title>/, url);
    }
    for (const [url, headers] of [
      ['/assets/missing-123.js', {}],
      ['/incidents/12', { accept: 'application/json' }],
      ['/nothing.png', { accept: 'image/*' }],
    ] as const) {
      const r = await get(url, headers);
      assert.equal(r.statusCode, 404, url);
      assert.equal(JSON.parse(r.body).error.code, 'not_found', url);
    }
    const post = await app.inject({ method: 'POST', url: '/', headers: html });
    assert.equal(post.statusCode, 404);
  });

  test('never shadows the API and the operational endpoints', async () => {
    for (const url of ['/api', '/api/v1/nothing-here', '/api/health/nothing', '/v1/decisions', '/v2/enqueue', '/metrics/x']) {
      const r = await get(url, html);
      assert.equal(r.statusCode, 404, url);
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8', url);
      assert.doesNotMatch(r.body, /<title>dash/, url);
    }
    assert.deepEqual(JSON.parse((await get('/healthz', html)).body), { status: 'ok' });
    const rz = await get('/readyz', html);
    assert.equal(JSON.parse(rz.body).status, 'ready', rz.body);
    const metrics = await t.fb.app.inject({ method: 'GET', url: '/metrics', headers: html });
    assert.doesNotMatch(metrics.body, /<!doctype html>/i, 'the wired app keeps /metrics');
  });

  test('no path leaves the root or reaches a dot-file', async () => {
    const attempts = [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/%5c..%5csecret.txt',
      '/.hidden/x.txt',
      '/%2ehidden/x.txt',
      '/index.html%00.js',
      '/%ff%fe',
      '//secret.txt',
    ];
    for (const url of attempts) {
      for (const headers of [{}, html]) {
        const r = await get(url, headers);
        assert.ok(!r.body.includes(SECRET), `${url} leaked the file`);
        assert.ok(
          r.statusCode === 404 || r.statusCode === 400 || (r.statusCode === 200 && r.body.includes('<title>dash')),
          `${url} → ${r.statusCode} ${r.body.slice(0, 80)}`,
        );
      }
    }
  });

  test('resolveInside keeps every path under the root', () => {
    const r = '/srv/dist';
    const cases: [string, string | null][] = [
      ['/', r],
      ['/index.html', `${r}/index.html`],
      ['/assets/a.js', `${r}/assets/a.js`],
      ['/a/../b.js', `${r}/b.js`],
      ['/../../etc/passwd', `${r}/etc/passwd`],
      ['/%2e%2e/%2e%2e/etc/passwd', `${r}/etc/passwd`],
      ['/.env', null],
      ['/assets/.git/config', null],
      ['/a%00b', null],
      ['/a%5cb', null],
      ['/%E0%A4%A', null],
    ];
    for (const [url, want] of cases) assert.equal(resolveInside(r, url), want, url);
  });

  test('without a build, / says how to make one', async () => {
    const r = await get('/', html, missing);
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(r.body, /npm run build:web/);
    assert.equal((await get('/api/v1/nothing', html, missing)).statusCode, 404);
  });
});
