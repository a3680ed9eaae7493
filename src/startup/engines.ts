/**
 * Start-up step 4, engines: the long-running parts (src/engine/), built from
 * the dependencies and listed in start order. The scheduler runs every other
 * engine's timer handlers (checked against engine/timer-kinds.ts). A new
 * engine is created here and added to one of the two lists around the scheduler.
 */
import type { Catalog } from './catalog.ts';
import type { AppDeps } from './dependencies.ts';
import type { CreateOptions } from './options.ts';
import type { Engine } from '../engine/engine.ts';
import { collectHandlers } from '../engine/timer-kinds.ts';
import { createScheduler, type Scheduler } from '../engine/scheduler.ts';
import { createEscalator, type Escalator } from '../engine/escalator.ts';
import { createRunbookEngine, type RunbookEngine } from '../engine/runbook-engine.ts';
import { createAfterIncident, logReminders, type AfterIncident } from '../engine/after-incident.ts';
import { createDetectionEngine, type DetectionEngine } from '../engine/detection.ts';
import { createProbeEngine, type ProbeEngine } from '../engine/probes.ts';
import { createClusterProbeLeases } from '../cluster/cluster-wiring.ts';
import { createResponseEngine } from '../engine/response.ts';
import { createSlaEngine } from '../engine/sla.ts';
import { createStepIo } from '../service/runbooks/step-io.ts';
import { createCheckIo } from '../detect/probes/check-io.ts';
import { runIncidentActions } from '../service/response/run-incident-actions.ts';
import { readRuleValue } from '../service/runbooks/read-rule-value.ts';

export interface Engines {
  scheduler: Scheduler;
  escalator: Escalator;
  runbooks: RunbookEngine;
  afterIncident: AfterIncident;
  detection: DetectionEngine;
  probes: ProbeEngine;
  response: ReturnType<typeof createResponseEngine>;
  /** In start order; stopped in reverse. */
  all: readonly Engine[];
}

export async function buildEngines(d: AppDeps, catalog: Catalog, opts: CreateOptions): Promise<Engines> {
  const { core, respond } = d;
  const background = opts.background !== false;
  // Engines that arm near timers ask the scheduler for a pass (only once started, after `scheduler` below exists).
  const wake = () => void (background && scheduler.tick());

  const response = createResponseEngine(respond);
  const probes = createProbeEngine(core, createClusterProbeLeases(core.config, core.logger));
  const appDatabaseUrl = core.config.probes.find((p) => p.type === 'postgres')?.url;
  const runbooks = createRunbookEngine({
    deps: core,
    runbooks: catalog.runbooks,
    steps: createStepIo(
      opts.actionRunner ?? ((actor, incident, requests) => runIncidentActions(respond, actor, incident, requests)),
      appDatabaseUrl,
      core.config.commandEnv,
    ),
    checks: createCheckIo({
      probes: probes.probes,
      appDatabaseUrl,
      ruleValue: (rule, key, now) => readRuleValue(core, catalog.rules, rule, key, now),
    }),
    verifyIntervalMs: opts.verifyIntervalMs,
    actionGraceMs: opts.runbookActionGraceMs,
    wake,
  });
  const afterIncident = createAfterIncident({ deps: core, notify: opts.notifyReminder ?? logReminders(core.logger), wake });
  const escalator = createEscalator({ deps: d.escalation, bus: core.bus, logger: core.logger });
  const detection = await createDetectionEngine({ deps: respond, rules: catalog.rules });
  // Start order: the scheduler after the engines whose timers it runs, before the inputs (pipeline, files, probes).
  const beforeScheduler: Engine[] = [response, createSlaEngine(core), runbooks, afterIncident, escalator];
  const afterScheduler: Engine[] = [detection, probes];
  const scheduler = createScheduler({
    db: core.db,
    clock: core.clock,
    logger: core.logger,
    intervalMs: opts.schedulerIntervalMs,
    handlers: collectHandlers([...beforeScheduler, ...afterScheduler]),
  });

  return {
    scheduler,
    escalator,
    runbooks,
    afterIncident,
    detection,
    probes,
    response,
    all: [...beforeScheduler, scheduler, ...afterScheduler],
  };
}

export async function startEngines(engines: readonly Engine[], background: boolean): Promise<void> {
  for (const e of engines) await e.start({ background });
}

/** In reverse start order: inputs (probes, log files, the pipeline) first, then timers, then what they send. */
export async function stopEngines(engines: readonly Engine[]): Promise<void> {
  for (const e of [...engines].reverse()) await e.stop();
}
