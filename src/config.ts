/**
 * Configuration: one zod schema, parsed once at start from defaults, the YAML
 * file and the environment, then frozen and passed down. This is the only
 * module that reads `process.env` (through the `env` argument of loadConfig).
 * Its parts are written beside it: config-primitives.ts (durations,
 * severities, addresses), config-detection.ts (rules, sources, probes),
 * config-oncall.ts (channels, people, schedules, escalation policies).
 *
 * Precedence: defaults < file < environment < CLI flags (applied by the caller
 * through `overrides`). `${VAR}` inside string values is expanded from the
 * environment. An invalid file lists every problem with its path.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AppError, type ErrorDetail } from './errors.ts';
import { SEVERITIES, DEFAULT_ACK_DEADLINES_MS, type Severity } from './domain/severity.ts';
import { resolveRules } from './domain/rules/default-rules.ts';
import { cidrString, durationSchema, severitySchema } from './config-primitives.ts';
import { probeSchema, ruleOverrideSchema, sourceSchema } from './config-detection.ts';
import { channelSchema, crossReferenceProblems, personSchema, policySchema, scheduleSchema } from './config-oncall.ts';
import { readConfigFile } from './config-file.ts';
import {
  guardRailProblems,
  DEFAULT_MAX_REPEAT,
  DEFAULT_MIN_LEVEL_TIMEOUT_MS,
  LEVEL_TIMEOUT_FLOOR_MS,
  REPEAT_CEILING,
} from './config-guard-rails.ts';

export type { RuleOverride, SourceConfig } from './config-detection.ts';

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(7700),
        body_limit: z
          .number()
          .int()
          .min(1024)
          .default(10 * 1024 * 1024),
        public_url: z.string().optional(),
        /**
         * Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or CIDR
         * ranges, e.g. 127.0.0.1 or 10.0.0.0/8). Empty: the socket's peer is the client (docs/security.md).
         */
        trust_proxy: z.array(cidrString).default([]),
        /** Session cookie `Secure`: `auto` when the request came over TLS (directly or via a trusted proxy). */
        secure_cookies: z.union([z.boolean(), z.literal('auto')]).default('auto'),
      })
      .strict()
      .prefault({}),
    /** Outbound webhooks (the `webhook` action, webhook and Slack channels) refuse private addresses unless listed here. */
    outbound: z
      .object({ allow: z.array(z.string().trim().min(1)).default([]) })
      .strict()
      .prefault({}),
    /** Guard rails on decisions (docs/security.md). */
    decisions: z
      .object({
        /** The widest range a ban, captcha or rate limit may cover, as the shortest prefix length per family. */
        max_range: z
          .object({ ipv4: z.number().int().min(0).max(32).default(16), ipv6: z.number().int().min(0).max(128).default(32) })
          .strict()
          .prefault({}),
        /**
         * Automated bans caused by events from one ingest token (or one log source) per minute; past it,
         * Firebreak raises one incident and stops banning for that source until the minute is over.
         */
        ban_budget: z.number().int().min(1).default(20_000),
      })
      .strict()
      .prefault({}),
    /** `/metrics` and `/api/health/detailed`: open (for Prometheus) unless `require_token` (viewer or above). */
    metrics: z
      .object({
        require_token: z.boolean().default(false),
        /** Event types with their own label besides those a rule matches; others are counted as `other`. */
        event_types: z.array(z.string()).default([]),
        /** The most distinct label values one metric keeps before folding the rest into `other`. */
        max_labels: z.number().int().min(1).max(10_000).default(200),
      })
      .strict()
      .prefault({}),
    data_dir: z.string().default('./data'),
    database_url: z.string().optional(),
    /** Set: several instances share detection through Redis Streams (src/cluster, docs/cluster.md). */
    redis_url: z.string().optional(),
    /** This instance's name in a cluster (leases, health); must differ between instances. */
    instance: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dot, dash and underscore, at most 100')
      .default(
        () =>
          hostname()
            .replace(/[^A-Za-z0-9._-]/g, '-')
            .slice(0, 100) || 'firebreak',
      ),
    /** Cluster mode (only with redis_url): partitions of the event streams and their leases. */
    cluster: z
      .object({
        partitions: z.number().int().min(1).max(1024).default(16),
        /** Prefix of every Redis key Firebreak writes; two clusters on one Redis need two prefixes. */
        key_prefix: z
          .string()
          .regex(/^[A-Za-z0-9:._-]{1,100}$/)
          .default('firebreak'),
        /** A partition whose owner stops renewing is taken over after this long. */
        lease: durationSchema.default(3_000).refine((ms) => ms >= 500, 'must be at least 500ms'),
        /** Stream entries kept beyond the longest window + cooldown (late events, slow owners). */
        retain_slack: durationSchema.default(3_600_000),
      })
      .strict()
      .prefault({}),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Addresses and CIDR ranges never banned (loopback is always added). */
    allowlist: z.array(cidrString).default([]),
    severities: z
      .object(
        Object.fromEntries(SEVERITIES.map((s) => [s, z.object({ ack_deadline: durationSchema.optional() }).strict().optional()])) as Record<
          Severity,
          z.ZodOptional<z.ZodObject<{ ack_deadline: z.ZodOptional<typeof durationSchema> }>>
        >,
      )
      .strict()
      .prefault({}),
    bans: z
      .object({
        increment: z.boolean().default(true),
        factor: z.number().min(1).default(2),
        max: durationSchema.default(7 * 86_400_000),
        /** Earlier automated bans of the same address within this window make the next one longer. */
        window: durationSchema.default(7 * 86_400_000),
      })
      .strict()
      .prefault({}),
    app: z
      .object({ webhook_url: z.string().url().optional(), webhook_secret: z.string().optional() })
      .strict()
      .refine((a) => !a.webhook_url || (a.webhook_secret ?? '').length >= 16, {
        path: ['webhook_secret'],
        message: 'required with webhook_url: at least 16 characters (the application checks the signature with it)',
      })
      .prefault({}),
    /** Automated actions (src/respond): per-attempt timeout and retries with exponential backoff. */
    actions: z
      .object({
        attempts: z.number().int().min(1).max(50).default(8),
        retry_base: durationSchema.default(1_000),
        retry_max: durationSchema.default(600_000),
        timeout: durationSchema.default(10_000),
      })
      .strict()
      .prefault({}),
    rules: z.record(z.string(), ruleOverrideSchema).default({}),
    /** The rule engine's memory: keys (addresses, users, routes) each rule holds at most; the stalest makes room (docs/operations.md). */
    detection: z
      .object({ max_keys: z.number().int().min(1000).max(50_000_000).default(1_000_000) })
      .strict()
      .prefault({}),
    /** Range decisions (README "Campaigns"): this many banned addresses of one campaign in one IPv4 /24 or IPv6 /64 become one range ban. */
    ranges: z
      .object({
        ipv4_min: z.number().int().min(2).max(256).default(8),
        ipv6_min: z.number().int().min(2).max(1_000_000).default(2),
      })
      .strict()
      .prefault({}),
    sources: z.array(sourceSchema).default([]),
    probes: z.array(probeSchema).default([]),
    channels: z.array(channelSchema).default([]),
    people: z.array(personSchema).default([]),
    schedules: z.array(scheduleSchema).default([]),
    escalation_policies: z.record(z.string(), policySchema).default({}),
    /** Guard rails on escalation_policies (src/config-guard-rails.ts). */
    escalation_limits: z
      .object({
        min_level_timeout: durationSchema
          .default(DEFAULT_MIN_LEVEL_TIMEOUT_MS)
          .refine((ms) => ms >= LEVEL_TIMEOUT_FLOOR_MS, `must be at least ${LEVEL_TIMEOUT_FLOOR_MS / 1000}s`),
        max_repeat: z.number().int().min(0).max(REPEAT_CEILING).default(DEFAULT_MAX_REPEAT),
      })
      .strict()
      .prefault({}),
    /** Delivery of one notification: attempts (first included) and the backoff between them. */
    notifications: z
      .object({
        attempts: z.number().int().min(1).max(20).default(5),
        retry_base: durationSchema.default(5_000),
        retry_max: durationSchema.default(300_000),
        /**
         * One attempt through a channel (connect, SMTP greeting, socket silence, the whole
         * exchange). At most 15 s: a send must end well within its 30 s claim lease.
         */
        timeout: durationSchema
          .default(10_000)
          .refine((ms) => ms >= 100 && ms <= 15_000, 'must be between 100ms and 15s (a send must end within its 30s claim lease)'),
      })
      .strict()
      .prefault({}),
    runbooks_dir: z.string().optional(),
    reopen_window: durationSchema.default(3_600_000),
    events: z
      .object({
        store: z.enum(['matched', 'all', 'none']).default('matched'),
        retention: durationSchema.default(24 * 3_600_000),
        max_batch: z.number().int().min(1).default(100_000),
        queue_limit: z.number().int().min(1000).default(1_000_000),
      })
      .strict()
      .prefault({}),
    /** Post-mortems drafted at resolution (issue #8): due this long after it, then reminded once per `remind_every`. */
    postmortems: z
      .object({
        enabled: z.boolean().default(true),
        severities: z.array(severitySchema).default([...SEVERITIES]),
        due_after: durationSchema.default(48 * 3_600_000),
        remind_every: durationSchema.default(24 * 3_600_000).refine((ms) => ms >= 60_000, 'must be at least 1m'),
      })
      .strict()
      .prefault({}),
    /** Action items are reminded `remind_before` their due date and at it. */
    action_items: z
      .object({ remind_before: durationSchema.default(24 * 3_600_000) })
      .strict()
      .prefault({}),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;

export interface Config extends Parsed {
  /** Acknowledgement deadline per severity, milliseconds. */
  readonly ackDeadlinesMs: Readonly<Record<Severity, number>>;
  /** The admin token to register at start, if FIREBREAK_ADMIN_TOKEN is set. */
  readonly adminToken?: string;
  /** Where the config came from, for messages. */
  readonly configPath?: string;
  /** The whole environment of runbook commands (PATH, HOME, LANG from Firebreak's own), never the rest of it. */
  readonly commandEnv: Readonly<Record<string, string>>;
}

export interface LoadOptions {
  /** Path of the YAML file; when absent, `env.FIREBREAK_CONFIG`. */
  file?: string;
  /** The environment to read; pass `process.env` from the composition root. */
  env: Record<string, string | undefined>;
  /** Values from CLI flags, applied last. */
  overrides?: { port?: number; host?: string; data_dir?: string; database_url?: string };
  /** Base directory for relative paths (defaults to the config file's directory or cwd). */
  cwd?: string;
}

/** Expands `${VAR}` in every string value. Unknown variables are reported. */
function expandEnv(value: unknown, env: LoadOptions['env'], at: string, problems: ErrorDetail[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        problems.push({ path: at, message: `environment variable ${name} is not set` });
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${at}[${i}]`, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, at ? `${at}.${k}` : k, problems)]));
  }
  return value;
}

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of p) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${String(seg)}` : String(seg);
  return out || '(root)';
}

/** Reads and validates the configuration. Throws AppError('invalid') listing every problem. */
export function loadConfig(opts: LoadOptions): Config {
  const env = opts.env;
  const file = opts.file ?? env.FIREBREAK_CONFIG;
  const problems: ErrorDetail[] = [];
  let raw: Record<string, unknown> = {};
  if (file) raw = readConfigFile(file);
  raw = expandEnv(raw, env, '', problems) as Record<string, unknown>;

  // Environment variables override the keys they name.
  const server = { ...((raw.server as Record<string, unknown> | undefined) ?? {}) };
  if (env.PORT !== undefined) {
    const n = Number(env.PORT);
    if (!Number.isInteger(n)) problems.push({ path: 'env PORT', message: `"${env.PORT}" is not a port number` });
    else server.port = n;
  }
  if (env.FIREBREAK_HOST) server.host = env.FIREBREAK_HOST;
  if (opts.overrides?.port !== undefined) server.port = opts.overrides.port;
  if (opts.overrides?.host !== undefined) server.host = opts.overrides.host;
  raw.server = server;
  if (env.FIREBREAK_DATA_DIR) raw.data_dir = env.FIREBREAK_DATA_DIR;
  if (env.DATABASE_URL) raw.database_url = env.DATABASE_URL;
  if (env.REDIS_URL) raw.redis_url = env.REDIS_URL;
  if (env.FIREBREAK_INSTANCE) raw.instance = env.FIREBREAK_INSTANCE;
  if (env.LOG_LEVEL) raw.log_level = env.LOG_LEVEL;
  if (opts.overrides?.data_dir) raw.data_dir = opts.overrides.data_dir;
  if (opts.overrides?.database_url) raw.database_url = opts.overrides.database_url;

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push({ path: formatPath(issue.path), message: issue.message });
  }
  const adminToken = env.FIREBREAK_ADMIN_TOKEN || undefined; // empty = unset
  if (adminToken !== undefined && adminToken.length < 32) {
    problems.push({ path: 'env FIREBREAK_ADMIN_TOKEN', message: 'must be at least 32 characters' });
  }
  if (result.success)
    problems.push(...crossReferenceProblems(result.data), ...guardRailProblems(result.data), ...ruleProblems(result.data));
  if (problems.length > 0 || !result.success) {
    throw new AppError('invalid', `invalid configuration${file ? ` in ${file}` : ''}: ${problems.length} problem(s)`, {
      details: problems,
    });
  }
  const parsed = result.data;
  const base = opts.cwd ?? process.cwd();
  const ackDeadlinesMs = Object.fromEntries(
    SEVERITIES.map((s) => [s, parsed.severities[s]?.ack_deadline ?? DEFAULT_ACK_DEADLINES_MS[s]]),
  ) as Record<Severity, number>;
  const cfg: Config = {
    ...parsed,
    data_dir: path.resolve(base, parsed.data_dir),
    ackDeadlinesMs,
    adminToken,
    configPath: file,
    commandEnv: commandEnvFrom(env),
  };
  return deepFreeze(cfg);
}

/** PATH, HOME and LANG for runbook commands: enough to find tools and print text, none of Firebreak's secrets. */
function commandEnvFrom(env: LoadOptions['env']): Record<string, string> {
  return {
    PATH: env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: env.HOME || '/',
    LANG: env.LANG || 'C.UTF-8',
  };
}

/** What resolving `rules:` onto the defaults finds wrong, so it is reported with the file like every other problem. */
function ruleProblems(c: Pick<Parsed, 'rules'>): ErrorDetail[] {
  try {
    resolveRules(c.rules);
    return [];
  } catch (err) {
    if (err instanceof AppError && err.details) return [...err.details];
    throw err;
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}
