import { api } from '../api.ts';
import { useSession } from '../session.tsx';
import { usePoll } from '../use-poll.ts';
import { useNow } from '../use-now.ts';
import { formatDateTime, shortDuration } from '../format.ts';
import { ErrorNote, Loading, Unavailable } from '../components/notice.tsx';
import type { Page, Schedule } from '../types.ts';
import { TableHead } from '../components/fields.tsx';

function When({ iso, now, prefix }: { iso?: string | null; now: number; prefix: string }) {
  if (!iso) return null;
  const ms = Date.parse(iso) - now;
  return (
    <span className="muted">
      {' '}
      {prefix}{' '}
      <time dateTime={iso} title={formatDateTime(iso)}>
        {ms > 0 ? `in ${shortDuration(ms)}` : formatDateTime(iso)}
      </time>
    </span>
  );
}

function Schedules() {
  const now = useNow();
  const list = usePoll(() => api.get<Page<Schedule>>('/api/v1/schedules'), 30_000, 'schedules');
  if (!list.loaded) return <Loading />;
  const items = list.data?.items ?? [];
  return (
    <>
      <ErrorNote error={list.error} />
      {items.length === 0 ? (
        <p className="empty">No schedules are configured.</p>
      ) : (
        <table className="table">
          <caption className="sr-only">Who is on call now and next, per schedule</caption>
          <TableHead columns={['Schedule', 'On call now', 'Next']} />
          <tbody>
            {items.map((s) => (
              <tr key={s.name}>
                <td data-label="Schedule">
                  <div>
                    <strong>{s.name}</strong>
                    {s.time_zone && <span className="key">{s.time_zone}</span>}
                  </div>
                </td>
                <td data-label="On call now">
                  <div>
                    {s.now?.person ? <strong>{s.now.person}</strong> : <span className="gap">nobody (gap)</span>}
                    <When iso={s.now?.until} now={now} prefix="until" />
                  </div>
                </td>
                <td data-label="Next">
                  <div>
                    {s.next?.person ?? '—'}
                    <When iso={s.next?.from} now={now} prefix="from" />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

interface PolicyLevel {
  name?: string;
  notify?: string[];
  targets?: string[];
  timeout?: string | number;
  timeout_ms?: number;
}
interface Policy {
  name: string;
  levels?: PolicyLevel[];
  repeat?: number;
  level_timeout?: string | null;
  source?: string;
}

function timeoutText(l: PolicyLevel): string | null {
  if (typeof l.timeout_ms === 'number') return shortDuration(l.timeout_ms);
  if (typeof l.timeout === 'number') return shortDuration(l.timeout);
  return l.timeout ?? null;
}

function Policies() {
  const list = usePoll(
    () => api.get<Page<Policy> | Record<string, Omit<Policy, 'name'>>>('/api/v1/escalation-policies'),
    60_000,
    'policies',
  );
  if (!list.loaded) return <Loading />;
  const raw = list.data;
  // A list (`{items}`) or a map of name → policy as in the configuration file.
  const items: Policy[] = !raw
    ? []
    : Array.isArray((raw as Page<Policy>).items)
      ? (raw as Page<Policy>).items
      : Object.entries(raw).map(([name, p]) => ({ name, ...(p as Omit<Policy, 'name'>) }));
  return (
    <>
      <ErrorNote error={list.error} />
      {items.length === 0 ? (
        <p className="empty">No escalation policies are configured.</p>
      ) : (
        <div className="policies">
          {items.map((p) => (
            <section key={p.name} className="policy" aria-label={`Policy ${p.name}`}>
              <h3>
                {p.name} {p.source && <span className="muted small">({p.source})</span>}
              </h3>
              <ol className="levels">
                {(p.levels ?? []).map((l, i) => {
                  const t = timeoutText(l) ?? p.level_timeout ?? 'until the severity deadline';
                  return (
                    <li key={i}>
                      <span className="level-name">{l.name ?? `Level ${i + 1}`}</span>:{' '}
                      <span className="targets">{(l.notify ?? l.targets ?? []).join(', ') || '—'}</span>
                      {t && <span className="muted"> · waits {t}</span>}
                    </li>
                  );
                })}
              </ol>
              {(p.repeat ?? 0) > 0 && <p className="muted">Repeats {p.repeat} more times.</p>}
            </section>
          ))}
        </div>
      )}
    </>
  );
}

export function OnCallPage() {
  const { has } = useSession();
  return (
    <section aria-labelledby="oncall-title">
      <div className="page-head">
        <h1 id="oncall-title" tabIndex={-1}>
          On call
        </h1>
      </div>
      <section className="panel" aria-labelledby="sched-h">
        <h2 id="sched-h">Schedules</h2>
        {has('schedules') ? <Schedules /> : <Unavailable>On-call schedules are not available on this server yet.</Unavailable>}
      </section>
      <section className="panel" aria-labelledby="pol-h">
        <h2 id="pol-h">Escalation policies</h2>
        {has('escalation_policies') ? <Policies /> : <Unavailable>Escalation policies are not available on this server yet.</Unavailable>}
      </section>
    </section>
  );
}
