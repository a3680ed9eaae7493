// Types of the Firebreak SDK (`firebreak/sdk`). The implementation is plain ESM
// JavaScript beside this file.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/** A decision as served by the CrowdSec-compatible bouncer stream. */
export interface Decision {
  id: number;
  origin: string;
  /** `ban` and `rate_limit` are enforced; other types follow `GuardOptions.unknownType`. */
  type: 'ban' | 'rate_limit' | 'captcha' | (string & {});
  /** `Ip` and `Range` are enforced (case-insensitive); other scopes are ignored. */
  scope: 'Ip' | 'Range' | (string & {});
  /** `203.0.113.5`, `198.51.100.0/24`, `2001:db8::/32`. */
  value: string;
  /** Time remaining as a Go duration (`59m58.123s`); absent means no expiry. */
  duration?: string;
  scenario: string;
}

/** Body of `GET /v1/decisions/stream`. */
export interface StreamBody {
  new: Decision[] | null;
  deleted: Decision[] | null;
}

export interface AllowVerdict {
  readonly action: 'allow';
}
export interface BanVerdict {
  readonly action: 'ban';
  readonly decision: Decision;
}
export interface RateLimitVerdict {
  readonly action: 'rate_limit';
  readonly decision: Decision;
  /** Whole seconds until the client's token bucket has a token again (>= 1). */
  readonly retryAfterSec: number;
}
export type Verdict = AllowVerdict | BanVerdict | RateLimitVerdict;

export interface GuardOptions {
  /** Firebreak base URL, e.g. `http://127.0.0.1:7700`. */
  url: string;
  /** A token with the `bouncer` role, sent as `X-Api-Key`. */
  apiKey: string;
  /** Delay between stream pulls. Default 1000. */
  pollIntervalMs?: number;
  /** Abort a pull after this long. Default 2000. */
  timeoutMs?: number;
  /** Ceiling of the retry backoff while Firebreak is unreachable. Default 10000. */
  maxBackoffMs?: number;
  /**
   * Token bucket applied per client address under a `rate_limit` decision.
   * Default 10/s, burst 20, at most 100,000 buckets (beyond that, new
   * addresses under a rate limit get no burst).
   */
  rateLimit?: { ratePerSec?: number; burst?: number; maxBuckets?: number };
  /** What IP decisions of other types (`captcha`, ...) do. Default `ban`, like CrowdSec's fallback remediation. */
  unknownType?: 'ban' | 'allow';
  /** Called on every failed pull (the guard keeps enforcing and retries). */
  onError?: (err: Error) => void;
  /** fetch implementation. Default: global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Clock in ms since the epoch (tests). Default Date.now. */
  now?: () => number;
}

export interface Guard {
  /** First (full) pull, then polling in the background. Resolves even when Firebreak is unreachable. */
  start(): Promise<void>;
  /** Stops polling; the last known decisions keep being enforced until they expire. */
  stop(): void;
  /** Verdict for a client address (any IPv4/IPv6 spelling, IPv4-mapped included). Never throws; non-addresses are allowed. */
  check(ip: string | undefined | null): Verdict;
  /** Number of active (unexpired) decisions held. */
  size(): number;
  /** Time (ms since the epoch) of the last successful pull, or null. */
  readonly lastSyncAt: number | null;
  /** True when the last pull succeeded. */
  readonly healthy: boolean;
  /** Error of the last failed pull, cleared by a successful one. */
  readonly lastError: Error | null;
  /** @internal Applies a stream answer as if pulled (`startup`: replace the whole set). For benchmarks and tests. */
  _apply(body: StreamBody, startup?: boolean): void;
}

/**
 * Mirrors Firebreak's decisions from the bouncer stream and answers `check(ip)` from memory.
 */
export function createGuard(opts: GuardOptions): Guard;

export interface ExpressGuardOptions {
  /** Client address of a request. Default: the socket address (see `trustProxy`). */
  getIp?: (req: IncomingMessage) => string | undefined;
  /**
   * Number of reverse-proxy hops you run in front of the app (`true` = 1).
   * Only then is X-Forwarded-For read, and only its right-most entries, which your
   * proxies appended: the rest is written by the client and trivially forged.
   */
  trustProxy?: boolean | number;
  /** Called for each blocked request. If it sends the response, the default 403/429 is skipped. */
  onBlock?: (req: IncomingMessage, res: ServerResponse, verdict: BanVerdict | RateLimitVerdict) => void;
}

/** A Connect/Express middleware (assignable to Express's `RequestHandler`). */
export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Express middleware: 403 `{"error":{"code":"forbidden",...}}` for bans,
 * 429 with `Retry-After` under rate limits.
 */
export function expressGuard(guard: Guard, opts?: ExpressGuardOptions): ExpressMiddleware;

export interface FastifyGuardOptions {
  /** Client address. Default: the socket address; `(req) => req.ip` uses Fastify's own trustProxy. */
  getIp?: (request: FastifyRequest) => string | undefined;
  /** As in ExpressGuardOptions. */
  trustProxy?: boolean | number;
  /** Called for each blocked request. If it sends the reply (synchronously), the default 403/429 is skipped. */
  onBlock?: (request: FastifyRequest, reply: FastifyReply, verdict: BanVerdict | RateLimitVerdict) => void;
}

export type FastifyOnRequestHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** Fastify hook for `app.addHook('onRequest', fastifyGuard(guard))`. */
export function fastifyGuard(guard: Guard, opts?: FastifyGuardOptions): FastifyOnRequestHook;

/** An event as accepted by `POST /api/v1/events`. */
export interface ReportedEvent {
  type: 'auth.login_failed' | 'auth.login_succeeded' | (string & {});
  /** RFC 3339 or a Date; default: now. */
  ts?: string | Date;
  ip?: string;
  user_id?: string;
  route?: string;
  [field: string]: unknown;
}

export interface ReporterOptions {
  /** Firebreak base URL. */
  url: string;
  /** A token with the `ingest` role, sent as `Authorization: Bearer`. */
  token: string;
  /** Default 1000. */
  flushIntervalMs?: number;
  /** Events per request. Default 500. */
  maxBatch?: number;
  /** Events held while Firebreak is slow or down; beyond this the oldest are dropped. Default 10000. */
  maxQueue?: number;
  /** Abort a POST after this long. Default 5000. */
  timeoutMs?: number;
  /** Ceiling of the retry backoff. Default 30000. */
  maxBackoffMs?: number;
  onError?: (err: Error) => void;
  fetch?: typeof globalThis.fetch;
}

export interface Reporter {
  loginFailed(e: { ip: string; userId?: string; route?: string }): void;
  loginSucceeded(e: { ip: string; userId: string; route?: string }): void;
  /** Queues any event; invalid ones (no type, bad ts or ip) are counted in `dropped`. */
  report(event: ReportedEvent): void;
  /** Sends everything queued now (ignoring backoff); resolves, never rejects, stopping at the first failure. */
  flush(): Promise<void>;
  /** Stops the timer; later events are dropped. Call `await flush()` first to deliver the rest. */
  stop(): void;
  readonly dropped: number;
  readonly pending: number;
  readonly sent: number;
}

/** Queues auth events and delivers them in batches with retries. Never throws into the caller. */
export function createReporter(opts: ReporterOptions): Reporter;

/** Canonical text of an address (dotted quad, also for IPv4-mapped; RFC 5952 IPv6), or null. */
export function canonicalIp(text: string): string | null;
