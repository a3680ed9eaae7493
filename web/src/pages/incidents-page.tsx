import { useEffect, useRef, useState } from 'react';
import { api, query } from '../api.ts';
import { Link, navigate, useLocation } from '../router.tsx';
import { usePoll } from '../use-poll.ts';
import { useNow } from '../use-now.ts';
import { age, formatDateTime, humanize } from '../format.ts';
import { SeverityBadge, StatusBadge } from '../components/badges.tsx';
import { Deadline, isBreached } from '../components/deadline.tsx';
import { ErrorNote, Loading } from '../components/notice.tsx';
import { SearchField, SelectField, TableHead } from '../components/fields.tsx';
import { KNOWN_TYPES, SEVERITIES, type Incident, type Page } from '../types.ts';

const STATUS_FILTERS: Record<string, { label: string; api?: string }> = {
  open: { label: 'Open', api: 'triggered,acknowledged' },
  triggered: { label: 'Triggered', api: 'triggered' },
  acknowledged: { label: 'Acknowledged', api: 'acknowledged' },
  resolved: { label: 'Resolved', api: 'resolved' },
  all: { label: 'All' },
};
const LIMIT = 100;
const POLL_MS = 2000;

/** The live incident list: polls every 2 s, filters live in the URL so they survive reloads and can be shared. */
export function IncidentsPage() {
  const { search } = useLocation();
  const status = STATUS_FILTERS[search.get('status') ?? ''] ? search.get('status')! : 'open';
  const severity = search.get('severity') ?? '';
  const type = search.get('type') ?? '';
  const q = search.get('q') ?? '';
  const url = `/api/v1/incidents${query({ status: STATUS_FILTERS[status]!.api, severity, type, q, limit: LIMIT })}`;
  const list = usePoll(() => api.get<Page<Incident>>(url), POLL_MS, url, true, true);
  const now = useNow();

  const setFilter = (k: string, v: string) => {
    // The URL as it is now, not as it was when this render happened (the search box sets it later).
    const next = new URLSearchParams(location.search);
    if (v && !(k === 'status' && v === 'open')) next.set(k, v);
    else next.delete(k);
    const s = next.toString();
    navigate(`/${s ? `?${s}` : ''}`, { replace: true });
  };

  // Search as you type, without a request per key press.
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  useEffect(() => {
    if (text === q) return;
    const t = setTimeout(() => setFilter('q', text.trim()), 300);
    return () => clearTimeout(t);
  }, [text]);

  // Announce incidents that appear while the page is open; mark them for a while.
  const seen = useRef<{ key: string; ids: Set<string> } | null>(null);
  const [fresh, setFresh] = useState<Map<string, number>>(new Map());
  const [announcement, setAnnouncement] = useState('');
  useEffect(() => {
    const items = list.data?.items;
    const key = list.dataKey;
    if (!items || !key) return;
    if (!seen.current || seen.current.key !== key) {
      seen.current = { key, ids: new Set(items.map((i) => i.id)) };
      return;
    }
    const added = items.filter((i) => !seen.current!.ids.has(i.id));
    if (added.length === 0) return;
    for (const i of added) seen.current.ids.add(i.id);
    setAnnouncement(added.length === 1 ? `New ${added[0]!.severity} incident: ${added[0]!.title}` : `${added.length} new incidents`);
    setFresh((m) => {
      const n = new Map(m);
      for (const i of added) n.set(i.id, Date.now());
      return n;
    });
  }, [list.data, list.dataKey]);

  const items = list.data?.items ?? [];
  const types = [...new Set([...KNOWN_TYPES, ...items.map((i) => i.type), ...(type ? [type] : [])])].sort();
  const breached = items.filter((i) => isBreached(i, now)).length;

  return (
    <section aria-labelledby="incidents-title">
      <div className="page-head">
        <h1 id="incidents-title" tabIndex={-1}>
          Incidents
        </h1>
        <p className="summary" aria-hidden={!list.loaded}>
          {list.loaded && (
            <>
              {items.length}
              {list.data?.next_cursor ? '+' : ''} shown
              {breached > 0 && (
                <>
                  {' · '}
                  <span className="breached-count">{breached} past the acknowledgement deadline</span>
                </>
              )}
            </>
          )}
        </p>
      </div>

      <form className="filters" role="search" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Status"
          value={status}
          onChange={(v) => setFilter('status', v)}
          options={Object.entries(STATUS_FILTERS).map(([k, v]) => [k, v.label] as const)}
        />
        <SelectField
          label="Severity"
          value={severity}
          onChange={(v) => setFilter('severity', v)}
          options={SEVERITIES.map((s) => [s, humanize(s)] as const)}
          any
        />
        <SelectField
          label="Type"
          value={type}
          onChange={(v) => setFilter('type', v)}
          options={types.map((t) => [t, humanize(t)] as const)}
          any
        />
        <SearchField value={text} onChange={setText} placeholder="Title, type or key (ip:203.0.113.5)" />
      </form>

      <p className="sr-only" role="status" aria-live="polite" aria-atomic="true">
        {announcement}
      </p>

      <ErrorNote error={list.error} />
      {!list.loaded ? (
        <Loading />
      ) : items.length === 0 ? (
        <p className="empty">
          {status === 'open' && !severity && !type && !q ? 'No open incidents. All quiet.' : 'No incidents match these filters.'}
        </p>
      ) : (
        <table className="table incidents" aria-busy={list.dataKey !== url}>
          <caption className="sr-only">Incidents, newest first. The list updates by itself every two seconds.</caption>
          <TableHead columns={['Severity', 'Incident', 'Type', 'Status', 'Age', 'Acknowledge within']} />
          <tbody>
            {items.map((i) => {
              const b = isBreached(i, now);
              const isFresh = (fresh.get(i.id) ?? 0) > now - 15_000;
              return (
                <tr key={i.id} className={`${b ? 'is-breached' : ''} ${isFresh ? 'is-new' : ''}`} data-incident-id={i.id}>
                  <td data-label="Severity">
                    <SeverityBadge severity={i.severity} />
                  </td>
                  <td data-label="Incident" className="title-cell">
                    <div>
                      <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{i.title}</Link>
                      {isFresh && <span className="new-tag">new</span>}
                      {i.dedup_key && <span className="key">{i.dedup_key}</span>}
                    </div>
                  </td>
                  <td data-label="Type">{humanize(i.type)}</td>
                  <td data-label="Status">
                    <StatusBadge status={i.status} />
                  </td>
                  <td data-label="Age">
                    <time dateTime={i.created_at} title={formatDateTime(i.created_at)}>
                      {age(i.created_at, now)}
                    </time>
                  </td>
                  <td data-label="Acknowledge within">
                    <Deadline incident={i} now={now} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {list.data?.next_cursor && <p className="muted">Showing the newest {LIMIT}. Narrow the filters to find older incidents.</p>}
    </section>
  );
}
