/**
 * Runbook `sql` check: run the query on a fresh client; ok when it succeeds
 * and, when `expect` is given, the first column of the first row equals it
 * (compared as text, so `expect: 0` matches a bigint count of 0).
 */
import pg from 'pg';
import { withDeadline } from './deadline.ts';

export async function checkSql(url: string, query: string, expect: unknown, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
  });
  client.on('error', () => {});
  try {
    return await withDeadline(timeoutMs + 500, 'sql check', async () => {
      await client.connect();
      const r = await client.query({ text: query, rowMode: 'array' });
      const first: unknown = (r.rows[0] as unknown[] | undefined)?.[0];
      if (expect === undefined) return { ok: true, detail: `query ran (${r.rowCount ?? 0} rows)` };
      const ok = first !== undefined && String(first) === String(expect);
      return {
        ok,
        detail: ok ? `returned ${String(first)}` : `returned ${first === undefined ? 'no row' : String(first)}, expected ${String(expect)}`,
      };
    });
  } catch (err) {
    return { ok: false, detail: `query failed: ${(err as Error).message}` };
  } finally {
    client.end().catch(() => {});
  }
}
