// A real Express 5 app behind the guard, hit with fetch.
import { test } from 'node:test';
import express from 'express';
import { expressGuard } from './index.js';
import { runMiddlewareCases, runProxyCases } from './testing/middleware-cases.js';

async function listen(guard, opts) {
  const app = express();
  app.use(expressGuard(guard, opts));
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '::', () => resolve(s));
  });
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('express: 403 for bans, 200 for others, 429 with Retry-After under rate_limit', (t) => runMiddlewareCases(t, listen));
test('express: X-Forwarded-For only with trustProxy; getIp and onBlock hooks', (t) => runProxyCases(t, listen));
