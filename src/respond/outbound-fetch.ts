/**
 * The `fetch` of outbound webhooks (the `webhook` action, webhook and Slack
 * channels): it refuses non-public addresses unless `outbound.allow` lists
 * them (src/domain/outbound-address.ts). The check runs on the address the
 * socket actually connects to (a `lookup` hook of node:http), so a name that
 * resolves to a public address when checked and to 127.0.0.1 when used (DNS
 * rebinding) is refused too. Redirects are never followed (callers ask for
 * `redirect: 'manual'`), and at most `maxBodyBytes` of an answer are read.
 *
 * A refusal rejects like fetch does (TypeError "fetch failed") with
 * `cause.code = OUTBOUND_REFUSED` and the reason in `cause.message`.
 */
import http from 'node:http';
import https from 'node:https';
import dns, { type LookupAddress } from 'node:dns';
import net from 'node:net';
import { outboundRefusal, parseOutboundAllow } from '../domain/outbound-address.ts';

export const OUTBOUND_REFUSED = 'EOUTBOUND_REFUSED';

export interface OutboundFetchOptions {
  /** `outbound.allow`: addresses, CIDRs or host names that may be reached although not public. */
  allow: readonly string[];
  /** Default 64 KiB: webhook answers are only looked at for their status. */
  maxBodyBytes?: number;
  /** For tests: resolve names another way. */
  resolve?: (host: string) => Promise<LookupAddress[]>;
}

function refused(message: string): Error {
  return Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code: OUTBOUND_REFUSED }) });
}

const NO_BODY = new Set([101, 204, 205, 304]);

export function createOutboundFetch(opts: OutboundFetchOptions): typeof fetch {
  const allow = parseOutboundAllow(opts.allow);
  const maxBody = opts.maxBodyBytes ?? 64 * 1024;
  const resolve = opts.resolve ?? ((host: string) => dns.promises.lookup(host, { all: true, verbatim: true }));

  const outboundFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(`refused: ${url.protocol} is not http(s)`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host)) {
      const why = outboundRefusal(host, host, allow);
      if (why) throw refused(why);
    }
    // Checked where the socket connects: every address the name resolves to must be allowed.
    const lookup = (hostname: string, options: dns.LookupOptions, cb: (...a: any[]) => void) => {
      resolve(hostname).then(
        (addrs) => {
          if (addrs.length === 0) return cb(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
          for (const a of addrs) {
            const why = outboundRefusal(hostname, a.address, allow);
            if (why) return cb(Object.assign(new Error(why), { code: OUTBOUND_REFUSED }));
          }
          if (options.all) cb(null, addrs);
          else cb(null, addrs[0]!.address, addrs[0]!.family);
        },
        (err: unknown) => cb(err),
      );
    };
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<Response>((resolveRes, reject) => {
      const req = mod.request(
        url,
        { method: init.method ?? 'GET', headers, lookup: lookup as never, signal: init.signal ?? undefined, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              if (v !== undefined) for (const x of Array.isArray(v) ? v : [v]) h.append(k, x);
            const status = res.statusCode ?? 502;
            resolveRes(new Response(NO_BODY.has(status) ? null : Buffer.concat(chunks), { status, headers: h }));
          };
          res.on('data', (c: Buffer) => {
            if (size >= maxBody) return;
            chunks.push(c.subarray(0, maxBody - size));
            size += c.length;
            if (size >= maxBody) {
              done();
              res.destroy();
            }
          });
          res.on('end', () => size < maxBody && done());
          res.on('error', (err) => reject(Object.assign(new TypeError('fetch failed'), { cause: err })));
        },
      );
      req.on('error', (err) => reject(err.name === 'AbortError' ? err : Object.assign(new TypeError('fetch failed'), { cause: err })));
      req.end(body);
    });
  };
  return outboundFetch as typeof fetch;
}
