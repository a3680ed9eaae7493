/**
 * Redis check over a raw RESP socket (no client library, no reconnect
 * logic to fight): optional AUTH from the URL, optional SELECT of the
 * database in the path, then PING; healthy on `+PONG`.
 */
import type net from 'node:net';
import { connectSocket, parseEndpoint } from './socket-connect.ts';

const resp = (...args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

export async function checkRedis(url: string, signal: AbortSignal): Promise<void> {
  const u = new URL(url);
  const sock = await connectSocket(parseEndpoint(url, 6379), signal);
  try {
    const password = decodeURIComponent(u.password);
    const user = decodeURIComponent(u.username);
    if (password) expectOk(await command(sock, signal, user ? resp('AUTH', user, password) : resp('AUTH', password)), 'AUTH');
    const db = u.pathname.replace(/^\//, '');
    if (db && db !== '0') expectOk(await command(sock, signal, resp('SELECT', db)), 'SELECT');
    const pong = await command(sock, signal, resp('PING'));
    if (pong !== '+PONG') throw new Error(`PING answered ${JSON.stringify(pong)}`);
  } finally {
    sock.destroy();
  }
}

function expectOk(line: string, what: string): void {
  if (line !== '+OK') throw new Error(`${what} failed: ${line.startsWith('-') ? line.slice(1) : JSON.stringify(line)}`);
}

/** Sends one command and reads one simple reply line. */
function command(sock: net.Socket, signal: AbortSignal, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const cleanup = () => {
      sock.off('data', onData);
      sock.off('error', onError);
      sock.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const i = buf.indexOf('\r\n');
      if (i >= 0) {
        cleanup();
        resolve(buf.slice(0, i));
      } else if (buf.length > 4096) {
        cleanup();
        reject(new Error('not a Redis server (reply too long)'));
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('connection closed by the server'));
    };
    const onAbort = () => {
      cleanup();
      sock.destroy();
      reject(signal.reason as Error);
    };
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.write(cmd);
  });
}
