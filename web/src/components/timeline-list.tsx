import { formatDateTime, formatTime, humanize } from '../format.ts';
import type { TimelineEntry } from '../types.ts';

const KIND_CLASS: Record<string, string> = {
  opened: 'bad',
  sla_breach: 'bad',
  acknowledged: 'warn',
  resolved: 'ok',
  reopened: 'bad',
  note: 'info',
};

/** The append-only timeline, oldest first. */
export function TimelineList({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) return <p className="muted">No entries yet.</p>;
  return (
    <ol className="timeline">
      {entries.map((e) => (
        <li key={e.id} className={`tl-${KIND_CLASS[e.kind] ?? 'muted'}`} data-kind={e.kind}>
          <div className="tl-head">
            <time dateTime={e.at} title={formatDateTime(e.at)}>
              {formatTime(e.at)}
            </time>
            <span className="tl-kind">{humanize(e.kind)}</span>
            <span className="tl-actor">{e.actor}</span>
          </div>
          <p className="tl-message">{e.message}</p>
        </li>
      ))}
    </ol>
  );
}
