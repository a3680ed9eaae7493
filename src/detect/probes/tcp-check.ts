/** TCP check: healthy when a connection to host:port opens. */
import { connectSocket, parseEndpoint } from './socket-connect.ts';

export async function checkTcp(url: string, signal: AbortSignal): Promise<void> {
  const sock = await connectSocket(parseEndpoint(url), signal);
  sock.destroy();
}
