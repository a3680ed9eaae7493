// A real Fastify app behind the guard (onRequest hook), hit with fetch.
import { test } from 'node:test';
import Fastify from 'fastify';
import { fastifyGuard } from './index.js';
import { runMiddlewareCases, runProxyCases } from './testing/middleware-cases.js';

async function listen(guard, opts) {
  const app = Fastify();
  app.addHook('onRequest', fastifyGuard(guard, opts));
  app.get('/hello', async () => ({ hello: 'world' }));
  await app.listen({ port: 0, host: '::' });
  return { port: app.server.address().port, close: () => app.close() };
}

test('fastify: 403 for bans, 200 for others, 429 with Retry-After under rate_limit', (t) => runMiddlewareCases(t, listen));
test('fastify: X-Forwarded-For only with trustProxy; getIp and onBlock hooks', (t) => runProxyCases(t, listen));
