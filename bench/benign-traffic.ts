/**
 * Mostly benign traffic for the ingestion benches (bench/ingest.ts, bench/cluster.ts);
 * bench/wrk-events.lua makes the same mix in wrk's Lua.
 */
/**
 * A batch of `n` NDJSON events. Event time advances 1 ms per 10 events across
 * all batches made with one `clock` (in order, as live traffic is). Self-contained:
 * the generator thread runs its source text.
 */
export function makeBatch(n: number, seed: number, clock: { ms: number }): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.${(seed + i) % 250}.${(i >> 8) & 255}.${i & 255}`;
    if (i % 10 === 0) clock.ms++;
    const ts = new Date(clock.ms).toISOString();
    // Mostly benign traffic, as in production: requests from many clients, a few
    // failed logins spread thin (each account fails once: the same accounts failing
    // batch after batch from new addresses is credential stuffing, an attack), and
    // each user logging in from its own address.
    const r = i % 20;
    if (r < 18)
      lines.push(
        `{"type":"http.request","ts":"${ts}","ip":"${ip}","method":"GET","route":"/api/items","status":200,"latency_ms":${(i % 50) + 5}}`,
      );
    else if (r === 18) lines.push(`{"type":"auth.login_failed","ts":"${ts}","ip":"${ip}","user_id":"u${seed}-${i}"}`);
    else lines.push(`{"type":"auth.login_succeeded","ts":"${ts}","ip":"${ip}","user_id":"user-${ip}"}`);
  }
  return lines.join('\n');
}
