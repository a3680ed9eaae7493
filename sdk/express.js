// Express (4/5) and Connect-style middleware. It writes the answer with plain
// node:http calls, so it also works in a bare http.createServer handler.
import { clientIpGetter, FORBIDDEN_BODY, JSON_TYPE, RATE_LIMITED_BODY } from './client-ip.js';

/**
 * Express middleware enforcing a guard: 403 JSON for banned addresses, 429
 * with `Retry-After` for addresses over their rate limit, `next()` otherwise.
 * An error inside the guard lets the request through (fail open): the guard
 * must never take the application down.
 *
 * @param {import('./index.js').Guard} guard
 * @param {import('./index.js').ExpressGuardOptions} [opts]
 * @returns {import('./index.js').ExpressMiddleware}
 */
export function expressGuard(guard, opts = {}) {
  const getIp = opts.getIp ?? clientIpGetter(opts.trustProxy);
  const onBlock = opts.onBlock;
  return function firebreakGuard(req, res, next) {
    let verdict;
    try {
      verdict = guard.check(getIp(req));
    } catch {
      next();
      return;
    }
    if (verdict.action === 'allow') {
      next();
      return;
    }
    if (onBlock !== undefined) {
      try {
        onBlock(req, res, verdict);
      } catch {
        /* the default answer below still goes out */
      }
      if (res.headersSent || res.writableEnded) return;
    }
    if (verdict.action === 'ban') {
      res.statusCode = 403;
      res.setHeader('Content-Type', JSON_TYPE);
      res.end(FORBIDDEN_BODY);
      return;
    }
    res.statusCode = 429;
    res.setHeader('Content-Type', JSON_TYPE);
    res.setHeader('Retry-After', String(verdict.retryAfterSec));
    res.end(RATE_LIMITED_BODY);
  };
}
