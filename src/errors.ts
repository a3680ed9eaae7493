/**
 * The one error type of Firebreak. Every failure that crosses a module
 * boundary is an AppError with a code from a closed set; HTTP maps codes to
 * statuses in one table (src/http/error-map.ts) and the CLI maps them to exit
 * codes (src/cli/exit-codes.ts).
 */
export type ErrorCode =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'uri_too_long'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export interface ErrorDetail {
  /** Where the problem is: a JSON path like `severity` or `[3].ts`, or a file path. */
  path?: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: ErrorDetail[];
  /** Seconds a client should wait before retrying (429/503). */
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: ErrorDetail[]; retryAfter?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
  }
}

/** Wraps anything thrown into an AppError, keeping the original as `cause`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('internal', message, { cause: err });
}
