/**
 * How runbook steps reach the outside world (the StepIo of
 * runbook-runtime.ts): actions through the injected ActionRunner, shell and
 * SQL commands through src/respond/command-runner.ts. SQL commands run on
 * the application database: the first `postgres` probe's URL.
 */
import { runShellCommand, runSqlCommand, type CommandResult } from '../../respond/command-runner.ts';
import type { ActionRunner, StepIo } from './runbook-runtime.ts';

/** `baseEnv`: what every shell command gets (config `commandEnv`: PATH, HOME, LANG); a step's `env:` adds to it. */
export function createStepIo(actions: ActionRunner, appDatabaseUrl: string | undefined, baseEnv?: Readonly<Record<string, string>>): StepIo {
  return {
    actions,
    shell: (cmd) => runShellCommand({ ...cmd, env: { ...(baseEnv ?? {}), ...(cmd.env ?? {}) } }),
    async sql(cmd): Promise<CommandResult> {
      if (!appDatabaseUrl) {
        const error = 'no application database for SQL steps: configure a probe of type postgres';
        return {
          exitCode: null,
          signal: null,
          timedOut: false,
          aborted: false,
          output: '',
          outputBytes: 0,
          truncated: false,
          durationMs: 0,
          error,
        };
      }
      return runSqlCommand({ url: appDatabaseUrl, query: cmd.query, timeoutMs: cmd.timeoutMs });
    },
  };
}
