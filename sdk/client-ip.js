// Which address a request comes from, and the answers sent to blocked clients.
//
// Why the socket address by default: X-Forwarded-For is a request header, so
// any client can send `X-Forwarded-For: 127.0.0.1` and, if we believed it,
// step around its own ban (or get an innocent address banned through the
// events we report). Only the entries appended by proxies *you* run can be
// trusted, and those are the right-most ones: with `trustProxy: n` we take the
// n-th address from the right of `XFF + socket address`, never the left-most.

/**
 * Returns a function giving a request's client address.
 * @param {boolean | number | undefined} trustProxy  false/undefined: socket
 *   address; true: one trusted proxy hop; n: n trusted hops.
 * @returns {(req: import('node:http').IncomingMessage) => string | undefined}
 */
export function clientIpGetter(trustProxy) {
  const hops = trustProxy === true ? 1 : typeof trustProxy === 'number' ? trustProxy : 0;
  if (!Number.isInteger(hops) || hops < 0) throw new TypeError('trustProxy must be a boolean or a non-negative integer');
  if (hops === 0) return (req) => req.socket?.remoteAddress;
  return (req) => {
    const remote = req.socket?.remoteAddress;
    const xff = req.headers['x-forwarded-for'];
    if (typeof xff !== 'string' || xff === '') return remote;
    const chain = xff.split(',');
    chain.push(remote ?? '');
    // chain[len-1] is the socket peer (our nearest proxy); each trusted hop vouches for one more to its left.
    const pick = chain[Math.max(0, chain.length - 1 - hops)].trim();
    return pick === '' ? remote : pick;
  };
}

/** Body of the 403 answer, the Firebreak API error shape. */
export const FORBIDDEN_BODY = JSON.stringify({
  error: { code: 'forbidden', message: 'Access from your address is blocked.' },
});

/** Body of the 429 answer. */
export const RATE_LIMITED_BODY = JSON.stringify({
  error: { code: 'rate_limited', message: 'Too many requests from your address; retry later.' },
});

export const JSON_TYPE = 'application/json; charset=utf-8';
