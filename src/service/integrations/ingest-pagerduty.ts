/**
 * PagerDuty Events API v2 (`POST /v2/enqueue`), so senders built for
 * PagerDuty work unchanged with a Firebreak integration key as routing_key.
 *
 * | event_action | dedup_key known, incident open      | otherwise                                   |
 * |--------------|-------------------------------------|---------------------------------------------|
 * | trigger      | a signal on it (dedup)              | opens one (or re-opens it within the window) |
 * | acknowledge  | acknowledged (if triggered)         | dropped, as PagerDuty does                  |
 * | resolve      | resolved                            | dropped                                     |
 *
 * A trigger without dedup_key gets a generated one, returned in the answer.
 * Every problem of an invalid event is listed (PagerDuty's `errors` array).
 * Where Firebreak differs from PagerDuty: a trigger shortly after a resolve
 * re-opens the incident (Firebreak's re-open window) instead of opening a new one.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.ts';
import { findOpenByDedup } from '../../store/incident-repo.ts';
import { incidentTypeForKey, findKeyType } from '../../store/integration-repo.ts';
import type { Deps } from '../core/context.ts';
import { openIncident } from '../incidents/open-incident.ts';
import { acknowledgeIncident } from '../incidents/acknowledge-incident.ts';
import { resolveIncident } from '../incidents/resolve-incident.ts';
import { authenticateIntegration } from './query-integrations.ts';
import { integrationActor, mapSeverity, slugType } from './integration-severity.ts';

const PD_SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];

/** An invalid event: PagerDuty answers 400 with these messages. */
export class InvalidPagerDutyEvent extends AppError {
  constructor(readonly errors: string[]) {
    super('invalid', `invalid event: ${errors.join('; ')}`, { details: errors.map((message) => ({ message })) });
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const blank = (v: unknown) => typeof v !== 'string' || v.trim() === '';

/** Every problem with the event, in PagerDuty's words where it has them. */
export function pagerDutyEventProblems(body: unknown): string[] {
  if (!isObj(body)) return ['Event object must be a JSON object'];
  const e: string[] = [];
  if (blank(body.routing_key)) e.push("'routing_key' is missing or blank");
  if (blank(body.event_action)) e.push("'event_action' is missing or blank");
  else if (!ACTIONS.includes(body.event_action as string)) e.push(`'event_action' is invalid (must be one of ${ACTIONS.join(', ')})`);
  if (body.dedup_key !== undefined && (typeof body.dedup_key !== 'string' || body.dedup_key.length > 255))
    e.push("'dedup_key' must be a string of at most 255 characters");
  if (body.event_action !== 'trigger') {
    if (ACTIONS.includes(body.event_action as string) && blank(body.dedup_key)) e.push("'dedup_key' is missing or blank");
    return e;
  }
  const p = body.payload;
  if (!isObj(p)) return [...e, "'payload' is missing or not an object"];
  if (blank(p.summary)) e.push("'payload.summary' is missing or blank");
  else if ((p.summary as string).length > 1024) e.push("'payload.summary' is longer than 1024 characters");
  if (blank(p.source)) e.push("'payload.source' is missing or blank");
  if (blank(p.severity)) e.push("'payload.severity' is missing or blank");
  else if (!PD_SEVERITIES.includes(p.severity as string))
    e.push(`'payload.severity' is invalid (must be one of ${PD_SEVERITIES.join(', ')})`);
  if (p.timestamp !== undefined && (typeof p.timestamp !== 'string' || !Number.isFinite(Date.parse(p.timestamp))))
    e.push("'payload.timestamp' is not a valid ISO 8601 time");
  if (p.custom_details !== undefined && typeof p.custom_details !== 'object') e.push("'payload.custom_details' must be an object");
  for (const f of ['component', 'group', 'class'] as const)
    if (p[f] !== undefined && typeof p[f] !== 'string') e.push(`'payload.${f}' must be a string`);
  if (body.links !== undefined && (!Array.isArray(body.links) || body.links.some((l) => !isObj(l) || blank(l.href))))
    e.push("'links' must be a list of objects with 'href'");
  if (body.images !== undefined && (!Array.isArray(body.images) || body.images.some((i) => !isObj(i) || blank(i.src))))
    e.push("'images' must be a list of objects with 'src'");
  return e;
}

export interface PagerDutyResult {
  status: 'success';
  message: 'Event processed';
  dedup_key: string;
}

export async function ingestPagerDutyEvent(deps: Deps, body: unknown, ip?: string): Promise<PagerDutyResult> {
  const problems = pagerDutyEventProblems(body);
  if (problems.length > 0) throw new InvalidPagerDutyEvent(problems);
  const ev = body as Obj & { routing_key: string; event_action: 'trigger' | 'acknowledge' | 'resolve'; dedup_key?: string };
  const integration = await authenticateIntegration(deps, ev.routing_key, 'pagerduty').catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'unauthorized') throw new InvalidPagerDutyEvent(['Invalid routing key']);
    throw err;
  });
  const actor = integrationActor(integration, ip);
  const dedup = ev.dedup_key?.trim() || randomUUID().replace(/-/g, '');
  const key = `pd:${integration.id}:${dedup}`;
  const done: PagerDutyResult = { status: 'success', message: 'Event processed', dedup_key: dedup };

  if (ev.event_action === 'trigger') {
    const p = ev.payload as Obj & {
      summary: string;
      source: string;
      severity: string;
      component?: string;
      group?: string;
      class?: string;
      timestamp?: string;
      custom_details?: unknown;
    };
    const type = await incidentTypeForKey(deps.db, {
      dedupKey: key,
      integrationId: integration.id,
      type: slugType(p.class) ?? 'alert',
      now: deps.clock(),
    });
    const links = (ev.links as { href: string; text?: string }[] | undefined) ?? [];
    const description = [
      `Source: ${p.source}${p.component ? `, component ${p.component}` : ''}${p.group ? `, group ${p.group}` : ''}${p.class ? `, class ${p.class}` : ''}`,
      p.custom_details === undefined ? undefined : `Details: ${JSON.stringify(p.custom_details, null, 2)}`,
      ...links.map((l) => `Link: ${l.text ? `${l.text} ` : ''}${l.href}`),
      typeof ev.client === 'string' ? `Sent by ${ev.client}${typeof ev.client_url === 'string' ? ` (${ev.client_url})` : ''}` : undefined,
    ]
      .filter((x): x is string => !!x)
      .join('\n')
      .slice(0, 20_000);
    await openIncident(
      deps,
      actor,
      { type, severity: mapSeverity(integration, p.severity), title: p.summary.trim().slice(0, 300), description, dedup_key: key },
      {
        source: `pagerduty:${integration.name}`,
        detectedAt: p.timestamp ? new Date(p.timestamp) : undefined,
        evidence: { dedup_key: dedup, payload: p, ...(ev.links ? { links: ev.links } : {}), ...(ev.images ? { images: ev.images } : {}) },
        attrs: { integration: integration.name, pd_dedup_key: dedup, source: p.source, ...(links.length ? { links } : {}) },
      },
    );
    return done;
  }

  const type = await findKeyType(deps.db, key);
  const open = type ? await findOpenByDedup(deps.db, type, key) : null;
  if (!open) return done; // unknown or already resolved: dropped, as PagerDuty does
  try {
    if (ev.event_action === 'acknowledge' && open.status === 'triggered')
      await acknowledgeIncident(deps, actor, open.id, 'acknowledged through the PagerDuty Events API');
    if (ev.event_action === 'resolve') await resolveIncident(deps, actor, open.id, 'resolved through the PagerDuty Events API');
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'conflict')) throw err; // changed meanwhile: nothing to do
  }
  return done;
}
