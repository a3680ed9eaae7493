/**
 * A hard deadline for one probe or check: the work gets an AbortSignal that
 * fires at the deadline, and the returned promise rejects then even if the
 * work ignores the signal (a hanging socket never hangs a probe loop).
 */
export async function withDeadline<T>(ms: number, what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${what} timed out after ${ms} ms`);
      ac.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([work(ac.signal), expired]);
  } finally {
    clearTimeout(timer);
    if (!ac.signal.aborted) ac.abort(new Error(`${what} finished`));
  }
}
