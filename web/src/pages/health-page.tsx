import { useMemo } from 'react';
import { api, query } from '../api.ts';
import { useSession } from '../session.tsx';
import { usePoll } from '../use-poll.ts';
import { formatDateTime, humanize, shortDuration } from '../format.ts';
import { StateBadge } from '../components/badges.tsx';
import { TimeChart } from '../components/time-chart.tsx';
import { ErrorNote, Loading, Unavailable } from '../components/notice.tsx';
import type { Bucket } from '../types.ts';

interface Detailed {
  status: string;
  failing?: string[];
  version?: string;
  uptime_seconds?: number;
  started_at?: string;
  storage?: string;
  components?: Record<string, Record<string, unknown> & { status?: string; latency_ms?: number }>;
}

const isScalar = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);

/** Sources and probes arrive as lists inside a component: show each item's name and state. */
function Items({ items }: { items: unknown[] }) {
  return (
    <ul className="items">
      {items.map((it, i) => {
        if (!it || typeof it !== 'object') return <li key={i}>{String(it)}</li>;
        const o = it as Record<string, unknown>;
        const name = String(o.name ?? o.id ?? o.path ?? o.url ?? i + 1);
        const state = typeof o.status === 'string' ? o.status : typeof o.state === 'string' ? o.state : undefined;
        return (
          <li key={i}>
            {state && <StateBadge state={state} />} <span>{name}</span>
            {typeof o.error === 'string' && <span className="error-text"> — {o.error}</span>}
          </li>
        );
      })}
    </ul>
  );
}

function Component({ name, part }: { name: string; part: Record<string, unknown> & { status?: string; latency_ms?: number } }) {
  const rest = Object.entries(part).filter(([k]) => k !== 'status' && k !== 'latency_ms');
  const scalars = rest.filter(([, v]) => isScalar(v) || v === null);
  const lists = rest.filter(([, v]) => Array.isArray(v) && v.length > 0) as [string, unknown[]][];
  const maps = rest.filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v)) as [string, Record<string, unknown>][];
  return (
    <section className={`component comp-${part.status ?? 'unknown'}`} aria-label={`${humanize(name)}: ${part.status ?? 'unknown'}`}>
      <div className="component-head">
        <h3>{humanize(name)}</h3>
        <StateBadge state={part.status ?? 'unknown'} />
      </div>
      <dl className="facts small">
        {typeof part.latency_ms === 'number' && (
          <>
            <dt>Latency</dt>
            <dd>{part.latency_ms} ms</dd>
          </>
        )}
        {scalars.map(([k, v]) => (
          <div key={k} className="fact">
            <dt>{humanize(k)}</dt>
            <dd>{v === null ? '—' : typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) ? formatDateTime(v) : String(v)}</dd>
          </div>
        ))}
      </dl>
      {lists.map(([k, v]) => (
        <div key={k}>
          <h4>{humanize(k)}</h4>
          <Items items={v} />
        </div>
      ))}
      {maps.map(([k, v]) => (
        <div key={k}>
          <h4>{humanize(k)}</h4>
          <Items
            items={Object.entries(v).map(([n, x]) =>
              x && typeof x === 'object' ? { name: n, ...(x as object) } : { name: `${n}: ${String(x)}` },
            )}
          />
        </div>
      ))}
    </section>
  );
}

/** `t` may be RFC 3339, Unix milliseconds or Unix seconds; uPlot wants seconds. */
function toSeconds(t: string | number): number {
  if (typeof t === 'string') return Date.parse(t) / 1000;
  return t > 1e12 ? t / 1000 : t;
}

function Charts() {
  const series = usePoll(() => api.get<{ buckets: Bucket[] }>(`/api/v1/stats/timeseries${query({ minutes: 60 })}`), 15_000, 'timeseries');
  const cols = useMemo(() => {
    const b = series.data?.buckets ?? [];
    return {
      xs: b.map((x) => toSeconds(x.t)),
      events: b.map((x) => x.events ?? 0),
      detections: b.map((x) => x.detections ?? 0),
      errors: b.map((x) => x.errors ?? 0),
    };
  }, [series.data]);
  if (!series.loaded) return <Loading />;
  if (series.error) return <ErrorNote error={series.error} />;
  const step = cols.xs.length > 1 ? Math.round(cols.xs[1]! - cols.xs[0]!) : 60;
  const unit = step === 60 ? 'a minute' : step % 60 === 0 ? `per ${step / 60} minutes` : `per ${step} s`;
  return (
    <div className="charts">
      <TimeChart title="Events" unit={unit} xs={cols.xs} ys={cols.events} color="--chart-1" />
      <TimeChart title="Detections" unit={unit} xs={cols.xs} ys={cols.detections} color="--chart-2" />
      <TimeChart title="Errors" unit={unit} xs={cols.xs} ys={cols.errors} color="--chart-3" />
    </div>
  );
}

export function HealthPage() {
  const { has } = useSession();
  const health = usePoll(() => api.get<Detailed>('/api/health/detailed', { accept: [503] }), 5000, 'health');
  const h = health.data;
  return (
    <section aria-labelledby="health-title">
      <div className="page-head">
        <h1 id="health-title" tabIndex={-1}>
          Health
        </h1>
        {h && (
          <p className="summary">
            <StateBadge state={h.status} /> {h.version && <>version {h.version} · </>}
            {typeof h.uptime_seconds === 'number' && <>up {shortDuration(h.uptime_seconds * 1000)} · </>}
            {h.storage && <>storage: {h.storage === 'embedded' ? 'embedded PostgreSQL' : 'PostgreSQL server'}</>}
          </p>
        )}
      </div>
      <ErrorNote error={health.error} />
      {h?.failing?.length ? (
        <p className="error-note" role="alert">
          Failing: {h.failing.join(', ')}
        </p>
      ) : null}
      <section className="panel" aria-labelledby="comp-h">
        <h2 id="comp-h">Components, probes and sources</h2>
        {!health.loaded ? (
          <Loading />
        ) : (
          <div className="components">
            {Object.entries(h?.components ?? {})
              .sort(([a], [b]) => (a === 'database' ? -1 : b === 'database' ? 1 : a.localeCompare(b)))
              .map(([name, part]) => (
                <Component key={name} name={name} part={part} />
              ))}
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="charts-h">
        <h2 id="charts-h">Last 60 minutes</h2>
        {has('timeseries') ? <Charts /> : <Unavailable>Event, detection and error rates are not available on this server yet.</Unavailable>}
      </section>
    </section>
  );
}
