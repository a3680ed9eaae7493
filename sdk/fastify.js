// Fastify onRequest hook: runs before body parsing, so a banned client costs
// no parsing work. Register with `app.addHook('onRequest', fastifyGuard(guard))`.
import { clientIpGetter, FORBIDDEN_BODY, JSON_TYPE, RATE_LIMITED_BODY } from './client-ip.js';

/**
 * Fastify `onRequest` hook enforcing a guard (403 for bans, 429 with
 * `Retry-After` under rate limits). Default address: the socket's, ignoring
 * Fastify's own `trustProxy`; pass `getIp: (req) => req.ip` to use Fastify's.
 *
 * @param {import('./index.js').Guard} guard
 * @param {import('./index.js').FastifyGuardOptions} [opts]
 * @returns {import('./index.js').FastifyOnRequestHook}
 */
export function fastifyGuard(guard, opts = {}) {
  const rawIp = clientIpGetter(opts.trustProxy);
  const getIp = opts.getIp ?? ((request) => rawIp(request.raw));
  const onBlock = opts.onBlock;
  return function firebreakGuard(request, reply, done) {
    let verdict;
    try {
      verdict = guard.check(getIp(request));
    } catch {
      done();
      return;
    }
    if (verdict.action === 'allow') {
      done();
      return;
    }
    if (onBlock !== undefined) {
      try {
        onBlock(request, reply, verdict);
      } catch {
        /* the default answer below still goes out */
      }
      if (reply.sent) return;
    }
    reply.header('content-type', JSON_TYPE);
    if (verdict.action === 'ban') {
      reply.code(403).send(FORBIDDEN_BODY);
      return;
    }
    reply.code(429).header('retry-after', String(verdict.retryAfterSec)).send(RATE_LIMITED_BODY);
  };
}
