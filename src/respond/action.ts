/**
 * The Action interface: one thing a rule or a runbook step does for an
 * incident (`block_ip`, `lock_account`, ...). Implementations live one per
 * file beside this one and are listed in one place, `registry.ts`.
 *
 * Contract for implementations:
 * - `params` is a strict zod schema; the caller validates before anything runs.
 * - `target` derives what the action acts on from its params or, failing
 *   that, from the incident's dedup key (`ip:<addr>` → an address,
 *   `user:<id>` → an account); it returns a message when it cannot.
 * - `execute` never throws for an expected failure: it returns an
 *   ActionResult with `retryable` set, and the caller records the outcome,
 *   schedules a retry, and writes the timeline. Effects that must not be
 *   repeated by a retry (decisions) go through `fx.decide`, which is
 *   idempotent per action id.
 */
import type { z } from 'zod';
import type { Decision } from '../store/decision-repo.ts';
import type { DeliveryResult } from '../notify/channel.ts';
import type { AllowEntry } from './allowlist-match.ts';
import type { DecisionScopeName, DecisionType } from './decision-target.ts';
import type { AppWebhookPayload } from './app-webhook.ts';
import type { Incident } from '../domain/incident.ts';

/** What an action acts on. `key` is part of the action id and shown on timelines. */
export interface ActionTarget {
  kind: 'ip' | 'range' | 'user' | 'global' | 'notify' | 'webhook';
  /** The address, CIDR, account id, notification target or webhook host; null for global. */
  value: string | null;
  /** `ip:203.0.113.5`, `range:10.0.0.0/8`, `user:42`, `global`, `notify:security`, `webhook:hooks.example`. */
  key: string;
}

/** One execution (attempt) of an action. */
export interface ActionInvocation<P> {
  actionId: string;
  action: string;
  /** 1 for the first attempt. */
  attempt: number;
  incident: Incident;
  target: ActionTarget;
  params: P;
  /** When the action was first requested: stable across retries (webhook bodies carry it as `at`). */
  requestedAt: Date;
  /** Who asked: `rule:brute_force_attempt`, an operator's token name, ... */
  requestedBy: string;
}

export interface DecideRequest {
  scope: DecisionScopeName;
  value: string;
  type: DecisionType;
  durationMs: number;
  /** Lengthen for repeat offenders (config `bans`), counting earlier runs of this action on this target. */
  increment?: boolean;
  reason: string;
}

export type DecideOutcome =
  | { status: 'created' | 'extended' | 'existing'; decision: Decision; durationMs: number; /** 1 = first offence */ offence: number }
  | { status: 'allowlisted'; entry: AllowEntry };

export interface NotifyRequest {
  actionId: string;
  incident: Incident;
  /** `security`, `user`, a channel or person name: whatever the rule or step named. */
  target: string;
  message: string;
}

/** The side effects an action may have, provided by the caller (service layer and response runtime). */
export interface ActionEffects {
  now(): Date;
  /** Creates or extends a decision, or reports the allowlist entry that forbids it. Idempotent per action id. */
  decide(d: DecideRequest): Promise<DecideOutcome>;
  /** POSTs to `app.webhook_url`, signed, with `Idempotency-Key: <payload.id>`. Never throws. */
  postToApp(payload: AppWebhookPayload): Promise<DeliveryResult>;
  /** POSTs JSON to any URL (signed when a secret is given), with `Idempotency-Key`. Never throws. */
  postWebhook(url: string, body: Record<string, unknown>, idempotencyKey: string, secret?: string): Promise<DeliveryResult>;
  /** The notification hook (channels are wired by main.ts). Never throws. */
  notify(n: NotifyRequest): Promise<DeliveryResult>;
}

export interface ActionResult {
  /** `allowlisted` and `skipped` end the run without acting (nothing to retry). */
  outcome: 'succeeded' | 'failed' | 'allowlisted' | 'skipped';
  /** For `failed`: whether another attempt may succeed. */
  retryable?: boolean;
  /** The peer asked to wait this long (Retry-After). */
  retryAfterMs?: number;
  /** One human sentence for the timeline. */
  message: string;
  /** Facts worth keeping (decision id, until, HTTP status). */
  data?: Record<string, unknown>;
}

/** An action with its parameter type erased, as the registry holds it. */
export interface Action {
  readonly name: string;
  /** Talks to another system: retried with backoff, and run off the detection path. */
  readonly remote: boolean;
  /**
   * Its effect ends by itself (a ban's duration), so a rule that fires again
   * on an incident still open runs it again: a continuing attack must not
   * outlive its ban. Other actions run once per incident (and re-open).
   */
  readonly renews: boolean;
  /** Validates and normalizes the parameters (strict: unknown keys are errors). */
  parseParams(raw: unknown): { ok: true; params: Record<string, unknown> } | { ok: false; issues: { path: string; message: string }[] };
  /** What it acts on, or a message saying why it cannot tell. */
  target(params: Record<string, unknown>, incident: Incident): ActionTarget | string;
  /** One line for plans and dry runs. */
  describe(params: Record<string, unknown>, target: ActionTarget): string;
  execute(inv: ActionInvocation<Record<string, unknown>>, fx: ActionEffects): Promise<ActionResult>;
}

export interface ActionDef<S extends z.ZodType> {
  name: string;
  remote: boolean;
  /** See Action.renews; default false. */
  renews?: boolean;
  params: S;
  target(params: z.output<S>, incident: Incident): ActionTarget | string;
  describe(params: z.output<S>, target: ActionTarget): string;
  execute(inv: ActionInvocation<z.output<S>>, fx: ActionEffects): Promise<ActionResult>;
}

/** Builds an Action from a typed definition (the registry holds them type-erased). */
export function defineAction<S extends z.ZodType>(def: ActionDef<S>): Action {
  type P = z.output<S>;
  return {
    name: def.name,
    remote: def.remote,
    renews: def.renews ?? false,
    parseParams(raw) {
      const r = def.params.safeParse(raw ?? {});
      if (r.success) return { ok: true, params: r.data as Record<string, unknown> };
      return { ok: false, issues: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
    },
    target: (params, incident) => def.target(params as P, incident),
    describe: (params, target) => def.describe(params as P, target),
    execute: (inv, fx) => def.execute(inv as ActionInvocation<P>, fx),
  };
}

/** The part of the incident's dedup key after `ip:` / `user:`, when it has that form. */
export function keyPart(incident: Incident, prefix: 'ip' | 'user'): string | null {
  const k = incident.dedup_key;
  return k && k.startsWith(`${prefix}:`) && k.length > prefix.length + 1 ? k.slice(prefix.length + 1) : null;
}

/** The reason written on decisions and webhooks when the caller gives none. */
export function defaultReason(incident: Incident): string {
  return `${incident.type} (incident #${incident.id}): ${incident.title}`;
}
