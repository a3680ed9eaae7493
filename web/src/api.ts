/**
 * The one way the dashboard talks to the server: same-origin fetch with the
 * session cookie, the CSRF header on every change, JSON in and out, and the
 * API's error shape turned into ApiError.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a request answers 401 (the session ended): the app shows the sign-in page. */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

export interface RequestOptions {
  /** Statuses that carry a normal answer (e.g. 503 from the detailed health check). */
  accept?: number[];
  /** Do not treat 401 as "the session ended" (the sign-in request itself). */
  quiet401?: boolean;
}

export async function request<T>(method: string, url: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'network', `cannot reach the server (${(err as Error).message})`);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.ok || opts.accept?.includes(res.status)) return data as T;
  const e = (data as { error?: { code?: string; message?: string } } | null)?.error;
  const retry = Number(res.headers.get('retry-after'));
  const err = new ApiError(
    res.status,
    e?.code ?? 'http',
    e?.message ?? `${res.status} ${res.statusText}`,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
  if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
  throw err;
}

export const api = {
  get: <T>(url: string, opts?: RequestOptions) => request<T>('GET', url, undefined, opts),
  post: <T>(url: string, body: unknown = {}, opts?: RequestOptions) => request<T>('POST', url, body, opts),
  del: <T>(url: string, opts?: RequestOptions) => request<T>('DELETE', url, undefined, opts),
};

/** Builds a query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 403) return `Not allowed: ${err.message}`;
    if (err.status === 409) return `Not possible now: ${err.message}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
