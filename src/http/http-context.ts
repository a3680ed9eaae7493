import type { FastifyRequest } from 'fastify';
import type { Deps, Actor } from '../service/core/context.ts';
import type { Permission } from '../domain/roles.ts';
import type { Scheduler } from '../escalate/scheduler.ts';

/** A named part of /api/health/detailed (database, scheduler, sources, probes, channels …). */
export interface HealthPart {
  name: string;
  check(): Promise<{ status: 'ok' | 'degraded' | 'down'; [k: string]: unknown }>;
  /** When true, a `down` status makes the whole answer 503. */
  critical?: boolean;
  /** Cheap, synchronous: why the instance should take no traffic now (`/readyz` 503), or null. */
  notReady?(): string | null;
}

/** What routes receive from main.ts. */
export interface HttpContext {
  deps: Deps;
  scheduler: Scheduler;
  version: string;
  startedAt: Date;
  health: HealthPart[];
  /** Authenticates and checks the permission (bearer token or, for the dashboard, a session). */
  actor(req: FastifyRequest, permission: Permission): Promise<Actor>;
  isReady(): boolean;
}
