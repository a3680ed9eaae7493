/**
 * Progress of long runs (backups, restores, downloads) on stderr: a
 * cli-progress bar when stderr is a terminal, else a line at most every few
 * seconds, so logs and CI output stay readable. stdout is left for results.
 */
import cliProgress from 'cli-progress';
import type { CliIo } from './io.ts';

export interface Progress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

export function createProgress(io: CliIo, what: string, unit: 'rows' | 'bytes', opts: { intervalMs?: number } = {}): Progress {
  const fmt = (n: number) => (unit === 'bytes' ? formatBytes(n) : String(n));
  if (io.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: io.stderr as NodeJS.WritableStream,
        format: `${what} [{bar}] {percentage}% | {done}/{all} ${unit === 'bytes' ? '' : 'rows '}| {label}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, label = '') {
        if (!started) {
          bar.start(Math.max(total, 1), 0, { done: fmt(0), all: fmt(total), label });
          started = true;
        }
        bar.setTotal(Math.max(total, 1));
        bar.update(Math.min(done, Math.max(total, 1)), { done: fmt(done), all: fmt(total), label });
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  const every = opts.intervalMs ?? 2000;
  let last = 0;
  let shown = -1;
  let latest: [number, number, string] | null = null;
  const line = (done: number, total: number, label: string) => {
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    io.stderr.write(`${what}: ${pct}% (${fmt(done)} of ${fmt(total)}${unit === 'rows' ? ' rows' : ''}${label ? `, ${label}` : ''})\n`);
    shown = done;
  };
  return {
    update(done, total, label = '') {
      latest = [done, total, label];
      const now = Date.now();
      if (now - last >= every) {
        last = now;
        line(done, total, label);
      }
    },
    stop() {
      if (latest && latest[0] !== shown) line(...latest);
    },
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
