/** The one table from error codes to HTTP statuses, and the error body shape of docs/design.md "Interfaces". */
import type { FastifyError, FastifyReply } from 'fastify';
import { AppError, type ErrorCode } from '../errors.ts';

export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** Turns anything thrown in a route (AppError, fastify's own errors, bugs) into an AppError. */
export function normalizeHttpError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError & { validation?: unknown };
  const code = typeof fe?.code === 'string' ? fe.code : '';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe?.statusCode === 413) {
    return new AppError('payload_too_large', 'request body is larger than the limit; send smaller batches');
  }
  if (code === 'FST_ERR_MAX_PARAM_LENGTH' || fe?.statusCode === 414) {
    return uriTooLong();
  }
  if (code === 'FST_ERR_BAD_URL') {
    return new AppError('invalid', 'the path is not valid percent-encoding');
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe?.statusCode === 415) {
    return new AppError('invalid', `unsupported content type: ${fe.message}`);
  }
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new AppError('invalid', 'malformed JSON: the body is empty but Content-Type is application/json');
  }
  if (err instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (fe?.statusCode === 400 && /JSON/i.test(fe.message))) {
    return new AppError('invalid', `malformed JSON: ${fe.message}`, { details: [{ path: '(body)', message: fe.message }] });
  }
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('invalid', fe.message);
  }
  return new AppError('internal', 'internal error', { cause: err });
}

/** Path parameters (ids, names) longer than this are refused by the router before any route runs. */
export const MAX_PARAM_LENGTH = 100;

export function uriTooLong(): AppError {
  return new AppError('uri_too_long', `a path segment is longer than ${MAX_PARAM_LENGTH} characters; no id or name is that long`);
}

/** The path of a request for messages: without the query, and cut short (a 404 need not echo 5,000 characters back). */
export function pathForMessage(url: string): string {
  const p = url.split('?')[0]!;
  return p.length > 200 ? `${p.slice(0, 200)}…` : p;
}

export function sendError(reply: FastifyReply, err: AppError): FastifyReply {
  const status = err.code === 'invalid' && /unsupported content type/.test(err.message) ? 415 : HTTP_STATUS[err.code];
  // A 503 always says when to come back (the database is down, …): clients and load balancers back off instead of hammering.
  const retryAfter = err.retryAfter ?? (err.code === 'unavailable' ? 2 : undefined);
  if (retryAfter !== undefined) reply.header('Retry-After', String(Math.ceil(retryAfter)));
  const body: { error: { code: string; message: string; details?: unknown } } = { error: { code: err.code, message: err.message } };
  if (err.details?.length) body.error.details = err.details;
  return reply.code(status).type('application/json').send(body);
}
