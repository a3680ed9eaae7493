import { shortDuration } from '../format.ts';
import type { Incident } from '../types.ts';

/** Past its acknowledgement deadline while unacknowledged (or recorded as breached by the server). */
export function isBreached(i: Incident, now: number): boolean {
  return i.sla_breached === true || (i.status === 'triggered' && now >= Date.parse(i.ack_deadline));
}

/** "12m 05s left" / "breached 3m 10s ago" / "acknowledged" / "resolved". */
export function Deadline({ incident: i, now }: { incident: Incident; now: number }) {
  const due = Date.parse(i.ack_deadline);
  if (i.status === 'triggered') {
    if (now >= due) {
      return (
        <span className="deadline breached">
          <strong>Breached</strong> {shortDuration(now - due)} ago
        </span>
      );
    }
    const left = due - now;
    return (
      <span className={`deadline ${left < 5 * 60_000 ? 'soon' : ''}`} title={`Acknowledge by ${new Date(due).toLocaleString()}`}>
        <time dateTime={i.ack_deadline}>{shortDuration(left)}</time> left
      </span>
    );
  }
  const note = i.sla_breached ? ' (breached)' : '';
  return (
    <span className={`deadline done ${i.sla_breached ? 'was-breached' : ''}`}>
      {i.status === 'acknowledged' ? 'Acknowledged' : 'Resolved'}
      {note}
    </span>
  );
}
