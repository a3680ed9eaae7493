/**
 * HTTP client for CLI commands that act on a running server
 * (FIREBREAK_URL, FIREBREAK_TOKEN). Error bodies become AppErrors with the
 * server's code, so exit codes match.
 */
import { AppError, type ErrorCode } from '../errors.ts';

export interface ApiClient {
  url: string;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function apiClientFromEnv(env: Record<string, string | undefined>, required = true): ApiClient | null {
  const url = env.FIREBREAK_URL;
  const token = env.FIREBREAK_TOKEN;
  if (!url || !token) {
    if (!required) return null;
    throw new AppError('invalid', 'set FIREBREAK_URL (e.g. http://127.0.0.1:7700) and FIREBREAK_TOKEN to talk to a running Firebreak');
  }
  return createApiClient(url, token);
}

export function createApiClient(baseUrl: string, token: string): ApiClient {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    url: base,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response;
      try {
        res = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        throw new AppError(
          'unavailable',
          `cannot reach Firebreak at ${base}: ${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message}. Is \`firebreak serve\` running?`,
          { cause: err },
        );
      }
      const text = await res.text();
      let json: unknown = null;
      if (text) {
        try {
          json = JSON.parse(text);
        } catch {
          throw new AppError('internal', `unexpected answer from ${base}${path} (HTTP ${res.status}): ${text.slice(0, 200)}`);
        }
      }
      if (!res.ok) {
        const e = (json as { error?: { code?: ErrorCode; message?: string; details?: { path?: string; message: string }[] } } | null)
          ?.error;
        throw new AppError(e?.code ?? (res.status === 400 ? 'invalid' : 'internal'), e?.message ?? `HTTP ${res.status}`, {
          details: e?.details,
        });
      }
      return json as T;
    },
  };
}
