import type { ErrorCode } from '../errors.ts';

/** 0 ok, 1 failure, 2 bad usage or bad input (docs/design.md "Interfaces"). */
export function exitCodeFor(code: ErrorCode): number {
  return code === 'invalid' ? 2 : 1;
}
