/**
 * Prometheus Alertmanager webhook receiver:
 * `POST /api/v1/integrations/alertmanager/{integration_key}` (the key in the
 * URL is the credential, as Alertmanager's webhook_config has only a URL).
 * 200 when processed; 4xx are final for Alertmanager, 5xx make it retry.
 */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { ingestAlertmanager } from '../../service/integrations/ingest-alertmanager.ts';

const PREFIX = '/api/v1/integrations/alertmanager/';

export function alertmanagerRoutes(app: FastifyInstance, ctx: HttpContext): void {
  void app.register(async (scope) => {
    // The key is a secret: once routed, hide it from the request URL so that
    // nothing that logs `req.url` (app.ts logs failed requests) can leak it.
    scope.addHook('onRequest', async (req) => {
      if (req.raw.url?.startsWith(PREFIX)) req.raw.url = `${PREFIX}[redacted]`;
    });
    scope.post<{ Params: { key: string } }>(`${PREFIX}:key`, async (req) => ingestAlertmanager(ctx.deps, req.params.key, req.body, req.ip));
  });
}
