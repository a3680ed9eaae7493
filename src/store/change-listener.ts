/**
 * PostgreSQL LISTEN on a dedicated connection (cluster mode): payloads of
 * NOTIFY on `channel` reach `onPayload`. The connection is reopened after a
 * failure; `onReconnect` runs then, because notifications sent while it was
 * down are lost and the caller must catch up (e.g. drop a whole cache).
 */
import pg from 'pg';
import type { Logger } from 'pino';

export interface ChangeListener {
  close(): Promise<void>;
}

export function listenChanges(o: {
  databaseUrl: string;
  channel: string;
  logger: Logger;
  onPayload(payload: string): void;
  onReconnect(): void;
}): ChangeListener {
  if (!/^[a-z_][a-z0-9_]*$/.test(o.channel)) throw new Error(`bad channel name ${o.channel}`);
  let client: pg.Client | null = null;
  let closed = false;
  let first = true;

  async function open(): Promise<void> {
    while (!closed) {
      const c = new pg.Client({ connectionString: o.databaseUrl });
      try {
        await c.connect();
        c.on('notification', (n) => {
          if (n.channel === o.channel) o.onPayload(n.payload ?? '');
        });
        c.on('error', (err) => {
          o.logger.warn({ err: err.message, channel: o.channel }, 'LISTEN connection failed; reopening');
          c.end().catch(() => {});
          if (client === c) client = null;
          if (!closed) setTimeout(() => void open(), 1000);
        });
        await c.query(`LISTEN ${o.channel}`);
        client = c;
        if (!first) o.onReconnect();
        first = false;
        return;
      } catch (err) {
        await c.end().catch(() => {});
        o.logger.warn({ err: (err as Error).message, channel: o.channel }, 'LISTEN failed; retrying');
        first = false;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
  void open();
  return {
    async close() {
      closed = true;
      await client?.end().catch(() => {});
    },
  };
}
