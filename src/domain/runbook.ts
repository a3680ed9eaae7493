/**
 * Runbook: the executable form of one section of the seed runbook
 * (docs/seed-runbooks.md). One file per incident type under `runbooks/`,
 * validated strictly (unknown keys are errors) so a typo never silently turns
 * an automated step into nothing.
 *
 * A step is exactly one of:
 *   - `action`  : a Firebreak action (block_ip, lock_account, ...) with `params`;
 *                 run by the caller as soon as the run starts.
 *   - `command` : a shell command (or SQL with `language: sql`); gated by
 *                 `approval: required` unless the author says `none`.
 *   - `manual`  : checklist text for a human (one bullet per line).
 * A verification check is exactly one of `probe`, `rule`, `http`, `sql`, `manual`.
 *
 * Durations (`timeout`, `below_for`, `hold_for`) are parsed to milliseconds.
 * Pure: no I/O; imports only zod and domain/.
 */
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { SEVERITIES } from './severity.ts';

/** Actions a step may name; the respond/ registry implements each one. */
export const KNOWN_ACTIONS = [
  'block_ip',
  'rate_limit',
  'lock_account',
  'revoke_sessions',
  'force_password_reset',
  'protect_account',
  'notify',
  'webhook',
  'run_command',
] as const;
export type ActionName = (typeof KNOWN_ACTIONS)[number];

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const slug = z.string().regex(SLUG, 'must be a slug: lowercase letters, digits and single hyphens (e.g. "block-ip")');

const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? (Number.isFinite(v) && v >= 0 ? v * 1000 : null) : parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a duration (use 30s, 10m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

const base = { id: slug, title: z.string().min(1), description: z.string().optional() };

const actionStepSchema = z
  .object({
    ...base,
    action: z.enum(KNOWN_ACTIONS, {
      error: (iss) => `unknown action "${String(iss.input)}" (known: ${KNOWN_ACTIONS.join(', ')})`,
    }),
    /**
     * Action-specific; the action validates them when it runs. `duration`
     * (`1h`, or seconds) becomes `duration_ms`, as in the rules' actions.
     */
    params: z
      .record(z.string(), z.unknown())
      .default({})
      .transform((p, ctx) => {
        if (!('duration' in p)) return p;
        const { duration, ...rest } = p;
        const ms =
          typeof duration === 'string' ? parseDuration(duration) : typeof duration === 'number' && duration >= 0 ? duration * 1000 : null;
        if (ms === null || 'duration_ms' in p) {
          const message = ms === null ? `"${String(duration)}" is not a duration (use 10m, 1h)` : 'give duration or duration_ms, not both';
          ctx.addIssue({ code: 'custom', path: ['duration'], message });
          return z.NEVER;
        }
        return { ...rest, duration_ms: ms };
      }),
  })
  .strict();

const commandStepSchema = z
  .object({
    ...base,
    command: z.string().min(1),
    /** `bash` runs through the shell; `sql` is a query for the application database. */
    language: z.enum(['bash', 'sql']).default('bash'),
    approval: z.enum(['required', 'none']).default('required'),
    timeout: durationMs.default(60_000),
    cwd: z.string().optional(),
  })
  .strict();

const manualStepSchema = z.object({ ...base, manual: z.string().min(1) }).strict();

export type ActionStep = z.output<typeof actionStepSchema>;
export type CommandStep = z.output<typeof commandStepSchema>;
export type ManualStep = z.output<typeof manualStepSchema>;

const checkBase = { id: slug, title: z.string().min(1) };
const checkSchemas = {
  probe: z.object({ ...checkBase, probe: z.string().min(1), hold_for: durationMs.default(0) }).strict(),
  rule: z.object({ ...checkBase, rule: z.string().min(1), below_for: durationMs }).strict(),
  http: z
    .object({
      ...checkBase,
      http: z.object({ url: z.string().url(), status: z.number().int().min(100).max(599).default(200) }).strict(),
      hold_for: durationMs.default(0),
    })
    .strict(),
  sql: z
    .object({
      ...checkBase,
      sql: z.object({ url: z.string().optional(), query: z.string().min(1), expect: z.unknown().optional() }).strict(),
      hold_for: durationMs.default(0),
    })
    .strict(),
  manual: z.object({ ...checkBase, manual: z.string().min(1) }).strict(),
};
export type ProbeCheck = z.output<typeof checkSchemas.probe>;
export type RuleCheck = z.output<typeof checkSchemas.rule>;
export type HttpCheck = z.output<typeof checkSchemas.http>;
export type SqlCheck = z.output<typeof checkSchemas.sql>;
export type ManualCheck = z.output<typeof checkSchemas.manual>;

/**
 * Dispatches on which kind key is present. Doing it by hand (instead of
 * z.union) gives one precise message per problem instead of a union dump.
 * Unknown keys become one issue each, pathed to the key (params.key = true).
 */
function oneOf<T>(what: string, schemas: Record<string, z.ZodType<T, unknown>>): z.ZodType<T, unknown> {
  const kinds = Object.keys(schemas);
  return z.unknown().transform((raw, ctx): T => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      ctx.addIssue({ code: 'custom', message: `a ${what} must be a mapping with one of: ${kinds.join(', ')}` });
      return z.NEVER;
    }
    const present = kinds.filter((k) => k in raw);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          present.length === 0
            ? `unknown ${what} kind: give exactly one of ${kinds.join(', ')}`
            : `a ${what} has exactly one kind, this one has ${present.join(' and ')}`,
      });
      return z.NEVER;
    }
    const res = schemas[present[0]!]!.safeParse(raw);
    if (res.success) return res.data;
    for (const issue of res.error.issues) {
      const path = issue.path as (string | number)[];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown key "${key}" (not a key of ${present[0]} ${what}s)`,
            path: [...path, key],
            params: { key: true },
          });
        }
      } else {
        ctx.addIssue({ code: 'custom', message: issue.message, path });
      }
    }
    return z.NEVER;
  });
}

/** One immediate-action step (exactly one of action / command / manual). */
export const Step = oneOf<ActionStep | CommandStep | ManualStep>('step', {
  action: actionStepSchema,
  command: commandStepSchema,
  manual: manualStepSchema,
});
export type Step = ActionStep | CommandStep | ManualStep;
export type StepKind = 'action' | 'command' | 'manual';

/** One verification check (exactly one of probe / rule / http / sql / manual). */
export const Check = oneOf<ProbeCheck | RuleCheck | HttpCheck | SqlCheck | ManualCheck>('check', checkSchemas);
export type Check = ProbeCheck | RuleCheck | HttpCheck | SqlCheck | ManualCheck;
export type CheckKind = keyof typeof checkSchemas;

/** Schema and type of a runbook file. */
export const Runbook = z
  .object({
    /** Incident type this runbook answers, e.g. `brute_force_attempt`. */
    type: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case, e.g. brute_force_attempt'),
    title: z.string().min(1),
    /** Heading the pack groups this runbook under (the seed's "Security Incidents"). */
    category: z.string().min(1).optional(),
    severity: z.enum(SEVERITIES),
    symptoms: z.array(z.string().min(1)).default([]),
    immediate_actions: z.array(Step).default([]),
    /** The whole response as one CLI command, for a human running it by hand. */
    script: z.string().min(1).optional(),
    verification: z.array(Check).default([]),
    /** Resolve the incident by itself once every automated check holds. */
    auto_resolve: z.boolean().default(false),
    escalation_policy: z.string().min(1).optional(),
    /** Follow-ups; `Title: item; item` renders as a titled list (seed layout). */
    post_incident: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((rb, ctx) => {
    // Invariant: ids are unique within their list, so run state can key on them.
    for (const [list, items] of [
      ['immediate_actions', rb.immediate_actions],
      ['verification', rb.verification],
    ] as const) {
      const seen = new Map<string, number>();
      items.forEach((item, i) => {
        const first = seen.get(item.id);
        if (first === undefined) seen.set(item.id, i);
        else
          ctx.addIssue({ code: 'custom', path: [list, i, 'id'], message: `duplicate id "${item.id}" (already used by item ${first + 1})` });
      });
    }
    if (rb.auto_resolve && !rb.verification.some((c) => checkKind(c) !== 'manual')) {
      ctx.addIssue({ code: 'custom', path: ['auto_resolve'], message: 'auto_resolve needs at least one automated (non-manual) check' });
    }
  });
export type Runbook = z.output<typeof Runbook>;

/** Which kind a parsed step is. */
export function stepKind(step: Step): StepKind {
  return 'action' in step ? 'action' : 'command' in step ? 'command' : 'manual';
}

/** Which kind a parsed check is. */
export function checkKind(check: Check): CheckKind {
  for (const k of ['probe', 'rule', 'http', 'sql'] as const) if (k in check) return k;
  return 'manual';
}

/** A problem found in a runbook, located by its path in the source document. */
export interface RunbookProblem {
  path: (string | number)[];
  message: string;
  /** True when the problem is the key itself (unknown key), not its value. */
  atKey?: boolean;
}

/** Names the runbook may refer to; a missing list means "do not check". */
export interface RunbookRefs {
  knownProbes?: readonly string[];
  knownRules?: readonly string[];
}

/**
 * Validates a parsed YAML/JSON value as a runbook and checks its references.
 * Returns the runbook or every problem found (never both).
 */
export function checkRunbook(input: unknown, refs: RunbookRefs = {}): { runbook?: Runbook; problems: RunbookProblem[] } {
  const res = Runbook.safeParse(input);
  if (!res.success) {
    const problems: RunbookProblem[] = [];
    for (const issue of res.error.issues) {
      const path = issue.path as (string | number)[];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push({ path: [...path, key], message: `unknown key "${key}"`, atKey: true });
      } else {
        const missing = /received undefined$/.test(issue.message) && typeof path[path.length - 1] === 'string';
        problems.push({
          path,
          message: missing ? `missing required key "${String(path[path.length - 1])}"` : issue.message,
          atKey: issue.code === 'custom' && (issue.params as { key?: unknown } | undefined)?.key === true,
        });
      }
    }
    return { problems };
  }
  const problems = referenceProblems(res.data, refs);
  return problems.length > 0 ? { problems } : { runbook: res.data, problems };
}

/** Probes and rules named by steps (`params.probe` / `params.rule`) and checks that do not exist. */
function referenceProblems(rb: Runbook, refs: RunbookRefs): RunbookProblem[] {
  const out: RunbookProblem[] = [];
  const check = (kind: 'probe' | 'rule', name: unknown, path: (string | number)[]): void => {
    const known = kind === 'probe' ? refs.knownProbes : refs.knownRules;
    if (known === undefined || typeof name !== 'string' || known.includes(name)) return;
    const list = known.length > 0 ? known.join(', ') : `none configured`;
    out.push({ path, message: `unknown ${kind} "${name}" (known: ${list})` });
  };
  rb.immediate_actions.forEach((s, i) => {
    if (!('action' in s)) return;
    check('probe', s.params.probe, ['immediate_actions', i, 'params', 'probe']);
    check('rule', s.params.rule, ['immediate_actions', i, 'params', 'rule']);
  });
  rb.verification.forEach((c, i) => {
    if ('probe' in c) check('probe', c.probe, ['verification', i, 'probe']);
    if ('rule' in c) check('rule', c.rule, ['verification', i, 'rule']);
  });
  return out;
}
