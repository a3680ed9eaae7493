import { useCallback, useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  data: T | undefined;
  /** The key `data` was loaded for (differs from the current key while `keepPrevious` shows older data). */
  dataKey: string | undefined;
  error: unknown;
  /** True once the first answer (or error) arrived. */
  loaded: boolean;
  /** Loads again now (after a change made from this page). */
  refresh: () => Promise<void>;
}

/**
 * Loads now and then every `intervalMs` while the page is visible, one
 * request at a time. A new `key` starts over (filters changed). `intervalMs`
 * 0 loads once. Answers arriving after unmount are dropped (requests are not
 * aborted: the browser would report them as failed). With `keepPrevious`, the
 * data of the previous key stays visible until the new key's answer arrives
 * (no flicker when a filter changes).
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, key: string, enabled = true, keepPrevious = false): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loaded: boolean; key: string }>({ loaded: false, key });
  const loadRef = useRef(load);
  loadRef.current = load;
  const runRef = useRef<() => Promise<void>>(async () => {});

  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight: Promise<void> | null = null;
    const schedule = () => {
      clearTimeout(timer);
      if (!stopped && intervalMs > 0 && !document.hidden) timer = setTimeout(() => void run(), intervalMs);
    };
    const run = (): Promise<void> => {
      if (inFlight) return inFlight;
      clearTimeout(timer);
      inFlight = (async () => {
        try {
          const data = await loadRef.current();
          if (!stopped) setState({ data, loaded: true, key });
        } catch (error) {
          if (!stopped) setState((s) => ({ data: s.key === key ? s.data : undefined, error, loaded: true, key }));
        } finally {
          inFlight = null;
          schedule();
        }
      })();
      return inFlight;
    };
    runRef.current = run;
    const onVisible = () => {
      if (!document.hidden) void run();
      else clearTimeout(timer);
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, intervalMs, enabled]);

  const refresh = useCallback(() => runRef.current(), []);
  const fresh = state.key === key;
  const show = fresh || keepPrevious;
  return {
    data: show ? state.data : undefined,
    dataKey: show && state.data !== undefined ? state.key : undefined,
    error: fresh ? state.error : undefined,
    loaded: fresh ? state.loaded : keepPrevious && state.data !== undefined,
    refresh,
  };
}
