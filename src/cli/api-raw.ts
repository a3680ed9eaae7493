/**
 * Non-JSON answers of a running server (Markdown, backup streams): the raw
 * Response once the status is known to be OK; error bodies become AppErrors
 * with the server's code, as in api-client.ts.
 */
import { AppError, type ErrorCode } from '../errors.ts';

export interface RawApi {
  url: string;
  fetch(method: string, path: string, opts?: { timeoutMs?: number }): Promise<Response>;
}

export function createRawApi(baseUrl: string, token: string): RawApi {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    url: base,
    async fetch(method, path, opts = {}) {
      let res: Response;
      try {
        res = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        const cause = (err as { cause?: Error }).cause;
        throw new AppError(
          'unavailable',
          `cannot reach Firebreak at ${base}: ${cause ? cause.message : (err as Error).message}. Is \`firebreak serve\` running?`,
          { cause: err },
        );
      }
      if (res.ok) return res;
      const text = await res.text();
      let e: { code?: ErrorCode; message?: string; details?: { path?: string; message: string }[] } | undefined;
      try {
        e = (JSON.parse(text) as { error?: typeof e }).error;
      } catch {
        /* not JSON: use the status */
      }
      throw new AppError(
        e?.code ?? (res.status === 400 ? 'invalid' : res.status === 404 ? 'not_found' : 'internal'),
        e?.message ?? `HTTP ${res.status} from ${base}${path}`,
        { details: e?.details },
      );
    },
  };
}

export function rawApiFromEnv(env: Record<string, string | undefined>): RawApi | null {
  return env.FIREBREAK_URL && env.FIREBREAK_TOKEN ? createRawApi(env.FIREBREAK_URL, env.FIREBREAK_TOKEN) : null;
}
