/**
 * Serves the built dashboard (`web/dist`) at `/`.
 *
 * - Files under `/assets/` carry a content hash in their names (Vite), so they
 *   are cached for a year as immutable; everything else (index.html first) is
 *   `no-cache` and revalidated with its ETag.
 * - A GET for a path that is no file, from a browser (Accept: text/html), gets
 *   index.html: the dashboard routes on the client (`/incidents/12`).
 * - Paths of the API and of the operational endpoints are never answered
 *   here: they fall through to the JSON 404 of app.ts.
 * - Only files inside the root are served: the path is decoded, normalized
 *   and checked to stay under the root; dot-files and NUL bytes are refused.
 * - Text files are gzipped once and kept in memory with the raw bytes
 *   (the dashboard is a handful of small files); a changed mtime or size
 *   reloads them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { packagePath } from '../../paths.ts';

/** `<repo>/web/dist`. */
export const DEFAULT_WEB_DIST = packagePath('web', 'dist') + path.sep;

/** Prefixes that belong to the API and operations, never to the dashboard. */
export const RESERVED_PREFIXES = ['/api', '/v1', '/v2', '/healthz', '/readyz', '/metrics'] as const;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg)/;
const MAX_CACHED_BYTES = 5 * 1024 * 1024;

/**
 * The policy for the dashboard's own pages: scripts and styles from this
 * origin only, API calls to this origin only, never framed.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Loaded {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
  type: string;
}

export function isReservedPath(pathname: string): boolean {
  return RESERVED_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/**
 * Maps a URL path to a file path inside `root`, or null when it would leave
 * the root, names a dot-file, or cannot be decoded.
 */
export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const normalized = path.posix.normalize(`/${decoded}`);
  if (normalized.split('/').some((seg) => seg.startsWith('.'))) return null;
  const file = path.resolve(root, `.${normalized}`);
  const base = path.resolve(root);
  return file === base || file.startsWith(base + path.sep) ? file : null;
}

const MISSING_BUILD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Firebreak</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Firebreak is running</h1>
<p>The dashboard has not been built yet. Build it with</p>
<pre><code>npm run build:web</code></pre>
<p>and reload this page. The HTTP API is available under <code>/api/v1</code>.</p>
</body></html>
`;

/**
 * The dashboard's static files (from `ctx.webDist`, default DEFAULT_WEB_DIST) and SPA fallback
 * (a GET wildcard; API paths fall through to the 404 handler).
 */
export function staticRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const root = path.resolve(ctx.webDist ?? DEFAULT_WEB_DIST);
  const cache = new Map<string, Loaded>();

  async function load(file: string): Promise<Loaded | null> {
    let st;
    try {
      st = await fs.stat(file);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const body = await fs.readFile(file);
    const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const loaded: Loaded = {
      mtimeMs: st.mtimeMs,
      size: st.size,
      body,
      gzip: COMPRESSIBLE.test(type) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null,
      etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`,
      type,
    };
    if (body.length <= MAX_CACHED_BYTES) cache.set(file, loaded);
    return loaded;
  }

  function send(req: FastifyRequest, reply: FastifyReply, f: Loaded, immutable: boolean): FastifyReply {
    reply
      .header('content-type', f.type)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('etag', f.etag)
      .header('x-content-type-options', 'nosniff')
      .header('vary', 'Accept-Encoding');
    if (f.type.startsWith('text/html')) {
      reply.header('content-security-policy', DASHBOARD_CSP).header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    }
    const inm = req.headers['if-none-match'];
    if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === f.etag)) return reply.code(304).send();
    const ae = req.headers['accept-encoding'];
    if (f.gzip && typeof ae === 'string' && /\bgzip\b/.test(ae)) return reply.header('content-encoding', 'gzip').send(f.gzip);
    return reply.send(f.body);
  }

  app.get('/*', async (req, reply) => {
    const pathname = req.url.split('?')[0]!;
    if (isReservedPath(pathname)) return reply.callNotFound();
    const file = resolveInside(root, pathname);
    if (file !== null && pathname !== '/') {
      const f = await load(file);
      if (f) return send(req, reply, f, pathname.startsWith('/assets/'));
    }
    const accept = req.headers.accept ?? '';
    if (pathname !== '/' && !accept.includes('text/html')) return reply.callNotFound();
    const index = await load(path.join(root, 'index.html'));
    if (!index) {
      return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(MISSING_BUILD);
    }
    return send(req, reply, index, false);
  });
}
