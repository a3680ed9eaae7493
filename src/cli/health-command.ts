import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { AppError } from '../errors.ts';

/** `firebreak health`: the detailed health of a running server; exit 1 when it is down. */
export function registerHealthCommand(program: Command, io: CliIo): void {
  program
    .command('health')
    .description('show the detailed health of a running Firebreak (FIREBREAK_URL, default http://127.0.0.1:7700)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const base = (io.env.FIREBREAK_URL ?? 'http://127.0.0.1:7700').replace(/\/+$/, '');
      let res: Response;
      try {
        res = await fetch(`${base}/api/health/detailed`, { signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        throw new AppError('unavailable', `cannot reach Firebreak at ${base}: is it running?`, { cause: err });
      }
      const body = (await res.json()) as {
        status: string;
        components: Record<string, { status: string; latency_ms?: number; error?: string }>;
      } & Record<string, unknown>;
      if (o.json) io.stdout.write(JSON.stringify(body) + '\n');
      else {
        io.stdout.write(
          `status: ${body.status}  version ${String(body.version)}  uptime ${String(body.uptime_seconds)}s  storage ${String(body.storage)}\n`,
        );
        for (const [name, c] of Object.entries(body.components)) {
          io.stdout.write(
            `  ${name.padEnd(12)} ${c.status.padEnd(9)} ${c.latency_ms !== undefined ? `${c.latency_ms} ms` : ''}${c.error ? `  ${c.error}` : ''}\n`,
          );
        }
      }
      if (!res.ok) throw new AppError('unavailable', `Firebreak reports ${body.status}`);
    });
}
