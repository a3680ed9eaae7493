/**
 * The default rules of docs/design.md "Default rules" (the runbook's
 * symptoms), and `resolveRules`, which applies the `rules:` configuration on
 * top of them.
 *
 * Cooldown invariant: unless a rule says otherwise, its cooldown is its ban
 * duration when it bans (brute_force_attempt, ddos), else its window.
 */
import { AppError, type ErrorDetail } from '../../errors.ts';
import { parseDuration } from '../duration.ts';
import type { ActionRequest, RuleOverrideInput, RuleSpec, RuleValue } from './rule-spec.ts';

const SECOND_US = 1_000_000;
const MINUTE_US = 60 * SECOND_US;
const HOUR_US = 60 * MINUTE_US;

/**
 * The per-key security rules whose detections group into campaigns unless
 * `group: false` (a botnet is one incident, not 10,000): window 10 minutes.
 */
const GROUPED_BY_DEFAULT: ReadonlySet<string> = new Set(['brute_force_attempt', 'credential_stuffing', 'ddos', 'scanner']);
const DEFAULT_GROUP_WINDOW_US = 10 * MINUTE_US;

/** Actions whose `duration_ms` follows the rule's ban duration. */
const BAN_ACTIONS: ReadonlySet<string> = new Set(['block_ip', 'rate_limit']);

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

/**
 * Failed logins for one account from many addresses (a spread attack that
 * stays under brute_force_attempt's per-address threshold). Its key names an
 * account, so its `block_ip` bans every address that contributed to the
 * window (src/service/detections/member-actions.ts).
 */
const CREDENTIAL_STUFFING: RuleSpec = {
  name: 'credential_stuffing',
  description: 'Failed logins for one account from 10 different IPs within 10 minutes.',
  incident_type: 'credential_stuffing',
  severity: 'high',
  match: [{ type: 'auth.login_failed' }],
  key: 'user_id',
  value: { kind: 'distinct', field: 'ip' },
  threshold: 10,
  op: 'gte',
  windowUs: 10 * MINUTE_US,
  cooldownUs: HOUR_US,
  banMs: 3_600_000,
  actions: [
    { action: 'block_ip', params: { duration_ms: 3_600_000 } },
    { action: 'protect_account' },
    { action: 'notify', params: { target: 'security' } },
  ],
};

/** The default rules, frozen. Use `resolveRules({})` for mutable copies. */
export const DEFAULT_RULES: readonly RuleSpec[] = deepFreeze<RuleSpec[]>([
  {
    name: 'brute_force_attempt',
    description: 'Repeated failed logins from one IP: 5 in 10 minutes.',
    incident_type: 'brute_force_attempt',
    severity: 'high',
    match: [{ type: 'auth.login_failed' }],
    key: 'ip',
    value: { kind: 'count' },
    threshold: 5,
    op: 'gte',
    windowUs: 10 * MINUTE_US,
    cooldownUs: HOUR_US,
    banMs: 3_600_000,
    actions: [
      { action: 'block_ip', params: { duration_ms: 3_600_000 } },
      { action: 'notify', params: { target: 'security' } },
    ],
  },
  {
    name: 'account_compromise',
    description: 'Successful logins to one account from 3 different IPs within 1 hour.',
    incident_type: 'account_compromise',
    severity: 'critical',
    match: [{ type: 'auth.login_succeeded' }],
    key: 'user_id',
    value: { kind: 'distinct', field: 'ip' },
    threshold: 3,
    op: 'gte',
    windowUs: HOUR_US,
    cooldownUs: HOUR_US,
    actions: [
      { action: 'lock_account' },
      { action: 'revoke_sessions' },
      { action: 'force_password_reset' },
      { action: 'notify', params: { target: 'user' } },
    ],
  },
  {
    name: 'ddos',
    description: 'One IP sends 600 requests within 60 seconds.',
    incident_type: 'ddos',
    severity: 'high',
    match: [{ type: 'http.request' }],
    key: 'ip',
    value: { kind: 'count' },
    threshold: 600,
    op: 'gte',
    windowUs: 60 * SECOND_US,
    cooldownUs: 10 * MINUTE_US,
    banMs: 600_000,
    actions: [{ action: 'rate_limit', params: { duration_ms: 600_000 } }],
  },
  CREDENTIAL_STUFFING,
  {
    name: 'high_error_rate',
    description: 'More than 10 application errors or 5xx responses per minute.',
    incident_type: 'high_error_rate',
    severity: 'high',
    match: [{ type: 'app.error' }, { type: 'http.request', where: [{ field: 'status', op: 'gte', value: 500 }] }],
    key: 'global',
    value: { kind: 'count' },
    threshold: 11,
    op: 'gte',
    windowUs: 60 * SECOND_US,
    cooldownUs: 60 * SECOND_US,
    actions: [{ action: 'notify' }],
  },
  {
    name: 'performance_degradation',
    description: 'p95 request latency above 2000 ms over 5 minutes (at least 20 requests).',
    incident_type: 'performance_degradation',
    severity: 'high',
    match: [{ type: 'http.request' }],
    key: 'global',
    value: { kind: 'percentile', field: 'latency_ms', p: 95, min_samples: 20 },
    threshold: 2000,
    op: 'gt',
    windowUs: 5 * MINUTE_US,
    cooldownUs: 5 * MINUTE_US,
    actions: [{ action: 'notify' }],
  },
  {
    name: 'database_connection_failure',
    description: 'Database connection errors: 5 within 60 seconds.',
    incident_type: 'database_connection_failure',
    severity: 'critical',
    match: [{ type: 'db.connection_error' }],
    key: 'global',
    value: { kind: 'count' },
    threshold: 5,
    op: 'gte',
    windowUs: 60 * SECOND_US,
    cooldownUs: 60 * SECOND_US,
    actions: [
      { action: 'run_command', params: { name: 'check_database', command: 'psql -h localhost -U postgres -c "SELECT 1"' } },
      { action: 'notify' },
    ],
  },
  {
    name: 'data_corruption',
    description: 'A data integrity error was reported.',
    incident_type: 'data_corruption',
    severity: 'critical',
    match: [{ type: 'data.integrity_error' }],
    key: 'global',
    value: { kind: 'count' },
    threshold: 1,
    op: 'gte',
    windowUs: 60 * SECOND_US,
    cooldownUs: 60 * SECOND_US,
    actions: [{ action: 'run_command', params: { name: 'stop_writes', command: 'docker-compose stop backend' } }, { action: 'notify' }],
  },
]);

const DEFAULT_BY_NAME: ReadonlyMap<string, RuleSpec> = new Map(DEFAULT_RULES.map((r) => [r.name, r]));

/** Fields a rule that is not a default must give. */
const CUSTOM_REQUIRED = ['match', 'key', 'value', 'threshold', 'window'] as const;

/**
 * Merges configuration overrides (durations in milliseconds, as src/config.ts
 * produces them) onto the default rules and returns the rules to run:
 * - any field of a default rule can be overridden; `enabled: false` drops it;
 * - a name that is not a default defines a custom rule and must give
 *   `match`, `key`, `value`, `threshold` and `window`;
 * - the cooldown is `cooldown` when given, else the ban duration when the rule
 *   bans, else the window; a new `ban` also becomes the `duration_ms` of the
 *   default `block_ip` / `rate_limit` actions (and of configured ones that give none).
 * Throws AppError('invalid') listing every problem at `rules.<name>.<field>`.
 */
export function resolveRules(overrides: Readonly<Record<string, RuleOverrideInput>> = {}, limits: { maxKeys?: number } = {}): RuleSpec[] {
  const problems: ErrorDetail[] = [];
  const out: RuleSpec[] = [];
  for (const base of DEFAULT_RULES) {
    const o = overrides[base.name];
    if (o?.enabled === false) continue;
    const r = applyOverride(base, o ?? {}, problems);
    if (r) out.push(r);
  }
  for (const [name, o] of Object.entries(overrides)) {
    if (DEFAULT_BY_NAME.has(name) || o.enabled === false) continue;
    const missing = CUSTOM_REQUIRED.filter((f) => o[f] === undefined);
    for (const f of missing) {
      problems.push({
        path: `rules.${name}.${f}`,
        message: `required: "${name}" is not a default rule, so it must give ${CUSTOM_REQUIRED.join(', ')}`,
      });
    }
    if (missing.length > 0) continue;
    const base: RuleSpec = {
      name,
      description: `Custom rule ${name}`,
      incident_type: name,
      severity: 'high',
      match: [],
      key: 'global',
      value: { kind: 'count' },
      threshold: 1,
      op: o.value?.kind === 'percentile' ? 'gt' : 'gte',
      windowUs: 0,
      cooldownUs: 0,
      actions: [{ action: 'notify' }],
    };
    const r = applyOverride(base, o, problems);
    if (r) out.push(r);
  }
  if (problems.length > 0) {
    throw new AppError('invalid', `invalid rules configuration: ${problems.length} problem(s)`, { details: problems });
  }
  if (limits.maxKeys !== undefined) for (const r of out) r.maxKeys = limits.maxKeys;
  return out;
}

function applyOverride(base: RuleSpec, o: RuleOverrideInput, problems: ErrorDetail[]): RuleSpec | null {
  const at = (field: string) => `rules.${base.name}.${field}`;
  const before = problems.length;

  const windowUs = o.window !== undefined ? Math.round(o.window * 1000) : base.windowUs;
  if (!(windowUs > 0)) problems.push({ path: at('window'), message: 'must be longer than 0' });
  const banMs = o.ban ?? base.banMs;
  const cooldownUs = o.cooldown !== undefined ? Math.round(o.cooldown * 1000) : banMs !== undefined ? Math.round(banMs * 1000) : windowUs;

  let value: RuleValue = structuredClone(base.value);
  if (o.value) {
    if (o.value.kind === 'percentile') {
      const inherited = base.value.kind === 'percentile' ? base.value.min_samples : 1;
      value = { kind: 'percentile', field: o.value.field, p: o.value.p, min_samples: o.value.min_samples ?? o.min_samples ?? inherited };
    } else value = { ...o.value };
  } else if (o.min_samples !== undefined && value.kind === 'percentile') value.min_samples = o.min_samples;
  if (o.min_samples !== undefined && value.kind !== 'percentile') {
    problems.push({ path: at('min_samples'), message: 'applies only to percentile rules' });
  }
  if (value.kind === 'percentile' && !(value.p > 0 && value.p <= 100))
    problems.push({ path: at('value.p'), message: 'must be in (0, 100]' });

  const match = o.match
    ? o.match.map((m) => ({ type: m.type, ...(m.where ? { where: m.where.map((w) => ({ ...w })) } : {}) }))
    : structuredClone(base.match);
  if (match.length === 0) problems.push({ path: at('match'), message: 'must list at least one event type' });
  if (o.threshold !== undefined && !(o.threshold > 0)) problems.push({ path: at('threshold'), message: 'must be greater than 0' });

  let actions: ActionRequest[];
  if (o.actions) {
    actions = [];
    o.actions.forEach((rec, i) => {
      const a = toActionRequest(rec, `${at('actions')}[${i}]`, problems);
      if (a) {
        if (BAN_ACTIONS.has(a.action) && banMs !== undefined && a.params?.duration_ms === undefined)
          a.params = { ...a.params, duration_ms: banMs };
        actions.push(a);
      }
    });
  } else {
    actions = structuredClone(base.actions);
    for (const a of actions) if (BAN_ACTIONS.has(a.action) && banMs !== undefined) a.params = { ...a.params, duration_ms: banMs };
  }
  if (problems.length > before) return null;

  const spec: RuleSpec = {
    name: base.name,
    description: o.description ?? base.description,
    incident_type: o.incident_type ?? base.incident_type,
    severity: o.severity ?? base.severity,
    match,
    key: o.key ?? base.key,
    value,
    threshold: o.threshold ?? base.threshold,
    op: o.op ?? base.op,
    windowUs,
    cooldownUs,
    actions,
  };
  if (banMs !== undefined) spec.banMs = banMs;
  const group = o.group !== undefined ? o.group : GROUPED_BY_DEFAULT.has(base.name) ? { window: DEFAULT_GROUP_WINDOW_US / 1000 } : false;
  if (group !== false) spec.groupWindowUs = Math.round(group.window * 1000);
  return spec;
}

/**
 * `{ action: 'notify', target: 'security' }` or `{ action, params: {...} }` →
 * ActionRequest. A `duration` (string like `1h`, or seconds) becomes `duration_ms`.
 */
function toActionRequest(rec: Readonly<Record<string, unknown>>, path: string, problems: ErrorDetail[]): ActionRequest | null {
  const name = rec.action;
  if (typeof name !== 'string' || name === '') {
    problems.push({ path, message: 'each action needs an "action" name, e.g. { action: notify }' });
    return null;
  }
  const params: Record<string, unknown> = {};
  if (rec.params !== undefined) {
    if (typeof rec.params !== 'object' || rec.params === null || Array.isArray(rec.params)) {
      problems.push({ path: `${path}.params`, message: 'must be a mapping' });
      return null;
    }
    Object.assign(params, rec.params);
  }
  for (const [k, v] of Object.entries(rec)) if (k !== 'action' && k !== 'params') params[k] = v;
  if (params.duration !== undefined && params.duration_ms === undefined) {
    const d = params.duration;
    const ms = typeof d === 'number' && d >= 0 ? d * 1000 : typeof d === 'string' ? parseDuration(d) : null;
    if (ms === null) {
      problems.push({ path: `${path}.duration`, message: `"${String(d)}" is not a duration (use 30s, 10m, 1h, 7d)` });
      return null;
    }
    delete params.duration;
    params.duration_ms = ms;
  }
  return Object.keys(params).length > 0 ? { action: name, params } : { action: name };
}
