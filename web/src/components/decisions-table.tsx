import { useId } from 'react';
import { api } from '../api.ts';
import { shortDuration, formatDateTime, humanize } from '../format.ts';
import type { Decision } from '../types.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { TableHead } from './fields.tsx';

function Expiry({ until, now }: { until: string | null; now: number }) {
  if (!until) return <span>never</span>;
  const ms = Date.parse(until) - now;
  return (
    <time dateTime={until} title={formatDateTime(until)}>
      {ms > 0 ? `in ${shortDuration(ms)}` : 'expired'}
    </time>
  );
}

function LiftButton({ d, describedBy, onLifted }: { d: Decision; describedBy: string; onLifted: () => Promise<void> }) {
  return (
    <ConfirmButton
      label="Lift"
      confirmLabel="Confirm lift"
      describedBy={describedBy}
      onConfirm={async () => {
        await api.del(`/api/v1/decisions/${encodeURIComponent(d.id)}`);
        await onLifted();
      }}
    />
  );
}

/**
 * Active decisions (bans, rate limits, locks) with a lift button when the role
 * may lift them. `compact` is a list for narrow columns (the incident page).
 */
export function DecisionsTable({
  items,
  now,
  caption,
  onLifted,
  canLift,
  compact = false,
}: {
  items: Decision[];
  now: number;
  caption: string;
  onLifted: () => Promise<void>;
  canLift: boolean;
  compact?: boolean;
}) {
  const base = useId();
  if (compact) {
    return (
      <ul className="decision-list" aria-label={caption}>
        {items.map((d) => (
          <li key={d.id}>
            <div className="decision-head">
              <span className={`badge dec-${d.type}`}>{humanize(d.type)}</span>{' '}
              <span id={`${base}-${d.id}`}>
                <span className="muted">{d.scope}</span> <code>{d.value}</code>
              </span>
            </div>
            <p className="muted">
              Expires <Expiry until={d.until} now={now} />
              {d.origin ? ` · ${d.origin}` : ''}
            </p>
            {d.reason && <p>{d.reason}</p>}
            {canLift && <LiftButton d={d} describedBy={`${base}-${d.id}`} onLifted={onLifted} />}
          </li>
        ))}
      </ul>
    );
  }
  return (
    <table className="table decisions">
      <caption className="sr-only">{caption}</caption>
      <TableHead columns={['Type', 'Target', 'Expires', 'Origin', 'Reason']} actions={canLift} />
      <tbody>
        {items.map((d) => {
          const target = `${base}-${d.id}`;
          return (
            <tr key={d.id}>
              <td data-label="Type">
                <span className={`badge dec-${d.type}`}>{humanize(d.type)}</span>
              </td>
              <td data-label="Target" id={target}>
                <div>
                  <span className="muted">{d.scope}</span> <code>{d.value}</code>
                </div>
              </td>
              <td data-label="Expires">
                <Expiry until={d.until} now={now} />
              </td>
              <td data-label="Origin">{d.origin ?? '—'}</td>
              <td data-label="Reason" className="wrap">
                {d.reason ?? '—'}
              </td>
              {canLift && (
                <td data-label="">
                  <LiftButton d={d} describedBy={target} onLifted={onLifted} />
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
