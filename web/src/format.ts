/** Durations and times as responders read them: short, exact where it matters. */

/** `45s`, `12m 05s`, `3h 20m`, `2d 4h`. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Coarser, for ages: `just now`, `5m`, `3h`, `2d`. */
export function age(fromIso: string, now: number): string {
  const ms = now - Date.parse(fromIso);
  if (ms < 10_000) return 'just now';
  if (ms < 60_000) return `${Math.floor(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m`;
  if (ms < 172_800_000) return `${Math.floor(ms / 3_600_000)}h ${Math.floor((ms % 3_600_000) / 60_000)}m`;
  return `${Math.floor(ms / 86_400_000)}d`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : timeOnly.format(d);
}

const WORDS: Record<string, string> = { ddos: 'DDoS', ip: 'IP', sla: 'SLA', db: 'DB', http: 'HTTP', api: 'API' };

/** `brute_force_attempt` → `Brute force attempt`, `ddos` → `DDoS`. */
export function humanize(s: string): string {
  const t = s
    .replace(/([a-z0-9])([A-Z])/g, (_m, a: string, b: string) => `${a} ${b.toLowerCase()}`)
    .replace(/[_-]+/g, ' ')
    .trim()
    .replace(/\b[a-z]+\b/g, (w) => WORDS[w] ?? w);
  return t.charAt(0).toUpperCase() + t.slice(1);
}
