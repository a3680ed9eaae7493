/**
 * What every verb gets: its dependencies (passed in by main.ts, never global)
 * and the actor it acts for. Verbs check the role, parse the input, run in one
 * transaction, write the audit/timeline rows, and publish what happened after
 * the commit.
 */
import type { Logger } from 'pino';
import type { Db } from '../../store/db.ts';
import type { Config } from '../../config.ts';
import type { Role } from '../../domain/roles.ts';
import type { Incident } from '../../domain/incident.ts';

export interface Actor {
  /** `token:<id>`, `system`, `rule:<name>`, `integration:<name>` … */
  id: string;
  /** Display name for timelines: the token name, `system`, the rule name. */
  name: string;
  role: Role | 'system';
  ip?: string;
}

export const SYSTEM: Actor = Object.freeze({ id: 'system', name: 'system', role: 'system' });

/** Things that happened, published after the transaction committed. */
export type DomainEvent =
  | { type: 'incident.opened'; incident: Incident }
  | { type: 'incident.appended'; incident: Incident }
  | { type: 'incident.acknowledged'; incident: Incident }
  | { type: 'incident.resolved'; incident: Incident }
  | { type: 'incident.reopened'; incident: Incident }
  | { type: 'incident.changed'; incident: Incident };

export interface Bus {
  publish(e: DomainEvent): void;
  subscribe(fn: (e: DomainEvent) => void | Promise<void>): () => void;
}

/** In-process bus; subscribers run after the publisher returns, errors are logged, never thrown back. */
export function createBus(logger?: Pick<Logger, 'error'>): Bus {
  const subs = new Set<(e: DomainEvent) => void | Promise<void>>();
  return {
    publish(e) {
      for (const fn of subs) {
        queueMicrotask(() => {
          Promise.resolve()
            .then(() => fn(e))
            .catch((err: unknown) => logger?.error({ err, event: e.type }, 'bus subscriber failed'));
        });
      }
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

export interface Deps {
  db: Db;
  config: Config;
  clock: () => Date;
  logger: Logger;
  bus: Bus;
}
