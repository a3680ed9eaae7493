/**
 * End-to-end support: run the real `firebreak` binary as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO, 'bin/firebreak.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface ServerProcess {
  url: string;
  port: number;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9) and wait. */
  kill9(): Promise<void>;
}

export async function startServer(opts: {
  cwd: string;
  env?: Record<string, string>;
  args?: string[];
  port?: number;
  timeoutMs?: number;
}): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', String(port), ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let exited = false;
  proc.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`firebreak serve exited early:\n${out}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`firebreak serve not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const waitExit = () =>
    new Promise<number | null>((resolve) => (exited ? resolve(proc.exitCode) : proc.once('exit', (code) => resolve(code))));
  return {
    url,
    port,
    proc,
    output: () => out,
    async stop() {
      proc.kill('SIGTERM');
      return waitExit();
    },
    async kill9() {
      proc.kill('SIGKILL');
      await waitExit();
    },
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return runNode([BIN, ...args], opts);
}

/** Runs `node <nodeArgs...>` to its end, collecting its output. */
export function runNode(nodeArgs: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, nodeArgs, {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.stdin.end(opts.input ?? '');
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export function runBash(script: string, opts: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
