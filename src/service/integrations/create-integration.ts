/**
 * Creates an integration key for Alertmanager or PagerDuty-style senders.
 * The key is 32 hex characters (PagerDuty's routing-key shape, so senders
 * that check its length accept it), shown once, stored as a SHA-256 hash.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { SEVERITIES } from '../../domain/severity.ts';
import { insertIntegration, type IntegrationRecord } from '../../store/integration-repo.ts';
import { writeAudit } from '../../store/audit-repo.ts';
import type { Actor, Deps } from '../core/context.ts';
import { authorize } from '../access/authorize.ts';
import { parseInput } from '../core/validate.ts';
import { hashToken } from '../access/tokens.ts';

export const createIntegrationInput = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100)
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    type: z.enum(['alertmanager', 'pagerduty']),
    default_severity: z.enum(SEVERITIES).default('high'),
    severity_map: z.record(z.string().min(1).max(100), z.enum(SEVERITIES)).default({}),
  })
  .strict();

export interface CreatedIntegration extends IntegrationRecord {
  /** The key, shown only now. */
  key: string;
}

export async function createIntegration(deps: Deps, actor: Actor, raw: unknown): Promise<CreatedIntegration> {
  authorize(actor, 'admin');
  const input = parseInput(createIntegrationInput, raw);
  const key = randomBytes(16).toString('hex');
  const severityMap = Object.fromEntries(Object.entries(input.severity_map).map(([k, v]) => [k.trim().toLowerCase(), v]));
  const rec = await deps.db.tx(async (q) => {
    const now = deps.clock();
    const r = await insertIntegration(q, {
      id: `int_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
      name: input.name,
      type: input.type,
      keyHash: hashToken(key),
      keyPrefix: key.slice(0, 6),
      defaultSeverity: input.default_severity,
      severityMap,
      createdAt: now,
      createdBy: actor.name,
    });
    if (!r) throw new AppError('conflict', `an integration named "${input.name}" already exists; revoke it first or pick another name`);
    await writeAudit(q, {
      at: now,
      actor: actor.id,
      action: 'integration.create',
      target: r.id,
      ip: actor.ip,
      details: { name: r.name, type: r.type },
    });
    return r;
  });
  return { ...rec, key };
}
