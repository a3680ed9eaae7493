/** An action item as the API shows it: `due`, `link` to where it came from, and `overdue`. */
import type { ActionItemRecord } from '../../store/action-item-repo.ts';
import type { Deps } from '../core/context.ts';

export type ActionItemView = Omit<ActionItemRecord, 'due_at'> & { due: string | null; link: string; overdue: boolean };

export function toActionItemView(deps: Pick<Deps, 'config'>, a: ActionItemRecord, now: Date): ActionItemView {
  const { due_at, ...rest } = a;
  const base = (deps.config.server.public_url ?? '').replace(/\/+$/, '');
  const link = a.source === 'postmortem' ? `${base}/api/v1/postmortems/${a.postmortem_id}` : `${base}/api/v1/incidents/${a.incident_id}`;
  return { ...rest, due: due_at, link, overdue: a.status === 'open' && due_at !== null && Date.parse(due_at) < now.getTime() };
}
