/**
 * One-click acknowledgement pages: `GET /ack/<token>` shows the incident and
 * a confirm button (so link prefetchers and mail scanners, which only GET,
 * acknowledge nothing); the button POSTs to the same URL, which acknowledges.
 * No API token: the signed, single-use link is the credential.
 *
 * Pages are tiny, self-contained HTML: every value is escaped, nothing is
 * loaded from elsewhere (CSP `default-src 'none'`), they are never cached,
 * and the token never leaks through a Referer.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HttpContext } from '../http-context.ts';
import { AppError } from '../../errors.ts';
import { HTTP_STATUS, normalizeHttpError } from '../error-map.ts';
import { escapeHtml as e } from '../../notify/email-channel.ts';
import { acknowledgeByLink, inspectAckLink, type AckLinkState } from '../../service/incidents/acknowledge-by-link.ts';
import type { Incident } from '../../domain/incident.ts';

// A wildcard, not `:token`: tokens are longer than the router's 100-character parameter limit.
type TokenParams = { Params: { '*': string } };

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<meta name="robots" content="noindex"><title>${e(title)} · Firebreak</title>` +
        `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}` +
        `button{font-size:1.1rem;padding:.6rem 1.4rem;background:#b42318;color:#fff;border:0;border-radius:6px;cursor:pointer}` +
        `.muted{color:#666}</style></head><body><h1>${e(title)}</h1>${body}</body></html>`,
    );
}

function about(i: Incident): string {
  return `<p><strong>#${e(i.id)} ${e(i.title)}</strong><br><span class="muted">${e(i.severity)} · ${e(i.type)} · opened ${e(i.created_at)}</span></p>`;
}

function stateTitle(s: AckLinkState): [number, string, string] {
  switch (s.state) {
    case 'invalid':
      return [403, 'Link not valid', '<p>This acknowledge link is not valid. Use the newest notification, or the dashboard.</p>'];
    case 'expired':
      return [403, 'Link expired', '<p>Acknowledge links work for 24 hours. Use a newer notification, or the dashboard.</p>'];
    case 'used':
      return [
        409,
        'Link already used',
        `${s.incident ? about(s.incident) : ''}<p>This link was used by ${e(s.usedBy)} at ${e(s.usedAt)}. Each link works once.</p>`,
      ];
    case 'acknowledged':
      return [
        409,
        'Already acknowledged',
        `${about(s.incident)}<p>Acknowledged by ${e(s.incident.acknowledged_by ?? 'someone')} at ${e(s.incident.acknowledged_at ?? '')}.</p>`,
      ];
    case 'resolved':
      return [409, 'Already resolved', `${about(s.incident)}<p>Resolved at ${e(s.incident.resolved_at ?? '')}.</p>`];
    case 'ready':
      return [
        200,
        'Acknowledge this incident?',
        `${about(s.incident)}<p>Acknowledging stops the escalation: nobody else is paged for it.</p>` +
          `<form method="post"><button type="submit">Acknowledge</button></form>`,
      ];
  }
}

export function ackLinkRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const edeps = ctx.escalation;
  // Encapsulated: the form body parser and the HTML error pages stay here.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, _body, done) => done(null, {}));
    scope.setErrorHandler((err, _req, reply) => {
      const a = normalizeHttpError(err);
      if (a.code === 'internal') edeps.logger.error({ err: a.cause ?? a }, 'ack link failed');
      return page(
        reply,
        HTTP_STATUS[a.code],
        'Could not acknowledge',
        `<p>${e(a.code === 'internal' ? 'Something went wrong; try again, or use the dashboard.' : a.message)}</p>`,
      );
    });
    scope.get<TokenParams>('/ack/*', async (req, reply) => {
      const [status, title, body] = stateTitle(await inspectAckLink(edeps, req.params['*']));
      return page(reply, status, title, body);
    });
    scope.post<TokenParams>('/ack/*', async (req, reply) => {
      try {
        const inc = await acknowledgeByLink(edeps, req.params['*'], req.ip);
        return page(reply, 200, 'Acknowledged', `${about(inc)}<p>Thank you. The escalation is stopped; you own this incident now.</p>`);
      } catch (err) {
        if (err instanceof AppError && err.code === 'conflict') {
          const [, title, body] = stateTitle(await inspectAckLink(edeps, req.params['*']));
          return page(
            reply,
            409,
            title === 'Acknowledge this incident?' ? 'Could not acknowledge' : title,
            title === 'Acknowledge this incident?' ? `<p>${e(err.message)}</p>` : body,
          );
        }
        throw err;
      }
    });
  });
}
