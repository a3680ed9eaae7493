import { humanize } from '../format.ts';

/** Severity with colour AND text (colour alone says nothing to some readers). */
export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`badge sev-${severity}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{humanize(status)}</span>;
}

const STATE_CLASS: Record<string, string> = {
  succeeded: 'ok',
  done: 'ok',
  approved: 'info',
  ok: 'ok',
  running: 'info',
  failed: 'bad',
  failing: 'bad',
  down: 'bad',
  awaiting_approval: 'warn',
  degraded: 'warn',
  pending: 'muted',
  unknown: 'muted',
  skipped: 'muted',
};

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${STATE_CLASS[state] ?? 'muted'}`}>{humanize(state)}</span>;
}
