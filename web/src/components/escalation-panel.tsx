import { formatDateTime, formatTime, shortDuration } from '../format.ts';
import type { Escalation } from '../types.ts';

interface Notified {
  text: string;
  status?: string;
  error?: string | null;
}

function describeNotified(n: unknown): Notified {
  if (typeof n === 'string') return { text: n };
  if (!n || typeof n !== 'object') return { text: String(n) };
  const o = n as Record<string, unknown>;
  const who = o.recipient ?? o.target ?? o.person ?? o.name ?? o.to ?? '?';
  const parts = [String(who)];
  if (o.recipient && o.target && o.recipient !== o.target) parts.push(`(${String(o.target)})`);
  if (o.channel) parts.push(`via ${String(o.channel)}`);
  if (typeof o.level === 'number') parts.push(`· level ${o.level}`);
  const at = o.sent_at ?? o.at ?? o.created_at;
  if (typeof at === 'string') parts.push(`· ${formatTime(at)}`);
  return {
    text: parts.join(' '),
    status: typeof o.status === 'string' ? o.status : undefined,
    error: typeof o.last_error === 'string' ? o.last_error : null,
  };
}

/** Where the escalation stands: the levels (current one marked) and who was notified. `level` is 1-based, as in the API. */
export function EscalationPanel({ escalation: e, now }: { escalation: Escalation; now: number }) {
  const policy = typeof e.policy === 'object' && e.policy ? e.policy : null;
  const policyName = policy?.name ?? (typeof e.policy === 'string' ? e.policy : undefined);
  const levels = policy?.levels ?? e.levels ?? [];
  const notified = (e.notifications ?? e.notified ?? []).map(describeNotified);
  if (levels.length === 0 && notified.length === 0) return <p className="unavailable">No escalation for this incident.</p>;
  const current = typeof e.level === 'number' ? Math.min(Math.max(e.level - 1, 0), Math.max(levels.length - 1, 0)) : -1;
  const next = e.next_at ? Date.parse(e.next_at) - now : null;
  return (
    <div className="escalation">
      {levels.length > 0 && current >= 0 && (
        <p>
          {e.exhausted ? 'Exhausted after' : e.stopped ? 'Stopped at' : 'At'} level <strong>{current + 1}</strong> of {levels.length}
          {policyName ? ` (policy ${policyName})` : ''}.
          {next !== null && !e.stopped && !e.exhausted && (
            <>
              {' '}
              Next level{' '}
              <time dateTime={e.next_at!} title={formatDateTime(e.next_at!)}>
                {next > 0 ? `in ${shortDuration(next)}` : 'now'}
              </time>
              .
            </>
          )}
        </p>
      )}
      <ol className="levels">
        {levels.map((l, i) => (
          <li key={i} aria-current={i === current ? 'step' : undefined} className={i === current ? 'current' : i < current ? 'past' : ''}>
            <span className="level-name">{l.name ?? `Level ${i + 1}`}</span>:{' '}
            <span className="targets">{(l.targets ?? l.notify ?? []).join(', ') || '—'}</span>
            {l.timeout && <span className="muted"> · waits {l.timeout}</span>}
          </li>
        ))}
      </ol>
      <h3>Notified</h3>
      {notified.length === 0 ? (
        <p className="muted">Nobody yet.</p>
      ) : (
        <ul className="notified">
          {notified.map((n, i) => (
            <li key={i}>
              {n.text}{' '}
              {n.status && (
                <span className={`badge state-${n.status === 'sent' ? 'ok' : n.status === 'failed' ? 'bad' : 'muted'}`}>{n.status}</span>
              )}
              {n.error && <span className="error-text"> — {n.error}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
