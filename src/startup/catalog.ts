/**
 * Start-up step 1, configuration: the rules and runbooks the configuration
 * names, resolved before the database opens, so a broken runbook stops
 * start-up (exit 2, file:line:col) without touching any data.
 */
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Runbook } from '../domain/runbook.ts';
import type { RuleSpec } from '../domain/rules/rule-spec.ts';
import { resolveRules } from '../domain/rules/default-rules.ts';
import { builtinRunbooksDir, loadRunbooks } from '../runbook/load-runbooks.ts';

export interface Catalog {
  rules: RuleSpec[];
  /** By incident type. */
  runbooks: ReadonlyMap<string, Runbook>;
}

export function loadCatalog(config: Config): Catalog {
  const rules = resolveRules(config.rules, { maxKeys: config.detection.max_keys });
  const runbooks = loadRunbooks({
    builtinDir: builtinRunbooksDir(),
    userDir: config.runbooks_dir ? path.resolve(config.runbooks_dir) : undefined,
    knownProbes: config.probes.map((p) => p.name),
    knownRules: rules.map((r) => r.name),
  });
  return { rules, runbooks };
}
