/**
 * Fast path for `firebreak replay`: a program with only the replay command, so
 * an offline replay does not load the server's modules (PostgreSQL drivers,
 * Fastify…) before reading its first line.
 */
import { Command } from 'commander';
import { registerReplayCommand } from './replay-command.ts';
import { runProgram, finish } from './run-program.ts';
import { VERSION } from '../version.ts';

export async function main(argv: string[]): Promise<void> {
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  const program = new Command('firebreak')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  registerReplayCommand(program, io);
  for (const c of program.commands) c.exitOverride();
  await finish(argv, await runProgram(program, argv, io));
}
