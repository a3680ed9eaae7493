import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';

/** Liveness, readiness and the detailed health report of the seed (`/api/health/detailed`). */
export function healthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    if (!ctx.isReady()) return reply.code(503).send({ status: 'starting' });
    const blocked = ctx.health.flatMap((p) => {
      const why = p.notReady?.();
      return why ? [{ name: p.name, why }] : [];
    });
    if (blocked.length) {
      return reply
        .code(503)
        .send({ status: 'unavailable', failing: blocked.map((b) => b.name), error: blocked.map((b) => `${b.name}: ${b.why}`).join('; ') });
    }
    try {
      await ctx.deps.db.query('SELECT 1');
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', failing: ['database'], error: (err as Error).message });
    }
  });

  app.get('/api/health/detailed', async (_req, reply) => {
    const parts: Record<string, unknown> = {};
    const failing: string[] = [];
    let degraded = false;
    await Promise.all(
      ctx.health.map(async (p) => {
        const t0 = performance.now();
        try {
          const r = await withTimeout(p.check(), 3000);
          parts[p.name] = { ...r, latency_ms: r.latency_ms ?? round(performance.now() - t0) };
          if (r.status === 'down' && p.critical) failing.push(p.name);
          else if (r.status !== 'ok') degraded = true;
        } catch (err) {
          parts[p.name] = { status: 'down', error: (err as Error).message, latency_ms: round(performance.now() - t0) };
          if (p.critical) failing.push(p.name);
          else degraded = true;
        }
      }),
    );
    const body = {
      status: failing.length ? 'down' : degraded ? 'degraded' : 'ok',
      ...(failing.length ? { failing } : {}),
      version: ctx.version,
      uptime_seconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
      started_at: ctx.startedAt.toISOString(),
      storage: ctx.deps.db.kind,
      components: parts,
    };
    return reply.code(failing.length ? 503 : 200).send(body);
  });
}

const round = (n: number) => Math.round(n * 100) / 100;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
