/** Shared by the log and journald follower tests: the brute-force incidents of one key, and polling for a value. */

export async function bruteForceIncidents(url: string, token: string, key: string): Promise<{ id: string; detection_count: number }[]> {
  const r = await fetch(`${url}/api/v1/incidents?type=brute_force_attempt&limit=100`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await r.json()) as { items: { id: string; dedup_key: string; detection_count: number }[] };
  return body.items.filter((i) => i.dedup_key === key);
}

/** Polls `fn` until `ok` holds or `ms` pass, and returns the last value (the caller's assertion then says what was seen). */
export async function pollUntil<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    v = await fn();
  }
  return v;
}
