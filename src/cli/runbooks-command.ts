/**
 * `firebreak runbooks list|show|render|validate`: inspect the runbook pack
 * (built-in `runbooks/` plus the config's `runbooks_dir`). Parses flags,
 * loads, prints; errors are AppErrors that the CLI root maps to exit codes
 * (an invalid runbook is `invalid`: exit 2, with every problem as
 * `file:line:col: message`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { builtinRunbooksDir, loadRunbookFiles, type LoadedRunbook } from '../runbook/load-runbooks.ts';
import { DEFAULT_ESCALATION_PATH, renderPack, renderRunbook } from '../runbook/render-runbook.ts';
import { resolveRules } from '../domain/rules/default-rules.ts';

/** Streams and environment the command uses (process.* is passed in by the root). */
export interface RunbooksCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

const CONFIG_HELP = 'configuration file (default: $FIREBREAK_CONFIG); its runbooks_dir adds to / overrides the built-in pack';

/** Adds `runbooks` and its subcommands to the program. */
export function registerRunbooksCommand(program: Command, io: RunbooksCommandIo): void {
  const runbooks = program
    .command('runbooks')
    .description('list, show, render and validate incident runbooks')
    .option('--config <file>', CONFIG_HELP)
    .addHelpText(
      'after',
      `
The built-in pack (one YAML file per incident type) is the seed runbook made
executable. Files in runbooks_dir add runbooks or replace built-in ones with
the same "type".

Examples:
  $ firebreak runbooks list
  $ firebreak runbooks show brute_force_attempt > my-runbooks/brute-force.yaml
  $ firebreak runbooks render > RUNBOOKS.md
  $ firebreak runbooks validate ./my-runbooks`,
    );

  runbooks
    .command('list')
    .description('table of runbooks: type, title, default severity, number of steps, source')
    .addHelpText('after', '\nExample:\n  $ firebreak runbooks list --config firebreak.yaml')
    .action((_opts: unknown, cmd: Command) => {
      const ctx = context(cmd, io);
      const rows = [...loadFrom(ctx).values()].map((l) => [
        l.runbook.type,
        l.runbook.title,
        l.runbook.severity,
        String(l.runbook.immediate_actions.length),
        l.origin === 'builtin' ? 'built-in' : l.file,
      ]);
      io.stdout.write(table(['TYPE', 'TITLE', 'SEVERITY', 'STEPS', 'SOURCE'], rows));
    });

  runbooks
    .command('show')
    .description('print the YAML of one runbook, as written in its file')
    .argument('<type>', 'incident type, e.g. brute_force_attempt')
    .addHelpText(
      'after',
      `
Start a custom runbook from a built-in one:
  $ firebreak runbooks show ddos > my-runbooks/ddos.yaml   # edit, then set runbooks_dir: ./my-runbooks`,
    )
    .action((type: string, _opts: unknown, cmd: Command) => {
      const loaded = find(loadFrom(context(cmd, io)), type);
      io.stdout.write(readFileSync(loaded.file, 'utf8'));
    });

  runbooks
    .command('render')
    .description('print runbooks as Markdown in the layout of the seed runbook')
    .argument('[type]', 'one incident type; all runbooks (with escalation and post-incident procedures) when omitted')
    .addHelpText(
      'after',
      `
Severity deadlines and the escalation path come from the configuration.

Examples:
  $ firebreak runbooks render > RUNBOOKS.md
  $ firebreak runbooks render account_compromise`,
    )
    .action((type: string | undefined, _opts: unknown, cmd: Command) => {
      const ctx = context(cmd, io);
      const all = loadFrom(ctx);
      if (type !== undefined) {
        io.stdout.write(renderRunbook(find(all, type).runbook));
        return;
      }
      const levels = ctx.config.escalation_policies.default?.levels;
      const escalationPath = levels
        ? levels.map((l, i) => `${l.name ?? `Level ${i + 1}`} (notifies ${l.notify.join(', ')})`)
        : DEFAULT_ESCALATION_PATH;
      io.stdout.write(
        renderPack(
          [...all.values()].map((l) => l.runbook),
          ctx.config.ackDeadlinesMs,
          { escalationPath },
        ),
      );
    });

  runbooks
    .command('validate')
    .description('check runbook files; exit 0 when valid, 2 with every problem as file:line:col otherwise')
    .argument('[dir]', 'directory of *.yaml runbooks to check (default: runbooks_dir from the config; the built-in pack is always checked)')
    .addHelpText(
      'after',
      `
Checks YAML syntax, unknown keys and actions, step kinds, duplicate step ids,
and that rule and probe checks name rules and probes that exist (the default
rules with the configuration's overrides, and the configured probes), as
"firebreak serve" does at start.

Examples:
  $ firebreak runbooks validate ./my-runbooks
  $ firebreak runbooks validate --config /etc/firebreak.yaml`,
    )
    .action((dir: string | undefined, _opts: unknown, cmd: Command) => {
      const ctx = context(cmd, io);
      const userDir = dir !== undefined ? path.resolve(dir) : ctx.userDir;
      const all = loadFrom({ ...ctx, userDir });
      const user = [...all.values()].filter((l) => l.origin === 'user').length;
      io.stdout.write(`ok: ${all.size} runbooks valid (${all.size - user} built-in${userDir ? `, ${user} from ${userDir}` : ''})\n`);
    });
}

interface Context {
  config: Config;
  userDir?: string;
}

function context(cmd: Command, io: RunbooksCommandIo): Context {
  const { config: file } = cmd.optsWithGlobals<{ config?: string }>();
  const config = loadConfig({ file, env: io.env });
  // Relative paths resolve against the working directory, like data_dir.
  return { config, userDir: config.runbooks_dir ? path.resolve(config.runbooks_dir) : undefined };
}

function loadFrom(ctx: Context): Map<string, LoadedRunbook> {
  return loadRunbookFiles({
    builtinDir: builtinRunbooksDir(),
    userDir: ctx.userDir,
    // The rules that run (defaults with the config's overrides; disabled ones are gone), as at start-up.
    knownRules: resolveRules(ctx.config.rules).map((r) => r.name),
    knownProbes: ctx.config.probes.map((p) => p.name),
  });
}

function find(all: Map<string, LoadedRunbook>, type: string): LoadedRunbook {
  const hit = all.get(type);
  if (!hit) throw new AppError('not_found', `no runbook for incident type "${type}" (known: ${[...all.keys()].join(', ')})`);
  return hit;
}

/** Left-aligned columns separated by two spaces. */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
