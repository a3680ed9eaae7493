/**
 * Opens a TCP (or TLS) connection that honours an AbortSignal and a connect
 * timeout; shared by the `tcp` and `redis` probes.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface Endpoint {
  host: string;
  port: number;
  tls?: boolean;
}

export function connectSocket(ep: Endpoint, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const sock: net.Socket = ep.tls
      ? tls.connect({ host: ep.host, port: ep.port, servername: net.isIP(ep.host) ? undefined : ep.host })
      : net.connect({ host: ep.host, port: ep.port });
    const onAbort = () => {
      sock.destroy();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once(ep.tls ? 'secureConnect' : 'connect', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(sock);
    });
    sock.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      reject(err);
    });
  });
}

/** `tcp://host:port`, `redis://…`, or bare `host:port` (IPv6 in brackets). */
export function parseEndpoint(url: string, defaultPort?: number): Endpoint {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `tcp://${url}`;
  const u = new URL(withScheme);
  const port = u.port ? Number(u.port) : defaultPort;
  if (!u.hostname || !port) throw new Error(`"${url}" needs a host and a port`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, tls: u.protocol === 'rediss:' };
}
