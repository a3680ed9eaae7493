/**
 * The `firebreak` command. Commands parse flags, call a verb (locally or
 * through the HTTP API), and print; errors map to exit codes: 0 ok,
 * 1 failure, 2 bad usage or bad input.
 */
import { Command, CommanderError } from 'commander';
import { AppError } from '../errors.ts';
import { exitCodeFor } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerTokenCommand } from './token-command.ts';
import { registerIncidentsCommand } from './incidents-command.ts';
import { registerHealthCommand } from './health-command.ts';
import { registerRunbooksCommand } from './runbooks-command.ts';
import { VERSION } from '../version.ts';

export function buildProgram(io: CliIo): Command {
  const program = new Command('firebreak')
    .description('Firebreak: runbooks that run. Detect incidents, act at machine speed, escalate until someone answers.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  registerServeCommand(program, io);
  registerTokenCommand(program, io);
  registerIncidentsCommand(program, io);
  registerHealthCommand(program, io);
  registerRunbooksCommand(program, io);
  program.addHelpText(
    'after',
    `
Commands that talk to a running server read FIREBREAK_URL and FIREBREAK_TOKEN.
Exit codes: 0 ok, 1 failure, 2 bad usage or bad input.`,
  );
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code (also sets process.exitCode when run as the binary). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return err.exitCode === 0 ? 0 : 2;
    }
    const e = err instanceof AppError ? err : new AppError('internal', (err as Error)?.message ?? String(err), { cause: err });
    io.stderr.write(`error: ${e.message}\n`);
    for (const d of e.details ?? []) io.stderr.write(`  - ${d.path ? `${d.path}: ` : ''}${d.message}\n`);
    if (e.code === 'internal' && err instanceof Error && err.stack && io.env.FIREBREAK_DEBUG) io.stderr.write(err.stack + '\n');
    return exitCodeFor(e.code);
  }
}

export async function main(argv: string[]): Promise<void> {
  const code = await run(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
  process.exitCode = code;
  // Commands other than serve hold no handles once done; make sure a stray one never keeps the CLI alive.
  if (argv[2] !== 'serve') setTimeout(() => process.exit(code), 50).unref();
}
