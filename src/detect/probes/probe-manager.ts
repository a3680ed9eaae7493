/**
 * Health probes (config `probes:`): each probe runs in its own loop (a slow
 * or hanging target never delays another probe), every `interval` after the
 * previous run ended, each run bounded by the probe's `timeout`.
 *
 * State per probe (transition table; `failures` is the probe's threshold):
 *
 *   any        ok                          → up        (onUp when it was down)
 *   unknown/up/failing  fail, n < failures → failing
 *   failing    fail, n reaches failures    → down      (onDown, once per outage)
 *   down       fail                        → down
 *
 * Recovery is evidence for verification (runbook `probe` checks read `state()`).
 *
 * Cluster mode passes `owns`: a probe's loop runs the check only while this
 * instance holds the probe (src/cluster/probe-leases.ts), so one instance
 * probes each target. A probe no longer held here goes back to `unknown`
 * (its owner's view is the current one, not this instance's last).
 */
import type { Logger } from 'pino';
import { redactSecrets, redactUrl } from '../../domain/redact-url.ts';
import { runProbe, type ProbeConfig, type ProbeResult } from './run-probe.ts';

export type ProbeStatus = 'unknown' | 'up' | 'failing' | 'down';

export interface ProbeState {
  name: string;
  type: ProbeConfig['type'];
  /** The URL without its password. */
  target: string;
  status: ProbeStatus;
  consecutive_failures: number;
  failures_to_open: number;
  latency_ms: number | null;
  last_error: string | null;
  last_checked_at: string | null;
  last_ok_at: string | null;
  /** When the current status began. */
  since: string | null;
  runs: number;
}

export interface ProbeManager {
  start(): void;
  stop(): Promise<void>;
  states(): ProbeState[];
  state(name: string): ProbeState | undefined;
  /** Runs one probe now (tests; also what each loop calls). */
  checkNow(name: string): Promise<ProbeState>;
}

export interface ProbeManagerOptions {
  probes: readonly ProbeConfig[];
  clock: () => Date;
  logger: Pick<Logger, 'warn' | 'error' | 'info'>;
  /** The probe just reached its failure threshold. Errors are logged, never thrown back. */
  onDown(probe: ProbeConfig, state: ProbeState): Promise<void>;
  /** The probe answered again after being down. */
  onUp(probe: ProbeConfig, state: ProbeState, downSince: string | null): Promise<void>;
  /** Replaces the check (tests). */
  run?: (probe: ProbeConfig) => Promise<ProbeResult>;
  /** Cluster mode: whether this instance holds the probe now; loops skip the runs of probes held elsewhere. */
  owns?: (name: string) => boolean;
}

/** How often a probe held elsewhere checks whether it became ours (a takeover starts probing within this). */
const NOT_OWNED_RECHECK_MS = 500;

export function createProbeManager(opts: ProbeManagerOptions): ProbeManager {
  const run = opts.run ?? runProbe;
  const states = new Map<string, ProbeState>();
  const byName = new Map(opts.probes.map((p) => [p.name, p]));
  const loops = new Map<string, NodeJS.Timeout>();
  const inFlight = new Map<string, Promise<ProbeState>>();
  const callbacks = new Set<Promise<void>>();
  let running = false;

  const initial = (p: ProbeConfig): ProbeState => ({
    name: p.name,
    type: p.type,
    target: redactUrl(p.url.includes('://') ? p.url : `tcp://${p.url}`),
    status: 'unknown',
    consecutive_failures: 0,
    failures_to_open: p.failures,
    latency_ms: null,
    last_error: null,
    last_checked_at: null,
    last_ok_at: null,
    since: null,
    runs: 0,
  });
  for (const p of opts.probes) states.set(p.name, initial(p));

  const notify = (what: string, fn: () => Promise<void>) => {
    const p = fn()
      .catch((err: unknown) => opts.logger.error({ err }, `probe ${what} handler failed`))
      .finally(() => callbacks.delete(p));
    callbacks.add(p);
  };

  async function checkOnce(name: string): Promise<ProbeState> {
    const probe = byName.get(name);
    if (!probe) throw new Error(`no probe named ${name}`);
    const r = await run(probe);
    const prev = states.get(name)!;
    const at = opts.clock().toISOString();
    const next: ProbeState = { ...prev, runs: prev.runs + 1, latency_ms: r.latencyMs, last_checked_at: at };
    if (r.ok) {
      Object.assign(next, {
        status: 'up',
        consecutive_failures: 0,
        last_error: null,
        last_ok_at: at,
        since: prev.status === 'up' ? prev.since : at,
      });
    } else {
      const n = prev.consecutive_failures + 1;
      const status: ProbeStatus = n >= probe.failures ? 'down' : 'failing';
      Object.assign(next, {
        status,
        consecutive_failures: n,
        // Errors quote the URL (`GET https://user:pw@…`): redacted before health, incidents, notifications and logs see it.
        last_error: redactSecrets(r.error ?? 'failed'),
        since: prev.status === status ? prev.since : at,
      });
    }
    states.set(name, next);
    if (next.status === 'down' && prev.status !== 'down') {
      opts.logger.warn({ probe: name, failures: next.consecutive_failures, error: next.last_error }, 'probe down');
      notify('down', () => opts.onDown(probe, next));
    } else if (next.status === 'up' && prev.status === 'down') {
      opts.logger.info({ probe: name }, 'probe recovered');
      notify('up', () => opts.onUp(probe, next, prev.since));
    }
    return next;
  }

  function checkNow(name: string): Promise<ProbeState> {
    // One run per probe at a time: a second caller shares the running one.
    const current = inFlight.get(name);
    if (current) return current;
    const p = checkOnce(name).finally(() => inFlight.delete(name));
    inFlight.set(name, p);
    return p;
  }

  function loop(probe: ProbeConfig, delay: number): void {
    if (!running) return;
    loops.set(
      probe.name,
      setTimeout(() => {
        if (opts.owns && !opts.owns(probe.name)) {
          const prev = states.get(probe.name)!;
          if (prev.status !== 'unknown') states.set(probe.name, { ...initial(probe), runs: prev.runs });
          loop(probe, Math.min(probe.interval, NOT_OWNED_RECHECK_MS));
          return;
        }
        checkNow(probe.name)
          .catch((err: unknown) => opts.logger.error({ error: redactSecrets(String(err)), probe: probe.name }, 'probe run failed'))
          .finally(() => loop(probe, probe.interval));
      }, delay),
    );
  }

  return {
    start() {
      if (running) return;
      running = true;
      for (const p of opts.probes) loop(p, 0);
    },
    async stop() {
      running = false;
      for (const t of loops.values()) clearTimeout(t);
      loops.clear();
      await Promise.allSettled([...inFlight.values()]);
      await Promise.allSettled([...callbacks]);
    },
    states: () => [...states.values()].map((s) => ({ ...s })),
    state: (name) => {
      const s = states.get(name);
      return s ? { ...s } : undefined;
    },
    checkNow,
  };
}
