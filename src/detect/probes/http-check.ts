/**
 * HTTP check (probes of type `http` and runbook `http` checks): GET the URL;
 * healthy when the status is the expected one (default: any 2xx). Redirects
 * are not followed: a health endpoint that redirects is reported as is.
 */
import { withDeadline } from './deadline.ts';

export interface HttpCheckResult {
  ok: boolean;
  status?: number;
  error?: string;
}

export async function checkHttp(
  url: string,
  opts: { timeoutMs: number; expectStatus?: number; fetch?: typeof fetch },
): Promise<HttpCheckResult> {
  const doFetch = opts.fetch ?? fetch;
  try {
    return await withDeadline(opts.timeoutMs, `GET ${url}`, async (signal) => {
      const res = await doFetch(url, { method: 'GET', redirect: 'manual', signal, headers: { 'user-agent': 'firebreak-probe' } });
      await res.body?.cancel().catch(() => {});
      const ok = opts.expectStatus !== undefined ? res.status === opts.expectStatus : res.status >= 200 && res.status < 300;
      return ok
        ? { ok, status: res.status }
        : { ok, status: res.status, error: `HTTP ${res.status} (expected ${opts.expectStatus ?? '2xx'})` };
    });
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause && !e.message.includes(cause) ? `${e.message}: ${cause}` : e.message;
}
