/**
 * The `firebreak` command. Commands parse flags, call a verb (locally or
 * through the HTTP API), and print; errors map to exit codes: 0 ok,
 * 1 failure, 2 bad usage or bad input.
 */
import { Command } from 'commander';
import { runProgram, finish } from './run-program.ts';
import type { CliIo } from './io.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerTokenCommand } from './token-command.ts';
import { registerIncidentsCommand } from './incidents-command.ts';
import { registerHealthCommand } from './health-command.ts';
import { registerRunbooksCommand } from './runbooks-command.ts';
import { registerRespondCommand } from './respond-command.ts';
import { registerDecisionsCommand } from './decisions-command.ts';
import { registerPostmortemCommand } from './postmortem-command.ts';
import { registerReportCommand } from './report-command.ts';
import { registerBackupCommand } from './backup-command.ts';
import { registerSchedulesCommand } from './schedules-command.ts';
import { registerIntegrationsCommand } from './integrations-command.ts';
import { registerReplayCommand } from './replay-command.ts';
import { VERSION } from '../version.ts';

export function buildProgram(io: CliIo): Command {
  const program = new Command('firebreak')
    .description('Firebreak: runbooks that run. Detect incidents, act at machine speed, escalate until someone answers.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  registerServeCommand(program, io);
  registerReplayCommand(program, io);
  registerTokenCommand(program, io);
  registerIncidentsCommand(program, io);
  registerHealthCommand(program, io);
  registerRunbooksCommand(program, io);
  registerRespondCommand(program, io);
  registerDecisionsCommand(program, io);
  registerPostmortemCommand(program, io);
  registerReportCommand(program, io);
  registerBackupCommand(program, io);
  registerSchedulesCommand(program, io);
  registerIntegrationsCommand(program, io);
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
  return runProgram(buildProgram(io), argv, io);
}

export async function main(argv: string[]): Promise<void> {
  await finish(argv, await run(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env }));
}
