/**
 * PostgreSQL check: a fresh `pg` client per run (a pool would hide a server
 * that stopped accepting connections), `SELECT 1`, then close. The connection
 * timeout and the query timeout are the probe's timeout; the caller's
 * deadline closes the socket if the server hangs anyway.
 */
import pg from 'pg';

export async function checkPostgres(url: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
  });
  client.on('error', () => {}); // surfaced by connect()/query()
  const kill = () => {
    const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
    stream?.destroy();
  };
  signal.addEventListener('abort', kill, { once: true });
  try {
    await client.connect();
    const r = await client.query<{ ok: number }>('SELECT 1 AS ok');
    if (r.rows[0]?.ok !== 1) throw new Error('SELECT 1 returned no row');
  } finally {
    signal.removeEventListener('abort', kill);
    client.end().catch(() => {});
    if (signal.aborted) kill();
  }
}
