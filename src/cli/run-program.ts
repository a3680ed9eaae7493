/** Runs a commander program and maps what it throws to exit codes (0 ok, 1 failure, 2 bad usage or input). */
import { CommanderError, type Command } from 'commander';
import { AppError } from '../errors.ts';
import { exitCodeFor } from './exit-codes.ts';
import type { CliIo } from './io.ts';

export async function runProgram(program: Command, argv: string[], io: CliIo): Promise<number> {
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

/** Sets the exit code; commands other than serve hold no handles once done, so a stray one never keeps the CLI alive. */
export async function finish(argv: string[], code: number): Promise<void> {
  process.exitCode = code;
  if (argv[2] !== 'serve') setTimeout(() => process.exit(code), 50).unref();
}
