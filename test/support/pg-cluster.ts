/**
 * A throwaway PostgreSQL cluster for probe tests: initdb into a fresh
 * temporary directory owned by the `postgres` user (initdb refuses root),
 * listening on a free port on 127.0.0.1 with its socket in that directory.
 * Never touches the machine's shared cluster. `available()` is false when
 * the server binaries (or a way to run them as postgres) are missing.
 */
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './process.ts';

export interface PgCluster {
  url: string;
  port: number;
  start(): void;
  /** Fast shutdown: connections are refused until start(). */
  stop(): void;
  /** Immediate shutdown (`pg_ctl -m immediate`, as a crash): connections drop, recovery at the next start(). */
  crash(): void;
  destroy(): void;
}

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0]!, 'bin') : null;
}

function asPostgres(cmd: string, args: string[]): void {
  const root = userInfo().uid === 0;
  const r = root
    ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} failed (${r.status}): ${r.stderr || r.stdout || r.error?.message}`);
}

export function pgClusterAvailable(): boolean {
  if (!binDir()) return false;
  if (userInfo().uid !== 0) return true;
  return spawnSync('id', ['postgres']).status === 0 && spawnSync('which', ['runuser']).status === 0;
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = binDir();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-pgprobe-'));
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  asPostgres(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  const ctl = (...args: string[]) => asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, ...args]);
  const cluster: PgCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: () => ctl('-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', path.join(dir, 'log'), '-w', 'start'),
    stop: () => ctl('-m', 'fast', '-w', 'stop'),
    crash: () => ctl('-m', 'immediate', '-w', 'stop'),
    destroy: () => {
      try {
        ctl('-m', 'immediate', '-w', 'stop');
      } catch {
        /* not running */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
