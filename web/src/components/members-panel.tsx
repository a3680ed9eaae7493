import { useEffect, useState } from 'react';
import { api, query } from '../api.ts';
import { usePoll } from '../use-poll.ts';
import { formatDateTime, humanize } from '../format.ts';
import { SearchField } from './fields.tsx';
import { ErrorNote, Loading } from './notice.tsx';
import type { Decision, Page } from '../types.ts';

interface Member {
  key: string;
  first_detection_at: string;
  last_detection_at: string;
  detections: number;
  decisions: Decision[];
}

const PAGE = 50;

/**
 * The keys of a campaign (addresses, accounts), searched and paged by the
 * server: a botnet incident has thousands. Each with its detections and the
 * decisions the incident made on it.
 */
export function MembersPanel({ incidentId, count }: { incidentId: string; count: number }) {
  const [filter, setFilter] = useState('');
  const [q, setQ] = useState('');
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    const t = setTimeout(() => {
      setQ(filter.trim());
      setCursors([]);
    }, 300);
    return () => clearTimeout(t);
  }, [filter]);
  const list = usePoll(
    () =>
      api.get<Page<Member>>(
        `/api/v1/incidents/${encodeURIComponent(incidentId)}/members${query({ limit: PAGE, q: q || undefined, cursor })}`,
      ),
    10_000,
    `${incidentId}|${q}|${cursor ?? ''}`,
    true,
    true,
  );
  const next = list.data?.next_cursor ?? null;
  return (
    <section aria-labelledby="members-h" className="panel">
      <h2 id="members-h">
        Members <span className="muted">({count.toLocaleString('en-US')})</span>
      </h2>
      <form className="filters" role="search" aria-label="Search members" onSubmit={(e) => e.preventDefault()}>
        <SearchField value={filter} onChange={setFilter} placeholder="address or account" />
      </form>
      <ErrorNote error={list.error} />
      {!list.loaded ? (
        <Loading />
      ) : (list.data?.items.length ?? 0) === 0 ? (
        <p className="muted">No member matches.</p>
      ) : (
        <ul className="decision-list" aria-label="Campaign members">
          {list.data!.items.map((m) => (
            <li key={m.key}>
              <code>{m.key}</code>{' '}
              <span className="muted">
                {m.detections} detection{m.detections === 1 ? '' : 's'}, first{' '}
                <time dateTime={m.first_detection_at}>{formatDateTime(m.first_detection_at)}</time>
              </span>
              {m.decisions.length > 0 && (
                <div>
                  {m.decisions.map((d) => (
                    <span key={d.id} className={`badge dec-${d.type}`} title={d.until ? `until ${formatDateTime(d.until)}` : undefined}>
                      {humanize(d.type)}
                      {d.ended_at ? ' (ended)' : ''}
                    </span>
                  ))}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {(cursors.length > 0 || next) && (
        <nav className="pager" aria-label="Member pages">
          <button type="button" className="btn" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Previous
          </button>
          <button type="button" className="btn" disabled={!next} onClick={() => next && setCursors((c) => [...c, next])}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}
