/**
 * Hanging SMTP peers for timeout tests, as a raw `net` server on loopback:
 * `greet: true` sends the 220 greeting and then never answers a command
 * (a server stuck after accept, e.g. a full queue or a dead milter);
 * `greet: false` accepts the connection and never says anything.
 * It records how many connections are open, so a test can tell that a
 * delivery happened while the SMTP attempt was still hanging.
 */
import { createServer, type Socket } from 'node:net';

export interface SilentSmtp {
  url: string;
  /** Connections accepted so far. */
  accepted: number;
  /** Connections still open (the client has not given up yet). */
  open: number;
  /** Bytes the clients sent (EHLO etc.), to show the greeting was answered. */
  received: string;
  close(): Promise<void>;
}

export async function startSilentSmtp(opts: { greet: boolean }): Promise<SilentSmtp> {
  const sockets = new Set<Socket>();
  const peer: SilentSmtp = { url: '', accepted: 0, open: 0, received: '', close: async () => {} };
  const server = createServer((socket) => {
    peer.accepted++;
    peer.open++;
    sockets.add(socket);
    socket.on('data', (d: Buffer) => (peer.received += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      peer.open--;
      sockets.delete(socket);
    });
    if (opts.greet) socket.write('220 silent.test ESMTP\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.url = `smtp://127.0.0.1:${(server.address() as { port: number }).port}`;
  peer.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return peer;
}
