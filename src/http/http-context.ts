import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps, Actor } from '../service/core/context.ts';
import type { RespondDeps } from '../service/response/respond-deps.ts';
import type { EscalationDeps } from '../service/escalation/escalation-deps.ts';
import type { RunbookRuntime } from '../service/runbooks/runbook-runtime.ts';
import type { Permission } from '../domain/roles.ts';
import type { Pipeline } from '../detect/pipeline.ts';
import type { HealthPart } from '../engine/engine.ts';
import type { Scheduler } from '../engine/scheduler.ts';
import type { Metrics } from './metrics.ts';
import type { SessionStore } from './session-auth.ts';
import type { FailureLimits } from '../domain/auth-limits.ts';

/** What routes receive (built by src/startup/http.ts). */
export interface HttpContext {
  /** What every verb gets. */
  deps: Deps;
  /** Verbs of automated response (decisions, allowlist, actions). */
  respond: RespondDeps;
  /** Verbs of escalation and notification (channels, ack links). */
  escalation: EscalationDeps;
  scheduler: Scheduler;
  /** The live detection pipeline (`POST /api/v1/events`). */
  pipeline: Pipeline;
  /** Runbook runs (step completion, approval, retry, skip). */
  runbooks: RunbookRuntime;
  /** Dashboard sessions. */
  sessions: SessionStore;
  /** Failed sign-in and bearer authentication counters (in Redis in cluster mode). */
  limits: FailureLimits;
  metrics: Metrics;
  /** Directory of the built dashboard; default `web/dist` of the package (routes/static.ts). */
  webDist?: string;
  version: string;
  startedAt: Date;
  /** The parts of `/api/health/detailed`: the database and each engine's. */
  health: readonly HealthPart[];
  /** Authenticates and checks the permission (bearer token or, for the dashboard, a session). */
  actor(req: FastifyRequest, permission: Permission): Promise<Actor>;
  isReady(): boolean;
}

/** The one signature of a route module; routes/index.ts lists them all. */
export type RoutePlugin = (app: FastifyInstance, ctx: HttpContext) => void;
